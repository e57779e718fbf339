"""Organisations, localities, sign-in accounts and the contacts who sit on meetings."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import (
    ArchivableMixin,
    EncryptedString,
    LabelledEnum,
    TimestampMixin,
    UTCDateTime,
    db,
    enum_column,
    utcnow,
)

# --- Organisations and people -------------------------------------------------------------------


class OrganisationType(LabelledEnum):
    ilr_team = "ilr_team", "ILR team"
    gp_practice = "gp_practice", "GP practice"
    community_health = "community_health", "Community health"
    acute_trust = "acute_trust", "Acute trust"
    social_services = "social_services", "Social services"
    pharmacy = "pharmacy", "Clinical pharmacy"
    mental_health = "mental_health", "Mental health"
    icb = "icb", "Integrated care board"
    telecare = "telecare", "Telecare"
    drug_alcohol = "drug_alcohol", "Drug and alcohol service"
    ambulance = "ambulance", "Ambulance service"
    fire_rescue = "fire_rescue", "Fire and rescue"
    housing = "housing", "Housing"
    voluntary = "voluntary", "Voluntary sector"
    other = "other", "Other"


class Locality(TimestampMixin, ArchivableMixin, db.Model):
    """The area one ILR serves: a group of GP practices with its own weekly meeting."""

    __tablename__ = "locality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    practices: Mapped[list[Organisation]] = relationship(back_populates="locality")
    members: Mapped[list[MeetingMember]] = relationship(back_populates="locality")

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Locality {self.id} {self.name!r}>"


class Organisation(TimestampMixin, ArchivableMixin, db.Model):
    """An agency, GP practice or the ILR team itself, identified by its ODS code."""

    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[OrganisationType] = enum_column(OrganisationType, index=True)
    #: NHS Organisation Data Service code, e.g. G82001 for a GP practice.
    ods_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    #: Address that may receive patient-identifiable email (checked against the allow-list).
    secure_email: Mapped[str | None] = mapped_column(String(254))
    #: The postal address letters are addressed to (lines separated by line breaks).
    postal_address: Mapped[str | None] = mapped_column(String(500))
    #: For a GP practice: the locality whose ILR it belongs to.
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"), index=True)

    locality: Mapped[Locality | None] = relationship(back_populates="practices")
    users: Mapped[list[User]] = relationship(back_populates="organisation")
    contacts: Mapped[list[Contact]] = relationship(back_populates="organisation")

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})" if self.ods_code else self.name

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.ods_code or self.name!r}>"


class Role(LabelledEnum):
    coordinator = "coordinator", "Coordinator"
    team_lead = "team_lead", "Team lead"
    partner = "partner", "Partner agency"
    read_only = "read_only", "Read only"


#: Shortest password accepted for an account.
MIN_PASSWORD_LENGTH = 12


class User(UserMixin, TimestampMixin, db.Model):
    """A sign-in account: ILR staff, a partner agency's named member, or an observer."""

    __tablename__ = "user_account"
    #: The organisation's identity provider names one person by (issuer, subject): one account each.
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: active_history: a role change ends the account's sessions, so the role before an unsaved change is kept.
    role: Mapped[Role] = enum_column(Role, index=True, active_history=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Deactivated accounts cannot sign in; they are kept for the audit trail.
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    #: Changes on password reset or deactivation, which signs the account out everywhere.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The second factor (services/second_factor.py): a TOTP secret (base32), set when enrolment starts and
    #: confirmed by the first right code; null again when the team lead resets it. Encrypted at rest.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The time step of the last code accepted: a code is good once, so a code seen over a shoulder is not.
    totp_last_step: Mapped[int | None]
    #: Who the organisation's identity provider says this is, bound at the first sign-in through it.
    oidc_issuer: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    #: The person's own details, kept on their "Your details" page: the letters they generate are signed with them.
    job_title: Mapped[str | None] = mapped_column(String(200))
    #: The team named under their signature; blank: their organisation's name.
    team: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    #: Where replies about patients may come (a secure address: services.outbox.is_secure_address).
    secure_email: Mapped[str | None] = mapped_column(String(254))

    organisation: Mapped[Organisation] = relationship(back_populates="users")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value if self.role else None}>"

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        """Flask-Login identity: the id plus a token, so a reset invalidates existing sessions."""
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        """Hash and store a new password, signing out other sessions."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
        self.password_hash = generate_password_hash(
            password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        )
        self.end_sessions()

    def end_sessions(self) -> None:
        """Sign the account out everywhere: every session's identity carries the old token."""
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enrolled_at is not None


class RecoveryCode(db.Model):
    """One of ten single-use codes for signing in without the authenticator app; only a hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the code signs someone in: it is never good again.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")

    def __str__(self) -> str:
        return f"Recovery code of {self.user} ({'used' if self.used_at else 'unused'})"

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}{' used' if self.used_at else ''}>"


class SignInMethod(LabelledEnum):
    password = "password", "Password"
    identity_provider = "identity_provider", "Organisation's sign-in"


class UserSession(db.Model):
    """One signed-in session, held on the server: its random id is all the cookie carries.

    Sign-out, a password change or reset, deactivation and a role change end it; so do the idle and
    absolute time-outs (team-lead settings). `last_seen_at` is written at most once a minute.
    """

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_live", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The random value in the session cookie (never shown, never audited).
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The client's address as the proxy reported it, and what browser it was.
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    method: Mapped[SignInMethod] = enum_column(SignInMethod, default=SignInMethod.password)
    #: Null while the session is live; then why it ended ("signed out", "timed out", "password changed"...).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(100))

    user: Mapped[User] = relationship()

    def __str__(self) -> str:
        return f"Session of {self.user} from {self.address or 'unknown address'}"

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"


class Contact(TimestampMixin, ArchivableMixin, db.Model):
    """A person at an organisation with an email address: a meeting member, presenter or action owner."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    job_title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: The contact's own sign-in, when they have one (a partner or staff login).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")
    user: Mapped[User | None] = relationship()
    memberships: Mapped[list[MeetingMember]] = relationship(back_populates="contact")

    def __str__(self) -> str:
        org = self.organisation.name if self.organisation else ""
        return f"{self.name} ({org})" if org else self.name

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.email}>"


class MemberRole(LabelledEnum):
    core = "core", "Core member"
    optional = "optional", "Attends when relevant"
    chair = "chair", "Chair"


class MeetingMember(TimestampMixin, ArchivableMixin, db.Model):
    """A contact's standing membership of a locality's ILR meeting."""

    __tablename__ = "meeting_member"
    __table_args__ = (UniqueConstraint("locality_id", "contact_id", name="uq_meeting_member_locality_contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    member_role: Mapped[MemberRole] = enum_column(MemberRole, default=MemberRole.core)

    locality: Mapped[Locality] = relationship(back_populates="members")
    contact: Mapped[Contact] = relationship(back_populates="memberships")

    def __str__(self) -> str:
        return f"{self.contact} - {self.locality}"

    def __repr__(self) -> str:
        return f"<MeetingMember {self.id} locality={self.locality_id} contact={self.contact_id}>"
