"""The KPI dashboard through the real app: the page, a figure's records, the charts and the two reports reopened."""

from __future__ import annotations

import html
import io
import re
from datetime import date, datetime

import docx
import openpyxl
import pytest
from sqlalchemy import select

from formats.dates import LONDON
from models import (
    AgendaItem,
    AuditAction,
    AuditEntry,
    CaseStatus,
    DocumentKind,
    GeneratedDocument,
    Meeting,
    MeetingStatus,
    OrganisationType,
    db,
)
from tests.conftest import page_text
from tests.factories import shown

OCTOBER = "?period=custom&start=2026-10-01&end=2026-10-31"


@pytest.fixture
def lead(signed_in):
    return signed_in("team_lead")


@pytest.fixture
def october(app, create_referral, create_locality, create_onward_referral, make_org, create_patient):
    """Three referrals received in October (two from one surgery), one onward referral whose service would run as a
    formula in a spreadsheet, and a case discussed at a meeting held on 14/10."""
    locality = create_locality(name="Medway North")
    surgery = make_org(name="Castle Surgery", type=OrganisationType.gp_practice, locality=locality)
    patients = [create_patient(gp_practice=surgery, family_name=name) for name in ("Ash", "Birch", "Cedar")]
    for day, patient, referrer in ((1, patients[0], surgery), (15, patients[1], surgery), (31, patients[2], None)):
        create_referral(received_on=date(2026, 10, day), locality=locality, patient=patient,
                        referrer_organisation=referrer)  # fmt: skip
    create_onward_referral(service='=HYPERLINK("http://x")', referred_on=date(2026, 10, 2), patient=patients[0])
    meeting = Meeting(locality=locality, starts_at=datetime(2026, 10, 14, 10, 0, tzinfo=LONDON),
                      status=MeetingStatus.held)  # fmt: skip
    db.session.add(AgendaItem(meeting=meeting, patient=patients[0], status=CaseStatus.discussed))
    db.session.commit()
    return {"surgery": surgery, "patients": patients, "locality": locality}


def _figure_link(page: str, figure: str) -> tuple[str, str]:
    """The link and text of one figure on the dashboard (`data-figure="referrals:Referrals received"`)."""
    found = re.search(
        r'<a href="([^"]+)" class="kpi-value[^"]*" data-figure="' + re.escape(figure) + r'">([^<]+)<', page
    )
    assert found, f"no figure {figure!r} on the page"
    return html.unescape(found.group(1)), found.group(2)


def test_the_dashboard_shows_every_kpi_with_its_definition_and_is_audited(lead, october):
    page = shown(lead.get("/admin/kpis/" + OCTOBER))
    for title in ("Referrals received", "Acceptance rate", "Days to triage", "Days to first discussion",
                  "Listed vs discussed", "Attendance by agency", "Actions on time", "Onward referrals", "Signposting",
                  "Care plans shared with the GP in time", "Goals achieved at closure", "Safeguarding", "Caseload",
                  "Data quality", "Hospital use before and after"):  # fmt: skip
        assert f">{title}</h2>" in page
    assert "Referrals with a received date in the period" in page  # a definition, one click away
    assert "Without a matched comparison group this is not evidence" in page
    assert _figure_link(page, "referrals:Referrals received")[1] == "3"
    assert "01/10/2026 to 31/10/2026" in page
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "kpi")).one()
    assert entry.action == AuditAction.list
    assert entry.detail == "KPI dashboard: 01/10/2026 to 31/10/2026 (01/10/2026 to 31/10/2026), All localities, " \
                           "All GP practices"  # fmt: skip


def test_bad_dates_are_refused_on_the_page_with_the_choice_kept(lead, october):
    page = shown(lead.get("/admin/kpis/?period=custom&start=2026-10-31&end=2026-10-01"))
    assert "The period ends before it starts: swap the dates." in page
    assert 'value="2026-10-31"' in page and 'value="2026-10-01"' in page
    assert 'data-figure="referrals' not in page
    page = shown(lead.get("/admin/kpis/?period=custom&start=2026-10-01"))
    assert "Enter both dates of a custom period." in page


def test_a_custom_period_is_at_most_three_years(lead):
    longest = lead.get("/admin/kpis/?period=custom&start=2023-01-01&end=2026-01-03")  # 1,098 days: 3 x 366
    assert "Choose a period of at most three years." not in shown(longest)
    assert 'data-figure="referrals' in shown(longest)
    page = shown(lead.get("/admin/kpis/?period=custom&start=2023-01-01&end=2026-01-04"))  # a day more
    assert "Choose a period of at most three years." in page and 'data-figure="referrals' not in page
    assert 'value="2023-01-01"' in page and 'value="2026-01-04"' in page  # the choice kept


def test_a_figure_opens_as_many_records_as_it_says_and_the_patients_shown_are_audited(lead, october):
    page = shown(lead.get("/admin/kpis/" + OCTOBER))
    url, figure = _figure_link(page, "referrals:Referrals received")
    records = shown(lead.get(url))
    assert f'kpi-records-count">{figure} records<' in records
    assert records.count("/admin/record/") == 3  # each patient's record, one per row
    assert "ASH, Ada" in records and "CEDAR, Ada" in records
    url, figure = _figure_link(page, "referrals:Castle Surgery:Referrals")
    assert figure == "2"
    records = shown(lead.get(url))
    assert "Referrals received (Referrer organisation: Castle Surgery)" in records
    assert 'kpi-records-count">2 records<' in records
    seen = db.session.scalars(
        select(AuditEntry.patient_id).where(AuditEntry.table_name == "patient", AuditEntry.action == AuditAction.list)
    ).all()
    ash, birch, cedar = (p.id for p in october["patients"])
    assert sorted(seen) == sorted([ash, birch, cedar, ash, birch])  # the two lists: all three, then the surgery's


def test_a_broken_drill_down_address_is_refused_in_words(lead, october):
    answer = lead.get("/admin/kpis/records" + OCTOBER + "&drill=received&part=organisation:x")
    assert answer.status_code == 302
    assert "This list cannot be narrowed that way." in shown(lead.get(answer.headers["Location"]))
    answer = lead.get("/admin/kpis/records" + OCTOBER + "&drill=nothing")
    assert "There is no such list of records." in shown(lead.get(answer.headers["Location"]))


def test_charts_are_svg_files_from_the_app_itself(lead, october):
    page = shown(lead.get("/admin/kpis/" + OCTOBER))
    sources = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page)
    assert [html.unescape(s).split("?")[0] for s, _ in sources] == [
        "/admin/kpis/chart/referrals.svg",
        "/admin/kpis/chart/attendance.svg",
        "/admin/kpis/chart/actions.svg",
    ]
    assert sources[0][1].startswith("Bar chart: referrals received and accepted, by month")
    answer = lead.get(html.unescape(sources[0][0]))
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    svg = page_text(answer)
    assert "<svg" in svg and "<script" not in svg
    assert ">Referrals received and accepted, by month</text>" in svg  # words kept as text, not drawn as outlines
    # Nothing loaded from the internet: no linked image, font or style.
    assert not re.search(r"(href=\"https?:|url\(\s*['\"]?https?:|@import)", svg)
    assert lead.get("/admin/kpis/chart/pie.svg" + OCTOBER).status_code == 404


def test_the_word_report_reopens_with_the_pages_figures_its_charts_and_caveat(lead, october):
    answer = lead.get("/admin/kpis/report.docx" + OCTOBER)
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].endswith("kpi-report-2026-10-01-to-2026-10-31.docx")
    document = docx.Document(io.BytesIO(answer.data))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:3] == ["Referrals received", "Acceptance rate", "Days to triage"]
    assert len(headings) == 15
    figures = {row.cells[0].text: row.cells[1].text for table in document.tables for row in table.rows}
    assert figures["Referrals received"] == "3"
    assert figures["Onward referrals made"] == "1"
    assert figures["Patients first discussed"] == "1"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Caveat: Without a matched comparison group this is not evidence" in text
    assert len(document.inline_shapes) == 3  # the charts, as pictures
    record = db.session.scalars(select(GeneratedDocument)).one()
    assert (record.kind, record.filename) == (DocumentKind.kpi_report, "kpi-report-2026-10-01-to-2026-10-31.docx")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == AuditAction.document)).one()
    assert entry.detail.startswith("KPI report, 01/10/2026 to 31/10/2026") and entry.detail.endswith("docx")


def test_the_workbook_has_a_sheet_per_kpi_the_rows_behind_them_and_inert_cells(lead, october, monkeypatch):
    monkeypatch.setattr("admin.kpis.EXPORT_MAX_ROWS", 2)
    answer = lead.get("/admin/kpis/report.xlsx" + OCTOBER)
    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames[:3] == ["Summary", "Referrals received", "Acceptance rate"]
    referrals = [[c.value for c in row] for row in book["Referrals received"].iter_rows()]
    assert ["Referrals received", "3", 3] in referrals
    received = [[c.value for c in row] for row in book["Rows received"].iter_rows()]
    assert received[0] == ["Referral id", "Received", "NHS number", "Referrer organisation"]
    assert [row[1] for row in received[1:3]] == ["01/10/2026", "15/10/2026"]
    assert received[1][2] == october["patients"][0].nhs_number
    assert received[1][3] == october["surgery"].name  # the referrer by name, as the page says it, never its id
    assert received[3][0] == "Cut at 2 rows of 3: narrow the period or the filters for the rest."
    onward = [[c.value for c in row] for row in book["Rows onward"].iter_rows()]
    assert onward[1][3] == '\'=HYPERLINK("http://x")'  # shown as text, never run
    names = {cell.value for sheet in book for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}
    assert not any(name.startswith("ASH") for name in names)  # ids, dates and NHS numbers only: no names
    named = db.session.scalars(
        select(AuditEntry.patient_id).where(
            AuditEntry.action == AuditAction.document, AuditEntry.patient_id.is_not(None)
        )
    ).all()
    assert october["patients"][0].id in named
