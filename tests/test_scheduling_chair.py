"""A chair for every meeting (issue 26): one of the meeting's members, chosen when a meeting is booked from a poll
or a weekly series is created (each meeting keeps the series' chair), kept when the meeting moves, changeable in the
meeting room; the minute-taker stays whoever records the minutes."""

from __future__ import annotations

from datetime import datetime

import pytest

from models import (
    AgendaItem,
    AuditAction,
    AuditEntry,
    Contact,
    DomainError,
    Locality,
    Meeting,
    MeetingMember,
    MeetingStatus,
    MemberRole,
    Organisation,
    OrganisationType,
    db,
)
from services import meeting_room, polls, scheduling
from tests.conftest import page_text
from tests.factories import shown, working_day

TYPED = "%Y-%m-%dT%H:%M"


def _in(days: int, hour: int = 10) -> datetime:
    """A meeting time `days` working days away: a weekend or bank holiday is asked about (test_scheduling_days.py)."""
    return working_day(days, hour)


@pytest.fixture
def people(app):
    """Medway North's members: a GP partner who usually chairs, a social worker and a mental health nurse; and a
    member of another locality's meeting only."""
    north, south = Locality(name="Medway North"), Locality(name="Medway South")
    practice = Organisation(name="Riverside Surgery", type=OrganisationType.gp_practice, locality=north)
    social = Organisation(name="Medway Social Services", type=OrganisationType.social_services)
    mental = Organisation(name="KMPT", type=OrganisationType.mental_health)
    gp = Contact(name="Dr Asha Rao", email="asha.rao@nhs.net", organisation=practice)
    sam = Contact(name="Sam Social", email="sam@medway.gov.uk", organisation=social)
    mo = Contact(name="Mo Mental", email="mo@nhs.net", organisation=mental)
    other = Contact(name="Oli Other", email="oli@nhs.net", organisation=mental)
    db.session.add_all([north, south, practice, social, mental, gp, sam, mo, other])
    db.session.add_all(
        [
            MeetingMember(locality=north, contact=gp, member_role=MemberRole.chair),
            MeetingMember(locality=north, contact=sam),
            MeetingMember(locality=north, contact=mo),
            MeetingMember(locality=south, contact=other),
        ]
    )
    db.session.commit()
    return {"north": north, "south": south, "gp": gp, "sam": sam, "mo": mo, "other": other}


def _chair_changes() -> list[AuditEntry]:
    return db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.table_name == "meeting", AuditEntry.action == AuditAction.update)
    ).all()


# --- the services ----------------------------------------------------------------------------------------------


def test_a_meeting_is_booked_with_the_chair_chosen_among_its_members(people, make_user):
    meeting = scheduling.book_meeting(people["north"], _in(10), make_user(), chair=people["sam"])
    assert meeting.chair.id == people["sam"].id


def test_without_a_choice_the_locality_s_usual_chair_chairs(people, make_user):
    assert scheduling.book_meeting(people["north"], _in(10), make_user()).chair.id == people["gp"].id
    assert scheduling.book_meeting(people["south"], _in(10), make_user()).chair is None  # none usual: chosen later


def test_someone_who_is_not_a_member_cannot_chair(people, make_user):
    with pytest.raises(DomainError, match="Oli Other is not a member of the Medway North meeting"):
        scheduling.book_meeting(people["north"], _in(10), make_user(), chair=people["other"])
    assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == 0


def test_every_meeting_of_a_series_keeps_the_series_chair(people, make_user):
    series = scheduling.book_weekly_series(people["north"], _in(7), 4, make_user(), chair=people["mo"])
    assert [m.chair.id for m in series] == [people["mo"].id] * 4


def test_a_meeting_booked_from_a_poll_has_the_chair_chosen(people, make_user):
    user = make_user()
    poll = polls.create_poll(people["north"], [_in(8), _in(9)], _in(5), user)
    meeting = polls.book_from_poll(poll, poll.slots[0], user, chair=people["sam"])
    assert meeting.chair.id == people["sam"].id


def test_moving_a_meeting_keeps_its_chair(people, make_user):
    user = make_user()
    meeting = scheduling.book_meeting(people["north"], _in(10), user, chair=people["mo"])
    scheduling.move_meeting(meeting, _in(11), user)
    assert meeting.chair.id == people["mo"].id


def test_the_chair_changes_in_the_meeting_room_and_the_change_is_audited(people, make_user):
    user = make_user(name="Casey Coordinator")
    meeting = scheduling.book_meeting(people["north"], _in(10), user)
    db.session.commit()
    meeting_room.change_chair(meeting, people["sam"], user)
    db.session.commit()
    assert meeting.chair.id == people["sam"].id
    (entry,) = _chair_changes()
    assert entry.reason == "Chair changed to Sam Social by Casey Coordinator" and "chair_id" in entry.changes
    with pytest.raises(DomainError, match="not a member"):
        meeting_room.change_chair(meeting, people["other"], user)
    with pytest.raises(DomainError, match="Choose the chair"):
        meeting_room.change_chair(meeting, None, user)
    meeting.status = MeetingStatus.cancelled
    with pytest.raises(DomainError, match="cancelled"):
        meeting_room.change_chair(meeting, people["mo"], user)


def test_the_minute_taker_stays_whoever_records_the_minutes_first(people, make_user, create_patient):
    taker, other = make_user(name="Jo Minutes"), make_user(name="Al Other")
    meeting = scheduling.book_meeting(people["north"], _in(10), taker)
    item = AgendaItem(meeting=meeting, patient=create_patient(), position=1)
    db.session.add(item)
    meeting_room.save_minutes(item, {"outcome": "Seen"}, taker)
    meeting_room.change_chair(meeting, people["mo"], other)
    meeting_room.save_minutes(item, {"outcome": "Seen again"}, other)
    assert meeting.minute_taker.id == taker.id and meeting.chair.id == people["mo"].id


# --- the screens -----------------------------------------------------------------------------------------------


def test_booking_a_poll_slot_offers_the_members_with_the_usual_chair_chosen(people, signed_in, make_user):
    poll = polls.create_poll(people["north"], [_in(8), _in(9)], _in(5), make_user())
    db.session.commit()
    coordinator = signed_in()
    page = shown(coordinator.get(f"/admin/scheduling/polls/{poll.id}/"))
    assert '<label for="chair-' in page and "Dr Asha Rao (Riverside Surgery), the usual chair</option>" in page
    assert "Oli Other" not in page  # another locality's member
    answer = coordinator.submit(
        f"/admin/scheduling/polls/{poll.id}/book/{poll.slots[0].id}", {"chair_id": people["mo"].id}
    )
    assert answer.status_code == 302
    assert db.session.scalars(db.select(Meeting)).one().chair_id == people["mo"].id


def test_a_series_is_booked_with_its_chair_from_the_form(people, signed_in):
    coordinator = signed_in()
    page = shown(coordinator.get("/admin/scheduling/"))
    assert '<label for="series-chair">Chair</label>' in page and 'optgroup label="Medway South"' in page
    form = {"locality_id": people["north"].id, "first_starts_at": _in(7).strftime(TYPED), "weeks": "3",
            "day_off_confirmed": "y"}  # a bank holiday in the weeks: test_scheduling_days.py  # fmt: skip
    refused = coordinator.submit("/admin/scheduling/series/", {**form, "chair_id": people["other"].id})
    assert refused.status_code == 200 and "Oli Other is not a member of the Medway North meeting" in shown(refused)
    assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == 0
    booked = coordinator.submit("/admin/scheduling/series/", {**form, "chair_id": people["sam"].id})
    assert booked.status_code == 302
    assert [m.chair_id for m in db.session.scalars(db.select(Meeting))] == [people["sam"].id] * 3


def test_the_meeting_pages_show_the_chair_and_change_it(people, signed_in, make_user):
    meeting = scheduling.book_meeting(people["north"], _in(10), make_user())
    db.session.commit()
    coordinator = signed_in()
    assert "Dr Asha Rao (Riverside Surgery)" in shown(coordinator.get(f"/admin/scheduling/meetings/{meeting.id}/"))
    room = shown(coordinator.get(f"/admin/meeting-room/{meeting.id}/"))
    assert '<label for="chair_id" class="mr-2">Chair</label>' in room
    assert "Minutes taken by: whoever records the minutes first (none recorded yet)" in room
    answer = coordinator.submit(f"/admin/meeting-room/{meeting.id}/chair", {"chair_id": people["sam"].id})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).chair_id == people["sam"].id
    after = page_text(coordinator.get(f"/admin/meeting-room/{meeting.id}/"))
    assert "Sam Social chairs this meeting." in after
    coordinator.submit(f"/admin/meeting-room/{meeting.id}/chair", {"chair_id": people["other"].id})
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).chair_id == people["sam"].id  # refused: not a member
