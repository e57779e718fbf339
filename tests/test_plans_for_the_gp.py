"""The agreed care plans waiting to go to the GP: the rows kept in `care_plan_for_gp` are the rule's answer after
every kind of change that can alter it, in the same transaction, and a rebuild finds what bulk rows left out."""

from __future__ import annotations

from sqlalchemy import insert, select

from formats.dates import today
from models import (
    CarePlan,
    CarePlanForGp,
    CarePlanShare,
    CarePlanState,
    ClosureReason,
    OrganisationType,
    Role,
    db,
    utcnow,
)
from services.plans_for_the_gp import rebuild_for_gp, waiting_for_gp


def kept() -> set[int]:
    return set(db.session.scalars(select(CarePlanForGp.care_plan_id)))


def by_the_rule() -> set[int]:
    return set(db.session.scalars(select(CarePlan.id).where(waiting_for_gp())))


def test_the_plans_kept_for_the_gp_follow_every_change_that_can_alter_the_rule(
    create_episode, create_care_plan, make_org, make_user
):
    by = make_user(Role.coordinator)
    practice, other_practice = (make_org(type=OrganisationType.gp_practice) for _ in range(2))
    episode = create_episode()
    patient = episode.patient
    patient.gp_practice = practice
    draft = create_care_plan(patient=patient)
    assert kept() == by_the_rule() == set()

    def share(plan, organisation):
        db.session.add(CarePlanShare(care_plan=plan, shared_on=today(), shared_by_id=by.id, shared_with=organisation))
        db.session.commit()

    def then(expected: set[int]) -> None:
        assert kept() == by_the_rule() == expected

    draft.state, draft.agreed_on = CarePlanState.agreed, today()
    db.session.commit()
    then({draft.id})  # agreed
    share(draft, make_org())
    then({draft.id})  # shared with another agency only
    share(draft, practice)
    then(set())  # shared with the patient's practice
    patient.gp_practice = other_practice
    db.session.commit()
    then({draft.id})  # the patient moved to a practice that has not had it
    newer = create_care_plan(patient=patient, number=2, state=CarePlanState.agreed, agreed_on=today())
    then({newer.id})  # a newer version agreed replaces it
    episode.closed_on, episode.closure_reason = today(), ClosureReason.goals_met
    db.session.commit()
    then(set())  # the episode closed: no longer today's work
    create_episode(patient=patient)
    then({newer.id})  # a new episode opened
    newer.archived_at = utcnow()
    db.session.commit()
    then({draft.id})  # the newer version archived: the older one is the latest again
    patient.archived_at = utcnow()
    db.session.commit()
    then(set())  # the patient archived


def test_each_change_is_kept_in_the_same_flush_as_the_change(create_episode, create_care_plan):
    patient = create_episode().patient
    plan = create_care_plan(patient=patient)
    plan.state, plan.agreed_on = CarePlanState.agreed, today()
    db.session.flush()  # not committed: a rollback takes the kept row back with the plan's change
    assert kept() == by_the_rule() == {plan.id}
    db.session.rollback()
    assert kept() == by_the_rule() == set()


def test_a_rebuild_finds_the_plans_that_rows_written_around_the_flush_left_out(create_episode, create_care_plan):
    patient = create_episode().patient
    plan = create_care_plan(patient=patient)
    db.session.execute(
        insert(CarePlan).values(patient_id=patient.id, number=2, state=CarePlanState.agreed, agreed_on=today())
    )  # as the demo's bulk load writes: no flush, so nothing kept
    db.session.commit()
    assert kept() == set() and len(by_the_rule()) == 1
    assert rebuild_for_gp(db.session()) == 1
    assert kept() == by_the_rule() and plan.id not in kept()
