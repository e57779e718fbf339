"""The meeting's Word documents: reopened with python-docx and checked, converted by LibreOffice, sent by agency."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta

import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE

from exports.word import clean
from models import (
    AttendanceStatus,
    AuditAction,
    AuditEntry,
    DocumentKind,
    GeneratedDocument,
    OutboxEmail,
    Role,
    SafeguardingCategory,
    SafeguardingConcern,
    User,
    db,
)
from services import meeting_room
from tests.conftest import Client, require_tool
from tests.meeting_fixtures import build_world
from timefmt import today

pytestmark = pytest.mark.documents

TRICKY = "O'Brien’s café – naïve 😀 \x07bell\x0b مرحبا بالعالم"


@pytest.fixture
def held_meeting(make_user):
    """Three cases minuted with actions, a register, one patient with a safeguarding flag and an NHS number."""
    user = make_user("coordinator")
    world = build_world(user, names=["Ahmed", "Brown", "Clarke"])
    world.episodes[0].patient.nhs_number = "9990000026"
    items = [meeting_room.add_case_to_agenda(world.meeting, e, user) for e in world.episodes]
    meeting_room.save_minutes(
        items[0],
        {
            "summary": "Lives alone",
            "discussion": TRICKY,
            "outcome": "Care package increased",
            "decisions": "Review in four weeks",
        },
        user,
        discussed=True,
    )
    meeting_room.save_minutes(items[1], {"outcome": "Referred to falls clinic"}, user, discussed=True)
    meeting_room.add_action(
        items[0],
        "Increase care package to four calls a day",
        world.agencies["social"],
        today() + timedelta(days=14),
        user,
        world.members[0],
    )
    meeting_room.add_action(items[1], "Medication review", world.agencies["mental"], today() + timedelta(days=7), user)
    sam, mo, cat = world.members
    meeting_room.record_attendance(
        world.meeting,
        {sam.id: AttendanceStatus.attended, mo.id: AttendanceStatus.apologies, cat.id: AttendanceStatus.attended},
        user,
    )
    db.session.add(
        SafeguardingConcern(patient_id=items[1].patient_id, raised_on=today(), category=SafeguardingCategory.neglect)
    )
    db.session.commit()
    world.user = user
    return world


def _download(app, user, url) -> Document:
    client = Client(app.test_client())
    client.sign_in(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("wordprocessingml.document")
    return Document(io.BytesIO(response.data)), response.data


def _all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_minutes_hold_every_case_outcome_action_and_attendee(app, held_meeting):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/minutes")
    text = _all_text(document)
    for expected in [
        "Minutes: Medway North Integrated Locality Review",
        "AHMED, Pat",
        "BROWN, Pat",
        "CLARKE, Pat",
        "999 000 0026",
        "Care package increased",
        "Referred to falls clinic",
        "Review in four weeks",
        "Increase care package to four calls a day",
        "Medication review",
        "Sam Social",
        "Mo Mental",
        "Cat Community",
        "Medway Social Services",
        "KMPT",
        "Open safeguarding concern",
    ]:
        assert expected in text, expected
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "Attendance and apologies" and headings[1].startswith("1. AHMED, Pat (999 000 0026)")
    attendance = document.tables[0]
    rows = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in attendance.rows[1:]}
    assert rows["KMPT"] == ["", "Mo Mental", ""] and rows["Medway Social Services"] == ["Sam Social", "", ""]
    due = (today() + timedelta(days=14)).strftime("%d/%m/%Y")
    assert due in text


def test_documents_have_repeating_headers_page_numbers_and_real_headings(app, held_meeting):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/minutes")
    for table in document.tables:
        assert "w:tblHeader" in table.rows[0]._tr.xml
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert document.styles["Heading 1"].element.xml.count("outlineLvl") or document.styles["Heading 1"].builtin


def test_text_is_sanitised_once_keeping_accents_emoji_and_right_to_left(app, held_meeting):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/minutes")
    text = _all_text(document)
    assert "O'Brien’s café – naïve 😀 bell مرحبا بالعالم" in text
    assert "\x07" not in text and "\x0b" not in text
    assert clean("a\x00b\x1fc\td\ne") == "abc\td\ne"


def test_agenda_lists_cases_with_flags(app, held_meeting):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/agenda")
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == [
        "No.",
        "Time",
        "Patient",
        "NHS number",
        "Born",
        "Presenting",
        "Flags",
    ]
    assert [r.cells[2].text for r in table.rows[1:]] == ["AHMED, Pat", "BROWN, Pat", "CLARKE, Pat"]
    assert "Open safeguarding concern" in table.rows[2].cells[6].text


def test_action_log_whole_and_one_agencys_extract(app, held_meeting):
    meeting_id = held_meeting.meeting.id
    whole, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{meeting_id}/document/action_log")
    assert len(whole.tables[0].rows) == 3
    social = held_meeting.agencies["social"].id
    extract, _ = _download(
        app, held_meeting.user, f"/admin/meeting-room/{meeting_id}/document/action_log?organisation={social}"
    )
    rows = extract.tables[0].rows[1:]
    assert [r.cells[2].text for r in rows] == ["Increase care package to four calls a day"]


def test_generation_is_recorded_and_audited(app, held_meeting):
    _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/minutes")
    record = db.session.scalars(db.select(GeneratedDocument)).one()
    assert (record.kind, record.generated_by_id, record.meeting_id) == (
        DocumentKind.minutes,
        held_meeting.user.id,
        held_meeting.meeting.id,
    )
    assert record.filename.endswith("-minutes.docx") and record.size_bytes > 1000
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.document)).one()
    assert entry.record_id == record.id and entry.user_id == held_meeting.user.id


def test_a_base_document_without_the_needed_styles(app, held_meeting, tmp_path):
    base = Document()
    for name in ("Heading 1", "Heading 2", "Title", "Table Grid"):
        style = base.styles[name]
        style.element.getparent().remove(style.element)
    base.sections[0].header.paragraphs[0].text = "Medway ILR letterhead"
    path = tmp_path / "letterhead.docx"
    base.save(path)
    assert "Heading 1" not in {s.name for s in Document(path).styles}
    app.config["BASE_DOCUMENT"] = str(path)
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/minutes")
    assert document.sections[0].header.paragraphs[0].text == "Medway ILR letterhead"
    heading_style = document.styles["Heading 1"]
    assert heading_style.type == WD_STYLE_TYPE.PARAGRAPH and "outlineLvl" in heading_style.element.xml
    assert any(p.style.name == "Heading 1" for p in document.paragraphs)
    assert "w:tblBorders" in document.styles["Table Grid"].element.xml


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("agenda", ["Agenda: Medway North", "AHMED, Pat", "999 000 0026"]),
        ("minutes", ["Minutes: Medway North", "Care package increased", "Increase care package", "مرحبا"]),
        ("action_log", ["Action log", "Medication review", "KMPT"]),
    ],
)
def test_libreoffice_converts_each_document_and_the_text_survives(app, held_meeting, tmp_path, kind, expected):
    require_tool("soffice", "LibreOffice")
    require_tool("pdftotext", "poppler-utils")
    _, data = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/{kind}")
    source = tmp_path / f"{kind}.docx"
    source.write_bytes(data)
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        ["pdftotext", str(tmp_path / f"{kind}.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    text = " ".join(text.split())  # table cells wrap: compare words, not line breaks
    for fragment in expected:
        assert fragment in text, (fragment, text[:2000])
    assert "Page 1 of" in text


def test_minutes_go_only_to_allow_listed_members(app, held_meeting):
    client = Client(app.test_client())
    client.sign_in(held_meeting.user)
    client.submit(f"/admin/meeting-room/{held_meeting.meeting.id}/send/minutes")
    emails = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "minutes")).all()
    assert sorted(e.to_address for e in emails) == ["cat@nhs.net", "mo@nhs.net"]
    assert all(e.contains_patient_data and e.document.kind == DocumentKind.minutes for e in emails)


def test_each_agency_gets_its_own_action_extract(app, held_meeting):
    client = Client(app.test_client())
    client.sign_in(held_meeting.user)
    response = client.submit(f"/admin/meeting-room/{held_meeting.meeting.id}/send/action_log")
    emails = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "action_log")).all()
    assert [e.to_address for e in emails] == ["kmpt.ilr@nhs.net"]
    extract = Document(io.BytesIO(emails[0].document.content))
    assert [r.cells[2].text for r in extract.tables[0].rows[1:]] == ["Medication review"]
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Medway Social Services" in follow  # named: it has no secure address


def test_a_partner_downloads_only_their_own_agencys_actions(app, held_meeting, make_user):
    partner = make_user(Role.partner, organisation=held_meeting.agencies["mental"])
    held_meeting.members[1].user_id = partner.id
    db.session.commit()
    document, _ = _download(app, partner, f"/admin/meeting-room/{held_meeting.meeting.id}/document/action_log")
    assert [r.cells[2].text for r in document.tables[0].rows[1:]] == ["Medication review"]
    client = Client(app.test_client())
    client.sign_in(partner)
    assert client.get(f"/admin/meeting-room/{held_meeting.meeting.id}/document/minutes").status_code == 403
    outsider = make_user(Role.partner, organisation=held_meeting.agencies["social"])
    other = Client(app.test_client())
    other.sign_in(outsider)
    assert other.get(f"/admin/meeting-room/{held_meeting.meeting.id}/document/action_log").status_code == 403
    assert isinstance(partner, User)
