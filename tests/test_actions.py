"""Completing an action: on today's London date unless told, never in the future, once only, audited."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from formats import dates
from models import ActionStatus, AuditAction, AuditEntry, DomainError, db
from services import actions

#: 23:30 UTC on 30 June 2026 is 00:30 on 1 July in London (BST): the UTC date would be a day behind.
JUST_AFTER_LONDON_MIDNIGHT = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)


class _FrozenClock(datetime):
    """`datetime` as formats.dates sees it, stopped at one instant."""

    @classmethod
    def now(cls, tz=None):
        return JUST_AFTER_LONDON_MIDNIGHT.astimezone(tz)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(dates, "datetime", _FrozenClock)


@pytest.fixture
def action(create_action):
    return create_action(due_on=date(2026, 6, 20))


def test_completed_today_in_london_by_default(frozen, action, make_user):
    result = actions.complete_action(action, make_user())
    db.session.commit()
    db.session.expire_all()
    assert result is action
    assert (action.status, action.completed_on) == (ActionStatus.done, date(2026, 7, 1))


def test_completed_on_a_given_date(frozen, action, make_user):
    actions.complete_action(action, make_user(), on=date(2026, 6, 18))
    assert (action.status, action.completed_on) == (ActionStatus.done, date(2026, 6, 18))


def test_a_future_completion_date_is_refused(frozen, action, make_user):
    with pytest.raises(DomainError) as refusal:
        actions.complete_action(action, make_user(), on=date(2026, 7, 2))
    assert str(refusal.value) == "The completion date cannot be in the future."
    assert (action.status, action.completed_on) == (ActionStatus.open, None)


def test_an_in_progress_action_can_be_completed(create_action, make_user):
    action = create_action(status=ActionStatus.in_progress)
    actions.complete_action(action, make_user(), on=date(2026, 11, 30))
    assert (action.status, action.completed_on) == (ActionStatus.done, date(2026, 11, 30))


def test_an_action_already_done_is_refused(create_action, make_user):
    done = create_action(status=ActionStatus.done, completed_on=date(2026, 5, 4))
    with pytest.raises(DomainError) as refusal:
        actions.complete_action(done, make_user(), on=date(2026, 6, 1))
    assert str(refusal.value) == "This action was already completed on 04/05/2026."
    assert done.completed_on == date(2026, 5, 4)


def test_completion_is_audited(action, make_user):
    coordinator = make_user(name="Cara Coordinator")
    actions.complete_action(action, coordinator, on=date(2026, 6, 25))
    db.session.commit()
    [entry] = db.session.scalars(
        db.select(AuditEntry).where(
            AuditEntry.table_name == "action",
            AuditEntry.record_id == action.id,
            AuditEntry.action == AuditAction.update,
        )
    ).all()
    assert entry.reason == "Action completed, recorded by Cara Coordinator"
    assert entry.patient_id == action.patient_id
