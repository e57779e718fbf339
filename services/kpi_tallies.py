"""The KPI tallies: each drill-down's rows counted per day and per month (`KpiTally`), so that the figures of a period
are sums over a few thousand tally rows rather than scans of hundreds of thousands of records.

One definition: a tally row is the drill-down's own query (`services.kpis.DRILLS`) grouped by the date that puts a
row in a period, the locality and GP practice the filters look at, the part values and the value (days, for a
median). The list a figure links to still runs that query on the records, so a figure and its list agree as long as
the tallies are in step, which this module keeps them:

- **In the same transaction as every change.** Before a flush, the rows of the patients and meetings it touches are
  counted from the database (what the tallies already hold for them); after it, counted again; the difference is
  added to the day rows and the month rows. A rollback takes the tally change back with the records.
- **What a change touches** is said once, in `_touched`: the patient a record is about (through its referral,
  episode or care plan where it has no patient of its own), a meeting and the patients listed at it, the patients
  of a practice that moves locality. Which drill-downs to re-count comes from each drill-down's `depends`.
- **Rebuilt from the records** when there is no build row of this `TALLY_VERSION` (a new database, the demo's bulk
  load, a changed definition): the next report does it first, or `flask rebuild-kpi-tallies`. Changing what a
  drill-down selects means raising `TALLY_VERSION`.

Not tallied: the figures about today (actions overdue, reviews overdue, the caseload at a date) and the agencies'
attendance (its "missed in a row" follows the meetings' order), which are counted from the records.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import Integer, String, and_, bindparam, case, cast, delete, func, inspect, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import (
    Action,
    AgendaItem,
    Attendance,
    CarePlan,
    CarePlanShare,
    ClosureGoal,
    Contact,
    Episode,
    HospitalEvent,
    KpiTally,
    KpiTallyBuild,
    Meeting,
    OnwardReferral,
    Organisation,
    Patient,
    Referral,
    SafeguardingConcern,
    Setting,
    TriageDecision,
    db,
)
from models.base import utcnow
from models.system import ALL_PRACTICES, NO_VALUE
from services.settings import CARE_PLAN_SHARE_DAYS

#: Raise when a drill-down's query changes what it counts: the next report rebuilds the tallies.
TALLY_VERSION = 1
#: A scope wide enough for every record (meetings' times are compared in UTC, so not date.max).
EVER = (date(1900, 1, 1), date(2999, 12, 31))
_KEY = ("drill", "grain", "practice_id", "on", "locality_id", "part_1", "part_2", "part_3", "value")
_ORDER = (*_KEY, "n")
_PARTS = 3
#: The suffixes of a drill-down's value rows: days, for its medians; or its rows' order (a meeting's time).
DAYS = ":days"
ORDER = ":order"


def _drills():
    from services.kpis import DRILLS  # the drill-downs import nothing from here; the tallies follow them

    return DRILLS


def tallied_parts(drill) -> list[str]:
    """The parts a tally row keeps (at most three): the drill-down's parts less those about today."""
    return [p for p in drill.parts if p not in drill.live_parts]


def _day_rows(key: str, scope):
    """The drill-down's rows in `scope`, counted per day, locality, practice and part values; a drill-down with days
    for a median has its values counted apart, in rows of its own ("<key>:days"), so that its counts stay few."""
    drill = _drills()[key]
    sub = drill.build(scope).subquery()
    parts = tallied_parts(drill)
    where = [
        func.coalesce(sub.c.scope_practice, 0).label("practice_id"),
        sub.c[drill.period].label("on"),
        func.coalesce(sub.c.scope_locality, 0).label("locality_id"),
        *(
            cast(sub.c[f"part_{parts[i]}"], String(40)).label(f"part_{i + 1}") if i < len(parts)
            else literal("", String(40)).label(f"part_{i + 1}")
            for i in range(_PARTS)
        ),
    ]  # fmt: skip
    has_value = "value" in sub.c

    def counted(name: str, value, parts=where):
        columns = [literal(name, String(40)).label("drill"), *parts, value.label("value")]
        return select(*columns, func.count().label("n")).group_by(*columns[1:])

    if not has_value:
        return counted(key, literal(NO_VALUE))
    if drill.ordered:
        return counted(key, literal(NO_VALUE)).union_all(counted(key + ORDER, sub.c.value))
    # The value rows keep no parts (a median is of the whole drill-down), so that they stay few.
    no_parts = [*where[:3], *(literal("", String(40)).label(f"part_{i + 1}") for i in range(_PARTS))]
    days = counted(key + DAYS, sub.c.value, no_parts).where(sub.c.value.is_not(None))
    return counted(key, literal(NO_VALUE)).union_all(days)


# --- rebuilding from the records ------------------------------------------------------------------------------------


def rebuild(session: Session | None = None, keys: list[str] | None = None) -> int:
    """Count every tallied drill-down (or those named) afresh from the records; returns the rows written."""
    from services.kpis import Scope

    session = session or db.session()
    conn = session.connection()
    keys = keys or [k for k, d in _drills().items() if d.tallied]
    conn.execute(delete(KpiTally).where(KpiTally.drill.in_(_with_value_rows(keys))))
    everything = Scope(*EVER, tallying=True)
    written = 0
    for key in keys:
        rows = _day_rows(key, everything).subquery()
        columns = [rows.c[c] for c in (_ORDER[:1] + _ORDER[2:])]
        query = select(columns[0], literal("day", String(5)), *columns[1:])
        written += conn.execute(KpiTally.__table__.insert().from_select(_ORDER, query)).rowcount or 0
    day = KpiTally.__table__.c
    every_practice = (
        select(day.drill, day.grain, literal(ALL_PRACTICES), day.on, day.locality_id, day.part_1, day.part_2,
               day.part_3, day.value, func.sum(day.n))
        .where(day.grain == "day", day.drill.in_(_with_value_rows(keys)))
        .group_by(day.drill, day.grain, day.on, day.locality_id, day.part_1, day.part_2, day.part_3, day.value)
    )  # fmt: skip
    written += conn.execute(KpiTally.__table__.insert().from_select(_ORDER, every_practice)).rowcount or 0
    month = _month_of(session, day.on)
    by_month = (
        select(day.drill, literal("month", String(5)), day.practice_id, month, day.locality_id, day.part_1,
               day.part_2, day.part_3, day.value, func.sum(day.n))
        .where(day.grain == "day", day.drill.in_(_with_value_rows(keys)))
        .group_by(day.drill, day.practice_id, month, day.locality_id, day.part_1, day.part_2, day.part_3, day.value)
    )  # fmt: skip
    written += conn.execute(KpiTally.__table__.insert().from_select(_ORDER, by_month)).rowcount or 0
    if set(keys) == {k for k, d in _drills().items() if d.tallied}:
        conn.execute(delete(KpiTallyBuild))
        conn.execute(KpiTallyBuild.__table__.insert().values(version=TALLY_VERSION, built_at=utcnow()))
    return written


def _with_value_rows(keys: list[str]) -> list[str]:
    return [name for k in keys for name in (k, k + DAYS, k + ORDER)]


def _month_of(session: Session, column):
    """The first day of a date's month, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", column), KpiTally.on.type)
    return func.date(column, "start of month")


def is_built(session: Session) -> bool:
    return session.scalar(select(KpiTallyBuild.id).where(KpiTallyBuild.version == TALLY_VERSION).limit(1)) is not None


def ensure_built(session: Session | None = None) -> None:
    """Rebuild the tallies when they were never built, or built by another version of the definitions."""
    session = session or db.session()
    if not is_built(session):
        rebuild(session)


# --- keeping them in step -------------------------------------------------------------------------------------------


@dataclass
class Touched:
    """What a flush changes, as the tallies see it."""

    patients: set[int] = field(default_factory=set)
    meetings: set[int] = field(default_factory=set)
    kinds: set[type] = field(default_factory=set)
    #: A setting that every row of a drill-down depends on changed: re-count those drill-downs whole.
    recount: set[str] = field(default_factory=set)
    #: A patient or organisation moved: every drill-down about patients is re-counted for them.
    scope_moved: bool = False

    def __bool__(self) -> bool:
        return bool(self.patients or self.meetings or self.kinds or self.recount or self.scope_moved)


#: Records about a patient through another record: (model, its key to the other record, the other model).
_THROUGH = {TriageDecision: ("referral_id", Referral), ClosureGoal: ("episode_id", Episode),
            CarePlanShare: ("care_plan_id", CarePlan)}  # fmt: skip
#: The patient's columns a drill-down's parts read (data quality), besides those that move it (archived, practice).
_PATIENT_PARTS = ("nhs_number_status", "cfs", "efi")
_ABOUT_A_PATIENT = (Referral, Episode, AgendaItem, Action, OnwardReferral, SafeguardingConcern, HospitalEvent, CarePlan)


def _values(obj, attribute: str) -> set:
    """Every value the attribute had or has in this flush (a record moved from one patient to another touches both)."""
    history = inspect(obj).attrs[attribute].history
    found = {*history.added, *history.deleted, *history.unchanged, getattr(obj, attribute)}
    return {v for v in found if v is not None}


def _related_id(obj, attribute: str, relation: str) -> set:
    ids = _values(obj, attribute)
    loaded = inspect(obj).dict.get(relation)  # a related record set on the object, not yet flushed into the key
    if loaded is not None and inspect(loaded).has_identity:
        ids.add(loaded.id)
    return ids


def _changed(obj, *attributes: str) -> bool:
    """Whether any of the attributes changed (name both a key and its relationship: setting the related record
    changes the key only when the flush runs)."""
    state = inspect(obj)
    return any(state.attrs[a].history.has_changes() for a in attributes)


def _touched(session: Session) -> Touched:  # noqa: C901 - split with the KPI package (issue 25)
    touched = Touched()
    through: dict[type, set[int]] = {}
    practices: set[int] = set()
    contacts: set[int] = set()
    for obj in [*session.new, *session.dirty, *session.deleted]:
        kind = type(obj)
        persistent = inspect(obj).has_identity
        if isinstance(obj, Patient):
            if (
                obj in session.new
                or obj in session.deleted
                or _changed(obj, "archived_at", "gp_practice_id", "gp_practice")
            ):
                if persistent:
                    touched.patients.add(obj.id)
                touched.scope_moved = True
            elif _changed(obj, *_PATIENT_PARTS):
                touched.patients.add(obj.id)
                touched.kinds.add(Patient)
        elif isinstance(obj, _ABOUT_A_PATIENT):
            touched.patients |= _related_id(obj, "patient_id", "patient")
            touched.kinds.add(kind)
        elif kind in _THROUGH:
            key, other = _THROUGH[kind]
            through.setdefault(other, set()).update(_related_id(obj, key, key.removesuffix("_id")))
            touched.kinds.add(kind)
        elif isinstance(obj, Meeting):
            if persistent:
                touched.meetings.add(obj.id)
            touched.kinds.add(Meeting)
        elif isinstance(obj, Attendance):
            touched.meetings |= _related_id(obj, "meeting_id", "meeting")
            touched.kinds.add(Attendance)
        elif isinstance(obj, Contact) and persistent and _changed(obj, "organisation_id", "organisation"):
            contacts.add(obj.id)
        elif isinstance(obj, Organisation) and persistent and _changed(obj, "locality_id", "locality"):
            practices.add(obj.id)
            touched.scope_moved = True
        elif isinstance(obj, Setting) and obj.key == CARE_PLAN_SHARE_DAYS:
            touched.recount.add("first_discussed_patients")
    with session.no_autoflush:
        for other, ids in through.items():
            if ids:
                touched.patients.update(session.scalars(select(other.patient_id).where(other.id.in_(sorted(ids)))))
        if contacts:
            attended = select(Attendance.meeting_id).where(Attendance.contact_id.in_(sorted(contacts)))
            touched.meetings.update(session.scalars(attended.distinct()))
            touched.kinds.add(Contact)
        if touched.meetings:
            listed = select(AgendaItem.patient_id).where(AgendaItem.meeting_id.in_(sorted(touched.meetings)))
            touched.patients.update(session.scalars(listed.distinct()))
            touched.kinds.add(AgendaItem)
        if practices:
            moved = select(Patient.id).where(Patient.gp_practice_id.in_(sorted(practices)))
            touched.patients.update(session.scalars(moved))
    return touched


def _drills_for(touched: Touched) -> list[str]:
    out = []
    for key, drill in _drills().items():
        if not drill.tallied or key in touched.recount:
            continue
        about_patients = drill.practice_rule != "meeting"
        if (touched.scope_moved and about_patients) or touched.kinds & set(drill.depends):
            out.append(key)
    return out


def _count(session: Session, touched: Touched, keys: list[str]) -> Counter:
    from services.kpis import Scope

    scope = Scope(*EVER, patients=frozenset(touched.patients), meetings=frozenset(touched.meetings), tallying=True)
    counts: Counter = Counter()
    with session.no_autoflush:
        for key in keys:
            for row in session.execute(_day_rows(key, scope)):
                *where, n = row
                where[2] = _as_date(where[2])
                counts[tuple(where)] += n
    return counts


def _as_date(value) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def count_before(session: Session, flush_context, instances) -> None:
    """Before a flush: count the tally rows of the patients and meetings it touches, as they stand."""
    touched = _touched(session)
    if not touched or not is_built(session):
        return  # never built yet: the next report builds them from the records, this change included
    keys = _drills_for(touched)
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
    now = _touched(session)  # the same records, now with the keys of those just inserted
    inserted = {o.id for o in session.new if isinstance(o, Patient | Meeting)}
    if ((now.patients - touched.patients) | (now.meetings - touched.meetings)) - inserted:
        # A record reached an existing patient only through the flush: its old rows are unknown, so count afresh.
        session.connection().execute(delete(KpiTallyBuild))
        return
    touched = replace(touched, patients=touched.patients | now.patients, meetings=touched.meetings | now.meetings)
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
    values = [dict(zip(_KEY, key, strict=True), n=n) for key, n in rows.items() if n]
    for first in range(0, len(values), 500):
        statement = dialect.insert(KpiTally).values(values[first : first + 500])
        conn.execute(statement.on_conflict_do_update(index_elements=list(_KEY),
                                                     set_={"n": KpiTally.n + statement.excluded.n}))  # fmt: skip
    # The rows taken down that came to zero, one key at a time (executemany): the primary key finds each row, where
    # a row-value IN or an IN on the days alone would scan the drill-down's rows.
    down = [{f"k_{name}": v for name, v in zip(_KEY, key, strict=True)} for key, n in rows.items() if n < 0]
    if down:
        at_zero = delete(KpiTally).where(*(getattr(KpiTally, name) == bindparam(f"k_{name}") for name in _KEY))
        conn.execute(at_zero.where(KpiTally.n == 0), down)


# --- reading --------------------------------------------------------------------------------------------------------


def _spans(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months of a period (first and last month's 1st), and the days outside them."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after_end = end + timedelta(days=1)
    last = after_end.replace(day=1) - timedelta(days=1)  # the last day of the last whole month
    if first > last:
        return None, [(start, end)]
    days = [(a, b) for a, b in ((start, first - timedelta(days=1)), (last + timedelta(days=1), end)) if a <= b]
    return (first, last.replace(day=1)), days


def tally_rows(key: str, scope, *, days_only: bool = False, values: str = ""):
    """The tally rows of a drill-down for the scope (or its value rows: `values=DAYS` or `ORDER`), as a subquery
    with `on`, `part_<name>`, `value` and `n`."""
    from services.kpis import dated

    drill = _drills()[key]
    scope = dated(drill, scope)
    t = KpiTally
    if days_only:
        months, days = None, [(scope.start, scope.end)]
    else:
        months, days = _spans(scope.start, scope.end)
    periods = [and_(t.grain == "day", t.on.between(a, b)) for a, b in days]
    if months:
        periods.append(and_(t.grain == "month", t.on.between(*months)))
    by_practice = scope.practice_id and drill.practice_rule in ("patient", "both")
    rules = [t.drill == key + values, t.practice_id == (scope.practice_id if by_practice else ALL_PRACTICES)]
    rules.append(or_(*periods))
    if scope.locality_id:
        rules.append(t.locality_id == scope.locality_id)
    if scope.practice_id and drill.practice_rule in ("meeting", "both"):
        practice_locality = select(Organisation.locality_id).where(Organisation.id == scope.practice_id)
        rules.append(t.locality_id == practice_locality.scalar_subquery())
    parts = tallied_parts(drill)
    columns = [t.on.label("on"), *(getattr(t, f"part_{i + 1}").label(f"part_{p}") for i, p in enumerate(parts))]
    return select(*columns, t.value.label("value"), t.n.label("n")).where(*rules).subquery()


def n_where(rows, rules: list):
    """The sum of `n` over the tally rows meeting the rules (0 when none)."""
    if not rules:
        return func.coalesce(func.sum(rows.c.n), 0)
    return func.coalesce(func.sum(case((and_(*rules), rows.c.n), else_=0)), 0)


def percentiles(rows) -> tuple:
    """The median and 90th percentile (nearest rank) of the rows' values, weighted by their counts, in one query."""
    values = rows.c.value
    histogram = select(values.label("v"), func.sum(rows.c.n).label("n")).where(values != NO_VALUE).group_by(values)
    histogram = histogram.subquery()
    # Cast: PostgreSQL sums a sum as numeric, where the ranks need whole numbers.
    running = select(
        histogram.c.v,
        cast(func.sum(histogram.c.n).over(order_by=histogram.c.v), Integer).label("upto"),
        cast(func.sum(histogram.c.n).over(), Integer).label("total"),
    ).subquery()

    def at(rank):
        return func.min(case((running.c.upto >= rank, running.c.v)))

    return select(at((running.c.total + 1) // 2), at((running.c.total * 9 + 9) // 10))
