"""Care plan services: drafts numbered per patient, agreeing freezes a version, sharing stops after death or
withdrawn consent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from formats import dates
from models import (
    AuditAction,
    AuditEntry,
    CarePlan,
    CarePlanShare,
    CarePlanState,
    DomainError,
    OrganisationType,
    db,
)
from services import care_plans

#: 23:30 UTC on 30 June 2026 is 00:30 on 1 July in London (BST).
JUST_AFTER_LONDON_MIDNIGHT = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)


class _FrozenClock(datetime):
    """`datetime` as formats.dates sees it, stopped at one instant."""

    @classmethod
    def now(cls, tz=None):
        return JUST_AFTER_LONDON_MIDNIGHT.astimezone(tz)


#: When the plans these tests agree were drafted: before the dates they are agreed on.
DRAFTED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(dates, "datetime", _FrozenClock)


def _reasons(table: str, record_id: int) -> list[str | None]:
    return list(
        db.session.scalars(
            db.select(AuditEntry.reason)
            .where(AuditEntry.table_name == table, AuditEntry.record_id == record_id)
            .order_by(AuditEntry.id)
        )
    )


# --- start_new_draft -----------------------------------------------------------------------------


def test_drafts_are_numbered_1_2_3_per_patient(create_patient, make_user):
    coordinator = make_user()
    ada, grace = create_patient(), create_patient(given_name="Grace", family_name="Hopper")
    first = care_plans.start_new_draft(CarePlan(patient=ada, about_me="Likes gardening"), coordinator)
    other = care_plans.start_new_draft(CarePlan(patient=grace, about_me="Likes sailing"), coordinator)
    second = care_plans.start_new_draft(CarePlan(patient=ada, about_me="Likes gardening and radio"), coordinator)
    third = care_plans.start_new_draft(CarePlan(patient=ada), coordinator)
    db.session.commit()
    assert [(p.patient_id, p.number, p.state) for p in (first, second, third, other)] == [
        (ada.id, 1, CarePlanState.draft),
        (ada.id, 2, CarePlanState.draft),
        (ada.id, 3, CarePlanState.draft),
        (grace.id, 1, CarePlanState.draft),
    ]


def test_a_new_draft_follows_an_agreed_version(create_care_plan, make_user):
    agreed = create_care_plan(number=4, state=CarePlanState.agreed, agreed_on=date(2026, 5, 1))
    draft = care_plans.start_new_draft(CarePlan(patient=agreed.patient, about_me=agreed.about_me), make_user())
    assert (draft.number, draft.state, draft.about_me) == (5, CarePlanState.draft, "Likes gardening")


def test_starting_a_draft_is_audited(create_patient, make_user):
    patient = create_patient()
    coordinator = make_user(name="Cara Coordinator")
    assert coordinator.name == "Cara Coordinator"  # loaded, as a request's current_user is
    first = care_plans.start_new_draft(CarePlan(patient=patient), coordinator)
    second = care_plans.start_new_draft(CarePlan(patient=patient), coordinator)
    db.session.commit()
    assert _reasons("care_plan", first.id) == ["Care plan version 1 started by Cara Coordinator"]
    assert _reasons("care_plan", second.id) == ["Care plan version 2 started by Cara Coordinator"]


def test_starting_a_draft_keeps_its_reason_when_the_user_must_be_reloaded(create_patient, make_user):
    patient = create_patient()
    coordinator = make_user(name="Cara Coordinator")  # committed, so expired until read again
    plan = care_plans.start_new_draft(CarePlan(patient=patient), coordinator)
    db.session.commit()
    assert _reasons("care_plan", plan.id) == ["Care plan version 1 started by Cara Coordinator"]


# --- agree_care_plan -----------------------------------------------------------------------------


def test_agreeing_defaults_to_today_in_london_and_the_agreeing_user(frozen, create_care_plan, make_user):
    plan = create_care_plan(created_at=DRAFTED)
    coordinator = make_user(name="Cara Coordinator")
    result = care_plans.agree_care_plan(plan, coordinator)
    db.session.commit()
    db.session.expire_all()
    assert result is plan
    assert (plan.state, plan.agreed_on, plan.agreed_by_id) == (CarePlanState.agreed, date(2026, 7, 1), coordinator.id)
    assert _reasons("care_plan", plan.id)[-1] == "Care plan version 1 agreed, recorded by Cara Coordinator"


def test_agreeing_on_a_date_with_someone_else(frozen, create_care_plan, make_user):
    plan = create_care_plan(created_at=DRAFTED)
    coordinator, lead = make_user(), make_user("team_lead")
    care_plans.agree_care_plan(plan, coordinator, on=date(2026, 6, 12), agreed_by=lead)
    db.session.commit()
    assert (plan.agreed_on, plan.agreed_by_id) == (date(2026, 6, 12), lead.id)


def test_agreeing_keeps_who_was_already_named(create_care_plan, make_user):
    lead = make_user("team_lead")
    plan = create_care_plan(agreed_by=lead, created_at=DRAFTED)
    care_plans.agree_care_plan(plan, make_user(), on=date(2026, 6, 12))
    assert plan.agreed_by_id == lead.id


def test_agreeing_in_the_future_is_refused(frozen, create_care_plan, make_user):
    plan = create_care_plan()
    with pytest.raises(DomainError) as refusal:
        care_plans.agree_care_plan(plan, make_user(), on=date(2026, 7, 2))
    assert str(refusal.value) == "The date the plan was agreed cannot be in the future."
    assert (plan.state, plan.agreed_on) == (CarePlanState.draft, None)


def test_an_agreed_plan_refuses_content_changes_on_flush(create_care_plan, make_user):
    plan = create_care_plan(created_at=DRAFTED)
    care_plans.agree_care_plan(plan, make_user(), on=date(2026, 6, 12))
    db.session.commit()
    plan.about_me = "Changed after agreement"
    with pytest.raises(DomainError) as refusal:
        db.session.flush()
    assert str(refusal.value) == "This care plan has been agreed and cannot change: start a new draft from it."
    db.session.rollback()
    db.session.expire_all()
    assert plan.about_me == "Likes gardening"


# --- share_care_plan -----------------------------------------------------------------------------


@pytest.fixture
def practice(make_org):
    return make_org(name="Riverside Surgery", type=OrganisationType.gp_practice)


def test_sharing_records_who_shared_it_and_is_audited(create_care_plan, make_user, practice):
    plan = create_care_plan(state=CarePlanState.agreed, agreed_on=date(2026, 6, 12))
    coordinator = make_user(name="Cara Coordinator")
    share = care_plans.share_care_plan(
        CarePlanShare(care_plan=plan, shared_on=date(2026, 6, 15), shared_with=practice, method="Secure email"),
        coordinator,
    )
    db.session.commit()
    db.session.expire_all()
    [stored] = db.session.scalars(db.select(CarePlanShare)).all()
    assert stored.id == share.id
    assert (stored.care_plan_id, stored.shared_by_id, stored.shared_with_id, stored.shared_on) == (
        plan.id,
        coordinator.id,
        practice.id,
        date(2026, 6, 15),
    )
    [entry] = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.table_name == "care_plan_share", AuditEntry.record_id == share.id)
    ).all()
    assert (entry.action, entry.reason) == (
        AuditAction.create,
        "Care plan version 1 shared, recorded by Cara Coordinator",
    )


@pytest.mark.parametrize(
    "life_event", [dict(date_of_death=date(2026, 6, 1)), dict(consent_withdrawn_on=date(2026, 6, 1))]
)
def test_sharing_is_refused_after_death_or_withdrawn_consent(
    create_patient, create_care_plan, make_user, practice, life_event
):
    plan = create_care_plan(patient=create_patient(**life_event))
    coordinator = make_user()
    with pytest.raises(DomainError) as refusal:
        care_plans.share_care_plan(
            CarePlanShare(care_plan=plan, shared_on=date(2026, 6, 15), shared_with=practice), coordinator
        )
    assert str(refusal.value) == (
        "This patient has died or withdrawn consent: their care plan is not shared any further."
    )
    db.session.rollback()
    assert db.session.scalars(db.select(CarePlanShare)).all() == []
