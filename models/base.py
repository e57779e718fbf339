"""The database object, column types and mixins every model shares."""

from __future__ import annotations

import enum
import sqlite3
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    ARRAY,
    DateTime,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    event,
    func,
    inspect,
    text,
    update,
)
from sqlalchemy import (
    Enum as SAEnum,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from formats.dates import LONDON
from models.sql_dates import register_sqlite_functions
from security import secret_box

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DomainError(Exception):
    """A rule of the service refused a change; the message is shown to the user as it is."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

#: Room for what a person writes at length (a case's minutes, a care plan's sections): a complex patient's
#: discussion can run to several thousand words, and 50,000 characters is about 8,000 of them.
NARRATIVE_LENGTH = 50_000

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
    register_sqlite_functions(dbapi_connection)


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


def value_before(obj, attribute: str):
    """The value an attribute had before this unit of work changed it (None for a new row)."""
    history = inspect(obj).attrs[attribute].history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else None


def among(column, ids):
    """`column IN ids`, for a list of ids that may be long (an export's 10,000 rows, a search's matches): on
    PostgreSQL one array parameter (`= ANY(:ids)`), since psycopg parses a statement of 10,000 placeholders in about
    100 ms; elsewhere the usual expanding IN (SQLite takes up to 32,766 parameters a statement)."""
    ids = list(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def insert_rows(connection, table, rows: list[dict], *, ids: bool = False) -> list[int] | None:
    """Many complete rows into `table` (every row the same columns; Python-side defaults are not applied, the
    database's are): on PostgreSQL through COPY, 2.4 times as fast as a multi-row INSERT for 100,000 trail entries;
    elsewhere one INSERT with many parameter sets. Each value goes through its column's type as an INSERT's would.

    With `ids`, the new rows' ids are returned in the rows' order: on PostgreSQL taken from the table's sequence
    first (one query) and written with the rows, since COPY returns nothing; elsewhere by `INSERT ... RETURNING`."""
    if not rows:
        return [] if ids else None
    if connection.dialect.name != "postgresql":
        if not ids:
            connection.execute(table.insert(), rows)
            return None
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.execute(statement, rows).scalars())
    made = None
    if ids:
        taken = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
        made = list(connection.execute(taken, {"table": table.name, "count": len(rows)}).scalars())
        rows = [{"id": new_id, **row} for new_id, row in zip(made, rows, strict=True)]
    columns = [table.c[name] for name in rows[0]]
    processors = [column.type._cached_bind_processor(connection.dialect) for column in columns]
    names = ", ".join(connection.dialect.identifier_preparer.quote(column.name) for column in columns)
    statement = f"COPY {table.name} ({names}) FROM STDIN"  # the model's own table and columns
    with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([
                process(row[column.name]) if process else row[column.name]
                for column, process in zip(columns, processors, strict=True)
            ])  # fmt: skip
    return made


def update_rows(connection, table, rows: list[dict]) -> int:
    """Many rows of a versioned table changed by id, each only where it still holds the version it was read at:
    every row `{"_id": id, "_held": version read, column: new value, ...}` with the same columns (a new `version`
    among them); returns how many rows were found. On PostgreSQL one statement, each column's values one array
    parameter (`UPDATE ... FROM unnest(...)`): the server's work a third less than a statement a row, and nothing for
    the driver to parse a row at a time; elsewhere one UPDATE with many parameter sets."""
    if not rows:
        return 0
    names = [name for name in rows[0] if name not in ("_id", "_held")]
    if connection.dialect.name != "postgresql":
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_held"))
            .values({name: bindparam(name) for name in names})
        )
        return connection.execute(statement, rows).rowcount
    types = {"_id": table.c.id.type, "_held": table.c.version.type} | {name: table.c[name].type for name in names}
    arrays = [bindparam(None, [row[key] for row in rows], type_=ARRAY(kind)) for key, kind in types.items()]
    given = func.unnest(*arrays).table_valued(*types).render_derived(name="given")
    statement = (
        update(table)
        .where(table.c.id == given.c["_id"], table.c.version == given.c["_held"])
        .values({name: given.c[name] for name in names})
    )
    return connection.execute(statement).rowcount


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only zone the database holds)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC and returned timezone-aware on SQLite and PostgreSQL alike.

    Aware values are converted to UTC; a naive value is taken as Europe/London wall time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive time is what a person typed (a form, a list filter): London wall time.
            value = value.replace(tzinfo=LONDON)
        value = value.astimezone(UTC)
        # SQLite has no zone: store the UTC wall time and restore the zone on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedString(TypeDecorator):
    """A secret stored encrypted (Fernet with the app's ILR_SECRET_KEYS: security/secret_box.py) and read back as it
    was given, so code sets and reads it as a plain string. Each write is encrypted afresh (a random IV): the column
    cannot be compared in SQL."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else secret_box.encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else secret_box.decrypt(value)


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
    def choices(cls, blank: str | None = None) -> list[tuple[str, str]]:
        """(value, label) pairs for select boxes and filters; first a blank choice with these words, when given."""
        return ([("", blank)] if blank is not None else []) + [(m.value, m.label) for m in cls]


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
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class SearchableMixin:
    """A record found by words typed into a search (services/search.py): its words kept in `search_words`."""

    #: Its text as searched: case-folded, accents removed, words one space apart; made at every flush.
    search_words: Mapped[str] = mapped_column(Text, default="", server_default="")


class VersionedMixin:
    """Records people edit carry a version: a save from a form opened on an older one is refused.

    SQLAlchemy bumps it on every UPDATE and adds it to the WHERE clause, so two writers racing
    past the form check still cannot both win; edit forms carry it in a hidden field.
    """

    version: Mapped[int] = mapped_column(server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}
