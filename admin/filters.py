"""List filters on dates and times as people type them: 20/12/2026, and 24-hour London times.

Flask-Admin's own date filters read only 2026-12-20 (and times only with seconds, compared as typed with UTC).
These take its place through the filter converter (`admin.forms.LabelledFilterConverter`), so every list's
date and time columns filter the same way, and `static/list_filters.js` sets up the picker to match.

Each value names a span of time: a date is that whole day, a time that minute; "between" runs from the start of
the first to the end of the second, both included. A value that cannot be read says why (`refusal`), and the
list shows nothing until it is put right (`admin.listing.BoundedListArguments`).
"""

from __future__ import annotations

import re

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from sqlalchemy import and_, or_

from formats.dates import EXAMPLE_DATE, read_day, read_london_time

#: Between two values: "20/12/2026 to 24/12/2026" (the picker's words), or a dash with spaces around it.
_BETWEEN = re.compile(r"\s+(?:to|-|–)\s+", re.IGNORECASE)


class SpanFilter(BaseSQLAFilter):
    """A filter on a date column: its value is one date (or, `between`, two) read as the span of days it names."""

    #: Reads one typed value as (start, end), the end not included.
    read = staticmethod(read_day)
    #: The picker the list's script sets up for one value, and for two.
    picker, range_picker = "datepicker", "daterangepicker"
    example = f"01/12/2026 to {EXAMPLE_DATE}"
    #: Whether the value is two dates ("between").
    between = False

    def __init__(self, column, name, options=None, data_type=None):
        super().__init__(column, name, options, data_type=self.range_picker if self.between else self.picker)

    def clean(self, value: str):
        """The (start, end) of what was typed; ValueError, with what to type instead, when it cannot be read."""
        if not self.between:
            return self.read(value)
        parts = _BETWEEN.split(str(value or "").strip())
        if len(parts) != 2:
            raise ValueError(f"enter two dates with “to” between them, for example {self.example}.")
        (start, _), (_, end) = self.read(parts[0]), self.read(parts[1])
        if start >= end:
            raise ValueError("put the earlier date first.")
        return start, end

    def refusal(self, value: str) -> str | None:
        """Why the value cannot be used, in words; None when it can."""
        try:
            self.clean(value)
        except ValueError as exc:
            return str(exc)
        return None

    def validate(self, value: str) -> bool:
        return self.refusal(value) is None

    def apply(self, query, value, alias=None):
        start, end = value
        return query.filter(self.condition(self.get_column(alias), start, end))

    def condition(self, column, start, end):
        raise NotImplementedError


class LondonTimes:
    """Mixed into a date filter to make it a filter on a time column (stored in UTC, typed in London)."""

    read = staticmethod(read_london_time)
    picker, range_picker = "datetimepicker", "datetimerangepicker"
    example = f"{EXAMPLE_DATE} 09:00 to {EXAMPLE_DATE} 17:30"


# --- the operations ----------------------------------------------------------------------------------------


class DateOn(SpanFilter):
    def condition(self, column, start, end):
        return and_(column >= start, column < end)

    def operation(self):
        return "on"


class DateNotOn(SpanFilter):
    def condition(self, column, start, end):
        return or_(column < start, column >= end, column.is_(None))

    def operation(self):
        return "not on"


class DateAfter(SpanFilter):
    def condition(self, column, start, end):
        return column >= end

    def operation(self):
        return "after"


class DateBefore(SpanFilter):
    def condition(self, column, start, end):
        return column < start

    def operation(self):
        return "before"


class DateBetween(DateOn):
    between = True

    def operation(self):
        return "between"


class DateNotBetween(DateNotOn):
    between = True

    def operation(self):
        return "not between"


class TimeOn(LondonTimes, DateOn):
    pass


class TimeNotOn(LondonTimes, DateNotOn):
    pass


class TimeAfter(LondonTimes, DateAfter):
    pass


class TimeBefore(LondonTimes, DateBefore):
    pass


class TimeBetween(LondonTimes, DateBetween):
    pass


class TimeNotBetween(LondonTimes, DateNotBetween):
    pass


DATE_FILTERS = (DateOn, DateNotOn, DateAfter, DateBefore, DateBetween, DateNotBetween)
TIME_FILTERS = (TimeOn, TimeNotOn, TimeAfter, TimeBefore, TimeBetween, TimeNotBetween)
