"""The meeting: agenda with late additions and flags, rollover, attendance, live minutes with drafts, actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from formats.dates import LONDON, today
from models import (
    Action,
    ActionStatus,
    Attendance,
    AttendanceStatus,
    CaseStatus,
    DomainError,
    MeetingStatus,
    OutboxEmail,
    SafeguardingCategory,
    SafeguardingConcern,
    db,
)
from services import meeting_room
from tests.conftest import Client, page_text
from tests.factories import shown
from tests.meeting_fixtures import build_world, meeting_at


@pytest.fixture
def world(make_user):
    return build_world(make_user("coordinator"), cases=3)


def test_cutoff_is_two_working_days_before_skipping_weekends_and_bank_holidays():
    assert meeting_room.working_days_before(date(2026, 11, 25), 2) == date(2026, 11, 23)  # Wed -> Mon
    assert meeting_room.working_days_before(date(2026, 11, 23), 2) == date(2026, 11, 19)  # Mon -> Thu
    assert meeting_room.working_days_before(date(2026, 12, 29), 2) == date(
        2026, 12, 23
    )  # past Christmas and the Boxing Day holiday


def test_late_addition_flag_at_the_cutoff_boundary(world, make_user):
    """Meeting Thursday 14/01/2027: the cut-off is Tuesday 12/01; added that day is on time, the next day late."""
    meeting = meeting_at(world.locality, datetime(2027, 1, 14, 10, 0, tzinfo=LONDON))
    assert meeting_room.cutoff_for(meeting) == date(2027, 1, 12)
    assert (
        meeting_room.add_case_to_agenda(meeting, world.episodes[0], make_user(), on=date(2027, 1, 12)).late_addition
        is False
    )
    assert (
        meeting_room.add_case_to_agenda(meeting, world.episodes[1], make_user(), on=date(2027, 1, 13)).late_addition
        is True
    )


def test_candidates_are_the_localitys_open_cases_not_yet_listed(world, make_user):
    assert {e.id for e in meeting_room.candidates_for(world.meeting)} == {e.id for e in world.episodes}
    meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], make_user())
    assert {e.id for e in meeting_room.candidates_for(world.meeting)} == {world.episodes[1].id, world.episodes[2].id}


def test_a_patient_who_withdrew_consent_cannot_be_listed(world, make_user):
    world.episodes[0].patient.consent_withdrawn_on = today()
    db.session.commit()
    with pytest.raises(DomainError, match="consent has been withdrawn"):
        meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], make_user())
    assert world.episodes[0].id not in {e.id for e in meeting_room.candidates_for(world.meeting)}


def test_open_safeguarding_concern_shows_as_a_flag(world, signed_in):
    coordinator = signed_in("coordinator")
    meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator.user)
    db.session.add(
        SafeguardingConcern(
            patient_id=world.episodes[0].patient_id, raised_on=today(), category=SafeguardingCategory.financial
        )
    )
    db.session.commit()
    page = page_text(coordinator.get(f"/admin/meeting-room/{world.meeting.id}/"))
    assert "Open safeguarding concern" in page


def test_add_order_and_present_through_the_screen(world, signed_in):
    coordinator = signed_in("coordinator")
    url = f"/admin/meeting-room/{world.meeting.id}/"
    coordinator.submit(url + "add", {"episode_id": [e.id for e in world.episodes]})
    items = sorted(world.meeting.agenda, key=lambda i: i.position)
    assert [i.episode_id for i in items] == [e.id for e in world.episodes]
    first, second, third = items
    coordinator.submit(
        url + "order",
        {
            f"position_{first.id}": 3,
            f"position_{second.id}": 1,
            f"position_{third.id}": 2,
            f"slot_{second.id}": "10:00",
            f"presenter_{second.id}": world.members[0].id,
        },
    )
    db.session.expire_all()
    assert [i.id for i in sorted(world.meeting.agenda, key=lambda i: i.position)] == [second.id, third.id, first.id]
    assert second.presenter_id == world.members[0].id
    assert second.slot_starts_at.astimezone(LONDON).strftime("%H:%M") == "10:00"


def test_rollover_moves_undiscussed_cases_to_the_next_meeting(world, make_user):
    user = make_user()
    items = [meeting_room.add_case_to_agenda(world.meeting, e, user) for e in world.episodes]
    meeting_room.save_minutes(items[0], {"outcome": "Plan agreed"}, user, discussed=True)
    meeting_room.save_minutes(items[1], {}, user, discussed=False)
    later = meeting_at(world.locality, world.meeting.starts_at + timedelta(days=7))
    target, moved = meeting_room.roll_over(world.meeting, user)
    db.session.commit()
    assert target.id == later.id
    assert sorted(m.patient_id for m in moved) == sorted([items[1].patient_id, items[2].patient_id])
    assert [i.status for i in items] == [CaseStatus.discussed, CaseStatus.rolled_over, CaseStatus.rolled_over]


def test_rollover_needs_a_next_meeting(world, make_user):
    with pytest.raises(DomainError, match="no later meeting"):
        meeting_room.roll_over(world.meeting, make_user())


def test_attendance_by_member(world, signed_in):
    coordinator = signed_in("coordinator")
    sam, mo, cat = world.members
    coordinator.submit(
        f"/admin/meeting-room/{world.meeting.id}/attendance",
        {f"attendance_{sam.id}": "attended", f"attendance_{mo.id}": "apologies", f"attendance_{cat.id}": "absent"},
    )
    register = {a.contact_id: a.status for a in db.session.scalars(db.select(Attendance))}
    assert register == {
        sam.id: AttendanceStatus.attended,
        mo.id: AttendanceStatus.apologies,
        cat.id: AttendanceStatus.absent,
    }


def test_draft_is_kept_across_a_new_sign_in(app, world, make_user, next_code_step):
    user = make_user("coordinator")
    item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], user)
    db.session.commit()
    first = Client(app.test_client())
    first.sign_in(user)
    response = first.submit(
        f"/admin/meeting-room/case/{item.id}/draft", {"discussion": "Half-typed thoughts about the care package"}
    )
    assert response.get_json() == {"saved": True, "version": 2}  # a new case is version 1; the next save carries 2
    first.sign_out()
    next_code_step()
    again = Client(app.test_client())
    again.sign_in(user)
    page = page_text(again.get(f"/admin/meeting-room/{world.meeting.id}/minutes"))
    assert "Half-typed thoughts about the care package" in page


def test_draft_refuses_over_long_text_with_a_message(world, signed_in):
    coordinator = signed_in("coordinator")
    item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator.user)
    db.session.commit()
    response = coordinator.submit(f"/admin/meeting-room/case/{item.id}/draft", {"outcome": "x" * 50_001})
    assert response.status_code == 400
    assert "at most 50,000 characters (this has 50,001)" in response.get_json()["message"]


def test_a_long_discussion_of_several_thousand_words_is_kept_whole(world, signed_in):
    coordinator = signed_in("coordinator")
    item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator.user)
    db.session.commit()
    discussion = "Discussed at length with every agency present. " * 900  # 42,300 characters, about 6,300 words
    response = coordinator.submit(f"/admin/meeting-room/case/{item.id}/draft", {"discussion": discussion})
    assert response.get_json()["saved"] is True
    db.session.expire_all()
    assert item.discussion == discussion.strip()


def test_record_outcome_and_an_action_from_the_minutes(world, signed_in):
    coordinator = signed_in("coordinator")
    item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator.user)
    db.session.commit()
    coordinator.submit(
        f"/admin/meeting-room/case/{item.id}/save",
        {
            "summary": "S",
            "discussion": "D",
            "outcome": "Care package increased",
            "decisions": "Review in 4 weeks",
            "discussed": "yes",
        },
    )
    due = (today() + timedelta(days=14)).isoformat()
    coordinator.submit(
        f"/admin/meeting-room/case/{item.id}/action",
        {
            "description": "Increase care package",
            "owner_organisation_id": world.agencies["social"].id,
            "owner_contact_id": world.members[0].id,
            "due_on": due,
        },
    )
    db.session.refresh(item)
    assert (item.status, item.outcome) == (CaseStatus.discussed, "Care package increased")
    action = db.session.scalars(db.select(Action)).one()
    assert (action.owner_organisation_id, action.owner_contact_id, action.patient_id) == (
        world.agencies["social"].id,
        world.members[0].id,
        item.patient_id,
    )


def test_action_owner_person_must_work_for_the_agency(world, signed_in):
    coordinator = signed_in("coordinator")
    item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator.user)
    db.session.commit()
    response = coordinator.submit(
        f"/admin/meeting-room/case/{item.id}/action",
        {
            "description": "X",
            "owner_organisation_id": world.agencies["mental"].id,
            "owner_contact_id": world.members[0].id,
            "due_on": today().isoformat(),
        },
    )
    assert "does not work for KMPT" in page_text(coordinator.get(response.headers["Location"].split("#")[0]))
    assert db.session.scalar(db.select(db.func.count()).select_from(Action)) == 0


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_only_staff_run_the_meeting(world, signed_in, role):
    client = signed_in(role)
    assert client.get(f"/admin/meeting-room/{world.meeting.id}/").status_code == 403
    assert client.get(f"/admin/meeting-room/{world.meeting.id}/minutes").status_code == 403


# --- the meeting as it is really run (no typed word lost, the chair's context, confirm before sending) ---------


def _listed(world, coordinator):
    item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator.user)
    db.session.commit()
    return item


def test_a_second_tab_saving_over_a_newer_save_is_refused_with_both_texts(world, signed_in):
    coordinator = signed_in("coordinator")
    item = _listed(world, coordinator)
    draft = f"/admin/meeting-room/case/{item.id}/draft"
    first = coordinator.submit(draft, {"discussion": "From the first tab", "expected_version": 1})
    assert first.get_json() == {"saved": True, "version": 2}
    second = coordinator.submit(draft, {"discussion": "From the second tab", "expected_version": 1})
    assert second.status_code == 409
    body = second.get_json()
    assert body["conflict"] is True and body["version"] == 2
    assert body["theirs"]["discussion"] == "From the first tab"
    assert body["message"].startswith("Someone else saved this case after you opened it")
    db.session.refresh(item)
    assert item.discussion == "From the first tab"  # nothing silently overwritten
    kept = coordinator.submit(draft, {"discussion": "From the second tab", "expected_version": 2})
    assert kept.get_json() == {"saved": True, "version": 3}  # "keep mine": saved over theirs on purpose


def test_discussed_or_not_reached_is_autosaved(world, signed_in):
    coordinator = signed_in("coordinator")
    item = _listed(world, coordinator)
    response = coordinator.submit(f"/admin/meeting-room/case/{item.id}/draft", {"discussed": "no"})
    assert response.get_json()["saved"] is True
    db.session.refresh(item)
    assert item.status == CaseStatus.not_reached


def test_the_first_person_to_minute_a_case_is_the_minute_taker(world, signed_in):
    coordinator = signed_in("coordinator")
    item = _listed(world, coordinator)
    coordinator.submit(f"/admin/meeting-room/case/{item.id}/draft", {"summary": "Started"})
    other = signed_in("coordinator")
    other.submit(f"/admin/meeting-room/case/{item.id}/draft", {"summary": "Carried on"})
    db.session.refresh(world.meeting)
    assert world.meeting.minute_taker_id == coordinator.user.id


def test_an_autosave_whose_session_ended_says_signed_out_in_json(world, signed_in, client):
    coordinator = signed_in("coordinator")
    item = _listed(world, coordinator)
    response = client.http.post(
        f"/admin/meeting-room/case/{item.id}/draft", data={"summary": "x"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.get_json() == {"saved": False, "signed_out": True, "message": "not saved — signed out"}


def test_each_case_shows_the_chairs_context(world, signed_in, create_action, create_care_plan):
    coordinator = signed_in("coordinator")
    item = _listed(world, coordinator)
    referral = world.episodes[0].referral
    referral.question = "Can she stay at home with more support?"
    referral.reason = "Three falls since September"
    create_care_plan(patient=item.patient, number=1)
    earlier = create_action(
        patient=item.patient,
        description="Occupational therapy home visit",
        owner_organisation=world.agencies["community"],
        due_on=today() - timedelta(days=3),
    )
    page = shown(coordinator.get(f"/admin/meeting-room/{world.meeting.id}/minutes"))
    for expected in (
        "Can she stay at home with more support?",
        "Three falls since September",
        "Draft (version 1)",
        "Still open from earlier meetings",
        "Occupational therapy home visit",
        "Mark in progress",
    ):
        assert expected in page, expected
    agenda = shown(coordinator.get(f"/admin/meeting-room/{world.meeting.id}/"))
    assert "<strong>Question:</strong> Can she stay at home with more support?" in agenda
    assert "1 action still open" in agenda
    coordinator.submit(f"/admin/meeting-room/case/{item.id}/earlier-action/{earlier.id}", {"status": "in_progress"})
    db.session.refresh(earlier)
    assert earlier.status == ActionStatus.in_progress


def test_agency_pick_list_shows_ods_codes_and_people_carry_their_agency(world, signed_in):
    coordinator = signed_in("coordinator")
    _listed(world, coordinator)
    page = page_text(coordinator.get(f"/admin/meeting-room/{world.meeting.id}/minutes"))
    assert "Medway Social Services (SS001)" in page
    sam = world.members[0]
    assert f'<option value="{sam.id}" data-organisation="{world.agencies["social"].id}">Sam Social</option>' in page


def test_sending_shows_who_will_receive_what_before_anything_is_sent(world, signed_in):
    coordinator = signed_in("coordinator")
    _listed(world, coordinator)
    preview = shown(coordinator.get(f"/admin/meeting-room/{world.meeting.id}/send/minutes"))
    assert "Mo Mental (KMPT)" in preview and "mo@nhs.net" in preview
    assert "Sam Social (Medway Social Services)" in preview  # named among those who will not receive it
    assert "sam@medway.gov.uk: not a secure address for patient details" in preview
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0  # looking sends nothing
    coordinator.submit(f"/admin/meeting-room/{world.meeting.id}/send/minutes")
    sent = db.session.scalars(db.select(OutboxEmail.to_address).where(OutboxEmail.purpose == "minutes")).all()
    assert sorted(sent) == ["cat@nhs.net", "mo@nhs.net"]


def test_mark_as_held_is_refused_before_the_start_and_needs_confirming_after(world, signed_in):
    coordinator = signed_in("coordinator")
    held = f"/admin/meeting-room/{world.meeting.id}/held"
    page = shown(coordinator.get(coordinator.submit(held, {"confirm": "y"}).headers["Location"]))
    assert "This meeting has not started yet" in page
    db.session.refresh(world.meeting)
    assert world.meeting.status == MeetingStatus.booked
    world.meeting.starts_at = datetime.now(LONDON) - timedelta(hours=1)
    db.session.commit()
    page = shown(coordinator.get(coordinator.submit(held).headers["Location"]))
    assert "Tick the box to confirm the meeting took place" in page
    db.session.refresh(world.meeting)
    assert world.meeting.status == MeetingStatus.booked
    coordinator.submit(held, {"confirm": "y"})
    db.session.refresh(world.meeting)
    assert world.meeting.status == MeetingStatus.held
