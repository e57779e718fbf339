"""The minutes of a meeting as a Word document: the chair and minute-taker, attendance by agency, then each case: the
question, the meeting's answer and decisions, the actions agreed and those carried from earlier meetings, the onward
referrals and signposting made, and the care plan's state."""

from __future__ import annotations

from pathlib import Path

from exports import word
from services.meeting_documents import Case, MeetingContext


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
    if not context.attendance:
        word.paragraph(document, "No attendance was recorded.")
    for case in context.cases:
        _case(document, case)
    if not context.cases:
        word.paragraph(document, "No cases were discussed.")
    return word.to_bytes(document)


def _case(document, case: Case) -> None:
    word.heading(document, f"{case.position}. {case.patient} ({case.nhs_number or 'no NHS number'})", 1)
    word.paragraph(document, f"Born {case.born}" + (f"; GP practice {case.gp_practice}" if case.gp_practice else ""))
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
        word.paragraph(document, text, label)  # left out when not written
    word.paragraph(document, case.review_on or "Not set", "Next review")
    word.paragraph(document, case.care_plan or "No care plan yet", "Care plan")
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
    onward_tables(document, case.onward, level=2)


def onward_tables(document, lines: list, level: int) -> None:
    """The onward referrals (to which service, why, how, the outcome) and the signposting (to which service, given to
    whom, what was advised, when) made for a case; nothing when none were."""
    referred = [line for line in lines if not line.signposted]
    signposted = [line for line in lines if line.signposted]
    if referred:
        word.heading(document, "Onward referrals", level)
        word.table(
            document,
            ["Referred to", "Why", "How", "On", "Outcome"],
            [[r.service, r.reason, r.how, r.referred_on, r.outcome] for r in referred],
            widths=[3.6, 5.4, 2.6, 2.6, 2.8],
        )
    if signposted:
        word.heading(document, "Signposting", level)
        word.table(
            document,
            ["Signposted to", "Given to", "What was advised", "On"],
            [[r.service, r.given_to, r.reason, r.referred_on] for r in signposted],
            widths=[4.0, 3.0, 7.2, 2.8],
        )
