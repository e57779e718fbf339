"""Patients, their hospital events, the notes collated from other systems and the log of contacts about them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, Numeric, String, Text, and_, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formats.dates import format_datetime
from formats.nhs import format_nhs_number
from models.base import (
    ArchivableMixin,
    LabelledEnum,
    SearchableMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    db,
    enum_column,
)

if TYPE_CHECKING:
    from models.people import Organisation, User


class NhsNumberStatus(LabelledEnum):
    """NHS England's NHS number verification status codes."""

    verified = "01", "01 Number present and verified"
    needs_tracing = "02", "02 Number present but not traced"
    trace_required = "03", "03 Trace required"
    trace_attempted = "04", "04 Trace attempted - no match or multiple match found"
    trace_needs_resolution = "05", "05 Trace needs to be resolved"
    trace_in_progress = "06", "06 Trace in progress"
    not_present = "07", "07 Number not present and trace not required"
    trace_postponed = "08", "08 Trace postponed (baby under six weeks old)"


class Sex(LabelledEnum):
    female = "female", "Female"
    male = "male", "Male"
    other = "other", "Other"
    unknown = "unknown", "Not known"


class RiskBand(LabelledEnum):
    high = "high", "High"
    medium = "medium", "Medium"
    low = "low", "Low"


class Patient(SearchableMixin, TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """A person referred to the ILR, with what the risk rule and the team need to know."""

    __tablename__ = "patient"
    __table_args__ = (
        CheckConstraint("nhs_number IS NULL OR length(nhs_number) = 10", name="nhs_number_ten_digits"),
        CheckConstraint("cfs IS NULL OR (cfs >= 1 AND cfs <= 9)", name="cfs_one_to_nine"),
        CheckConstraint("efi IS NULL OR (efi >= 0 AND efi <= 1)", name="efi_zero_to_one"),
        CheckConstraint("date_of_death IS NULL OR date_of_death >= date_of_birth", name="death_after_birth"),
        Index("ix_patient_risk", "risk_score", "id"),
        Index("ix_patient_names", "family_name", "given_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Ten digits, no spaces; null when the referral came without one.
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    nhs_number_status: Mapped[NhsNumberStatus | None] = enum_column(NhsNumberStatus)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(index=True)
    sex: Mapped[Sex] = enum_column(Sex, default=Sex.unknown)
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(10), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    gp_practice_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    named_gp: Mapped[str | None] = mapped_column(String(200))
    carer_details: Mapped[str | None] = mapped_column(String(1000))
    next_of_kin: Mapped[str | None] = mapped_column(String(500))
    communication_needs: Mapped[str | None] = mapped_column(String(1000))
    #: Language when an interpreter is needed; blank when none is.
    interpreter_language: Mapped[str | None] = mapped_column(String(100))
    #: One condition per line.
    long_term_conditions: Mapped[str | None] = mapped_column(String(2000))
    #: Clinical Frailty Scale 2.0, 1-9.
    cfs: Mapped[int | None]
    #: Electronic Frailty Index, 0-1.
    efi: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    #: The day the eFI was calculated (from the GP record): how current it is.
    efi_on: Mapped[date | None]
    date_of_death: Mapped[date | None]
    consent_withdrawn_on: Mapped[date | None]
    #: Priority from the risk rule (DESIGN.md §6), stored so lists sort by it.
    risk_score: Mapped[int] = mapped_column(default=0, server_default="0")
    risk_band: Mapped[RiskBand] = enum_column(RiskBand, default=RiskBand.low, server_default="low", index=True)
    #: The rule's reasons, one per line: "CFS 7 living with severe frailty (3)".
    risk_reasons: Mapped[str | None] = mapped_column(Text)

    gp_practice: Mapped[Organisation | None] = relationship()
    hospital_events: Mapped[list[HospitalEvent]] = relationship(back_populates="patient")
    notes: Mapped[list[CollatedNote]] = relationship(back_populates="patient")

    def __str__(self) -> str:
        number = format_nhs_number(self.nhs_number)
        return f"{self.display_name} ({number})" if number else self.display_name

    @property
    def display_name(self) -> str:
        """The name as every screen and document shows it: "LOVELACE, Ada"."""
        return f"{self.family_name.upper()}, {self.given_name}"

    @property
    def written_name(self) -> str:
        """The name as the person would write it, for what is addressed to them: "Ada Lovelace"."""
        return f"{self.given_name} {self.family_name}"

    @property
    def contact_barrier(self) -> str | None:
        """Why nothing more is sent or shared about the patient (DESIGN.md §3), or None when it may be."""
        if self.date_of_death is not None:
            return "they have died."
        if self.consent_withdrawn_on is not None:
            return "consent has been withdrawn."
        return None

    @hybrid_property
    def may_be_contacted(self) -> bool:
        """Letters, chasers, agendas and sharing stop when a patient has died or withdrawn consent."""
        return self.contact_barrier is None

    @may_be_contacted.inplace.expression
    @classmethod
    def _may_be_contacted(cls):
        """The same rule in SQL, for lists of whom to list or chase."""
        return and_(cls.date_of_death.is_(None), cls.consent_withdrawn_on.is_(None))

    def __repr__(self) -> str:
        return f"<Patient {self.id} {self.nhs_number}>"

    @property
    def condition_count(self) -> int:
        return len([line for line in (self.long_term_conditions or "").splitlines() if line.strip()])


class HospitalEventKind(LabelledEnum):
    admission = "admission", "Non-elective admission"
    ae_attendance = "ae_attendance", "A&E attendance"


class HospitalEvent(SearchableMixin, TimestampMixin, ArchivableMixin, db.Model):
    """A dated non-elective admission or A&E attendance, for "last 12 months" and before/after counts."""

    __tablename__ = "hospital_event"
    __table_args__ = (
        CheckConstraint("discharged_on IS NULL OR discharged_on >= occurred_on", name="discharge_after_admission"),
        Index("ix_hospital_event_patient_date", "patient_id", "occurred_on"),
        #: A list's default order (newest first), walked in the index rather than sorted (bench/results.md).
        Index("ix_hospital_event_occurred", "occurred_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[HospitalEventKind] = enum_column(HospitalEventKind)
    occurred_on: Mapped[date]
    discharged_on: Mapped[date | None]
    hospital: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(String(1000))

    patient: Mapped[Patient] = relationship(back_populates="hospital_events")

    def __str__(self) -> str:
        return f"{self.kind.label} on {self.occurred_on:%d/%m/%Y}"

    def __repr__(self) -> str:
        return f"<HospitalEvent {self.id} {self.kind.value} {self.occurred_on}>"


class NoteSource(LabelledEnum):
    rio = "rio", "RIO"
    emis = "emis", "EMIS"
    ibis = "ibis", "IBIS"
    shared_care_record = "shared_care_record", "Shared care record"
    other = "other", "Other"


class CollatedNote(SearchableMixin, TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """A summary collated from another system, with who checked it and when."""

    __tablename__ = "collated_note"
    __table_args__ = (
        #: A list's default order (newest first), walked in the index rather than sorted (bench/results.md).
        Index("ix_collated_note_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    source: Mapped[NoteSource] = enum_column(NoteSource)
    summary: Mapped[str] = mapped_column(String(4000))
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    checked_on: Mapped[date | None]

    patient: Mapped[Patient] = relationship(back_populates="notes")
    checked_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.source.label} note for {self.patient}"

    def __repr__(self) -> str:
        return f"<CollatedNote {self.id} {self.source.value}>"


class ContactParty(LabelledEnum):
    """Whom the coordinator was in touch with (the single point of contact for all of them)."""

    patient = "patient", "The patient"
    carer = "carer", "A carer or relative"
    referrer = "referrer", "The referrer"
    service = "service", "A service or agency"
    other = "other", "Someone else"


class ContactMethod(LabelledEnum):
    phone = "phone", "Phone"
    email = "email", "Email"
    teams = "teams", "Teams"
    visit = "visit", "Visit"
    letter = "letter", "Letter"


#: The rows of the partial index `ix_contact_log_awaiting`: live contacts awaiting their follow-up.
AWAITING_AND_LIVE = text("follow_up_on IS NOT NULL AND followed_up_on IS NULL AND archived_at IS NULL")


class ContactLogEntry(SearchableMixin, TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """One call, email, Teams message, visit or letter about a patient: when, with whom, how, what, what next."""

    __tablename__ = "contact_log"
    __table_args__ = (
        CheckConstraint("party = 'patient' OR length(with_name) > 0", name="named_unless_patient"),
        CheckConstraint("followed_up_on IS NULL OR follow_up_on IS NOT NULL", name="followed_up_was_due"),
        #: "Contacts awaiting follow-up", earliest due first: the few live ones not yet followed up, with every column
        #: their counts read (SQLite reads a row from its table for any column an index lacks; migration 0026).
        Index(
            "ix_contact_log_awaiting",
            "follow_up_on",
            "id",
            "patient_id",
            "followed_up_on",
            "archived_at",
            sqlite_where=AWAITING_AND_LIVE,
            postgresql_where=AWAITING_AND_LIVE,
        ),  # fmt: skip
        Index("ix_contact_log_patient_at", "patient_id", "contacted_at"),
        #: A list's default order (newest first), walked in the index rather than sorted (bench/results.md).
        Index("ix_contact_log_contacted", "contacted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    party: Mapped[ContactParty] = enum_column(ContactParty)
    #: Who it was, by name (a carer, the referrer, a service); may be blank only for the patient.
    with_name: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[ContactMethod] = enum_column(ContactMethod)
    summary: Mapped[str] = mapped_column(String(4000))
    #: When it is to be followed up; null when nothing follows.
    follow_up_on: Mapped[date | None]
    #: When the follow-up was done: a contact awaits follow-up while this is null and `follow_up_on` is set.
    followed_up_on: Mapped[date | None]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    patient: Mapped[Patient] = relationship()
    by: Mapped[User | None] = relationship()

    def __str__(self) -> str:

        who = self.with_name or (self.party.label if self.party else "")
        return f"{self.method.label} with {who}, {format_datetime(self.contacted_at)}"

    def __repr__(self) -> str:
        return f"<ContactLogEntry {self.id} patient={self.patient_id}>"

    @hybrid_property
    def awaiting_follow_up(self) -> bool:
        """A follow-up is due and not yet done (in Python, and as a clause for a query)."""
        return self.follow_up_on is not None and self.followed_up_on is None

    @awaiting_follow_up.inplace.expression
    @classmethod
    def _awaiting_follow_up(cls) -> ColumnElement[bool]:
        return and_(cls.follow_up_on.is_not(None), cls.followed_up_on.is_(None))
