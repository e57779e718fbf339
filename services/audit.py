"""The audit trail: `record_changes` writes every change at flush; reads, exports and sign-ins are added here.

Services give the *why* of a change with `with audit.reason("..."):`. Bulk `update()`/`delete()`
statements on audited tables are refused, because they would bypass the listener. A file's bytes never enter
the trail: its kind, size and SHA-256 do (`plain`). Two services write some changes' entries themselves: the live
minutes, coalesced over many autosaves (`held_back`, `write_change`; services/minutes_trail.py), and a large list
import, its new rows and changed patients written a batch at a time (`insert_audited`, `update_audited`).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session, load_only, object_session
from sqlalchemy.orm.exc import StaleDataError

from formats.words import file_summary
from models import AuditAction, AuditEntry, Patient, db, insert_rows, update_rows, utcnow

#: Tables whose changes are not audited: the trail itself, and its search words (services/search.py).
#: recovery_code holds hashes of secrets: its uses are audited in words (services/second_factor.py).
#: kpi_tally(_build) are counts derived from audited records (services/kpis/tallies.py).
#: care_plan_for_gp is derived from audited plans and shares (services/plans_for_the_gp.py).
#: bank_holiday is reference data from the holidays package, rewritten whole by `flask refresh-bank-holidays`.
UNAUDITED_TABLES = frozenset(
    {"audit_entry", "audit_search", "audit_seal", "alembic_version", "user_session", "recovery_code", "kpi_tally",
     "kpi_tally_build", "care_plan_for_gp", "bank_holiday"}
)  # fmt: skip
#: Columns whose values never enter the trail (only the fact that they changed).
SECRET_COLUMNS = frozenset({"password_hash", "session_token", "totp_secret", "token"})
#: Columns that change on every save and say nothing on their own.
NOISE_COLUMNS = frozenset({"updated_at", "version", "last_sign_in_at", "totp_last_step", "search_words"})


class AuditTampering(Exception):
    """Raised when code tries to change or delete the trail, or to bypass it with a bulk statement."""


@contextmanager
def reason(why: str, session: Session | None = None):
    """Attach a reason to every change flushed inside the block."""
    session = session or db.session()
    previous = session.info.get("audit_reason")
    session.info["audit_reason"] = why
    try:
        yield
    finally:
        session.info["audit_reason"] = previous


def _acting_user_id(session: Session) -> int | None:
    if "audit_user_id" in session.info:
        return session.info["audit_user_id"]
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def plain(value):
    """A JSON-safe form of a column value; a file (a document, a letterhead) by its kind, size and hash, never its
    contents: the trail is read on screen and its rows are kept for good."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return file_summary(bytes(value))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def patient_id_of(obj) -> int | None:
    """The patient a row is about, when it is about one."""
    if isinstance(obj, Patient):
        return obj.id
    return getattr(obj, "patient_id", None)


def _changes(obj, kind: AuditAction) -> dict:
    """{column: [before, after]} for the mapped columns that changed (all of them on create/delete)."""
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in NOISE_COLUMNS:
            continue
        history = state.attrs[key].history
        if kind is AuditAction.update and not history.has_changes():
            continue
        before = (
            history.deleted[0]
            if history.deleted
            else (None if kind is AuditAction.create else history.unchanged[0] if history.unchanged else None)
        )
        after = None if kind is AuditAction.delete else getattr(obj, key)
        if kind is AuditAction.create and after is None:
            continue
        changes[key] = _change(key, before, after)
    return changes


def _change(key: str, before, after) -> list:
    """One column's [before, after] as the trail keeps it: a secret only as having changed."""
    return ["(hidden)", "(changed)"] if key in SECRET_COLUMNS else [plain(before), plain(after)]


def insert_audited(model, rows: list[dict], *, batch: int = 2000) -> list[int]:
    """Insert many new rows of `model` a batch at a time (`models.insert_rows`: COPY on PostgreSQL), each with the
    trail entry the flush listener would write for it (a created record, its values, the reason given by `reason`);
    returns their ids in order.

    For a job that records tens of thousands of rows at once (the daily chase, a list import): ORM objects cost a
    millisecond each to build, flush and audit one by one. The rows must be complete and alike (the same columns):
    the database's defaults fill the columns left out, the model's Python-side defaults are not applied."""
    session, table, ids = db.session(), model.__table__, []
    common = _entry_values(AuditAction.create, table=table.name, reason=session.info.get("audit_reason"))
    for first in range(0, len(rows), batch):
        chunk = rows[first : first + batch]
        made = insert_rows(session.connection(), table, chunk, ids=True)
        entries = [
            {**common, "record_id": record_id, "patient_id": row.get("patient_id"), "changes": _created(row)}
            for record_id, row in zip(made, chunk, strict=True)
        ]
        write_entries(session, entries)
        ids += made
    return ids


def update_audited(objects: list, *, batch: int = 2000) -> int:
    """Write the unsaved changes of many loaded rows of one versioned model (a list import's patients) with one
    UPDATE a batch, each row with the trail entry the flush listener would write for it; returns how many rows
    changed. The UPDATE sets every column any row of the batch changed (a row's unchanged ones to the value it holds),
    so that rows changing different columns share one statement. Each row's version is checked and moved on as the
    flush does (a row changed by someone else meanwhile refuses the whole batch), and the objects are expired, so the
    next flush writes nothing more for them and their next read loads what was written. The flush's other hooks do
    not see these rows: the caller does their work (services/list_import.py: the risk rule before, the KPI tallies
    marked for rebuilding, the caseload's copy of the score after).

    For a job that changes tens of thousands of rows at once: the ORM sends a versioned row's UPDATE one at a time
    (0.3 ms a round trip on PostgreSQL) and audits it one at a time."""
    session = object_session(objects[0]) if objects else db.session()
    changed = [(obj, before) for obj in objects if (before := _changed_from(obj))]
    written = 0
    with session.no_autoflush:  # the objects' changes are written here, never by a flush before they are
        for first in range(0, len(changed), batch):
            written += _update_batch(session, changed[first : first + batch])
    return written


def _changed_from(obj) -> dict:
    """{column: value before} for the columns of a loaded row changed since it was read (the session's own record of
    what it held, not each column's history asked in turn)."""
    state = inspect(obj)
    columns = state.mapper.columns
    return {
        key: held
        for key, held in state.committed_state.items()
        if key in columns and key != "version" and held != state.dict.get(key)
    }


def _update_batch(session: Session, chunk: list) -> int:
    table, now = chunk[0][0].__table__, utcnow()
    columns = sorted({column for _, before in chunk for column in before})
    common = _entry_values(AuditAction.update, table=table.name, reason=session.info.get("audit_reason"))
    params, entries = [], []
    for obj, before in chunk:
        held = obj.version
        after = {c: getattr(obj, c) for c in columns}
        params.append({"_id": obj.id, "_held": held, **after, "updated_at": now, "version": held + 1})
        changes = {c: _change(c, before[c], after[c]) for c in columns if c in before and c not in NOISE_COLUMNS}
        entries.append({**common, "record_id": obj.id, "patient_id": patient_id_of(obj),
                        "changes": json.dumps(changes, default=str)})  # fmt: skip
    found = update_rows(session.connection(), table, params)  # audited here, so not through the guard
    if found != len(chunk):
        raise StaleDataError(f"{len(chunk) - found} of {len(chunk)} {table.name} rows changed meanwhile")
    for obj, _ in chunk:
        session.expire(obj)  # as saved: nothing left for a flush, and its next read loads what was written
    write_entries(session, entries)
    return found


def _created(row: dict) -> str:
    """A created row's values as the trail keeps them (none empty; secrets hidden)."""
    values = {
        key: _change(key, None, value) for key, value in row.items() if value is not None and key not in NOISE_COLUMNS
    }
    return json.dumps(values, default=str)


def _entries_for_flush(session: Session) -> list[dict]:
    now = utcnow()
    user_id = _acting_user_id(session)
    why = session.info.get("audit_reason")
    address, organisation_id = client_address(), acting_organisation_id()
    rows = []
    for objects, kind in (
        (session.new, AuditAction.create),
        (session.dirty, AuditAction.update),
        (session.deleted, AuditAction.delete),
    ):
        held = session.info.get("audit_held_back", ())
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in UNAUDITED_TABLES or id(obj) in held:
                continue
            if kind is AuditAction.update and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, kind)
            if kind is AuditAction.update and not changes:
                continue  # only noise columns moved (e.g. a sign-in time)
            key = inspect(obj).mapper.primary_key_from_instance(obj)
            record_id = key[0] if len(key) == 1 and isinstance(key[0], int) else None
            rows.append(
                dict(
                    at=now,
                    user_id=user_id,
                    action=kind,
                    table_name=table,
                    record_id=record_id,
                    patient_id=patient_id_of(obj),
                    changes=json.dumps(changes, default=str),
                    reason=why,
                    client_address=address,
                    organisation_id=organisation_id,
                )
            )
    return rows


@contextmanager
def held_back(obj, session: Session | None = None):
    """Changes to `obj` flushed inside the block are not written by the listener: the caller writes their entry
    itself (`write_change`), as services.minutes_trail does for minutes typed over many autosaves. Whoever holds
    a change back must make sure it reaches the trail."""
    session = session or db.session()
    held = session.info.setdefault("audit_held_back", set())
    held.add(id(obj))
    try:
        yield
    finally:
        held.discard(id(obj))


def write_change(obj, changes: dict, *, user_id: int | None, detail: str | None = None) -> None:
    """A change entry written by a service, not the listener: {column: [before, after]} as the listener writes."""
    session = db.session()
    values = _entry_values(AuditAction.update, table=obj.__tablename__, record_id=obj.id, patient_id=patient_id_of(obj),
                           detail=detail, reason=session.info.get("audit_reason"), user_id=user_id)  # fmt: skip
    session.add(AuditEntry(**values, changes=json.dumps(changes, default=str)))


def last_change(table: str, record_id: int) -> AuditEntry | None:
    """The newest entry that changed a record (who and when)."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.table_name == table, AuditEntry.record_id == record_id)
        .where(AuditEntry.action.in_([AuditAction.create, AuditAction.update]))
        .order_by(AuditEntry.id.desc())
        .limit(1)
        .options(load_only(AuditEntry.at, AuditEntry.user_id))
    )
    return db.session.scalars(query).first()


def as_the_trail_has_it(table: str, record_id: int) -> dict:
    """A record's values as its trail entries leave them: each column's latest "after" (columns never changed
    through the trail are missing)."""
    query = (
        select(AuditEntry.changes)
        .where(AuditEntry.table_name == table, AuditEntry.record_id == record_id, AuditEntry.changes.is_not(None))
        .order_by(AuditEntry.id)
    )
    state: dict = {}
    for text in db.session.scalars(query):
        for column, pair in json.loads(text).items():
            if isinstance(pair, list) and len(pair) == 2:
                state[column] = pair[1]
    return state


def refuse_tampering(session: Session, flush_context, instances) -> None:
    """Before a flush: an audit entry changed or deleted is refused."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise AuditTampering("Audit entries cannot be changed or deleted.")


def record_changes(session: Session, flush_context) -> None:
    """Write the trail in the same transaction, with a Core insert (the flush is already under way)."""
    rows = _entries_for_flush(session)
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def refuse_bulk_statements(state) -> None:
    """Before a statement runs: a bulk UPDATE or DELETE on an audited table is refused (it would pass no flush)."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name == "audit_entry" or (name and name not in UNAUDITED_TABLES):
        raise AuditTampering(f"Bulk UPDATE/DELETE on the audited table {name!r} would bypass the audit trail.")


def _entry_values(
    action: AuditAction, *, table=None, record_id=None, patient_id=None, detail=None, reason=None, user_id=None
) -> dict:
    """The columns of a trail entry for something that is not a change, with who, when and from where."""
    return dict(
        at=utcnow(), user_id=user_id if user_id is not None else _acting_user_id(db.session()), action=action,
        table_name=table, record_id=record_id, patient_id=patient_id, detail=detail[:2000] if detail else None,
        reason=reason, client_address=client_address(), organisation_id=acting_organisation_id(),
    )  # fmt: skip


def record(
    action: AuditAction,
    *,
    table: str | None = None,
    record_id: int | None = None,
    patient_id: int | None = None,
    detail: str | None = None,
    reason: str | None = None,
    user_id: int | None = None,
) -> None:
    """Add a trail entry for something that is not a change: a record opened, a list, an export, a sign-in.

    The entry is committed at the end of the request (see `init_app`), with the request's other work.
    """
    values = _entry_values(action, table=table, record_id=record_id, patient_id=patient_id, detail=detail,
                           reason=reason, user_id=user_id)  # fmt: skip
    db.session().add(AuditEntry(**values))
    commit_at_end_of_request()


def record_patients_shown(action: AuditAction, patient_ids, *, table: str, detail: str) -> None:
    """A page or document that showed several patients: one entry per patient, so "who has seen this patient's
    record" (DSPT C1) finds every screen and document that named them. One INSERT for them all, not one each."""
    patient_ids = list(dict.fromkeys(patient_ids))
    if not patient_ids:
        return
    common = _entry_values(action, table=table, detail=detail)
    write_entries(db.session(), [{**common, "patient_id": patient_id} for patient_id in patient_ids])
    commit_at_end_of_request()


def write_entries(session: Session, entries: list[dict]) -> None:
    """Many trail entries at once on the session's connection (`models.insert_rows`: COPY on PostgreSQL), not the
    ORM's bulk insert, which costs more per row than the database does (a year's KPI workbook names 120,000
    patients; a 100,000-row list import writes 300,000 entries)."""
    insert_rows(session.connection(), AuditEntry.__table__, entries)


def commit_at_end_of_request() -> None:
    """Writes a read makes (a trail entry, a session's last-seen time) are committed once the request succeeds."""
    db.session().info["audit_needs_commit"] = True


def acting_organisation_id() -> int | None:
    """The signed-in user's organisation, recorded with what they did (a partner agency reads differently)."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.organisation_id
    return None


def client_address() -> str | None:
    """The client's address (ProxyFix has already put the proxy's report of it in remote_addr)."""
    return request.remote_addr if has_request_context() else None


def describe_request_filters() -> str:
    """The list arguments of this request (search, filters, sort, page) as one line."""
    if not has_request_context():
        return ""
    return "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))


#: Refusals worth a trail entry: someone asked for something their role or scope does not give them.
REFUSALS = frozenset({401, 403, 404, 405, 429})


def init_app(app) -> None:
    @app.after_request
    def commit_audit_entries(response):
        """Reads write to the trail too: commit those entries once the request has succeeded.

        A refused request's own work is rolled back, then the refusal itself is recorded and committed on the
        same session (a second connection would wait for this one's lock on SQLite).
        """
        session = db.session()
        pending = session.info.pop("audit_needs_commit", False)
        if response.status_code >= 400:
            if pending:
                session.rollback()
            pending = response.status_code in REFUSALS and request.endpoint not in (None, "static") and current_user
            if pending:
                detail = f"{request.method} {request.path} refused with {response.status_code}"
                session.add(AuditEntry(**_entry_values(AuditAction.refused, detail=detail)))
        if pending:
            session.commit()
        return response
