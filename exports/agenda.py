"""The meeting agenda as a Word document."""

from __future__ import annotations

from pathlib import Path

from exports import word
from exports.meeting_context import MeetingContext


def render(context: MeetingContext, base: Path | None = None) -> bytes:
    document = word.new_document(f"Agenda: {context.title}", base)
    word.paragraph(document, context.when, "When")
    word.paragraph(document, context.teams_link or "To follow", "Microsoft Teams")
    if context.chair:
        word.paragraph(document, context.chair, "Chair")
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
    word.table(
        document,
        ["No.", "Time", "Patient", "NHS number", "Born", "Presenting", "Flags"],
        rows,
        widths=[0.8, 1.1, 2.6, 1.9, 1.6, 2.1, 2.2],
    )
    if not context.cases:
        word.paragraph(document, "No cases are listed yet.")
    return word.to_bytes(document)
