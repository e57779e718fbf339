"""A meeting's action log as a Word document: every action, or one agency's extract."""

from __future__ import annotations

from pathlib import Path

from exports import word
from services.meeting_documents import MeetingAction, MeetingContext


def lines_for(context: MeetingContext, organisation_id: int | None = None) -> list[MeetingAction]:
    """All the meeting's actions, or only those one agency owns (its own extract)."""
    return [a for a in context.actions if organisation_id is None or a.owner_organisation_id == organisation_id]


def render(
    context: MeetingContext,
    base: Path | None = None,
    organisation_id: int | None = None,
    organisation_name: str | None = None,
) -> bytes:
    title = f"Action log: {context.title}" + (f" ({organisation_name})" if organisation_name else "")
    document = word.new_document(title, base)
    word.landscape(document)
    word.paragraph(document, context.when, "Meeting")
    lines = lines_for(context, organisation_id)
    word.table(
        document,
        ["Patient", "NHS number", "Action", "Owner", "Person", "Due", "Status"],
        [
            [a.patient, a.nhs_number, a.description, a.owner_organisation, a.owner_person, a.due, a.status]
            for a in lines
        ],
        widths=[2.2, 1.6, 4, 2.2, 1.8, 1.3, 1.2],
    )
    if not lines:
        word.paragraph(document, "No actions.")
    return word.to_bytes(document)
