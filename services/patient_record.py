"""The patient record as one page reads it: a timeline of everything known, and the actions about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from access import row_filters
from formats.dates import LONDON, format_date
from models import (
    Action,
    ActionUpdate,
    AgendaItem,
    CarePlan,
    CollatedNote,
    ContactLogEntry,
    Episode,
    GeneratedDocument,
    HospitalEvent,
    Meeting,
    OnwardReferral,
    Patient,
    Referral,
    SafeguardingConcern,
    db,
)
from services.actions import STILL_OPEN
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


def timeline(patient: Patient) -> list[Event]:
    """Everything known about the patient, newest first (a handful of queries, none per row)."""
    pid = patient.id

    def live(model):
        return [model.patient_id == pid, model.archived_at.is_(None)]

    events: list[Event] = []
    for referral in db.session.scalars(
        select(Referral).where(*live(Referral)).options(selectinload(Referral.decisions))
    ):
        events.append(
            Event(
                referral.received_on,
                "Referral",
                f"Referral from {referral.referrer_name}",
                referral.reason,
                ("triage.details_view", referral.id) if referral.status in OPEN_STATUSES else None,
            )
        )
        for decision in referral.decisions:
            detail = "; ".join(
                filter(
                    None,
                    [
                        decision.decline_reason.label if decision.decline_reason else None,
                        decision.reason_text,
                        decision.missing_information,
                        decision.redirected_to,
                    ],
                )
            )
            events.append(
                Event(decision.decided_on, "Triage", f"{decision.outcome.label} by {decision.decided_by.name}", detail)
            )
    for episode in db.session.scalars(
        select(Episode).where(*live(Episode)).options(selectinload(Episode.closure_goals))
    ):
        events.append(
            Event(
                episode.opened_on,
                "Episode",
                f"Opened to the ILR ({episode.locality})",
                f"Coordinator: {episode.coordinator.name}" if episode.coordinator else "",
            )
        )
        if episode.closed_on:
            attained = "; ".join(f"{g.attainment.label}: {g.goal}" for g in episode.closure_goals)
            detail = "; ".join(filter(None, [attained or episode.goal_attainment, episode.closure_note]))
            events.append(Event(episode.closed_on, "Episode", f"Closed: {episode.closure_reason.label}", detail))
    items = db.session.scalars(
        select(AgendaItem).where(*live(AgendaItem)).join(Meeting).options(selectinload(AgendaItem.meeting))
    )
    for item in items:
        events.append(
            Event(
                _day(item.meeting.starts_at),
                "Discussion",
                f"{item.status.label} at {item.meeting}",
                " ".join(filter(None, [item.outcome, item.decisions])),
            )
        )
    for plan in db.session.scalars(select(CarePlan).where(*live(CarePlan)).options(selectinload(CarePlan.shares))):
        events.append(
            Event(
                _day(plan.agreed_on or plan.created_at),
                "Care plan",
                f"Care plan version {plan.number} ({plan.state.label.lower()})",
            )
        )
        for share in plan.shares:
            events.append(
                Event(share.shared_on, "Care plan", f"Version {plan.number} shared with {share.shared_with.name}")
            )
    for onward in db.session.scalars(select(OnwardReferral).where(*live(OnwardReferral))):
        how = f" ({onward.method.label.lower()})" if onward.method else ""
        events.append(
            Event(
                onward.referred_on,
                "Onward referral",
                f"Referred to {onward.service}{how}: {onward.outcome.label.lower()}",
                onward.reason or "",
                ("onward_referral.details_view", onward.id),
            )
        )
    for concern in db.session.scalars(select(SafeguardingConcern).where(*live(SafeguardingConcern))):
        status = "closed" if concern.closed_on else "open"
        events.append(
            Event(
                concern.raised_on,
                "Safeguarding",
                f"{concern.category.label} concern ({status})",
                "; ".join(
                    filter(
                        None,
                        [
                            concern.concern,
                            concern.referred_to and f"referred to {concern.referred_to}",
                            concern.reference,
                            concern.outcome,
                        ],
                    )
                ),
                ("safeguarding_concern.details_view", concern.id),
                flag=None if concern.closed_on else "open",
            )
        )
    for entry in db.session.scalars(select(ContactLogEntry).where(*live(ContactLogEntry))):
        follow_up = ""
        if entry.follow_up_on:
            done = f", done {format_date(entry.followed_up_on)}" if entry.followed_up_on else ""
            follow_up = f" (follow-up due {format_date(entry.follow_up_on)}{done})"
        events.append(
            Event(
                _day(entry.contacted_at),
                "Contact",
                f"{entry.method.label} with {entry.with_name or entry.party.label.lower()}{follow_up}",
                entry.summary,
                ("contact_log.details_view", entry.id),
                flag="follow-up" if entry.awaiting_follow_up else None,
            )
        )
    for event in db.session.scalars(select(HospitalEvent).where(*live(HospitalEvent))):
        events.append(Event(event.occurred_on, "Hospital", event.kind.label, event.hospital or ""))
    for note in db.session.scalars(
        select(CollatedNote).where(*live(CollatedNote)).options(selectinload(CollatedNote.checked_by))
    ):
        checked = (
            f"checked by {note.checked_by.name} on {note.checked_on:%d/%m/%Y}"
            if note.checked_by and note.checked_on
            else "not yet checked"
        )
        events.append(
            Event(
                note.checked_on or _day(note.created_at),
                "Collated note",
                f"{note.source.label} ({checked})",
                note.summary,
            )
        )
    updates = select(ActionUpdate).join(Action).where(*live(Action)).options(selectinload(ActionUpdate.action))
    for update in db.session.scalars(updates):
        title = f"Action {update.status.label.lower()}: {update.action.description} (from {update.by_name})"
        events.append(Event(_day(update.at), "Action update", title, update.note or ""))
    for doc in db.session.scalars(select(GeneratedDocument).where(GeneratedDocument.patient_id == pid)):
        events.append(Event(_day(doc.created_at), "Document", f"{doc.kind.label}: {doc.filename}"))
    return sorted(events, key=lambda e: e.on, reverse=True)


@dataclass(frozen=True)
class CaseNow:
    """What the patient's page says about their care now: the open episode, open concerns, referrals on, contacts."""

    episode: Episode | None
    open_concerns: list[SafeguardingConcern]
    onward: list[OnwardReferral]
    contacts: list[ContactLogEntry]


def case_now(patient: Patient, contacts: int = 20) -> CaseNow:
    """The open episode, open safeguarding concerns, onward referrals (newest first) and the latest contacts."""
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
    logged = db.session.scalars(
        select(ContactLogEntry)
        .where(ContactLogEntry.patient_id == pid, ContactLogEntry.archived_at.is_(None))
        .order_by(ContactLogEntry.contacted_at.desc(), ContactLogEntry.id.desc())
        .limit(contacts)
    ).all()
    return CaseNow(episode, list(concerns), list(onward), list(logged))


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
