"""Keeping the KPI tallies in step, in the same transaction as every change (registered in services/on_flush.py).

Before a flush, the tally rows of the patients and meetings it touches are counted from the database (what the
tallies already hold for them); after it, counted again; the difference is added to the day and month rows. A
rollback takes the tally change back with the records.

What a change touches is derived, not listed by hand: a row of a table some drill-down reads (`reads.REACH`), new,
deleted or with a column changed that a drill-down's query reads (`reads.drill_reads`), touches those drill-downs,
for the patients and meetings the table reaches. A change to a column no drill-down reads costs nothing, not even a
query. A setting a drill-down reads re-counts it whole after the flush.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import MANYTOONE, Session

from models import AgendaItem, Attendance, KpiTally, Meeting, Patient, Setting
from models.system import ALL_PRACTICES
from services.kpis.drills import DRILLS
from services.kpis.periods import EVER, Scope, as_date
from services.kpis.reads import REACH, Reach, readers, setting_readers
from services.kpis.tallies import KEY, day_rows, is_built, mark_out_of_date, rebuild

log = logging.getLogger(__name__)


@dataclass
class Touched:
    """What a flush changes, as the tallies see it."""

    #: The drill-downs to re-count for the patients and meetings below.
    drills: set[str] = field(default_factory=set)
    patients: set[int] = field(default_factory=set)
    meetings: set[int] = field(default_factory=set)
    #: The drill-downs re-counted whole after the flush (a setting their query reads changed).
    recount: set[str] = field(default_factory=set)
    #: Ids still to be followed to patients and meetings: {model reached through: ids}, contacts, GP practices.
    through: dict[type, set[int]] = field(default_factory=dict)
    contacts: set[int] = field(default_factory=set)
    practices: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.drills or self.recount)


def _changed_columns(obj) -> frozenset[str]:
    """The names of the columns a dirty row changes, a foreign key set through its relationship included."""
    state = inspect(obj)
    changed = {a.columns[0].name for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}
    for relationship in state.mapper.relationships:
        if relationship.direction is MANYTOONE and state.attrs[relationship.key].history.has_changes():
            changed |= {column.name for column in relationship.local_columns}
    return frozenset(changed)


def _ids(obj, column: str) -> set[int]:
    """Every id the column held or holds in this flush (a record moved from one patient to another touches both),
    with the id of a related record set on the object but not yet flushed into the key."""
    if column == "id":
        return {obj.id} if inspect(obj).has_identity else set()
    history = inspect(obj).attrs[column].history
    found = {*history.added, *history.deleted, *history.unchanged, getattr(obj, column)}
    loaded = inspect(obj).dict.get(column.removesuffix("_id"))
    if loaded is not None and inspect(loaded).has_identity:
        found.add(loaded.id)
    return {value for value in found if value is not None}


def _reach(obj, reach: Reach, touched: Touched) -> None:
    if reach.patient:
        touched.patients |= _ids(obj, reach.patient)
    if reach.meeting:
        touched.meetings |= _ids(obj, reach.meeting)
    if reach.through:
        column, model = reach.through
        touched.through.setdefault(model, set()).update(_ids(obj, column))
    if reach.contact:
        touched.contacts |= _ids(obj, "id")
    if reach.practice:
        touched.practices |= _ids(obj, "id")


def what_changed(session: Session) -> Touched:
    """The drill-downs a flush touches and what it reaches, from the session alone (no query)."""
    touched = Touched()
    new, deleted = session.new, session.deleted  # each a fresh set: built once, not once per object
    for obj in [*new, *session.dirty, *deleted]:
        if isinstance(obj, Setting):
            touched.recount.update(setting_readers(obj.key))
        reach = REACH.get(getattr(obj, "__tablename__", None))
        if reach is None:
            continue
        whole = obj in new or obj in deleted
        drills = readers(obj.__tablename__, None if whole else _changed_columns(obj))
        if drills:
            touched.drills.update(drills)
            _reach(obj, reach, touched)
    return touched


def _resolve(session: Session, touched: Touched) -> Touched:
    """Follow what the flush reaches to patients and meetings: a record's parent, a contact's meetings, a practice's
    patients, and the patients listed at a meeting (for the drill-downs about patients)."""
    with session.no_autoflush:
        for model, ids in touched.through.items():
            if ids:
                touched.patients.update(session.scalars(select(model.patient_id).where(model.id.in_(sorted(ids)))))
        if touched.contacts:
            attended = select(Attendance.meeting_id).where(Attendance.contact_id.in_(sorted(touched.contacts)))
            touched.meetings.update(session.scalars(attended.distinct()))
        if touched.practices:
            registered = select(Patient.id).where(Patient.gp_practice_id.in_(sorted(touched.practices)))
            touched.patients.update(session.scalars(registered))
        if touched.meetings and any(not DRILLS[key].about_meetings for key in touched.drills):
            listed = select(AgendaItem.patient_id).where(AgendaItem.meeting_id.in_(sorted(touched.meetings)))
            touched.patients.update(session.scalars(listed.distinct()))
    return touched


def _count(session: Session, touched: Touched, keys: list[str]) -> Counter:
    scope = Scope(*EVER, patients=frozenset(touched.patients), meetings=frozenset(touched.meetings), tallying=True)
    counts: Counter = Counter()
    with session.no_autoflush:
        for key in keys:
            for row in session.execute(day_rows(key, scope)):
                *where, n = row
                where[2] = as_date(where[2])
                counts[tuple(where)] += n
    return counts


def count_before(session: Session, flush_context, instances) -> None:
    """Before a flush: count the tally rows of the patients and meetings it touches, as they stand."""
    touched = what_changed(session)
    if not touched or not is_built(session):
        return  # nothing a drill-down reads; or the figures come from the records until the next rebuild
    _resolve(session, touched)
    keys = sorted(touched.drills - touched.recount)
    _hold(session, touched)
    session.info["kpi_tallies"] = (touched, keys, _count(session, touched, keys))


def _hold(session: Session, touched: Touched) -> None:
    """Hold the touched patients and meetings until commit, so that no other transaction changes their rows between
    this flush's two counts (its difference would then carry that change too, and the change be counted twice).

    PostgreSQL only: each statement of a READ COMMITTED transaction sees what others committed since. FOR NO KEY
    UPDATE, taken in id order, queues the transactions that change the same patient's tallies and lets inserts that
    merely refer to the patient through. SQLite needs nothing: every transaction begins IMMEDIATE (models/base.py),
    one writer at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model, ids in ((Patient, touched.patients), (Meeting, touched.meetings)):
        if ids:
            held = select(model.id).where(model.id.in_(sorted(ids))).order_by(model.id)
            session.connection().execute(held.with_for_update(key_share=True))


def count_after(session: Session, flush_context) -> None:
    """After a flush: count the same rows again and add the difference to the tallies."""
    pending = session.info.pop("kpi_tallies", None)
    if pending is None:
        return
    touched, keys, before = pending
    now = _resolve(session, what_changed(session))  # the same records, now with the keys of those just inserted
    inserted = {o.id for o in session.new if isinstance(o, Patient | Meeting)}
    if ((now.patients - touched.patients) | (now.meetings - touched.meetings)) - inserted:
        # A record reached an existing patient only through the flush: its rows before it are unknown. The figures
        # come from the records until the next rebuild (the nightly job), never a rebuild inside this request.
        log.warning("KPI tallies marked out of date: a change reached a patient or meeting only through its flush")
        mark_out_of_date(session)
        return
    touched.patients |= now.patients
    touched.meetings |= now.meetings
    after = _count(session, touched, keys)
    after.subtract(before)
    _add(session, {k: n for k, n in after.items() if n})
    if touched.recount:
        rebuild(session, sorted(touched.recount))


def _add(session: Session, change: dict[tuple, int]) -> None:
    """Add the change to the day rows and their month rows (upsert on the key), then drop the rows at zero."""
    if not change:
        return
    rows: Counter = Counter()
    for (drill, practice, on, locality, *parts, value), n in change.items():
        for grain, day in (("day", on), ("month", on.replace(day=1))):
            for each in (practice, ALL_PRACTICES):
                rows[(drill, grain, each, day, locality, *(p or "" for p in parts), value)] += n
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    conn = session.connection()
    values = [dict(zip(KEY, key, strict=True), n=n) for key, n in rows.items() if n]
    for first in range(0, len(values), 500):
        statement = dialect.insert(KpiTally).values(values[first : first + 500])
        conn.execute(statement.on_conflict_do_update(index_elements=list(KEY),
                                                     set_={"n": KpiTally.n + statement.excluded.n}))  # fmt: skip
    # The rows taken down that came to zero, one key at a time (executemany): the primary key finds each row, where
    # a row-value IN or an IN on the days alone would scan the drill-down's rows.
    down = [{f"k_{name}": v for name, v in zip(KEY, key, strict=True)} for key, n in rows.items() if n < 0]
    if down:
        at_zero = delete(KpiTally).where(*(getattr(KpiTally, name) == bindparam(f"k_{name}") for name in KEY))
        conn.execute(at_zero.where(KpiTally.n == 0), down)
