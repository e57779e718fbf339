"""The records behind a figure: a page of them with the patient each is about, the rows of the report's record
sheets, and a drill-down's parts in words."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func, select

from formats.dates import format_date
from formats.numbers import record_id
from models import (
    DeclineReason,
    HospitalEventKind,
    OnwardOutcome,
    Organisation,
    Patient,
    SignpostedTo,
    TriageOutcome,
    db,
)
from services.kpis.counts import count_links
from services.kpis.drills import DRILLS, NOT_RECORDED, TOOK_PART, Drill
from services.kpis.links import Link, dated, drill_query
from services.kpis.periods import Scope, as_date
from services.kpis.tallies import counted_scope


@dataclass
class DrillRow:
    record_id: int
    on: date | None
    patient_id: int | None
    nhs_number: str | None
    patient: str | None
    #: The row's parts in words, by the part's label ("Referrer organisation": "Castle Surgery").
    parts: dict[str, str] = field(default_factory=dict)


def drill_rows(
    link: Link, scope: Scope, limit: int | None = None, offset: int = 0, *, tallied: bool = False
) -> tuple[int, list[DrillRow]]:
    """How many records are behind a figure, and a page of them (oldest first), with the patient each is about and
    the row's parts in words (an agency by its name).

    `tallied`: the number as the dashboard counts it (from the tallies, a few rows), for the page that lists them;
    otherwise counted from the records (456,930 actions took 0.6 s), as the tests do to hold figures to their lists.
    """
    sub = drill_query(link, scope)
    parts = list(DRILLS[link.drill].parts)
    if tallied:
        total = count_links({"total": replace(link, start=None, end=None)}, dated(DRILLS[link.drill], scope, link))
        total = total["total"]
    else:
        total = db.session.scalar(select(func.count()).select_from(sub))
    query = (
        select(sub.c.record_id, sub.c.on, sub.c.patient_id, Patient.nhs_number, Patient.given_name, Patient.family_name,
               *(sub.c[f"part_{p}"] for p in parts))
        .outerjoin(Patient, Patient.id == sub.c.patient_id)
        .order_by(sub.c.on, sub.c.record_id)
        .offset(offset)
    )  # fmt: skip
    if limit is not None:
        query = query.limit(limit)
    found = list(db.session.execute(query))
    words = _part_words(DRILLS[link.drill], [[getattr(r, f"part_{p}") for p in parts] for r in found])
    rows = [
        DrillRow(r.record_id, as_date(r.on), r.patient_id, r.nhs_number,
                 f"{r.family_name.upper()}, {r.given_name}" if r.family_name else None, shown)
        for r, shown in zip(found, words, strict=True)
    ]  # fmt: skip
    return total, rows


def _part_words(drill: Drill, values: list[list]) -> list[dict[str, str]]:
    """Each row's parts in words: agencies by name (one query for the page), stored values by their words."""
    names = list(drill.parts)
    organisation_ids = {row[names.index("organisation")] for row in values} - {None} if "organisation" in names else ()
    query = select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))
    organisations = dict(db.session.execute(query).all()) if organisation_ids else {}
    shown = []
    for row in values:
        words = {}
        for name, value in zip(names, row, strict=True):
            word = organisations.get(value) if name == "organisation" else _PART_WORDS.get(str(value), value)
            words[drill.parts[name]] = "Not recorded" if word is None else str(word)
        shown.append(words)
    return shown


def record_sheet_rows(key: str, scope: Scope, cap: int) -> tuple[list[str], list[list], int, list[int]]:
    """The rows behind a drill-down for the workbook: record id, date, NHS number and its parts in words (as the page
    shows them); at most `cap`, with the total and the patients named (for the audit trail)."""
    drill = DRILLS[key]
    sub = drill_query(Link(key), scope)
    parts = list(drill.parts)
    query = (
        select(sub.c.record_id, sub.c.on, sub.c.patient_id, Patient.nhs_number, *(sub.c[f"part_{p}"] for p in parts))
        .outerjoin(Patient, Patient.id == sub.c.patient_id)
        .order_by(sub.c.on, sub.c.record_id)
        .limit(cap + 1)
    )
    header = [f"{drill.record.capitalize()} id", drill.date_label, "NHS number", *drill.parts.values()]
    found = list(db.session.execute(query))
    # Counted only when the rows are cut, and then as the dashboard counts it (the tallies): a count of the records
    # behind a year's actions took longer than the rows themselves.
    total = count_links({"total": Link(key)}, counted_scope(scope))["total"] if len(found) > cap else len(found)
    kept = found[:cap]
    words = _part_words(drill, [list(values) for _, _, _, _, *values in kept])  # an agency by its name, not its id
    rows = [[record_id, format_date(as_date(on)), nhs_number or "", *shown.values()]
            for (record_id, on, _, nhs_number, *_), shown in zip(kept, words, strict=True)]  # fmt: skip
    return header, rows, total, [row.patient_id for row in kept if row.patient_id]


_PART_WORDS = {
    "yes": "yes",
    "no": "no",
    "discussed": "discussed",
    "rolled_over": "not reached or rolled over",
    "listed": "listed, not yet discussed",
    **{o.value: o.label for o in TriageOutcome},
    **{r.value: r.label for r in DeclineReason},
    **{o.value: o.label for o in OnwardOutcome},
    **{g.value: g.label for g in SignpostedTo},
    NOT_RECORDED: "Not recorded",
    **{v: v for v in TOOK_PART.values()},
    **{k.value: k.label for k in HospitalEventKind},
    "before": "before",
    "after": "after",
}


def describe_parts(target: Link) -> str:
    """ "Agency: Demo Telecare Service; Took part: absent": how a list is narrowed, in words."""
    drill = DRILLS[target.drill]
    words = []
    for name, value in target.where:
        if name == "organisation":
            found = db.session.get(Organisation, record_id(value)) if record_id(value) else None
            shown = found.name if found else "Not recorded"
        else:
            shown = _PART_WORDS.get(value, value)
        words.append(f"{drill.parts.get(name, name)}: {shown}")
    return "; ".join(words)
