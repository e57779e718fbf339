"""Minutes typed over many autosaves leave a bounded audit trail, and the text typed last is always in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from models import AgendaItem, AuditAction, AuditEntry, Role, db
from services import meeting_room
from services.minutes_trail import EVERY
from tests.meeting_fixtures import build_world

CASES = 25
#: Ten minutes of typing on every case, saved every 15 seconds (the page saves after a pause of 1.5 s).
SAVES, EVERY_SAVE = 40, timedelta(seconds=15)


def _case_entries(item: AgendaItem) -> list[AuditEntry]:
    query = db.select(AuditEntry).where(AuditEntry.table_name == "agenda_item", AuditEntry.record_id == item.id)
    return db.session.scalars(query.where(AuditEntry.action == AuditAction.update).order_by(AuditEntry.id)).all()


def _last_text(item: AgendaItem, field: str = "summary"):
    """The field as the trail last has it."""
    found = None
    for entry in _case_entries(item):
        found = json.loads(entry.changes).get(field, [None, found])[1]
    return found


@pytest.fixture
def meeting(app, make_user, time_machine):
    """A held-today meeting with 25 cases on its agenda, the clock stopped at its start."""
    time_machine.move_to(datetime(2026, 11, 25, 10, 0, tzinfo=UTC), tick=False)
    coordinator = make_user(Role.coordinator, name="Mina Minutes")
    world = build_world(coordinator, cases=CASES, days_ahead=0)
    world.meeting.starts_at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    for episode in world.episodes:
        meeting_room.add_case_to_agenda(world.meeting, episode, coordinator)
    db.session.commit()
    return world.meeting, coordinator


def _type(items, by, time_machine, saves: int = SAVES) -> dict[int, str]:
    """Every case typed a few words at a time, autosaved after each; returns each case's text at the end."""
    typed = {item.id: "" for item in items}
    for n in range(saves):
        time_machine.shift(EVERY_SAVE)
        for item in items:
            typed[item.id] += f"Point {n} about case {item.id}. "
            meeting_room.save_minutes(item, {"summary": typed[item.id]}, by, autosave=True)
        db.session.commit()
    return {key: text.strip() for key, text in typed.items()}  # as saved


def test_a_25_case_meeting_typed_over_many_autosaves_leaves_a_bounded_trail(meeting, time_machine):
    held, by = meeting
    items = list(held.agenda)
    typed = _type(items, by, time_machine)
    minutes = SAVES * EVERY_SAVE / timedelta(minutes=1)
    bound = CASES * (int(minutes / (EVERY / timedelta(minutes=1))) + 1)
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.table_name == "agenda_item")).all()
    updates = [e for e in entries if e.action == AuditAction.update]
    assert CASES <= len(updates) <= bound < CASES * SAVES
    for item in items:
        chain = [json.loads(e.changes)["summary"] for e in _case_entries(item)]
        # each entry starts where the one before ended: no typed text is described as if it never existed
        assert all(later[0] == earlier[1] for earlier, later in zip(chain, chain[1:], strict=False))
        assert chain[-1][1] != typed[item.id]  # the last saves of the window are held back, so far

    for item in items:  # focus leaves each case: the page's final save
        meeting_room.save_minutes(item, {"summary": typed[item.id]}, by, autosave=False)
    db.session.commit()
    assert all(_last_text(item) == typed[item.id] for item in items)


def test_marking_the_meeting_held_writes_the_text_the_trail_has_not_got(meeting, time_machine):
    held, by = meeting
    items = list(held.agenda)[:3]
    typed = _type(items, by, time_machine, saves=4)  # one minute: all but the first save held back
    assert all(_last_text(item) != typed[item.id] for item in items)
    meeting_room.mark_held(held, by)
    db.session.commit()
    assert all(_last_text(item) == typed[item.id] for item in items)
    assert {e.user_id for item in items for e in _case_entries(item)} == {by.id}


def test_the_text_one_person_left_is_written_under_their_name_before_anothers(meeting, make_user, time_machine):
    held, mina = meeting
    item = held.agenda[0]
    meeting_room.save_minutes(item, {"summary": "Mina's first words"}, mina, autosave=True)
    time_machine.shift(timedelta(seconds=20))
    meeting_room.save_minutes(item, {"summary": "Mina's first words, and more"}, mina, autosave=True)  # held back
    db.session.commit()
    other = make_user(Role.coordinator, name="Oli Other")
    time_machine.shift(timedelta(seconds=20))
    meeting_room.save_minutes(item, {"summary": "Oli's rewrite"}, other, autosave=True)
    db.session.commit()
    first, left, rewrite = _case_entries(item)
    assert (first.user_id, json.loads(first.changes)["summary"]) == (mina.id, [None, "Mina's first words"])
    assert (left.user_id, json.loads(left.changes)["summary"]) == (
        mina.id,
        ["Mina's first words", "Mina's first words, and more"],
    )
    assert (rewrite.user_id, json.loads(rewrite.changes)["summary"]) == (
        other.id,
        ["Mina's first words, and more", "Oli's rewrite"],
    )


def test_the_page_sends_a_final_save_that_reaches_the_trail(app, signed_in, time_machine):
    time_machine.move_to(datetime(2026, 11, 25, 10, 0, tzinfo=UTC), tick=True)
    client = signed_in(Role.coordinator)
    world = build_world(client.user, cases=1)
    item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], client.user)
    db.session.commit()
    url = f"/admin/meeting-room/case/{item.id}/draft"
    for text in ("Lives alone", "Lives alone; two falls"):
        assert client.submit(url, {"summary": text}).get_json()["saved"] is True
    assert _last_text(item) == "Lives alone"  # the second autosave was within the window: held back
    assert client.submit(url, {"summary": "Lives alone; two falls", "final": "1"}).get_json()["saved"] is True
    assert _last_text(item) == "Lives alone; two falls"
    assert len(_case_entries(item)) == 2
