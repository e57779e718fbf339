"""The caseload: episodes open to the ILR, and closing them."""

from __future__ import annotations

from datetime import date

import audit
from models import ClosureReason, DomainError, Episode, User, db
from timefmt import today


def close_episode(
    episode: Episode, by: User, on: date, reason: ClosureReason | str, goal_attainment: str | None = None
) -> Episode:
    """Close an open episode with its reason (from the list) and how far the patient's goals were met."""
    if not episode.is_open:
        raise DomainError(f"This episode is already closed (on {episode.closed_on:%d/%m/%Y}).")
    try:
        reason = ClosureReason(reason)
    except ValueError:
        raise DomainError("Choose the reason the episode closed.") from None
    if on > today():
        raise DomainError("The closing date cannot be in the future.")
    if on < episode.opened_on:
        raise DomainError("An episode cannot close before it opened.")
    with audit.reason(f"Episode closed ({reason.label}) by {by.name}"):
        episode.closed_on, episode.closure_reason = on, reason
        if goal_attainment is not None:
            episode.goal_attainment = goal_attainment.strip() or None
        db.session.flush()
    return episode
