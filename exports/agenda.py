"""The meeting agenda as a Word document: who is invited, the running order, then each referrer's question."""

from __future__ import annotations

from pathlib import Path

from exports import word
from services.meeting_documents import MeetingContext

#: The cases table: (header, share of the text width). The NHS number (999 000 0026) and the date of birth
#: (25/11/1940) get room for their whole text at the table size, so they never wrap.
COLUMNS = (
    ("No.", 0.9),
    ("Time", 1.4),
    ("Patient", 3.6),
    ("NHS number", 2.8),
    ("Born", 2.4),
    ("Presenting", 2.9),
    ("Flags", 3.0),
)


def render(context: MeetingContext, base: Path | None = None) -> bytes:
    document = word.new_document(f"Agenda: {context.title}", base)
    word.paragraph(document, context.when, "When")
    word.paragraph(document, context.teams_link or "To follow", "Microsoft Teams")
    word.paragraph(document, context.chair or "To be confirmed", "Chair")
    word.paragraph(document, context.minute_taker or "The ILR coordinator", "Minutes taken by")
    word.heading(document, "Invited", 1)
    for agency, names in context.invitees.items():
        word.paragraph(document, "; ".join(names), agency)
    if not context.invitees:
        word.paragraph(document, "The locality has no standing members yet.")
    word.heading(document, "Cases", 1)
    rows = [
        [
            str(c.position),
            c.slot,
            c.patient,
            c.nhs_number,
            c.born,
            c.presenter,
            "; ".join(
                filter(None, ["Late addition" if c.late else "", "Open safeguarding concern" if c.safeguarding else ""])
            ),
        ]
        for c in context.cases
    ]
    word.table(document, [h for h, _ in COLUMNS], rows, widths=[w for _, w in COLUMNS])
    if not context.cases:
        word.paragraph(document, "No cases are listed yet.")
    for case in context.cases:
        word.heading(document, f"{case.position}. {case.patient}", 2)
        word.paragraph(document, case.question or "Not recorded", "Question for the ILR")
        word.paragraph(document, case.reason or "Not recorded", "Reason for referral")
        word.paragraph(document, case.care_plan or "No care plan yet", "Care plan")
    return word.to_bytes(document)
