"""Screens for the actions agreed at meetings and the chases that follow them up."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from sqlalchemy import and_, not_
from sqlalchemy.orm import joinedload
from wtforms.validators import ValidationError

from admin.base import SecureModelView, WrittenByWorkflow
from admin.formatters import patient_link, short_text
from admin.forms import field_is, not_in_future, required_when, same_patient
from admin.lookups import CONTACT, ORGANISATION, PATIENT, ByPatientLoader
from models import Action, ActionChase, ActionStatus, AgendaItem, Contact, db, value_before
from services.actions import STILL_OPEN, complete_action
from timefmt import today


class OverdueFilter(BaseSQLAFilter):
    """Still open after its due date (derived, never stored)."""

    def __init__(self):
        super().__init__(Action.due_on, "Overdue", options=(("1", "Yes"), ("0", "No")))

    def apply(self, query, value, alias=None):
        overdue = and_(Action.status.in_(STILL_OPEN), Action.due_on < today())
        return query.filter(overdue if value == "1" else not_(overdue))

    def operation(self):
        return "is"


def _overdue(view, context, model, name):
    return "Overdue" if model.is_overdue(today()) else ""


def owner_works_there(form, field):
    """The named owner must work for the owning organisation."""
    organisation = form["owner_organisation"].data
    if field.data is not None and organisation is not None and field.data.organisation_id != organisation.id:
        raise ValidationError(
            f"{field.data.name} does not work for {organisation.name}: choose someone there, or leave it blank."
        )


class ActionView(SecureModelView):
    """Actions by owner organisation and due date; overdue is worked out from the status and due date."""

    column_list = [
        "patient",
        "description",
        "owner_organisation",
        "owner_contact",
        "due_on",
        "status",
        "overdue",
        "completed_on",
    ]
    column_labels = {
        "patient": "Patient",
        "agenda_item": "From the discussion",
        "description": "Action",
        "owner_organisation": "Owner organisation",
        "owner_organisation.name": "Owner organisation",
        "owner_contact": "Owner",
        "owner_contact.name": "Owner",
        "due_on": "Due",
        "status": "Status",
        "overdue": "Overdue",
        "completed_on": "Completed",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
    }
    column_formatters = {"patient": patient_link, "description": short_text(), "overdue": _overdue}
    column_formatters_detail = {"patient": patient_link, "overdue": _overdue}
    column_formatters_export = {"overdue": _overdue}
    column_searchable_list = ["description", "patient.family_name", "patient.nhs_number", "owner_organisation.name"]
    column_filters = [
        "status",
        "owner_organisation.name",
        "due_on",
        OverdueFilter(),
        "completed_on",
        "owner_contact.name",
    ]
    column_sortable_list = ["due_on", "status", "completed_on", ("owner_organisation", "owner_organisation.name")]
    column_default_sort = [("due_on", False), ("id", False)]
    column_details_extra = ("overdue", "chases")
    column_export_list = column_list
    form_columns = [
        "patient",
        "agenda_item",
        "description",
        "owner_organisation",
        "owner_contact",
        "due_on",
        "status",
        "completed_on",
    ]
    form_args = {
        "agenda_item": {"validators": [same_patient("discussion")]},
        "owner_contact": {"validators": [owner_works_there]},
        "completed_on": {
            "validators": [
                required_when(field_is("status", ActionStatus.done), "Enter the date the action was completed."),
                not_in_future,
            ]
        },
    }
    form_ajax_refs = {
        "patient": PATIENT,
        "agenda_item": ByPatientLoader("agenda_item", AgendaItem),
        "owner_organisation": ORGANISATION,
        "owner_contact": CONTACT,
    }

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return super().get_query().options(joinedload(Action.owner_contact).joinedload(Contact.organisation))

    def on_model_change(self, form, model, is_created):
        """An action newly marked done is completed by the actions service (its date and audit)."""
        before = None if is_created else value_before(model, "status")
        if model.status == ActionStatus.done and before != ActionStatus.done:
            model.status = before or ActionStatus.open
            complete_action(model, current_user, model.completed_on)


class ActionChaseView(WrittenByWorkflow, SecureModelView):
    """Every chase of an action, read only: chases are recorded by the chasing workflow."""

    column_list = ["chased_at", "action", "method", "chased_by", "note"]
    column_labels = {
        "chased_at": "Chased",
        "action": "Action",
        "action.description": "Action",
        "method": "How",
        "chased_by": "Chased by",
        "chased_by.name": "Chased by",
        "note": "Note",
        "created_at": "Recorded",
    }
    column_formatters = {"note": short_text()}
    column_formatters_detail = column_formatters_export = {}
    column_searchable_list = ["note", "action.description"]
    column_filters = ["method", "chased_at", "chased_by.name"]
    column_default_sort = [("chased_at", True), ("id", True)]
    column_details_list = ["action", "chased_at", "method", "chased_by", "note", "created_at"]

    #: Rows leave the lists with their archived parent.
    parent_scope = "action"


def register(admin) -> None:
    admin.add_view(ActionView(Action, db, name="Actions", category="Actions", endpoint="action"))
    admin.add_view(ActionChaseView(ActionChase, db, name="Chases", category="Actions", endpoint="action_chase"))
