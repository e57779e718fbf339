"""Database models: the records the ILR team keeps, and the column types they share."""
from __future__ import annotations

import enum
import secrets
import sqlite3
from datetime import datetime, timezone
from typing import Optional

from flask import current_app
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Enum as SAEnum,
    ForeignKey,
    MetaData,
    String,
    TypeDecorator,
    event,
    func,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

#: Milliseconds a writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_connect(dbapi_connection, connection_record) -> None:
    """WAL, foreign keys and a busy timeout; the driver's own transaction handling off (see below)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    """Begin every transaction IMMEDIATE: a deferred one that reads then writes fails at once with
    "database is locked" under a concurrent writer, whatever the busy timeout. Nearly every request
    writes (the audit trail), so all transactions take the write lock up front."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def install_sqlite_pragmas() -> None:
    """SQLAlchemy's pysqlite recipe for real transactions, on every SQLite engine."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)


def _on_connect(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        _sqlite_connect(dbapi_connection, connection_record)


def _on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        _sqlite_begin(conn)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only zone the database holds)."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC and returned timezone-aware on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given: times must be timezone-aware")
        value = value.astimezone(timezone.utc)
        # SQLite has no zone: store the UTC wall time and restore the zone on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a display label: `member = "value", "Label"`."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:
        return self.label

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for select boxes and filters."""
        return [(m.value, m.label) for m in cls]


def enum_column(enum_cls: type[LabelledEnum], **kwargs) -> Mapped:
    """A column storing an enum as a plain string (no native type: adding a value is a plain migration)."""
    length = max(len(m.value) for m in enum_cls)
    return mapped_column(
        SAEnum(
            enum_cls,
            native_enum=False,
            create_constraint=False,
            length=max(length, 20),
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        **kwargs,
    )


class TimestampMixin:
    """When a row was created and last changed (UTC)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class ArchivableMixin:
    """Clinical and reference records are archived, never deleted."""

    #: When the record left lists, exports and KPIs; null while it is live.
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


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


class Organisation(TimestampMixin, ArchivableMixin, db.Model):
    """An agency, GP practice or the ILR team itself, identified by its ODS code."""

    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[OrganisationType] = enum_column(OrganisationType, index=True)
    #: NHS Organisation Data Service code, e.g. G82001 for a GP practice.
    ods_code: Mapped[Optional[str]] = mapped_column(String(10), unique=True)
    #: Address that may receive patient-identifiable email (checked against the allow-list).
    secure_email: Mapped[Optional[str]] = mapped_column(String(254))

    users: Mapped[list["User"]] = relationship(back_populates="organisation")

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

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = enum_column(Role, index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Deactivated accounts cannot sign in; they are kept for the audit trail.
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    #: Changes on password reset or deactivation, which signs the account out everywhere.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    last_sign_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="users")

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
        self.password_hash = generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles
