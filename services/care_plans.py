"""Shared care plans: each patient's versions, numbered; a draft is agreed, and an agreed version is frozen."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

import audit
from models import CarePlan, CarePlanShare, CarePlanState, DomainError, User, db
from timefmt import today


def start_new_draft(plan: CarePlan, by: User) -> CarePlan:
    """Add `plan` (filled in by the caller) as the patient's next version, a draft."""
    with db.session.no_autoflush:  # the new plan must not be counted before it has its number
        latest = db.session.scalar(select(func.max(CarePlan.number)).where(CarePlan.patient_id == plan.patient.id))
        plan.number = (latest or 0) + 1
        why = f"Care plan version {plan.number} started by {by.name}"
    plan.state = CarePlanState.draft
    db.session.add(plan)
    with audit.reason(why):
        db.session.flush()
    return plan


def agree_care_plan(plan: CarePlan, by: User, on: date | None = None, agreed_by: User | None = None) -> CarePlan:
    """Agree a draft: from then on its content is frozen (a new draft starts from it)."""
    on = on or today()
    if on > today():
        raise DomainError("The date the plan was agreed cannot be in the future.")
    with audit.reason(f"Care plan version {plan.number} agreed, recorded by {by.name}"):
        plan.state, plan.agreed_on = CarePlanState.agreed, on
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
    db.session.add(share)
    with audit.reason(f"Care plan version {share.care_plan.number} shared, recorded by {by.name}"):
        db.session.flush()
    return share
