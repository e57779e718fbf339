"""Screens for localities and their members, meetings, agendas (case discussions) and attendance."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import inspect
from sqlalchemy.orm import joinedload
from wtforms.validators import URL, Email, NumberRange, Optional, ValidationError

from access import NOBODY, PARTNER, READERS, TEAM_LEAD
from admin.base import SecureModelView
from admin.formatters import patient_link, short_text
from admin.lookups import CONTACT, ORGANISATION, PATIENT, USER, ByPatientLoader, MeetingLoader, localities
from formats.dates import LONDON, format_slot
from models import (
    AgendaItem,
    Attendance,
    Contact,
    DomainError,
    Episode,
    Locality,
    Meeting,
    MeetingMember,
    MeetingStatus,
    Referral,
    db,
)
from web.forms import not_taken, same_patient, unique

MEETING = MeetingLoader("meeting")
BOOKED_ELSEWHERE = (
    "Members have been invited to this meeting: {}, from the meeting's Scheduling page, so their calendars are updated."
)


def meeting_day(meeting: Meeting) -> date:
    """The meeting's date in London."""
    return meeting.starts_at.astimezone(LONDON).date()


def _to_the_minute(moment: datetime) -> datetime:
    """What the form's date-and-time box can hold: a time saved with seconds is not "moved" by an unchanged form."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def meeting_after_referral(form, field):
    """A case cannot be discussed at a meeting held before its referral arrived."""
    meeting, referral = form["meeting"].data, field.data
    if meeting is not None and referral is not None and meeting_day(meeting) < referral.received_on:
        raise ValidationError(
            f"This meeting ({meeting_day(meeting):%d/%m/%Y}) is before the referral was received "
            f"({referral.received_on:%d/%m/%Y}): choose a later meeting or another referral."
        )


class LocalityView(SecureModelView):
    """The areas an ILR serves; the team lead keeps the list."""

    roles_create = TEAM_LEAD
    roles_edit = TEAM_LEAD
    roles_archive = TEAM_LEAD

    column_list = ["name", "updated_at"]
    column_labels = {"name": "Name"}
    column_searchable_list = ["name"]
    column_filters = ["name"]
    column_default_sort = "name"
    column_details_extra = ("practices",)
    form_columns = ["name"]
    form_args = {"name": {"validators": [unique(Locality, "name", "Another locality already has this name.")]}}


class ContactView(SecureModelView):
    """People at organisations with an email address: members, presenters, action owners."""

    roles_archive = TEAM_LEAD

    column_list = ["name", "job_title", "organisation", "email", "phone"]
    column_labels = {
        "name": "Name",
        "job_title": "Job title",
        "organisation": "Organisation",
        "organisation.name": "Organisation",
        "organisation.type": "Type of organisation",
        "email": "Email",
        "phone": "Phone",
        "user": "Sign-in account",
    }
    column_descriptions = {"user": "The contact's own sign-in, when they have one."}
    column_searchable_list = ["name", "email", "organisation.name"]
    column_filters = ["organisation.name", "organisation.type", "job_title"]
    column_sortable_list = ["name", "email", ("organisation", "organisation.name")]
    column_default_sort = "name"
    form_columns = ["name", "job_title", "organisation", "email", "phone", "user"]
    form_args = {
        "email": {"validators": [Email(message="Enter a valid email address.")]},
        "user": {"validators": [unique(Contact, "user", "This sign-in account already belongs to another contact.")]},
    }
    form_ajax_refs = {"organisation": ORGANISATION, "user": USER}


class MeetingMemberView(SecureModelView):
    """Who sits on each locality's meeting; the team lead keeps the list."""

    roles_create = TEAM_LEAD
    roles_edit = TEAM_LEAD
    roles_archive = TEAM_LEAD

    column_list = ["locality", "contact", "member_role"]
    column_labels = {
        "locality": "Locality",
        "locality.name": "Locality",
        "contact": "Member",
        "contact.name": "Member",
        "contact.email": "Member's email",
        "member_role": "Role",
    }
    column_searchable_list = ["contact.name", "contact.email"]
    column_filters = ["locality.name", "member_role", "contact.name"]
    column_sortable_list = [("locality", "locality.name"), ("contact", "contact.name"), "member_role"]
    column_default_sort = [("locality_id", False), ("id", False)]
    form_columns = ["locality", "contact", "member_role"]
    form_args = {
        "locality": {"query_factory": localities},
        "contact": {
            "validators": [
                not_taken(
                    MeetingMember,
                    "locality",
                    "This contact is already a member of this locality's meeting (perhaps archived: "
                    "the team lead can restore it).",
                )
            ]
        },
    }
    form_ajax_refs = {"contact": CONTACT}

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return super().get_query().options(joinedload(MeetingMember.contact).joinedload(Contact.organisation))


class MeetingView(SecureModelView):
    """Every meeting. Booking, moving and cancelling, which email the members, happen on the Scheduling page."""

    roles_view = READERS | PARTNER  # a partner: the meetings of localities they sit on (access.py)

    column_list = ["starts_at", "locality", "status", "duration_minutes", "chair"]
    column_labels = {
        "starts_at": "Date and time",
        "locality": "Locality",
        "locality.name": "Locality",
        "status": "Status",
        "duration_minutes": "Length (minutes)",
        "chair": "Chair",
        "teams_link": "Teams link",
    }
    column_descriptions = {
        "status": "Book, move or cancel a meeting on the Scheduling page so members are invited or told."
    }
    #: A booked time with its weekday ("Tuesday 14/01/2027 10:00"), so a weekend meeting stands out.
    column_formatters = {"starts_at": lambda view, context, model, name: format_slot(model.starts_at)}
    column_searchable_list = ["locality.name"]
    column_filters = ["locality.name", "status", "starts_at"]
    column_sortable_list = ["starts_at", "status", ("locality", "locality.name")]
    column_default_sort = [("starts_at", True), ("id", True)]
    form_columns = ["locality", "starts_at", "duration_minutes", "chair", "teams_link", "status"]
    form_args = {
        "locality": {"query_factory": localities},
        "duration_minutes": {
            "validators": [NumberRange(min=1, max=600, message="A meeting lasts from 1 to 600 minutes.")]
        },
        "teams_link": {"validators": [Optional(), URL(message="Enter the whole Teams link, starting https://.")]},
    }
    form_ajax_refs = {"chair": CONTACT}

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return super().get_query().options(joinedload(Meeting.chair).joinedload(Contact.organisation))

    def on_model_change(self, form, model, is_created):
        """Invitations are the Scheduling page's work: this screen does not book, move or cancel a booked meeting."""
        if is_created:
            if model.status == MeetingStatus.booked:
                raise DomainError(
                    "Book a meeting on the Scheduling page, which invites the members; here it can be planned or held."
                )
            return
        state = inspect(model).attrs
        was = state.status.history.deleted[0] if state.status.history.deleted else model.status
        if was == MeetingStatus.booked:
            before = state.starts_at.history.deleted[0] if state.starts_at.history.deleted else model.starts_at
            if _to_the_minute(before) != _to_the_minute(model.starts_at):
                raise DomainError(BOOKED_ELSEWHERE.format("move it"))
            if model.status == MeetingStatus.cancelled:
                raise DomainError(BOOKED_ELSEWHERE.format("cancel it"))
        elif model.status == MeetingStatus.booked:
            raise DomainError("Book a meeting on the Scheduling page, which invites the members.")


class AgendaItemView(SecureModelView):
    """Cases on meetings' agendas and, once discussed, their minutes (one per patient per meeting)."""

    column_list = ["meeting", "position", "patient", "status", "late_addition", "presenter", "outcome"]
    column_labels = {
        "meeting": "Meeting",
        "meeting.starts_at": "Meeting date",
        "meeting.locality.name": "Locality",
        "patient": "Patient",
        "episode": "Episode",
        "referral": "Referral",
        "position": "Order",
        "slot_starts_at": "Time slot",
        "presenter": "Presenting professional",
        "presenter.name": "Presenter",
        "late_addition": "Late addition",
        "status": "Status",
        "summary": "Summary",
        "discussion": "Discussion",
        "outcome": "Outcome",
        "decisions": "Decisions",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
    }
    column_descriptions = {"late_addition": "Added after the cut-off before the meeting."}
    column_formatters = {"patient": patient_link, "outcome": short_text()}
    column_formatters_detail = {"patient": patient_link}
    column_searchable_list = ["patient.family_name", "patient.nhs_number", "outcome"]
    column_filters = ["status", "late_addition", "meeting.starts_at", "meeting.locality.name", "presenter.name"]
    column_sortable_list = ["position", "status", ("meeting", "meeting.starts_at")]
    column_default_sort = [("meeting_id", True), ("position", False)]
    column_export_list = [
        "meeting",
        "position",
        "patient",
        "status",
        "late_addition",
        "presenter",
        "outcome",
        "decisions",
    ]
    form_columns = [
        "meeting",
        "patient",
        "episode",
        "referral",
        "position",
        "slot_starts_at",
        "presenter",
        "late_addition",
        "status",
        "summary",
        "discussion",
        "outcome",
        "decisions",
    ]
    form_args = {
        "patient": {
            "validators": [not_taken(AgendaItem, "meeting", "This patient is already on this meeting's agenda.")]
        },
        "episode": {"validators": [same_patient("episode")]},
        "referral": {"validators": [same_patient("referral"), meeting_after_referral]},
    }
    form_ajax_refs = {
        "meeting": MEETING,
        "patient": PATIENT,
        "episode": ByPatientLoader("episode", Episode),
        "referral": ByPatientLoader("referral", Referral),
        "presenter": CONTACT,
    }

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return (
            super()
            .get_query()
            .options(
                joinedload(AgendaItem.meeting).joinedload(Meeting.locality),
                joinedload(AgendaItem.presenter).joinedload(Contact.organisation),
            )
        )


class AttendanceView(SecureModelView):
    """The register: who was invited, came, sent apologies or was absent."""

    roles_archive = NOBODY

    column_list = ["meeting", "contact", "status"]
    column_labels = {
        "meeting": "Meeting",
        "meeting.starts_at": "Meeting date",
        "meeting.locality.name": "Locality",
        "contact": "Member",
        "contact.name": "Member",
        "contact.email": "Member's email",
        "status": "Attendance",
    }
    column_searchable_list = ["contact.name", "contact.email"]
    column_filters = ["status", "meeting.starts_at", "meeting.locality.name", "contact.name"]
    column_sortable_list = ["status", ("meeting", "meeting.starts_at"), ("contact", "contact.name")]
    column_default_sort = [("meeting_id", True), ("id", False)]
    form_columns = ["meeting", "contact", "status"]
    form_args = {
        "contact": {
            "validators": [not_taken(Attendance, "meeting", "This member is already on this meeting's register.")]
        }
    }
    form_ajax_refs = {"meeting": MEETING, "contact": CONTACT}

    #: Rows leave the lists with their archived parent.

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        return (
            super()
            .get_query()
            .options(
                joinedload(Attendance.meeting).joinedload(Meeting.locality),
                joinedload(Attendance.contact).joinedload(Contact.organisation),
            )
        )


def register(admin) -> None:
    admin.add_view(MeetingView(Meeting, db, name="Meetings", category="Meetings", endpoint="meeting"))
    admin.add_view(
        AgendaItemView(AgendaItem, db, name="Agenda items and minutes", category="Meetings", endpoint="agenda_item")
    )
    admin.add_view(AttendanceView(Attendance, db, name="Attendance", category="Meetings", endpoint="attendance"))
    admin.add_view(LocalityView(Locality, db, name="Localities", category="Administration", endpoint="locality"))
    admin.add_view(
        MeetingMemberView(
            MeetingMember, db, name="Meeting members", category="Administration", endpoint="meeting_member"
        )
    )
    admin.add_view(ContactView(Contact, db, name="Contacts", category="Administration", endpoint="contact"))
