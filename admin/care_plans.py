"""Screens for shared care plans and their goals, sharing with the GP, onward referrals and safeguarding."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy.orm import joinedload

from access import NOBODY
from admin.base import SecureModelView
from admin.formatters import patient_link, short_text
from admin.forms import field_is, not_before, not_in_future, required_when, same_patient
from admin.lookups import ORGANISATION, PATIENT, STAFF_USER, ByPatientLoader
from models import (
    CarePlan,
    CarePlanShare,
    CarePlanState,
    Episode,
    Goal,
    OnwardOutcome,
    OnwardReferral,
    SafeguardingConcern,
    User,
    db,
    value_before,
)
from services.care_plans import agree_care_plan, share_care_plan, start_new_draft

CARE_PLAN = ByPatientLoader("care_plan", CarePlan)
EPISODE = ByPatientLoader("episode", Episode)


def _me() -> User:
    """The signed-in user as a row of this session (without flushing a half-built record)."""
    with db.session.no_autoflush:
        return db.session.get(User, current_user.id)


class CarePlanView(SecureModelView):
    """Care-plan versions: a draft is edited until agreed; an agreed version is frozen, a new draft starts from it."""

    column_list = ["patient", "number", "state", "review_on", "agreed_on", "agreed_by", "updated_at"]
    column_labels = {
        "patient": "Patient",
        "episode": "Episode",
        "number": "Version",
        "state": "State",
        "about_me": "About me",
        "what_matters": "What matters to me",
        "support_by_agency": "Support and actions by agency",
        "contingency_plan": "Contingency and crisis plan",
        "carers_and_contacts": "Carers and key contacts",
        "review_on": "Review due",
        "agreed_on": "Agreed on",
        "agreed_by": "Agreed by",
        "agreed_by.name": "Agreed by",
        "goals": "Goals",
        "shares": "Shared",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
        "created_at": "Started",
    }
    column_descriptions = {
        "agreed_by": "Left blank when agreeing, it is you.",
        "state": "Once agreed, nothing in this version can change: start a new draft instead.",
    }
    column_formatters = {"patient": patient_link}
    column_searchable_list = ["patient.family_name", "patient.nhs_number"]
    column_filters = ["state", "review_on", "agreed_on", "agreed_by.name"]
    column_sortable_list = ["number", "state", "review_on", "agreed_on", "updated_at"]
    column_default_sort = [("updated_at", True), ("id", True)]
    column_details_extra = ("number", "goals", "shares")
    form_columns = [
        "patient",
        "episode",
        "state",
        "about_me",
        "what_matters",
        "support_by_agency",
        "contingency_plan",
        "carers_and_contacts",
        "review_on",
        "agreed_on",
        "agreed_by",
    ]
    form_args = {
        "episode": {"validators": [same_patient("episode")]},
        "agreed_on": {
            "validators": [
                required_when(field_is("state", CarePlanState.agreed), "Enter the date the plan was agreed."),
                not_in_future,
            ]
        },
    }
    form_ajax_refs = {"patient": PATIENT, "episode": EPISODE, "agreed_by": STAFF_USER}

    def on_model_change(self, form, model, is_created):
        """A new plan is the patient's next version; agreeing goes through its service (who, when, the freeze)."""
        agreeing = model.state == CarePlanState.agreed and (is_created or value_before(model, "state") != model.state)
        if is_created:
            start_new_draft(model, current_user)
        if agreeing:
            agree_care_plan(model, current_user, model.agreed_on, model.agreed_by)


class GoalView(SecureModelView):
    """Goals in the patient's own words, each on one care-plan version."""

    roles_archive = NOBODY

    column_list = ["care_plan", "description", "domain", "target_on", "status"]
    column_labels = {
        "care_plan": "Care plan",
        "description": "Goal",
        "domain": "Domain",
        "target_on": "Target date",
        "status": "Status",
    }
    column_descriptions = {"description": "In the patient's own words."}
    column_formatters = {"description": short_text()}
    column_formatters_detail = column_formatters_export = {}
    column_searchable_list = ["description"]
    column_filters = ["domain", "status", "target_on"]
    column_sortable_list = ["domain", "status", "target_on"]
    column_default_sort = [("care_plan_id", True), ("id", False)]
    form_columns = ["care_plan", "description", "domain", "target_on", "status"]
    form_ajax_refs = {"care_plan": CARE_PLAN}

    #: Rows leave the lists with their archived parent.
    parent_scope = "care_plan"

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return super().get_query().options(joinedload(Goal.care_plan).joinedload(CarePlan.patient))


class CarePlanShareView(SecureModelView):
    """Care-plan versions sent to the GP or another agency: when, which version, by whom (the person recording it)."""

    roles_archive = NOBODY

    column_list = ["care_plan", "shared_on", "shared_with", "method", "shared_by"]
    column_labels = {
        "care_plan": "Care plan",
        "shared_on": "Shared on",
        "shared_with": "Shared with",
        "shared_with.name": "Shared with",
        "shared_by": "Shared by",
        "shared_by.name": "Shared by",
        "method": "How",
        "created_at": "Recorded",
    }
    column_descriptions = {"method": "For example secure email or letter."}
    column_filters = ["shared_on", "shared_with.name", "shared_by.name", "method"]
    column_searchable_list = ["shared_with.name", "method"]
    column_sortable_list = ["shared_on", ("shared_with", "shared_with.name")]
    column_default_sort = [("shared_on", True), ("id", True)]
    column_details_extra = ("shared_by",)
    form_columns = ["care_plan", "shared_on", "shared_with", "method"]
    form_args = {"shared_on": {"validators": [not_in_future]}}
    form_ajax_refs = {"care_plan": CARE_PLAN, "shared_with": ORGANISATION}

    #: Rows leave the lists with their archived parent.
    parent_scope = "care_plan"

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return super().get_query().options(joinedload(CarePlanShare.care_plan).joinedload(CarePlan.patient))

    def on_model_change(self, form, model, is_created):
        """Sharing is recorded by its service (which refuses a patient who died or withdrew consent)."""
        if is_created:
            share_care_plan(model, current_user)


class OnwardReferralView(SecureModelView):
    """Referrals and signposting onward from the ILR, and what the receiving service decided."""

    column_list = ["patient", "service", "organisation", "referred_on", "outcome", "outcome_on"]
    column_labels = {
        "patient": "Patient",
        "episode": "Episode",
        "service": "Service",
        "organisation": "Organisation",
        "organisation.name": "Organisation",
        "referred_on": "Referred on",
        "reason": "Why",
        "outcome": "Outcome",
        "outcome_on": "Outcome on",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
    }
    column_formatters = {"patient": patient_link}
    column_searchable_list = ["service", "patient.family_name", "patient.nhs_number"]
    column_filters = ["outcome", "referred_on", "service", "organisation.name", "outcome_on"]
    column_sortable_list = ["service", "referred_on", "outcome", "outcome_on"]
    column_default_sort = [("referred_on", True), ("id", True)]
    form_columns = ["patient", "episode", "service", "organisation", "referred_on", "reason", "outcome", "outcome_on"]
    form_args = {
        "episode": {"validators": [same_patient("episode")]},
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
    form_ajax_refs = {"patient": PATIENT, "episode": EPISODE, "organisation": ORGANISATION}


class SafeguardingConcernView(SecureModelView):
    """Safeguarding concerns (Care Act 2014 s42); an open one counts in the risk rule."""

    column_list = ["patient", "raised_on", "category", "s42_criteria_met", "referred_to", "referred_on", "closed_on"]
    column_labels = {
        "patient": "Patient",
        "raised_on": "Raised on",
        "raised_by": "Raised by",
        "raised_by.name": "Raised by",
        "category": "Category",
        "s42_criteria_met": "Care Act s42 criteria met",
        "referred_to": "Referred to",
        "referred_on": "Referred on",
        "reference": "Reference",
        "outcome": "Outcome",
        "closed_on": "Closed on",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
    }
    column_descriptions = {
        "s42_criteria_met": (
            "Care and support needs; experiencing or at risk of abuse or neglect; unable to protect themselves."
        ),
        "raised_by": "Left blank, it is you.",
        "closed_on": "Leave blank while the concern is open.",
    }
    column_formatters = {"patient": patient_link}
    column_searchable_list = ["patient.family_name", "patient.nhs_number", "reference", "referred_to"]
    column_filters = ["category", "raised_on", "s42_criteria_met", "referred_on", "closed_on", "raised_by.name"]
    column_sortable_list = ["raised_on", "category", "referred_on", "closed_on"]
    column_default_sort = [("raised_on", True), ("id", True)]
    form_columns = [
        "patient",
        "raised_on",
        "raised_by",
        "category",
        "s42_criteria_met",
        "referred_to",
        "referred_on",
        "reference",
        "outcome",
        "closed_on",
    ]
    form_args = {
        "raised_on": {"validators": [not_in_future]},
        "referred_on": {
            "validators": [
                not_in_future,
                not_before("raised_on", "The referral cannot be before the concern was raised."),
            ]
        },
        "closed_on": {
            "validators": [not_in_future, not_before("raised_on", "A concern cannot close before it was raised.")]
        },
    }
    form_ajax_refs = {"patient": PATIENT, "raised_by": STAFF_USER}

    def on_model_change(self, form, model, is_created):
        """A concern raised without naming who raised it was raised by the person recording it."""
        if is_created and model.raised_by is None:
            model.raised_by = _me()


def register(admin) -> None:
    admin.add_view(CarePlanView(CarePlan, db, name="Care plans", category="Care", endpoint="care_plan"))
    admin.add_view(GoalView(Goal, db, name="Goals", category="Care", endpoint="goal"))
    admin.add_view(
        CarePlanShareView(CarePlanShare, db, name="Care plans shared", category="Care", endpoint="care_plan_share")
    )
    admin.add_view(
        OnwardReferralView(OnwardReferral, db, name="Onward referrals", category="Care", endpoint="onward_referral")
    )
    admin.add_view(
        SafeguardingConcernView(
            SafeguardingConcern, db, name="Safeguarding concerns", category="Care", endpoint="safeguarding_concern"
        )
    )
