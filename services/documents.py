"""Meeting documents: generated, recorded (who, when, for what), audited, and sent through the outbox."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

import audit
from exports import action_log, agency_log, agenda, minutes
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


@dataclass(frozen=True)
class Delivery:
    """One email a send would write: to whom, at which address, with what."""

    to: str
    address: str
    what: str
    organisation: Organisation | None = None


@dataclass
class SendPlan:
    """Who would receive what, and who would not and why: shown before anything leaves the building."""

    kind: DocumentKind
    deliveries: list[Delivery]
    refused: list[tuple[str, str]]


NOT_SECURE = "not a secure address for patient details"


def plan_sending(kind: DocumentKind, meeting: Meeting) -> SendPlan:
    """The agenda or minutes to every member at a secure address; an action log to each agency that owns actions."""
    members = members_of(meeting.locality)
    if kind in (DocumentKind.agenda, DocumentKind.minutes):
        deliveries = [
            Delivery(f"{c.name} ({c.organisation.name})", c.email, f"the {kind.label.lower()}")
            for c in members
            if is_secure_address(c.email)
        ]
        refused = [(f"{c.name} ({c.organisation.name})", f"{c.email}: {NOT_SECURE}") for c in members
                   if not is_secure_address(c.email)]  # fmt: skip
        return SendPlan(kind, deliveries, refused)
    if kind != DocumentKind.action_log:
        raise DomainError("Only the agenda, the minutes and the action logs are sent to members.")
    owners = {line.owner_organisation_id for line in _context(meeting).actions}
    deliveries, refused = [], []
    agencies = select(Organisation).where(Organisation.id.in_(owners)).order_by(Organisation.name)
    for organisation in db.session.scalars(agencies):
        if organisation.secure_email and is_secure_address(organisation.secure_email):
            addresses = [(organisation.name, organisation.secure_email)]
        else:
            addresses = [(c.name, c.email) for c in members
                         if c.organisation_id == organisation.id and is_secure_address(c.email)]  # fmt: skip
        if not addresses:
            refused.append((organisation.name, "no secure address for the agency or its members"))
        what = f"{organisation.name}'s actions"
        deliveries += [Delivery(name, address, what, organisation) for name, address in addresses]
    return SendPlan(kind, deliveries, refused)


def send_planned(plan: SendPlan, meeting: Meeting, by: User) -> SendReport:
    """Write the plan's emails to the outbox, each with its document attached (one document per agency)."""
    if not plan.deliveries:
        raise DomainError("No member has a secure email address: nothing was sent.")
    documents: dict[int | None, Generated] = {}
    for delivery in plan.deliveries:
        key = delivery.organisation.id if delivery.organisation else None
        if key not in documents:
            documents[key] = generate(plan.kind, meeting, by, delivery.organisation)
        if delivery.organisation:
            subject, body = f"Your actions from {meeting}", f"Please find {delivery.what} from the meeting attached."
        else:
            subject, body = f"{plan.kind.label}: {meeting}", f"Please find {delivery.what} attached."
        queue_email(
            delivery.address,
            subject,
            f"Dear {delivery.to},\n\n{body}\n\nILR Coordinator",
            purpose=plan.kind.value,
            contains_patient_data=True,
            meeting=meeting,
        ).document = documents[key].record
    return SendReport([d.address for d in plan.deliveries], [who for who, _ in plan.refused])


def send_to_members(kind: DocumentKind, meeting: Meeting, by: User) -> SendReport:
    """Agenda or minutes to every member on the secure allow-list; the others are named, not sent to."""
    if kind not in (DocumentKind.agenda, DocumentKind.minutes):
        raise DomainError("Only the agenda and the minutes go to all members; action logs go to each agency.")
    return send_planned(plan_sending(kind, meeting), meeting, by)


def send_action_extracts(meeting: Meeting, by: User) -> SendReport:
    """Each agency that owns actions gets its own extract, at its secure address (or its members' secure addresses)."""
    plan = plan_sending(DocumentKind.action_log, meeting)
    if not plan.deliveries:
        return SendReport([], [who for who, _ in plan.refused])
    return send_planned(plan, meeting, by)


def generate_agency_log(organisation: Organisation, by: User, fmt: str, scope: list) -> Generated:
    """One agency's open actions across meetings (.docx or .xlsx), recorded and audited like every document."""
    log = agency_log.agency_log(organisation, scope)
    if fmt == "docx":
        content, filename = agency_log.render_docx(log, base_document()), f"{log.filename_stem}.docx"
    elif fmt == "xlsx":
        content, filename = agency_log.render_xlsx(log), f"{log.filename_stem}.xlsx"
    else:
        raise DomainError("The action log comes as .docx or .xlsx.")
    record = GeneratedDocument(
        kind=DocumentKind.action_log, filename=filename, generated_by_id=by.id, organisation_id=organisation.id,
        sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content), content=content,
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    detail = f"{organisation.name}'s open actions ({len(log.rows)}), {fmt}"
    audit.record(AuditAction.document, table="generated_document", record_id=record.id, detail=detail)
    return Generated(record, content)
