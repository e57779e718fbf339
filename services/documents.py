"""Meeting documents: generated, recorded (who, when, for what), audited, and sent through the outbox."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

import audit
from exports import action_log, agenda, minutes
from exports.meeting_context import meeting_context
from models import AuditAction, DocumentKind, DomainError, GeneratedDocument, Meeting, Organisation, User, db
from services.meeting_room import open_safeguarding_patient_ids
from services.outbox import is_secure_address, queue_email
from services.scheduling import members_of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Generated:
    record: GeneratedDocument
    content: bytes

    @property
    def filename(self) -> str:
        return self.record.filename


def base_document() -> Path | None:
    """The team's letterhead document (BASE_DOCUMENT), when configured."""
    path = current_app.config.get("BASE_DOCUMENT")
    return Path(path) if path else None


def _context(meeting: Meeting):
    patient_ids = [item.patient_id for item in meeting.agenda]
    return meeting_context(meeting, open_safeguarding_patient_ids(patient_ids))


def generate(kind: DocumentKind, meeting: Meeting, by: User, organisation: Organisation | None = None) -> Generated:
    """Build the document, record it and audit it; the caller sends the bytes (or emails them)."""
    context = _context(meeting)
    base = base_document()
    if kind == DocumentKind.agenda:
        content = agenda.render(context, base)
    elif kind == DocumentKind.minutes:
        content = minutes.render(context, base)
    elif kind == DocumentKind.action_log:
        content = action_log.render(
            context, base, organisation.id if organisation else None, organisation.name if organisation else None
        )
    else:
        raise DomainError(f"{kind.label} is not a meeting document.")
    suffix = f"-{organisation.ods_code or organisation.id}" if organisation else ""
    filename = f"{context.filename_stem}-{kind.value.replace('_', '-')}{suffix}.docx"
    record = GeneratedDocument(
        kind=kind,
        filename=filename,
        generated_by_id=by.id,
        meeting_id=meeting.id,
        organisation_id=organisation.id if organisation else None,
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        content=content,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        AuditAction.document,
        table="generated_document",
        record_id=record.id,
        detail=f"{kind.label} for meeting {meeting.id}" + (f" ({organisation.name})" if organisation else ""),
    )
    return Generated(record, content)


@dataclass
class SendReport:
    sent_to: list[str]
    refused: list[str]


def send_to_members(kind: DocumentKind, meeting: Meeting, by: User) -> SendReport:
    """Agenda or minutes to every member on the secure allow-list; the others are named, not sent to."""
    if kind not in (DocumentKind.agenda, DocumentKind.minutes):
        raise DomainError("Only the agenda and the minutes go to all members; action logs go to each agency.")
    members = members_of(meeting.locality)
    secure = [c for c in members if is_secure_address(c.email)]
    refused = [f"{c.name} ({c.email})" for c in members if not is_secure_address(c.email)]
    if not secure:
        raise DomainError("No member has a secure email address: nothing was sent.")
    document = generate(kind, meeting, by)
    for contact in secure:
        queue_email(
            contact.email,
            f"{kind.label}: {meeting}",
            f"Dear {contact.name},\n\nPlease find the {kind.label.lower()} attached.\n\nILR Coordinator",
            purpose=kind.value,
            contains_patient_data=True,
            meeting=meeting,
        ).document = document.record
    return SendReport([c.email for c in secure], refused)


def send_action_extracts(meeting: Meeting, by: User) -> SendReport:
    """Each agency that owns actions gets its own extract, at its secure address (or its members' secure addresses)."""
    context = _context(meeting)
    owners = {line.owner_organisation_id for line in context.actions}
    sent, refused = [], []
    for organisation in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(owners)).order_by(Organisation.name)
    ):
        addresses = (
            [organisation.secure_email]
            if organisation.secure_email and is_secure_address(organisation.secure_email)
            else [
                c.email
                for c in members_of(meeting.locality)
                if c.organisation_id == organisation.id and is_secure_address(c.email)
            ]
        )
        if not addresses:
            refused.append(organisation.name)
            continue
        document = generate(DocumentKind.action_log, meeting, by, organisation)
        for address in addresses:
            queue_email(
                address,
                f"Your actions from {meeting}",
                f"Please find {organisation.name}'s actions from the meeting attached.\n\nILR Coordinator",
                purpose="action_log",
                contains_patient_data=True,
                meeting=meeting,
            ).document = document.record
            sent.append(address)
    return SendReport(sent, refused)
