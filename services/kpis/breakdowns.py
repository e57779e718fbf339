"""The breakdowns behind the report's tables and charts, one query each: referrals by month and referrer, triage
outcomes and decline reasons, agencies' attendance (with the meetings missed in a row), actions by owner, onward
referrals by service and outcome, signposting by service and by whom it was given to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_, select

from models import Locality, Organisation, TriageOutcome, db
from services.kpis import tallies
from services.kpis.counts import grouped, part_rules
from services.kpis.drills import DRILLS, TOOK_PART
from services.kpis.links import Link, link
from services.kpis.periods import Scope


@dataclass
class Breakdowns:
    locality: str
    practice: str
    organisations: dict[int, str]
    months: list[tuple[date, date, int, int]]  # first, last, received, accepted (triaged in that month)
    referrers: list[tuple[int, int]]
    outcomes: dict[str, int]
    reasons: list[tuple[str, int]]
    agencies: list[dict]
    actions_by_org: list[tuple[int, int, int]]  # organisation, due, on time
    overdue_by_org: dict[int, int]
    onward: list[tuple[str, str, int]]  # service, outcome, count
    signposting: list[tuple[str, str, int]]  # service, given to, count


BREAKDOWNS = frozenset({"months", "agencies", "actions", "referrers", "triage", "onward", "signposting"})


def month_counts(scope: Scope) -> list[tuple[date, date, int, int]]:
    """Referrals received and accepted in each month of the period: one scan of each drill-down."""
    months = scope.months()

    def per_month(target: Link):
        rows = tallies.rows_for(target.drill, scope)
        rules = part_rules(DRILLS[target.drill], rows, target.where, scope)
        sums = [tallies.n_where(rows, [rows.c.on.between(a, b), *rules]) for a, b in months]
        return db.session.execute(select(*sums)).one()

    got, took = per_month(link("received")), per_month(link("triaged", outcome=TriageOutcome.accept.value))
    return [(a, b, got[i], took[i]) for i, (a, b) in enumerate(months)]


def count_breakdowns(scope: Scope, parts: frozenset = BREAKDOWNS) -> Breakdowns:
    agencies = agency_rows(scope) if "agencies" in parts else []
    actions, overdue = {}, {}
    if "actions" in parts:
        for organisation, on_time, count in grouped(link("actions_due"), scope, "organisation", "on_time"):
            due, done = actions.get(organisation, (0, 0))
            actions[organisation] = (due + count, done + (count if on_time == "yes" else 0))
        overdue = dict(grouped(link("actions_overdue"), scope, "organisation"))
    referrers = (
        sorted(grouped(link("received"), scope, "organisation"), key=lambda r: -r[1]) if "referrers" in parts else []
    )
    outcomes: dict[str, int] = {}
    reasons: dict[str, int] = {}
    if "triage" in parts:
        for outcome, reason, count in grouped(link("triaged"), scope, "outcome", "reason"):
            outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + count
            if outcome == TriageOutcome.decline.value:
                reasons[str(reason)] = reasons.get(str(reason), 0) + count
    onward = (
        [(s, str(o), c) for s, o, c in grouped(link("onward"), scope, "service", "outcome")]
        if "onward" in parts
        else []
    )
    signposting = (
        [(s, str(g), c) for s, g, c in grouped(link("signposting"), scope, "service", "given_to")]
        if "signposting" in parts
        else []
    )
    wanted = {a["organisation_id"] for a in agencies} | set(actions) | set(overdue) | {r for r, _ in referrers}
    wanted |= {i for i in (scope.locality_id, scope.practice_id) if i}
    organisations = dict(
        db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))).all()
    )
    locality = db.session.get(Locality, scope.locality_id).name if scope.locality_id else "All localities"
    return Breakdowns(
        locality=locality,
        practice=organisations.get(scope.practice_id, "All GP practices") if scope.practice_id else "All GP practices",
        organisations=organisations,
        months=month_counts(scope) if "months" in parts else [],
        referrers=referrers,
        outcomes=outcomes,
        reasons=sorted(reasons.items(), key=lambda r: -r[1]),
        agencies=agencies,
        actions_by_org=sorted(((o, d, t) for o, (d, t) in actions.items()), key=lambda r: -r[1]),
        overdue_by_org=overdue,
        onward=sorted(onward),
        signposting=sorted(signposting),
    )


def agency_rows(scope: Scope) -> list[dict]:
    """Per agency invited to the period's meetings: invited, attended, apologies, absent, and the latest meetings
    missed in a row. Three queries over the tallies: the counts (a few rows a month), then from the rows in meeting
    order the latest attended meeting of each agency and the meetings after it."""
    rows = tallies.rows_for("agency_meetings", scope)
    attended = rows.c.part_outcome == "attended"
    counts = {
        int(r.organisation): dict(r._mapping)
        for r in db.session.execute(
            select(
                rows.c.part_organisation.label("organisation"),
                func.sum(rows.c.n).label("invited"),
                *(tallies.n_where(rows, [rows.c.part_outcome == o]).label(o) for o in TOOK_PART.values()),
                func.max(case((attended, rows.c.on))).label("last_attended_on"),
            ).group_by(rows.c.part_organisation)
        )
    }
    # The run of misses: each agency's meetings after the time of its latest attended one. Two plain scans of the
    # rows in meeting order (their value is the meeting's time): the latest attended time per agency, then the rows
    # after it. (One query joining the rows to a per-agency "last" took PostgreSQL 33 s for a year.)
    ordered = tallies.rows_for("agency_meetings", scope, days_only=True, values=tallies.ORDER)
    latest = dict(
        db.session.execute(
            select(ordered.c.part_organisation, func.max(ordered.c.value))
            .where(ordered.c.part_outcome == "attended")
            .group_by(ordered.c.part_organisation)
        ).all()
    )
    runs = {}
    if latest:
        after = or_(*(and_(ordered.c.part_organisation == org, ordered.c.value > last) for org, last in latest.items()))
        runs = dict(
            db.session.execute(
                select(ordered.c.part_organisation, func.sum(ordered.c.n))
                .where(after)
                .group_by(ordered.c.part_organisation)
            ).all()
        )
    out = []
    for organisation, row in counts.items():
        # Never attended in the period: every meeting it was invited to is in the run.
        in_a_row = runs.get(str(organisation), 0) if row["last_attended_on"] else row["invited"]
        out.append({**{k: row[k] for k in ("invited", *TOOK_PART.values())}, "organisation_id": organisation,
                    "in_a_row": in_a_row})  # fmt: skip
    return out
