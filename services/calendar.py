"""The bank-holiday table the working-day counts use, filled from the `holidays` package (England & Wales)."""

from __future__ import annotations

from datetime import date

import holidays
from sqlalchemy import insert, select

from models import BankHoliday, db


def bank_holidays(first_year: int, last_year: int) -> dict[date, str]:
    """England & Wales bank holidays that fall on a weekday, for the years given (both included)."""
    found = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return {day: name for day, name in sorted(found.items()) if day.weekday() < 5}


def ensure_bank_holidays(first: date, last: date) -> int:
    """Store any missing bank holiday of the years from `first` to `last` (and the year after, for counts that run
    past the end): two queries at most, whatever the span. Returns how many were stored."""
    wanted = bank_holidays(first.year, last.year + 1)
    if not wanted:
        return 0
    stored = set(db.session.scalars(select(BankHoliday.day).where(BankHoliday.day.between(min(wanted), max(wanted)))))
    missing = [{"day": day, "name": name[:100]} for day, name in wanted.items() if day not in stored]
    if missing:
        db.session.execute(insert(BankHoliday), missing)
    return len(missing)
