"""Reading a list someone uploads (CSV or .xlsx) as a heading row and rows of cells, defended against hostile files.

A file is refused, in words, before anything is read from it when it is over the size limit, is not a spreadsheet
(a .xls, a PDF, a picture, any binary), or is an .xlsx whose parts would unpack to more than the unpacked limit
(a zip bomb). Reading stops with a refusal past the row limit. Formulas are never evaluated: an .xlsx is opened
without its cached values, so a formula cell reads as its text ("=HYPERLINK(...)"), which the caller refuses.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from formats.dates import read_date
from models.base import DomainError

#: The first bytes of a zip (an .xlsx) and of an old binary Office file (.xls).
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Excel's day 0 in the 1900 date system (1 is 01/01/1900; Excel's phantom 29/02/1900 is why it is not 31/12/1899).
_EXCEL_EPOCH = date(1899, 12, 30)
#: Serial numbers a date column may hold: 01/01/1900 to 31/12/9999.
_SERIALS = range(1, 2958466)


class UnreadableFile(DomainError):
    """The file was refused before or while it was read; the message says why in words."""


@dataclass(frozen=True)
class Limits:
    """How big a list may be: the file, its rows, and (an .xlsx) what its parts unpack to."""

    #: Under the app's MAX_CONTENT_LENGTH (16 MB), so an upload over it is refused here, in words.
    max_bytes: int = 15 * 1024 * 1024
    max_rows: int = 100_000
    max_unpacked_bytes: int = 300 * 1024 * 1024


@dataclass
class Table:
    """A list as read: the heading row's names, then each row's cells (text, a number, or a date from an .xlsx)."""

    headings: list[str]
    rows: list[list]


def read_table(data: bytes, filename: str, limits: Limits = Limits()) -> Table:
    """The file's first sheet (an .xlsx) or its rows (a CSV), refused in words when it cannot be read safely."""
    if len(data) > limits.max_bytes:
        raise UnreadableFile(
            f"{filename} is {_megabytes(len(data))}: the largest list accepted is {_megabytes(limits.max_bytes)}. "
            "Split it, or leave out columns that are not needed."
        )
    if not data.strip():
        raise UnreadableFile(f"{filename} is empty.")
    if data.startswith(_ZIP_MAGIC):
        table = _read_xlsx(data, filename, limits)
    elif data.startswith(_OLE_MAGIC):
        raise UnreadableFile(f"{filename} is an old Excel (.xls) file: save it as .xlsx or CSV and upload that.")
    else:
        table = _read_csv(data, filename, limits)
    if not any(table.headings):
        raise UnreadableFile(f"{filename} has no heading row: the first row must name the columns.")
    return table


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _too_many_rows(filename: str, limits: Limits) -> UnreadableFile:
    return UnreadableFile(f"{filename} has more than {limits.max_rows:,} rows: split it into smaller lists.")


def _not_a_spreadsheet(filename: str) -> UnreadableFile:
    return UnreadableFile(f"{filename} is not a spreadsheet: upload a CSV file or an Excel workbook (.xlsx).")


# --- CSV ---------------------------------------------------------------------------------------------------------


def _text_of(data: bytes, filename: str) -> str:
    """The file as text: UTF-8 (a BOM dropped), else Windows-1252 as Excel saves it; binary is refused."""
    if b"\x00" in data[:65536]:
        raise _not_a_spreadsheet(filename)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if text.count("\ufffd") > len(text) // 100:
        raise _not_a_spreadsheet(filename)
    return text


def _delimiter(text: str) -> str:
    """`;` when the heading row has more semicolons than commas (a European Excel's CSV), else `,`."""
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _read_csv(data: bytes, filename: str, limits: Limits) -> Table:
    text = _text_of(data, filename)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    try:
        headings = [cell.strip() for cell in next(reader, [])]
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) >= limits.max_rows:
                raise _too_many_rows(filename, limits)
            rows.append(row)
    except csv.Error as exc:
        raise UnreadableFile(f"{filename} could not be read as CSV (line {reader.line_num}): {exc}.") from None
    return Table(headings, rows)


# --- .xlsx -------------------------------------------------------------------------------------------------------


def _check_zip(data: bytes, filename: str, limits: Limits) -> None:
    """Refuse a zip that is not a workbook, or whose parts would unpack to more than the limit (a zip bomb): read
    from the zip's directory, before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise _not_a_spreadsheet(filename) from None
    if "xl/workbook.xml" not in {part.filename for part in parts}:
        raise _not_a_spreadsheet(filename)
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_unpacked_bytes:
        raise UnreadableFile(
            f"{filename} would unpack to {_megabytes(unpacked)}, more than the {_megabytes(limits.max_unpacked_bytes)} "
            "a list may: it was not opened. Save the list again as CSV, or split it."
        )


def _read_xlsx(data: bytes, filename: str, limits: Limits) -> Table:
    from openpyxl import load_workbook

    _check_zip(data, filename, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds on a damaged workbook; each means the same to the user
        raise UnreadableFile(f"{filename} could not be opened as an Excel workbook: it may be damaged.") from None
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        headings = ["" if cell is None else str(cell).strip() for cell in next(values, ())]
        rows = []
        for row in values:
            if all(cell is None or str(cell).strip() == "" for cell in row):
                continue
            if len(rows) >= limits.max_rows:
                raise _too_many_rows(filename, limits)
            rows.append(list(row))
    finally:
        book.close()
    return Table(headings, rows)


# --- cells -------------------------------------------------------------------------------------------------------

_MIDNIGHT = re.compile(r"[ T]00:00(?::00)?$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.0+)?$")


def cell_text(value) -> str:
    """A cell as text, trimmed: a date as dd/mm/yyyy, a whole number without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def cell_date(value) -> date | None:
    """A cell as a date: a date from an .xlsx, an Excel serial number (as a number or text), dd/mm/yyyy or
    yyyy-mm-dd (`formats.dates.read_date`). None for an empty cell; ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value)
    text = str(value).strip()
    if _SERIAL.match(text):
        return _serial(float(text))
    # A date as typed, read as every form reads one; a text export may add midnight to a day.
    return read_date(_MIDNIGHT.sub("", text))


def _serial(number: float) -> date:
    if int(number) not in _SERIALS:
        raise ValueError(str(number))
    return _EXCEL_EPOCH + timedelta(days=int(number))
