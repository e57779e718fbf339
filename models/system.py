"""What the tool itself keeps: outbound email, generated documents, the audit trail and settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formats.dates import format_datetime
from models.base import ArchivableMixin, LabelledEnum, TimestampMixin, UTCDateTime, db, enum_column, utcnow

if TYPE_CHECKING:
    from models.people import User


class EmailStatus(LabelledEnum):
    pending = "pending", "Waiting to send"
    sent = "sent", "Sent"
    failed = "failed", "Failed (will retry)"
    given_up = "given_up", "Gave up"


class OutboxEmail(TimestampMixin, db.Model):
    """An email the tool sends, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_email"
    __table_args__ = (Index("ix_outbox_email_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    #: An iCalendar attachment (text/calendar), for meeting invitations.
    ics: Mapped[str | None] = mapped_column(Text)
    contains_patient_data: Mapped[bool] = mapped_column(default=False, server_default="0")
    status: Mapped[EmailStatus] = enum_column(EmailStatus, default=EmailStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(1000))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    #: The email's kind: availability, invitation, cancellation, agenda, minutes, chase, gp_feedback.
    purpose: Mapped[str | None] = mapped_column(String(40), index=True)
    #: A generated document sent as the attachment.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("generated_document.id"), index=True)

    document: Mapped[GeneratedDocument | None] = relationship()
    #: Further documents attached (a GP letter with its care plan); `document` stays the first when set.
    attachments: Mapped[list[OutboxAttachment]] = relationship(back_populates="email", order_by="OutboxAttachment.id")

    @property
    def documents(self) -> list[GeneratedDocument]:
        """Every document the email carries, in order, each once."""
        found = [self.document] if self.document is not None else []
        return found + [a.document for a in self.attachments if a.document not in found]

    attempts_made: Mapped[list[EmailAttempt]] = relationship(order_by="EmailAttempt.at")

    def __str__(self) -> str:
        return f"{self.subject} to {self.to_address}"

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.status.value if self.status else None}>"


class OutboxAttachment(db.Model):
    """One of the documents an outbox email carries."""

    __tablename__ = "outbox_attachment"
    __table_args__ = (UniqueConstraint("email_id", "document_id", name="uq_outbox_attachment_email_document"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("outbox_email.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("generated_document.id"), index=True)

    email: Mapped[OutboxEmail] = relationship(back_populates="attachments")
    document: Mapped[GeneratedDocument] = relationship()

    def __str__(self) -> str:
        return self.document.filename if self.document else f"Attachment {self.id}"

    def __repr__(self) -> str:
        return f"<OutboxAttachment {self.id} email={self.email_id}>"


class BaseDocument(TimestampMixin, db.Model):
    """The team's letterhead (.docx) uploaded by the team lead: the newest is the one every document starts from."""

    __tablename__ = "base_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    uploaded_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.filename

    def __repr__(self) -> str:
        return f"<BaseDocument {self.id} {self.filename!r}>"


class DocumentKind(LabelledEnum):
    agenda = "agenda", "Agenda"
    minutes = "minutes", "Minutes"
    action_log = "action_log", "Action log"
    care_plan = "care_plan", "Shared care plan"
    care_plan_patient = "care_plan_patient", "Care plan (the patient's copy)"
    gp_letter = "gp_letter", "GP outcome letter"
    kpi_report = "kpi_report", "KPI report"


class GeneratedDocument(TimestampMixin, db.Model):
    """A Word document the tool produced: what, for whom, by whom, when."""

    __tablename__ = "generated_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = enum_column(DocumentKind, index=True)
    filename: Mapped[str] = mapped_column(String(200))
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None]
    #: For whom: an agency's own extract names the agency.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: The document as generated, kept so an email can attach exactly what was recorded.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    generated_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.filename

    def __repr__(self) -> str:
        return f"<GeneratedDocument {self.id} {self.kind.value if self.kind else None}>"


class AuditAction(LabelledEnum):
    create = "create", "Created"
    update = "update", "Changed"
    delete = "delete", "Deleted"
    view = "view", "Opened"
    list = "list", "Listed or searched"
    export = "export", "Exported"
    document = "document", "Document generated"
    sign_in = "sign_in", "Signed in"
    sign_in_failed = "sign_in_failed", "Sign-in failed"
    sign_out = "sign_out", "Signed out"
    session_ended = "session_ended", "Session ended"
    refused = "refused", "Refused"
    # Values at most 20 characters: the column's length.
    second_factor_enrolled = "totp_enrolled", "Second factor set up"
    second_factor_reset = "totp_reset", "Second factor reset"
    recovery_code_used = "recovery_code_used", "Recovery code used"
    first_step_passed = "first_step", "Password (or organisation) accepted, code awaited"
    identity_linked = "identity_linked", "Organisation sign-in linked"


class AuditEntry(db.Model):
    """One line of the audit trail. Never edited, never deleted."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_record", "table_name", "record_id"),
        Index("ix_audit_entry_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[AuditAction] = enum_column(AuditAction, index=True)
    table_name: Mapped[str | None] = mapped_column(String(60))
    record_id: Mapped[int | None]
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    #: JSON: {"field": [before, after]} for changes.
    changes: Mapped[str | None] = mapped_column(Text)
    #: Why, when the workflow gives a reason.
    reason: Mapped[str | None] = mapped_column(String(1000))
    #: What else matters: the filter and row count of a list or export, the email tried at sign-in.
    detail: Mapped[str | None] = mapped_column(String(2000))
    #: The client's address (behind the proxy, the one it reported): for who-did-what and sign-in throttling.
    client_address: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The acting user's organisation at the time (a partner agency's access reads differently from staff's).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)

    user: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.action.label}, {format_datetime(self.at)}" if self.at else self.action.label

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action.value if self.action else None}>"


class AuditSearch(db.Model):
    """An audit entry's words for searching the trail (its detail and reason, as `services.search.words` makes them),
    kept apart from the sealed entry and made after it is written (`services.search.index_trail`): an index written
    with every entry would double the cost of the hundred thousand a year's KPI workbook writes at once."""

    __tablename__ = "audit_search"

    #: The entry's own id.
    id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id"), primary_key=True, autoincrement=False)
    search_words: Mapped[str] = mapped_column(Text, default="", server_default="")

    def __str__(self) -> str:
        return f"Search words of audit entry {self.id}"

    def __repr__(self) -> str:
        return f"<AuditSearch {self.id}>"


class Setting(TimestampMixin, db.Model):
    """A team-lead setting (risk points and bands, cut-offs, thresholds), stored as JSON."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    def __str__(self) -> str:
        return self.key

    def __repr__(self) -> str:
        return f"<Setting {self.key}>"


class BankHoliday(db.Model):
    """An England & Wales bank holiday that falls on a weekday: a day the working-day counts of the KPIs skip.

    Every year from 2000 to 2060, from the `holidays` package: written by migration 0016 and refreshed by
    `services.calendar.refresh_bank_holidays` (a holiday on a weekend takes no working day away, so it is not
    stored; its substitute Monday is).
    """

    __tablename__ = "bank_holiday"

    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.name}"

    def __repr__(self) -> str:
        return f"<BankHoliday {self.day}>"


#: A tally row that carries no value (a drill-down without days to count).
NO_VALUE = -1_000_000
#: The practice of a tally row that adds up every practice.
ALL_PRACTICES = -1


class KpiTally(db.Model):
    """How many of a KPI drill-down's rows fall on one day, or in one month, for one locality, GP practice, pair of
    part values and value: the figures of a period are sums of these rows (`services.kpi_tallies`).

    Derived data, never typed by anyone: kept in step with the records in the same transaction as each change, and
    rebuilt from them by `flask rebuild-kpi-tallies`. Not audited (the records it counts are).
    """

    __tablename__ = "kpi_tally"
    __table_args__ = (
        CheckConstraint("grain IN ('day', 'month')", name="grain_is_day_or_month"),
        # The key is the primary key, and SQLite keeps the rows in its order: a period's rows are read in one range.
        {"sqlite_with_rowid": False},
    )

    #: The drill-down's key in `services.kpis.DRILLS`.
    drill: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: "day" rows, and "month" rows (dated the 1st) that add up the month's days, so that a year is 12 rows deep.
    grain: Mapped[str] = mapped_column(String(5), primary_key=True)
    #: The GP practice; every row is also added up over all practices (ALL_PRACTICES), so that a dashboard for all
    #: practices reads one row where a practice's reads forty. Before the date in the key: either is one range.
    practice_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    on: Mapped[date] = mapped_column(primary_key=True)
    #: 0 when the row has none (a patient without a practice or locality; a meeting has no practice).
    locality_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    part_1: Mapped[str] = mapped_column(String(40), primary_key=True)
    part_2: Mapped[str] = mapped_column(String(40), primary_key=True)
    part_3: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: Days, in the rows of a drill-down's values (drill "<key>:days", for a median); the meeting's time in minutes
    #: for the agencies' attendance (its order); else NO_VALUE.
    value: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column()

    def __str__(self) -> str:
        return f"{self.drill} {self.grain} {self.on:%d/%m/%Y}: {self.n}"

    def __repr__(self) -> str:
        return f"<KpiTally {self.drill} {self.grain} {self.on} n={self.n}>"


class KpiTallyBuild(db.Model):
    """When the tallies were last rebuilt from the records, and by which version of the drill-downs' definitions (a
    new version, or no row at all, makes the next report rebuild them first)."""

    __tablename__ = "kpi_tally_build"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column()
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return f"KPI tallies version {self.version}, built {self.built_at:%d/%m/%Y %H:%M}"

    def __repr__(self) -> str:
        return f"<KpiTallyBuild {self.version}>"


class SecureDomain(TimestampMixin, ArchivableMixin, db.Model):
    """An email domain accredited for patient data (NHS secure email standard, DCB1596), kept by the team lead.

    By domain, never by organisation: a personal address at an accredited organisation's other domain does not pass.
    """

    __tablename__ = "secure_domain"
    __table_args__ = (CheckConstraint("length(domain) > 0", name="domain_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower case, without "@": "medway.gov.uk" (its subdomains pass too).
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    #: Whose domain it is and how the accreditation was checked.
    note: Mapped[str | None] = mapped_column(String(500))

    def __str__(self) -> str:
        return self.domain

    def __repr__(self) -> str:
        return f"<SecureDomain {self.id} {self.domain}>"


class AuditSeal(db.Model):
    """A hash chained over the audit trail's rows since the last seal, in id order (`flask seal-audit`, a
    scheduled job): a row changed or removed later no longer matches (`flask verify-audit`)."""

    __tablename__ = "audit_seal"

    id: Mapped[int] = mapped_column(primary_key=True)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_entry_id: Mapped[int]
    last_entry_id: Mapped[int] = mapped_column(unique=True)
    #: SHA-256 over the previous seal's digest and each row's canonical text, in order.
    digest: Mapped[str] = mapped_column(String(64))
    #: Each sealed row as "id:hash" (the first 16 hex digits of its own SHA-256), one a line: so a check can name
    #: the first row that no longer matches, and a row deleted since (its id gone).
    rows: Mapped[str] = mapped_column(Text)

    def __str__(self) -> str:
        return f"Seal of entries {self.first_entry_id}-{self.last_entry_id}"

    def __repr__(self) -> str:
        return f"<AuditSeal {self.id} to {self.last_entry_id}>"


class FormToken(db.Model):
    """A create form's one-time token, used up by the save it came with: the same form posted twice makes one row,
    and the second send is shown the record the first one saved.

    Written in the save's own transaction, so a save that is refused (and rolled back) does not use it up.
    """

    __tablename__ = "form_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: What the save made (its table and id), so the form sent again can show it rather than refuse.
    saved_table: Mapped[str | None] = mapped_column(String(64))
    saved_id: Mapped[int | None]

    def __str__(self) -> str:
        return f"Form token used {self.used_at}"

    def __repr__(self) -> str:
        return f"<FormToken {self.id}>"


class EmailAttempt(db.Model):
    """One try at sending an outbox email, and what the server said."""

    __tablename__ = "email_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("outbox_email.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool]
    error: Mapped[str | None] = mapped_column(String(1000))

    def __str__(self) -> str:
        return f"{'Sent' if self.succeeded else 'Failed'} at {format_datetime(self.at)}"

    def __repr__(self) -> str:
        return f"<EmailAttempt {self.id} email={self.email_id} {self.succeeded}>"


class SignInAlert(TimestampMixin, db.Model):
    """Failed sign-ins for one account far past a person's own mistakes (`services.sign_in_alerts`): the team lead is
    told, and the account is not locked (a guesser is slowed per address instead). Open until the team lead closes it.
    """

    __tablename__ = "sign_in_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: Failed sign-ins for the account within the throttle's window when the alert was raised.
    failures: Mapped[int]
    #: How many client addresses they came from.
    addresses: Mapped[int]
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    def __str__(self) -> str:
        return f"Sign-in alert for {self.user}"

    def __repr__(self) -> str:
        return f"<SignInAlert {self.id} user={self.user_id} failures={self.failures}>"
