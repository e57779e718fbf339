"""Closing an episode: a reason from the list, a date between opening and today, once only, audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from models import AuditAction, AuditEntry, ClosureReason, DomainError, db
from services import caseload
from timefmt import today

OPENED = date(2026, 3, 10)


@pytest.fixture
def episode(create_episode):
    return create_episode(opened_on=OPENED)


@pytest.mark.parametrize("reason", [None, "", "retired", "Goals met"])
def test_closing_needs_a_reason_from_the_list(episode, make_user, reason):
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(episode, make_user(), date(2026, 4, 1), reason)
    assert str(refusal.value) == "Choose the reason the episode closed."
    assert (episode.closed_on, episode.closure_reason) == (None, None)


def test_closing_date_cannot_be_in_the_future(episode, make_user):
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(episode, make_user(), today() + timedelta(days=1), ClosureReason.goals_met)
    assert str(refusal.value) == "The closing date cannot be in the future."
    assert episode.closed_on is None


def test_an_episode_cannot_close_before_it_opened(episode, make_user):
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(episode, make_user(), date(2026, 3, 9), ClosureReason.goals_met)
    assert str(refusal.value) == "An episode cannot close before it opened."
    assert episode.closed_on is None


def test_an_episode_closes_only_once(create_episode, make_user):
    closed = create_episode(opened_on=OPENED, closed_on=date(2026, 4, 1), closure_reason=ClosureReason.moved_away)
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(closed, make_user(), date(2026, 5, 1), ClosureReason.goals_met)
    assert str(refusal.value) == "This episode is already closed (on 01/04/2026)."
    assert (closed.closed_on, closed.closure_reason) == (date(2026, 4, 1), ClosureReason.moved_away)


def test_closing_records_date_reason_attainment_and_audit(episode, make_user):
    coordinator = make_user(name="Cara Coordinator")
    result = caseload.close_episode(
        episode, coordinator, date(2026, 4, 1), "moved_away", goal_attainment="  Walks to the shop again  "
    )
    db.session.commit()
    db.session.expire_all()
    assert result is episode
    assert (episode.closed_on, episode.closure_reason, episode.goal_attainment, episode.is_open) == (
        date(2026, 4, 1),
        ClosureReason.moved_away,
        "Walks to the shop again",
        False,
    )
    [entry] = db.session.scalars(
        db.select(AuditEntry).where(
            AuditEntry.table_name == "episode",
            AuditEntry.record_id == episode.id,
            AuditEntry.action == AuditAction.update,
        )
    ).all()
    assert entry.reason == "Episode closed (Moved away) by Cara Coordinator"
    assert entry.patient_id == episode.patient_id


def test_closing_on_the_day_it_opened_with_blank_attainment(episode, make_user):
    caseload.close_episode(episode, make_user(), OPENED, ClosureReason.declined_input, goal_attainment="   ")
    assert (episode.closed_on, episode.closure_reason, episode.goal_attainment) == (
        OPENED,
        ClosureReason.declined_input,
        None,
    )


def test_closing_today_is_allowed_and_attainment_may_be_left_out(create_episode, make_user):
    episode = create_episode(opened_on=OPENED, goal_attainment="Kept from before")
    caseload.close_episode(episode, make_user(), today(), ClosureReason.goals_met)
    assert (episode.closed_on, episode.goal_attainment) == (today(), "Kept from before")
