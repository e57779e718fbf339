"""The period's KPI report: its charts, and the report as Word (headings, tables, charts, caveats) and as a workbook
(one sheet per KPI, then the rows behind the figures), both from the same `services.kpis.report.Report` as the page."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from docx.shared import Cm

from exports import charts, spreadsheets, word
from services.kpis.report import Report

#: Each chart: its title, its axis, whether the bars lie down (long agency names) and whether the threshold shows.
CHARTS = {
    "referrals": ("Referrals received and accepted, by month", "Referrals", False, False),
    "attendance": ("Attendance by agency", "% of the meetings it was invited to", True, True),
    "actions": ("Actions completed on time, by owner", "% of actions due", True, False),
}


def chart_alt(report: Report, name: str) -> str:
    """The chart's alternative text: what it shows, and where its figures are."""
    title = CHARTS[name][0]
    return f"Bar chart: {title.lower()}, {report.period_label}. The table with it gives every figure."


def chart(report: Report, name: str, fmt: str = "svg") -> bytes:
    title, unit, horizontal, threshold = CHARTS[name]
    labels, series = report.chart_data[name]
    return charts.bar_chart(
        title,
        labels,
        series,
        unit=unit,
        horizontal=horizontal,
        threshold=report.attendance_threshold if threshold else None,
        fmt=fmt,
    )


def render_docx(report: Report, base: Path | bytes | None = None) -> bytes:
    document = word.new_document("ILR key performance indicators", base)
    word.paragraph(document, f"{report.period_label} ({report.scope.label})", "Period")
    word.paragraph(document, report.locality, "Locality")
    word.paragraph(document, report.practice, "GP practice")
    for kpi in report.kpis:
        word.heading(document, kpi.title, 1)
        word.paragraph(document, kpi.definition, "Definition")
        if kpi.caveat:
            word.paragraph(document, kpi.caveat, "Caveat")
        word.table(document, ["Measure", "Figure"], [[f.label, f.text] for f in kpi.figures], widths=[3, 2])
        for table in kpi.tables:
            word.heading(document, table.caption, 2)
            if table.rows:
                widths = [3, *([1.2] * (len(table.header) - 1))]
                word.table(document, table.header, [_cells(row) for row in table.rows], widths=widths)
            else:
                word.paragraph(document, "Not yet recorded.")
        if kpi.chart:
            document.add_picture(io.BytesIO(chart(report, kpi.chart, "png")), width=Cm(16))
            word.paragraph(document, chart_alt(report, kpi.chart))
    return word.to_bytes(document)


def _cells(row) -> list[str]:
    """A table row's words; an agency under the threshold says so (the page shows it as a badge)."""
    first, *rest = row
    return [first.text + (" (under threshold)" if first.flagged else ""), *(cell.text for cell in rest)]


@dataclass
class RecordSheet:
    """The rows behind one kind of figure: at most `cap`, with how many there were."""

    title: str
    header: list[str]
    rows: list[list]
    total: int


def render_xlsx(report: Report, record_sheets: list[RecordSheet], cap: int) -> bytes:
    summary = [
        ["Period", f"{report.period_label} ({report.scope.label})"],
        ["Locality", report.locality],
        ["GP practice", report.practice],
    ]
    sheets = [("Summary", ["", ""], summary)]
    for kpi in report.kpis:
        rows: list[list] = [["Definition", kpi.definition, ""]]
        if kpi.caveat:
            rows.append(["Caveat", kpi.caveat, ""])
        rows += [[f.label, f.text, f.value] for f in kpi.figures]
        for table in kpi.tables:
            rows += [[], [table.caption], table.header]
            rows += [[cell.text if i == 0 else cell.value if cell.value is not None else cell.text
                      for i, cell in enumerate(row)] for row in table.rows]  # fmt: skip
        sheets.append((kpi.title, ["Measure", "Figure", "Value"], rows))
    for sheet in record_sheets:
        rows = list(sheet.rows)
        if sheet.total > len(rows):
            rows.append([f"Cut at {cap:,} rows of {sheet.total:,}: narrow the period or the filters for the rest."])
        sheets.append((sheet.title, sheet.header, rows))
    return spreadsheets.workbook_of_sheets(sheets)
