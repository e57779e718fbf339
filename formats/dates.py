"""British dates and Europe/London times: the only way the tool shows them, and how it reads them when typed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def today() -> date:
    """Today's date in Europe/London (not UTC: just after midnight in summer they differ)."""
    return datetime.now(LONDON).date()


def to_london(value: datetime) -> datetime:
    """A stored (UTC) time as London wall time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON)


def format_date(value: date | datetime | None) -> str:
    """25/11/2026: always a four-digit year (strftime writes the year 1 as "1")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value)
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def format_datetime(value: datetime | None) -> str:
    """25/11/2026 14:05 in London time, without seconds."""
    if value is None:
        return ""
    return to_london(value).strftime("%d/%m/%Y %H:%M")


#: The days of the week in English, Monday first (as `date.weekday()` counts them), whatever the server's locale.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def format_slot(value: datetime | None) -> str:
    """Tuesday 14/01/2027 10:00 in London time: a meeting's time, offered or booked, always with its weekday, so a
    Saturday is seen for what it is."""
    if value is None:
        return ""
    local = to_london(value)
    return f"{WEEKDAYS[local.weekday()]} {format_datetime(local)}"


# --- reading what a person types (a list filter): a day as 20/12/2026, a time on the 24-hour clock ------------

#: The years a typed date may fall in: outside them it is a slip of the keyboard, not a date anyone means.
FIRST_YEAR, LAST_YEAR = 1800, 2999
_BRITISH_DATE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]+)")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_TIME = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})(?::([0-9]{2}))?")
EXAMPLE_DATE = "20/12/2026"


def read_date(text: str) -> date:
    """A date as typed: day/month/year (20/12/2026, or with dashes or dots), or year-month-day (2026-12-20).

    A two-digit year is refused rather than guessed (is 01/02/35 a birthday in 1935 or a review in 2035?).
    Anything else raises ValueError with a sentence that says what to type.
    """
    text = " ".join(str(text or "").split())
    if not text:
        raise ValueError(f"enter a date, for example {EXAMPLE_DATE}.")
    if iso := _ISO_DATE.fullmatch(text):
        year, month, day = iso.groups()
    elif british := _BRITISH_DATE.fullmatch(text):
        day, month, year = british.groups()
    else:
        raise ValueError(f"“{text}” is not a date: enter it as day/month/year, for example {EXAMPLE_DATE}.")
    if len(year) != 4:
        raise ValueError(f"“{text}”: write the year in full, for example {EXAMPLE_DATE}.")
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise ValueError(f"“{text}”: the year must be between {FIRST_YEAR} and {LAST_YEAR}.")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"“{text}” is not a day on the calendar: check the day and the month.") from None


def read_day(text: str) -> tuple[date, date]:
    """A typed date as the span it names: from that day up to (not including) the next."""
    day = read_date(text)
    return day, day + timedelta(days=1)


def read_london_time(text: str) -> tuple[datetime, datetime]:
    """A day, or a day and a 24-hour time (20/12/2026 14:30), typed as London wall time, as the span it names:
    the whole day (midnight to midnight, however long the clocks make it), or that minute (or second).

    The two ends are timezone-aware (London), so they compare rightly with times stored in UTC.
    """
    text = " ".join(re.sub(r"(?<=[0-9])T(?=[0-9])", " ", str(text or "")).split())  # 2026-12-20T14:30 too
    day_text, _, time_text = text.partition(" ")
    day = read_date(day_text)
    if not time_text:
        return datetime.combine(day, time(), LONDON), datetime.combine(day + timedelta(days=1), time(), LONDON)
    clock = _TIME.fullmatch(time_text)
    if not clock or int(clock[1]) > 23 or int(clock[2]) > 59 or int(clock[3] or 0) > 59:
        raise ValueError(f"“{time_text}” is not a time: enter it on the 24-hour clock, for example 14:30.")
    start = datetime.combine(day, time(int(clock[1]), int(clock[2]), int(clock[3] or 0)), LONDON)
    return start, start + (timedelta(seconds=1) if clock[3] else timedelta(minutes=1))
