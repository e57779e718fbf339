"""What each tallied drill-down reads, found by walking its query, and how a change to a row of each table it reads
reaches the patients and meetings whose tally rows it moves (`REACH`, declared once per table).

Nothing here is kept by hand a second time: a drill-down whose query starts reading another column or table is
followed by its tallies at once (tests/test_kpis_tallies.py checks that every table a query reads has a reach, that
every reach is read, and changes every column read, one at a time). What a walk cannot see is declared: the settings
a query reads (`Drill.settings`) and the tables written by Core statements, which no flush sees (`CORE_WRITTEN`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Table
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause

from models import CarePlan, Episode, Referral
from services.kpis.drills import DRILLS
from services.kpis.periods import EVER, Scope
from services.kpis.tallies import tallied_keys


@dataclass(frozen=True)
class Reach:
    """How a row of a table reaches the tally rows it moves."""

    #: The column naming the patient the row is about ("id" for the patient's own row).
    patient: str | None = None
    #: The column naming the meeting the row is about ("id" for the meeting's own row).
    meeting: str | None = None
    #: The row is about a patient through another record: (its column naming that record, that record's model).
    through: tuple[str, type] | None = None
    #: A contact reaches the meetings it attended; a GP practice the patients registered with it.
    contact: bool = False
    practice: bool = False


#: Every table a tallied drill-down reads, and how its rows reach patients and meetings.
REACH: dict[str, Reach] = {
    "patient": Reach(patient="id"),
    "referral": Reach(patient="patient_id"),
    "episode": Reach(patient="patient_id"),
    "agenda_item": Reach(patient="patient_id"),
    "action": Reach(patient="patient_id"),
    "onward_referral": Reach(patient="patient_id"),
    "signposting": Reach(patient="patient_id"),
    "safeguarding_concern": Reach(patient="patient_id"),
    "hospital_event": Reach(patient="patient_id"),
    "care_plan": Reach(patient="patient_id"),
    "triage_decision": Reach(through=("referral_id", Referral)),
    "closure_goal": Reach(through=("episode_id", Episode)),
    "care_plan_share": Reach(through=("care_plan_id", CarePlan)),
    "meeting": Reach(meeting="id"),
    "attendance": Reach(meeting="meeting_id"),
    "contact": Reach(contact=True),
    "organisation": Reach(practice=True),
}
#: Tables written by Core statements (no flush sees them): whoever writes one re-counts the drill-downs that read it
#: (`services.calendar.refresh_bank_holidays`).
CORE_WRITTEN = frozenset({"bank_holiday"})


def _table_of(column: ColumnClause) -> Table | None:
    """The table a column belongs to, through any subquery or alias."""
    table = getattr(column, "table", None)
    while table is not None and not isinstance(table, Table):
        table = getattr(table, "element", None)
    return table


def walk(query) -> dict[str, frozenset[str]]:
    """{table: columns} that a query reads, anywhere in it (its subqueries too)."""
    found: dict[str, set[str]] = {}
    for element in visitors.iterate(query):
        if isinstance(element, ColumnClause) and (table := _table_of(element)) is not None:
            found.setdefault(table.name, set()).add(element.name)
    return {name: frozenset(columns) for name, columns in found.items()}


@cache
def drill_reads() -> dict[str, dict[str, frozenset[str]]]:
    """{drill-down: {table: columns}} for every tallied drill-down, walked once per process (the tables and columns
    a query reads do not depend on the settings' values)."""
    everything = Scope(*EVER, tallying=True)
    return {key: walk(DRILLS[key].build(everything)) for key in tallied_keys()}


def readers(table: str, columns: frozenset[str] | None = None) -> list[str]:
    """The tallied drill-downs that read `table` (any of `columns` of it; None: any column at all)."""
    return [
        key for key, reads in drill_reads().items() if table in reads and (columns is None or reads[table] & columns)
    ]


def setting_readers(key: str) -> list[str]:
    """The tallied drill-downs whose query reads the team-lead setting `key`."""
    return [name for name in tallied_keys() if key in DRILLS[name].settings]
