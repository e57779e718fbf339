"""Actions agreed at meetings: their owners move them on (in progress, done) with a note; see services.chasing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_
from sqlalchemy.sql import ColumnElement

from formats.dates import today
from models import (
    STILL_OPEN,
    Action,
    ActionChase,
    ActionStatus,
    ActionUpdate,
    AgendaItem,
    Contact,
    DomainError,
    Organisation,
    Patient,
    User,
    db,
    utcnow,
)
from services import audit
from services.date_checks import due_before_meeting_problem, refuse_if


def overdue(on: date | None = None) -> ColumnElement:
    """The overdue rule as SQL: still open after its due date (today in London unless `on` is given)."""
    return and_(Action.still_open(), Action.due_on < (on or today()))


#: Longest description kept (the column's length).
DESCRIPTION_LENGTH = 2000


def add_action(
    patient: Patient,
    description: str | None,
    owner_organisation: Organisation | None,
    due_on: date | None,
    by: User,
    *,
    owner_contact: Contact | None = None,
    agenda_item: AgendaItem | None = None,
) -> Action:
    """An action owned by an agency (and a person there): agreed in a case's discussion (`agenda_item`, due no earlier
    than its meeting), or outside a meeting (due today or later)."""
    description = (description or "").strip()
    if not description:
        raise DomainError("Describe the action.")
    if len(description) > DESCRIPTION_LENGTH:
        raise DomainError(f"The action is too long: at most {DESCRIPTION_LENGTH} characters.")
    if owner_organisation is None:
        raise DomainError("Choose the agency that owns the action.")
    if owner_contact is not None and owner_contact.organisation_id != owner_organisation.id:
        raise DomainError(f"{owner_contact.name} does not work for {owner_organisation.name}.")
    if due_on is None:
        raise DomainError("Enter the due date.")
    if agenda_item is not None:
        refuse_if(due_before_meeting_problem(due_on, agenda_item))
    elif due_on < today():
        raise DomainError("The due date cannot be in the past: an action is due today or later.")
    action = Action(
        agenda_item=agenda_item,
        patient_id=patient.id,
        description=description,
        owner_organisation=owner_organisation,
        owner_contact=owner_contact,
        due_on=due_on,
        status=ActionStatus.open,
    )
    db.session.add(action)
    where = "at the meeting" if agenda_item is not None else "outside a meeting"
    with audit.reason(f"Action agreed {where}, recorded by {by.name}"):
        db.session.flush()
    return action


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
