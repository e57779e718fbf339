"""Every document the tool makes: the meeting's (agenda, minutes, action logs), an agency's action log, the care
plan and the patient's copy, the GP letter and the KPI report. Each is built from its context (the read models in
services/), rendered to bytes by exports/, recorded (who, when, for what), audited, and sent through the outbox."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import docx
from flask import current_app
from sqlalchemy import select

from exports import action_log, agency_log, agenda, care_plan, gp_letter, kpi_report, minutes
from formats.dates import today
from formats.names import salutation
from models import (
    AuditAction,
    BaseDocument,
    CarePlan,
    CarePlanShare,
    CarePlanState,
    DocumentKind,
    DomainError,
    GeneratedDocument,
    Meeting,
    Organisation,
    OutboxAttachment,
    User,
    db,
)
from security.letterhead import in_words, letterhead_problems
from services import agency_logs, audit
from services.accounts import signatory
from services.care_plan_documents import care_plan_context, gp_letter_context
from services.kpis.records import record_sheet_rows
from services.kpis.report import Report
from services.meeting_documents import meeting_context
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


def base_document() -> bytes | Path | None:
    """The team's letterhead: the one the team lead uploaded last, else BASE_DOCUMENT when configured. Checked
    against the allow-list (security/letterhead.py) each time it is used, so one stored before the check existed, or
    changed since, cannot carry a trap: such a letterhead is refused in words and no document is made (rather than a
    plain one sent out unnoticed: the team lead replaces it on the Letterhead page)."""
    uploaded = current_letterhead()
    if uploaded is not None:
        _refuse_unless_clean(uploaded.content)
        return uploaded.content
    path = current_app.config.get("BASE_DOCUMENT")
    if not path:
        return None
    _refuse_unless_clean(Path(path).read_bytes())
    return Path(path)


def current_letterhead() -> BaseDocument | None:
    """The letterhead the team lead uploaded last, if any."""
    return db.session.scalars(select(BaseDocument).order_by(BaseDocument.id.desc()).limit(1)).first()


@lru_cache(maxsize=4)
def stored_letterhead_problems(content: bytes) -> tuple[str, ...]:
    """The allow-list's findings for a letterhead in use (remembered: every document checks the same bytes)."""
    return tuple(letterhead_problems(content))


def _refuse_unless_clean(content: bytes) -> None:
    problems = stored_letterhead_problems(content)
    if problems:
        raise DomainError(
            f"The team's letterhead cannot be used, so no document was made: {in_words(list(problems))}. The team "
            "lead can upload a clean one on the Letterhead page (Settings); a blank document saved from Word will do."
        )


#: A letterhead is a few pages of styles and a logo: anything bigger is refused before it is opened.
BASE_DOCUMENT_LIMIT = 5 * 1024 * 1024
#: What its members may declare unpacked, together: a zip bomb declares far more than it holds.
BASE_DOCUMENT_UNPACKED_LIMIT = 50 * 1024 * 1024
NOT_A_DOCX = "This is not a Word document (.docx): save the letterhead from Word as a .docx and upload that."


def check_base_document(content: bytes) -> None:
    """Refuse an upload that is too big, not a zip, a zip bomb (by the members' declared sizes, read before
    anything is unpacked), that python-docx cannot open, or that holds what a letterhead may not (the allow-list:
    security/letterhead.py)."""
    if len(content) >= BASE_DOCUMENT_LIMIT:
        raise DomainError("The letterhead must be under 5 MB.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if len(members) > 1000 or sum(m.file_size for m in members) > BASE_DOCUMENT_UNPACKED_LIMIT:
                raise DomainError("This file unpacks to far more than a letterhead: it was refused.")
            if "word/document.xml" not in archive.namelist():
                raise DomainError(NOT_A_DOCX)
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise DomainError(NOT_A_DOCX) from None
    problems = letterhead_problems(content)  # before python-docx opens it: the refusal names what it holds
    if problems:
        raise DomainError(
            f"This letterhead was refused: {in_words(problems)}. Save it from Word without that and upload it again."
        )
    try:
        docx.Document(io.BytesIO(content))
    except Exception:  # python-docx raises many kinds on a broken package  # noqa: BLE001
        raise DomainError(NOT_A_DOCX) from None


def upload_base_document(filename: str, content: bytes, by: User) -> BaseDocument:
    """The team lead's letterhead, checked, kept, and used by every document from now on."""
    check_base_document(content)
    record = BaseDocument(
        filename=(filename or "letterhead.docx")[:200], size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(), uploaded_by_id=by.id, content=content,
    )  # fmt: skip
    db.session.add(record)
    with audit.reason(f"Letterhead uploaded by {by.name}"):
        db.session.flush()
    return record


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
    detail = f"{kind.label} for meeting {meeting.id}" + (f" ({organisation.name})" if organisation else "")
    audit.record(AuditAction.document, table="generated_document", record_id=record.id, detail=detail)
    audit.record_patients_shown(AuditAction.document, context.patient_ids, table="generated_document", detail=detail)
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
        signed = "\n".join(signatory(by).lines)
        queue_email(
            delivery.address,
            subject,
            f"Dear {delivery.to},\n\n{body}\n\n{signed}",
            purpose=plan.kind.value,
            contains_patient_data=True,
            meeting=meeting,
        ).document = documents[key].record
    return SendReport([d.address for d in plan.deliveries], [who for who, _ in plan.refused])


def generate_agency_log(organisation: Organisation, by: User, fmt: str, scope: list) -> Generated:
    """One agency's open actions across meetings (.docx or .xlsx), recorded and audited like every document."""
    log = agency_logs.agency_log(organisation, scope)
    if fmt == "docx":
        content, filename = agency_log.render_docx(log, base_document()), f"{log.filename_stem}.docx"
    elif fmt == "xlsx":
        content, filename = agency_log.render_xlsx(log), f"{log.filename_stem}.xlsx"
    else:
        raise DomainError("The action log comes as .docx or .xlsx.")
    detail = f"{organisation.name}'s open actions ({len(log.rows)}), {fmt}"
    return _record_naming(DocumentKind.action_log, filename, content, by, log.patient_ids, detail,
                          organisation_id=organisation.id)  # fmt: skip


def _record_naming(kind: DocumentKind, filename: str, content: bytes, by: User, patient_ids: list[int], detail: str,
                   organisation_id: int | None = None) -> Generated:  # fmt: skip
    """Record a document about several patients (or none): one entry for it and one for each patient it names."""
    record = GeneratedDocument(
        kind=kind, filename=filename, generated_by_id=by.id, organisation_id=organisation_id,
        sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content), content=content,
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    audit.record(AuditAction.document, table="generated_document", record_id=record.id, detail=detail)
    audit.record_patients_shown(AuditAction.document, patient_ids, table="generated_document", detail=detail)
    return Generated(record, content)


def _record(kind: DocumentKind, filename: str, content: bytes, by: User, patient_id: int, detail: str) -> Generated:
    record = GeneratedDocument(
        kind=kind, filename=filename, generated_by_id=by.id, patient_id=patient_id,
        sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content), content=content,
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    audit.record(AuditAction.document, table="generated_document", record_id=record.id, patient_id=patient_id,
                 detail=detail)  # fmt: skip
    return Generated(record, content)


def generate_care_plan(plan: CarePlan, by: User, *, for_patient: bool = False, large_print: bool = False) -> Generated:
    """The care plan (.docx), or the patient's own copy (in large print when asked); recorded and audited."""
    context = care_plan_context(plan, by)
    content = care_plan.render(context, base_document(), for_patient=for_patient, large_print=large_print)
    kind = DocumentKind.care_plan_patient if for_patient else DocumentKind.care_plan
    suffix = ("-patient-copy" + ("-large-print" if large_print else "")) if for_patient else ""
    what = kind.label + (", large print" if for_patient and large_print else "")
    return _record(kind, f"{context.filename_stem}{suffix}.docx", content, by, plan.patient_id,
                   f"{what}, version {plan.number}")  # fmt: skip


def generate_gp_letter(plan: CarePlan, by: User) -> Generated:
    """The GP's outcome letter about a care-plan version, signed by `by`; recorded and audited."""
    context = gp_letter_context(plan, today(), by)
    content = gp_letter.render(context, base_document())
    filename = f"{context.plan.filename_stem.replace('care-plan', 'gp-letter')}.docx"
    return _record(DocumentKind.gp_letter, filename, content, by, plan.patient_id,
                   f"GP outcome letter, care plan version {plan.number}")  # fmt: skip


def gp_send_barrier(plan: CarePlan | None) -> str | None:
    """Why the letter and plan cannot go to the GP, in plain words, or None."""
    if plan is None:
        return "There is no agreed care plan to send yet."
    patient = plan.patient
    if not patient.may_be_contacted:
        return f"Nothing is sent about {patient.display_name}: {patient.contact_barrier}"
    if plan.state != CarePlanState.agreed:
        return "Only an agreed care plan goes to the GP, never a draft: agree it first."
    practice = patient.gp_practice
    if practice is None:
        return "The patient has no GP practice recorded."
    if not practice.secure_email or not is_secure_address(practice.secure_email):
        return f"{practice.name} has no secure email address recorded, so nothing with patient details can go to it."
    return None


def send_to_gp(plan: CarePlan, by: User) -> CarePlanShare:
    """The outcome letter and the agreed plan to the practice's secure address as one email with both attached;
    the sharing record is made here, and counts once the outbox has sent it."""
    barrier = gp_send_barrier(plan)
    if barrier:
        raise DomainError(barrier)
    patient, practice = plan.patient, plan.patient.gp_practice
    letter, attached = generate_gp_letter(plan, by), generate_care_plan(plan, by)
    dear = salutation(patient.named_gp) or f"colleagues at {practice.name}"
    signed = "\n".join(signatory(by).lines)
    email = queue_email(
        practice.secure_email,
        f"ILR outcome and care plan v{plan.number}: {patient.display_name}",
        f"Dear {dear},\n\nPlease find attached the Integrated Locality Review outcome letter "
        f"and the shared care plan (version {plan.number}) for {patient.written_name}.\n\nYours sincerely,\n\n{signed}",
        purpose="gp_feedback",
        contains_patient_data=True,
        patient=patient,
    )
    email.document = letter.record
    db.session.add_all([OutboxAttachment(email=email, document=letter.record),
                        OutboxAttachment(email=email, document=attached.record)])  # fmt: skip
    share = CarePlanShare(
        care_plan=plan, shared_on=today(), shared_by_id=by.id, shared_with=practice, method="Secure email",
        outbox_email=email,
    )  # fmt: skip
    db.session.add(share)
    with audit.reason(f"Care plan version {plan.number} and the outcome letter sent to {practice.name} by {by.name}"):
        db.session.flush()
    return share


def gp_shares(patient) -> list[CarePlanShare]:
    """The patient's care plans shared with the GP, newest first (each queued until the outbox has sent it)."""
    return list(
        db.session.scalars(
            select(CarePlanShare)
            .join(CarePlan)
            .where(CarePlan.patient_id == patient.id)
            .order_by(CarePlanShare.id.desc())
        )
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def generate_kpi_report(report: Report, fmt: str, by: User, row_cap: int) -> Generated:
    """The period's KPI report (.docx, or .xlsx with the rows behind each figure up to `row_cap` a sheet); recorded and
    audited with its period and filters (and, for the workbook, every patient its rows name)."""
    described = f"{report.period_label} ({report.scope.label}), {report.locality}, {report.practice}"
    stem = f"kpi-report-{report.scope.start:%Y-%m-%d}-to-{report.scope.end:%Y-%m-%d}"
    patients: list[int] = []
    if fmt == "docx":
        content, filename = kpi_report.render_docx(report, base_document()), f"{stem}.docx"
    elif fmt == "xlsx":
        sheets = []
        for target in report.links():
            header, rows, total, named = record_sheet_rows(target.drill, report.scope, row_cap)
            sheets.append(kpi_report.RecordSheet(f"Rows {target.drill}", header, rows, total))
            patients += named
        content, filename = kpi_report.render_xlsx(report, sheets, row_cap), f"{stem}.xlsx"
    else:
        raise DomainError("The KPI report comes as .docx or .xlsx.")
    return _record_naming(DocumentKind.kpi_report, filename, content, by, patients, f"KPI report, {described}, {fmt}")
