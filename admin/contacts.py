"""The contact log: calls, emails, Teams messages, visits and letters about patients, and their follow-ups."""

from __future__ import annotations

from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from sqlalchemy import not_
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from access import STAFF
from admin.base import SecureModelView
from admin.formatters import patient_link, short_text
from admin.lookups import PATIENT
from admin.work_filters import HeldByFilter
from formats.dates import today
from formats.words import plural
from models import ContactLogEntry, ContactMethod, ContactParty, db, utcnow
from services.contacts import complete_follow_up, log_contact, update_contact
from web.forms import AppForm, DateField, LondonDateTimeField, MaxLength, required_when


class ContactForm(AppForm):
    """A contact logged from the patient's page."""

    contacted_at = LondonDateTimeField("When (now unless given)", validators=[Optional()])
    party = SelectField("With", choices=ContactParty.choices(), validate_choice=False)
    with_name = StringField("Name (blank only for the patient)", validators=[Optional(), MaxLength(200)])
    method = SelectField("How", choices=ContactMethod.choices(), validate_choice=False)
    summary = TextAreaField("Summary", validators=[Optional(), MaxLength(4000)])
    follow_up_on = DateField("Follow-up due (if any)", validators=[Optional()])

    def entry(self, patient) -> ContactLogEntry:
        """The contact as typed, for the contacts service to check and log."""
        party = self.party.data if self.party.data in ContactParty._value2member_map_ else None
        method = self.method.data if self.method.data in ContactMethod._value2member_map_ else None
        return ContactLogEntry(
            patient=patient,
            contacted_at=self.contacted_at.data or utcnow(),
            party=party,
            with_name=self.with_name.data,
            method=method,
            summary=self.summary.data,
            follow_up_on=self.follow_up_on.data,
        )


class AwaitingFollowUpFilter(BaseSQLAFilter):
    """A follow-up is due and not yet done."""

    def __init__(self):
        super().__init__(ContactLogEntry.follow_up_on, "Awaiting follow-up", options=(("1", "Yes"), ("0", "No")))

    def apply(self, query, value, alias=None):
        awaiting = ContactLogEntry.awaiting_follow_up
        return query.filter(awaiting if value == "1" else not_(awaiting))

    def operation(self):
        return "is"


def _follow_up(view, context, model, name):
    if model.follow_up_on is None:
        return ""
    if model.followed_up_on is not None:
        return f"{model.follow_up_on:%d/%m/%Y} (done {model.followed_up_on:%d/%m/%Y})"
    late = " overdue" if model.follow_up_on < today() else ""
    return f"{model.follow_up_on:%d/%m/%Y}{late}"


def _not_the_patient(form) -> bool:
    return form["party"].data not in (None, "", ContactParty.patient.value)


class ContactLogView(SecureModelView):
    """Every contact the coordinator had about a patient: when, with whom, how, what was said, what follows."""

    column_list = ["patient", "contacted_at", "party", "with_name", "method", "summary", "follow_up"]
    column_labels = {
        "patient": "Patient",
        "contacted_at": "When",
        "party": "With",
        "with_name": "Name",
        "method": "How",
        "summary": "Summary",
        "follow_up_on": "Follow-up due",
        "followed_up_on": "Followed up on",
        "follow_up": "Follow-up",
        "by": "Logged by",
        "by.name": "Logged by",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
    }
    column_descriptions = {
        "with_name": "The carer, referrer or service by name (may be left blank only for the patient).",
        "follow_up_on": "Leave blank when nothing follows.",
        "by": "Left blank, it is you.",
    }
    column_formatters = {"patient": patient_link, "summary": short_text(), "follow_up": _follow_up}
    column_formatters_detail = {"patient": patient_link}
    column_formatters_export = {"follow_up": _follow_up}
    column_searchable_list = ["patient.family_name", "patient.nhs_number", "with_name", "summary"]
    column_filters = [
        AwaitingFollowUpFilter(), "party", "method", "contacted_at", "follow_up_on", "by.name",
        HeldByFilter(ContactLogEntry),
    ]  # fmt: skip
    column_sortable_list = ["contacted_at", "party", "method", "follow_up_on"]
    column_default_sort = [("contacted_at", True), ("id", True)]
    column_details_extra = ("by",)
    form_columns = [
        "patient",
        "contacted_at",
        "party",
        "with_name",
        "method",
        "summary",
        "follow_up_on",
        "followed_up_on",
    ]
    form_args = {
        "with_name": {"validators": [required_when(_not_the_patient, "Name the person or service.")]},
    }
    form_ajax_refs = {"patient": PATIENT}

    def on_model_change(self, form, model, is_created):
        """Logged and edited through the contacts service (named unless the patient, follow-up dates in order)."""
        if is_created:
            log_contact(model, current_user)
        else:
            update_contact(model, current_user)

    def is_action_allowed(self, name: str) -> bool:
        if name == "followed_up":
            return self._allowed(STAFF)
        return super().is_action_allowed(name)

    @action("followed_up", "Follow-up done (today)", "Mark the selected contacts as followed up today?")
    def action_followed_up(self, ids):
        entries = self.rows(ids)

        def complete_all():
            for entry in entries:
                complete_follow_up(entry, current_user)

        self.perform(complete_all, f"{plural(len(entries), 'follow-up')} done.")


def register(admin) -> None:
    admin.add_view(ContactLogView(ContactLogEntry, db, name="Contact log", category="Patients", endpoint="contact_log"))
