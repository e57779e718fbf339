"""Partner agencies (DESIGN.md §2): their meetings, their agency's actions, those patients' minimum; nothing else."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from formats.dates import today
from models import (
    Action,
    ActionStatus,
    ActionUpdate,
    AgendaItem,
    AuditEntry,
    Contact,
    Locality,
    MeetingMember,
    OrganisationType,
    Role,
    db,
)
from services import meeting_room
from tests.conftest import Client
from tests.factories import shown
from tests.meeting_fixtures import build_world, meeting_at


@pytest.fixture
def world(make_user):
    """A meeting of Medway North with two cases; each agency owns an action on the first case."""
    coordinator = make_user("coordinator")
    world = build_world(coordinator, cases=2)
    first = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator)
    meeting_room.add_case_to_agenda(world.meeting, world.episodes[1], coordinator)
    world.actions = {
        name: Action(
            patient_id=first.patient_id, agenda_item=first, description=f"{name} action",
            owner_organisation=world.agencies[name], due_on=today() + timedelta(days=7),
        )
        for name in ("social", "mental")
    }  # fmt: skip
    db.session.add_all(world.actions.values())
    db.session.commit()
    world.first = first
    return world


@pytest.fixture
def partner(world, app, make_user):
    """Sam, of Medway Social Services, who sits on Medway North's meeting, signed in."""
    user = make_user(Role.partner, organisation=world.agencies["social"], name="Sam Social")
    world.members[0].user = user
    db.session.commit()
    client = Client(app.test_client())
    client.sign_in(user)
    client.user = user
    return client


def _ids(page: str, actions) -> set[str]:
    return {a.description for a in actions if a.description in page}


def test_a_partner_lists_only_their_agencys_actions(world, partner):
    page = shown(partner.get("/admin/action/"))
    assert _ids(page, world.actions.values()) == {"social action"}
    assert "1 record" in page or ">1<" in page or "social action" in page


def test_a_partner_cannot_reach_another_agencys_action_by_any_door(world, partner):
    other = world.actions["mental"]
    assert partner.get(f"/admin/action/details/?id={other.id}").status_code == 302  # Flask-Admin: not found -> list
    assert "mental action" not in shown(partner.get(f"/admin/action/details/?id={other.id}", follow_redirects=True))
    # an id sweep: every id from 1 to well past the last names nothing of theirs
    seen = [i for i in range(1, other.id + 5) if partner.get(f"/admin/action/details/?id={i}").status_code == 200]
    assert seen == [world.actions["social"].id]
    assert partner.get("/admin/action/ajax/lookup/?name=patient&query=a").status_code == 403
    assert partner.get(f"/admin/action/edit/?id={other.id}").status_code == 403
    assert (
        partner.submit("/admin/action/ajax/update/", {"list_form_pk": other.id, "description": "x"}).status_code == 403
    )
    assert partner.submit("/admin/action/action/", {"action": "archive", "rowid": other.id}).status_code == 403
    assert partner.submit("/admin/action/action/", {"action": "chase", "rowid": other.id}).status_code == 403
    assert partner.get("/admin/action/export/csv/").status_code == 403
    assert partner.submit(f"/admin/action/update/?id={other.id}", {"status": "done"}).status_code == 404
    db.session.refresh(other)
    assert other.status == ActionStatus.open


def test_a_partner_sees_no_patient_list_and_only_the_minimum_of_their_patients(world, partner, create_patient):
    assert partner.get("/admin/patient/").status_code == 403
    assert partner.get("/admin/patient/?search=Case").status_code == 403
    page = shown(partner.get(f"/admin/record/{world.first.patient_id}/"))
    assert world.first.patient.display_name in page and "social action" in page
    for hidden in ("Timeline", "Frailty", "Risk", "Clinical Frailty"):
        assert hidden not in page, hidden
    stranger = create_patient(family_name="Stranger")
    assert partner.get(f"/admin/record/{stranger.id}/").status_code == 404


def test_a_partners_look_ups_and_searches_find_nothing_outside_their_scope(
    app, world, partner, signed_in, create_patient, create_action
):
    """Another organisation's patient (surname, NHS number) is found by staff through the same look-ups and
    searches, and by the partner through none of them."""
    stranger = create_patient(family_name="Zebedee", given_name="Zara")
    create_action(patient=stranger, description="Zebedee's falls review", owner_organisation=world.agencies["mental"])
    seen = ("ZEBEDEE, Zara", "Zebedee's falls review")  # as a row or a choice shows them, never as a search echoes
    staff = signed_in("coordinator")
    assert seen[0] in staff.get("/admin/action/ajax/lookup/?name=patient&query=Zebed").get_data(as_text=True)
    assert seen[1] in shown(staff.get("/admin/action/?search=Zebedee"))
    lookups = [(view.url, name) for view in app.extensions["admin"][0]._views
               for name in (getattr(view, "_form_ajax_refs", None) or {})]  # fmt: skip
    assert ("/admin/action", "patient") in lookups and len(lookups) > 20
    for url, name in lookups:
        for query in ("Zebed", stranger.nhs_number):
            answer = partner.get(f"{url}/ajax/lookup/?name={name}&query={query}")
            assert answer.status_code == 403 or seen[0] not in answer.get_data(as_text=True), (url, name)
    for search in ("Zebedee", stranger.nhs_number, "falls review"):
        for listing in ("/admin/action/", "/admin/meeting/"):
            page = shown(partner.get(f"{listing}?search={search}"))
            assert not any(marker in page for marker in seen), (listing, search)
    # A patient in their scope: only their own agency's action is found by the patient's surname.
    own = shown(partner.get(f"/admin/action/?search={world.first.patient.family_name}"))
    assert "social action" in own and "mental action" not in own


def test_a_partner_sees_only_meetings_of_localities_they_sit_on(world, partner, create_meeting):
    elsewhere = create_meeting(locality=Locality(name="Medway South"))
    page = shown(partner.get("/admin/meeting/"))
    assert "Medway North" in page and "Medway South" not in page
    assert partner.get(f"/admin/meeting/details/?id={elsewhere.id}").status_code == 302
    # Outside their localities the meeting is not found, as any id outside a list's scope is.
    assert partner.get(f"/admin/meeting-room/{elsewhere.id}/document/action_log").status_code == 404
    assert partner.get(f"/admin/meeting-room/{world.meeting.id}/document/minutes").status_code == 403
    own = partner.get(f"/admin/meeting-room/{world.meeting.id}/document/action_log")
    assert own.status_code == 200
    text = "\n".join(c.text for t in Document(io.BytesIO(own.data)).tables for r in t.rows for c in r.cells)
    assert "social action" in text and "mental action" not in text


def test_a_contact_no_longer_a_member_loses_the_meetings(world, partner):
    db.session.scalars(
        db.select(MeetingMember).where(MeetingMember.contact_id == world.members[0].id)
    ).one().archived_at = world.meeting.starts_at
    db.session.commit()
    assert "Medway North" not in shown(partner.get("/admin/meeting/"))


def test_a_partner_marks_their_action_done_with_a_note_dated_today(world, partner, signed_in):
    action = world.actions["social"]
    response = partner.submit(f"/admin/action/update/?id={action.id}", {"status": "done", "note": "Carer visit booked"})
    assert response.status_code == 302
    db.session.refresh(action)
    assert (action.status, action.completed_on) == (ActionStatus.done, today())
    update = db.session.scalars(db.select(ActionUpdate)).one()
    assert (update.by_name, update.note, update.by_user_id) == ("Sam Social", "Carer visit booked", partner.user.id)
    reasons = db.session.scalars(
        db.select(AuditEntry.reason).where(AuditEntry.table_name == "action", AuditEntry.record_id == action.id)
    ).all()
    assert "Action done, reported by Sam Social" in reasons
    coordinator = signed_in("coordinator")
    record = shown(coordinator.get(f"/admin/record/{world.first.patient_id}/"))
    assert "Action done: social action (from Sam Social)" in record and "Carer visit booked" in record


def test_an_update_shows_in_the_next_meetings_minutes(world, partner):
    action = world.actions["social"]
    partner.submit(f"/admin/action/update/?id={action.id}", {"status": "in_progress", "note": "Assessment Friday"})
    later = meeting_at(world.locality, world.meeting.starts_at + timedelta(days=7))  # the locality's next meeting
    item = AgendaItem(meeting=later, patient_id=world.first.patient_id, episode_id=world.first.episode_id, position=1)
    db.session.add(item)
    db.session.commit()
    context = meeting_room.case_contexts(later, [item])[item.id]
    carried = {a.description: a for a in context.earlier_actions}
    assert carried["social action"].status == ActionStatus.in_progress
    assert carried["social action"].updates[-1].note == "Assessment Friday"


def test_done_with_no_date_typed_is_not_an_error_for_staff_either(world, signed_in):
    coordinator = signed_in("coordinator")
    action = world.actions["mental"]
    response = coordinator.submit(
        f"/admin/action/edit/?id={action.id}",
        {
            "patient": action.patient_id,
            "description": action.description,
            "owner_organisation": action.owner_organisation_id,
            "due_on": action.due_on.isoformat(),
            "status": "done",
            "expected_version": action.version,
        },
    )
    assert response.status_code == 302, shown(response)
    db.session.refresh(action)
    assert (action.status, action.completed_on) == (ActionStatus.done, today())


def test_the_agency_log_is_the_partners_own_agencys_and_staffs_any(world, partner, signed_in):
    own = partner.get(f"/admin/action/agency-log/xlsx?organisation={world.agencies['mental'].id}")
    sheet = load_workbook(io.BytesIO(own.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["Patient", "NHS number", "Born", "Action"]
    assert [r[3] for r in rows[1:]] == ["social action"]  # their own, whatever organisation they ask for
    staff = signed_in("coordinator")
    other = staff.get(f"/admin/action/agency-log/docx?organisation={world.agencies['mental'].id}")
    text = "\n".join(c.text for t in Document(io.BytesIO(other.data)).tables for r in t.rows for c in r.cells)
    assert "mental action" in text and "social action" not in text


def test_the_action_list_opens_on_open_actions_most_overdue_first(world, signed_in, create_action):
    coordinator = signed_in("coordinator")
    world.actions["mental"].status, world.actions["mental"].completed_on = ActionStatus.done, today()
    overdue = create_action(
        patient_id=world.first.patient_id, description="Late action", owner_organisation=world.agencies["social"],
        due_on=today() - timedelta(days=9),
    )  # fmt: skip
    db.session.commit()
    page = shown(coordinator.get("/admin/action/"))
    assert "Showing actions still to do" in page
    assert "mental action" not in page  # done
    assert page.index("Late action") < page.index("social action")
    assert ">9<" in page.replace(" ", "").replace("\n", "")  # days overdue
    everything = shown(coordinator.get("/admin/action/?all=1"))
    assert "mental action" in everything
    assert overdue.id


def test_partners_without_a_membership_see_nothing(app, make_user, make_org, world):
    stranger = make_user(Role.partner, organisation=make_org(type=OrganisationType.housing))
    db.session.add(Contact(name="No member", email="no@nhs.net", organisation=stranger.organisation, user=stranger))
    db.session.commit()
    client = Client(app.test_client())
    client.sign_in(stranger)
    page = shown(client.get("/admin/action/"))
    assert not _ids(page, world.actions.values())
    assert "Medway North" not in shown(client.get("/admin/meeting/"))
