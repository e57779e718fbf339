"""The minutes of a meeting as a Word document: attendance by agency, then each case with its actions."""

from __future__ import annotations

from pathlib import Path

from exports import word
from exports.meeting_context import MeetingContext
from models import AttendanceStatus

#: The register's columns, in the order a reader expects them.
REGISTER_COLUMNS = tuple(
    s.label for s in (AttendanceStatus.attended, AttendanceStatus.apologies, AttendanceStatus.absent)
)


def render(context: MeetingContext, base: Path | None = None) -> bytes:
    document = word.new_document(f"Minutes: {context.title}", base)
    word.paragraph(document, context.when, "Meeting")
    if context.chair:
        word.paragraph(document, context.chair, "Chair")
    word.heading(document, "Attendance and apologies", 1)
    rows = [
        [agency] + ["; ".join(by_status.get(label, [])) for label in REGISTER_COLUMNS]
        for agency, by_status in context.attendance.items()
    ]
    word.table(document, ["Agency", *REGISTER_COLUMNS], rows, widths=[2, 2, 2, 2])
    for case in context.cases:
        word.heading(document, f"{case.position}. {case.patient} ({case.nhs_number or 'no NHS number'})", 1)
        word.paragraph(
            document, f"Born {case.born}" + (f"; GP practice {case.gp_practice}" if case.gp_practice else "")
        )
        if case.safeguarding:
            word.paragraph(document, "Open safeguarding concern", "Flag")
        word.paragraph(document, case.status, "Status")
        for label, text in (
            ("Summary", case.summary),
            ("Discussion", case.discussion),
            ("Outcome", case.outcome),
            ("Decisions", case.decisions),
        ):
            if text:
                word.paragraph(document, text, label)
        if case.actions:
            word.heading(document, "Actions", 2)
            word.table(
                document,
                ["Action", "Owner", "Person", "Due"],
                [[a.description, a.owner_organisation, a.owner_person, a.due] for a in case.actions],
                widths=[4, 2.2, 1.8, 1.3],
            )
    if not context.cases:
        word.paragraph(document, "No cases were discussed.")
    return word.to_bytes(document)
