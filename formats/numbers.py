"""The one parser for ids and whole numbers read from a request (a URL, a query string, a form, a file).

`"²".isdigit()` is true and `int("²")` raises; `int(" 12 ")` and `int("1_000")` pass; PostgreSQL refuses an
integer past 2**31 - 1. So no screen, blueprint or service turns request text into a number any other way
(tests/test_house.py walks the code for `isdigit`, `isdecimal` and `int(` on request data).
"""

from __future__ import annotations

import re

from werkzeug.routing import IntegerConverter

#: The largest id a row can have (a signed 32-bit integer on PostgreSQL): a bigger number names no record.
MAX_ID = 2**31 - 1
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,10}")


def whole_number(value, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """A whole number as typed: ASCII digits (a leading minus when `minimum` is below 0) within the bounds, else
    None. Surrounding spaces are ignored; "²", "1e9", "1_000", "" and None are not numbers."""
    text = str(value).strip() if value is not None else ""
    if not _WHOLE_NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def record_id(value) -> int | None:
    """An id as typed in a URL, a query string or a form: a whole number from 1 to `MAX_ID`, else None."""
    return whole_number(value, minimum=1)


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: an id within the database's integer range, else 404 before the view runs
    (PostgreSQL refuses 3000000000 for an integer column; SQLite would look it up and find nothing)."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits, min, max, signed)
