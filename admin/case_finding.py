"""The case-finding list: people at high priority nobody has referred, by GP practice, with why and where from; the
coordinator suggests them to their practice (secure email) or starts a referral. Staff only."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms import SelectMultipleField
from wtforms.validators import InputRequired, NumberRange

from access import STAFF, TEAM_LEAD, get_or_404
from admin.base import SecureView
from formats.numbers import record_id
from formats.words import plural
from models import AuditAction, Organisation, OrganisationType
from services import audit
from services.case_finding_list import SHOWN, case_finding_list, gp_practices, months, suggest_to_practice
from services.settings import CASE_FINDING_MONTHS, LABELS, set_setting
from web.forms import AppForm, IdField, WholeNumberField


class SuggestForm(AppForm):
    """The practice to email, and the patients on its part of the list to suggest."""

    practice_id = IdField(validators=[InputRequired(message="Choose a practice.")])
    patient_ids = SelectMultipleField(validate_choice=False)

    def chosen(self) -> list[int]:
        return [pid for pid in map(record_id, self.patient_ids.data or []) if pid is not None]


class MonthsForm(AppForm):
    months = WholeNumberField(
        LABELS[CASE_FINDING_MONTHS],
        validators=[InputRequired(message="Enter a number."), NumberRange(1, 36, message="Between 1 and 36 months.")],
    )


class CaseFindingView(SecureView):
    """`/admin/case-finding/`: the list, one practice at a time or all of them."""

    roles = STAFF

    @expose("/")
    def index(self):
        practice_id = record_id(request.args.get("practice"))
        candidates = case_finding_list(practice_id)
        groups: dict = {}
        for candidate in candidates:  # highest priority first within each practice; practices by name
            groups.setdefault(candidate.patient.gp_practice, []).append(candidate)
        groups = dict(
            sorted(groups.items(), key=lambda item: (item[0] is None, item[0].name.lower() if item[0] else ""))
        )
        audit.record_patients_shown(
            AuditAction.list, [c.patient.id for c in candidates], table="patient", detail="case-finding list"
        )
        months_form = MonthsForm(months=months())
        return self.render("admin/case_finding/list.html", groups=groups, practices=gp_practices(),
                           practice_id=practice_id, shown=SHOWN, found=len(candidates), months=months(),
                           months_form=months_form, lead=current_user.role in TEAM_LEAD, form=SuggestForm(),
                           )  # fmt: skip

    @expose("/suggest", methods=("POST",))
    def suggest(self):
        form = SuggestForm()
        if not form.validate_on_submit():
            flash(form.first_error() or "Choose a practice and the patients to suggest.", "error")
            return redirect(url_for(".index"))
        practice = get_or_404(Organisation, form.practice_id.data)
        if practice.type != OrganisationType.gp_practice:
            flash(f"{practice.name} is not a GP practice.", "error")
            return redirect(url_for(".index"))
        self.perform(
            lambda: suggest_to_practice(practice, form.chosen(), current_user),
            lambda n: f"{plural(n, 'patient')} suggested to {practice.name}: the email is in the outbox.",
        )
        return redirect(url_for(".index", practice=practice.id))

    @expose("/months", methods=("POST",))
    def set_months(self):
        self.require(TEAM_LEAD)
        form = MonthsForm()
        if form.validate_on_submit():
            self.perform(
                lambda: set_setting(CASE_FINDING_MONTHS, form.months.data, current_user),
                f"The list now leaves off people discussed in the last {plural(form.months.data, 'month')}.",
            )
        else:
            flash(form.first_error() or "Enter a number of months.", "error")
        return redirect(url_for(".index"))


def register(admin) -> None:
    admin.add_view(CaseFindingView(name="Case finding", category="Patients", endpoint="case_finding",
                                   url="/admin/case-finding"))  # fmt: skip
