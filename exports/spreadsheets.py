"""Spreadsheets (CSV and XLSX) from a header row and value rows, every cell made inert first.

Workbooks are written with XlsxWriter (openpyxl, which reads the workbooks people upload, took 1.4 s to write the
90,000 cells of a 10,000-row export in its write-only mode; XlsxWriter 0.85 s on the same machine)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

from xlsxwriter import Workbook

#: A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
#: Sheet titles may not contain these characters and are at most 31 long.
_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


#: Characters a spreadsheet cannot hold (XML 1.0 forbids them): removed; tab and line breaks are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def neutralise_formula(value):
    """Make a spreadsheet cell inert: control characters removed, and text that would run as a formula gets a
    leading apostrophe."""
    if isinstance(value, (int, float, Decimal)) or value is None:
        return value
    text = str(value)
    if _CONTROL.search(text):  # rare: searched first, as most text has none to remove
        text = _CONTROL.sub("", text)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def csv_text(header: list[str], rows: Iterable[list]) -> str:
    """A CSV document, built whole (the rows are already capped by the caller)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise_formula(value) for value in row])
    return out.getvalue()


def workbook_bytes(title: str, header: list[str], rows: Iterable[list]) -> bytes:
    """One sheet: a bold header that stays in view, then the rows as typed cells."""
    return workbook_of_sheets([(title, header, rows)])


def sheet_title(title: str) -> str:
    """A title a sheet may have: no []:*?/\\, no apostrophe at either end, and at most 31 characters."""
    return title.translate(_BAD_TITLE)[:31].strip().strip("'") or "Export"


def workbook_of_sheets(sheets: Iterable[tuple[str, list[str], Iterable[list]]]) -> bytes:
    """Several sheets, each a bold header that stays in view and then its rows as typed cells, every cell inert."""
    out = io.BytesIO()
    # Text stays text: nothing typed is turned into a number, a formula or a link.
    book = Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                          "strings_to_urls": False})  # fmt: skip
    bold = book.add_format({"bold": True})
    titles: set[str] = set()
    for title, header, rows in sheets:
        sheet = book.add_worksheet(_unique_title(sheet_title(title), titles))
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, [neutralise_formula(str(label)) for label in header], bold)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                _write(sheet, number, column, neutralise_formula(value))
    book.close()
    return out.getvalue()


def _unique_title(title: str, taken: set[str]) -> str:
    """Sheet titles differ without regard to case (two KPIs may share their first 31 characters): a number added."""
    found, n = title, 1
    while found.casefold() in taken:
        n += 1
        found = f"{title[: 31 - len(str(n)) - 1]} {n}"
    taken.add(found.casefold())
    return found


def _write(sheet, row: int, column: int, value) -> None:
    """One inert cell as its type (`neutralise_formula` has made anything else text); an empty cell left blank."""
    if value is None or value == "":
        return
    if isinstance(value, str):
        sheet.write_string(row, column, value)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    else:
        sheet.write_number(row, column, value)
