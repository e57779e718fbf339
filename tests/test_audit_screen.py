"""The audit trail a team lead can read: entries in words, records by name, files by kind and size, filters."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import docx
import pytest
from sqlalchemy import event

from formats.dates import format_date, today
from models import (
    AuditAction,
    AuditEntry,
    BaseDocument,
    DocumentKind,
    GeneratedDocument,
    Role,
    db,
)
from tests.factories import shown


def _entries(**where) -> list[AuditEntry]:
    query = db.select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return db.session.scalars(query).all()


def _word_document(paragraphs: int = 40) -> bytes:
    document = docx.Document()
    for n in range(paragraphs):
        document.add_paragraph(f"Paragraph {n} of a generated document.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _rows(page: str) -> list[str]:
    """The list's rows as text, one string per entry."""
    body = page.split("</thead>", 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>") if "<td" in row]


# --- files: kind, size and hash, never the contents ------------------------------------------------------------


def test_no_entry_written_now_holds_a_files_bytes(app, make_user):
    content = _word_document()
    user = make_user(Role.team_lead)
    db.session.add_all(
        [
            GeneratedDocument(kind=DocumentKind.minutes, filename="minutes.docx", generated_by=user, content=content),
            BaseDocument(
                filename="letterhead.docx",
                content=content,
                uploaded_by_id=user.id,
                size_bytes=len(content),
                sha256="0" * 64,
            ),
        ]
    )
    db.session.commit()
    for table in ("generated_document", "base_document"):
        [entry] = _entries(table_name=table, action=AuditAction.create)
        assert "PK" not in entry.changes and "\\x" not in entry.changes
        kept = json.loads(entry.changes)["content"][1]
        assert kept["file"] == "a Word document" and kept["bytes"] == len(content) and len(kept["sha256"]) == 64


def test_a_document_entry_shows_its_kind_and_size_old_and_new(signed_in, make_user):
    """An entry written before the trail kept summaries holds the bytes as Python wrote them: shown the same way."""
    content = _word_document()
    lead = signed_in(Role.team_lead)
    db.session.add(GeneratedDocument(kind=DocumentKind.agenda, filename="agenda.docx", content=content))
    old = {"content": [None, str(content)], "filename": [None, "old-minutes.docx"]}
    db.session.add(AuditEntry(action=AuditAction.create, table_name="generated_document", record_id=999_999,
                              changes=json.dumps(old, default=str)))  # fmt: skip
    db.session.commit()
    page = shown(lead.get("/admin/audit/?flt0_kind_of_record_is=generated_document"))
    size = f"a Word document, {round(len(content) / 1000)} KB"
    assert page.count(size) == 2, page
    assert "b'PK" not in page and "b'\\x" not in page and "\\x03" not in page


# --- each entry in words ------------------------------------------------------------------------------------------


def test_an_entry_says_when_who_what_and_which_record_by_name(signed_in, create_referral, create_patient):
    patient = create_patient(given_name="Margaret", family_name="Ashdown", nhs_number="9997771230")
    referral = create_referral(patient=patient, reason="Falls")
    lead = signed_in(Role.team_lead)
    assert lead.get(f"/admin/referral/details/?id={referral.id}").status_code == 200
    assert lead.get(f"/admin/record/{patient.id}/").status_code == 200
    edited = lead.submit(
        f"/admin/referral/edit/?id={referral.id}",
        {"patient": patient.id, "locality": referral.locality_id, "received_on": "2026-11-02",
         "referrer_name": "Dr Jones", "reason": "Falls at home", "consent": "given", "consent_by": "Patient",
         "consent_on": referral.consent_on.isoformat(), "signposting_tried": "Age UK",
         "expected_version": str(referral.version)},
    )  # fmt: skip
    assert edited.status_code == 302, shown(edited)
    rows = _rows(shown(lead.get("/admin/audit/")))
    name = "ASHDOWN, Margaret (999 777 1230)"
    who = f"{lead.user.name} (Team lead)"
    changed = next(r for r in rows if r.split(who)[1].strip().startswith("Changed"))
    assert f"Referral for {name}" in changed
    assert "Reason: Falls → Falls at home" in changed  # the column as the referral screen labels it
    assert re.search(r"Received: \d\d/\d\d/\d{4} → 02/11/2026", changed)
    assert any("Opened the record of" in r and name in r for r in rows)
    assert any(r.split(who)[1].strip().startswith("Opened") and f"Referral for {name}" in r for r in rows)
    stamp = datetime.now(UTC).astimezone().strftime("%d/%m/%Y")
    assert all(re.match(rf"{stamp} \d\d:\d\d ", r) for r in rows[:3]), rows[:3]  # London date and time


def test_lists_exports_and_sign_ins_read_as_sentences(signed_in, create_patient):
    create_patient(family_name="Ashdown")
    lead = signed_in(Role.team_lead)
    lead.get("/admin/patient/?search=Ashdown")
    page = shown(lead.get("/admin/audit/"))
    assert "Listed patients" in page and "searched for “Ashdown”; 1 row" in page
    assert "Signed in" in page and "search=Ashdown" not in page and "rows=" not in page


def test_names_are_read_in_a_fixed_number_of_queries(signed_in, create_referral, sql_statements):
    """A page of 25 entries about 25 referrals costs what a page of 3 does: names are read per kind, not per row."""
    lead = signed_in(Role.team_lead)
    url = "/admin/audit/?flt0_kind_of_record_is=referral"

    def add(count: int) -> int:
        for _ in range(count):
            referral = create_referral()
            db.session.add(AuditEntry(action=AuditAction.view, table_name="referral", record_id=referral.id,
                                      patient_id=referral.patient_id, user_id=lead.user.id))  # fmt: skip
        db.session.commit()
        lead.get(url)
        sql_statements.clear()
        assert lead.get(url).status_code == 200
        return len(sql_statements)

    few = add(3)
    assert add(25) == few


# --- filters ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Ashdown", "ashdown", "ASHDOWN, Margaret", "999 777 1230", "9997771230"])
def test_a_patients_entries_are_found_by_name_or_nhs_number(signed_in, create_patient, typed):
    ashdown = create_patient(given_name="Margaret", family_name="Ashdown", nhs_number="9997771230")
    other = create_patient(given_name="Ada", family_name="Lovelace")
    lead = signed_in(Role.team_lead)
    for patient in (ashdown, other):
        assert lead.get(f"/admin/record/{patient.id}/").status_code == 200
    page = shown(lead.get(f"/admin/audit/?flt0_patient_name_or_nhs_number={typed}"))
    assert "ASHDOWN, Margaret" in page and "LOVELACE" not in page
    assert "1 record" in page or "2 records" in page
    assert "is not a value this filter can take" not in page


def test_filters_by_person_kind_of_record_kind_of_event_and_british_dates(signed_in, make_org, time_machine):
    time_machine.move_to(datetime(2026, 11, 20, 12, 0, tzinfo=UTC), tick=False)
    make_org(name="Old Name")
    time_machine.move_to(datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False)
    lead = signed_in(Role.team_lead)
    coordinator = signed_in(Role.coordinator)
    org = make_org(name="Newer Name")
    coordinator.get(f"/admin/organisation/details/?id={org.id}")

    def listed(query: str) -> str:
        return shown(lead.get(f"/admin/audit/?{query}"))

    page = listed(f"flt0_person_is={coordinator.user.id}")
    assert "Organisation: Newer Name" in page and "Signed in" in page and "Listed audit entries" not in page
    page = listed("flt0_kind_of_record_is=organisation&flt1_kind_of_event_is=view")
    assert "Opened" in page and "Organisation: Newer Name" in page and "Old Name" not in page
    assert "Old Name" in listed("flt0_when_on=20/11/2026&flt1_kind_of_record_is=organisation")
    page = listed("flt0_when_after=20/11/2026&flt1_kind_of_record_is=organisation")
    assert "Newer Name" in page and "Old Name" not in page
    page = listed("flt0_when_before=25/11/2026&flt1_kind_of_record_is=organisation")
    assert "Old Name" in page and "Newer Name" not in page
    # what the filters offer: the team by name and role, kinds of record and event in words
    page = listed("")
    assert f"{coordinator.user.name} (Coordinator)" in page and '"Referral"' in page and '"Opened"' in page


def test_a_date_that_is_not_one_is_refused_in_words(signed_in):
    page = shown(signed_in(Role.team_lead).get("/admin/audit/?flt0_when_on=31/02/2026"))
    assert "“31/02/2026” is not a day on the calendar" in page and "Nothing is listed" in page
    assert "Invalid Filter Value" not in page


# --- who may read it ----------------------------------------------------------------------------------------------


def test_opening_the_trail_is_audited_and_it_stays_the_team_leads(signed_in, create_patient):
    patient = create_patient()
    lead = signed_in(Role.team_lead)
    lead.get(f"/admin/record/{patient.id}/")
    lead.get("/admin/audit/?search=record")
    [listed] = _entries(action=AuditAction.list, table_name="audit_entry")
    assert listed.user_id == lead.user.id and "search=record" in listed.detail and "rows=" in listed.detail
    for role in (Role.coordinator, Role.read_only, Role.partner):
        client = signed_in(role)
        assert client.get("/admin/audit/").status_code == 403
        assert client.get("/admin/audit/export/csv/").status_code == 403


def test_the_export_says_the_same_words(signed_in, create_referral):
    referral = create_referral()
    lead = signed_in(Role.team_lead)
    lead.get(f"/admin/referral/details/?id={referral.id}")
    text = lead.get("/admin/audit/export/csv/").get_data(as_text=True)
    assert f"Referral for {referral.patient}" in text and "Opened" in text
    assert format_date(today()) in text and "+00:00" not in text


@pytest.fixture
def sql_statements(app):
    """Every SQL statement sent to the database while the test runs (transaction control aside)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_a_deleted_record_is_named_by_its_kind(signed_in):
    db.session.add(AuditEntry(action=AuditAction.view, table_name="referral", record_id=123_456,
                              at=datetime.now(UTC) - timedelta(days=1)))  # fmt: skip
    db.session.commit()
    page = shown(signed_in(Role.team_lead).get("/admin/audit/"))
    assert "Referral no longer kept" in page and "123456" not in page and "123,456" not in page


def test_text_that_looks_like_bytes_is_shown_as_typed(signed_in, create_patient):
    """Only a file's column is read as a file: a note typed as b'PK' stays what was typed."""
    patient = create_patient()
    patient.communication_needs = "b'PK is how the letters read'"
    db.session.commit()
    page = shown(signed_in(Role.team_lead).get("/admin/audit/?flt0_kind_of_record_is=patient"))
    assert "b'PK is how the letters read'" in page and "a file" not in page
