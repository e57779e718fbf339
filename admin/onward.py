"""The services directory (kept by the team lead), onward referrals, and the list of those still waiting (signposting,
which waits for nothing, is admin/signposting.py)."""

from __future__ import annotations

from flask import flash, g
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import URL, Email, Optional, ValidationError

from access import NOBODY, STAFF, TEAM_LEAD, in_scope
from admin.base import SecureModelView, WrittenByWorkflow
from admin.formatters import patient_column, patient_link, short_text
from admin.lookups import ORGANISATION, PATIENT, ByPatientLoader
from admin.work_filters import HeldByFilter
from formats.dates import format_datetime, today
from formats.words import plural
from models import (
    ChaseMethod,
    DirectoryService,
    Episode,
    OnwardMethod,
    OnwardOutcome,
    OnwardReferral,
    db,
)
from services.onward import (
    REFERRAL_METHODS,
    add_onward_referral,
    chase_onward_referrals,
    chase_stats,
    record_onward_outcome,
    update_onward_referral,
    waiting_onward_referrals,
)
from services.outbox import is_secure_address
from web.forms import AppForm, DateField, MaxLength, field_is, not_before, not_in_future, required_when, same_patient


def live_directory():
    """The directory for a select box: live services by name."""
    return (
        db.session.query(DirectoryService)
        .filter(DirectoryService.archived_at.is_(None))
        .order_by(DirectoryService.name)
    )


def secure_address(form, field):
    """An address for patient details must be on a secure domain (the allow-list or an accredited domain)."""
    if field.data and not is_secure_address(field.data):
        domain = field.data.rsplit("@", 1)[-1]
        raise ValidationError(
            f"{domain} is not a secure domain, so no patient details may be emailed there. Record the service's "
            "secure (for example nhs.net) address, or leave this blank; if the domain is accredited to the NHS secure "
            "email standard (DCB1596), add it to the secure email domains first."
        )


class DirectoryServiceView(SecureModelView):
    """The health, social-care and voluntary services the team refers and signposts to; searchable by anyone on the
    team, kept by the team lead."""

    roles_create = roles_edit = roles_archive = TEAM_LEAD

    column_list = ["name", "organisation", "offers", "who_for", "how_to_refer", "area"]
    column_labels = {
        "name": "Service",
        "organisation": "Organisation",
        "organisation.name": "Organisation",
        "offers": "What it offers",
        "who_for": "Who it is for",
        "how_to_refer": "How to refer",
        "referral_form_url": "Referral form (link)",
        "phone": "Phone",
        "secure_email": "Secure email",
        "area": "Area covered",
    }
    column_descriptions = {
        "secure_email": "Where a referral naming the patient may be emailed: it must be on a secure domain.",
        "area": "For example: Medway; Swale; all of Kent.",
    }
    column_formatters = {"offers": short_text(), "who_for": short_text()}
    column_formatters_detail = column_formatters_export = {}
    column_searchable_list = ["name", "offers", "who_for", "area", "organisation.name"]
    column_filters = ["how_to_refer", "organisation.name", "area"]
    column_sortable_list = ["name", ("organisation", "organisation.name"), "area"]
    column_default_sort = [("name", False), ("id", False)]
    form_columns = [
        "name",
        "organisation",
        "offers",
        "who_for",
        "how_to_refer",
        "secure_email",
        "referral_form_url",
        "phone",
        "area",
    ]
    form_textareas = ("area",)
    form_args = {
        "secure_email": {
            "validators": [
                required_when(field_is("how_to_refer", OnwardMethod.email), "Give the secure email referrals go to."),
                Optional(),
                Email(message="Enter a valid email address."),
                secure_address,
            ]
        },
        "referral_form_url": {
            "validators": [
                required_when(field_is("how_to_refer", OnwardMethod.form), "Give the link to the referral form."),
                Optional(),
                URL(message="Enter the form's web address, starting https://."),
            ]
        },
        "phone": {
            "validators": [required_when(field_is("how_to_refer", OnwardMethod.phone), "Give the number to call.")]
        },
    }
    form_ajax_refs = {"organisation": ORGANISATION}


def _days_waiting(view, context, model, name):
    return (today() - model.referred_on).days


def _times_chased(view, context, model, name):
    return g.get("onward_chases", {}).get(model.id, (0, None))[0]


def _last_chased(view, context, model, name):
    return format_datetime(g.get("onward_chases", {}).get(model.id, (0, None))[1])


ONWARD_LABELS = {
    "patient": "Patient",
    "episode": "Episode",
    "directory_service": "Service from the directory",
    "directory_service.name": "Service from the directory",
    "service": "Service",
    "organisation": "Organisation",
    "organisation.name": "Organisation",
    "referred_on": "Referred on",
    "reason": "Why",
    "method": "How sent",
    "referred_by": "Referred by",
    "agenda_item": "Agreed at",
    "outcome": "Outcome",
    "outcome_on": "Outcome on",
    "days_waiting": "Days waiting",
    "times_chased": "Times chased",
    "last_chased": "Last chased",
    "chases": "Chases",
    "patient.family_name": "Patient surname",
    "patient.nhs_number": "Patient NHS number",
}


class OnwardReferralView(SecureModelView):
    """Referrals onward from the ILR, and what the receiving service decided."""

    column_list = ["patient", "service", "organisation", "referred_on", "method", "outcome", "outcome_on"]
    column_labels = ONWARD_LABELS
    column_descriptions = {"service": "Filled from the directory when a service is chosen there; else type its name."}
    column_formatters = {"patient": patient_link}
    column_searchable_list = ["service", "patient.family_name", "patient.nhs_number"]
    column_filters = ["outcome", "referred_on", "service", "method", "organisation.name", "outcome_on"]
    column_sortable_list = ["service", "referred_on", "outcome", "outcome_on"]
    column_default_sort = [("referred_on", True), ("id", True)]
    column_details_extra = ("referred_by", "agenda_item", "chases")
    form_columns = [
        "patient",
        "episode",
        "directory_service",
        "service",
        "organisation",
        "referred_on",
        "method",
        "reason",
        "outcome",
        "outcome_on",
    ]
    form_args = {
        "episode": {"validators": [same_patient("episode")]},
        "directory_service": {"query_factory": live_directory},
        "referred_on": {"validators": [not_in_future]},
        "outcome_on": {
            "validators": [
                required_when(
                    field_is("outcome", OnwardOutcome.accepted, OnwardOutcome.declined),
                    "Enter the date of the outcome.",
                ),
                not_in_future,
                not_before("referred_on", "The outcome cannot be before the referral."),
            ]
        },
    }
    form_ajax_refs = {"patient": PATIENT, "episode": ByPatientLoader("episode", Episode), "organisation": ORGANISATION}

    def validate_form(self, form):
        """A service chosen from the directory names the referral: its name need not be typed as well."""
        chosen = getattr(form, "directory_service", None)
        if chosen is not None and chosen.data is not None and not (form.service.data or "").strip():
            form.service.data, form.service.raw_data = chosen.data.name, [chosen.data.name]
        return super().validate_form(form)

    def _without_signposting(self, form):
        """Signposting is its own record: "how sent" offers every way of referring but that."""
        form.method.choices = [c for c in form.method.choices if c[0] != OnwardMethod.signposted.value]
        return form

    def create_form(self, obj=None):
        return self._without_signposting(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._without_signposting(super().edit_form(obj))

    def on_model_change(self, form, model, is_created):
        """Recorded and edited through the onward service (the directory's name, dates in order, the audit)."""
        if is_created:
            add_onward_referral(model, current_user)
        else:
            update_onward_referral(model, current_user)


class OnwardActionForm(AppForm):
    """What the waiting list's bulk actions read: the date of an outcome, or what was said in a chase."""

    outcome_on = DateField(validators=[Optional(), not_in_future])
    note = StringField(validators=[Optional(), MaxLength(1000)])


class WaitingOnwardView(WrittenByWorkflow, SecureModelView):
    """Onward referrals still waiting for the receiving service's answer, oldest first: chase them, or record the
    answer."""

    roles_restore = NOBODY
    can_view_details = False
    list_template = "admin/onward/waiting.html"
    column_list = ["patient", "service", "referred_on", "days_waiting", "method", "times_chased", "last_chased"]
    column_labels = ONWARD_LABELS
    column_formatters = {
        "patient": patient_column,
        "service": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            v.get_url("onward_referral.details_view", id=m.id), m.service
        ),
        "days_waiting": _days_waiting,
        "times_chased": _times_chased,
        "last_chased": _last_chased,
    }
    column_formatters_export = {
        "patient": lambda v, c, m, n: str(m.patient),
        "days_waiting": _days_waiting,
        "times_chased": _times_chased,
        "last_chased": _last_chased,
    }
    column_searchable_list = ["service", "patient.family_name", "patient.nhs_number"]
    column_filters = ["service", "method", "referred_on", "organisation.name", HeldByFilter(OnwardReferral)]
    column_sortable_list = ["referred_on", "service"]

    def get_query(self):
        return waiting_onward_referrals(super().get_query())

    def get_count_query(self):
        return waiting_onward_referrals(super().get_count_query())

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is None:  # the default: oldest first
            return query.order_by(OnwardReferral.referred_on, OnwardReferral.id), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)

    def with_facts(self, rows: list) -> None:
        g.onward_chases = chase_stats([row.id for row in rows])  # times chased and when last, in one query

    # --- chasing and answers ------------------------------------------------------------------------------

    def is_action_allowed(self, name: str) -> bool:
        if name.startswith(("chase_", "outcome_")):
            return self._allowed(STAFF)
        return super().is_action_allowed(name)

    def _chase(self, ids, method: ChaseMethod):
        form = OnwardActionForm()
        if not form.validate():
            flash(form.first_error(), "error")
            return
        done = self.perform(lambda: chase_onward_referrals(self.rows(ids), current_user, method, form.note.data))
        if done:
            result = done.value
            flash(f"Chased {plural(len(result.chased), 'onward referral')} ({method.label.lower()}).", "success")
            for referral, why in result.refused:
                flash(Markup("Not chased: {} for {}: {}").format(referral.service, referral.patient, why), "warning")

    @action("chase_email", "Chase by email", "Email each service asking for its answer (naming the patient)?")
    def action_chase_email(self, ids):
        self._chase(ids, ChaseMethod.email)

    @action("chase_phone", "Record a phone chase (what was said, below)")
    def action_chase_phone(self, ids):
        self._chase(ids, ChaseMethod.phone)

    def _answer(self, ids, outcome: OnwardOutcome):
        form = OnwardActionForm()
        if not form.validate():
            flash(form.first_error(), "error")
            return
        referrals = self.rows(ids)

        def answer_all():
            for referral in referrals:
                record_onward_outcome(referral, outcome, form.outcome_on.data, current_user)

        self.perform(answer_all, f"{plural(len(referrals), 'onward referral')}: {outcome.label.lower()}.")

    @action("outcome_accepted", "Accepted (on the date below, or today)")
    def action_accepted(self, ids):
        self._answer(ids, OnwardOutcome.accepted)

    @action("outcome_declined", "Declined (on the date below, or today)")
    def action_declined(self, ids):
        self._answer(ids, OnwardOutcome.declined)


class OnwardReferralForm(AppForm):
    """A referral onward made from the patient's page or a case in the live minutes."""

    directory_service_id = SelectField("Service from the directory", coerce=str, validate_choice=False)
    service_name = StringField("Or a service not in the directory", validators=[Optional(), MaxLength(200)])
    referred_on = DateField("Referred on (today unless given)", validators=[Optional(), not_in_future])
    method = SelectField(
        "How sent", choices=[("", "Choose"), *((m.value, m.label) for m in REFERRAL_METHODS)], validate_choice=False
    )
    reason = TextAreaField("Why", validators=[Optional(), MaxLength(2000)])

    def directory_service(self) -> DirectoryService | None:
        """The service chosen from the directory (live ones only), or None."""
        return in_scope(DirectoryService, self.directory_service_id.data)


def register(admin) -> None:
    admin.add_view(
        DirectoryServiceView(
            DirectoryService, db, name="Services directory", category="Administration", endpoint="directory_service"
        )
    )
    admin.add_view(
        OnwardReferralView(OnwardReferral, db, name="Onward referrals", category="Patients", endpoint="onward_referral")
    )
    admin.add_view(
        WaitingOnwardView(
            OnwardReferral,
            db,
            name="Onward referrals waiting",
            category="Patients",
            endpoint="onward_waiting",
            url="/admin/onward-waiting",
        )
    )
