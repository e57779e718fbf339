"""Date arithmetic in SQL that means the same on SQLite and PostgreSQL (the KPIs are computed in the database).

- `london_date(ts)`: the Europe/London calendar date of a stored UTC time (a meeting held at 00:30 in summer is on
  that day, not the day before in UTC).
- `day_number(d)`: whole days since 01/01/1970, so that two dates subtract to a number of days on both databases.
- `add_months(d, n)`: the same day n months on, the month's last day when it has no such day (31/08 + 6 → 28/02 or
  29/02), as PostgreSQL's `date + interval` does; SQLite's own `date(d, '+6 months')` would roll over to March.
- `weekdays_before(n)`: Monday-to-Friday days from 05/01/1970 (a Monday) up to the day before day number n: the
  difference for two day numbers counts the weekdays between them (bank holidays are taken off with the
  `bank_holiday` table).

SQLite has no time zones and no month arithmetic that clamps: the two are Python functions registered on every
connection (`register_sqlite_functions`, from the connection recipe in models/base.py). PostgreSQL does both itself.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime

from sqlalchemy import Integer, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date

from formats.dates import LONDON

#: julianday('1970-01-01') in SQLite.
_JULIAN_1970 = 2440587.5
#: 05/01/1970, the first Monday after day 0, is day 4: adding 3 makes Mondays a multiple of 7.
_MONDAY_SHIFT = 3


class london_date(FunctionElement):  # noqa: N801 - an SQL function, named as one
    type = Date()
    inherit_cache = True


class day_number(FunctionElement):  # noqa: N801
    type = Integer()
    inherit_cache = True


class epoch_minute(FunctionElement):  # noqa: N801
    """Whole minutes since 01/01/1970 UTC of a stored time: meetings in order, as a number."""

    type = Integer()
    inherit_cache = True


@compiles(epoch_minute, "sqlite")
def _epoch_minute_sqlite(element, compiler, **kw):
    return f"(CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER) / 60)"


@compiles(epoch_minute, "postgresql")
def _epoch_minute_postgresql(element, compiler, **kw):
    return f"(CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT) / 60)"


class add_months(FunctionElement):  # noqa: N801
    type = Date()
    inherit_cache = True


@compiles(london_date, "sqlite")
def _london_date_sqlite(element, compiler, **kw):
    return f"ilr_london_date({compiler.process(element.clauses, **kw)})"


@compiles(london_date, "postgresql")
def _london_date_postgresql(element, compiler, **kw):
    return f"CAST(timezone('Europe/London', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - {_JULIAN_1970} AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_number_postgresql(element, compiler, **kw):
    return f"(CAST({compiler.process(element.clauses, **kw)} AS DATE) - DATE '1970-01-01')"


@compiles(add_months, "sqlite")
def _add_months_sqlite(element, compiler, **kw):
    return f"ilr_add_months({compiler.process(element.clauses, **kw)})"


@compiles(add_months, "postgresql")
def _add_months_postgresql(element, compiler, **kw):
    day, months = list(element.clauses)
    return (
        f"CAST(CAST({compiler.process(day, **kw)} AS DATE) "
        f"+ make_interval(months => {compiler.process(months, **kw)}) AS DATE)"
    )


def weekdays_before(number):
    """Weekdays from the Monday 05/01/1970 up to (not including) the day numbered `number` (an SQL expression)."""
    shifted = number + _MONDAY_SHIFT
    weeks, rest = shifted // 7, shifted % 7
    return weeks * 5 + case((rest > 5, 5), else_=rest)


# --- the SQLite side ---------------------------------------------------------------------------------------------


def _sqlite_london_date(value: str | None) -> str | None:
    """The London day of a stored UTC time ("2026-07-01 23:30:00" is the 2nd). Called for every row a figure's records
    read (half a million in a year's KPI workbook): since 1972 London is on UTC or one hour ahead, so a time before
    23:00 is on the same day there, read from the text without working out the zone."""
    if value is None:
        return None
    if len(value) >= 13 and value[11:13] < "23" and value[:4] >= "1972":
        return value[:10]
    moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return moment.astimezone(LONDON).date().isoformat()


def months_later(day: date, months: int) -> date:
    """The same day `months` on (or back), the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _sqlite_add_months(value: str | None, months: int | None) -> str | None:
    if value is None or months is None:
        return None
    return months_later(date.fromisoformat(value[:10]), int(months)).isoformat()


def register_sqlite_functions(dbapi_connection) -> None:
    """Give a new SQLite connection the functions PostgreSQL has built in (deterministic, so indexes may use them)."""
    dbapi_connection.create_function("ilr_london_date", 1, _sqlite_london_date, deterministic=True)
    dbapi_connection.create_function("ilr_add_months", 2, _sqlite_add_months, deterministic=True)
