"""The plain context of a care-plan version's documents and the GP's outcome letter, read from the database: no ORM
object reaches the renderers in exports/."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from exports.word import safe_filename
from formats.dates import LONDON, format_date
from formats.nhs import format_nhs_number
from models import Action, ActionStatus, AgendaItem, CarePlan, CaseStatus, Meeting, Referral, db
from services.care_plans import PLAN_FIELDS


@dataclass
class PlanGoal:
    """A goal of the plan, as its documents print it."""

    description: str
    domain: str
    target: str
    status: str


@dataclass
class PlanAction:
    """An agency's open action for the patient (the plan's support by agency), as its documents print it."""

    description: str
    owner_organisation: str
    owner_person: str
    due: str
    status: str


@dataclass
class CarePlanContext:
    patient: str
    nhs_number: str
    born: str
    address: str
    gp_practice: str
    named_gp: str
    #: "Version 2, agreed on 12/06/2026" or "Version 3 (draft)".
    version: str
    number: int
    agreed: bool
    agreed_on: str
    agreed_by: str
    agreed_with: str
    review_on: str
    #: The plan's text by field name (PLAN_FIELDS), "" when not written.
    text: dict[str, str]
    #: The agencies' heading of each field, in the plan's order (PLAN_FIELDS).
    headings: dict[str, str]
    goals: list[PlanGoal]
    #: The patient's open actions by owner organisation, agencies in name order.
    support: dict[str, list[PlanAction]]
    filename_stem: str
    patient_id: int


@dataclass
class GpLetterContext:
    plan: CarePlanContext
    #: The practice's name and postal address lines.
    practice: str
    practice_address: list[str]
    dear: str
    date: str
    #: The referrer's question for the ILR (the latest referral's), and who asked it.
    question: str
    referrer: str
    #: The latest case discussion: the meeting, what was discussed, and the recommendations.
    meeting: str
    discussion: str
    recommendations: str
    actions: list[PlanAction] = field(default_factory=list)


def _actions(plan: CarePlan) -> list[Action]:
    return list(
        db.session.scalars(
            select(Action)
            .where(
                Action.patient_id == plan.patient_id,
                Action.status.in_([ActionStatus.open, ActionStatus.in_progress]),
                Action.archived_at.is_(None),
            )
            .options(selectinload(Action.owner_organisation), selectinload(Action.owner_contact))
            .order_by(Action.due_on, Action.id)
        )
    )


def _line(action: Action) -> PlanAction:
    return PlanAction(
        action.description,
        action.owner_organisation.name,
        action.owner_contact.name if action.owner_contact else "",
        format_date(action.due_on),
        action.status.label,
    )


def care_plan_context(plan: CarePlan) -> CarePlanContext:
    """Everything a care-plan document shows, as plain text."""
    patient = plan.patient
    support: dict[str, list[PlanAction]] = {}
    for action in sorted(_actions(plan), key=lambda a: (a.owner_organisation.name, a.due_on, a.id)):
        support.setdefault(action.owner_organisation.name, []).append(_line(action))
    agreed = plan.agreed_on is not None and plan.state.value == "agreed"
    version = (
        f"Version {plan.number}, agreed on {format_date(plan.agreed_on)}"
        if agreed
        else f"Version {plan.number} (draft)"
    )
    return CarePlanContext(
        patient=patient.display_name,
        nhs_number=format_nhs_number(patient.nhs_number) or "",
        born=format_date(patient.date_of_birth),
        address=", ".join(filter(None, [patient.address, patient.postcode])),
        gp_practice=patient.gp_practice.name if patient.gp_practice else "",
        named_gp=patient.named_gp or "",
        version=version,
        number=plan.number,
        agreed=agreed,
        agreed_on=format_date(plan.agreed_on) if plan.agreed_on else "",
        agreed_by=plan.agreed_by.name if plan.agreed_by else "",
        agreed_with=plan.agreed_with or "",
        review_on=format_date(plan.review_on) if plan.review_on else "",
        text={name: getattr(plan, name) or "" for name in PLAN_FIELDS},
        headings=dict(PLAN_FIELDS),
        goals=[
            PlanGoal(
                g.description, g.domain.label, format_date(g.target_on) if g.target_on else "", g.current_status.label
            )
            for g in plan.goals
        ],
        support=support,
        filename_stem=safe_filename(f"care-plan-{patient.family_name}-v{plan.number}"),
        patient_id=patient.id,
    )


def gp_letter_context(plan: CarePlan, on) -> GpLetterContext:
    """The GP's outcome letter: the referrer's question answered, what was discussed, recommendations, actions."""
    context = care_plan_context(plan)
    patient = plan.patient
    practice = patient.gp_practice
    referral = db.session.scalars(
        select(Referral)
        .where(Referral.patient_id == patient.id)
        .order_by(Referral.received_on.desc(), Referral.id.desc())
    ).first()
    item = db.session.scalars(
        select(AgendaItem)
        .join(Meeting)
        .where(AgendaItem.patient_id == patient.id, AgendaItem.status == CaseStatus.discussed)
        .order_by(Meeting.starts_at.desc())
    ).first()
    address = (practice.postal_address or "").split("\n") if practice and practice.postal_address else []
    return GpLetterContext(
        plan=context,
        practice=practice.name if practice else "",
        practice_address=[line.strip() for line in address if line.strip()],
        dear=patient.named_gp or "Doctor",
        date=format_date(on),
        question=(referral.question or referral.reason or "") if referral else "",
        referrer=referral.referrer_name if referral else "",
        meeting=(
            f"{item.meeting.locality.name} ILR on {format_date(item.meeting.starts_at.astimezone(LONDON).date())}"
            if item
            else ""
        ),
        discussion="\n".join(filter(None, [item.summary, item.discussion])) if item else "",
        recommendations="\n".join(filter(None, [item.outcome, item.decisions])) if item else "",
        actions=[line for lines in context.support.values() for line in lines],
    )
