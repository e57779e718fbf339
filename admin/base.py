"""The secured Flask-Admin base views every screen inherits: sign-in, roles, row scope, safe exports."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import date, datetime
from decimal import Decimal

from flask import Response, abort, flash, redirect, request, send_file, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import filters
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader, create_ajax_loader
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.contrib.sqla.tools import get_primary_key
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from flask_admin.tools import iterdecode
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, DateField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from exports import xlsx as exports_xlsx
from access import NOBODY, READERS, STAFF, TEAM_LEAD, row_filters
import audit
from models import AuditAction, LabelledEnum, Patient, db, utcnow
from models import DomainError
from timefmt import LONDON, format_date, format_datetime, to_london

log = logging.getLogger(__name__)

#: Most rows one export may hold; a larger export must be narrowed with filters.
EXPORT_MAX_ROWS = 10_000

#: Shown when a save comes from a form opened before someone else saved the same record.
STALE_EDIT_MESSAGE = (
    "Someone else saved this record after you opened it, so your changes were not saved. "
    "They are still in the form below: copy what you need, open the record again to see the latest "
    "version, and make your changes there."
)

#: A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def neutralise_formula(value):
    """Make a spreadsheet cell inert: text that would run as a formula gets a leading apostrophe."""
    if isinstance(value, (int, float, Decimal)) or value is None:
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _enum_label(view, value, name=None):
    return value.label


def _date_uk(view, value, name=None):
    return format_date(value)


def _datetime_uk(view, value, name=None):
    return format_datetime(value)


def _bool_yes_no(view, value, name=None):
    return "Yes" if value else "No"


def _formatters(base: dict) -> dict:
    """Ours first: Flask-Admin takes the first isinstance match (LabelledEnum before Enum, datetime before date)."""
    ours = {LabelledEnum: _enum_label, datetime: _datetime_uk, date: _date_uk, bool: _bool_yes_no}
    return ours | {k: v for k, v in base.items() if k not in ours}


#: How values look in lists, record pages and exports: British dates, London times, enum labels.
TYPE_FORMATTERS = _formatters(typefmt.BASE_FORMATTERS)
DETAIL_TYPE_FORMATTERS = _formatters(typefmt.DETAIL_FORMATTERS)
EXPORT_TYPE_FORMATTERS = _formatters(typefmt.EXPORT_FORMATTERS)


class AdminForm(FlaskForm):
    """Flask-WTF's form (its CSRF token, checked by CSRFProtect) as the base of every admin form.

    Flask-Admin's own SecureForm is not used: its token and CSRFProtect's reject each other.
    `_obj` is kept as Flask-Admin's BaseForm does, for its Unique validator to skip the row
    being edited; formdata keeps Flask-WTF's default of reading the request.
    """

    def __init__(self, formdata=_Auto, obj=None, prefix="", **kwargs):
        self._obj = obj
        super().__init__(formdata=formdata, obj=obj, prefix=prefix, **kwargs)


class LabelledConverter(AdminModelConverter):
    """Select boxes for our enums show their labels, not their stored values."""

    @converts("sqlalchemy.sql.sqltypes.Enum")
    def convert_enum(self, column, field_args, **extra):
        field = super().convert_enum(column, field_args, **extra)
        enum_class = getattr(column.type, "enum_class", None)
        if enum_class is not None and issubclass(enum_class, LabelledEnum):
            field.kwargs["choices"] = enum_class.choices()
            field.kwargs["coerce"] = lambda v: v.value if isinstance(v, LabelledEnum) else str(v)
        return field

    @converts("UTCDateTime")
    def convert_utc_datetime(self, column, field_args, **extra):
        self._nullable_common(column, field_args)
        return LondonDateTimeField(**field_args)

    @converts("Date")
    def convert_date(self, column, field_args, **extra):
        """A native date input (the browser shows it as 25/11/2026 in en-GB)."""
        self._nullable_common(column, field_args)
        return DateField(**field_args)


#: Text columns at least this long are typed in a multi-line box.
LONG_TEXT = 1000


class MaxLength:
    """A length limit that says what it is: "Enter at most 200 characters (this has 214)."."""

    def __init__(self, limit: int):
        self.limit = limit
        self.field_flags = {"maxlength": limit}

    def __call__(self, form, field):
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(f"Enter at most {self.limit:,} characters (this has {length:,}).")


class RecordConverter(LabelledConverter):
    """Every text field gets its column's length limit with a plain message; long text is a multi-line box.

    A view may name shorter columns that still read better on several lines in `form_textareas`.
    """

    @classmethod
    def _string_common(cls, column, field_args, **extra):
        length = getattr(column.type, "length", None)
        if isinstance(length, int) and length:
            field_args["validators"].append(MaxLength(length))
        # Browsers send line breaks as CRLF but count them as one character against maxlength.
        field_args["filters"] = [_one_character_line_breaks, *field_args.get("filters", [])]
        cls._nullable_common(column, field_args)

    @converts("String")
    def conv_String(self, column, field_args, **extra):
        self._string_common(column, field_args)
        long_text = (column.type.length or 0) >= LONG_TEXT or column.key in getattr(self.view, "form_textareas", ())
        return (TextAreaField if long_text else StringField)(**field_args)

    @converts("Boolean")
    def conv_Boolean(self, column, field_args, **extra):
        """A nullable yes/no keeps "not known" (a tick box could only say no)."""
        return (YesNoField if column.nullable else BooleanField)(**field_args)


def _one_character_line_breaks(value):
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class YesNoField(SelectField):
    """A yes-or-no question whose answer may not be known yet (a nullable true/false column)."""

    ANSWERS = {"": None, "yes": True, "no": False}

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("coerce", None)
        super().__init__(label, validators, choices=[("", "Not known"), ("yes", "Yes"), ("no", "No")], **kwargs)

    def process_data(self, value):
        self.data = value

    def process_formdata(self, valuelist):
        self.data = self.ANSWERS.get(valuelist[0]) if valuelist else None

    def iter_choices(self):
        chosen = {None: "", True: "yes", False: "no"}.get(self.data, "")
        for value, label in self.choices:
            yield value, label, value == chosen, {}

    def pre_validate(self, form):
        """Anything but yes or no means not known."""


class LondonDateTimeField(DateTimeLocalField):
    """A date and time typed and shown in Europe/London, stored as UTC."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and self.data.tzinfo is None:
            self.data = self.data.replace(tzinfo=LONDON)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return to_london(self.data).strftime("%Y-%m-%dT%H:%M") if self.data else ""


class LabelledFilterConverter(FilterConverter):
    """Filters on our enums offer their labels."""

    @filters.convert("enum")
    def conv_enum(self, column, name, options=None, **kwargs):
        enum_class = getattr(column.type, "enum_class", None)
        if not options and enum_class is not None and issubclass(enum_class, LabelledEnum):
            options = enum_class.choices()
        return super().conv_enum(column, name, options, **kwargs)

    @filters.convert("UTCDateTime")
    def conv_utc_datetime(self, column, name, **kwargs):
        """Our zone-aware timestamps filter like any datetime (typed values are London time)."""
        return [f(column, name, **kwargs) for f in self.datetime_filters]


def _signed_in() -> bool:
    return current_user.is_authenticated and current_user.is_active


def _to_sign_in():
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


class SecureIndexView(AdminIndexView):
    """The admin home page: signed-in users only."""

    def is_accessible(self) -> bool:
        return _signed_in()

    def inaccessible_callback(self, name, **kwargs):
        return _to_sign_in()

    @expose("/")
    def index(self):
        return self.render("admin/index.html")


class SecureView(BaseView):
    """A custom (non-model) page: sign-in required, then `roles` decide; anonymous users go to sign-in."""

    #: Roles that may open the page; a view narrows single routes further where needed.
    roles: frozenset = STAFF

    def is_accessible(self) -> bool:
        return _signed_in() and current_user.role in self.roles

    def inaccessible_callback(self, name, **kwargs):
        if not _signed_in():
            return _to_sign_in()
        abort(403)


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Select-box look-ups limited to the rows the signed-in user may see."""

    def get_query(self):
        return super().get_query().filter(*row_filters(self.model, current_user))

    def get_one(self, pk):
        if not str(pk).isdigit():
            return None  # our keys are integers: anything else names no record
        with db.session.no_autoflush:
            return self.get_query().filter(getattr(self.model, self.pk) == int(pk)).one_or_none()


class SecureModelView(ModelView):
    """A model screen that requires sign-in, applies role rules and the row scope everywhere."""

    #: Roles that may open the list and record pages.
    roles_view: frozenset = READERS
    roles_create: frozenset = STAFF
    roles_edit: frozenset = STAFF
    #: Roles that may archive rows (only models with `archived_at`).
    roles_archive: frozenset = STAFF
    #: Roles that may bring archived rows back and see them.
    roles_restore: frozenset = TEAM_LEAD
    roles_export: frozenset = STAFF

    form_base_class = AdminForm
    model_form_converter = RecordConverter
    filter_converter = LabelledFilterConverter()
    can_delete = False  # records are archived, never deleted
    can_view_details = True
    can_set_page_size = True
    page_size = 25
    page_size_options = (25, 50, 100)
    named_filter_urls = True
    export_types = ["csv", "xlsx"]
    export_max_rows = EXPORT_MAX_ROWS
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = DETAIL_TYPE_FORMATTERS
    column_type_formatters_export = EXPORT_TYPE_FORMATTERS
    list_template = "admin/model/ilr_list.html"

    # --- role rules ---------------------------------------------------------------------------

    def _allowed(self, roles: frozenset) -> bool:
        return _signed_in() and current_user.role in roles

    @property
    def can_create(self) -> bool:
        return self._allowed(self.roles_create)

    @property
    def can_edit(self) -> bool:
        return self._allowed(self.roles_edit)

    @property
    def can_export(self) -> bool:
        return self._allowed(self.roles_export)

    @property
    def archivable(self) -> bool:
        return hasattr(self.model, "archived_at")

    @property
    def showing_archived(self) -> bool:
        """True when the team lead asked the list for archived rows (`?archived=1`)."""
        return self.archivable and request.args.get("archived") == "1" and self._allowed(self.roles_restore)

    def is_accessible(self) -> bool:
        return self._allowed(self.roles_view)

    def inaccessible_callback(self, name, **kwargs):
        if not _signed_in():
            return _to_sign_in()
        abort(403)

    #: Which role set each Flask-Admin endpoint needs, beyond `roles_view`.
    _ENDPOINT_RIGHTS = {
        "create_view": "roles_create",
        "edit_view": "roles_edit",
        "ajax_update": "roles_edit",
        "export": "roles_export",
    }

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if name == "delete_view" and not self.can_delete:
            abort(403)
        if name in self._ENDPOINT_RIGHTS and not self._allowed(getattr(self, self._ENDPOINT_RIGHTS[name])):
            abort(403)
        if name == "action_view" and not any(self.is_action_allowed(a) for a in self._actions_data):
            abort(403)
        if name == "ajax_lookup" and not (self._form_ajax_refs and (self.can_create or self.can_edit)):
            abort(403)
        if name == "ajax_update" and not self.column_editable_list:
            abort(403)
        return None

    def is_action_allowed(self, name: str) -> bool:
        if name == "archive":
            return self.archivable and self._allowed(self.roles_archive)
        if name == "restore":
            return self.archivable and self._allowed(self.roles_restore)
        return super().is_action_allowed(name)

    def get_actions_list(self):
        """Offer "Restore" on the archived list and "Archive" on the live one."""
        actions, confirmations = super().get_actions_list()
        hidden = "archive" if self.showing_archived else "restore"
        return [a for a in actions if a[0] != hidden], confirmations

    # --- row scope ----------------------------------------------------------------------------

    def scope(self, query, include_archived: bool = False):
        """Limit a query on this view's model to the signed-in user's rows."""
        return query.filter(*row_filters(self.model, current_user, include_archived))

    def _list_scope(self, query):
        """The list's rows: live ones, or on the team lead's archived view only the archived ones."""
        query = self.scope(query, self.showing_archived)
        if self.showing_archived:
            query = query.filter(self.model.archived_at.is_not(None))
        return query

    def get_query(self):
        return self._list_scope(super().get_query())

    def get_count_query(self):
        return self._list_scope(super().get_count_query())

    def get_one(self, id):
        """One row by id, within the same scope as the list (the team lead also reaches archived rows)."""
        key = iterdecode(id)
        key = key[0] if len(key) == 1 else None
        if key is None or not str(key).isdigit():
            return None  # our keys are integers: anything else names no record
        pk = getattr(self.model, get_primary_key(self.model))
        query = self.scope(super().get_query(), include_archived=True)
        row = query.filter(pk == int(key)).one_or_none()
        if row is not None and request.method == "GET":
            audit.record(
                AuditAction.view, table=self.model.__tablename__, record_id=row.id, patient_id=audit.patient_id_of(row)
            )
        return row

    @property
    def holds_patient_data(self) -> bool:
        """Lists of these rows are about patients: each list or search is audited."""
        return self.model is Patient or hasattr(self.model, "patient_id")

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        if self.holds_patient_data and request.endpoint == f"{self.endpoint}.index_view":
            audit.record(
                AuditAction.list,
                table=self.model.__tablename__,
                detail=f"{audit.describe_request_filters()} rows={count}",
            )
        return count, rows

    def _export_data(self):
        count, rows = super()._export_data()
        audit.record(
            AuditAction.export,
            table=self.model.__tablename__,
            detail=f"{request.view_args.get('export_type')} {audit.describe_request_filters()} rows={len(rows)} of {count}",
        )
        return count, rows

    def _create_ajax_loader(self, name, options):
        loader = create_ajax_loader(self.model, db.session, name, name, options)
        return ScopedAjaxLoader(name, db.session, loader.model, **options)

    def _get_list_url(self, view_args):
        """Keep the team lead's "archived" view across paging, sorting and filtering."""
        url = super()._get_list_url(view_args)
        if self.showing_archived:
            url += ("&" if "?" in url else "?") + "archived=1"
        return url

    # --- stale edits ---------------------------------------------------------------------------

    @property
    def versioned(self) -> bool:
        return hasattr(self.model, "version")

    def scaffold_form(self):
        form_class = super().scaffold_form()
        if self.versioned:
            form_class.expected_version = HiddenField()
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if self.versioned and obj is not None and request.method == "GET":
            form.expected_version.data = obj.version
        return form

    def update_model(self, form, model):
        """Refuse a save from a form opened before someone else's save; the form keeps what was typed."""
        if self.versioned and str(model.version) != (form.expected_version.data or ""):
            flash(STALE_EDIT_MESSAGE, "error")
            return False
        return super().update_model(form, model)

    # --- archive and restore ------------------------------------------------------------------

    def _rows_for_action(self, ids, include_archived: bool):
        pk = getattr(self.model, get_primary_key(self.model))
        keys = [int(i) for i in ids if str(i).isdigit()]
        return self.scope(db.session.query(self.model), include_archived).filter(pk.in_(keys)).all()

    @action("archive", "Archive", "Archive the selected records? They leave lists, exports and reports.")
    def action_archive(self, ids):
        rows = [r for r in self._rows_for_action(ids, False) if r.archived_at is None]
        for row in rows:
            row.archived_at = utcnow()
        db.session.commit()
        flash(f"{len(rows)} record(s) archived.", "success")

    @action("restore", "Restore", "Restore the selected records to lists and reports?")
    def action_restore(self, ids):
        rows = [r for r in self._rows_for_action(ids, True) if r.archived_at is not None]
        for row in rows:
            row.archived_at = None
        db.session.commit()
        flash(f"{len(rows)} record(s) restored.", "success")

    # --- errors and exports -------------------------------------------------------------------

    def handle_view_exception(self, exc: Exception) -> bool:
        """Show a plain message for a failed save; SQL and exception text go to the log only."""
        if isinstance(exc, DomainError):
            flash(str(exc), "error")
        elif isinstance(exc, StaleDataError):
            flash(STALE_EDIT_MESSAGE, "error")
        elif isinstance(exc, SQLAlchemyError):
            log.warning("Save refused by the database: %s", exc)
            flash(
                "This could not be saved: it clashes with a record already held (for example the same "
                "code or email twice) or breaks a rule of the record. Check the values and try again.",
                "error",
            )
        else:
            log.exception("Save failed")
            flash("Something went wrong and nothing was saved. Please try again.", "error")
        return True

    def get_export_value(self, model, name):
        return neutralise_formula(super().get_export_value(model, name))

    def _export_csv(self, return_url):
        """CSV built in full before the response (capped rows), so the audit commit cannot expire them mid-stream."""
        _, rows = self._export_data()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([label for _, label in self._export_columns])
        for row in rows:
            writer.writerow([self.get_export_value(row, name) for name, _ in self._export_columns])
        return Response(
            out.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={self.get_export_name('csv')}"},
        )

    def _export_tablib(self, export_type, return_url):
        """XLSX through openpyxl, keeping numbers and dates as real cells (Flask-Admin's makes all text)."""
        if export_type != "xlsx":
            abort(404)
        _, rows = self._export_data()
        columns = self._export_columns
        body = exports_xlsx.workbook_bytes(
            self.name,
            [label for _, label in columns],
            ([self.get_export_value(row, name) for name, _ in columns] for row in rows),
        )
        return send_file(
            io.BytesIO(body),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name=self.get_export_name("xlsx"),
        )

    def get_export_name(self, export_type: str = "csv") -> str:
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        return f"{self.endpoint}-{stamp}.{export_type}"


def link_to(endpoint: str, label_attr: str | None = None):
    """A list-column formatter that links a related record to its own page."""

    def formatter(view, context, model, name):
        related = getattr(model, name)
        if related is None:
            return ""
        label = getattr(related, label_attr) if label_attr else str(related)
        return Markup('<a href="{}">{}</a>').format(url_for(f"{endpoint}.details_view", id=related.id), label)

    return formatter


__all__ = [
    "DomainError",
    "SecureIndexView",
    "SecureModelView",
    "neutralise_formula",
    "link_to",
    "NOBODY",
    "READERS",
    "STAFF",
    "TEAM_LEAD",
]
