"""A spreadsheet from a header row and value rows, formulas already neutralised by the caller."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

#: Sheet titles may not contain these characters and are at most 31 long.
_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


def workbook_bytes(title: str, header: list[str], rows: Iterable[list]) -> bytes:
    """One sheet: a bold header that stays in view, then the rows as typed cells."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title.translate(_BAD_TITLE)[:31] or "Export")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
