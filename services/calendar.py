"""The bank-holiday table the working-day counts use: England & Wales bank holidays from the `holidays` package,
stored for every year the records can reach (`STORED_YEARS`, written by migration 0016), and refreshed by
`flask refresh-bank-holidays` when the package learns of a new one (a coronation, a jubilee)."""

from __future__ import annotations

from datetime import date

import holidays
from sqlalchemy import delete, insert, select

from models import BankHoliday, db
from services.kpis.reads import readers
from services.kpis.tallies import is_built, rebuild

#: The years whose bank holidays are stored: well before the first referral the service holds to long after.
STORED_YEARS = (2000, 2060)


def bank_holidays(first_year: int, last_year: int) -> dict[date, str]:
    """England & Wales bank holidays that fall on a weekday, for the years given (both included)."""
    found = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return {day: name[:100] for day, name in sorted(found.items()) if day.weekday() < 5}


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
