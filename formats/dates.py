"""British dates and Europe/London times, the only way the tool shows them."""

from __future__ import annotations

from datetime import UTC, date, datetime
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
    """25/11/2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    """25/11/2026 14:05 in London time, without seconds."""
    if value is None:
        return ""
    return to_london(value).strftime("%d/%m/%Y %H:%M")


def british_date(text: str | None) -> date | None:
    """A date as a person types it in Britain: 25/11/2026 (or 25-11-2026, 25.11.2026, 2026-11-25); else None."""
    text = (text or "").strip()
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
