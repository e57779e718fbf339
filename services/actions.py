"""Actions agreed at meetings: completing them (chasing comes with the partners issue)."""

from __future__ import annotations

from datetime import date

import audit
from models import Action, ActionStatus, DomainError, User, db
from timefmt import today

#: Statuses of an action still to be done: past its due date, such an action is overdue.
STILL_OPEN = (ActionStatus.open, ActionStatus.in_progress)


def complete_action(action: Action, by: User, on: date | None = None) -> Action:
    """Mark an action done on a date (today unless given): it leaves the open and overdue lists."""
    if action.status == ActionStatus.done:
        raise DomainError(f"This action was already completed on {action.completed_on:%d/%m/%Y}.")
    on = on or today()
    if on > today():
        raise DomainError("The completion date cannot be in the future.")
    with audit.reason(f"Action completed, recorded by {by.name}"):
        action.status, action.completed_on = ActionStatus.done, on
        db.session.flush()
    return action
