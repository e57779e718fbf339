"""The home page's meetings: the next meeting of each locality (staff) and a partner's upcoming meetings.

Each in a fixed number of queries however many meetings there are (see services/home.py for the shape).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, joinedload

from access import row_filters
from formats.dates import format_date, format_slot, today
from models import (
    AgendaItem,
    AvailabilityPoll,
    Episode,
    Locality,
    Meeting,
    MeetingStatus,
    OutboxEmail,
    PollInvitation,
    PollStatus,
    User,
    db,
    utcnow,
)
from models.system import DocumentKind
from services.home import SHOWN, HomeList, Line, Target
from services.meeting_room import cutoff_for

#: Meetings still to come: booked or planned, not cancelled or held.
COMING = (MeetingStatus.planned, MeetingStatus.booked)


def _localities(user: User, holder_id: int | None) -> list[Locality]:
    """A coordinator's localities (where their open cases are), or every live one (the team lead, or a coordinator
    with no case yet)."""
    live = select(Locality).where(*row_filters(Locality, user)).order_by(Locality.name, Locality.id)
    if holder_id is not None:
        theirs = select(Episode.locality_id).where(
            Episode.coordinator_id == holder_id, Episode.closed_on.is_(None), Episode.archived_at.is_(None)
        )
        found = list(db.session.scalars(live.where(Locality.id.in_(theirs)).limit(SHOWN)))
        if found:
            return found
    return list(db.session.scalars(live.limit(SHOWN)))


def _coming(meeting) -> tuple:
    """A meeting (or an alias of it) still to come: booked or planned, and live."""
    return meeting.status.in_(COMING), meeting.archived_at.is_(None)


def _next_meetings(user: User, locality_ids: list[int]) -> dict[int, Meeting]:
    """Each locality's next meeting (by locality id), in one query: each locality's first start still to come, read
    in the (locality, start) index, then its meeting (not a search for the first start for every meeting held)."""
    later = aliased(Meeting)
    first = (
        select(later.locality_id, func.min(later.starts_at).label("starts_at"))
        .where(later.locality_id.in_(locality_ids), later.starts_at >= utcnow(), *_coming(later))
        .group_by(later.locality_id)
        .subquery()
    )
    query = (
        select(Meeting)
        .join(first, and_(Meeting.locality_id == first.c.locality_id, Meeting.starts_at == first.c.starts_at))
        .where(*_coming(Meeting), *row_filters(Meeting, user))
    )
    found: dict[int, Meeting] = {}
    for meeting in db.session.scalars(query.order_by(Meeting.id)):
        found.setdefault(meeting.locality_id, meeting)
    return found


def agenda_sent_on(meeting_ids: list[int]) -> dict[int, date]:
    """When each meeting's agenda was first emailed to its members (by meeting id), in one query."""
    if not meeting_ids:
        return {}
    rows = db.session.execute(
        select(OutboxEmail.meeting_id, func.min(OutboxEmail.created_at))
        .where(OutboxEmail.meeting_id.in_(meeting_ids), OutboxEmail.purpose == DocumentKind.agenda.value)
        .group_by(OutboxEmail.meeting_id)
    )
    return {meeting_id: at.date() for meeting_id, at in rows}


def _listed(meeting_ids: list[int]) -> dict[int, int]:
    if not meeting_ids:
        return {}
    rows = db.session.execute(
        select(AgendaItem.meeting_id, func.count())
        .where(AgendaItem.meeting_id.in_(meeting_ids), AgendaItem.archived_at.is_(None))
        .group_by(AgendaItem.meeting_id)
    )
    return dict(rows.all())


def _unanswered(locality_ids: list[int]) -> dict[int, int]:
    """Availability answers still outstanding on each locality's open polls."""
    rows = db.session.execute(
        select(AvailabilityPoll.locality_id, func.count())
        .join(PollInvitation, PollInvitation.poll_id == AvailabilityPoll.id)
        .where(
            AvailabilityPoll.locality_id.in_(locality_ids),
            AvailabilityPoll.status == PollStatus.open,
            PollInvitation.answered_at.is_(None),
        )  # fmt: skip
        .group_by(AvailabilityPoll.locality_id)
    )
    return dict(rows.all())


def _agenda_state(meeting: Meeting, listed: int, on: date) -> tuple[str, bool]:
    cutoff = cutoff_for(meeting)
    cases = f"{listed} case{'' if listed == 1 else 's'} listed"
    if on > cutoff:
        return f"{cases}; the cut-off ({format_date(cutoff)}) has passed", True
    return f"{cases}; additions until {format_date(cutoff)}", False


def next_meetings(user: User, holder_id: int | None, on: date | None = None) -> HomeList:
    """The next meeting of each of the coordinator's localities: date, agenda against its cut-off, availability answers
    outstanding, agenda not yet sent."""
    on = on or today()
    localities = _localities(user, holder_id)
    ids = [loc.id for loc in localities]
    meetings = _next_meetings(user, ids)
    meeting_ids = [m.id for m in meetings.values()]
    listed, sent, unanswered = _listed(meeting_ids), agenda_sent_on(meeting_ids), _unanswered(ids)
    lines = []
    for locality in localities:
        waiting = unanswered.get(locality.id, 0)
        answers = [f"{waiting} availability answer{'' if waiting == 1 else 's'} outstanding"] if waiting else []
        meeting = meetings.get(locality.id)
        if meeting is None:
            detail = "; ".join(["no meeting booked", *answers])
            lines.append(Line(f"{locality.name}", detail, Target("scheduling.index"), flagged=True))
            continue
        agenda, late = _agenda_state(meeting, listed.get(meeting.id, 0), on)
        agenda_sent = sent.get(meeting.id)
        sending = f"agenda sent {format_date(agenda_sent)}" if agenda_sent else "agenda not yet sent"
        detail = "; ".join([agenda, *answers, sending])
        text = f"{locality.name}: {format_slot(meeting.starts_at)}"
        lines.append(Line(text, detail, Target("meeting_room.meeting", {"meeting_id": meeting.id}), flagged=late))
    return HomeList("meetings", "Next meetings", len(lines), lines, Target("scheduling.index"),
                    "No locality is set up yet.", counted=False, link_text="Scheduling")  # fmt: skip


def partner_meetings(user: User) -> HomeList:
    """A partner's upcoming meetings, soonest first, with the agenda once sent."""
    query = (
        select(Meeting)
        .where(Meeting.status.in_(COMING), Meeting.starts_at >= utcnow(), *row_filters(Meeting, user))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    meetings = list(db.session.scalars(query.options(joinedload(Meeting.locality)).limit(SHOWN)))
    sent = agenda_sent_on([m.id for m in meetings])
    lines = [
        Line(
            f"{m.locality.name}: {format_slot(m.starts_at)}",
            f"agenda sent {format_date(sent[m.id])}" if m.id in sent else "agenda not yet sent",
            Target("meeting.details_view", {"id": m.id}),
        )  # fmt: skip
        for m in meetings
    ]
    return HomeList("partner_meetings", "Your upcoming meetings", len(lines), lines, Target("meeting.index_view"),
                    "No meeting is booked yet.", counted=False, link_text="All meetings")  # fmt: skip
