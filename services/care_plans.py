"""Shared care plans: each patient's versions, numbered; a draft is agreed, and an agreed version is frozen.

A draft's goals are added, edited, removed and put in order (a goal whose words another goal of the draft already
has is refused). Progress on an agreed plan's goals is recorded as dated updates; changing the plan itself starts a
new draft copied from it. The GP receives the outcome letter and the agreed plan through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from formats.dates import today
from models import (
    CarePlan,
    CarePlanShare,
    CarePlanState,
    ClosureGoal,
    DomainError,
    Goal,
    GoalDomain,
    GoalStatus,
    GoalUpdate,
    Patient,
    User,
    db,
)
from services import audit
from services.date_checks import agreed_before_drafted_problem, refuse_if

#: The plan's own text, in the order the page and the documents show it, with its label.
PLAN_FIELDS = {
    "about_me": "About me",
    "what_matters": "What matters to me",
    "support_by_agency": "Support and actions by agency",
    "contingency_plan": "Contingency and crisis plan",
    "carers_and_contacts": "Carers and key contacts",
    "involved": "Who I chose to involve",
    "notes_for_professionals": "Notes for professionals",
}
#: How long each may be (its column's length): the page counts down to it, and a save past it is refused.
PLAN_LIMITS = {name: CarePlan.__table__.c[name].type.length for name in PLAN_FIELDS}


class CarePlanChanged(DomainError):
    """Someone saved the draft after this copy of the page was loaded: nothing of this save was kept."""

    def __init__(self, plan: CarePlan):
        super().__init__(
            "Someone else saved this care plan after you opened it, so your text was not saved. Both texts are on "
            "the page: keep yours, or copy what you need from theirs."
        )
        self.version = plan.version
        self.theirs = {name: getattr(plan, name) or "" for name in (*PLAN_FIELDS, "review_on")}
        self.theirs["review_on"] = plan.review_on.isoformat() if plan.review_on else ""


def versions(patient: Patient) -> list[CarePlan]:
    """The patient's care-plan versions, newest first (archived ones too: every version stays readable)."""
    return list(
        db.session.scalars(select(CarePlan).where(CarePlan.patient_id == patient.id).order_by(CarePlan.number.desc()))
    )


def start_new_draft(plan: CarePlan, by: User, copy_from: CarePlan | None = None) -> CarePlan:
    """Add `plan` as the patient's next version, a draft; with `copy_from`, its text and goals are copied in."""
    if copy_from is not None:
        for name in (*PLAN_FIELDS, "review_on", "episode_id"):
            setattr(plan, name, getattr(copy_from, name))
        plan.goals = [
            Goal(description=g.description, domain=g.domain, target_on=g.target_on, status=g.current_status,
                 position=n)
            for n, g in enumerate(copy_from.goals, start=1)
        ]  # fmt: skip
    with db.session.no_autoflush:  # the new plan must not be counted before it has its number
        latest = db.session.scalar(select(func.max(CarePlan.number)).where(CarePlan.patient_id == plan.patient.id))
        plan.number = (latest or 0) + 1
        why = f"Care plan version {plan.number} started by {by.name}"
        if copy_from is not None:
            why += f", copied from version {copy_from.number}"
    plan.state = CarePlanState.draft
    db.session.add(plan)
    with audit.reason(why):
        db.session.flush()
    return plan


def draft_for(patient: Patient, by: User) -> CarePlan:
    """The patient's draft to edit: the open one, or a new one copied from the latest version (blank if none)."""
    latest = versions(patient)
    live = [p for p in latest if p.archived_at is None]
    draft = next((p for p in live if p.state == CarePlanState.draft), None)
    if draft is not None:
        return draft
    return start_new_draft(CarePlan(patient=patient), by, copy_from=live[0] if live else None)


def _refuse_unless_draft(plan: CarePlan) -> None:
    if plan.state != CarePlanState.draft:
        raise DomainError("This care plan has been agreed and cannot change: start a new draft from it.")


def save_draft(plan: CarePlan, fields: dict, by: User, expected_version: int | None = None) -> CarePlan:
    """Keep what was typed into a draft (as it is typed, and on save); a save over a newer one is refused."""
    _refuse_unless_draft(plan)
    if expected_version is not None and expected_version != plan.version:
        raise CarePlanChanged(plan)
    with audit.reason(f"Care plan version {plan.number} edited by {by.name}"):
        for name, value in fields.items():
            if name not in PLAN_FIELDS and name != "review_on":
                continue
            if isinstance(value, str):
                value = value.strip() or None
                limit = PLAN_LIMITS[name]
                if value and len(value) > limit:
                    raise DomainError(
                        f"{PLAN_FIELDS[name]} is too long: at most {limit:,} characters (this has {len(value):,})."
                    )
            if getattr(plan, name) != value:
                setattr(plan, name, value)
        db.session.flush()
    return plan


def same_words(text: str) -> str:
    """A goal's words as compared for a repeat: spaces and line breaks collapsed, capitals ignored."""
    return " ".join(text.split()).casefold()


def _goal_values(plan: CarePlan, description: str, domain: GoalDomain | None, goal: Goal | None = None) -> str:
    """The goal's words, checked: written, not too long, with a domain, and not a goal the draft already has."""
    description = (description or "").strip()
    if not description:
        raise DomainError("Write the goal, in the person's own words.")
    if len(description) > 1000:
        raise DomainError("A goal is at most 1,000 characters.")
    if domain is None:
        raise DomainError("Choose the goal's domain.")
    words = same_words(description)
    for other in plan.goals:
        if other is not goal and same_words(other.description) == words:
            raise DomainError(
                f"This plan already has the goal “{other.description}”: change that one, or remove it, rather than "
                "adding it twice."
            )
    return description


def add_goal(plan: CarePlan, description: str, domain: GoalDomain | None, target_on: date | None, by: User) -> Goal:
    """A goal in the person's own words, at the end of a draft's list."""
    _refuse_unless_draft(plan)
    with db.session.no_autoflush:
        description = _goal_values(plan, description, domain)
        last = max((g.position for g in plan.goals), default=0)
    goal = Goal(care_plan=plan, description=description, domain=domain, target_on=target_on, position=last + 1)
    db.session.add(goal)
    with audit.reason(f"Goal added to care plan version {plan.number} by {by.name}"):
        db.session.flush()
    return goal


def edit_goal(
    goal: Goal,
    description: str,
    domain: GoalDomain | None,
    target_on: date | None,
    status: GoalStatus | None,
    by: User,
    expected_version: int | None = None,
) -> Goal:
    """A draft's goal edited inline; on an agreed plan progress is an update instead (`record_goal_update`)."""
    _refuse_unless_draft(goal.care_plan)
    if expected_version is not None and expected_version != goal.version:
        raise DomainError("Someone else changed this goal after you opened the page: open it again to see theirs.")
    with db.session.no_autoflush:
        description = _goal_values(goal.care_plan, description, domain, goal)
    with audit.reason(f"Goal on care plan version {goal.care_plan.number} edited by {by.name}"):
        goal.description, goal.domain, goal.target_on = description, domain, target_on
        goal.status = status or goal.status
        db.session.flush()
    return goal


def check_goal_record(goal: Goal, is_new: bool) -> Goal:
    """A goal saved on its record screen keeps the page's rules: its words checked (not another goal's of the plan),
    and a new one goes last on its plan's list."""
    plan = goal.care_plan
    with db.session.no_autoflush:
        goal.description = _goal_values(plan, goal.description, goal.domain, goal)
        if is_new:
            goal.position = max((g.position for g in plan.goals if g is not goal), default=0) + 1
    return goal


def remove_goal(goal: Goal, by: User) -> CarePlan:
    """Take a goal off a draft (one added twice, or no longer wanted); an agreed plan's goals stay as agreed."""
    plan = goal.care_plan
    _refuse_unless_draft(plan)
    recorded = db.session.scalar(select(func.count()).select_from(ClosureGoal).where(ClosureGoal.goal_id == goal.id))
    if recorded:
        raise DomainError("This goal's attainment was recorded when the episode closed, so it stays on the plan.")
    with audit.reason(f"Goal removed from care plan version {plan.number} by {by.name}"):
        db.session.delete(goal)
        db.session.flush()
    db.session.expire(plan, ["goals"])
    return plan


def move_goal(goal: Goal, up: bool, by: User) -> CarePlan:
    """Move a draft's goal one place up (earlier) or down the list; the goals are numbered 1, 2, 3... afterwards."""
    plan = goal.care_plan
    _refuse_unless_draft(plan)
    ordered = list(plan.goals)
    here = ordered.index(goal)
    there = here - 1 if up else here + 1
    if not 0 <= there < len(ordered):
        raise DomainError(f"This goal is already {'first' if up else 'last'}.")
    ordered[here], ordered[there] = ordered[there], ordered[here]
    with audit.reason(f"Goals of care plan version {plan.number} put in order by {by.name}"):
        for position, each in enumerate(ordered, start=1):
            if each.position != position:
                each.position = position
        db.session.flush()
    db.session.expire(plan, ["goals"])  # read again in their new order
    return plan


def record_goal_update(
    goal: Goal, status: GoalStatus | None, on: date | None, note: str | None, by: User
) -> GoalUpdate:
    """Progress on a goal of an agreed plan, dated; the plan stays as agreed and the latest update is the status."""
    if goal.care_plan.state != CarePlanState.agreed:
        raise DomainError("On a draft, change the goal's status itself.")
    if status is None:
        raise DomainError("Choose the goal's status.")
    on = on or today()
    if on > today():
        raise DomainError("The date of the update cannot be in the future.")
    update = GoalUpdate(goal=goal, status=status, recorded_on=on, note=(note or "").strip() or None,
                        recorded_by=db.session.get(User, by.id))  # fmt: skip
    db.session.add(update)
    with audit.reason(f"Goal progress on care plan version {goal.care_plan.number} recorded by {by.name}"):
        db.session.flush()
    return update


def agree_care_plan(
    plan: CarePlan, by: User, on: date | None = None, agreed_by: User | None = None, agreed_with: str | None = None
) -> CarePlan:
    """Agree a draft: who agreed it, when and with whom; from then on its content is frozen."""
    on = on or today()
    if on > today():
        raise DomainError("The date the plan was agreed cannot be in the future.")
    refuse_if(agreed_before_drafted_problem(on, plan))
    with audit.reason(f"Care plan version {plan.number} agreed, recorded by {by.name}"):
        plan.state, plan.agreed_on = CarePlanState.agreed, on
        if agreed_with is not None:
            plan.agreed_with = agreed_with.strip() or None
        with db.session.no_autoflush:
            plan.agreed_by = agreed_by or plan.agreed_by or db.session.get(User, by.id)
        db.session.flush()
    return plan


def share_care_plan(share: CarePlanShare, by: User) -> CarePlanShare:
    """Record a version sent to the GP or an agency; nothing more is shared about a patient who died or withdrew."""
    with db.session.no_autoflush:
        patient = share.care_plan.patient
        share.shared_by = db.session.get(User, by.id)
    if not patient.may_be_contacted:
        raise DomainError("This patient has died or withdrawn consent: their care plan is not shared any further.")
    if share.care_plan.state != CarePlanState.agreed:
        raise DomainError("Only an agreed care plan is shared, never a draft.")
    db.session.add(share)
    with audit.reason(f"Care plan version {share.care_plan.number} shared, recorded by {by.name}"):
        db.session.flush()
    return share


# --- comparing two versions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One line of a side-by-side comparison: what it is, its value in each version, and whether it changed."""

    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _goal_line(goal: Goal) -> str:
    target = f", by {goal.target_on:%d/%m/%Y}" if goal.target_on else ""
    return f"{goal.domain.label}{target}: {goal.current_status.label}"


def compare(before: CarePlan, after: CarePlan) -> list[Difference]:
    """Two versions side by side: each field, then each goal (matched by its words), with what changed marked."""
    if before.patient_id != after.patient_id:
        raise DomainError("Only two versions of one patient's plan can be compared.")
    rows = [
        Difference(label, getattr(before, name) or "", getattr(after, name) or "")
        for name, label in PLAN_FIELDS.items()
    ]
    review = [p.review_on.strftime("%d/%m/%Y") if p.review_on else "" for p in (before, after)]
    rows.append(Difference("Review date", *review))
    old = {g.description: g for g in before.goals}
    new = {g.description: g for g in after.goals}
    for words in [*old, *(w for w in new if w not in old)]:
        rows.append(Difference(
            f"Goal: {words}",
            _goal_line(old[words]) if words in old else "(not in this version)",
            _goal_line(new[words]) if words in new else "(not in this version)",
        ))  # fmt: skip
    return rows
