"""Invariants the database and the models keep, whatever screen or service writes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from models import (
    Action,
    ActionStatus,
    CarePlan,
    CarePlanState,
    DeclineReason,
    DomainError,
    Goal,
    GoalDomain,
    Locality,
    Organisation,
    OrganisationType,
    Patient,
    Referral,
    TriageDecision,
    TriageOutcome,
    db,
)


@pytest.fixture
def patient(app):
    p = Patient(given_name="Ada", family_name="Lovelace", date_of_birth=date(1940, 1, 2))
    db.session.add(p)
    db.session.commit()
    return p


def _fails(obj, name: str):
    """Committing `obj` breaks the named check constraint, `ck_<table>_<name>`, and not some other one."""
    db.session.add(obj)
    with pytest.raises(IntegrityError) as info:
        db.session.commit()
    db.session.rollback()
    # SQLite ("CHECK constraint failed: ck_...") and PostgreSQL ('violates check constraint "ck_..."') name it.
    assert f"ck_{obj.__table__.name}_{name}" in str(info.value), str(info.value)


def test_done_action_needs_a_completion_date(patient, make_org):
    org = make_org()
    _fails(
        Action(
            patient_id=patient.id,
            description="Visit",
            owner_organisation_id=org.id,
            due_on=date(2026, 1, 1),
            status=ActionStatus.done,
        ),
        "done_has_completion_date",
    )


def test_declined_referral_decision_needs_a_reason(patient, make_user):
    user = make_user()
    locality = Locality(name="North")
    db.session.add(locality)
    db.session.commit()
    referral = Referral(
        patient_id=patient.id,
        locality_id=locality.id,
        received_on=date(2026, 1, 1),
        referrer_name="Dr A",
        reason="Falls",
    )
    db.session.add(referral)
    db.session.commit()
    _fails(
        TriageDecision(
            referral_id=referral.id, decided_on=date(2026, 1, 2), decided_by_id=user.id, outcome=TriageOutcome.decline
        ),
        "decline_has_reason",
    )
    _fails(
        TriageDecision(
            referral_id=referral.id,
            decided_on=date(2026, 1, 2),
            decided_by_id=user.id,
            outcome=TriageOutcome.decline,
            decline_reason=DeclineReason.other,
        ),
        "other_reason_has_text",
    )


def test_cfs_must_be_one_to_nine(app):
    _fails(Patient(given_name="A", family_name="B", date_of_birth=date(1950, 1, 1), cfs=10), "cfs_one_to_nine")


def test_agreed_care_plan_is_frozen(patient):
    plan = CarePlan(patient_id=patient.id, number=1, about_me="I like gardening")
    db.session.add(plan)
    db.session.add(Goal(care_plan=plan, description="Walk to the shop", domain=GoalDomain.functional))
    db.session.commit()
    plan.state = CarePlanState.agreed
    plan.agreed_on = date(2026, 11, 25)
    db.session.commit()  # agreeing is allowed

    plan.about_me = "Changed afterwards"
    with pytest.raises(DomainError, match="agreed and cannot change"):
        db.session.commit()
    db.session.rollback()
    plan.goals[0].description = "Changed goal"
    with pytest.raises(DomainError, match="agreed care plan"):
        db.session.commit()
    db.session.rollback()
    db.session.add(Goal(care_plan=plan, description="New goal", domain=GoalDomain.social))
    with pytest.raises(DomainError, match="agreed care plan"):
        db.session.commit()
    db.session.rollback()


def test_agreed_care_plan_can_still_be_archived(patient):
    from models import utcnow

    plan = CarePlan(patient_id=patient.id, number=1, state=CarePlanState.agreed, agreed_on=date(2026, 11, 1))
    db.session.add(plan)
    db.session.commit()
    plan.archived_at = utcnow()
    db.session.commit()


def test_every_model_has_str_and_repr():
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        assert "__str__" in cls.__dict__, cls
        assert "__repr__" in cls.__dict__, cls


def test_version_increases_on_each_change(patient):
    assert patient.version == 1
    patient.postcode = "ME1 1AA"
    db.session.commit()
    assert patient.version == 2


def test_organisation_type_labels_come_from_the_enum():
    assert OrganisationType.fire_rescue.label == "Fire and rescue"
    assert str(OrganisationType.gp_practice) == "GP practice"
    assert Organisation.__tablename__ == "organisation"
