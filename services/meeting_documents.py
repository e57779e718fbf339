"""The plain context of a meeting's documents (agenda, minutes, action log), read from the database: no ORM object
reaches the renderers in exports/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from exports.word import safe_filename
from formats.dates import LONDON, format_date, format_datetime, format_slot
from formats.nhs import format_nhs_number
from models import (
    Action,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CaseStatus,
    Contact,
    Meeting,
    OnwardOutcome,
    OnwardReferral,
    Patient,
    Signposting,
    db,
)
from services.meeting_room import case_contexts
from services.onward import referrals_agreed_at
from services.scheduling import members_of
from services.signposting import signposting_given_at

#: The attendance register's columns, in the order a reader expects them.
REGISTER_COLUMNS = tuple(
    s.label for s in (AttendanceStatus.attended, AttendanceStatus.apologies, AttendanceStatus.absent)
)


@dataclass
class MeetingAction:
    """An action agreed at a meeting (or carried from an earlier one), as its documents print it."""

    patient: str
    nhs_number: str
    description: str
    owner_organisation: str
    owner_person: str
    due: str
    status: str
    owner_organisation_id: int


@dataclass
class OnwardLine:
    """An onward referral (`OnwardReferral`) or signposting (`Signposting`) made for a case, as the minutes and the GP
    letter print it: in two tables, since signposting awaits no outcome."""

    service: str
    #: Why the referral was made, or what the signposting advised; "" when not recorded.
    reason: str
    #: The date it was referred, or the advice given.
    referred_on: str
    signposted: bool
    #: How the referral was sent ("Secure email"), "" for signposting or when not recorded.
    how: str = ""
    #: "Waiting", "Accepted on 02/12/2026"...; "" for signposting.
    outcome: str = ""
    #: Whom signposting was given to ("The patient", "Their carer"), "" for a referral or when not recorded.
    given_to: str = ""


def onward_line(referral: OnwardReferral) -> OnwardLine:
    outcome = referral.outcome.label
    if referral.outcome != OnwardOutcome.waiting and referral.outcome_on:
        outcome += f" on {format_date(referral.outcome_on)}"
    return OnwardLine(
        service=referral.service,
        reason=referral.reason or "",
        referred_on=format_date(referral.referred_on),
        signposted=False,
        how=referral.method.label if referral.method else "",
        outcome=outcome,
    )


def signposting_line(given: Signposting) -> OnwardLine:
    return OnwardLine(
        service=given.service,
        reason=given.what or "",
        referred_on=format_date(given.given_on),
        signposted=True,
        given_to=given.given_to.label if given.given_to else "",
    )


def chair_of(meeting: Meeting) -> str:
    """The chair as the documents name them: "Dr Asha Rao (Riverside Surgery)", "" when none is chosen yet."""
    chair = meeting.chair
    if chair is None:
        return ""
    return f"{chair.name} ({chair.organisation.name})" if chair.organisation else chair.name


@dataclass
class Case:
    position: int
    slot: str
    patient: str
    nhs_number: str
    born: str
    gp_practice: str
    presenter: str
    status: str
    late: bool
    safeguarding: bool
    #: The referrer's question for the ILR, and why they referred.
    question: str
    reason: str
    #: "Agreed (version 2)", or "" when the patient has no care plan yet.
    care_plan: str
    #: The episode's next review date, 25/11/2026 ("" when none is set).
    review_on: str
    summary: str
    discussion: str
    #: The meeting's answer to the referrer's question.
    outcome: str
    decisions: str
    #: Actions agreed at this meeting.
    actions: list[MeetingAction] = field(default_factory=list)
    #: The patient's actions still open from earlier meetings (or agreed outside one), earliest due first.
    carried: list[MeetingAction] = field(default_factory=list)
    #: Onward referrals (in the order they were made), then signposting, agreed in this case's discussion.
    onward: list[OnwardLine] = field(default_factory=list)


@dataclass
class MeetingContext:
    title: str
    locality: str
    when: str
    day: str
    teams_link: str
    #: The chair with their organisation, "" until one is chosen; the minute-taker, "" until minutes are recorded.
    chair: str
    minute_taker: str
    status: str
    cases: list[Case]
    invitees: dict[str, list[str]]  # agency -> names of the locality's standing members
    attendance: dict[str, dict[str, list[str]]]  # agency -> status label -> names
    filename_stem: str
    #: Whom the documents name (for the audit trail, never printed).
    patient_ids: list[int] = field(default_factory=list)
    #: The attendance register's columns, in the order a reader expects them.
    register: tuple[str, ...] = REGISTER_COLUMNS

    @property
    def actions(self) -> list[MeetingAction]:
        """The actions agreed at this meeting (not those carried from earlier ones)."""
        return [a for case in self.cases for a in case.actions]


def _meeting_action(action: Action, patient: str, nhs_number: str) -> MeetingAction:
    return MeetingAction(
        patient,
        nhs_number,
        action.description,
        action.owner_organisation.name,
        action.owner_contact.name if action.owner_contact else "",
        format_date(action.due_on),
        action.status.label,
        action.owner_organisation_id,
    )


def meeting_context(meeting: Meeting, open_safeguarding: set[int]) -> MeetingContext:
    """Everything the agenda, minutes and action log show, loaded in a fixed number of queries."""
    items = db.session.scalars(
        select(AgendaItem)
        .where(
            AgendaItem.meeting_id == meeting.id,
            AgendaItem.archived_at.is_(None),
            AgendaItem.status != CaseStatus.withdrawn,
        )
        .order_by(AgendaItem.position, AgendaItem.id)
        .options(
            selectinload(AgendaItem.patient).selectinload(Patient.gp_practice),
            selectinload(AgendaItem.presenter),
            selectinload(AgendaItem.actions).selectinload(Action.owner_organisation),
            selectinload(AgendaItem.actions).selectinload(Action.owner_contact),
        )
    ).all()
    start = meeting.starts_at.astimezone(LONDON)
    contexts = case_contexts(meeting, items)
    onward = referrals_agreed_at([item.id for item in items])
    signposted = signposting_given_at([item.id for item in items])
    cases = []
    for item in items:
        patient, context = item.patient, contexts[item.id]
        name, number = patient.display_name, format_nhs_number(patient.nhs_number)
        slot = format_datetime(item.slot_starts_at)[-5:] if item.slot_starts_at else ""
        agreed = sorted((a for a in item.actions if a.archived_at is None), key=lambda a: (a.due_on, a.id))
        cases.append(
            Case(
                position=item.position,
                slot=slot,
                patient=name,
                nhs_number=number,
                born=format_date(patient.date_of_birth),
                gp_practice=patient.gp_practice.name if patient.gp_practice else "",
                presenter=item.presenter.name if item.presenter else "",
                status=item.status.label,
                late=item.late_addition,
                safeguarding=patient.id in open_safeguarding,
                question=context.question or "",
                reason=context.reason or "",
                care_plan=context.care_plan or "",
                review_on=format_date(context.review_on),
                summary=item.summary or "",
                discussion=item.discussion or "",
                outcome=item.outcome or "",
                decisions=item.decisions or "",
                actions=[_meeting_action(a, name, number) for a in agreed],
                carried=[_meeting_action(a, name, number) for a in context.earlier_actions],
                onward=[
                    *(onward_line(r) for r in onward[item.id]),
                    *(signposting_line(s) for s in signposted[item.id]),
                ],
            )
        )
    invitees: dict[str, list[str]] = {}
    for contact in sorted(members_of(meeting.locality), key=lambda c: (c.organisation.name, c.name)):
        invitees.setdefault(contact.organisation.name, []).append(contact.name)
    attendance: dict[str, dict[str, list[str]]] = {}
    rows = db.session.scalars(
        select(Attendance)
        .where(Attendance.meeting_id == meeting.id)
        .options(selectinload(Attendance.contact).selectinload(Contact.organisation))
    ).all()
    for row in sorted(rows, key=lambda r: (r.contact.organisation.name, r.contact.name)):
        attendance.setdefault(row.contact.organisation.name, {}).setdefault(row.status.label, []).append(
            row.contact.name
        )
    return MeetingContext(
        title=f"{meeting.locality.name} Integrated Locality Review",
        locality=meeting.locality.name,
        when=f"{format_slot(meeting.starts_at)} to {(start + timedelta(minutes=meeting.duration_minutes)):%H:%M}",
        day=format_date(meeting.starts_at),
        teams_link=meeting.teams_link or "",
        chair=chair_of(meeting),
        minute_taker=meeting.minute_taker.name if meeting.minute_taker else "",
        status=meeting.status.label,
        cases=cases,
        invitees=invitees,
        attendance=attendance,
        filename_stem=safe_filename(f"ilr-{meeting.locality.name}-{start:%Y-%m-%d}"),
        patient_ids=[item.patient_id for item in items],
    )
