"""The patient record as one page reads it: a timeline of everything known, and the actions about them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from access import STAFF, row_filters
from formats.dates import LONDON, format_date
from models import (
    Action,
    ActionUpdate,
    AgendaItem,
    CarePlan,
    CollatedNote,
    Contact,
    ContactLogEntry,
    Episode,
    GeneratedDocument,
    HospitalEvent,
    Meeting,
    OnwardReferral,
    Organisation,
    Patient,
    Referral,
    SafeguardingConcern,
    Signposting,
    User,
    db,
)
from services.actions import STILL_OPEN
from services.meeting_room import cutoff_for, next_meeting_of
from services.referrals import OPEN_STATUSES


@dataclass
class Event:
    """One line of the timeline."""

    on: date
    kind: str
    title: str
    detail: str = ""
    #: (endpoint, id) of the page to open, when there is one.
    link: tuple[str, int] | None = None
    flag: str | None = None


def _day(value) -> date:
    return value.astimezone(LONDON).date() if isinstance(value, datetime) else value


def age_on(born: date, on: date) -> int:
    """Whole years of age on a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _live(model, pid: int) -> list:
    return [model.patient_id == pid, model.archived_at.is_(None)]


def _joined(*parts) -> str:
    return "; ".join(filter(None, parts))


def _referrals(pid: int) -> Iterator[Event]:
    query = select(Referral).where(*_live(Referral, pid)).options(selectinload(Referral.decisions))
    for referral in db.session.scalars(query):
        link = ("triage.details_view", referral.id) if referral.status in OPEN_STATUSES else None
        yield Event(referral.received_on, "Referral", f"Referral from {referral.referrer_name}", referral.reason, link)
        for decision in referral.decisions:
            reason = decision.decline_reason.label if decision.decline_reason else None
            detail = _joined(reason, decision.reason_text, decision.missing_information, decision.redirected_to)
            title = f"{decision.outcome.label} by {decision.decided_by.name}"
            yield Event(decision.decided_on, "Triage", title, detail)


def _episodes(pid: int) -> Iterator[Event]:
    query = select(Episode).where(*_live(Episode, pid)).options(selectinload(Episode.closure_goals))
    for episode in db.session.scalars(query):
        coordinator = f"Coordinator: {episode.coordinator.name}" if episode.coordinator else ""
        yield Event(episode.opened_on, "Episode", f"Opened to the ILR ({episode.locality})", coordinator)
        if episode.closed_on:
            attained = "; ".join(f"{g.attainment.label}: {g.goal}" for g in episode.closure_goals)
            detail = _joined(attained or episode.goal_attainment, episode.closure_note)
            yield Event(episode.closed_on, "Episode", f"Closed: {episode.closure_reason.label}", detail)


def _discussions(pid: int) -> Iterator[Event]:
    query = select(AgendaItem).where(*_live(AgendaItem, pid)).join(Meeting).options(selectinload(AgendaItem.meeting))
    for item in db.session.scalars(query):
        title = f"{item.status.label} at {item.meeting}"
        yield Event(
            _day(item.meeting.starts_at), "Discussion", title, " ".join(filter(None, [item.outcome, item.decisions]))
        )


def _care_plans(pid: int) -> Iterator[Event]:
    query = select(CarePlan).where(*_live(CarePlan, pid)).options(selectinload(CarePlan.shares))
    for plan in db.session.scalars(query):
        title = f"Care plan version {plan.number} ({plan.state.label.lower()})"
        yield Event(_day(plan.agreed_on or plan.created_at), "Care plan", title)
        for share in plan.shares:
            yield Event(share.shared_on, "Care plan", f"Version {plan.number} shared with {share.shared_with.name}")


def _onward_referrals(pid: int) -> Iterator[Event]:
    for onward in db.session.scalars(select(OnwardReferral).where(*_live(OnwardReferral, pid))):
        how = f" ({onward.method.label.lower()})" if onward.method else ""
        title = f"Referred to {onward.service}{how}: {onward.outcome.label.lower()}"
        yield Event(
            onward.referred_on,
            "Onward referral",
            title,
            onward.reason or "",
            ("onward_referral.details_view", onward.id),
        )


def _signposting(pid: int) -> Iterator[Event]:
    for given in db.session.scalars(select(Signposting).where(*_live(Signposting, pid))):
        to_whom = f" ({given.given_to.label.lower()})" if given.given_to else ""
        yield Event(
            given.given_on, "Signposting", f"Signposted to {given.service}{to_whom}", given.what or "",
            ("signposting.details_view", given.id),
        )  # fmt: skip


def _safeguarding(pid: int) -> Iterator[Event]:
    for concern in db.session.scalars(select(SafeguardingConcern).where(*_live(SafeguardingConcern, pid))):
        referred = concern.referred_to and f"referred to {concern.referred_to}"
        yield Event(
            concern.raised_on,
            "Safeguarding",
            f"{concern.category.label} concern ({'closed' if concern.closed_on else 'open'})",
            _joined(concern.concern, referred, concern.reference, concern.outcome),
            ("safeguarding_concern.details_view", concern.id),
            flag=None if concern.closed_on else "open",
        )


def _contacts(pid: int) -> Iterator[Event]:
    for entry in db.session.scalars(select(ContactLogEntry).where(*_live(ContactLogEntry, pid))):
        follow_up = ""
        if entry.follow_up_on:
            done = f", done {format_date(entry.followed_up_on)}" if entry.followed_up_on else ""
            follow_up = f" (follow-up due {format_date(entry.follow_up_on)}{done})"
        yield Event(
            _day(entry.contacted_at),
            "Contact",
            f"{entry.method.label} with {entry.with_name or entry.party.label.lower()}{follow_up}",
            entry.summary,
            ("contact_log.details_view", entry.id),
            flag="follow-up" if entry.awaiting_follow_up else None,
        )


def _hospital_events(pid: int) -> Iterator[Event]:
    for event in db.session.scalars(select(HospitalEvent).where(*_live(HospitalEvent, pid))):
        yield Event(event.occurred_on, "Hospital", event.kind.label, event.hospital or "")


def _collated_notes(pid: int) -> Iterator[Event]:
    query = select(CollatedNote).where(*_live(CollatedNote, pid)).options(selectinload(CollatedNote.checked_by))
    for note in db.session.scalars(query):
        checked = (
            f"checked by {note.checked_by.name} on {note.checked_on:%d/%m/%Y}"
            if note.checked_by and note.checked_on
            else "not yet checked"
        )
        title = f"{note.source.label} ({checked})"
        yield Event(note.checked_on or _day(note.created_at), "Collated note", title, note.summary)


def _action_updates(pid: int) -> Iterator[Event]:
    query = select(ActionUpdate).join(Action).where(*_live(Action, pid)).options(selectinload(ActionUpdate.action))
    for update in db.session.scalars(query):
        title = f"Action {update.status.label.lower()}: {update.action.description} (from {update.by_name})"
        yield Event(_day(update.at), "Action update", title, update.note or "")


def _documents(pid: int) -> Iterator[Event]:
    for doc in db.session.scalars(select(GeneratedDocument).where(GeneratedDocument.patient_id == pid)):
        yield Event(_day(doc.created_at), "Document", f"{doc.kind.label}: {doc.filename}")


#: Each kind of record on the timeline: one query (or two) per kind, none per row.
_KINDS = (
    _referrals,
    _episodes,
    _discussions,
    _care_plans,
    _onward_referrals,
    _signposting,
    _safeguarding,
    _contacts,
    _hospital_events,
    _collated_notes,
    _action_updates,
    _documents,
)


def timeline(patient: Patient) -> list[Event]:
    """Everything known about the patient, newest first (a handful of queries, none per row)."""
    return sorted((event for kind in _KINDS for event in kind(patient.id)), key=lambda e: e.on, reverse=True)


@dataclass(frozen=True)
class CaseNow:
    """What the patient's page says about their care now: the open episode, open concerns, referrals on, signposting
    given, contacts."""

    episode: Episode | None
    open_concerns: list[SafeguardingConcern]
    onward: list[OnwardReferral]
    signposting: list[Signposting]
    contacts: list[ContactLogEntry]


def case_now(patient: Patient, contacts: int = 20) -> CaseNow:
    """The open episode, open safeguarding concerns, onward referrals and signposting (newest first) and the latest
    contacts."""
    pid = patient.id
    episode = db.session.scalars(
        select(Episode).where(Episode.patient_id == pid, Episode.closed_on.is_(None), Episode.archived_at.is_(None))
    ).first()
    concerns = db.session.scalars(
        select(SafeguardingConcern)
        .where(
            SafeguardingConcern.patient_id == pid,
            SafeguardingConcern.closed_on.is_(None),
            SafeguardingConcern.archived_at.is_(None),
        )
        .order_by(SafeguardingConcern.raised_on)
    ).all()
    onward = db.session.scalars(
        select(OnwardReferral)
        .where(OnwardReferral.patient_id == pid, OnwardReferral.archived_at.is_(None))
        .order_by(OnwardReferral.referred_on.desc(), OnwardReferral.id.desc())
    ).all()
    signposting = db.session.scalars(
        select(Signposting).where(*_live(Signposting, pid)).order_by(Signposting.given_on.desc(), Signposting.id.desc())
    ).all()
    logged = db.session.scalars(
        select(ContactLogEntry)
        .where(ContactLogEntry.patient_id == pid, ContactLogEntry.archived_at.is_(None))
        .order_by(ContactLogEntry.contacted_at.desc(), ContactLogEntry.id.desc())
        .limit(contacts)
    ).all()
    return CaseNow(episode, list(concerns), list(onward), list(signposting), list(logged))


def actions_for(patient: Patient) -> list[Action]:
    """Open actions first (earliest due first), then the rest, newest first."""
    rows = db.session.scalars(
        select(Action)
        .where(Action.patient_id == patient.id, Action.archived_at.is_(None))
        .options(selectinload(Action.owner_organisation), selectinload(Action.owner_contact))
    ).all()
    return sorted([a for a in rows if a.status in STILL_OPEN], key=lambda a: a.due_on) + sorted(
        [a for a in rows if a.status not in STILL_OPEN], key=lambda a: a.due_on, reverse=True
    )


@dataclass(frozen=True)
class PartnerCase:
    meeting: str
    status: str
    outcome: str


def partner_view(patient: Patient, user) -> tuple[list[PartnerCase], list[Action]]:
    """The minimum a partner may see (DESIGN.md §2): the cases on their meetings with their outcome, and the
    actions from those cases or owned by their agency; nothing else of the record."""
    items = db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.patient_id == patient.id, *row_filters(AgendaItem, user))
        .join(Meeting)
        .order_by(Meeting.starts_at.desc())
        .options(selectinload(AgendaItem.meeting))
    ).all()
    cases = [PartnerCase(str(item.meeting), item.status.label, item.outcome or "") for item in items]
    mine = or_(
        Action.agenda_item_id.in_([item.id for item in items]), Action.owner_organisation_id == user.organisation_id
    )
    actions = db.session.scalars(
        select(Action)
        .where(Action.patient_id == patient.id, Action.archived_at.is_(None), mine)
        .order_by(Action.due_on)
        .options(selectinload(Action.owner_organisation), selectinload(Action.owner_contact))
    ).all()
    return cases, list(actions)


@dataclass(frozen=True)
class HubLists:
    """What the patient's page offers to choose from when something is added there: the team (who checked a note),
    the agencies and their people (who owns an action); each one query."""

    team: list[User]
    agencies: list[Organisation]
    people: list[Contact]


def hub_lists() -> HubLists:
    team = db.session.scalars(
        select(User).where(User.role.in_(STAFF), User.active.is_(True)).order_by(User.name, User.id)
    ).all()
    agencies = db.session.scalars(
        select(Organisation).where(Organisation.archived_at.is_(None)).order_by(Organisation.name, Organisation.id)
    ).all()
    people = db.session.scalars(
        select(Contact).where(Contact.archived_at.is_(None)).order_by(Contact.name, Contact.id)
    ).all()
    return HubLists(list(team), list(agencies), list(people))


@dataclass(frozen=True)
class Facts:
    """Hospital events and collated notes, newest first, for their sections of the page."""

    hospital_events: list[HospitalEvent]
    notes: list[CollatedNote]


def facts(patient: Patient) -> Facts:
    events = db.session.scalars(
        select(HospitalEvent)
        .where(*_live(HospitalEvent, patient.id))
        .order_by(HospitalEvent.occurred_on.desc(), HospitalEvent.id.desc())
    ).all()
    notes = db.session.scalars(
        select(CollatedNote)
        .where(*_live(CollatedNote, patient.id))
        .order_by(CollatedNote.created_at.desc(), CollatedNote.id.desc())
        .options(selectinload(CollatedNote.checked_by))
    ).all()
    return Facts(list(events), list(notes))


@dataclass(frozen=True)
class NextAgenda:
    """The next meeting of the open episode's locality, its cut-off, and the patient's case on it if listed."""

    meeting: Meeting | None
    cutoff: date | None
    listed: AgendaItem | None


def next_agenda(episode: Episode | None) -> NextAgenda:
    if episode is None:
        return NextAgenda(None, None, None)
    meeting = next_meeting_of(episode.locality_id)
    if meeting is None:
        return NextAgenda(None, None, None)
    listed = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.patient_id == episode.patient_id)
    ).first()
    return NextAgenda(meeting, cutoff_for(meeting), listed)
