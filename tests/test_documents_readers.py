"""Every document as its reader would sign it off (issue 26): the agenda, minutes, action log, agency log, care plan,
the patient's copy (standard and large print), the GP letter and the KPI report, each made through the real services.

From a data set where every optional field is empty, none prints "None", "null" or a label with nothing after it; from
a full one, every field is there, reopened with python-docx and in LibreOffice's PDF; right-to-left text keeps its
direction in the XML (a run holding it is w:rtl, a paragraph whose first strong character is right-to-left w:bidi)."""

from __future__ import annotations

import io
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm

from formats.dates import LONDON, today
from models import (
    AgendaItem,
    AttendanceStatus,
    CarePlan,
    Consent,
    Contact,
    DocumentKind,
    Episode,
    GoalDomain,
    Locality,
    Meeting,
    MeetingMember,
    MemberRole,
    OnwardMethod,
    Organisation,
    OrganisationType,
    Patient,
    Referral,
    ReferralStatus,
    Role,
    SafeguardingCategory,
    SafeguardingConcern,
    SignpostedTo,
    User,
    db,
)
from services import care_plans, documents, meeting_room, onward, scheduling, signposting
from services.kpis.periods import Scope
from services.kpis.report import build_report
from tests.conftest import require_tool

pytestmark = pytest.mark.documents

#: Every document, by the name the tests give it.
KINDS = (
    "agenda",
    "minutes",
    "action log",
    "agency log",
    "care plan",
    "patient copy",
    "large print",
    "GP letter",
    "KPI report",
)


@dataclass
class World:
    user: User
    meeting: Meeting
    plan: CarePlan
    agency: Organisation
    locality: Locality


def make_documents(world: World) -> dict[str, bytes]:
    """Each document made as a user makes it (recorded and audited), by name."""
    by = world.user
    made = {
        "agenda": documents.generate(DocumentKind.agenda, world.meeting, by),
        "minutes": documents.generate(DocumentKind.minutes, world.meeting, by),
        "action log": documents.generate(DocumentKind.action_log, world.meeting, by),
        "agency log": documents.generate_agency_log(world.agency, by, "docx", []),
        "care plan": documents.generate_care_plan(world.plan, by),
        "patient copy": documents.generate_care_plan(world.plan, by, for_patient=True),
        "large print": documents.generate_care_plan(world.plan, by, for_patient=True, large_print=True),
        "GP letter": documents.generate_gp_letter(world.plan, by),
    }
    start = world.meeting.starts_at.astimezone(LONDON).date().replace(day=1)
    scope = Scope(start - timedelta(days=62), start + timedelta(days=62), locality_id=world.locality.id)
    made["KPI report"] = documents.generate_kpi_report(build_report(scope), "docx", by, 100)
    db.session.commit()
    return {name: generated.content for name, generated in made.items()}


def paragraphs(content: bytes) -> list[str]:
    """Every paragraph a reader sees, in the body, its tables, and the headers and footers."""
    document = Document(io.BytesIO(content))
    found = [p.text for p in document.paragraphs]
    found += [p.text for t in document.tables for row in t.rows for cell in row.cells for p in cell.paragraphs]
    for section in document.sections:
        found += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return found


def words(text: str) -> str:
    return " ".join(text.split())


# --- 1. every optional field empty ----------------------------------------------------------------------------


@pytest.fixture
def bare(make_user, make_org, create_patient):
    """The least the database allows: a meeting with no chair, Teams link, members or minutes; one case with no
    referral, presenter, time, question or NHS number, a patient with no practice, GP, address or care plan text
    (and another with no care plan at all);
    an action with no person; a signatory who has given none of their details; a locality with no name to spare."""
    user = make_user(Role.coordinator)
    locality = Locality(name="Medway North")
    agency = make_org(name="Medway Social Services", type=OrganisationType.social_services)
    patient = create_patient(nhs_number=None)
    meeting = Meeting(locality=locality, starts_at=datetime.now(LONDON) + timedelta(days=10))
    item = AgendaItem(meeting=meeting, patient=patient, position=1)
    without_a_plan = AgendaItem(meeting=meeting, patient=create_patient(family_name="Hopper", nhs_number=None))
    db.session.add_all([locality, meeting, item, without_a_plan])
    db.session.flush()
    meeting_room.add_action(item, "Home visit", agency, today() + timedelta(days=14), user)
    plan = care_plans.start_new_draft(CarePlan(patient=patient), user)
    db.session.commit()
    return World(user, meeting, plan, agency, locality)


#: What must never reach a reader: Python's None, JavaScript's null, or a label left standing with nothing after it.
NEVER = re.compile(r"\bNone\b|\bnull\b|\bundefined\b|:\s*$|\(\s*\)|,\s*[,.]", re.IGNORECASE)


def test_no_document_prints_none_null_or_an_empty_label(bare):
    made = make_documents(bare)
    assert set(made) == set(KINDS)
    for name, content in made.items():
        shown = [text for text in paragraphs(content) if text.strip()]
        assert shown, name
        wrong = [text for text in shown if NEVER.search(text)]
        assert not wrong, (name, wrong)


def test_a_missing_value_is_said_in_words(bare):
    made = make_documents(bare)
    agenda, minutes, letter = (words("\n".join(paragraphs(made[k]))) for k in ("agenda", "minutes", "GP letter"))
    for said in (
        "Chair: To be confirmed",
        "Minutes taken by: The ILR coordinator",
        "Microsoft Teams: To follow",
        "Question for the ILR: Not recorded",
        "Reason for referral: Not recorded",
    ):
        assert said in agenda, said
    for said in ("Chair: Not recorded", "Minutes taken by: Not recorded", "No attendance was recorded."):
        assert said in minutes, said
    assert "Dear colleague," in letter and "NHS number not recorded" in letter
    assert "No onward referrals or signposting were made." in letter


# --- 2. every field given --------------------------------------------------------------------------------------


def build_full(make_user, *, given="Margaret", family="Ashdown", locality_name="Medway North", rtl_text=None) -> World:
    """A meeting and a patient with everything a reader expects filled in. `rtl_text` (right-to-left words) goes
    into the case's question, discussion and decisions, and the plan's "about me"."""
    user = make_user(
        Role.coordinator,
        name="Casey Coordinator",
        job_title="ILR coordinator",
        team="Medway North ILR team",
        phone="01634 123456",
        secure_email="casey.coordinator@nhs.net",
    )
    locality = Locality(name=locality_name)
    practice = Organisation(
        name="Riverside Surgery",
        type=OrganisationType.gp_practice,
        ods_code="G82001",
        locality=locality,
        secure_email="riverside.surgery@nhs.net",
        postal_address="1 River Street\nRochester\nME1 1AA",
    )
    social = Organisation(
        name="Medway Social Services",
        type=OrganisationType.social_services,
        ods_code="SS001",
        secure_email="asc@medway.gov.uk",
    )
    falls = Organisation(name="Medway Falls Service", type=OrganisationType.community_health, ods_code="MCH01")
    gp = Contact(name="Dr Asha Rao", email="asha.rao@nhs.net", organisation=practice)
    sam = Contact(name="Sam Social", email="sam@medway.gov.uk", organisation=social)
    db.session.add_all(
        [
            locality,
            practice,
            social,
            falls,
            gp,
            sam,
            MeetingMember(locality=locality, contact=gp, member_role=MemberRole.chair),
            MeetingMember(locality=locality, contact=sam),
        ]
    )
    patient = Patient(
        given_name=given,
        family_name=family,
        date_of_birth=date(1940, 11, 25),
        nhs_number="9990000026",
        address="4 Mill Lane, Rochester",
        postcode="ME1 2AB",
        gp_practice=practice,
        named_gp="Dr Anika Shah",
    )
    question = f"Can she stay safely at home? {rtl_text or ''}".strip()
    referral = Referral(
        patient=patient,
        locality=locality,
        received_on=today() - timedelta(days=20),
        referrer_name="Dr Patel",
        reason="Three falls since September",
        question=question,
        consent=Consent.given,
        consent_by="Patient",
        consent_on=today() - timedelta(days=21),
        signposting_tried="Age UK",
        status=ReferralStatus.accepted,
    )
    episode = Episode(
        patient=patient,
        referral=referral,
        locality=locality,
        coordinator=user,
        opened_on=today() - timedelta(days=15),
        review_on=today() + timedelta(days=60),
    )
    db.session.add_all([patient, referral, episode])
    db.session.flush()
    meeting = scheduling.book_meeting(
        locality,
        datetime.now(LONDON) + timedelta(days=10),
        user,
        teams_link="https://teams.example/ilr-north",
        day_off_confirmed=True,  # whatever day that is: this test is about the documents
    )
    item = meeting_room.add_case_to_agenda(meeting, episode, user)
    item.presenter, item.slot_starts_at = sam, meeting.starts_at + timedelta(minutes=15)
    discussion = f"Falls at night; carer exhausted. {rtl_text or ''}".strip()
    meeting_room.save_minutes(
        item,
        {
            "summary": "Lives alone",
            "discussion": discussion,
            "outcome": "Night-time care package",
            "decisions": rtl_text or "Review in four weeks",
        },
        user,
        discussed=True,
    )
    meeting_room.add_action(item, "Arrange night-sitting service", social, today() + timedelta(days=14), user, sam)
    meeting_room.record_attendance(
        meeting, {gp.id: AttendanceStatus.attended, sam.id: AttendanceStatus.apologies}, user
    )
    referred = onward.refer_onward(
        patient,
        user,
        on=today(),
        service_name="Falls clinic",
        method=OnwardMethod.email,
        reason="Strength and balance",
        agenda_item=item,
    )
    onward.record_onward_outcome(referred, "accepted", today(), user)
    signposting.signpost(
        patient,
        user,
        on=today(),
        service_name="Age UK befriending",
        given_to=SignpostedTo.carer,
        what="Lonely since her husband died: weekly calls; Jo will ring them",
        agenda_item=item,
    )
    db.session.add(
        SafeguardingConcern(
            patient=patient, concern="Unexplained bruising", raised_on=today(), category=SafeguardingCategory.physical
        )
    )
    plan = care_plans.start_new_draft(CarePlan(patient=patient, episode=episode), user)
    care_plans.save_draft(
        plan,
        {
            "about_me": rtl_text or "I was a nurse",
            "what_matters": "Staying at home",
            "contingency_plan": "Call my daughter",
            "carers_and_contacts": "Jo (daughter)",
            "involved": "Jo",
            "notes_for_professionals": "Hard of hearing",
            "review_on": today() + timedelta(days=90),
        },
        user,
    )
    care_plans.add_goal(plan, "Walk to the shop", GoalDomain.functional, date(2027, 3, 1), user)
    care_plans.agree_care_plan(plan, user, agreed_with="Margaret and Jo (daughter)")
    db.session.commit()
    return World(user, meeting, plan, social, locality)


@pytest.fixture
def full(make_user):
    letterhead = Document()
    section = letterhead.sections[0]  # A4 with 2 cm margins, as a UK team's letterhead is
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2)
    section.header.paragraphs[0].text = "Medway North ILR team, 1 High Street, Chatham"
    out = io.BytesIO()
    letterhead.save(out)
    world = build_full(make_user)
    documents.upload_base_document("letterhead.docx", out.getvalue(), world.user)
    db.session.commit()
    return world


def expected(world: World) -> dict[str, list[str]]:
    """What each document must say, from the full data set."""
    due = (today() + timedelta(days=14)).strftime("%d/%m/%Y")
    on = today().strftime("%d/%m/%Y")
    review = (today() + timedelta(days=60)).strftime("%d/%m/%Y")
    patient = ["ASHDOWN, Margaret", "999 000 0026", "25/11/1940"]
    signature = [
        "Casey Coordinator",
        "ILR coordinator",
        "Medway North ILR team",
        "Telephone: 01634 123456",
        "Secure email: casey.coordinator@nhs.net",
    ]
    onward_lines = [
        "Falls clinic",
        "Strength and balance",
        "Secure email",
        f"Accepted on {on}",
        "Signposting",
        "Age UK befriending",
        "Their carer",
        "Lonely since her husband died: weekly calls; Jo will ring them",
    ]
    return {
        "agenda": [
            *patient,
            "Chair: Dr Asha Rao (Riverside Surgery)",
            "Minutes taken by: Casey Coordinator",
            "Microsoft Teams: https://teams.example/ilr-north",
            "Sam Social",
            "Question for the ILR: Can she stay safely at home?",
            "Reason for referral: Three falls since September",
            "Care plan: Agreed (version 1)",
            "Open safeguarding concern",
        ],
        "minutes": [
            *patient,
            "Chair: Dr Asha Rao (Riverside Surgery)",
            "Minutes taken by: Casey Coordinator",
            "Dr Asha Rao",
            "Sam Social",
            "Question for the ILR: Can she stay safely at home?",
            "Discussion: Falls at night; carer exhausted.",
            "The meeting's answer: Night-time care package",
            "Decisions: Review in four weeks",
            "Arrange night-sitting service",
            "Medway Social Services",
            due,
            f"Next review: {review}",
            "Care plan: Agreed (version 1)",
            "Onward referrals",
            *onward_lines,
        ],
        "action log": [
            "ASHDOWN, Margaret",
            "Arrange night-sitting service",
            "Medway Social Services",
            "Sam Social",
            due,
            "Open",
        ],
        "agency log": [
            "Open actions: Medway Social Services",
            *patient,
            "Arrange night-sitting service",
            "Sam Social",
            due,
        ],
        "care plan": [
            *patient,
            "Riverside Surgery",
            "Named GP: Dr Anika Shah",
            "Version 1, agreed on",
            "Margaret and Jo (daughter)",
            "I was a nurse",
            "Walk to the shop",
            "01/03/2027",
            "Arrange night-sitting service",
            "Hard of hearing",
        ],
        "patient copy": [
            "Your care and support plan",
            "For: Margaret Ashdown",
            "version 1 of your plan",
            "I was a nurse",
            "Walk to the shop. By 01/03/2027. How it is going: proposed.",
            "Arrange night-sitting service. Sam Social will do this",
            "Please contact Casey Coordinator, ILR coordinator, Medway North ILR team: phone 01634 "
            "123456 or email casey.coordinator@nhs.net.",
        ],
        "GP letter": [
            "Medway North ILR team, 1 High Street, Chatham",
            "Dr Anika Shah",
            "Riverside Surgery",
            "1 River Street",
            "ME1 1AA",
            "Dear Dr Shah,",
            "Re: Margaret Ashdown, date of birth 25/11/1940, NHS number 999 000 0026",
            "Can she stay safely at home? (asked by Dr Patel)",
            "Falls at night; carer exhausted.",
            "Night-time care package",
            "Review in four weeks",
            "Arrange night-sitting service",
            "Medway Social Services",
            due,
            *onward_lines,
            "version 1, agreed on",
            "with Margaret and Jo (daughter), is attached",
            "Yours sincerely,",
            *signature,
        ],
        "KPI report": ["ILR key performance indicators", "Locality: Medway North", "Listed vs discussed"],
    }


def test_every_field_is_there_when_reopened_with_python_docx(full):
    made = make_documents(full)
    wanted = expected(full)
    wanted["large print"] = wanted["patient copy"]
    for name, content in made.items():
        text = words("\n".join(paragraphs(content)))
        missing = [value for value in wanted[name] if words(value) not in text]
        assert not missing, (name, missing)
    for name in ("patient copy", "large print"):
        text = words("\n".join(paragraphs(made[name])))
        assert "ASHDOWN" not in text and "Hard of hearing" not in text, name
    normal = {name: Document(io.BytesIO(made[name])).styles["Normal"].font.size.pt for name in KINDS[5:7]}
    assert normal["patient copy"] == 12 and normal["large print"] >= 16
    assert not Document(io.BytesIO(made["large print"])).tables  # no table's small print in the large-print copy


def test_every_field_survives_libreoffice(full, tmp_path):
    require_tool("soffice", "LibreOffice")
    require_tool("pdftotext", "poppler-utils")
    made = make_documents(full)
    wanted = expected(full)
    wanted["large print"] = wanted["patient copy"]
    sources = []
    for n, (name, content) in enumerate(made.items()):
        source = tmp_path / f"document-{n}.docx"
        source.write_bytes(content)
        sources.append((name, source))
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *(str(s) for _, s in sources),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for name, source in sources:
        pdf = source.with_suffix(".pdf")
        text = words(subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout)
        missing = [value for value in wanted[name] if words(value) not in text]
        assert not missing, (name, missing, text[:3000])
        assert "Page 1 of" in text and not re.search(r"\bNone\b", text), name


# --- 3. right-to-left text -------------------------------------------------------------------------------------

ARABIC_GIVEN, ARABIC_FAMILY = "عبد الله", "الفارسي"
ARABIC_WORDS = "يعيش وحده منذ وفاة زوجته"


def _first_strong_is_right_to_left(text: str) -> bool:
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _strong(text: str, kinds: tuple[str, ...]) -> bool:
    return any(unicodedata.bidirectional(c) in kinds for c in text)


def _direction_marks(content: bytes) -> tuple[int, int]:
    """Check every paragraph and run of the body (tables included): a paragraph is w:bidi exactly when its first
    strong character is right-to-left; a run holding right-to-left text is w:rtl, one holding left-to-right text is
    not. Returns how many right-to-left paragraphs and runs there were."""
    body = Document(io.BytesIO(content)).element.body
    rtl_paragraphs = rtl_runs = 0
    for p in body.iter(qn("w:p")):
        text = "".join(t.text or "" for t in p.iter(qn("w:t")))
        bidi = bool(p.xpath("./w:pPr/w:bidi"))
        assert bidi == _first_strong_is_right_to_left(text), (text, bidi)
        rtl_paragraphs += bidi
        for run in p.iter(qn("w:r")):
            held = "".join(t.text or "" for t in run.iter(qn("w:t")))
            marked = bool(run.xpath("./w:rPr/w:rtl"))
            if _strong(held, ("R", "AL")):
                assert marked, (held, text)
                assert not _strong(held, ("L",)), (held, text)  # one direction a run
                rtl_runs += 1
            elif _strong(held, ("L",)):
                assert not marked, (held, text)
    return rtl_paragraphs, rtl_runs


def test_right_to_left_text_keeps_its_direction_in_every_document(make_user, tmp_path):
    world = build_full(
        make_user, given=ARABIC_GIVEN, family=ARABIC_FAMILY, locality_name="الشمال", rtl_text=ARABIC_WORDS
    )
    made = make_documents(world)
    for name, content in made.items():
        paragraphs_marked, runs_marked = _direction_marks(content)
        assert runs_marked, name  # the name (or the locality, in the KPI report) is there, marked right to left
        if name != "KPI report":
            assert paragraphs_marked, name  # a heading, a cell or a paragraph that starts with Arabic
    agenda = Document(io.BytesIO(made["agenda"]))
    heading = next(p for p in agenda.paragraphs if ARABIC_FAMILY in p.text and p.style.name == "Heading 2")
    assert heading._p.xpath("./w:pPr/w:bidi")
    question = next(p for p in agenda.paragraphs if p.text.startswith("Question for the ILR"))
    assert not question._p.xpath("./w:pPr/w:bidi")  # starts in English: a left-to-right paragraph
    runs = [(r.text, bool(r._r.xpath("./w:rPr/w:rtl"))) for r in question.runs]
    assert (ARABIC_WORDS, True) in runs and ("Question for the ILR: ", False) in runs
    cell = next(c for row in agenda.tables[0].rows for c in row.cells if ARABIC_FAMILY in c.text)
    assert cell.paragraphs[0]._p.xpath("./w:pPr/w:bidi")
    large = Document(io.BytesIO(made["large print"])).styles["Normal"].element.rPr
    assert large.xpath("./w:szCs/@w:val") == ["32"]  # right-to-left text is large print too

    # The NHS number after the name, in a right-to-left heading, keeps its groups in order (999 000 0026, not
    # 0026 000 999): a left-to-right mark goes before it, and LibreOffice shows it so.
    minutes = Document(io.BytesIO(made["minutes"]))
    heading = next(p for p in minutes.paragraphs if p.style.name == "Heading 1" and ARABIC_FAMILY in p.text)
    assert "(\u200e999 000 0026)" in heading.text
    require_tool("soffice", "LibreOffice")
    (tmp_path / "minutes.docx").write_bytes(made["minutes"])
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "minutes.docx")], check=True, capture_output=True,
                   timeout=180)  # fmt: skip
    shown = subprocess.run(["pdftotext", "-layout", str(tmp_path / "minutes.pdf"), "-"], check=True,
                           capture_output=True, text=True).stdout  # fmt: skip
    line = next(line for line in shown.splitlines() if "0026" in line)
    assert "999 000 0026" in line, line


def test_every_right_to_left_character_lies_in_the_blocks_the_quick_look_checks():
    from exports.word import _MAY_BE_RIGHT_TO_LEFT

    missed = [
        f"U+{code:04X}"
        for code in range(0x110000)
        if unicodedata.bidirectional(chr(code)) in ("R", "AL") and not _MAY_BE_RIGHT_TO_LEFT.match(chr(code))
    ]
    assert not missed


def test_written_text_keeps_its_spaces_tabs_line_breaks_and_bold_label_when_reopened():
    from exports import word

    document = word.new_document("Runs")
    word.paragraph(document, "  two spaces first\tthen a tab\nsecond line ", "Note")
    word.table(document, ["Who", "What"], [["Ada", "line one\nline two"]])
    reopened = Document(io.BytesIO(word.to_bytes(document)))
    written = next(p for p in reopened.paragraphs if p.text.startswith("Note"))
    assert written.text == "Note:   two spaces first\tthen a tab\nsecond line "
    assert [run.bold for run in written.runs][:1] == [True] and not any(run.bold for run in written.runs[1:])
    cell = reopened.tables[-1].rows[1].cells[1]
    assert cell.text == "line one\nline two"
    assert all(run.font.size.pt == 9 for run in cell.paragraphs[0].runs)
