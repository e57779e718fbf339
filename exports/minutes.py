"""The minutes of a meeting as a Word document: attendance by agency, then each case: the question, the
meeting's answer, the actions agreed and those carried from earlier meetings."""

from __future__ import annotations

from pathlib import Path

from exports import word
from services.meeting_documents import MeetingContext


def render(context: MeetingContext, base: Path | None = None) -> bytes:
    document = word.new_document(f"Minutes: {context.title}", base)
    word.paragraph(document, context.when, "Meeting")
    word.paragraph(document, context.chair or "Not recorded", "Chair")
    word.paragraph(document, context.minute_taker or "Not recorded", "Minutes taken by")
    word.heading(document, "Attendance and apologies", 1)
    rows = [
        [agency] + ["; ".join(by_status.get(label, [])) for label in context.register]
        for agency, by_status in context.attendance.items()
    ]
    word.table(document, ["Agency", *context.register], rows, widths=[2, 2, 2, 2])
    for case in context.cases:
        word.heading(document, f"{case.position}. {case.patient} ({case.nhs_number or 'no NHS number'})", 1)
        word.paragraph(
            document, f"Born {case.born}" + (f"; GP practice {case.gp_practice}" if case.gp_practice else "")
        )
        if case.safeguarding:
            word.paragraph(document, "Open safeguarding concern", "Flag")
        word.paragraph(document, case.status, "Status")
        word.paragraph(document, case.question or "Not recorded", "Question for the ILR")
        for label, text in (
            ("Summary", case.summary),
            ("Discussion", case.discussion),
            ("The meeting's answer", case.outcome),
            ("Decisions", case.decisions),
        ):
            if text:
                word.paragraph(document, text, label)
        word.paragraph(document, case.review_on or "Not set", "Next review")
        if case.care_plan:
            word.paragraph(document, case.care_plan, "Care plan")
        if case.actions:
            word.heading(document, "Actions agreed", 2)
            word.table(  # widths in cm of the 17 cm text width: the due date (25/11/2026) does not wrap
                document,
                ["Action", "Owner", "Person", "Due"],
                [[a.description, a.owner_organisation, a.owner_person, a.due] for a in case.actions],
                widths=[7, 3.8, 3.4, 2.8],
            )
        if case.carried:
            word.heading(document, "Actions carried from earlier meetings", 2)
            word.table(
                document,
                ["Action", "Owner", "Person", "Due", "Status"],
                [[a.description, a.owner_organisation, a.owner_person, a.due, a.status] for a in case.carried],
                widths=[5.6, 3.2, 2.8, 2.6, 2.8],
            )
    if not context.cases:
        word.paragraph(document, "No cases were discussed.")
    return word.to_bytes(document)
