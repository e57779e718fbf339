"""Availability polls: candidate slots, a personal link per member (no sign-in), the answers as a grid."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from formats.dates import format_datetime, format_slot
from models import (
    AvailabilityPoll,
    Contact,
    DomainError,
    Locality,
    Meeting,
    PollInvitation,
    PollSlot,
    PollStatus,
    User,
    db,
    utcnow,
)
from services import audit
from services.calendar import refuse_days_off
from services.links import LinkRefused
from services.outbox import queue_email
from services.scheduling import book_meeting, members_of

_SALT = "availability-poll"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def link_token(invitation: PollInvitation) -> str:
    """Signed (poll id, random token): unguessable, and useless for any other poll."""
    return _serializer().dumps([invitation.poll_id, invitation.token])


def poll_link(invitation: PollInvitation) -> str:
    """The member's link, on the public address (PUBLIC_BASE_URL), not whatever host the request came in on."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/availability/{invitation.poll_id}/{link_token(invitation)}"


def invitation_for_link(poll_id: int, token: str) -> PollInvitation:
    """The invitation a link stands for, or LinkRefused saying why in words a member understands."""
    try:
        signed_poll_id, random_part = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise LinkRefused("This link is not valid. Please use the link in your email exactly as it was sent.") from None
    if signed_poll_id != poll_id:
        raise LinkRefused("This link belongs to a different meeting poll.")
    invitation = db.session.scalars(db.select(PollInvitation).where(PollInvitation.token == random_part)).first()
    if invitation is None or invitation.poll_id != poll_id:
        raise LinkRefused("This link is not valid. Please use the link in your email exactly as it was sent.")
    poll = invitation.poll
    if poll.status != PollStatus.open:
        raise LinkRefused(
            "This poll has closed: the meeting has been booked. Your invitation will arrive separately.", status=410
        )
    if poll.closes_at <= utcnow():
        raise LinkRefused(
            "This link has expired. Please contact the ILR coordinator if you still want to give your availability.",
            status=410,
        )
    return invitation


def _send_link(invitation: PollInvitation) -> None:
    poll = invitation.poll
    slots = "\n".join(f"  - {format_slot(s.starts_at)}" for s in poll.slots)
    body = (
        f"Dear {invitation.contact.name},\n\nWe are arranging the {poll.locality.name} Integrated Locality Review. "
        f"Please tick the times you can make:\n\n{poll_link(invitation)}\n\nThe times offered (UK time):\n{slots}\n\n"
        f"The link works until {format_datetime(poll.closes_at)} and needs no sign-in.\n\nILR Coordinator"
    )
    queue_email(
        invitation.contact.email,
        f"When can you make the {poll.locality.name} ILR?",
        body,
        purpose="availability",
        contains_patient_data=False,
    )
    invitation.sent_count += 1


def create_poll(
    locality: Locality,
    starts: list[datetime],
    closes_at: datetime,
    by: User,
    *,
    title: str | None = None,
    duration_minutes: int = 120,
    day_off_confirmed: bool = False,
) -> AvailabilityPoll:
    """Propose slots and email every member their own link. No patient data goes in these emails. A time on a
    weekend or bank holiday is offered only when the person said it is meant (`day_off_confirmed`)."""
    starts = sorted(set(starts))
    if len(starts) < 2:
        raise DomainError("Offer at least two times.")
    if any(s <= utcnow() for s in starts):
        raise DomainError("Every time offered must be in the future.")
    if closes_at <= utcnow() or closes_at > starts[0]:
        raise DomainError("The poll must close in the future, before the first time offered.")
    refuse_days_off(starts, day_off_confirmed)
    members = members_of(locality)
    if not members:
        raise DomainError(f"{locality.name} has no meeting members to ask. Add members first.")
    poll = AvailabilityPoll(
        locality=locality,
        title=title or f"{locality.name} ILR",
        closes_at=closes_at,
        created_by_id=by.id,
        duration_minutes=duration_minutes,
        slots=[PollSlot(starts_at=s) for s in starts],
    )
    poll.invitations = [PollInvitation(contact=c, token=secrets.token_urlsafe(24)) for c in members]
    db.session.add(poll)
    with audit.reason(f"Availability poll created by {by.name}"):
        db.session.flush()
    for invitation in poll.invitations:
        _send_link(invitation)
    db.session.flush()
    return poll


def resend_link(invitation: PollInvitation, by: User) -> None:
    if invitation.poll.status != PollStatus.open:
        raise DomainError("This poll has closed.")
    with audit.reason(f"Availability link re-sent by {by.name}"):
        _send_link(invitation)
        db.session.flush()


def answer_poll(invitation: PollInvitation, slot_ids: list[int]) -> None:
    """A member's answer (replacing any earlier one); only the poll's own slots count."""
    valid = {s.id for s in invitation.poll.slots}
    chosen = sorted({i for i in slot_ids if i in valid})
    with audit.reason(f"Availability given by {invitation.contact.name} through their link"):
        invitation.available_slot_ids = ",".join(map(str, chosen))
        invitation.answered_at = utcnow()
        db.session.flush()


@dataclass
class GridRow:
    contact: Contact
    answered: bool
    available: set[int]
    invitation: PollInvitation


def poll_grid(poll: AvailabilityPoll) -> tuple[list[GridRow], dict[int, int]]:
    """Who can make which slot, and how many can make each."""
    rows = [
        GridRow(i.contact, i.answered_at is not None, i.slot_ids, i)
        for i in sorted(poll.invitations, key=lambda i: i.contact.name)
    ]
    counts = {s.id: sum(s.id in r.available for r in rows) for s in poll.slots}
    return rows, counts


def book_from_poll(
    poll: AvailabilityPoll,
    slot: PollSlot,
    by: User,
    *,
    teams_link: str | None = None,
    chair: Contact | None = None,
    day_off_confirmed: bool = False,
) -> Meeting:
    """Book the chosen slot, chaired by one of the members (by default the locality's standing chair): the meeting is
    created and every member invited; the poll closes. A weekend or bank-holiday slot is confirmed again."""
    if poll.status != PollStatus.open:
        raise DomainError("This poll is already closed.")
    if slot.poll_id != poll.id:
        raise DomainError("That time is not one of this poll's.")
    meeting = book_meeting(
        poll.locality, slot.starts_at, by, duration_minutes=poll.duration_minutes, teams_link=teams_link, chair=chair,
        day_off_confirmed=day_off_confirmed,
    )  # fmt: skip
    with audit.reason(f"Poll booked as meeting {meeting.id} by {by.name}"):
        poll.status = PollStatus.booked
        poll.meeting = meeting
        db.session.flush()
    return meeting
