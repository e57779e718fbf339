"""The bank-holiday table the working-day counts use: England & Wales bank holidays from the `holidays` package,
stored for every year the records can reach (`STORED_YEARS`, written by migration 0016), and refreshed by
`flask refresh-bank-holidays` when the package learns of a new one (a coronation, a jubilee). Also the check that a
meeting time on a weekend or a bank holiday is meant (`refuse_days_off`)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime

import holidays
from sqlalchemy import delete, insert, select

from formats.dates import format_slot, to_london
from models import BankHoliday, DomainError, db
from services.kpis.reads import readers
from services.kpis.tallies import is_built, rebuild

#: The years whose bank holidays are stored: well before the first referral the service holds to long after.
STORED_YEARS = (2000, 2060)


def bank_holidays(first_year: int, last_year: int) -> dict[date, str]:
    """England & Wales bank holidays that fall on a weekday, for the years given (both included)."""
    return dict(_weekday_holidays(first_year, last_year))


@functools.cache
def _weekday_holidays(first_year: int, last_year: int) -> tuple[tuple[date, str], ...]:
    """The package's answer, worked out once a process for each span of years: a millisecond each time, and a page
    asks for each meeting's agenda cut-off (the home page, four)."""
    found = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return tuple((day, name[:100]) for day, name in sorted(found.items()) if day.weekday() < 5)


def refresh_bank_holidays(first_year: int = STORED_YEARS[0], last_year: int = STORED_YEARS[1]) -> int:
    """Store the package's bank holidays of those years in place of the table's; when any day changed, re-count the
    KPI tallies that read the table (the writes are Core statements, which no flush sees). Returns the days changed."""
    wanted = bank_holidays(first_year, last_year)
    within = BankHoliday.day.between(date(first_year, 1, 1), date(last_year, 12, 31))
    stored = dict(db.session.execute(select(BankHoliday.day, BankHoliday.name).where(within)).all())
    if stored == wanted:
        return 0
    db.session.execute(delete(BankHoliday).where(within))
    db.session.execute(insert(BankHoliday), [{"day": day, "name": name} for day, name in wanted.items()])
    if is_built():
        rebuild(keys=readers("bank_holiday"))
    return len(set(stored.items()) ^ set(wanted.items()))


# --- a meeting on a day off ----------------------------------------------------------------------------------------

#: The box a form shows to confirm a time on a weekend or a bank holiday, in the words the refusal quotes.
DAY_OFF_CONFIRMATION = "Yes, I mean a weekend or bank-holiday time"


class DayOffNotConfirmed(DomainError):
    """A meeting time offered, booked or moved to a weekend or bank holiday without saying it is meant: the form
    comes back with the box to tick."""


def why_not_working(times: Iterable[datetime]) -> dict[datetime, str]:
    """Why each time that falls (in London) on a weekend or an England & Wales bank holiday is not on a working day:
    "a weekend", or the bank holiday's name ("May Day"); the other times are left out."""
    times = sorted(times)
    days = {to_london(t).date() for t in times}
    named = dict(db.session.execute(select(BankHoliday.day, BankHoliday.name).where(BankHoliday.day.in_(days))).all())
    why = {}
    for moment in times:
        day = to_london(moment).date()
        if day.weekday() >= 5:
            why[moment] = "a weekend"
        elif day in named:
            why[moment] = named[day]
    return why


def days_off(times: Iterable[datetime]) -> list[str]:
    """Each time on a weekend or a bank holiday, in words: "Saturday 16/01/2027 10:00 (a weekend)", "Monday
    03/05/2027 10:00 (May Day)"."""
    return [f"{format_slot(moment)} ({why})" for moment, why in why_not_working(times).items()]


def refuse_days_off(times: Iterable[datetime], confirmed: bool) -> None:
    """Unless the person said it is meant, refuse a meeting time on a weekend or a bank holiday, naming each."""
    if confirmed:
        return
    said = days_off(times)
    if said:
        listed = "; ".join(said)
        raise DayOffNotConfirmed(
            f"{listed}: {'that is not a working day' if len(said) == 1 else 'those are not working days'}. If it is "
            f"meant, tick “{DAY_OFF_CONFIRMATION}” and send it again; otherwise choose another time."
        )
