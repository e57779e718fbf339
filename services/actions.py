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


def update_action_status(action: Action, by: User, status: ActionStatus | str, on: date | None = None) -> Action:
    """Move an action on: in progress, or done (completed today unless a date is given)."""
    try:
        status = ActionStatus(status)
    except ValueError:
        raise DomainError("Choose in progress or done.") from None
    if status == ActionStatus.done:
        return complete_action(action, by, on)
    if status != ActionStatus.in_progress:
        raise DomainError("Choose in progress or done.")
    if action.status != ActionStatus.open:
        raise DomainError(f"This action is {action.status.label.lower()}, not open.")
    with audit.reason(f"Action in progress, recorded by {by.name}"):
        action.status = ActionStatus.in_progress
        db.session.flush()
    return action
