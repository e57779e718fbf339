"""Plain data about a meeting for its documents: no ORM objects reach the renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Action, AgendaItem, Attendance, CaseStatus, Contact, Meeting, Patient, db
from nhs import format_nhs_number
from timefmt import LONDON, format_date, format_datetime


@dataclass
class ActionLine:
    patient: str
    nhs_number: str
    description: str
    owner_organisation: str
    owner_person: str
    due: str
    status: str
    owner_organisation_id: int


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
    summary: str
    discussion: str
    outcome: str
    decisions: str
    actions: list[ActionLine] = field(default_factory=list)


@dataclass
class MeetingContext:
    title: str
    locality: str
    when: str
    day: str
    teams_link: str
    chair: str
    status: str
    cases: list[Case]
    attendance: dict[str, dict[str, list[str]]]  # agency -> status label -> names
    filename_stem: str

    @property
    def actions(self) -> list[ActionLine]:
        return [a for case in self.cases for a in case.actions]


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
    cases = []
    for item in items:
        patient = item.patient
        name, number = patient.display_name, format_nhs_number(patient.nhs_number)
        slot = format_datetime(item.slot_starts_at)[-5:] if item.slot_starts_at else ""
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
                summary=item.summary or "",
                discussion=item.discussion or "",
                outcome=item.outcome or "",
                decisions=item.decisions or "",
                actions=[
                    ActionLine(
                        name,
                        number,
                        a.description,
                        a.owner_organisation.name,
                        a.owner_contact.name if a.owner_contact else "",
                        format_date(a.due_on),
                        a.status.label,
                        a.owner_organisation_id,
                    )
                    for a in sorted(item.actions, key=lambda a: (a.due_on, a.id))
                    if a.archived_at is None
                ],
            )
        )
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
        when=f"{format_datetime(meeting.starts_at)} to {(start + timedelta(minutes=meeting.duration_minutes)):%H:%M}",
        day=format_date(meeting.starts_at),
        teams_link=meeting.teams_link or "",
        chair=meeting.chair.name if meeting.chair else "",
        status=meeting.status.label,
        cases=cases,
        attendance=attendance,
        filename_stem=f"ilr-{meeting.locality.name}-{start:%Y-%m-%d}".replace(" ", "-").lower(),
    )
