"""One agency's action log (its open actions across every meeting) as Word or a spreadsheet."""

from __future__ import annotations

from pathlib import Path

from exports import spreadsheets, word
from services.agency_logs import AgencyLog

HEADER = ["Patient", "NHS number", "Born", "Action", "Person", "Meeting", "Due", "Status", "Days overdue"]


def render_docx(log: AgencyLog, base: Path | None = None) -> bytes:
    document = word.new_document(f"Open actions: {log.agency}", base)
    word.landscape(document)
    word.paragraph(document, log.day, "As at")
    # Shares of the landscape page: a date (25/11/1940) and an NHS number (999 000 0026) each fit on one line.
    widths = [2.2, 1.7, 1.45, 3.5, 1.6, 1.45, 1.45, 1.2, 1.1]
    word.table(document, HEADER, [[str(v) for v in row] for row in log.rows], widths=widths)
    if not log.rows:
        word.paragraph(document, "No open actions.")
    return word.to_bytes(document)


def render_xlsx(log: AgencyLog) -> bytes:
    return spreadsheets.workbook_bytes(f"Open actions {log.agency}", HEADER, log.rows)
