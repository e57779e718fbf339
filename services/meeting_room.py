"""The meeting itself: agenda, attendance, minutes per case, actions agreed, rollover of cases not reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from formats.dates import LONDON, format_slot, today
from models import (
    Action,
    ActionStatus,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CarePlan,
    CaseStatus,
    Contact,
    DomainError,
    Episode,
    Meeting,
    MeetingStatus,
    Organisation,
    Patient,
    Referral,
    SafeguardingConcern,
    User,
    db,
    utcnow,
)
from services import actions, audit, minutes_trail
from services.calendar import bank_holidays
from services.scheduling import chair_for
from services.settings import AGENDA_CUTOFF, get_setting


def working_days_before(day: date, count: int) -> date:
    """The date `count` working days before `day` (weekends and England & Wales bank holidays skipped)."""
    closed = bank_holidays(day.year - 1, day.year)
    current = day
    while count > 0:
        current -= timedelta(days=1)
        if current.weekday() < 5 and current not in closed:
            count -= 1
    return current


def cutoff_for(meeting: Meeting) -> date:
    """The last day for additions before they count as late (a team-lead setting, default two working days)."""
    days = int(get_setting(AGENDA_CUTOFF))
    return working_days_before(meeting.starts_at.astimezone(LONDON).date(), days)


def is_late(meeting: Meeting, on: date) -> bool:
    """Added after the cut-off day."""
    return on > cutoff_for(meeting)


def candidates_for(meeting: Meeting) -> list[Episode]:
    """Open episodes in the meeting's locality that are new (never discussed) or due for review, not yet listed."""
    meeting_day = meeting.starts_at.astimezone(LONDON).date()
    listed = select(AgendaItem.patient_id).where(AgendaItem.meeting_id == meeting.id)
    discussed = select(AgendaItem.episode_id).where(
        AgendaItem.status == CaseStatus.discussed, AgendaItem.episode_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(Episode)
            .join(Patient, Episode.patient_id == Patient.id)
            .where(
                Episode.locality_id == meeting.locality_id,
                Episode.closed_on.is_(None),
                Episode.archived_at.is_(None),
                Episode.patient_id.not_in(listed),
                Patient.may_be_contacted,
                (Episode.id.not_in(discussed)) | (Episode.review_on <= meeting_day),
            )
            .order_by(Patient.risk_score.desc(), Episode.opened_on)
            .options(contains_eager(Episode.patient))
        )
    )


def agenda_items(meeting: Meeting) -> list[AgendaItem]:
    """The meeting's live cases in order, with their patients and presenters loaded in one go."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.archived_at.is_(None))
            .order_by(AgendaItem.position, AgendaItem.id)
            .options(
                selectinload(AgendaItem.patient),
                selectinload(AgendaItem.presenter),
                selectinload(AgendaItem.actions).selectinload(Action.owner_organisation),
                selectinload(AgendaItem.actions).selectinload(Action.owner_contact),
            )
        )
    )


def add_case_to_agenda(meeting: Meeting, episode: Episode, by: User, on: date | None = None) -> AgendaItem:
    """List a case: flagged late after the cut-off; refused for a patient who died or withdrew consent."""
    if meeting.status in (MeetingStatus.held, MeetingStatus.cancelled):
        raise DomainError(f"This meeting is {meeting.status.label.lower()}: cases cannot be added.")
    patient = episode.patient
    if not episode.is_open or episode.archived_at is not None or patient.archived_at is not None:
        raise DomainError(f"{patient} is not open to the ILR: only open cases can be listed.")
    if episode.locality_id != meeting.locality_id:
        raise DomainError(
            f"{patient} is on {episode.locality}'s caseload, not {meeting.locality}'s: their details stay with "
            "their own locality's meeting."
        )
    if not patient.may_be_contacted:
        raise DomainError(f"{patient} cannot be listed: {patient.contact_barrier}")
    if db.session.scalar(
        select(func.count())
        .select_from(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.patient_id == patient.id)
    ):
        raise DomainError(f"{patient} is already on this agenda.")
    position = (
        db.session.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)) or 0
    ) + 1
    late = is_late(meeting, on or today())
    item = AgendaItem(
        meeting=meeting,
        patient_id=patient.id,
        episode=episode,
        referral_id=episode.referral_id,
        position=position,
        late_addition=late,
    )
    db.session.add(item)
    with audit.reason(f"Listed by {by.name}" + (" after the cut-off (late addition)" if late else "")):
        db.session.flush()
    return item


@dataclass(frozen=True)
class AgendaPlace:
    """One row of the agenda table as edited: the case's place, time slot and presenting professional."""

    item_id: int
    position: int
    slot: time | None = None
    presenter_id: int | None = None


def set_agenda_order(meeting: Meeting, places: list[AgendaPlace], by: User) -> None:
    """Put the cases in the given order (every case of this meeting once), with their slots and presenters."""
    items = {i.id: i for i in meeting.agenda if i.archived_at is None}
    if sorted(p.item_id for p in places) != sorted(items):
        raise DomainError("The new order must list every case on this agenda once.")
    day = meeting.starts_at.astimezone(LONDON).date()
    ordered = sorted(places, key=lambda p: (p.position, p.item_id))
    with audit.reason(f"Agenda reordered by {by.name}"):
        for position, place in enumerate(ordered, start=1):
            item = items[place.item_id]
            slot = datetime.combine(day, place.slot, tzinfo=LONDON) if place.slot else item.slot_starts_at
            for name, value in (("position", position), ("slot_starts_at", slot), ("presenter_id", place.presenter_id)):
                if getattr(item, name) != value:
                    setattr(item, name, value)
        db.session.flush()


def open_safeguarding_patient_ids(patient_ids: list[int]) -> set[int]:
    """Which of these patients have an open safeguarding concern (shown as a flag on their case)."""
    if not patient_ids:
        return set()
    return set(
        db.session.scalars(
            select(SafeguardingConcern.patient_id).where(
                SafeguardingConcern.patient_id.in_(patient_ids),
                SafeguardingConcern.closed_on.is_(None),
                SafeguardingConcern.archived_at.is_(None),
            )
        )
    )


def next_meeting(meeting: Meeting) -> Meeting | None:
    return db.session.scalars(
        select(Meeting)
        .where(
            Meeting.locality_id == meeting.locality_id,
            Meeting.starts_at > meeting.starts_at,
            Meeting.archived_at.is_(None),
            Meeting.status.in_([MeetingStatus.planned, MeetingStatus.booked]),
        )
        .order_by(Meeting.starts_at)
    ).first()


def next_meeting_of(locality_id: int) -> Meeting | None:
    """A locality's next meeting: the first planned or booked one not yet started."""
    return db.session.scalars(
        select(Meeting)
        .where(
            Meeting.locality_id == locality_id,
            Meeting.starts_at > utcnow(),
            Meeting.archived_at.is_(None),
            Meeting.status.in_([MeetingStatus.planned, MeetingStatus.booked]),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).first()


def open_episode(patient: Patient) -> Episode | None:
    """The patient's open episode, if they are open to the ILR."""
    return db.session.scalars(
        select(Episode).where(
            Episode.patient_id == patient.id, Episode.closed_on.is_(None), Episode.archived_at.is_(None)
        )
    ).first()


def list_on_next_agenda(patient: Patient, by: User, on: date | None = None) -> AgendaItem:
    """From the patient's page: their case on the next meeting of their episode's locality (late after its cut-off).
    Refused in words when they are not open to the ILR, when the locality has no meeting booked, when they are already
    on it, or when they may not be listed (`add_case_to_agenda`)."""
    episode = open_episode(patient)
    if episode is None:
        raise DomainError(f"{patient} is not open to the ILR: only open cases can be listed.")
    meeting = next_meeting_of(episode.locality_id)
    if meeting is None:
        raise DomainError(
            f"{episode.locality} has no meeting booked: book one under Meetings (Scheduling), then list the case."
        )
    return add_case_to_agenda(meeting, episode, by, on)


def roll_over(meeting: Meeting, by: User) -> tuple[Meeting, list[AgendaItem]]:
    """Cases listed but not discussed move to the locality's next meeting, in one step."""
    target = next_meeting(meeting)
    if target is None:
        raise DomainError("There is no later meeting for this locality to roll cases over to. Book one first.")
    moved = []
    with audit.reason(f"Rolled over to the meeting of {target.starts_at.astimezone(LONDON):%d/%m/%Y} by {by.name}"):
        already = set(db.session.scalars(select(AgendaItem.patient_id).where(AgendaItem.meeting_id == target.id)))
        position = max([i.position for i in target.agenda], default=0)
        for item in meeting.agenda:
            if item.status not in (CaseStatus.listed, CaseStatus.not_reached) or item.archived_at:
                continue
            item.status = CaseStatus.rolled_over
            if item.patient_id in already:
                continue
            position += 1
            moved.append(
                AgendaItem(
                    meeting=target,
                    patient_id=item.patient_id,
                    episode_id=item.episode_id,
                    referral_id=item.referral_id,
                    position=position,
                    presenter_id=item.presenter_id,
                    summary=item.summary,
                )
            )
        db.session.add_all(moved)
        db.session.flush()
    return target, moved


def record_attendance(meeting: Meeting, statuses: dict[int, AttendanceStatus | str], by: User) -> None:
    """Set attended / apologies / absent by contact id (adding anyone not yet on the register)."""
    rows = {a.contact_id: a for a in meeting.attendance}
    with audit.reason(f"Attendance recorded by {by.name}"):
        for contact_id, status in statuses.items():
            status = AttendanceStatus(status)
            if contact_id in rows:
                if rows[contact_id].status != status:
                    rows[contact_id].status = status
            else:
                db.session.add(Attendance(meeting=meeting, contact_id=contact_id, status=status))
        db.session.flush()


#: The minute fields a coordinator types, in order.
MINUTE_FIELDS = ("summary", "discussion", "outcome", "decisions")
#: How long each may be (its column's length): the page counts down to it, and a save past it is refused.
MINUTE_LIMITS = {name: AgendaItem.__table__.c[name].type.length for name in MINUTE_FIELDS}
#: What a save of the minutes changes on a case, coalesced in the audit trail.
TRAIL_FIELDS = (*MINUTE_FIELDS, "status")


class MinutesChanged(DomainError):
    """Someone saved the case after this copy of the page was loaded: nothing of this save was kept."""

    def __init__(self, item: AgendaItem):
        super().__init__(
            "Someone else saved this case after you opened it, so your text was not saved. Both texts are on the "
            "page: keep yours, or copy what you need from theirs."
        )
        self.version = item.version
        self.theirs = {name: getattr(item, name) or "" for name in MINUTE_FIELDS}
        self.discussed = {CaseStatus.discussed: "yes", CaseStatus.not_reached: "no"}.get(item.status, "")


def save_minutes(
    item: AgendaItem,
    fields: dict[str, str],
    by: User,
    *,
    discussed: bool | None = None,
    expected_version: int | None = None,
    autosave: bool = False,
) -> AgendaItem:
    """Keep what was typed for a case (called as the coordinator types, and on save).

    With `expected_version` (the version the page was loaded with) a save over someone else's newer one
    is refused (MinutesChanged) rather than silently overwriting it. An `autosave` goes to the audit trail at most
    once every few minutes per case (services/minutes_trail.py); any other save writes the text as it stands.
    """
    if item.meeting.status == MeetingStatus.cancelled:
        raise DomainError("This meeting was cancelled.")
    if expected_version is not None and expected_version != item.version:
        raise MinutesChanged(item)
    if item.meeting.minute_taker_id is None:
        item.meeting.minute_taker_id = by.id
    trail = minutes_trail.coalesced(item, by, TRAIL_FIELDS, final=not autosave)
    with audit.reason(f"Minutes recorded by {by.name}"), trail:
        for name in MINUTE_FIELDS:
            if name in fields:
                value = (fields[name] or "").strip() or None
                limit = MINUTE_LIMITS[name]
                if value and len(value) > limit:
                    raise DomainError(
                        f"The {name} is too long: at most {limit:,} characters (this has {len(value):,})."
                    )
                if getattr(item, name) != value:
                    setattr(item, name, value)
        if discussed is not None:
            item.status = CaseStatus.discussed if discussed else CaseStatus.not_reached
        db.session.flush()
    return item


def add_action(
    item: AgendaItem,
    description: str,
    owner_organisation: Organisation,
    due_on: date,
    by: User,
    owner_contact: Contact | None = None,
) -> Action:
    """An action agreed in the discussion, owned by an agency (and a person there): services/actions.py's rules."""
    return actions.add_action(
        item.patient, description, owner_organisation, due_on, by, owner_contact=owner_contact, agenda_item=item
    )


def change_chair(meeting: Meeting, chair: Contact | None, by: User) -> Meeting:
    """Who chairs the meeting: one of its members (the minute-taker stays whoever records the minutes). A held
    meeting's chair can still be corrected; a cancelled one's cannot."""
    if meeting.status == MeetingStatus.cancelled:
        raise DomainError("This meeting was cancelled.")
    if chair is None:
        raise DomainError("Choose the chair from the meeting's members.")
    chair = chair_for(meeting.locality, chair)
    if meeting.chair_id != chair.id:
        with audit.reason(f"Chair changed to {chair.name} by {by.name}"):
            meeting.chair = chair
            db.session.flush()
    return meeting


def mark_held(meeting: Meeting, by: User) -> None:
    """Record that the meeting took place: only once it has started, and only once."""
    if meeting.status in (MeetingStatus.held, MeetingStatus.cancelled):
        raise DomainError(f"This meeting is already {meeting.status.label.lower()}.")
    if meeting.starts_at > utcnow():
        raise DomainError(
            f"This meeting has not started yet (it starts {format_slot(meeting.starts_at)}): "
            "it can be marked as held once it has taken place."
        )
    with audit.reason(f"Meeting marked as held by {by.name}"):
        meeting.status = MeetingStatus.held
        for item in meeting.agenda:
            minutes_trail.catch_up(item, TRAIL_FIELDS)
        db.session.flush()


@dataclass(frozen=True)
class CaseContext:
    """What the chair needs beside a case: the referrer's question and reason, the plan, what is still open."""

    question: str | None
    reason: str | None
    #: "Agreed (version 2)", "Draft (version 3)" or None when the patient has no care plan yet.
    care_plan: str | None
    review_on: date | None
    #: Actions for the patient still open from earlier meetings (or agreed outside one), earliest due first.
    earlier_actions: list[Action]


def case_contexts(meeting: Meeting, items: list[AgendaItem]) -> dict[int, CaseContext]:
    """The context of each case (by agenda item id), in a fixed number of queries whatever the agenda's length."""
    patient_ids = [i.patient_id for i in items]
    referrals = {
        r.id: r for r in db.session.scalars(select(Referral).where(Referral.id.in_([i.referral_id for i in items])))
    }
    episodes = {
        e.id: e for e in db.session.scalars(select(Episode).where(Episode.id.in_([i.episode_id for i in items])))
    }
    plans: dict[int, CarePlan] = {}
    live_plans = select(CarePlan).where(CarePlan.patient_id.in_(patient_ids), CarePlan.archived_at.is_(None))
    for plan in db.session.scalars(live_plans.order_by(CarePlan.number)):
        plans[plan.patient_id] = plan  # the latest version wins
    earlier: dict[int, list[Action]] = {pid: [] for pid in patient_ids}
    for action in open_actions_from_earlier_meetings(meeting, patient_ids):
        earlier[action.patient_id].append(action)
    contexts = {}
    for item in items:
        referral, episode, plan = (
            referrals.get(item.referral_id),
            episodes.get(item.episode_id),
            plans.get(item.patient_id),
        )
        contexts[item.id] = CaseContext(
            question=referral.question if referral else None,
            reason=referral.reason if referral else None,
            care_plan=f"{plan.state.label} (version {plan.number})" if plan else None,
            review_on=episode.review_on if episode else None,
            earlier_actions=earlier[item.patient_id],
        )
    return contexts


def open_actions_from_earlier_meetings(meeting: Meeting, patient_ids: list[int]) -> list[Action]:
    """The patients' actions still open that were not agreed at this meeting, earliest due first."""
    if not patient_ids:
        return []
    elsewhere = or_(Action.agenda_item_id.is_(None), AgendaItem.meeting_id != meeting.id)
    return list(
        db.session.scalars(
            select(Action)
            .outerjoin(AgendaItem, Action.agenda_item_id == AgendaItem.id)
            .where(
                Action.patient_id.in_(patient_ids),
                Action.archived_at.is_(None),
                Action.status.in_([ActionStatus.open, ActionStatus.in_progress]),
                elsewhere,
            )
            .order_by(Action.due_on, Action.id)
            .options(
                selectinload(Action.owner_organisation),
                selectinload(Action.owner_contact),
                selectinload(Action.updates),
            )
        )
    )
