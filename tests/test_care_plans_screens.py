"""The care plan, goal and sharing screens (onward referrals: test_onward.py; safeguarding:
test_safeguarding.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from formats.dates import today
from models import (
    CarePlan,
    CarePlanShare,
    CarePlanState,
    Goal,
    GoalDomain,
    OrganisationType,
    db,
)
from tests.factories import refused, shown


def _all(model) -> list:
    db.session.expire_all()
    return db.session.scalars(db.select(model).order_by(model.id)).all()


# --- care plans and goals -------------------------------------------------------------------------


def _plan_form(patient, **overrides) -> dict:
    form = {
        "patient": patient.id,
        "state": "draft",
        "about_me": "Retired teacher, loves her garden",
        "what_matters": "Staying at home",
        "review_on": (today() + timedelta(days=90)).isoformat(),
    }
    form.update(overrides)
    return form


def test_staff_start_care_plans_numbered_per_patient(signed_in, create_patient):
    patient = create_patient()
    coordinator = signed_in("coordinator")
    assert coordinator.submit("/admin/care_plan/new/", _plan_form(patient)).status_code == 302
    assert (
        coordinator.submit("/admin/care_plan/new/", _plan_form(patient, about_me="Second version")).status_code == 302
    )
    plans = _all(CarePlan)
    assert [(p.number, p.about_me) for p in plans] == [(1, "Retired teacher, loves her garden"), (2, "Second version")]
    assert plans[0].what_matters == "Staying at home" and plans[0].state == CarePlanState.draft


def test_agreeing_a_plan_needs_the_date_and_records_who(signed_in, create_care_plan):
    plan = create_care_plan()
    coordinator = signed_in("coordinator")
    form = _plan_form(plan.patient, state="agreed", expected_version=str(plan.version))
    refused(coordinator, f"/admin/care_plan/edit/?id={plan.id}", form, "Enter the date the plan was agreed.")
    response = coordinator.submit(f"/admin/care_plan/edit/?id={plan.id}", form | {"agreed_on": today().isoformat()})
    assert response.status_code == 302, shown(response)
    [plan] = _all(CarePlan)
    assert plan.state == CarePlanState.agreed and plan.agreed_on == today() and plan.agreed_by_id == coordinator.user.id


def test_an_agreed_plan_cannot_change_and_keeps_the_text(signed_in, create_care_plan, make_user):
    plan = create_care_plan(state=CarePlanState.agreed, agreed_on=today(), agreed_by=make_user())
    form = _plan_form(
        plan.patient,
        state="agreed",
        agreed_on=today().isoformat(),
        about_me="Rewritten",
        expected_version=str(plan.version),
    )
    page = refused(
        signed_in("coordinator"),
        f"/admin/care_plan/edit/?id={plan.id}",
        form,
        "This care plan has been agreed and cannot change",
    )
    assert "Rewritten" in page
    assert _all(CarePlan)[0].about_me == "Likes gardening"


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_write_care_plans_or_goals(signed_in, create_patient, create_care_plan, role):
    plan = create_care_plan()
    client = signed_in(role)
    assert client.submit("/admin/care_plan/new/", _plan_form(create_patient())).status_code == 403
    goal = {"care_plan": plan.id, "description": "Walk to the shop", "domain": "functional", "status": "proposed"}
    assert client.submit("/admin/goal/new/", goal).status_code == 403
    assert len(_all(CarePlan)) == 1 and _all(Goal) == []


def test_care_plan_list_filters_by_state_and_searches_patients(signed_in, create_care_plan, create_patient, make_user):
    create_care_plan(patient=create_patient(family_name="Drafty"))
    create_care_plan(
        patient=create_patient(family_name="Agreeable"),
        state=CarePlanState.agreed,
        agreed_on=today(),
        agreed_by=make_user(),
    )
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/care_plan/?flt0_state_equals=agreed"))
    assert "AGREEABLE" in page and "DRAFTY" not in page
    page = shown(reader.get("/admin/care_plan/?search=drafty"))
    assert "DRAFTY" in page and "AGREEABLE" not in page


def test_goals_go_on_drafts_only(signed_in, create_care_plan, make_user):
    draft = create_care_plan()
    agreed = create_care_plan(
        patient=draft.patient, number=2, state=CarePlanState.agreed, agreed_on=today(), agreed_by=make_user()
    )
    coordinator = signed_in("coordinator")
    goal = {
        "care_plan": draft.id,
        "description": "Walk to the shop and back",
        "domain": "functional",
        "status": "proposed",
        "target_on": (today() + timedelta(days=60)).isoformat(),
    }
    assert coordinator.submit("/admin/goal/new/", goal).status_code == 302
    [saved] = _all(Goal)
    assert saved.care_plan_id == draft.id and saved.domain == GoalDomain.functional
    refused(
        coordinator, "/admin/goal/new/", goal | {"care_plan": agreed.id}, "Goals cannot be added to an agreed care plan"
    )
    assert len(_all(Goal)) == 1
    page = shown(signed_in("read_only").get("/admin/goal/?flt0_domain_equals=functional"))
    assert "Walk to the shop and back" in page


def test_a_goal_over_the_limit_is_refused(signed_in, create_care_plan):
    goal = {"care_plan": create_care_plan().id, "description": "g" * 1001, "domain": "social", "status": "proposed"}
    refused(signed_in("coordinator"), "/admin/goal/new/", goal, "Enter at most 1,000 characters (this has 1,001).")
    assert _all(Goal) == []


# --- sharing with the GP --------------------------------------------------------------------------


def test_sharing_a_plan_records_who_shared_it(signed_in, create_care_plan, make_org):
    practice = make_org(name="Riverside Surgery", type=OrganisationType.gp_practice)
    draft = create_care_plan()
    coordinator = signed_in("coordinator")
    form = {"shared_on": today().isoformat(), "shared_with": practice.id, "method": "Secure email"}
    refused(coordinator, "/admin/care_plan_share/new/", {**form, "care_plan": draft.id}, "never a draft")
    plan = create_care_plan(number=2, patient=draft.patient, state=CarePlanState.agreed, agreed_on=today())
    form["care_plan"] = plan.id
    response = coordinator.submit("/admin/care_plan_share/new/", form)
    assert response.status_code == 302, shown(response)
    [share] = _all(CarePlanShare)
    assert (
        share.shared_by_id == coordinator.user.id and share.shared_with_id == practice.id and share.shared_on == today()
    )
    assert "Riverside Surgery" in shown(signed_in("read_only").get("/admin/care_plan_share/"))
    for role in ["read_only", "partner"]:
        assert signed_in(role).submit("/admin/care_plan_share/new/", form).status_code == 403
    assert len(_all(CarePlanShare)) == 1


def test_nothing_is_shared_after_consent_is_withdrawn(signed_in, create_care_plan, create_patient, make_org):
    plan = create_care_plan(patient=create_patient(consent_withdrawn_on=today()))
    form = {"care_plan": plan.id, "shared_on": today().isoformat(), "shared_with": make_org().id}
    refused(signed_in("coordinator"), "/admin/care_plan_share/new/", form, "not shared any further")
    assert _all(CarePlanShare) == []
