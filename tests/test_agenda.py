"""Agenda services called directly: ordering with slots and presenters, and who may not be listed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from formats.dates import LONDON
from models import AgendaItem, AuditAction, AuditEntry, DomainError, db
from services import meeting_room
from services.meeting_room import AgendaPlace
from tests.meeting_fixtures import build_world, meeting_at


@pytest.fixture
def world(make_user):
    return build_world(make_user("coordinator"), cases=3)


@pytest.fixture
def summer_meeting(world):
    """Thursday 15 July 2027 at 10:00 London time (09:00 UTC, British Summer Time)."""
    return meeting_at(world.locality, datetime(2027, 7, 15, 10, 0, tzinfo=LONDON))


@pytest.fixture
def listed(world, summer_meeting, make_user):
    """The three cases on the summer meeting's agenda, in positions 1, 2, 3."""
    user = make_user()
    items = [meeting_room.add_case_to_agenda(summer_meeting, e, user, on=date(2027, 7, 1)) for e in world.episodes]
    db.session.commit()
    return items


def _order(meeting) -> list[tuple[int, int]]:
    db.session.expire_all()
    return [
        (i.id, i.position)
        for i in db.session.scalars(
            db.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
        )
    ]


def test_cases_are_listed_in_positions_1_to_n(listed):
    assert [i.position for i in listed] == [1, 2, 3]


def test_set_agenda_order_renumbers_1_to_n_in_the_given_order(summer_meeting, listed, make_user):
    first, second, third = listed
    meeting_room.set_agenda_order(
        summer_meeting,
        [AgendaPlace(first.id, 20), AgendaPlace(second.id, 7), AgendaPlace(third.id, 3)],
        make_user(),
    )
    db.session.commit()
    assert _order(summer_meeting) == [(third.id, 1), (second.id, 2), (first.id, 3)]


def test_equal_places_keep_the_cases_in_id_order(summer_meeting, listed, make_user):
    first, second, third = listed
    meeting_room.set_agenda_order(
        summer_meeting,
        [AgendaPlace(third.id, 1), AgendaPlace(second.id, 1), AgendaPlace(first.id, 2)],
        make_user(),
    )
    db.session.commit()
    assert _order(summer_meeting) == [(second.id, 1), (third.id, 2), (first.id, 3)]


def test_slots_are_london_times_on_the_meetings_day_and_presenters_are_set(world, summer_meeting, listed, make_user):
    first, second, third = listed
    sam, mo, _ = world.members
    meeting_room.set_agenda_order(
        summer_meeting,
        [
            AgendaPlace(first.id, 1, time(10, 30), sam.id),
            AgendaPlace(second.id, 2, time(11, 15), mo.id),
            AgendaPlace(third.id, 3),
        ],
        make_user(),
    )
    db.session.commit()
    db.session.expire_all()
    # 10:30 and 11:15 BST are 09:30 and 10:15 UTC
    assert first.slot_starts_at == datetime(2027, 7, 15, 9, 30, tzinfo=UTC)
    assert second.slot_starts_at == datetime(2027, 7, 15, 10, 15, tzinfo=UTC)
    assert third.slot_starts_at is None
    assert (first.presenter_id, second.presenter_id, third.presenter_id) == (sam.id, mo.id, None)


def test_a_slot_left_blank_keeps_the_one_already_set(summer_meeting, listed, make_user):
    first, second, third = listed
    places = [AgendaPlace(first.id, 1, time(10, 30)), AgendaPlace(second.id, 2), AgendaPlace(third.id, 3)]
    meeting_room.set_agenda_order(summer_meeting, places, make_user())
    places[0] = AgendaPlace(first.id, 4)
    meeting_room.set_agenda_order(summer_meeting, places, make_user())
    db.session.commit()
    db.session.expire_all()
    assert first.slot_starts_at == datetime(2027, 7, 15, 9, 30, tzinfo=UTC)
    assert first.position == 3


def test_a_slot_on_a_winter_meeting_is_gmt(world, make_user):
    meeting = meeting_at(world.locality, datetime(2027, 1, 14, 10, 0, tzinfo=LONDON))
    item = meeting_room.add_case_to_agenda(meeting, world.episodes[0], make_user(), on=date(2027, 1, 4))
    meeting_room.set_agenda_order(meeting, [AgendaPlace(item.id, 1, time(10, 30))], make_user())
    db.session.commit()
    db.session.expire_all()
    assert item.slot_starts_at == datetime(2027, 1, 14, 10, 30, tzinfo=UTC)


def test_reordering_is_audited(summer_meeting, listed, make_user):
    coordinator = make_user(name="Cara Coordinator")
    first, second, third = listed
    meeting_room.set_agenda_order(
        summer_meeting, [AgendaPlace(first.id, 3), AgendaPlace(second.id, 2), AgendaPlace(third.id, 1)], coordinator
    )
    db.session.commit()
    reasons = {
        e.record_id: e.reason
        for e in db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.table_name == "agenda_item", AuditEntry.action == AuditAction.update)
        )
    }
    # the middle case kept its place, so only the other two changed
    assert reasons == {
        first.id: "Agenda reordered by Cara Coordinator",
        third.id: "Agenda reordered by Cara Coordinator",
    }


@pytest.mark.parametrize(
    "which",
    [
        pytest.param(lambda items: [items[0], items[1]], id="one-left-out"),
        pytest.param(lambda items: [items[0], items[1], items[1], items[2]], id="one-twice"),
        pytest.param(lambda items: [items[0], items[1], items[1]], id="one-twice-one-missing"),
    ],
)
def test_the_order_must_list_every_case_once(summer_meeting, listed, make_user, which):
    places = [AgendaPlace(item.id, n) for n, item in enumerate(reversed(which(listed)), start=1)]
    with pytest.raises(DomainError) as refusal:
        meeting_room.set_agenda_order(summer_meeting, places, make_user())
    assert str(refusal.value) == "The new order must list every case on this agenda once."
    db.session.rollback()
    assert _order(summer_meeting) == [(listed[0].id, 1), (listed[1].id, 2), (listed[2].id, 3)]


def test_a_case_from_another_meeting_is_refused(world, summer_meeting, listed, make_user):
    other = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], make_user())
    places = [AgendaPlace(listed[0].id, 1), AgendaPlace(listed[1].id, 2), AgendaPlace(other.id, 3)]
    with pytest.raises(DomainError) as refusal:
        meeting_room.set_agenda_order(summer_meeting, places, make_user())
    assert str(refusal.value) == "The new order must list every case on this agenda once."


def test_an_archived_case_need_not_be_listed(summer_meeting, listed, make_user):
    first, second, third = listed
    third.archived_at = datetime(2027, 7, 2, 9, 0, tzinfo=UTC)
    db.session.commit()
    meeting_room.set_agenda_order(summer_meeting, [AgendaPlace(second.id, 1), AgendaPlace(first.id, 2)], make_user())
    db.session.commit()
    assert (second.position, first.position) == (1, 2)


# --- add_case_to_agenda --------------------------------------------------------------------------


def test_a_patient_who_died_cannot_be_listed(world, make_user):
    world.episodes[0].patient.date_of_death = date(2026, 11, 20)
    db.session.commit()
    with pytest.raises(DomainError) as refusal:
        meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], make_user())
    assert str(refusal.value) == "CASE1, Pat cannot be listed: they have died."
    db.session.rollback()
    assert db.session.scalars(db.select(AgendaItem)).all() == []
