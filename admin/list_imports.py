"""Importing risk-stratification lists on screen: upload, map the columns, preview, confirm; and the import history
with each import's refused rows (downloadable, every cell made inert).

Between the upload and the confirmation the file waits on the server's disk, never in the database: in a folder of
its own (CASE_FINDING_UPLOAD_DIR, else the instance folder), named by a random token kept in the signed-in session.
Each step reads it again, so the confirmation saves exactly what the preview showed, checked by the same code, and
nothing posted by the page can change it. It is deleted when the import is confirmed or cancelled; any left behind
(a browser closed mid-way) is deleted at the next upload after an hour. With several app servers the folder must be
shared between them (or sessions sticky).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import date
from pathlib import Path

from flask import Response, current_app, flash, redirect, request, session, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, SelectField
from wtforms.validators import Optional

from access import STAFF, get_or_404
from admin.base import SecureView
from exports.spreadsheets import csv_text
from formats.words import plural
from models import AuditAction, DomainError, ListImport, ListImportRefusal, ListSource, db
from services import audit
from services.case_finding import FIELDS, offered_mapping, preview_list, read_list
from services.list_import import import_list
from web.forms import AppForm, DateField, not_in_future

#: Imports the history page shows, newest first.
HISTORY_SHOWN = 100
#: Refused rows shown on a page (the download has them all).
REFUSALS_SHOWN = 200
#: Seconds after which a file left waiting is deleted.
WAITING_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_KEY = "list_upload"


class UploadForm(AppForm):
    file = FileField("The list (CSV or .xlsx)")
    source = SelectField("Where it comes from", choices=ListSource.choices(), validate_choice=True)


def mapping_form(headings: list[str]):
    """One select box per field, offering the file's headings; and what to do with people not held."""

    class MappingForm(AppForm):
        create_new = BooleanField("Add the people on the list who are not held as new patients")
        figures_on = DateField(
            "Date of the list's eFI and CFS",
            description="Used when the list has no date column for them; today if left blank. A value replaces the "
            "one held only when newer.",
            validators=[Optional(), not_in_future],
        )

        def mapping(self) -> dict[str, str]:
            return {name: self[f"map_{name}"].data for name in FIELDS if self[f"map_{name}"].data}

    choices = [("", "Not in this list"), *((h, h) for h in headings if h)]
    for name, label in FIELDS.items():
        setattr(MappingForm, f"map_{name}", SelectField(label, choices=choices, default="", validate_choice=True))
    return MappingForm


# --- the file waiting between the steps --------------------------------------------------------------------------


def _folder() -> Path:
    folder = Path(current_app.config.get("CASE_FINDING_UPLOAD_DIR") or Path(current_app.instance_path) / "list-uploads")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    for old in folder.glob("*.upload"):
        if old.stat().st_mtime < time.time() - WAITING_SECONDS:
            old.unlink(missing_ok=True)


def _keep(data: bytes, filename: str, source: ListSource) -> None:
    _forget()
    folder = _folder()
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    path = folder / f"{token}.upload"
    path.touch(mode=0o600)
    path.write_bytes(data)
    session[_KEY] = {"token": token, "filename": filename[:200], "source": source.value}


def _waiting() -> tuple[bytes, dict] | None:
    """The waiting file and what the session says of it, or None."""
    kept = session.get(_KEY) or {}
    token = kept.get("token", "")
    path = _folder() / f"{token}.upload"
    if not _TOKEN.match(token) or not path.is_file():
        return None
    return path.read_bytes(), kept


def _forget() -> None:
    kept = session.pop(_KEY, None) or {}
    token = kept.get("token", "")
    if _TOKEN.match(token):
        (_folder() / f"{token}.upload").unlink(missing_ok=True)


# --- the screens -------------------------------------------------------------------------------------------------


class ListImportView(SecureView):
    """`/admin/lists/`: the import history, and importing a list in four steps."""

    roles = STAFF

    @expose("/")
    def index(self):
        imports = db.session.scalars(
            select(ListImport)
            .options(selectinload(ListImport.imported_by))
            .order_by(ListImport.imported_at.desc(), ListImport.id.desc())
            .limit(HISTORY_SHOWN)
        ).all()
        return self.render("admin/case_finding/imports.html", imports=imports, form=UploadForm(), waiting=_waiting())

    @expose("/upload", methods=("POST",))
    def upload(self):
        form = UploadForm()
        upload = form.file.data
        if not form.validate_on_submit() or not upload or not getattr(upload, "filename", ""):
            flash("Choose a list to upload (CSV or .xlsx) and where it comes from.", "error")
            return redirect(url_for(".index"))
        data = upload.read()
        try:
            read_list(data, upload.filename)  # refused now, in words, rather than after the mapping
        except DomainError as refused:
            flash(str(refused), "error")
            return redirect(url_for(".index"))
        _keep(data, upload.filename, ListSource(form.source.data))
        return redirect(url_for(".mapping"))

    @expose("/mapping", methods=("GET", "POST"))
    def mapping(self):
        waiting = _waiting()
        if waiting is None:
            flash("No list is waiting: upload it again.", "error")
            return redirect(url_for(".index"))
        data, kept = waiting
        try:
            table = read_list(data, kept["filename"])
        except DomainError as refused:
            _forget()
            flash(str(refused), "error")
            return redirect(url_for(".index"))
        source = ListSource(kept["source"])
        form = mapping_form(table.headings)()
        if request.method == "GET":
            for name, heading in (kept.get("mapping") or offered_mapping(source, table.headings)).items():
                form[f"map_{name}"].data = heading
        elif form.validate_on_submit():
            try:
                preview = preview_list(table, form.mapping(), create_new=form.create_new.data)
            except DomainError as refused:
                flash(str(refused), "error")
            else:
                kept |= {"mapping": form.mapping(), "create_new": form.create_new.data,
                         "figures_on": form.figures_on.data.isoformat() if form.figures_on.data else None}  # fmt: skip
                session[_KEY] = kept
                shown = preview.refusals[:REFUSALS_SHOWN]
                detail = f"preview of the list {kept['filename']}: {plural(len(shown), 'refused row')} shown"
                audit.record(AuditAction.list, table="list_import", detail=detail)
                return self.render("admin/case_finding/preview.html", preview=preview, kept=kept, source=source,
                                   shown=shown, fields=FIELDS)  # fmt: skip
        else:
            flash(form.first_error() or "Check the choices below.", "error")
        return self.render("admin/case_finding/mapping.html", form=form, kept=kept, source=source, table=table,
                           field_names=FIELDS, sample=table.rows[:3])  # fmt: skip

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        form = AppForm()
        waiting = _waiting()
        if not form.validate_on_submit() or waiting is None or "mapping" not in waiting[1]:
            flash("No previewed list is waiting: upload it again.", "error")
            return redirect(url_for(".index"))
        data, kept = waiting
        on = date.fromisoformat(kept["figures_on"]) if kept.get("figures_on") else None

        def save():
            return import_list(data, kept["filename"], ListSource(kept["source"]), kept["mapping"], current_user,
                               create_new=bool(kept.get("create_new")), figures_on=on)  # fmt: skip

        done = self.perform(save, lambda r: f"{r.filename} imported: {plural(r.figures_changed, 'patient')} with a "
                                            f"newer eFI or CFS, {plural(r.events_added, 'hospital event')} added, "
                                            f"{plural(r.refused, 'row')} refused.")  # fmt: skip
        _forget()
        return redirect(url_for(".record", import_id=done.value.id) if done else url_for(".index"))

    @expose("/cancel", methods=("POST",))
    def cancel(self):
        if AppForm().validate_on_submit():
            _forget()
            flash("The list was not imported, and the file is deleted.", "success")
        return redirect(url_for(".index"))

    @expose("/<int:import_id>/")
    def record(self, import_id: int):
        made = get_or_404(ListImport, import_id)
        refusals = db.session.scalars(
            select(ListImportRefusal)
            .where(ListImportRefusal.import_id == made.id)
            .order_by(ListImportRefusal.row_number)
            .limit(REFUSALS_SHOWN)
        ).all()
        audit.record(AuditAction.view, table="list_import", record_id=made.id, detail=f"import of {made.filename}")
        mapping = json.loads(made.column_mapping)
        return self.render("admin/case_finding/import.html", made=made, refusals=refusals, fields=FIELDS,
                           mapping=mapping, values=lambda r: json.loads(r.raw_values))  # fmt: skip

    @expose("/<int:import_id>/refused.csv")
    def refused(self, import_id: int):
        made = get_or_404(ListImport, import_id)
        rows = db.session.scalars(
            select(ListImportRefusal)
            .where(ListImportRefusal.import_id == made.id)
            .order_by(ListImportRefusal.row_number)
        )
        body = csv_text(["Row", "Reason", "Values as read"], ([r.row_number, r.reason, *json.loads(r.raw_values)]
                                                               for r in rows))  # fmt: skip
        audit.record(
            AuditAction.export, table="list_import", record_id=made.id, detail=f"refused rows of {made.filename}"
        )
        name = f"refused-rows-{made.id}.csv"
        return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def register(admin) -> None:
    admin.add_view(
        ListImportView(name="Imported lists", category="Patients", endpoint="list_import", url="/admin/lists")
    )
