"""Case finding: risk-stratification lists imported from practices, the ICB and trusts, what each import changed,
and the patients suggested to a practice for referral."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formats.dates import format_datetime
from models.base import LabelledEnum, TimestampMixin, UTCDateTime, db, enum_column, utcnow

if TYPE_CHECKING:
    from models.patients import Patient
    from models.people import Organisation, User
    from models.system import OutboxEmail


class ListSource(LabelledEnum):
    """Where an imported list comes from: each keeps its own column mapping."""

    practice_search = "practice_search", "GP practice search (EMIS Web or SystmOne)"
    efi_report = "efi_report", "eFI report"
    admissions = "admissions", "Admissions or A&E extract"
    other = "other", "Other list"


class ListImport(TimestampMixin, db.Model):
    """One imported list: its file, source, who imported it and when, the mapping used and what it changed.
    Reviewed, never edited."""

    __tablename__ = "list_import"
    __table_args__ = (Index("ix_list_import_imported", "imported_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    source: Mapped[ListSource] = enum_column(ListSource, index=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: {field: column heading} as chosen on the mapping screen (JSON).
    column_mapping: Mapped[str] = mapped_column(Text)
    #: The date eFI and CFS values are taken to be from when the list has no date column for them.
    figures_on: Mapped[date]
    #: Whether rows with an NHS number nobody holds made new patients.
    created_new: Mapped[bool] = mapped_column(default=False, server_default="0")
    rows_read: Mapped[int] = mapped_column(default=0, server_default="0")
    matched: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Rows for people not held: created when `created_new`, otherwise left out.
    new: Mapped[int] = mapped_column(default=0, server_default="0")
    refused: Mapped[int] = mapped_column(default=0, server_default="0")
    figures_changed: Mapped[int] = mapped_column(default=0, server_default="0")
    events_added: Mapped[int] = mapped_column(default=0, server_default="0")

    imported_by: Mapped[User | None] = relationship()
    refusals: Mapped[list[ListImportRefusal]] = relationship(
        back_populates="list_import", order_by="ListImportRefusal.row_number"
    )

    def __str__(self) -> str:
        return f"{self.filename} ({self.source.label}), {format_datetime(self.imported_at)}"

    def __repr__(self) -> str:
        return f"<ListImport {self.id} {self.filename!r}>"


class ListImportRefusal(db.Model):
    """A row of an imported list that could not be used: its row number, the reason in words, its values as read."""

    __tablename__ = "list_import_refusal"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("list_import.id"), index=True)
    #: The row's number in the file, the heading being row 1 (as a spreadsheet numbers it).
    row_number: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    #: The row's cells as read (a JSON list of text), for the download.
    raw_values: Mapped[str] = mapped_column(Text)

    list_import: Mapped[ListImport] = relationship(back_populates="refusals")

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.reason}"

    def __repr__(self) -> str:
        return f"<ListImportRefusal {self.import_id}:{self.row_number}>"


class ListColumnMapping(TimestampMixin, db.Model):
    """The column mapping last used for a source, offered next time."""

    __tablename__ = "list_column_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[ListSource] = enum_column(ListSource, unique=True)
    #: {field: column heading} (JSON).
    mapping: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    def __str__(self) -> str:
        return f"Columns of a {self.source.label}"

    def __repr__(self) -> str:
        return f"<ListColumnMapping {self.source}>"


class PatientListFigures(db.Model):
    """Which import last set a patient's eFI, CFS or hospital events, and the date of the eFI and CFS held: an
    imported value wins only when newer. One row per patient an import touched."""

    __tablename__ = "patient_list_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), unique=True)
    efi_on: Mapped[date | None]
    cfs_on: Mapped[date | None]
    #: The import that last changed something about the patient: "the import they came from".
    import_id: Mapped[int] = mapped_column(ForeignKey("list_import.id"), index=True)

    list_import: Mapped[ListImport] = relationship()

    def __str__(self) -> str:
        return f"Figures from {self.list_import}"

    def __repr__(self) -> str:
        return f"<PatientListFigures {self.patient_id} import={self.import_id}>"


class PracticeSuggestion(TimestampMixin, db.Model):
    """A patient suggested to their GP practice for referral, from the case-finding list, and the email that said so."""

    __tablename__ = "practice_suggestion"
    __table_args__ = (
        UniqueConstraint("email_id", "patient_id", name="uq_practice_suggestion_email_patient"),
        Index("ix_practice_suggestion_patient_at", "patient_id", "suggested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    practice_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    suggested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    suggested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("outbox_email.id"), index=True)

    patient: Mapped[Patient] = relationship()
    practice: Mapped[Organisation] = relationship()
    suggested_by: Mapped[User | None] = relationship()
    email: Mapped[OutboxEmail] = relationship()

    def __str__(self) -> str:
        return f"{self.patient} suggested to {self.practice} on {format_datetime(self.suggested_at)}"

    def __repr__(self) -> str:
        return f"<PracticeSuggestion {self.id} patient={self.patient_id}>"
