"""Spreadsheets (CSV and XLSX) from a header row and value rows, every cell made inert first."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

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
    text = _CONTROL.sub("", str(value))
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
    """A title a sheet may have: no []:*?/\\ and at most 31 characters."""
    return title.translate(_BAD_TITLE)[:31].strip() or "Export"


def workbook_of_sheets(sheets: Iterable[tuple[str, list[str], Iterable[list]]]) -> bytes:
    """Several sheets, each a bold header that stays in view and then its rows as typed cells, every cell inert."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(sheet_title(title))
        sheet.freeze_panes = "A2"
        header_cells = []
        for label in header:
            cell = WriteOnlyCell(sheet, value=neutralise_formula(str(label)))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([neutralise_formula(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
