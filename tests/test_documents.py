"""The meeting's Word documents: reopened with python-docx and checked, converted by LibreOffice, sent by agency."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime, timedelta

import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

from exports.word import TABLE_TEXT, clean
from formats.dates import LONDON, today
from models import (
    Action,
    ActionStatus,
    AgendaItem,
    AttendanceStatus,
    AuditAction,
    AuditEntry,
    CarePlan,
    CarePlanState,
    CaseStatus,
    Contact,
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
from tests.meeting_fixtures import build_world, meeting_at

pytestmark = pytest.mark.documents

TRICKY = "O'Brien’s café – naïve 😀 \x07bell\x0b مرحبا بالعالم"


def _carried_from_an_earlier_meeting(world) -> None:
    """Ahmed was discussed in October: one action still in progress (carried), one done (not carried)."""
    earlier = meeting_at(world.locality, datetime(2026, 10, 8, 10, 0, tzinfo=LONDON))
    patient_id = world.episodes[0].patient_id
    item = AgendaItem(meeting=earlier, patient_id=patient_id, position=1, status=CaseStatus.discussed)
    db.session.add_all(
        [
            Action(
                agenda_item=item,
                patient_id=patient_id,
                description="Occupational therapy home assessment",
                owner_organisation=world.agencies["community"],
                owner_contact=world.members[2],
                due_on=date(2026, 10, 22),
                status=ActionStatus.in_progress,
            ),
            Action(
                agenda_item=item,
                patient_id=patient_id,
                description="Blue badge application",
                owner_organisation=world.agencies["social"],
                due_on=date(2026, 10, 15),
                status=ActionStatus.done,
                completed_on=date(2026, 10, 14),
            ),
        ]
    )


@pytest.fixture
def held_meeting(make_user):
    """Three cases minuted with actions, a register, one patient with a safeguarding flag and an NHS number.

    Ahmed's case also has the referrer's question, a review date, an agreed care plan and an action carried
    from an earlier meeting; the meeting has a chair, and its minute-taker is whoever saved minutes first.
    """
    user = make_user("coordinator", name="Jo Minutes")
    world = build_world(user, names=["Ahmed", "Brown", "Clarke"])
    ahmed = world.episodes[0]
    ahmed.patient.nhs_number = "9990000026"
    ahmed.patient.date_of_birth = date(1940, 11, 25)
    ahmed.referral.question = "Can Mrs Ahmed stay safely at home with more support?"
    ahmed.referral.reason = "Three falls since September; lives alone"
    ahmed.review_on = date(2027, 1, 14)
    world.meeting.chair = Contact(
        name="Dr Asha Rao", email="asha.rao@nhs.net", organisation=world.agencies["community"]
    )
    db.session.add(
        CarePlan(patient_id=ahmed.patient_id, number=1, state=CarePlanState.agreed, agreed_on=date(2026, 10, 8))
    )
    _carried_from_an_earlier_meeting(world)
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
    meeting_room.add_action(items[1], "Medication review", world.agencies["mental"], today() + timedelta(days=17), user)
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


def _download(app, user, url, client: Client | None = None) -> Document:
    """The document at `url`, downloaded by `user` (signed in on a new client, or on the one given)."""
    if client is None:
        client = Client(app.test_client())
        client.sign_in(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("wordprocessingml.document")
    return Document(io.BytesIO(response.data)), response.data


def _blocks(document) -> list:
    """The body in order: a paragraph as its text, a table as its rows of cell texts."""
    paragraphs = {p._p: p.text for p in document.paragraphs}
    tables = {t._tbl: [[c.text for c in row.cells] for row in t.rows] for t in document.tables}
    return [
        paragraphs.get(element, tables.get(element))
        for element in document.element.body.iterchildren()
        if element in paragraphs or element in tables
    ]


def _section(blocks: list, start: str, end: str | None) -> list:
    """The blocks from the heading `start` up to (not including) the heading `end`."""
    first = blocks.index(start)
    return blocks[first : blocks.index(end) if end else None]


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


def test_minutes_name_the_chair_and_minute_taker_at_the_top(app, held_meeting):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/minutes")
    top = _section(_blocks(document), "Minutes: Medway North Integrated Locality Review", "Attendance and apologies")
    assert top[2:] == ["Chair: Dr Asha Rao (Medway Community Healthcare)", "Minutes taken by: Jo Minutes"]


def test_minutes_give_each_question_the_meetings_answer_the_review_date_and_carried_actions(app, held_meeting):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/minutes")
    blocks = _blocks(document)
    ahmed = _section(blocks, "1. AHMED, Pat (999 000 0026)", "2. BROWN, Pat (no NHS number)")
    for expected in [
        "Born 25/11/1940; GP practice Riverside Surgery",
        "Question for the ILR: Can Mrs Ahmed stay safely at home with more support?",
        "The meeting's answer: Care package increased",
        "Decisions: Review in four weeks",
        "Next review: 14/01/2027",
        "Care plan: Agreed (version 1)",
    ]:
        assert expected in ahmed, expected
    carried = ahmed[ahmed.index("Actions carried from earlier meetings") + 1]
    assert carried == [
        ["Action", "Owner", "Person", "Due", "Status"],
        [
            "Occupational therapy home assessment",
            "Medway Community Healthcare",
            "Cat Community",
            "22/10/2026",
            "In progress",
        ],
    ]
    agreed = ahmed[ahmed.index("Actions agreed") + 1]
    assert agreed[1][:3] == ["Increase care package to four calls a day", "Medway Social Services", "Sam Social"]
    brown = _section(blocks, "2. BROWN, Pat (no NHS number)", "3. CLARKE, Pat (no NHS number)")
    for expected in [
        "Question for the ILR: Not recorded",
        "The meeting's answer: Referred to falls clinic",
        "Next review: Not set",
    ]:
        assert expected in brown, expected
    assert "Actions carried from earlier meetings" not in brown
    assert "Blue badge application" not in _all_text(document)  # done: nothing to carry


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
    assert table.rows[1].cells[4].text == "25/11/1940"


def test_agenda_lists_the_invitees_by_agency(app, held_meeting):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/agenda")
    assert _section(_blocks(document), "Invited", "Cases")[1:] == [
        "KMPT: Mo Mental",
        "Medway Community Healthcare: Cat Community",
        "Medway Social Services: Sam Social",
    ]


def test_agenda_gives_each_referrers_question_and_reason(app, held_meeting):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/agenda")
    blocks = _blocks(document)
    assert _section(blocks, "1. AHMED, Pat", "2. BROWN, Pat")[1:] == [
        "Question for the ILR: Can Mrs Ahmed stay safely at home with more support?",
        "Reason for referral: Three falls since September; lives alone",
        "Care plan: Agreed (version 1)",
    ]
    assert _section(blocks, "2. BROWN, Pat", "3. CLARKE, Pat")[1:] == [
        "Question for the ILR: Not recorded",
        "Reason for referral: Falls",
        "Care plan: No care plan yet",
    ]
    assert [p.style.name for p in document.paragraphs if p.text == "1. AHMED, Pat"] == ["Heading 2"]


#: Characters a column must hold on one line: a date (25/11/1940) or an NHS number (999 000 0026).
ONE_LINE = {"Born": 10, "Due": 10, "NHS number": 12}


def _twips_needed(characters: int) -> int:
    """Room for the text at the table size: 0.6 em a character (an Arial / Liberation Sans digit is 0.556 em,
    a slash or space narrower), plus the table style's cell margins (108 twips each side)."""
    return int(characters * 0.6 * TABLE_TEXT.pt * 20) + 2 * 108


@pytest.mark.parametrize("kind", ["agenda", "minutes", "action_log"])
def test_dates_and_nhs_numbers_have_columns_wide_enough_not_to_wrap(app, held_meeting, kind):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/{kind}")
    checked = []
    for table in document.tables:
        header = [c.text for c in table.rows[0].cells]
        for column, name in enumerate(header):
            if name in ONE_LINE:
                widths = {row.cells[column].width.twips for row in table.rows}
                assert min(widths) >= _twips_needed(ONE_LINE[name]), (kind, name, widths)
                checked.append(name)
    assert {"agenda": {"Born", "NHS number"}, "minutes": {"Due"}, "action_log": {"Due", "NHS number"}}[kind] <= set(
        checked
    )


def test_the_default_base_document_has_a_sans_serif_body(app, held_meeting):
    document, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{held_meeting.meeting.id}/document/agenda")
    normal = document.styles["Normal"]
    assert normal.font.name == "Arial"
    fonts = normal.element.rPr.rFonts
    assert [fonts.get(qn(f"w:{script}")) for script in ("ascii", "hAnsi", "eastAsia", "cs")] == ["Arial"] * 4


def test_action_log_whole_and_one_agencys_extract(app, held_meeting):
    meeting_id = held_meeting.meeting.id
    client = Client(app.test_client())
    client.sign_in(held_meeting.user)
    whole, _ = _download(app, held_meeting.user, f"/admin/meeting-room/{meeting_id}/document/action_log", client)
    assert len(whole.tables[0].rows) == 3
    social = held_meeting.agencies["social"].id
    extract, _ = _download(
        app, held_meeting.user, f"/admin/meeting-room/{meeting_id}/document/action_log?organisation={social}", client
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
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.document)).all()
    (document,) = [e for e in entries if e.record_id is not None]
    assert document.record_id == record.id and document.user_id == held_meeting.user.id
    # and one entry for each patient it names, so each patient's "who saw this" finds the document
    named = {item.patient_id for item in held_meeting.meeting.agenda}
    assert named and sorted(e.patient_id for e in entries if e.record_id is None) == sorted(named)


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
    assert document.styles["Normal"].font.name is None  # the team's fonts are theirs: no Arial forced on them
    heading_style = document.styles["Heading 1"]
    assert heading_style.type == WD_STYLE_TYPE.PARAGRAPH and "outlineLvl" in heading_style.element.xml
    assert any(p.style.name == "Heading 1" for p in document.paragraphs)
    assert "w:tblBorders" in document.styles["Table Grid"].element.xml


@pytest.mark.parametrize(
    "kind, expected",
    [
        # 25/11/1940 whole: a date wrapped in its cell would come out as "25/11/194 0".
        ("agenda", ["Agenda: Medway North", "AHMED, Pat", "999 000 0026", "25/11/1940", "KMPT: Mo Mental"]),
        (
            "minutes",
            [
                "Minutes: Medway North",
                "Minutes taken by: Jo Minutes",
                "The meeting's answer: Care package increased",
                "Next review: 14/01/2027",
                "Occupational therapy home assessment",
                "Increase care package",
                "مرحبا",
            ],
        ),
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
    fonts = subprocess.run(["pdffonts", str(tmp_path / f"{kind}.pdf")], check=True, capture_output=True, text=True)
    assert "Serif" not in fonts.stdout, fonts.stdout  # Arial shown as Liberation Sans, not a serif fallback


def test_minutes_go_only_to_allow_listed_members(app, held_meeting):
    client = Client(app.test_client())
    client.sign_in(held_meeting.user)
    client.submit(f"/admin/meeting-room/{held_meeting.meeting.id}/send/minutes")
    emails = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "minutes")).all()
    assert sorted(e.to_address for e in emails) == ["cat@nhs.net", "mo@nhs.net"]
    assert all(e.contains_patient_data and e.document.kind == DocumentKind.minutes for e in emails)
    assert all(e.body_text.split("\n\n")[-1].startswith("Jo Minutes\nCoordinator\n") for e in emails)  # the sender


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
    client = Client(app.test_client())
    client.sign_in(partner)
    document, _ = _download(app, partner, f"/admin/meeting-room/{held_meeting.meeting.id}/document/action_log", client)
    assert [r.cells[2].text for r in document.tables[0].rows[1:]] == ["Medication review"]
    assert client.get(f"/admin/meeting-room/{held_meeting.meeting.id}/document/minutes").status_code == 403
    outsider = make_user(Role.partner, organisation=held_meeting.agencies["social"])
    other = Client(app.test_client())
    other.sign_in(outsider)
    # Not on this meeting: the partner's scope does not name it (404, as for any record outside their scope).
    assert other.get(f"/admin/meeting-room/{held_meeting.meeting.id}/document/action_log").status_code == 404
    assert isinstance(partner, User)
