"""Importing a risk-stratification list: map its columns, preview what it would do, then save all of it or none.

`preview_list` reads and checks every row and saves nothing: how many match a patient by NHS number, how many are
people not held, and each row that cannot be used with its reason in words. `import_list` checks the same way (one
code path, so nothing the preview said can differ from what is saved) and saves in batches of `BATCH` rows a flush:
eFI and CFS with their date (an imported value wins only when newer than the one held), hospital events added once
(keyed by patient, kind and date, so the same file twice changes nothing), long-term conditions added to those held,
and new patients only when asked. Every change is audited; the risk rule recomputes the touched patients at each
flush (services/risk.py). The service never commits: the caller's unit of work saves everything or nothing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app, has_app_context
from sqlalchemy import select

from exports.spreadsheets import FORMULA_PREFIXES
from formats.dates import today
from formats.nhs import format_nhs_number, nhs_number_is_valid, normalise_nhs_number
from formats.tables import Limits, Table, cell_date, cell_text, read_table
from models import (
    DomainError,
    HospitalEventKind,
    ListColumnMapping,
    ListSource,
    Organisation,
    OrganisationType,
    Patient,
    User,
    db,
)
from services import audit

#: Rows saved per flush: SQLite allows 32,766 parameters a statement, and the risk rule and the KPI tallies work
#: per touched patient at each flush.
BATCH = 1000

#: What a column can be mapped to, in the order the mapping screen offers them.
FIELDS: dict[str, str] = {
    "nhs_number": "NHS number",
    "given_name": "First name",
    "family_name": "Surname",
    "date_of_birth": "Date of birth",
    "practice_ods": "GP practice ODS code",
    "efi": "eFI",
    "efi_on": "eFI date",
    "cfs": "CFS",
    "cfs_on": "CFS date",
    "conditions": "Long-term conditions",
    "admissions": "Admission dates",
    "ae_attendances": "A&E attendance dates",
}
#: Headings a column is recognised by when a source has no mapping yet (compared without case, spaces or marks).
_GUESSES: dict[str, tuple[str, ...]] = {
    "nhs_number": ("nhsnumber", "nhsno", "nhs"),
    "given_name": ("firstname", "givenname", "forename", "forenames"),
    "family_name": ("surname", "familyname", "lastname"),
    "date_of_birth": ("dateofbirth", "dob", "birthdate"),
    "practice_ods": ("practiceodscode", "practicecode", "odscode", "practice", "gppractice", "registeredpractice"),
    "efi": ("efi", "efiscore", "electronicfrailtyindex"),
    "efi_on": ("efidate", "efion"),
    "cfs": ("cfs", "clinicalfrailtyscale", "cfsscore"),
    "cfs_on": ("cfsdate", "cfson"),
    "conditions": ("longtermconditions", "ltcs", "ltc", "conditions"),
    "admissions": ("admissiondate", "admissiondates", "admissions", "admitted", "nonelectiveadmission"),
    "ae_attendances": ("aedate", "aeattendance", "aeattendances", "aedates", "attendancedate"),
}
_EVENT_FIELDS = {"admissions": HospitalEventKind.admission, "ae_attendances": HospitalEventKind.ae_attendance}
#: Several dates or conditions in one cell are separated by these.
_SEVERAL = re.compile(r"[;|\n]+")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def limits() -> Limits:
    """The file limits, from the app's config (tests lower them): CASE_FINDING_MAX_BYTES, _MAX_ROWS, _MAX_UNPACKED."""
    config = current_app.config if has_app_context() else {}
    default = Limits()
    return Limits(
        max_bytes=config.get("CASE_FINDING_MAX_BYTES", default.max_bytes),
        max_rows=config.get("CASE_FINDING_MAX_ROWS", default.max_rows),
        max_unpacked_bytes=config.get("CASE_FINDING_MAX_UNPACKED", default.max_unpacked_bytes),
    )


def read_list(data: bytes, filename: str) -> Table:
    """The uploaded file as a table, refused in words when it is hostile or not a spreadsheet."""
    return read_table(data, filename, limits())


# --- the column mapping ------------------------------------------------------------------------------------------


def _plain_heading(heading: str) -> str:
    return re.sub(r"[^a-z0-9]", "", heading.lower())


def guess_mapping(headings: list[str]) -> dict[str, str]:
    """{field: heading} for the headings recognised by name."""
    plain = {_plain_heading(h): h for h in headings if h}
    found = {}
    for name, words in _GUESSES.items():
        for word in words:
            if word in plain and plain[word] not in found.values():
                found[name] = plain[word]
                break
    return found


def offered_mapping(source: ListSource, headings: list[str]) -> dict[str, str]:
    """The mapping last used for the source (for headings this file still has), else a guess from the headings."""
    row = db.session.scalar(select(ListColumnMapping).where(ListColumnMapping.source == source))
    if row is not None:
        kept = {name: heading for name, heading in json.loads(row.mapping).items() if heading in headings}
        if kept:
            return kept
    return guess_mapping(headings)


def remember_mapping(source: ListSource, mapping: dict[str, str], by: User) -> None:
    """Keep the mapping for the source, offered next time."""
    text = json.dumps(mapping, sort_keys=True)
    row = db.session.scalar(select(ListColumnMapping).where(ListColumnMapping.source == source))
    if row is None:
        row = ListColumnMapping(source=source)
        db.session.add(row)
    if row.mapping != text:
        row.mapping, row.updated_by_id = text, by.id
        with audit.reason(f"Column mapping for {source.label} kept by {by.name}"):
            db.session.flush()


def check_mapping(mapping: dict[str, str], headings: list[str]) -> dict[str, int]:
    """{field: column index}; refused when the NHS number is not mapped or a heading is not in the file."""
    mapping = {name: heading for name, heading in mapping.items() if heading and name in FIELDS}
    if "nhs_number" not in mapping:
        raise DomainError("Choose the column that holds the NHS number: rows are matched to patients by it.")
    missing = [heading for heading in mapping.values() if heading not in headings]
    if missing:
        raise DomainError(f"The file has no column called {', '.join(sorted(missing))}: choose the columns again.")
    if len(set(mapping.values())) < len(mapping):
        raise DomainError("Each column can be mapped once: the same column is chosen for two fields.")
    return {name: headings.index(heading) for name, heading in mapping.items()}


# --- checking rows -----------------------------------------------------------------------------------------------


class RowRefused(Exception):
    """A row cannot be used; the message is the reason in words."""


@dataclass
class ListRow:
    """A row that can be used, its values checked."""

    number: int
    nhs_number: str
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    practice_id: int | None = None
    efi: Decimal | None = None
    efi_on: date | None = None
    cfs: int | None = None
    cfs_on: date | None = None
    conditions: list[str] = field(default_factory=list)
    events: list[tuple[HospitalEventKind, date]] = field(default_factory=list)


@dataclass(frozen=True)
class Refusal:
    row_number: int
    reason: str
    values: list[str]

    @property
    def kind(self) -> str:
        """The reason's first words ("Bad NHS number"), for the preview's counts."""
        return self.reason.split(":", 1)[0]


@dataclass
class Preview:
    """What an import would do: nothing is saved while it is worked out."""

    headings: list[str]
    #: Whether the people not held are to be added (then each needs a name and a date of birth).
    create_new: bool = False
    rows_read: int = 0
    #: Rows for patients held, and for people not held (created only when asked).
    matched: list[ListRow] = field(default_factory=list)
    new: list[ListRow] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    #: NHS number → patient id, for the matched rows.
    patient_ids: dict[str, int] = field(default_factory=dict)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """Each kind of refusal and how many rows it refused, most first."""
        return Counter(r.kind for r in self.refusals).most_common()


def _text(cells: list, columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return cell_text(cells[index]) if index is not None and index < len(cells) else ""


def _raw(cells: list, columns: dict[str, int], name: str):
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def _refuse_formulas(cells: list, columns: dict[str, int]) -> None:
    for name, index in columns.items():
        value = cells[index] if index < len(cells) else None
        text = value.strip() if isinstance(value, str) else ""
        if text.startswith(FORMULA_PREFIXES) and not _NUMBER.match(text):
            raise RowRefused(f"Formula in a cell: {FIELDS[name]} starts with {text[0]!r}; formulas are not read")


def _date(cells, columns, name: str, *, not_after: date | None = None) -> date | None:
    value = _raw(cells, columns, name)
    try:
        found = cell_date(value)
    except (ValueError, OverflowError):
        raise RowRefused(f"Not a date: {FIELDS[name]} {cell_text(value)!r}") from None
    if found and not_after and found > not_after:
        what = "Date of birth in the future" if name == "date_of_birth" else f"{FIELDS[name]} in the future"
        raise RowRefused(f"{what}: {found:%d/%m/%Y}")
    return found


def _efi(cells, columns) -> Decimal | None:
    text = _text(cells, columns, "efi")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RowRefused(f"Value out of range: eFI {text!r} is not a number (0 to 1)") from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise RowRefused(f"Value out of range: eFI {text} (0 to 1)")
    return value.quantize(Decimal("0.001"))


def _cfs(cells, columns) -> int | None:
    text = _text(cells, columns, "cfs")
    if not text:
        return None
    if not re.fullmatch(r"\d(\.0+)?", text) or not 1 <= int(float(text)) <= 9:
        raise RowRefused(f"Value out of range: CFS {text} (a whole number 1 to 9)")
    return int(float(text))


def _events(cells, columns, on: date) -> list[tuple[HospitalEventKind, date]]:
    found = []
    for name, kind in _EVENT_FIELDS.items():
        value = _raw(cells, columns, name)
        parts = _SEVERAL.split(value) if isinstance(value, str) else [value]
        for part in parts:
            try:
                day = cell_date(part.strip() if isinstance(part, str) else part)
            except (ValueError, OverflowError):
                raise RowRefused(f"Not a date: {FIELDS[name]} {cell_text(part)!r}") from None
            if day and day > on:
                raise RowRefused(f"{FIELDS[name]} in the future: {day:%d/%m/%Y}")
            if day and (kind, day) not in found:
                found.append((kind, day))
    return found


def check_row(number: int, cells: list, columns: dict[str, int], practices: dict[str, int], on: date) -> ListRow:
    """One row's values, checked; RowRefused with the reason in words when the row cannot be used."""
    _refuse_formulas(cells, columns)
    typed = _text(cells, columns, "nhs_number")
    digits = normalise_nhs_number(typed) or ""
    if not nhs_number_is_valid(digits):
        raise RowRefused(f"Bad NHS number: {typed!r} is not 10 digits passing the check-digit test" if typed else
                         "Bad NHS number: none given")  # fmt: skip
    ods = _text(cells, columns, "practice_ods").upper()
    if ods and ods not in practices:
        raise RowRefused(f"Unknown practice: {ods} is not a GP practice held (Settings, Organisations)")
    return ListRow(
        number=number,
        nhs_number=digits,
        given_name=_text(cells, columns, "given_name")[:100],
        family_name=_text(cells, columns, "family_name")[:100],
        date_of_birth=_date(cells, columns, "date_of_birth", not_after=on),
        practice_id=practices.get(ods),
        efi=_efi(cells, columns),
        efi_on=_date(cells, columns, "efi_on", not_after=on),
        cfs=_cfs(cells, columns),
        cfs_on=_date(cells, columns, "cfs_on", not_after=on),
        conditions=[c.strip()[:200] for c in _SEVERAL.split(_text(cells, columns, "conditions")) if c.strip()],
        events=_events(cells, columns, on),
    )


def gp_practices() -> dict[str, int]:
    """Live GP practices by ODS code."""
    query = select(Organisation.ods_code, Organisation.id).where(
        Organisation.type == OrganisationType.gp_practice,
        Organisation.archived_at.is_(None),
        Organisation.ods_code.is_not(None),
    )
    return {ods.upper(): pid for ods, pid in db.session.execute(query)}


def _held(numbers: list[str]) -> tuple[dict[str, int], set[str]]:
    """The live patients with these NHS numbers ({number: id}), and the numbers of archived ones."""
    live, archived = {}, set()
    for first in range(0, len(numbers), BATCH):
        chunk = numbers[first : first + BATCH]
        query = select(Patient.nhs_number, Patient.id, Patient.archived_at).where(Patient.nhs_number.in_(chunk))
        for number, pid, archived_at in db.session.execute(query):
            if archived_at is None:
                live[number] = pid
            else:
                archived.add(number)
    return live, archived


def _refusal(number: int, reason: str, cells: list) -> Refusal:
    return Refusal(number, reason[:500], [cell_text(c) for c in cells])


def preview_list(table: Table, mapping: dict[str, str], *, create_new: bool = False) -> Preview:
    """What importing the table with this mapping would do; nothing is saved."""
    columns = check_mapping(mapping, table.headings)
    practices, on = gp_practices(), today()
    preview = Preview(headings=table.headings, create_new=create_new, rows_read=len(table.rows))
    checked, seen = [], {}
    for number, cells in enumerate(table.rows, start=2):
        try:
            row = check_row(number, cells, columns, practices, on)
        except RowRefused as refused:
            preview.refusals.append(_refusal(number, str(refused), cells))
            continue
        if row.nhs_number in seen:
            reason = (
                f"Duplicate row: NHS number {format_nhs_number(row.nhs_number)} is also on row {seen[row.nhs_number]}"
            )
            preview.refusals.append(_refusal(number, reason, cells))
            continue
        seen[row.nhs_number] = number
        checked.append((row, cells))
    preview.patient_ids, archived = _held([row.nhs_number for row, _ in checked])
    for row, cells in checked:
        if row.nhs_number in preview.patient_ids:
            preview.matched.append(row)
        elif row.nhs_number in archived:
            reason = "Patient archived: the team lead can restore them (Patients, archived records), then import again"
            preview.refusals.append(_refusal(row.number, reason, cells))
        elif create_new and not (row.given_name and row.family_name and row.date_of_birth):
            reason = (
                "New patient without a name or date of birth: a new patient needs first name, surname and date of birth"
            )
            preview.refusals.append(_refusal(row.number, reason, cells))
        else:
            preview.new.append(row)
    preview.refusals.sort(key=lambda r: r.row_number)
    return preview
