"""The KPI tallies: each tallied drill-down's rows counted per day and per month (`KpiTally`), so that the figures of
a period are sums over a few thousand tally rows rather than scans of hundreds of thousands of records.

One definition: a tally row is the drill-down's own query (`services.kpis.drills.DRILLS`) grouped by the date that
puts a row in a period, the locality and GP practice the filters look at, the part values and the value (days, for a
median). The list a figure links to still runs that query on the records, so a figure and its list agree as long as
the tallies are in step: `services.kpis.upkeep` keeps them so at every flush.

Built from the records by `rebuild` (`flask rebuild-kpi-tallies`, the demo seeder, the nightly job), never inside a
request: while there is no build row of this `TALLY_VERSION` the figures are counted from the records instead
(`rows_for` reads either, in the same columns) and the dashboard says so. Changing what a drill-down selects means
raising `TALLY_VERSION`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import Integer, String, and_, case, cast, delete, func, literal, or_, select
from sqlalchemy.orm import Session

from models import KpiTally, KpiTallyBuild, Organisation, db
from models.base import utcnow
from models.system import ALL_PRACTICES, NO_VALUE
from services.kpis.drills import DRILLS
from services.kpis.links import dated
from services.kpis.periods import EVER, Scope

#: Raise when a drill-down's query changes what it counts: the figures are counted from the records until the
#: tallies are rebuilt. 2: the bank holidays of every year are stored (a working-day count no longer depends on
#: which years a report had asked for before). 3: signposting is its own record (migration 0020), counted apart
#: from the onward referrals.
TALLY_VERSION = 3
KEY = ("drill", "grain", "practice_id", "on", "locality_id", "part_1", "part_2", "part_3", "value")
_COLUMNS = (*KEY, "n")
_PARTS = 3
#: The suffixes of a drill-down's value rows: days, for its medians; or its rows' order (a meeting's time).
DAYS = ":days"
ORDER = ":order"


def tallied_parts(drill) -> list[str]:
    """The parts a tally row keeps (at most three): the drill-down's parts less those about today."""
    return [p for p in drill.parts if p not in drill.live_parts]


def _part_columns(sub, parts: list[str]) -> list:
    return [
        cast(sub.c[f"part_{parts[i]}"], String(40)).label(f"part_{i + 1}")
        if i < len(parts)
        else literal("", String(40)).label(f"part_{i + 1}")
        for i in range(_PARTS)
    ]


def day_rows(key: str, scope: Scope):
    """The drill-down's rows in `scope`, counted per day, locality, practice and part values; a drill-down with days
    for a median has its values counted apart, in rows of its own ("<key>:days"), so that its counts stay few."""
    drill = DRILLS[key]
    sub = drill.build(scope).subquery()
    where = [
        func.coalesce(sub.c.scope_practice, 0).label("practice_id"),
        sub.c[drill.period].label("on"),
        func.coalesce(sub.c.scope_locality, 0).label("locality_id"),
        *_part_columns(sub, tallied_parts(drill)),
    ]

    def counted(name: str, value, parts=where):
        columns = [literal(name, String(40)).label("drill"), *parts, value.label("value")]
        return select(*columns, func.count().label("n")).group_by(*columns[1:])

    if "value" not in sub.c:
        return counted(key, literal(NO_VALUE))
    if drill.ordered:
        return counted(key, literal(NO_VALUE)).union_all(counted(key + ORDER, sub.c.value))
    # The value rows keep no parts (a median is of the whole drill-down), so that they stay few.
    no_parts = [*where[:3], *_part_columns(sub, [])]
    days = counted(key + DAYS, sub.c.value, no_parts).where(sub.c.value.is_not(None))
    return counted(key, literal(NO_VALUE)).union_all(days)


# --- rebuilding from the records ------------------------------------------------------------------------------------


def tallied_keys() -> list[str]:
    return [key for key, drill in DRILLS.items() if drill.tallied]


def rebuild(session: Session | None = None, keys: list[str] | None = None, progress=None) -> int:
    """Count every tallied drill-down (or those named) afresh from the records; returns the rows written.
    `progress(done, total)` hears of each drill-down counted (the command's progress bar)."""
    session = session or db.session()
    conn = session.connection()
    keys = keys or tallied_keys()
    conn.execute(delete(KpiTally).where(KpiTally.drill.in_(_with_value_rows(keys))))
    everything = Scope(*EVER, tallying=True)
    for done, key in enumerate(keys, start=1):
        rows = day_rows(key, everything).subquery()
        columns = [rows.c[c] for c in (_COLUMNS[:1] + _COLUMNS[2:])]
        query = select(columns[0], literal("day", String(5)), *columns[1:])
        conn.execute(KpiTally.__table__.insert().from_select(_COLUMNS, query))
        if progress:
            progress(done, len(keys))
    day = KpiTally.__table__.c
    every_practice = (
        select(day.drill, day.grain, literal(ALL_PRACTICES), day.on, day.locality_id, day.part_1, day.part_2,
               day.part_3, day.value, func.sum(day.n))
        .where(day.grain == "day", day.drill.in_(_with_value_rows(keys)))
        .group_by(day.drill, day.grain, day.on, day.locality_id, day.part_1, day.part_2, day.part_3, day.value)
    )  # fmt: skip
    conn.execute(KpiTally.__table__.insert().from_select(_COLUMNS, every_practice))
    month = _month_of(session, day.on)
    by_month = (
        select(day.drill, literal("month", String(5)), day.practice_id, month, day.locality_id, day.part_1,
               day.part_2, day.part_3, day.value, func.sum(day.n))
        .where(day.grain == "day", day.drill.in_(_with_value_rows(keys)))
        .group_by(day.drill, day.practice_id, month, day.locality_id, day.part_1, day.part_2, day.part_3, day.value)
    )  # fmt: skip
    conn.execute(KpiTally.__table__.insert().from_select(_COLUMNS, by_month))
    if set(keys) == set(tallied_keys()):
        conn.execute(delete(KpiTallyBuild))
        conn.execute(KpiTallyBuild.__table__.insert().values(version=TALLY_VERSION, built_at=utcnow()))
    # Counted, not summed from each insert's rowcount (which a driver may leave unknown for INSERT ... SELECT).
    return conn.scalar(select(func.count()).select_from(KpiTally).where(KpiTally.drill.in_(_with_value_rows(keys))))


def _with_value_rows(keys: list[str]) -> list[str]:
    return [name for k in keys for name in (k, k + DAYS, k + ORDER)]


def _month_of(session: Session, column):
    """The first day of a date's month, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", column), KpiTally.on.type)
    return func.date(column, "start of month")


def is_built(session: Session | None = None) -> bool:
    """Whether the tallies were built by this version of the definitions (and are kept in step since)."""
    session = session or db.session()
    return session.scalar(select(KpiTallyBuild.id).where(KpiTallyBuild.version == TALLY_VERSION).limit(1)) is not None


def counted_scope(scope: Scope) -> Scope:
    """The scope as figures will be counted: from the tallies, or from the records while the tallies are missing
    or out of date (slower; the page says so)."""
    return replace(scope, from_records=not is_built())


def mark_out_of_date(session: Session) -> None:
    """The tallies can no longer be trusted: figures come from the records until the next rebuild."""
    session.connection().execute(delete(KpiTallyBuild))


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


def rows_for(key: str, scope: Scope, *, days_only: bool = False, values: str = ""):
    """A drill-down's rows for the scope as a subquery with `on`, `part_<name>`, `value` and `n`: its tally rows, or
    (a drill-down about today, or while the tallies are out of date) its records, one row each with `n` 1."""
    drill = DRILLS[key]
    if drill.tallied and not scope.from_records:
        return _tally_rows(key, scope, days_only=days_only, values=values)
    return _record_rows(key, scope, values=values)


def _record_rows(key: str, scope: Scope, *, values: str = ""):
    """The records behind a drill-down in the columns of its tally rows."""
    drill = DRILLS[key]
    sub = drill.build(dated(drill, scope)).subquery()
    parts = tallied_parts(drill)
    has_value = "value" in sub.c
    value = sub.c.value if values and has_value else literal(NO_VALUE)
    columns = [
        sub.c[drill.period].label("on"),
        *(cast(sub.c[f"part_{p}"], String(40)).label(f"part_{p}") for p in parts),
    ]
    query = select(*columns, value.label("value"), literal(1).label("n"))
    if values == DAYS:
        query = query.where(sub.c.value.is_not(None)) if has_value else query.where(literal(False))
    return query.subquery()


def _tally_rows(key: str, scope: Scope, *, days_only: bool = False, values: str = ""):
    """The tally rows of a drill-down for the scope (or its value rows: `values=DAYS` or `ORDER`)."""
    drill = DRILLS[key]
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
    """The sum of `n` over the rows meeting the rules (0 when none)."""
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
