"""Meeting logistics: booking, moving and cancelling meetings, a weekly series, and the calendar invitations."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from formats.dates import LONDON, format_slot, to_london
from models import (
    Contact,
    DomainError,
    Locality,
    Meeting,
    MeetingMember,
    MeetingStatus,
    MemberRole,
    OutboxEmail,
    User,
    db,
    utcnow,
)
from services import audit
from services.calendar import refuse_days_off
from services.faults import maybe_crash
from services.outbox import queue_email

PRODID = "-//ILR Coordinator//Meetings//EN"
#: The outbox purposes of the emails that carry a meeting's calendar invitation.
INVITATION_PURPOSES = ("invitation", "cancellation")


def members_of(locality: Locality) -> list[Contact]:
    """The locality's standing members who have an email address."""
    return list(
        db.session.scalars(
            select(Contact)
            .join(MeetingMember)
            .where(
                MeetingMember.locality_id == locality.id,
                MeetingMember.archived_at.is_(None),
                Contact.archived_at.is_(None),
            )
            .order_by(Contact.name)
            .options(selectinload(Contact.organisation))
        )
    )


def members_by_locality() -> list[tuple[Locality, list[Contact]]]:
    """Every live locality with its standing members (those a chair is chosen from), by name, in one query."""
    rows = db.session.execute(
        select(Locality, Contact)
        .join(MeetingMember, MeetingMember.locality_id == Locality.id)
        .join(Contact, MeetingMember.contact_id == Contact.id)
        .where(Locality.archived_at.is_(None), MeetingMember.archived_at.is_(None), Contact.archived_at.is_(None))
        .order_by(Locality.name, Contact.name)
        .options(selectinload(Contact.organisation))
    )
    grouped: dict[int, tuple[Locality, list[Contact]]] = {}
    for locality, contact in rows:
        grouped.setdefault(locality.id, (locality, []))[1].append(contact)
    return list(grouped.values())


def standing_chair(locality: Locality) -> Contact | None:
    """The member the locality's meeting is usually chaired by (a standing member with the chair's role), if any."""
    return db.session.scalars(
        select(Contact)
        .join(MeetingMember)
        .where(
            MeetingMember.locality_id == locality.id,
            MeetingMember.member_role == MemberRole.chair,
            MeetingMember.archived_at.is_(None),
            Contact.archived_at.is_(None),
        )
        .order_by(MeetingMember.id)
    ).first()


def chair_for(locality: Locality, chair: Contact | None) -> Contact | None:
    """The chair a meeting of the locality is booked with: the one chosen, who must be one of its members, else the
    locality's standing chair (None when it has none: the chair is chosen later, in the meeting room)."""
    if chair is None:
        return standing_chair(locality)
    if chair.id not in {member.id for member in members_of(locality)}:
        raise DomainError(
            f"{chair.name} is not a member of the {locality.name} meeting: choose the chair from its members."
        )
    return chair


def organiser_address() -> str:
    """The invitations' ORGANIZER: MEETING_ORGANISER, by default the sending address (checked at start-up)."""
    return current_app.config["MEETING_ORGANISER"]


def meeting_ics(meeting: Meeting, attendees: list[Contact], method: str) -> str:
    """An iCalendar object for the meeting: METHOD REQUEST or CANCEL, times in Europe/London."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"ilr-meeting-{meeting.id}@{organiser_address().rsplit('@', 1)[-1]}")
    event.add("dtstamp", utcnow())
    start = meeting.starts_at.astimezone(LONDON)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.duration_minutes))
    event.add("summary", f"{meeting.locality.name} Integrated Locality Review")
    if meeting.teams_link:
        event.add("location", meeting.teams_link)
    event.add("description", f"Join on Microsoft Teams: {meeting.teams_link or 'link to follow'}")
    event.add("sequence", meeting.ics_sequence)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organiser = vCalAddress(f"mailto:{organiser_address()}")
    organiser.params["cn"] = vText("ILR Coordinator")
    event.add("organizer", organiser)
    for contact in attendees:
        attendee = vCalAddress(f"mailto:{contact.email}")
        attendee.params["cn"] = vText(contact.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def current_invitation(meeting: Meeting) -> str:
    """The invitation as members' calendars now hold it: a REQUEST, or the CANCEL once cancelled."""
    method = "CANCEL" if meeting.status == MeetingStatus.cancelled else "REQUEST"
    return meeting_ics(meeting, members_of(meeting.locality), method)


def invitation_sent_on(meeting: Meeting) -> date | None:
    """The London date the latest invitation (or cancellation) for the meeting was queued, if ever."""
    queued = db.session.scalar(
        select(func.max(OutboxEmail.created_at)).where(
            OutboxEmail.meeting_id == meeting.id, OutboxEmail.purpose.in_(INVITATION_PURPOSES)
        )
    )
    return to_london(queued).date() if queued else None


def _send_invitations(meeting: Meeting, method: str, subject: str, lead: str) -> int:
    """One email per member, each with the calendar part. No patient data: any address may receive it."""
    members = members_of(meeting.locality)
    ics = meeting_ics(meeting, members, method)
    when = format_slot(meeting.starts_at)
    for contact in members:
        body = (
            f"Dear {contact.name},\n\n{lead}\n\nWhen: {when} (UK time), {meeting.duration_minutes} minutes\n"
            f"Where: Microsoft Teams {meeting.teams_link or '(link to follow)'}\n\nILR Coordinator"
        )
        queue_email(
            contact.email,
            subject,
            body,
            purpose="invitation" if method == "REQUEST" else "cancellation",
            contains_patient_data=False,
            ics=ics,
            meeting=meeting,
        )
    return len(members)


def book_meeting(
    locality: Locality,
    starts_at: datetime,
    by: User,
    *,
    duration_minutes: int = 120,
    teams_link: str | None = None,
    chair: Contact | None = None,
    day_off_confirmed: bool = False,
) -> Meeting:
    """Book a meeting and invite every member (.ics METHOD:REQUEST); its chair is one of the members, by default the
    locality's standing chair. A weekend or bank-holiday time only when the person said it is meant."""
    if starts_at <= utcnow():
        raise DomainError("A meeting can only be booked for a time in the future.")
    chair = chair_for(locality, chair)
    refuse_days_off([starts_at], day_off_confirmed)
    meeting = Meeting(
        locality=locality,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        teams_link=teams_link,
        chair=chair,
        status=MeetingStatus.booked,
        ics_sequence=0,
    )
    db.session.add(meeting)
    with audit.reason(f"Meeting booked by {by.name}"):
        db.session.flush()
    _send_invitations(
        meeting,
        "REQUEST",
        f"Invitation: {locality.name} ILR, {format_slot(starts_at)}",
        f"You are invited to the {locality.name} Integrated Locality Review.",
    )
    return meeting


def move_meeting(meeting: Meeting, starts_at: datetime, by: User, *, day_off_confirmed: bool = False) -> Meeting:
    """A new time: the invitation goes again with a higher SEQUENCE, so calendars update it. A weekend or bank-holiday
    time only when the person said it is meant."""
    if meeting.status in (MeetingStatus.cancelled, MeetingStatus.held):
        raise DomainError(f"This meeting is {meeting.status.label.lower()}: it cannot be moved.")
    if starts_at <= utcnow():
        raise DomainError("A meeting can only be moved to a time in the future.")
    refuse_days_off([starts_at], day_off_confirmed)
    with audit.reason(f"Meeting moved by {by.name}"):
        meeting.starts_at = starts_at
        meeting.ics_sequence += 1
        db.session.flush()
    _send_invitations(
        meeting,
        "REQUEST",
        f"Updated: {meeting.locality.name} ILR now {format_slot(starts_at)}",
        f"The {meeting.locality.name} Integrated Locality Review has moved.",
    )
    return meeting


def cancel_meeting(meeting: Meeting, by: User, why: str | None = None) -> Meeting:
    """Cancel: members' calendars remove it (.ics METHOD:CANCEL)."""
    if meeting.status in (MeetingStatus.cancelled, MeetingStatus.held):
        raise DomainError(f"This meeting is already {meeting.status.label.lower()}.")
    with audit.reason(f"Meeting cancelled by {by.name}" + (f": {why}" if why else "")):
        meeting.status = MeetingStatus.cancelled
        meeting.ics_sequence += 1
        db.session.flush()
    _send_invitations(
        meeting,
        "CANCEL",
        f"Cancelled: {meeting.locality.name} ILR, {format_slot(meeting.starts_at)}",
        f"The {meeting.locality.name} Integrated Locality Review has been cancelled." + (f" {why}" if why else ""),
    )
    return meeting


def book_weekly_series(
    locality: Locality, first_starts_at: datetime, weeks: int, by: User, *, day_off_confirmed: bool = False, **details
) -> list[Meeting]:
    """Book the same weekday and London time for several weeks (summer time handled: 10:00 stays 10:00); every
    meeting of the series has the series' chair and Teams link (`details`). Weeks that fall on a bank holiday (or a
    series on a weekend) are named, and booked only when the person said they are meant."""
    if not 1 <= weeks <= 52:
        raise DomainError("A series is 1 to 52 weeks.")
    first_local = first_starts_at.astimezone(LONDON)
    times = [(first_local.replace(tzinfo=None) + timedelta(weeks=n)).replace(tzinfo=LONDON) for n in range(weeks)]
    if first_starts_at <= utcnow():
        raise DomainError("A meeting can only be booked for a time in the future.")
    refuse_days_off(times, day_off_confirmed)
    booked = []
    for n, starts_at in enumerate(times):
        booked.append(book_meeting(locality, starts_at, by, day_off_confirmed=True, **details))
        if n == 0:
            maybe_crash("mid-write")  # the crash-safety test: half the series flushed, nothing yet committed
    return booked
