"""A draft care plan can be corrected (issue 27): a goal removed or moved up and down (never on an agreed version),
a goal with the same words as one already in the draft refused in words, and a refused agree keeps what was typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from formats.dates import today
from models import AuditAction, AuditEntry, CarePlan, DomainError, Goal, GoalDomain, db
from services import care_plans
from services.care_plan_documents import care_plan_context
from tests.factories import refused, shown


@pytest.fixture
def draft(create_patient, make_user):
    """A draft with three goals, one of them added twice by mistake."""
    coordinator = make_user()
    plan = care_plans.start_new_draft(CarePlan(patient=create_patient()), coordinator)
    care_plans.save_draft(plan, {"about_me": "I was a nurse"}, coordinator)
    for words, domain in (("Walk to the shop", GoalDomain.functional), ("See my friends", GoalDomain.social),
                          ("Sleep through the night", GoalDomain.physical)):  # fmt: skip
        care_plans.add_goal(plan, words, domain, None, coordinator)
    db.session.commit()
    plan.coordinator = coordinator
    return plan


def _goals(plan: CarePlan) -> list[str]:
    db.session.expire_all()
    return [g.description for g in db.session.get(CarePlan, plan.id).goals]


def _page(client, plan: CarePlan) -> str:
    return shown(client.get(f"/admin/care-plan/{plan.patient_id}/"))


def test_a_goal_is_removed_from_a_draft_and_the_trail_keeps_its_words(draft, signed_in):
    coordinator = signed_in("coordinator")
    friends = draft.goals[1]
    friends_id = friends.id
    assert "Remove “See my friends” from the draft" in _page(coordinator, draft)
    done = coordinator.submit(f"/admin/care-plan/goal/{friends_id}/remove", {})
    assert done.status_code == 302
    assert _goals(draft) == ["Walk to the shop", "Sleep through the night"]
    page = _page(coordinator, draft)
    assert "Goal removed from the draft." in page and 'value="See my friends"' not in page
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.table_name == "goal", AuditEntry.record_id == friends_id, AuditEntry.action == AuditAction.delete
        )  # fmt: skip
    ).one()
    assert "See my friends" in entry.changes and entry.reason.startswith("Goal removed from care plan version 1 by")
    assert [g.description for g in care_plan_context(db.session.get(CarePlan, draft.id)).goals] == [
        "Walk to the shop", "Sleep through the night",
    ]  # fmt: skip


def test_goals_move_up_and_down_and_keep_their_order_everywhere(draft, signed_in):
    coordinator = signed_in("coordinator")
    last = draft.goals[2]
    assert coordinator.submit(f"/admin/care-plan/goal/{last.id}/move", {"direction": "up"}).status_code == 302
    assert _goals(draft) == ["Walk to the shop", "Sleep through the night", "See my friends"]
    first = db.session.get(CarePlan, draft.id).goals[0]
    coordinator.submit(f"/admin/care-plan/goal/{first.id}/move", {"direction": "down"})
    assert _goals(draft) == ["Sleep through the night", "Walk to the shop", "See my friends"]
    plan = db.session.get(CarePlan, draft.id)
    assert [g.position for g in plan.goals] == [1, 2, 3]
    page = _page(coordinator, plan)
    assert (
        page.index('value="Sleep through the night"')
        < page.index('value="Walk to the shop"')
        < page.index('value="See my friends"')
    )
    # The first cannot go up (it offers no button), nor the last down: refused in words if asked.
    refused = coordinator.submit(f"/admin/care-plan/goal/{plan.goals[0].id}/move", {"direction": "up"})
    assert "This goal is already first." in shown(coordinator.get(refused.headers["Location"]))
    # The agreed version, its documents and the next draft copied from it keep the order.
    care_plans.agree_care_plan(plan, draft.coordinator, agreed_with="the patient")
    next_draft = care_plans.draft_for(plan.patient, draft.coordinator)
    db.session.commit()
    agreed = [g.description for g in care_plan_context(db.session.get(CarePlan, draft.id)).goals]
    assert agreed == _goals(next_draft) == ["Sleep through the night", "Walk to the shop", "See my friends"]


def test_the_same_goal_twice_is_refused_in_words(draft, signed_in):
    coordinator = signed_in("coordinator")
    form = {"description": "  walk to   the SHOP ", "domain": "functional"}
    refused = coordinator.submit(f"/admin/care-plan/plan/{draft.id}/goal", form)
    page = shown(coordinator.get(refused.headers["Location"]))
    assert "This plan already has the goal “Walk to the shop”: change that one, or remove it" in page
    assert _goals(draft) == ["Walk to the shop", "See my friends", "Sleep through the night"]
    # Editing another goal into the same words is refused too; a goal keeps its own words when edited.
    friends = db.session.get(CarePlan, draft.id).goals[1]
    with pytest.raises(DomainError, match="already has the goal “Walk to the shop”"):
        care_plans.edit_goal(friends, "Walk to the shop", GoalDomain.social, None, None, draft.coordinator)
    db.session.rollback()
    walk = db.session.get(CarePlan, draft.id).goals[0]
    care_plans.edit_goal(walk, "Walk to the shop", GoalDomain.physical, None, None, draft.coordinator)
    db.session.commit()
    assert db.session.get(Goal, walk.id).domain == GoalDomain.physical


def test_an_agreed_plans_goals_are_neither_removed_nor_moved(draft, signed_in):
    care_plans.agree_care_plan(draft, draft.coordinator, agreed_with="the patient")
    db.session.commit()
    goal = draft.goals[1]
    coordinator = signed_in("coordinator")
    page = _page(coordinator, draft)
    assert "Remove" not in page and "Move up" not in page
    for url, form in ((f"/admin/care-plan/goal/{goal.id}/remove", {}),
                      (f"/admin/care-plan/goal/{goal.id}/move", {"direction": "up"})):  # fmt: skip
        refused = coordinator.submit(url, form)
        assert "This care plan has been agreed and cannot change" in shown(coordinator.get(refused.headers["Location"]))
    assert _goals(draft) == ["Walk to the shop", "See my friends", "Sleep through the night"]
    with pytest.raises(DomainError, match="cannot be removed from an agreed care plan"):
        db.session.delete(db.session.get(Goal, goal.id))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DatabaseError, match="agreed care plan"):  # and the database's own trigger
        db.session.execute(text("UPDATE goal SET position = 9 WHERE id = :goal"), {"goal": goal.id})
    db.session.rollback()


def test_a_refused_agree_keeps_everything_typed(draft, signed_in):
    coordinator = signed_in("coordinator")
    tomorrow = today() + timedelta(days=1)
    refused = coordinator.submit(
        f"/admin/care-plan/plan/{draft.id}/agree",
        {"agreed_with": "the patient and Jo (daughter)", "agreed_on": tomorrow.isoformat()},
    )
    page = shown(refused)
    assert refused.status_code == 200 and "The date the plan was agreed cannot be in the future." in page
    assert 'name="agreed_with" maxlength="300" required value="the patient and Jo (daughter)"' in page
    assert f'name="agreed_on" value="{tomorrow.isoformat()}"' in page
    assert ">I was a nurse</textarea>" in page and 'value="See my friends"' in page  # the draft as saved
    assert db.session.get(CarePlan, draft.id).state.value == "draft"
    agreed = coordinator.submit(
        f"/admin/care-plan/plan/{draft.id}/agree",
        {"agreed_with": "the patient and Jo (daughter)", "agreed_on": today().isoformat()},
    )
    assert agreed.status_code == 302


def test_the_goal_screen_keeps_the_same_rules(draft, signed_in):
    coordinator = signed_in("coordinator")
    goal = {"care_plan": draft.id, "description": "SEE my  friends", "domain": "social", "status": "proposed"}
    refused(coordinator, "/admin/goal/new/", goal, "This plan already has the goal “See my friends”")
    assert coordinator.submit("/admin/goal/new/", goal | {"description": "Tend the allotment"}).status_code == 302
    assert _goals(draft)[-1] == "Tend the allotment"  # a new goal goes last
