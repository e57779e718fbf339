"""The dates a person could get wrong, and the order they must keep, checked in one place.

Each check returns the refusal in words, or None. Services raise it (`refuse_if`) on every path that writes the
date; record screens show the same words on the field through the validators in web/forms.py.
"""

from __future__ import annotations

from datetime import date

from formats.dates import format_date, to_london, today
from models import AgendaItem, CarePlan, DomainError, Patient

#: The oldest a patient can be: a date of birth further back is a typing slip (0001-01-01, 1890 for 1990).
OLDEST_AGE_YEARS = 120


def earliest_birth_date(on: date | None = None) -> date:
    """The first date of birth allowed today: OLDEST_AGE_YEARS ago (29 February falls back to the 28th)."""
    on = on or today()
    try:
        return on.replace(year=on.year - OLDEST_AGE_YEARS)
    except ValueError:
        return on.replace(year=on.year - OLDEST_AGE_YEARS, day=28)


def birth_date_problem(born: date | None) -> str | None:
    """A date of birth within the last OLDEST_AGE_YEARS years and not in the future."""
    if born is None:
        return None
    if born > today():
        return "A date of birth cannot be in the future."
    if born < earliest_birth_date():
        return (
            f"A date of birth must be within the last {OLDEST_AGE_YEARS} years (on or after "
            f"{format_date(earliest_birth_date())}): check the year."
        )
    return None


def received_before_birth_problem(received_on: date | None, patient: Patient | None) -> str | None:
    """A referral cannot be received before the patient was born."""
    if received_on is None or patient is None or patient.date_of_birth is None:
        return None
    if received_on < patient.date_of_birth:
        born = format_date(patient.date_of_birth)
        return f"A referral cannot be received before the patient's date of birth ({born})."
    return None


def due_before_meeting_problem(due_on: date | None, item: AgendaItem | None) -> str | None:
    """An action agreed at a meeting cannot fall due before that meeting."""
    if due_on is None or item is None or item.meeting is None:
        return None
    meeting_day = to_london(item.meeting.starts_at).date()
    if due_on < meeting_day:
        return f"An action cannot be due before the meeting that agreed it ({format_date(meeting_day)})."
    return None


def drafted_on(plan: CarePlan) -> date:
    """The day a care plan was drafted (today for one not yet saved)."""
    return to_london(plan.created_at).date() if plan.created_at else today()


def agreed_before_drafted_problem(agreed_on: date | None, plan: CarePlan) -> str | None:
    """A care plan cannot be agreed before it was drafted."""
    if agreed_on is not None and agreed_on < drafted_on(plan):
        return f"A care plan cannot be agreed before it was drafted ({format_date(drafted_on(plan))})."
    return None


def closed_before_opened_problem(closed_on: date | None, opened_on: date | None) -> str | None:
    """An episode cannot close before it opened."""
    if closed_on is not None and opened_on is not None and closed_on < opened_on:
        return f"An episode cannot close before it opened ({format_date(opened_on)})."
    return None


def refuse_if(problem: str | None) -> None:
    """Raise a check's refusal as the DomainError a service gives."""
    if problem:
        raise DomainError(problem)
