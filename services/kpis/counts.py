"""Counts over drill-downs: several figures of one drill-down in one pass over its rows, the caseload at a date,
medians and percentiles, grouped counts. Each reads `tallies.rows_for`: the tally rows, or (a drill-down about
today, or while the tallies are out of date) the records, in the same columns."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Integer, cast, func, select

from models import DomainError, db
from services.kpis import tallies
from services.kpis.drills import DATA_QUALITY, DRILLS, Drill
from services.kpis.links import Link, part_value
from services.kpis.periods import EVER, Scope


def count_links(targets: dict[str, Link], scope: Scope) -> dict[str, int]:
    """{name: count} of each link's records, one query per drill-down: its links are counted together in one pass
    over its rows."""
    by_drill: dict[str, list[tuple[str, Link]]] = {}
    for name, target in targets.items():
        by_drill.setdefault(target.drill, []).append((name, target))
    out: dict[str, int] = {}
    for key, wanted in by_drill.items():
        drill = DRILLS[key]
        live = any(part in drill.live_parts for _, target in wanted for part, _ in target.where)
        rows = tallies.rows_for(key, scope, days_only=live)
        sums = [tallies.n_where(rows, part_rules(drill, rows, t.where, scope)).label(n) for n, t in wanted]
        out.update(db.session.execute(select(*sums)).one()._mapping)
    return out


def caseload_counts(scope: Scope) -> dict[str, int]:
    """The caseload at the period's end and its data quality: the episodes opened by then less those closed by then
    (an episode closes on or after the day it opens), in two queries whatever the period."""
    ever = replace(scope, start=EVER[0], end=scope.as_at)
    out: dict[str, int] = {}
    for key, sign in (("opened", 1), ("closed", -1)):
        rows = tallies.rows_for(key, ever)
        wanted = {"caseload": [], **{p: [rows.c[f"part_{p}"] == "yes"] for p in DATA_QUALITY}}
        sums = db.session.execute(select(*(tallies.n_where(rows, r).label(n) for n, r in wanted.items()))).one()
        for name, n in sums._mapping.items():
            out[name] = out.get(name, 0) + sign * n
    return out


def part_rules(drill: Drill, rows, where, scope: Scope) -> list:
    """A link's parts as conditions on a drill-down's rows: parts compare as text, a part about today is worked out
    from the row's day."""
    rules = []
    for name, value in where:
        if name not in drill.parts:
            raise DomainError("This list cannot be narrowed that way.")
        if name in drill.live_parts:
            rules.append(drill.live_parts[name](rows.c.on, scope) == (value == "yes"))
        else:
            column = rows.c[f"part_{name}"]  # parts are text here; organisations are ids in the records
            rules.append(column == str(part_value(column, value, number=name == "organisation")))
    return rules


def percentiles_of(key: str, scope: Scope) -> tuple[int | None, int | None]:
    """The median and 90th percentile (nearest rank) of a drill-down's values (the rows that have one: a concern's
    days to referral only once referred), in one query over its value rows."""
    rows = tallies.rows_for(key, scope, values=tallies.DAYS)
    return tuple(db.session.execute(tallies.percentiles(rows)).one())


def grouped(target: Link, scope: Scope, *parts: str) -> list:
    """(part values..., count) of a link's records, grouped by the parts named."""
    drill = DRILLS[target.drill]
    rows = tallies.rows_for(target.drill, scope)
    columns = [cast(rows.c[f"part_{p}"], Integer) if p == "organisation" else rows.c[f"part_{p}"] for p in parts]
    query = select(*columns, func.sum(rows.c.n)).where(*part_rules(drill, rows, target.where, scope))
    return db.session.execute(query.group_by(*columns)).all()
