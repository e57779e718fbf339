"""A figure's way to its records: a drill-down (`Link`), narrowed by parts and dates, as a page address carries it
and as a query over the records (`drill_query`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Integer, select

from formats.numbers import MAX_ID, whole_number
from models import DomainError
from services.kpis.drills import DRILLS, Drill
from services.kpis.periods import Scope


@dataclass(frozen=True)
class Link:
    """A figure's way to its records: a drill-down, narrowed by parts (`where`) and/or other dates."""

    drill: str
    where: tuple[tuple[str, str], ...] = ()
    start: date | None = None
    end: date | None = None

    def args(self) -> dict:
        """The drill-down page's query arguments (the period and filters are added by the page)."""
        out: dict = {"drill": self.drill}
        if self.where:
            out["part"] = [f"{name}:{value}" for name, value in self.where]
        if self.start:
            out["from"], out["to"] = self.start.isoformat(), self.end.isoformat()
        return out


def link(drill: str, start: date | None = None, end: date | None = None, **where) -> Link:
    """`link("actions_due", organisation=5, on_time="yes")`: the records behind one figure."""
    return Link(drill, tuple((name, str(value)) for name, value in where.items()), start, end)


def parse_parts(values: list[str]) -> tuple[tuple[str, str], ...]:
    """`["organisation:5", "outcome:attended"]` from a page address, back into a link's parts."""
    parts = []
    for value in values:
        name, colon, rest = value.partition(":")
        if not colon:
            raise DomainError("This list cannot be narrowed that way.")
        parts.append((name, rest))
    return tuple(parts)


def dated(drill: Drill, scope: Scope, target: Link | None = None) -> Scope:
    """The scope with the dates a figure counts: a link's own dates (a month of the period), or those of a figure
    about today."""
    if target is not None and target.start:
        return replace(scope, start=target.start, end=target.end)
    if drill.period_of:
        return replace(scope, start=drill.period_of(scope)[0], end=drill.period_of(scope)[1])
    return scope


def drill_query(target: Link, scope: Scope):
    """The records behind a figure, as a subquery (its rows are the figure's count)."""
    drill = DRILLS.get(target.drill)
    if drill is None:
        raise DomainError("There is no such list of records.")
    query = drill.build(dated(drill, scope, target))
    if not target.where:
        return query.subquery()
    sub = query.subquery()
    rules = []
    for name, value in target.where:
        if name not in drill.parts:
            raise DomainError("This list cannot be narrowed that way.")
        column = sub.c[f"part_{name}"]
        rules.append(column == part_value(column, value))
    return select(sub).where(*rules).subquery()


def part_value(column, value: str, number: bool | None = None):
    """A part's value from a page address: a number for a numeric part (an organisation's id), else the text."""
    if isinstance(column.type, Integer) if number is None else number:
        number = whole_number(value, minimum=-MAX_ID)
        if number is None:
            raise DomainError("This list cannot be narrowed that way.")
        return number
    return value
