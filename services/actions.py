"""Actions agreed at meetings: their owners move them on (in progress, done) with a note; see services.chasing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_
from sqlalchemy.sql import ColumnElement

from formats.dates import today
from models import Action, ActionChase, ActionStatus, ActionUpdate, DomainError, User, db, utcnow
from services import audit

#: Statuses of an action still to be done: past its due date, such an action is overdue.
STILL_OPEN = (ActionStatus.open, ActionStatus.in_progress)


def overdue(on: date | None = None) -> ColumnElement:
    """The overdue rule as SQL: still open after its due date (today in London unless `on` is given)."""
    return and_(Action.status.in_(STILL_OPEN), Action.due_on < (on or today()))


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


#: What an owner may report on an action.
REPORTABLE = (ActionStatus.in_progress, ActionStatus.done)


def report_on_action(
    action: Action,
    status: ActionStatus | str,
    note: str | None,
    *,
    by_name: str,
    by: User | None = None,
    chase: ActionChase | None = None,
    on: date | None = None,
) -> ActionUpdate:
    """An owner's update (signed in as `by`, or through a chase link): in progress or done, with a note.

    Done with no date is done today (Europe/London). The update is kept, audited, and shows on the patient's
    record and in the next meeting's minutes.
    """
    if status not in {s.value for s in REPORTABLE}:
        raise DomainError("Choose in progress or done.")
    status = ActionStatus(status)
    if action.status not in STILL_OPEN:
        raise DomainError(f"This action is already {action.status.label.lower()}: there is nothing more to update.")
    note = (note or "").strip() or None
    if note and len(note) > 2000:
        raise DomainError(f"Keep the note to 2,000 characters (this has {len(note):,}).")
    with audit.reason(
        f"Action {status.label.lower()}, reported by {by_name}" + (" through a chase link" if chase else "")
    ):
        if status == ActionStatus.done:
            on = on or today()
            if on > today():
                raise DomainError("The completion date cannot be in the future.")
            action.status, action.completed_on = ActionStatus.done, on
        elif action.status != ActionStatus.in_progress:
            action.status = ActionStatus.in_progress
        update = ActionUpdate(
            action=action, at=utcnow(), status=status, note=note, by_user_id=by.id if by else None, by_name=by_name,
            chase_id=chase.id if chase else None,
        )  # fmt: skip
        db.session.add(update)
        db.session.flush()
    return update
