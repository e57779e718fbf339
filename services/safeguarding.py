"""Safeguarding concerns (Care Act 2014 s42): raised, referred on, closed.

While a concern is open it flags the patient (their page, the caseload, the agenda and the minutes) and adds to
their priority: risk.py recomputes the score whenever a concern is added, closed, reopened or archived.
"""

from __future__ import annotations

from formats.dates import today
from models import DomainError, SafeguardingCategory, SafeguardingConcern, User, db, value_before
from services import audit

#: Longest description of a concern (the column's length).
CONCERN_LENGTH = 4000


def check_concern(concern: SafeguardingConcern) -> None:
    """The rules every concern raised or edited keeps; a refusal says which in words."""
    text = (concern.concern or "").strip()
    if not text:
        raise DomainError("Say what the concern is.")
    if len(text) > CONCERN_LENGTH:
        raise DomainError(f"Describe the concern in at most {CONCERN_LENGTH:,} characters (this has {len(text):,}).")
    concern.concern = text
    try:
        concern.category = SafeguardingCategory(concern.category)
    except ValueError:
        raise DomainError("Choose the category of the concern.") from None
    if concern.raised_on is None:
        raise DomainError("Enter the date the concern was raised.")
    for name, label in (("raised_on", "raised"), ("referred_on", "referred"), ("closed_on", "closed")):
        on = getattr(concern, name)
        if on is not None and on > today():
            raise DomainError(f"The date the concern was {label} cannot be in the future.")
    if concern.referred_on is not None and concern.referred_on < concern.raised_on:
        raise DomainError("The referral cannot be before the concern was raised.")
    if concern.closed_on is not None and concern.closed_on < concern.raised_on:
        raise DomainError("A concern cannot close before it was raised.")
    if concern.closed_on is not None and not (concern.outcome or "").strip():
        raise DomainError("Record the outcome before closing the concern.")


def raise_concern(concern: SafeguardingConcern, by: User) -> SafeguardingConcern:
    """A new concern about a patient, raised by the person recording it unless someone else is named."""
    check_concern(concern)
    if concern.raised_by is None and concern.raised_by_id is None:
        with db.session.no_autoflush:
            concern.raised_by = db.session.get(User, by.id)
    why = f"Safeguarding concern raised, recorded by {by.name}"  # read before the new row is pending
    db.session.add(concern)
    with audit.reason(why):
        db.session.flush()
    return concern


def update_concern(concern: SafeguardingConcern, by: User) -> SafeguardingConcern:
    """An edited concern (referred on, its reference, its outcome, closed): the same rules as a new one."""
    check_concern(concern)
    was_closed = value_before(concern, "closed_on") is not None
    if concern.closed_on is not None and not was_closed:
        why = f"Safeguarding concern closed, recorded by {by.name}"
    elif concern.closed_on is None and was_closed:
        why = f"Safeguarding concern reopened by {by.name}"
    else:
        why = f"Safeguarding concern updated by {by.name}"
    with audit.reason(why):
        db.session.flush()
    return concern
