"""One unit of work per request: run a service, commit once, say so; on a refusal roll back and say why.

Services change, flush and audit but never commit. Screens, blueprints and commands hand them to
`perform`, the one place a request's changes are committed. (The other commits, named in
tests/test_unit_of_work.py: the audit trail's after-request commit of read entries, and the outbox
sender's one commit per email.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, has_request_context
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from models import DomainError, db
from services.faults import maybe_crash

log = logging.getLogger(__name__)

#: Shown when a save comes from a form opened before someone else saved the same record.
STALE_EDIT_MESSAGE = (
    "Someone else saved this record after you opened it, so your changes were not saved. "
    "They are still in the form below: copy what you need, open the record again to see the latest "
    "version, and make your changes there."
)
#: Shown when the database refuses a save the forms did not catch (a unique code twice, a broken rule).
REFUSED_BY_DATABASE = (
    "This could not be saved: it clashes with a record already held (for example the same "
    "code or email twice) or breaks a rule of the record. Check the values and try again."
)


@dataclass(frozen=True)
class Outcome:
    """What `perform` did: true when committed, with the operation's return value."""

    ok: bool
    value: Any = None
    message: str | None = None
    #: The refusal itself, for a caller that answers differently to one kind (a stale save, say).
    error: Exception | None = None

    def __bool__(self) -> bool:
        return self.ok


def refusal_message(exc: Exception) -> str:
    """The sentence a user sees for a refused change; SQL and values go to nobody (the log gets the first line)."""
    if isinstance(exc, DomainError):
        return str(exc)
    if isinstance(exc, StaleDataError):
        return STALE_EDIT_MESSAGE
    # The driver's first line names the constraint; the lines after it (PostgreSQL's DETAIL) quote values.
    log.warning("Save refused by the database: %s", str(getattr(exc, "orig", exc)).splitlines()[0][:300])
    return REFUSED_BY_DATABASE


def perform(operation: Callable[[], Any], success: str | Callable[[Any], str] | None = None, *, say=True) -> Outcome:
    """Run `operation` and commit once; flash `success` (text, or a function of the result).

    A DomainError, a stale edit or a database refusal rolls everything back and is flashed in plain
    words (with `say=False` only returned, for JSON answers and commands).
    """
    try:
        value = operation()
        maybe_crash("before-commit")
        db.session.commit()
    except (DomainError, SQLAlchemyError) as exc:
        db.session.rollback()
        message = refusal_message(exc)
        if say and has_request_context():
            flash(message, "error")
        return Outcome(False, message=message, error=exc)
    if success and say and has_request_context():
        flash(success(value) if callable(success) else success, "success")
    return Outcome(True, value)
