"""The caseload: episodes open to the ILR, what is known about each on the board, reviews, cover, and closing them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, func, inspect, or_, select, update
from sqlalchemy.orm import Session, selectinload

from formats.dates import LONDON, today
from formats.words import plural
from models import (
    ATTAINMENTS,
    Action,
    AgendaItem,
    CarePlan,
    CarePlanState,
    CaseStatus,
    ClosureGoal,
    ClosureReason,
    ContactLogEntry,
    DomainError,
    Episode,
    Goal,
    GoalStatus,
    Meeting,
    MeetingStatus,
    OnwardReferral,
    Patient,
    Role,
    SafeguardingConcern,
    User,
    among,
    db,
    utcnow,
)
from services import audit
from services.date_checks import closed_before_opened_problem, refuse_if

#: Who may hold a caseload (and so take a colleague's cases for cover).
CASE_HOLDERS = (Role.coordinator, Role.team_lead)
#: Longest acknowledgement of what is still open at closure (the column's length).
NOTE_LENGTH = 2000


# --- the board -------------------------------------------------------------------------------------------------


@dataclass
class CaseFacts:
    """What the caseload board shows beside an open episode, besides the episode itself."""

    open_actions: int = 0
    waiting_onward: int = 0
    open_safeguarding: bool = False
    follow_ups: int = 0
    #: The earliest follow-up due among the contacts awaiting one.
    follow_up_due: date | None = None
    last_discussed: datetime | None = None
    #: The next meeting the case is listed on (planned or booked, not yet started).
    next_meeting: Meeting | None = None


def board_facts(episodes: list[Episode]) -> dict[int, CaseFacts]:
    """The board's facts for a page of episodes (by episode id), in six queries whatever the page's length."""
    if not episodes:
        return {}
    patient_ids = sorted({e.patient_id for e in episodes})
    by_patient: dict[int, CaseFacts] = {pid: CaseFacts() for pid in patient_ids}

    def counts(model, *where):
        rows = db.session.execute(
            select(model.patient_id, func.count())
            .where(among(model.patient_id, patient_ids), model.archived_at.is_(None), *where)
            .group_by(model.patient_id)
        )
        return dict(rows.all())

    for pid, n in counts(Action, Action.still_open()).items():
        by_patient[pid].open_actions = n
    for pid, n in counts(OnwardReferral, OnwardReferral.waiting()).items():
        by_patient[pid].waiting_onward = n
    for pid, _ in counts(SafeguardingConcern, SafeguardingConcern.closed_on.is_(None)).items():
        by_patient[pid].open_safeguarding = True
    follow_ups = db.session.execute(
        select(ContactLogEntry.patient_id, func.count(), func.min(ContactLogEntry.follow_up_on))
        .where(
            among(ContactLogEntry.patient_id, patient_ids),
            ContactLogEntry.archived_at.is_(None),
            ContactLogEntry.follow_up_on.is_not(None),
            ContactLogEntry.followed_up_on.is_(None),
        )
        .group_by(ContactLogEntry.patient_id)
    )
    for pid, n, due in follow_ups:
        by_patient[pid].follow_ups, by_patient[pid].follow_up_due = n, due
    discussed = db.session.execute(
        select(AgendaItem.patient_id, func.max(Meeting.starts_at))
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(
            among(AgendaItem.patient_id, patient_ids),
            AgendaItem.archived_at.is_(None),
            AgendaItem.status == CaseStatus.discussed,
        )
        .group_by(AgendaItem.patient_id)
    )
    for pid, starts_at in discussed:
        by_patient[pid].last_discussed = starts_at
    listed = db.session.execute(
        select(AgendaItem.patient_id, Meeting)
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(
            among(AgendaItem.patient_id, patient_ids),
            AgendaItem.archived_at.is_(None),
            AgendaItem.status == CaseStatus.listed,
            Meeting.archived_at.is_(None),
            Meeting.status.in_([MeetingStatus.planned, MeetingStatus.booked]),
            Meeting.starts_at >= utcnow(),
        )
        .order_by(Meeting.starts_at.desc())  # the earliest comes last and wins
    )
    for pid, meeting in listed:
        by_patient[pid].next_meeting = meeting
    return {e.id: by_patient[e.patient_id] for e in episodes}


def days_open(episode: Episode, on: date | None = None) -> int:
    """Whole days since the episode opened (to its closure, or to today while open)."""
    return ((episode.closed_on or on or today()) - episode.opened_on).days


# --- reviews and cover -------------------------------------------------------------------------------------

#: Days ahead a review counts as due "this week" (the home page's list, the caseload's filter it links to).
REVIEW_DAYS_AHEAD = 7


def patients_held_by(coordinator_id: int):
    """The patients on a coordinator's open caseload (a subquery): what "theirs" means on lists about patients."""
    return select(Episode.patient_id).where(
        Episode.coordinator_id == coordinator_id, Episode.closed_on.is_(None), Episode.archived_at.is_(None)
    )


def held_by(patient_id_column, coordinator_id: int):
    """Rows (by their patient id column) about a patient on the coordinator's open caseload: a clause.

    The column is written `patient_id + 0` so that SQLite does not read the rows through the patient id index, one
    caseload patient after another (thousands), but through the list's own order or filter index, checking each row
    against the caseload (read once): 51 ms → 2 ms for a coordinator's overdue actions over a million actions."""
    return (patient_id_column + 0).in_(patients_held_by(coordinator_id))


def review_due_before(on: date | None = None) -> date:
    """The first day after the week of reviews due: a review dated before it (or already past) is due this week."""
    return (on or today()) + timedelta(days=REVIEW_DAYS_AHEAD + 1)


def case_holders() -> list[User]:
    """Active staff who may hold a caseload, by name: whose board to show, and who may take cases over for cover."""
    return list(
        db.session.scalars(select(User).where(User.active, User.role.in_(CASE_HOLDERS)).order_by(User.name, User.id))
    )


def set_next_review(episode: Episode, on: date, by: User, item: AgendaItem | None = None) -> Episode:
    """The date the case is next reviewed, as the meeting decided (`item`, the case discussed) or as set by staff.

    The date already held is no change (the live minutes send it back with every autosave).
    """
    if on == episode.review_on:
        return episode
    if not episode.is_open:
        raise DomainError(f"This episode closed on {episode.closed_on:%d/%m/%Y}: it has no next review.")
    meeting_day = item.meeting.starts_at.astimezone(LONDON).date() if item is not None else None
    if meeting_day is not None and on <= meeting_day:
        raise DomainError(f"The next review must be after the meeting ({meeting_day:%d/%m/%Y}).")
    if meeting_day is None and on < today():
        raise DomainError("The next review cannot be in the past.")
    why = (
        f"Next review set at the meeting of {meeting_day:%d/%m/%Y}, recorded by {by.name}"
        if meeting_day
        else f"Next review set by {by.name}"
    )
    with audit.reason(why):
        episode.review_on = on
        db.session.flush()
    return episode


def review_case(item: AgendaItem, on: date, by: User) -> Episode:
    """The next review a meeting decided for a case, onto the case's episode."""
    if item.episode is None:
        raise DomainError(f"{item.patient} has no episode on this agenda, so there is no review to set.")
    return set_next_review(item.episode, on, by, item)


def reassign_episodes(episodes: list[Episode], to: User, by: User, why: str | None = None) -> list[Episode]:
    """Give the chosen open episodes to a colleague (cover): one change, audited on each episode with the reason."""
    if not episodes:
        raise DomainError("Choose the cases to reassign.")
    if to is None or not to.is_active or to.role not in CASE_HOLDERS:
        raise DomainError("Choose the coordinator who takes the cases over.")
    closed = [e for e in episodes if not e.is_open]
    if closed:
        raise DomainError(f"Nothing was reassigned: {closed[0].patient}'s episode is closed.")
    why = (why or "").strip()
    if len(why) > 500:
        raise DomainError("Keep the reason for the reassignment to 500 characters.")
    moved = []
    for episode in episodes:
        if episode.coordinator_id == to.id:
            continue
        before = episode.coordinator.name if episode.coordinator else "nobody"
        with audit.reason(f"Reassigned from {before} to {to.name} by {by.name}" + (f": {why}" if why else "")):
            episode.coordinator = to
            db.session.flush()
        moved.append(episode)
    return moved


# --- closing ---------------------------------------------------------------------------------------------------


def current_care_plan(episode: Episode) -> CarePlan | None:
    """The latest live version of the episode's care plan (or of the patient's plan kept outside any episode), with its
    goals and their dated progress."""
    plans = (
        select(CarePlan)
        .where(CarePlan.patient_id == episode.patient_id, CarePlan.archived_at.is_(None))
        .options(selectinload(CarePlan.goals).selectinload(Goal.updates))
    )
    mine = db.session.scalars(plans.where(CarePlan.episode_id == episode.id).order_by(CarePlan.number.desc())).first()
    if mine is not None:
        return mine
    return db.session.scalars(plans.where(CarePlan.episode_id.is_(None)).order_by(CarePlan.number.desc())).first()


@dataclass(frozen=True)
class OpenItem:
    """Something still open about the patient when the episode is to close, with the page that resolves it."""

    kind: str
    text: str
    #: (endpoint, id) of its record page.
    link: tuple[str, int]


def open_items(episode: Episode) -> list[OpenItem]:
    """What is still open: actions, onward referrals waiting, safeguarding, follow-ups due and a draft care plan."""
    pid = episode.patient_id
    items: list[OpenItem] = []
    for action in db.session.scalars(
        select(Action)
        .where(Action.patient_id == pid, Action.archived_at.is_(None), Action.still_open())
        .order_by(Action.due_on, Action.id)
        .options(selectinload(Action.owner_organisation))
    ):
        text = f"{action.description} ({action.owner_organisation.name}, due {action.due_on:%d/%m/%Y}, "
        items.append(OpenItem("Action", text + f"{action.status.label.lower()})", ("action.details_view", action.id)))
    for onward in db.session.scalars(
        select(OnwardReferral)
        .where(
            OnwardReferral.patient_id == pid,
            OnwardReferral.archived_at.is_(None),
            OnwardReferral.waiting(),
        )
        .order_by(OnwardReferral.referred_on, OnwardReferral.id)
    ):
        text = f"{onward.service}, referred {onward.referred_on:%d/%m/%Y}: no answer yet"
        items.append(OpenItem("Onward referral", text, ("onward_referral.details_view", onward.id)))
    for concern in db.session.scalars(
        select(SafeguardingConcern)
        .where(
            SafeguardingConcern.patient_id == pid,
            SafeguardingConcern.archived_at.is_(None),
            SafeguardingConcern.closed_on.is_(None),
        )
        .order_by(SafeguardingConcern.raised_on)
    ):
        items.append(OpenItem("Safeguarding", str(concern), ("safeguarding_concern.details_view", concern.id)))
    for entry in db.session.scalars(
        select(ContactLogEntry)
        .where(
            ContactLogEntry.patient_id == pid,
            ContactLogEntry.archived_at.is_(None),
            ContactLogEntry.follow_up_on.is_not(None),
            ContactLogEntry.followed_up_on.is_(None),
        )
        .order_by(ContactLogEntry.follow_up_on)
    ):
        text = f"{entry}: follow-up due {entry.follow_up_on:%d/%m/%Y}"
        items.append(OpenItem("Follow-up", text, ("contact_log.details_view", entry.id)))
    plan = current_care_plan(episode)
    if plan is not None and plan.state == CarePlanState.draft:
        text = f"Care plan version {plan.number} is a draft, not yet agreed"
        items.append(OpenItem("Care plan", text, ("care_plan.details_view", plan.id)))
    return items


def _closing(episode: Episode, on: date, reason: ClosureReason | str) -> ClosureReason:
    """The episode may close on `on` for `reason`, or DomainError says why not."""
    if not episode.is_open:
        raise DomainError(f"This episode is already closed (on {episode.closed_on:%d/%m/%Y}).")
    try:
        reason = ClosureReason(reason)
    except ValueError:
        raise DomainError("Choose the reason the episode closed.") from None
    if reason == ClosureReason.died:
        raise DomainError("Record the death on the patient's page: that closes the episode with the reason Died.")
    if on is None:
        raise DomainError("Enter the date the episode closed.")
    if on > today():
        raise DomainError("The closing date cannot be in the future.")
    refuse_if(closed_before_opened_problem(on, episode.opened_on))
    return reason


def _attainments(episode: Episode, given: dict) -> tuple[list[Goal], dict[int, GoalStatus]]:
    """The current care plan's goals and the attainment given for each (every one needs one)."""
    plan = current_care_plan(episode)
    goals: list[Goal] = list(plan.goals) if plan is not None else []
    if set(given) - {goal.id for goal in goals}:
        raise DomainError("Record attainment only for the goals of the current care plan.")
    chosen: dict[int, GoalStatus] = {}
    for goal in goals:
        status = GoalStatus._value2member_map_.get(given.get(goal.id) or "")
        if status not in ATTAINMENTS:
            raise DomainError(f"Record how far each goal was attained: “{goal}” has no attainment yet.")
        chosen[goal.id] = status
    return goals, chosen


def _acknowledged(still_open: list[OpenItem], acknowledgement: str | None) -> str | None:
    """Why the episode closes with things still open: required then, and within the note's length."""
    acknowledgement = (acknowledgement or "").strip() or None
    if still_open and not acknowledgement:
        kinds = ", ".join(sorted({item.kind.lower() for item in still_open}))
        raise DomainError(
            f"{plural(len(still_open), 'thing is', 'things are')} still open ({kinds}): resolve them, or say why the "
            "episode closes all the same."
        )
    if acknowledgement and len(acknowledgement) > NOTE_LENGTH:
        raise DomainError(f"Keep the reason to {NOTE_LENGTH:,} characters (this has {len(acknowledgement):,}).")
    return acknowledgement


def close_episode(
    episode: Episode,
    by: User,
    on: date,
    reason: ClosureReason | str,
    *,
    attainment: dict[int, GoalStatus | str] | None = None,
    acknowledgement: str | None = None,
) -> Episode:
    """Close an open episode: a reason from the list, the attainment of each goal of the current care plan (by goal
    id; the plan itself is not changed), and, when anything is still open (`open_items`), a reason for closing all
    the same. A death is recorded on the patient's page, which closes the episode with that reason."""
    reason = _closing(episode, on, reason)
    goals, chosen = _attainments(episode, attainment or {})
    still_open = open_items(episode)
    acknowledgement = _acknowledged(still_open, acknowledgement)
    why = f"Episode closed ({reason.label}) by {by.name}"
    if still_open:
        why += f"; still open, acknowledged: {'; '.join(f'{i.kind}: {i.text}' for i in still_open)}"[:900]
    with audit.reason(why):
        episode.closed_on, episode.closure_reason = on, reason
        episode.closure_note = acknowledgement if still_open else None
        db.session.add_all(ClosureGoal(episode=episode, goal_id=goal.id, attainment=chosen[goal.id]) for goal in goals)
        db.session.flush()
    return episode


# --- the board's order: each episode's copy of its patient's risk score ---------------------------------------

#: Patients whose episodes are brought up to date a statement (SQLite allows 32,766 parameters to one).
SCORE_CHUNK = 1000


def copy_case_scores(connection: Connection, patient_ids: Iterable[int] | None = None) -> None:
    """Each open episode of these patients given its patient's current risk score and band, where they differ; every
    episode, without patients named (after a bulk load). A closed episode keeps those it closed with: the board
    lists open ones, and rewriting every past episode of the 100,000 patients a list import touches took 3.5 s."""
    table = Episode.__table__
    copied = {
        name: select(getattr(Patient, name)).where(Patient.id == table.c.patient_id).scalar_subquery()
        for name in ("risk_score", "risk_band")
    }
    if patient_ids is None:
        connection.execute(update(table).values(copied))
        return
    differs = or_(*(table.c[name] != value for name, value in copied.items()))
    statement = update(table).where(table.c.closed_on.is_(None), differs).values(copied)
    ordered = sorted(patient_ids)
    for first in range(0, len(ordered), SCORE_CHUNK):
        connection.execute(statement.where(among(table.c.patient_id, ordered[first : first + SCORE_CHUNK])))


def _changed(obj, column: str) -> bool:
    return inspect(obj).attrs[column].history.has_changes()


def keep_case_scores(session: Session, flush_context) -> None:
    """After a flush: the episodes it added or moved, and those of the patients whose score or band it changed, take
    their patient's score and band (a copy: the patient's change is the one audited)."""
    patients: set[int] = set()
    new = session.new
    for obj in (*new, *session.dirty):
        if isinstance(obj, Episode) and (obj in new or _changed(obj, "patient_id")):
            patients.add(obj.patient_id)
        elif (
            isinstance(obj, Patient) and obj not in new and (_changed(obj, "risk_score") or _changed(obj, "risk_band"))
        ):
            patients.add(obj.id)  # the band moves alone when the team lead moves the bands' thresholds
    if patients:
        copy_case_scores(session.connection(), patients)
