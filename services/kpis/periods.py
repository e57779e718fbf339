"""The periods the KPIs are counted over (DESIGN.md §5): named periods, a custom one of at most three years, and
`Scope`, what a set of figures is about (the period, a locality, a GP practice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from formats.dates import LONDON, format_date, today
from models import DomainError

#: A scope wide enough for every record (meetings' times are compared in UTC, so not date.max).
EVER = (date(1900, 1, 1), date(2999, 12, 31))

PERIODS = {
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "this_year": "This financial year",
    "last_year": "Last financial year",
    "custom": "Custom dates",
}


def month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def period_dates(key: str, on: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The first and last day of a named period (financial years run April to March), or the custom dates."""
    if key == "custom":
        if start is None or end is None:
            raise DomainError("Enter both dates of a custom period.")
        if end < start:
            raise DomainError("The period ends before it starts: swap the dates.")
        if (end - start).days > 3 * 366:
            raise DomainError("Choose a period of at most three years.")
        return start, end
    if key in ("this_month", "last_month"):
        first = month_start(on, 0 if key == "this_month" else 1)
        months = 1
    elif key in ("this_quarter", "last_quarter"):
        first = month_start(on, (on.month - 1) % 3 + (0 if key == "this_quarter" else 3))
        months = 3
    elif key in ("this_year", "last_year"):
        first = date(on.year - (on.month < 4) - (key == "last_year"), 4, 1)
        months = 12
    else:
        raise DomainError("Choose a period from the list.")
    return first, month_start(first, -months) - timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    """What the figures are about: the period's first and last day (London dates) and the filters."""

    start: date
    end: date
    locality_id: int | None = None
    practice_id: int | None = None
    #: "Today" for the figures that are about now (overdue actions and reviews).
    on: date = field(default_factory=today)
    #: Only the rows about these patients, and (for the meetings' own drill-downs) these meetings: how the tallies
    #: re-count what a change touched (`services.kpis.upkeep`). None: every row.
    patients: frozenset[int] | None = None
    meetings: frozenset[int] | None = None
    #: Counting the tallies: the rows carry the locality and practice the filters will look at.
    tallying: bool = False
    #: The figures are counted from the records, not the tallies (which are missing or out of date until
    #: `flask rebuild-kpi-tallies` runs): slower, and said so on the page.
    from_records: bool = False

    @property
    def label(self) -> str:
        return f"{format_date(self.start)} to {format_date(self.end)}"

    @property
    def starts_at(self) -> datetime:
        """The period's first moment (London midnight) in UTC, for times such as a meeting's start."""
        return datetime.combine(self.start, time(), LONDON).astimezone(UTC)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), LONDON).astimezone(UTC)

    @property
    def as_at(self) -> date:
        """The day a "now" figure of the period is taken on: its last day, or today while it is still running."""
        return min(self.end, self.on)

    def months(self) -> list[tuple[date, date]]:
        """The calendar months the period touches, each cut to the period."""
        out, first = [], self.start
        while first <= self.end:
            following = month_start(first, -1)
            out.append((first, min(self.end, following - timedelta(days=1))))
            first = following
        return out


def as_date(value) -> date | None:
    """A date as SQL returns it: a date, or (SQLite, from an expression) its ISO text."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value
