"""The plain context of a care-plan version's documents and the GP's outcome letter, read from the database: no ORM
object reaches the renderers in exports/."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from exports.word import safe_filename
from formats.dates import LONDON, format_date
from formats.names import salutation
from formats.nhs import format_nhs_number
from models import (
    Action,
    AgendaItem,
    CarePlan,
    CaseStatus,
    Meeting,
    OnwardReferral,
    Referral,
    Signposting,
    User,
    db,
)
from services.accounts import Signatory, signatory
from services.care_plans import PLAN_FIELDS
from services.meeting_documents import OnwardLine, onward_line, signposting_line


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
    #: The name as screens show it ("ASHDOWN, Margaret"), and as the person would write it ("Margaret Ashdown").
    patient: str
    written_name: str
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
    #: Who made the document: the patient's copy names them as the person to contact.
    contact: Signatory | None = None


@dataclass
class GpLetterContext:
    plan: CarePlanContext
    #: The practice's name and postal address lines ("" and [] when the patient has no practice recorded).
    practice: str
    practice_address: list[str]
    #: The named GP as recorded ("Dr Anika Shah"), "" when none is: the letter then goes to the practice.
    addressee: str
    #: Who "Dear ..." greets: "Dr Shah", else "colleagues at Riverside Surgery", else "colleague".
    dear: str
    date: str
    #: What the letter is about: the patient's name, date of birth and NHS number (3-3-4).
    subject: str
    #: The referrer's question for the ILR (the latest referral's), and who asked it.
    question: str
    referrer: str
    #: The latest case discussion: the meeting, what was discussed, the meeting's answer and its decisions.
    meeting: str
    discussion: str
    outcome: str
    decisions: str
    #: The person generating the letter, who signs it.
    signatory: Signatory
    actions: list[PlanAction] = field(default_factory=list)
    #: Onward referrals and signposting made for the case (at that discussion, or in the same episode).
    onward: list[OnwardLine] = field(default_factory=list)


def _actions(plan: CarePlan) -> list[Action]:
    return list(
        db.session.scalars(
            select(Action)
            .where(
                Action.patient_id == plan.patient_id,
                Action.still_open(),
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


def care_plan_context(plan: CarePlan, by: User | None = None) -> CarePlanContext:
    """Everything a care-plan document shows, as plain text; `by` is who makes it (the patient's copy's contact)."""
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
        written_name=patient.written_name,
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
        contact=signatory(by) if by is not None else None,
    )


def _onward_for(plan: CarePlan, item: AgendaItem | None) -> list[OnwardLine]:
    """The onward referrals, then the signposting, made for the case: agreed at its latest discussion, or in its
    episode."""
    episode_id = item.episode_id if item is not None and item.episode_id else plan.episode_id
    if item is None and episode_id is None:
        return []
    lines = []
    for model, line, on in ((OnwardReferral, onward_line, OnwardReferral.referred_on),
                            (Signposting, signposting_line, Signposting.given_on)):  # fmt: skip
        made_for = [model.agenda_item_id == item.id] if item is not None else []
        if episode_id is not None:
            made_for.append(model.episode_id == episode_id)
        rows = db.session.scalars(
            select(model)
            .where(model.patient_id == plan.patient_id, model.archived_at.is_(None), or_(*made_for))
            .order_by(on, model.id)
        )
        lines += [line(row) for row in rows]
    return lines


def _dear(named_gp: str | None, practice: str) -> str:
    """The named GP by title and family name; else the practice's clinicians; else one colleague."""
    return salutation(named_gp) or (f"colleagues at {practice}" if practice else "colleague")


def gp_letter_context(plan: CarePlan, on, by: User) -> GpLetterContext:
    """The GP's outcome letter, signed by `by`: the referrer's question answered, what was discussed and decided, the
    actions and who owns them, the onward referrals and signposting, and the care plan's state."""
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
    practice_name = practice.name if practice else ""
    number = context.nhs_number or "not recorded"
    return GpLetterContext(
        plan=context,
        practice=practice_name,
        practice_address=[line.strip() for line in address if line.strip()],
        addressee=(patient.named_gp or "").strip(),
        dear=_dear(patient.named_gp, practice_name),
        date=format_date(on),
        subject=f"{patient.written_name}, date of birth {context.born}, NHS number {number}",
        question=(referral.question or referral.reason or "") if referral else "",
        referrer=referral.referrer_name if referral else "",
        meeting=(
            f"{item.meeting.locality.name} ILR on {format_date(item.meeting.starts_at.astimezone(LONDON).date())}"
            if item
            else ""
        ),
        discussion="\n".join(filter(None, [item.summary, item.discussion])) if item else "",
        outcome=(item.outcome or "") if item else "",
        decisions=(item.decisions or "") if item else "",
        signatory=signatory(by),
        actions=[line for lines in context.support.values() for line in lines],
        onward=_onward_for(plan, item),
    )
