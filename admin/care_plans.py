"""Screens for shared care plans and their goals, and sharing them with the GP."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy.orm import joinedload

from access import NOBODY
from admin.base import SecureModelView
from admin.formatters import patient_link, short_text
from admin.lookups import ORGANISATION, PATIENT, STAFF_USER, ByPatientLoader
from admin.work_filters import HeldByFilter, RuleFilter
from models import (
    CarePlan,
    CarePlanShare,
    CarePlanState,
    Episode,
    Goal,
    db,
    value_before,
)
from services.care_plans import (
    agree_care_plan,
    check_goal_record,
    share_care_plan,
    start_new_draft,
)
from services.plans_for_the_gp import agreed_not_shared_with_gp
from web.forms import field_is, not_in_future, required_when, same_patient

CARE_PLAN = ByPatientLoader("care_plan", CarePlan)
EPISODE = ByPatientLoader("episode", Episode)


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
    column_filters = [
        "state", "review_on", "agreed_on", "agreed_by.name",
        RuleFilter(CarePlan.state, "Waiting to go to the GP", agreed_not_shared_with_gp), HeldByFilter(CarePlan),
    ]  # fmt: skip
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
    column_default_sort = [("care_plan_id", True), ("id", True)]  # one direction: walked in ix_goal_plan_order
    form_columns = ["care_plan", "description", "domain", "target_on", "status"]
    form_ajax_refs = {"care_plan": CARE_PLAN}

    #: Rows leave the lists with their archived parent.

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return super().get_query().options(joinedload(Goal.care_plan).joinedload(CarePlan.patient))

    def on_model_change(self, form, model, is_created):
        """The care-plan page's rules: no goal twice in words, a new one last on its plan's list."""
        check_goal_record(model, is_created)


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

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return super().get_query().options(joinedload(CarePlanShare.care_plan).joinedload(CarePlan.patient))

    def on_model_change(self, form, model, is_created):
        """Sharing is recorded by its service (which refuses a patient who died or withdrew consent)."""
        if is_created:
            share_care_plan(model, current_user)


def register(admin) -> None:
    admin.add_view(CarePlanView(CarePlan, db, name="Care plans", category="Patients", endpoint="care_plan"))
    admin.add_view(GoalView(Goal, db, name="Goals", category="Patients", endpoint="goal"))
    admin.add_view(
        CarePlanShareView(CarePlanShare, db, name="Care plans shared", category="Patients", endpoint="care_plan_share")
    )
