"""The header's search box: find a patient by surname or NHS number from any page, within the person's scope."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import Optional

from access import PARTNER, READERS, row_filters
from admin.base import SecureView
from admin.listing import counted
from models import AuditAction, Patient, db
from services import audit
from services.home import capped_count
from services.search import find_patients
from web.forms import AppForm, MaxLength

#: Patients listed on the results page; the patient list (same search) shows the rest.
SHOWN = 50


class FindPatientForm(AppForm):
    """The header's search (a GET form: the words stay in the address, like a list's search)."""

    class Meta:
        csrf = False

    q = StringField("Find a patient", validators=[Optional(), MaxLength(100)])


class FindPatientView(SecureView):
    """`/admin/find/?q=`: one patient found opens their page; more are listed; none says so."""

    roles = READERS | PARTNER

    def is_visible(self) -> bool:
        return False  # the header's search box, not a menu entry

    @expose("/")
    def index(self):
        form = FindPatientForm(formdata=request.args)
        typed = (form.q.data or "").strip() if form.validate() else ""
        clause = find_patients(typed) if typed else None
        if clause is None:
            return self.render("admin/find.html", form=form, typed=typed, patients=[], count=0,
                               problem=form.first_error() if form.errors else None)  # fmt: skip
        scoped = select(Patient).where(clause, *row_filters(Patient, current_user))
        count = capped_count(scoped)
        # As a list's search is recorded ("searched for “smith”; 2 rows" on the audit trail).
        audit.record(AuditAction.list, table="patient", detail=f"{urlencode({'search': typed})} rows={count}")
        if count == 1:
            return redirect(url_for("record.patient", patient_id=db.session.scalars(scoped).one().id))
        order = (Patient.family_name, Patient.given_name, Patient.id)
        patients = list(db.session.scalars(scoped.order_by(*order).limit(SHOWN)))
        return self.render("admin/find.html", form=form, typed=typed, patients=patients, count=count,
                           found=counted(count, "patient"), problem=None)  # fmt: skip


def register(admin) -> None:
    admin.add_view(FindPatientView(name="Patient search", endpoint="find", url="/admin/find"))
