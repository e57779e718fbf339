"""Importing a risk-stratification list: reading hostile and ordinary files, the preview, and the save (all or none,
newer values only, events once). Every file is built by the test."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from formats.dates import today
from formats.nhs import format_nhs_number
from formats.tables import UnreadableFile, cell_date
from models import (
    AuditEntry,
    DomainError,
    Episode,
    HospitalEvent,
    ListImport,
    ListImportRefusal,
    ListSource,
    OrganisationType,
    Patient,
    PatientListFigures,
    RiskBand,
    Role,
    db,
)
from services.case_finding import offered_mapping, preview_list, read_list
from services.list_import import import_list
from services.unit_of_work import perform
from tests.factories import nhs_number

HEADINGS = ["NHS Number", "Forename", "Surname", "DOB", "Practice Code", "eFI", "CFS", "Admission dates"]
MAPPING = {
    "nhs_number": "NHS Number",
    "given_name": "Forename",
    "family_name": "Surname",
    "date_of_birth": "DOB",
    "practice_ods": "Practice Code",
    "efi": "eFI",
    "cfs": "CFS",
    "admissions": "Admission dates",
}


def csv_bytes(rows, headings=HEADINGS, delimiter=",", bom=False) -> bytes:
    def cell(value):
        text = str(value)
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in f'{delimiter}"\n') else text

    lines = [delimiter.join(cell(v) for v in row) for row in [headings, *rows]]
    return ("\ufeff" if bom else "").encode() + "\r\n".join(lines).encode()


def xlsx_bytes(rows, headings=HEADINGS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def practice(make_org):
    return make_org(name="Riverside Surgery", type=OrganisationType.gp_practice, ods_code="Y01234")


@pytest.fixture
def lead(make_user):
    return make_user(Role.team_lead)


def spaced(number: str) -> str:
    return format_nhs_number(number)


# --- reading files -----------------------------------------------------------------------------------------------


def test_csv_with_a_bom_semicolons_and_quoted_line_breaks_is_read(app):
    number = nhs_number()
    row = [spaced(number), "Ada", "Lovelace; née Byron", "02/01/1940", "", "0.4", "7", "01/02/2026\n03/04/2026"]
    data = csv_bytes([row], delimiter=";", bom=True)
    table = read_list(data, "search.csv")
    assert table.headings[0] == "NHS Number"  # the BOM is not part of the first heading
    assert table.rows == [[spaced(number), "Ada", "Lovelace; née Byron", "02/01/1940", "", "0.4", "7",
                           "01/02/2026\n03/04/2026"]]  # fmt: skip


def test_xlsx_dates_are_read_as_serial_numbers_and_as_text(app, practice):
    serial = (date(1941, 3, 4) - date(1899, 12, 30)).days
    data = xlsx_bytes([[nhs_number(), "Ada", "Lovelace", serial, "Y01234", 0.3, 6, "05/06/2026"],
                       [nhs_number(), "Bea", "Byron", "04/03/1941", "y01234", None, None, None]])  # fmt: skip
    preview = preview_list(read_list(data, "efi.xlsx"), MAPPING, create_new=True)
    assert not preview.refusals
    assert [row.date_of_birth for row in preview.new] == [date(1941, 3, 4), date(1941, 3, 4)]
    assert preview.new[0].events[0][1] == date(2026, 6, 5)
    assert cell_date(45000) == date(2023, 3, 15)
    assert cell_date("2023-03-15") == date(2023, 3, 15)


def test_nhs_numbers_are_matched_spaced_3_3_4_and_unspaced(app, create_patient):
    first, second = create_patient(), create_patient()
    data = csv_bytes([[spaced(first.nhs_number), "", "", "", "", "", "", ""],
                      [second.nhs_number, "", "", "", "", "", "", ""]])  # fmt: skip
    preview = preview_list(read_list(data, "list.csv"), MAPPING)
    assert {row.nhs_number for row in preview.matched} == {first.nhs_number, second.nhs_number}


# --- the preview -------------------------------------------------------------------------------------------------


def test_the_preview_counts_matched_new_and_refused_with_reasons_and_saves_nothing(app, create_patient, practice):
    held = create_patient()
    new = nhs_number()
    future = (today() + timedelta(days=3)).strftime("%d/%m/%Y")
    rows = [
        [held.nhs_number, "Ada", "Lovelace", "02/01/1940", "Y01234", "0.4", "7", ""],
        [new, "Bea", "New", "03/03/1939", "Y01234", "", "", ""],
        ["999 123 4560", "Bad", "Number", "01/01/1940", "", "", "", ""],
        [nhs_number(), "Unknown", "Practice", "01/01/1940", "ZZ999", "", "", ""],
        [nhs_number(), "Future", "Birth", future, "", "", "", ""],
        [nhs_number(), "High", "Efi", "01/01/1940", "", "1.4", "", ""],
        [nhs_number(), "High", "Cfs", "01/01/1940", "", "", "10", ""],
        [spaced(held.nhs_number), "Ada", "Again", "02/01/1940", "", "", "", ""],
    ]
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    preview = preview_list(read_list(csv_bytes(rows), "list.csv"), MAPPING)
    assert (preview.rows_read, len(preview.matched), len(preview.new), len(preview.refusals)) == (8, 1, 1, 6)
    reasons = {r.row_number: r.reason for r in preview.refusals}
    assert reasons[4].startswith("Bad NHS number")
    assert reasons[5].startswith("Unknown practice: ZZ999")
    assert reasons[6].startswith("Date of birth in the future")
    assert reasons[7] == "Value out of range: eFI 1.4 (0 to 1)"
    assert reasons[8] == "Value out of range: CFS 10 (a whole number 1 to 9)"
    assert reasons[9] == f"Duplicate row: NHS number {spaced(held.nhs_number)} is also on row 2"
    assert dict(preview.reasons)["Value out of range"] == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert db.session.scalar(select(func.count()).select_from(ListImport)) == 0


# --- saving ------------------------------------------------------------------------------------------------------


def _import(data, lead, **kwargs):
    done = perform(
        lambda: import_list(data, "list.csv", ListSource.practice_search, MAPPING, lead, **kwargs), say=False
    )
    assert done, done.message
    return done.value


def test_an_import_sets_figures_adds_events_creates_new_patients_when_asked_and_recomputes_priority(
    app, create_patient, practice, lead
):
    held = create_patient()
    new = nhs_number()
    admitted = (today() - timedelta(days=20)).strftime("%d/%m/%Y")
    data = csv_bytes([[held.nhs_number, "", "", "", "", "0.4", "7", admitted],
                      [new, "Bea", "New", "03/03/1939", "Y01234", "0.5", "", ""]])  # fmt: skip
    record = _import(data, lead, create_new=True, figures_on=today())
    patient = db.session.get(Patient, held.id)
    assert (patient.efi, patient.cfs) == (Decimal("0.400"), 7)
    assert patient.risk_band is RiskBand.high  # CFS 7 (3) + eFI severe (3) + an admission (2) + recent discharge (2)
    created = db.session.scalar(select(Patient).where(Patient.nhs_number == new))
    assert created.gp_practice_id == practice.id and created.efi == Decimal("0.500")
    assert (record.matched, record.new, record.refused, record.events_added) == (1, 1, 0, 1)
    mark = db.session.scalar(select(PatientListFigures).where(PatientListFigures.patient_id == held.id))
    assert mark.import_id == record.id
    why = db.session.scalars(select(AuditEntry.reason).where(AuditEntry.table_name == "patient")).all()
    assert any(w and w.startswith("List list.csv (GP practice search") for w in why)


def test_new_people_are_left_out_unless_asked(app, lead):
    record = _import(csv_bytes([[nhs_number(), "Bea", "New", "03/03/1939", "", "", "", ""]]), lead)
    assert record.new == 1
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 0


def test_importing_the_same_file_twice_changes_nothing(app, create_patient, lead):
    held = create_patient()
    data = csv_bytes([[held.nhs_number, "", "", "", "", "0.3", "6", "01/02/2026;03/04/2026"]])
    on = today()
    _import(data, lead, figures_on=on)
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.patient_id == held.id))
    second = _import(data, lead, figures_on=on)
    assert (second.figures_changed, second.events_added) == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(HospitalEvent)) == 2
    after = db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.patient_id == held.id))
    assert after == entries


def test_a_value_wins_only_when_newer_than_the_one_held(app, create_patient, lead):
    held = create_patient(efi=Decimal("0.2"), efi_on=today() - timedelta(days=10), cfs=4)  # the CFS typed today
    data = csv_bytes([[held.nhs_number, "", "", "", "", "0.5", "6", ""]])
    older = _import(data, lead, figures_on=today() - timedelta(days=30))
    assert older.figures_changed == 0 and db.session.get(Patient, held.id).efi == Decimal("0.200")
    _import(data, lead, figures_on=today() - timedelta(days=5))
    patient = db.session.get(Patient, held.id)
    assert (patient.efi, patient.efi_on) == (Decimal("0.500"), today() - timedelta(days=5))  # the date goes with it
    assert patient.cfs == 4  # dated by the patient's last change (today): the list's is older
    _import(csv_bytes([[held.nhs_number, "", "", "", "", "0.1", "", ""]]), lead, figures_on=today() - timedelta(days=7))
    assert db.session.get(Patient, held.id).efi == Decimal("0.500")  # older than the value the last import set
    refused = perform(lambda: import_list(data, "x.csv", ListSource.other, MAPPING, lead,
                                          figures_on=today() + timedelta(days=1)), say=False)  # fmt: skip
    assert not refused and refused.message == "The date of the list's eFI and CFS cannot be in the future."


def test_all_or_nothing_a_failure_on_the_last_batch_leaves_nothing(app, create_patient, lead, monkeypatch):
    patients = [create_patient() for _ in range(5)]
    data = csv_bytes([[p.nhs_number, "", "", "", "", "0.4", "7", ""] for p in patients])
    from services import list_import

    batches = []
    real = list_import._Saver.save

    def failing(self, rows):
        batches.append(len(rows))
        if len(batches) == 3:
            raise DomainError("The last batch failed.")  # the third of 2 + 2 + 1 rows
        return real(self, rows)

    monkeypatch.setattr(list_import._Saver, "save", failing)
    done = perform(lambda: import_list(data, "list.csv", ListSource.practice_search, MAPPING, lead, batch=2), say=False)
    assert not done and done.message == "The last batch failed."
    assert batches == [2, 2, 1]
    assert db.session.scalar(select(func.count()).select_from(ListImport)) == 0
    assert all(db.session.get(Patient, p.id).efi is None for p in patients)


# --- hostile files -----------------------------------------------------------------------------------------------


def _refused(app, data: bytes, filename: str) -> str:
    with pytest.raises(UnreadableFile) as refused:
        read_list(data, filename)
    return str(refused.value)


def test_formulas_are_refused_row_by_row_never_evaluated(app, create_patient, lead):
    held = create_patient()
    rows = [[held.nhs_number, "=HYPERLINK(\"http://evil\",\"x\")", "", "", "", "", "", ""],
            ["@SUM(1)", "", "", "", "", "", "", ""]]  # fmt: skip
    record = _import(csv_bytes(rows), lead)
    reasons = db.session.scalars(select(ListImportRefusal.reason).order_by(ListImportRefusal.row_number)).all()
    assert reasons[0].startswith("Formula in a cell: First name starts with '='")
    assert reasons[1].startswith("Formula in a cell: NHS number")
    assert record.matched == 0 and db.session.get(Patient, held.id).given_name == "Ada"


def test_a_formula_in_an_xlsx_is_read_as_its_text(app, create_patient):
    held = create_patient()
    preview = preview_list(read_list(xlsx_bytes([[held.nhs_number, "Ada", "=1+1", None, None, "=0.5", None, None]]),
                                     "f.xlsx"), MAPPING)  # fmt: skip
    assert preview.refusals[0].reason.startswith("Formula in a cell")
    assert "=1+1" in preview.refusals[0].values


def test_a_file_over_the_size_limit_is_refused(app):
    app.config["CASE_FINDING_MAX_BYTES"] = 200
    message = _refused(app, csv_bytes([[nhs_number(), "A", "B", "", "", "", "", ""]] * 10), "big.csv")
    assert "the largest list accepted is" in message


def test_more_rows_than_the_limit_are_refused(app):
    app.config["CASE_FINDING_MAX_ROWS"] = 3
    message = _refused(app, csv_bytes([[nhs_number(), "", "", "", "", "", "", ""]] * 4), "long.csv")
    assert message == "long.csv has more than 3 rows: split it into smaller lists."
    assert "more than 3 rows" in _refused(app, xlsx_bytes([[nhs_number()]] * 4), "long.xlsx")


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_opened(app):
    app.config["CASE_FINDING_MAX_UNPACKED"] = 1_000_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 5_000_000)
    assert len(out.getvalue()) < 100_000
    message = _refused(app, out.getvalue(), "bomb.xlsx")
    assert "would unpack to 4.8 MB" in message and "it was not opened" in message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"%PDF-1.4\n\x00\x01binary", "is not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel (.xls)"),
        (b"PK\x03\x04 not really a zip", "is not a spreadsheet"),
        (b"", "is empty"),
    ],
)
def test_what_is_not_a_spreadsheet_is_refused_in_words(app, data, words):
    assert words in _refused(app, data, "upload.xlsx")


def test_a_hostile_file_saves_nothing(app, lead):
    app.config["CASE_FINDING_MAX_ROWS"] = 1
    data = csv_bytes([[nhs_number(), "", "", "", "", "", "", ""]] * 2)
    done = perform(lambda: import_list(data, "x.csv", ListSource.other, MAPPING, lead), say=False)
    assert not done and "more than 1 rows" in done.message
    assert db.session.scalar(select(func.count()).select_from(ListImport)) == 0


def test_the_mapping_is_kept_per_source_and_offered_next_time(app, lead):
    headings = ["Patient NHS", "Frailty score", "Other"]
    mapping = {"nhs_number": "Patient NHS", "efi": "Frailty score"}
    data = csv_bytes([[nhs_number(), "0.2", ""]], headings=headings)
    perform(lambda: import_list(data, "x.csv", ListSource.efi_report, mapping, lead), say=False)
    assert offered_mapping(ListSource.efi_report, headings) == mapping
    assert offered_mapping(ListSource.admissions, HEADINGS)["nhs_number"] == "NHS Number"  # guessed by name


def test_flask_import_list_previews_then_saves_with_the_kept_mapping(app, create_patient, lead, tmp_path):
    held = create_patient()
    path = tmp_path / "efi.csv"
    path.write_bytes(csv_bytes([[held.nhs_number, "", "", "", "", "0.4", "", ""], ["bad", "", "", "", "", "", "", ""]]))
    runner = app.test_cli_runner()
    arguments = ["import-list", str(path), "--source", "efi_report", "--by", lead.email]
    shown = runner.invoke(args=[*arguments, "--preview"])
    assert shown.exit_code == 0, shown.output
    assert "2 rows: 1 matched by NHS number, 0 not held" in shown.output and "Bad NHS number: 1" in shown.output
    assert db.session.scalar(select(func.count()).select_from(ListImport)) == 0
    saved = runner.invoke(args=[*arguments, "--figures-on", today().strftime("%d/%m/%Y")])
    assert saved.exit_code == 0, saved.output
    assert "1 patient with a newer eFI or CFS" in saved.output
    assert db.session.get(Patient, held.id).efi == Decimal("0.400")
    refused = runner.invoke(args=["import-list", str(path), "--source", "efi_report", "--by", "nobody@example.org"])
    assert refused.exit_code != 0 and "is not an active coordinator or team lead" in refused.output


def test_a_large_import_leaves_the_kpi_tallies_to_the_nightly_rebuild(app, create_patient, lead, monkeypatch):
    from services import list_import
    from services.kpis import tallies

    patients = [create_patient() for _ in range(3)]
    assert perform(lambda: tallies.rebuild(), say=False) and tallies.is_built()
    _import(csv_bytes([[patients[0].nhs_number, "", "", "", "", "0.3", "", ""]]), lead)
    assert tallies.is_built()  # a small list keeps them in step, a flush at a time
    monkeypatch.setattr(list_import, "TALLIED_ROWS", 1)
    _import(csv_bytes([[p.nhs_number, "", "", "", "", "0.3", "", ""] for p in patients[1:]]), lead)
    assert not tallies.is_built()


def test_a_large_import_writes_events_and_marks_in_bulk_with_the_same_outcome(
    app, create_patient, create_episode, practice, lead, monkeypatch
):
    from services import list_import

    monkeypatch.setattr(list_import, "TALLIED_ROWS", 0)
    held, only_events = create_patient(), create_patient(cfs=8, efi=Decimal("0.5"))
    case = create_episode(patient=held)
    new = nhs_number()
    admitted = (today() - timedelta(days=20)).strftime("%d/%m/%Y")
    rows = [[held.nhs_number, "", "", "", "", "0.4", "7", admitted],
            [only_events.nhs_number, "", "", "", "", "", "", admitted],
            [new, "Bea", "New", "03/03/1939", "Y01234", "0.5", "8", admitted]]  # fmt: skip
    data = csv_bytes(rows)
    on = today()
    record = _import(data, lead, create_new=True, figures_on=on)
    assert record.events_added == 3
    created = db.session.scalar(select(Patient).where(Patient.nhs_number == new))
    for patient_id in (held.id, only_events.id, created.id):
        patient = db.session.get(Patient, patient_id)
        assert patient.risk_band is RiskBand.high, patient.risk_reasons  # the bulk events were counted
        assert "discharged from hospital in the last 30 days" in patient.risk_reasons
    assert db.session.get(Episode, case.id).risk_score == db.session.get(Patient, held.id).risk_score  # the board's
    marks = db.session.scalars(select(PatientListFigures)).all()
    assert {m.patient_id for m in marks} == {held.id, only_events.id, created.id}
    trail = db.session.scalars(select(AuditEntry.table_name).where(AuditEntry.table_name.in_(
        ["hospital_event", "patient_list_figures"]))).all()  # fmt: skip
    assert sorted(trail).count("hospital_event") == 3 and trail.count("patient_list_figures") == 3
    changed = db.session.scalars(
        select(AuditEntry.changes).where(
            AuditEntry.table_name == "patient", AuditEntry.record_id == held.id, AuditEntry.action == "update"
        )
    ).all()
    assert [c for c in changed if '"efi"' in c and '"risk_score"' in c]  # figures and priority in one batch write
    again = _import(data, lead, create_new=True, figures_on=on)
    assert (again.figures_changed, again.events_added, again.new) == (0, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(HospitalEvent)) == 3
