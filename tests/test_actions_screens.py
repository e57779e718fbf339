"""The action and chase screens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from formats.dates import today
from models import Action, ActionChase, ActionStatus, ChaseMethod, OrganisationType, db, utcnow
from tests.factories import refused, shown


def _actions() -> list[Action]:
    db.session.expire_all()
    return db.session.scalars(db.select(Action)).all()


def _form(patient, organisation, **overrides) -> dict:
    form = {
        "patient": patient.id,
        "description": "Medication review for falls risk",
        "owner_organisation": organisation.id,
        "due_on": (today() + timedelta(days=14)).isoformat(),
        "status": "open",
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize("role", ["coordinator", "team_lead"])
def test_staff_record_an_action_from_a_discussion(signed_in, create_agenda_item, create_contact, make_org, role):
    item = create_agenda_item()
    pharmacy = make_org(name="Medway Pharmacy", type=OrganisationType.pharmacy)
    owner = create_contact(name="Phil Pharmacist", organisation=pharmacy)
    form = _form(item.patient, pharmacy, agenda_item=item.id, owner_contact=owner.id)
    response = signed_in(role).submit("/admin/action/new/", form)
    assert response.status_code == 302, shown(response)
    [action] = _actions()
    assert (
        action.agenda_item_id == item.id
        and action.patient_id == item.patient_id
        and action.owner_contact_id == owner.id
    )
    assert action.due_on == today() + timedelta(days=14) and action.status == ActionStatus.open


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_record_actions(signed_in, create_patient, make_org, role):
    assert signed_in(role).submit("/admin/action/new/", _form(create_patient(), make_org())).status_code == 403
    assert _actions() == []


def test_a_done_action_with_no_date_typed_was_done_today(signed_in, create_patient, make_org):
    # The partners issue: "done" with no date typed is not an error, for everyone; it means today.
    response = signed_in("coordinator").submit("/admin/action/new/", _form(create_patient(), make_org(), status="done"))
    assert response.status_code == 302
    (action,) = _actions()
    assert (action.status, action.completed_on) == (ActionStatus.done, today())


def test_a_completion_date_in_the_future_is_refused(signed_in, create_patient, make_org):
    form = _form(create_patient(), make_org(), status="done", completed_on=(today() + timedelta(days=1)).isoformat())
    refused(signed_in("coordinator"), "/admin/action/new/", form, "The date cannot be in the future.")
    assert _actions() == []


def test_the_owner_must_work_for_the_owning_organisation(signed_in, create_patient, create_contact, make_org):
    elsewhere = create_contact(name="Sam Social")
    form = _form(create_patient(), make_org(name="Medway Pharmacy"), owner_contact=elsewhere.id)
    refused(signed_in("coordinator"), "/admin/action/new/", form, "Sam Social does not work for Medway Pharmacy")
    assert _actions() == []


def test_an_action_from_another_patients_discussion_is_refused(signed_in, create_agenda_item, create_patient, make_org):
    item = create_agenda_item()
    form = _form(create_patient(family_name="Someone"), make_org(), agenda_item=item.id)
    refused(signed_in("coordinator"), "/admin/action/new/", form, "This discussion is about another patient")
    assert _actions() == []


def test_marking_an_action_done(signed_in, create_action):
    action = create_action()
    form = _form(
        action.patient,
        action.owner_organisation,
        status="done",
        completed_on=today().isoformat(),
        expected_version=str(action.version),
    )
    assert signed_in("coordinator").submit(f"/admin/action/edit/?id={action.id}", form).status_code == 302
    [action] = _actions()
    assert action.status == ActionStatus.done and action.completed_on == today()


def test_action_list_filters_by_status_owner_due_date_and_overdue(signed_in, create_action, make_org):
    pharmacy, council = make_org(name="Medway Pharmacy"), make_org(name="Medway Council")
    create_action(description="Late pharmacy review", owner_organisation=pharmacy, due_on=today() - timedelta(days=3))
    create_action(description="Council care package", owner_organisation=council, due_on=today() + timedelta(days=30))
    create_action(
        description="Finished long ago",
        owner_organisation=council,
        due_on=today() - timedelta(days=40),
        status=ActionStatus.done,
        completed_on=today() - timedelta(days=41),
    )
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/action/?flt0_overdue_is=1"))
    assert "Late pharmacy review" in page and "Council care package" not in page and "Finished long ago" not in page
    assert "Overdue" in page
    page = shown(reader.get(f"/admin/action/?flt0_agency_is={council.id}"))
    assert "Council care package" in page and "Finished long ago" in page and "Late pharmacy review" not in page
    assert f'["{council.id}", "Medway Council"]' in page  # the agencies are a pick-list, not typed
    page = shown(reader.get("/admin/action/?flt0_status_equals=done"))
    assert "Finished long ago" in page and "Council care package" not in page
    page = shown(reader.get(f"/admin/action/?flt0_due_after={today().isoformat()}"))
    assert "Council care package" in page and "Late pharmacy review" not in page
    page = shown(reader.get("/admin/action/?search=package"))
    assert "Council care package" in page and "Late pharmacy review" not in page


def test_an_over_long_description_is_refused(signed_in, create_patient, make_org):
    refused(
        signed_in("coordinator"),
        "/admin/action/new/",
        _form(create_patient(), make_org(), description="a" * 2001),
        "Enter at most 2,000 characters (this has 2,001).",
    )
    assert _actions() == []


# --- chases: read only ----------------------------------------------------------------------------


def test_chases_are_listed_but_recorded_by_the_workflow(signed_in, create_action, make_user):
    action = create_action(description="Chased action")
    archived = create_action(description="Archived action", archived_at=utcnow())
    db.session.add_all(
        [
            ActionChase(
                action=action,
                chased_at=utcnow(),
                chased_by=make_user(),
                method=ChaseMethod.phone,
                note="Left a message",
            ),
            ActionChase(action=archived, chased_at=utcnow(), method=ChaseMethod.email, note="Hidden chase"),
        ]
    )
    db.session.commit()
    page = shown(signed_in("read_only").get("/admin/action_chase/?flt0_how_equals=phone"))
    assert "Left a message" in page and "Phone" in page
    assert "Hidden chase" not in shown(signed_in("coordinator").get("/admin/action_chase/"))
    coordinator = signed_in("coordinator")
    assert coordinator.get("/admin/action_chase/new/").status_code == 403
    assert coordinator.submit("/admin/action_chase/new/", {"action": action.id, "method": "email"}).status_code == 403
    assert len(db.session.scalars(db.select(ActionChase)).all()) == 2


def test_a_chase_leaves_the_list_with_its_archived_action_onward_referral_or_patient(
    signed_in, create_action, create_onward_referral, create_patient
):
    gone = create_patient(archived_at=utcnow())
    parents = {
        "Chase of a live action": {"action": create_action()},
        "Chase of a live onward referral": {"onward_referral": create_onward_referral()},
        "Chase of an archived onward referral": {"onward_referral": create_onward_referral(archived_at=utcnow())},
        "Chase of an archived patient's action": {"action": create_action(patient=gone)},
    }
    for note, parent in parents.items():
        db.session.add(ActionChase(chased_at=utcnow(), method=ChaseMethod.email, note=note, **parent))
    db.session.commit()
    for role in ("coordinator", "team_lead", "read_only"):
        page = shown(signed_in(role).get("/admin/action_chase/"))
        shown_notes = [note for note in parents if note in page]
        assert shown_notes == ["Chase of a live action", "Chase of a live onward referral"], role
