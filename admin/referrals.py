"""Screens for referrals, the triage decisions on them and the episodes (caseload) they open."""

from __future__ import annotations

from flask import flash, g
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms.validators import Email, Optional

from admin.base import SecureModelView, WrittenByWorkflow
from admin.formatters import patient_link, short_text
from admin.lookups import ORGANISATION, PATIENT, STAFF_USER, ByPatientLoader, localities
from models import REFERRAL_CRITERIA, Consent, Episode, Referral, TriageDecision, User, db, value_before
from services.caseload import reassign_episodes, set_next_review
from services.referrals import CONSENT_DETAILS, REFERRAL_QUESTIONS, record_referral
from web.forms import field_is, not_in_future, received_after_birth, required_when, same_patient

REFERRAL_LABELS = {
    "patient": "Patient",
    "locality": "Locality",
    "locality.name": "Locality",
    "received_on": "Received",
    "referrer_name": "Referrer",
    "referrer_role": "Referrer's role",
    "referrer_organisation": "Referrer's organisation",
    "referrer_organisation.name": "Referrer's organisation",
    "referrer_email": "Referrer's email",
    "referrer_phone": "Referrer's phone",
    "reason": "Reason for referral",
    "question": "Question for the ILR",
    **REFERRAL_CRITERIA,
    "consent": "Consent",
    "consent_by": "Consent given by",
    "consent_on": "Consent given on",
    "best_interests_reason": "Best-interests decision: the reason",
    "signposting_tried": "Signposting already tried",
    "patient_aware": "Patient aware of the referral",
    "status": "Status",
    "patient.family_name": "Patient surname",
    "patient.nhs_number": "Patient NHS number",
}


class ReferralView(SecureModelView):
    """Every referral, whatever its status. New ones usually come through the intake page; triage sets the status."""

    column_list = ["patient", "received_on", "locality", "referrer_name", "referrer_organisation", "consent", "status"]
    column_labels = REFERRAL_LABELS
    column_formatters = {"patient": patient_link}
    column_searchable_list = ["referrer_name", "patient.family_name", "patient.nhs_number"]
    column_filters = [
        "status",
        "locality.name",
        "received_on",
        "consent",
        "referrer_organisation.name",
        "criteria_frailty",
        "criteria_urgent_care",
    ]
    column_sortable_list = ["received_on", "referrer_name", "status", ("locality", "locality.name")]
    column_default_sort = [("received_on", True), ("id", True)]
    column_details_extra = ("status",)
    column_export_list = [
        "id",
        "patient",
        "received_on",
        "locality",
        "referrer_name",
        "referrer_organisation",
        "consent",
        "status",
    ]
    form_columns = [
        "patient",
        "locality",
        "received_on",
        "referrer_name",
        "referrer_role",
        "referrer_organisation",
        "referrer_email",
        "referrer_phone",
        *REFERRAL_QUESTIONS,
        "consent",
        *CONSENT_DETAILS,
    ]
    column_descriptions = {"signposting_tried": "Needed before the referral can be accepted."}
    form_args = {
        "locality": {"query_factory": localities},
        "received_on": {"validators": [not_in_future, received_after_birth]},
        "referrer_email": {"validators": [Optional(), Email(message="Enter a valid email address.")]},
        "consent_on": {"validators": [not_in_future]},
        "best_interests_reason": {
            "validators": [
                required_when(
                    field_is("consent", Consent.best_interests), "A best-interests decision needs its reason."
                ),
            ]
        },
    }
    form_ajax_refs = {"patient": PATIENT, "referrer_organisation": ORGANISATION}

    def on_model_change(self, form, model, is_created):
        """A new referral is recorded as the intake page records one, with its duplicate check."""
        if is_created:
            _, g.possible_duplicates = record_referral(model.patient, model)

    def after_model_change(self, form, model, is_created):
        """Flag a possible duplicate, as the intake page does."""
        others = g.pop("possible_duplicates", None)
        if is_created and others:
            received = ", ".join(f"received {r.received_on:%d/%m/%Y}" for r in others)
            flash(
                f"This patient already has an open referral ({received}): check this one is not a duplicate.", "warning"
            )


def _referral(view, context, model, name):
    """The referral with its patient: a decision means little without whom it was about."""
    return f"{model.referral.patient}: {model.referral}"


class TriageDecisionView(WrittenByWorkflow, SecureModelView):
    """Every triage decision, read only: decisions are made on the triage queue, which records them."""

    column_list = ["decided_on", "referral", "outcome", "decline_reason", "reason_text", "redirected_to", "decided_by"]
    column_labels = {
        "decided_on": "Decided on",
        "referral": "Referral",
        "outcome": "Decision",
        "decline_reason": "Reason for declining",
        "reason_text": "Reason or advice",
        "missing_information": "Information asked for",
        "redirected_to": "Redirected to",
        "decided_by": "Decided by",
        "decided_by.name": "Decided by",
        "referral.referrer_name": "Referrer",
        "created_at": "Recorded",
    }
    column_formatters = {"referral": _referral, "reason_text": short_text()}
    column_formatters_detail = column_formatters_export = {"referral": _referral}
    column_searchable_list = ["reason_text", "redirected_to", "referral.referrer_name"]
    column_filters = ["outcome", "decline_reason", "decided_on", "decided_by.name"]
    column_default_sort = [("decided_on", True), ("id", True)]
    column_details_list = [
        "referral",
        "decided_on",
        "decided_by",
        "outcome",
        "decline_reason",
        "reason_text",
        "missing_information",
        "redirected_to",
        "created_at",
    ]

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return super().get_query().options(joinedload(TriageDecision.referral).joinedload(Referral.patient))

    #: Rows leave the lists with their archived parent.


def _closure_goals(view, context, model, name):
    return "; ".join(str(goal) for goal in model.closure_goals)


class EpisodeView(SecureModelView):
    """Every episode, open or closed. Closing is done on its own screen (from the caseload or the patient's page),
    which records each goal's attainment and checks what is still open; a death closes it from the patient's page."""

    column_list = ["patient", "locality", "opened_on", "coordinator", "review_on", "closed_on", "closure_reason"]
    column_labels = {
        "patient": "Patient",
        "referral": "Referral",
        "locality": "Locality",
        "locality.name": "Locality",
        "coordinator": "Coordinator",
        "coordinator.name": "Coordinator",
        "opened_on": "Opened",
        "review_on": "Next review",
        "closed_on": "Closed",
        "closure_reason": "Reason for closure",
        "closure_goals": "Goals attained at closure",
        "goal_attainment": "Goals attained at closure (in words, before each goal was recorded)",
        "closure_note": "Still open at closure, and why it closed",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
    }
    column_formatters = {"patient": patient_link}
    column_formatters_detail = {"patient": patient_link, "closure_goals": _closure_goals}
    column_searchable_list = ["patient.family_name", "patient.nhs_number"]
    column_filters = ["locality.name", "opened_on", "review_on", "closed_on", "closure_reason", "coordinator.name"]
    column_sortable_list = ["opened_on", "review_on", "closed_on", ("locality", "locality.name")]
    column_default_sort = [("opened_on", True), ("id", True)]
    column_details_extra = ("closed_on", "closure_reason", "closure_goals", "goal_attainment", "closure_note")
    form_columns = ["patient", "referral", "locality", "coordinator", "opened_on", "review_on"]
    #: Whose episode it is and where it came from are set when it opens.
    fixed_on_edit = ("patient", "referral", "locality")
    form_args = {
        "referral": {"validators": [same_patient("referral")]},
        "locality": {"query_factory": localities},
        "opened_on": {"validators": [not_in_future]},
    }
    form_ajax_refs = {"patient": PATIENT, "referral": ByPatientLoader("referral", Referral), "coordinator": STAFF_USER}

    def get_edit_form(self):
        form_class = super().get_edit_form()
        for name in self.fixed_on_edit:
            delattr(form_class, name)
        return form_class

    def on_model_change(self, form, model, is_created):
        """A new coordinator or review date on an open episode goes through the caseload service (audited why)."""
        if is_created:
            return
        coordinator, review_on = model.coordinator, model.review_on
        coordinator_before, review_before = value_before(model, "coordinator_id"), value_before(model, "review_on")
        with db.session.no_autoflush:  # each service changes its own field from the value before, with its reason
            model.coordinator = db.session.get(User, coordinator_before) if coordinator_before else None
            model.review_on = review_before
        if coordinator is not None and coordinator.id != coordinator_before:
            reassign_episodes([model], coordinator, current_user)
        if review_on is not None and review_on != review_before:
            set_next_review(model, review_on, current_user)


def register(admin) -> None:
    admin.add_view(ReferralView(Referral, db, name="All referrals", category="Referrals", endpoint="referral"))
    admin.add_view(
        TriageDecisionView(
            TriageDecision, db, name="Triage decisions", category="Referrals", endpoint="triage_decision"
        )
    )
    admin.add_view(EpisodeView(Episode, db, name="Episodes", category="Patients", endpoint="episode"))
