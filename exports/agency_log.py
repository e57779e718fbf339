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
    word.table(
        document, HEADER, [[str(v) for v in row] for row in log.rows], widths=[2.2, 1.6, 1.3, 4, 1.6, 1.3, 1.3, 1.2, 1]
    )
    if not log.rows:
        word.paragraph(document, "No open actions.")
    return word.to_bytes(document)


def render_xlsx(log: AgencyLog) -> bytes:
    return spreadsheets.workbook_bytes(f"Open actions {log.agency}", HEADER, log.rows)
