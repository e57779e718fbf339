"""Synthetic demo data: two years of an ILR service (Faker en_GB; NHS numbers from the 999 test range only).

`seed_demo(patients=N)` builds every kind of record the tool keeps, for N patients, fast enough for
100,000 patients and a million actions on SQLite in a few minutes:

- rows are plain dicts written with Core `insert()` in chunks (`demo.bulk`), with primary keys assigned
  here, so children reference parents without a round trip and no ORM object is made per row;
- Faker is slow, so it only fills small pools of names and streets; `random.Random(seed)` picks
  from them, which also makes the data the same on every run for the same N, seed and day;
- Core inserts bypass the session's flush listeners (the audit trail, the risk recompute): that is
  what a bulk load wants. The trail gets one entry saying the demo data was loaded, and the risk
  score is computed here with the real rule (`risk.assess`, default points).

The seeders run in this order, sharing one `demo.context.Context`: `organisations` (and the accredited
email domains), `directory` (the services directory), `people`, `meetings` (the schedule), then per patient
`patients` (which calls `referrals`, `meetings` for the agendas, `actions` and `care`, and the contact log),
last `system` (documents, emails, polls, settings, the letterhead); the audit trail is then sealed.
Reference data is in `demo.reference`.

Nothing here is real: organisations are "Demo ...", email addresses are on `*-demo.nhs.net`
subdomains (which pass the secure allow-list but deliver nowhere), on made-up `*-demo.gov.uk` council
and fire service domains or on `example.org`; the councils', fire and housing partners' domains are
recorded as accredited (`demo.reference.ACCREDITED_DOMAINS`), the others not, so a chase to them is
refused. Phone numbers are Ofcom's drama ranges, and outbox emails are all already sent so
`flask send-outbox` sends none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import g
from sqlalchemy import func, select, text

from demo.bulk import advance_sequences
from demo.case_finding import seed_case_finding
from demo.context import Context
from demo.directory import seed_directory
from demo.meetings import seed_meetings
from demo.organisations import seed_organisations
from demo.patients import draw_nhs_numbers, seed_patient
from demo.people import seed_people
from demo.reference import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_recovery_codes, demo_totp_secret
from demo.system import seed_system_records
from models import User, db
from services import risk
from services.audit_seal import seal_audit
from services.caseload import copy_case_scores
from services.kpis import tallies
from services.plans_for_the_gp import rebuild_for_gp
from services.search import index_trail

__all__ = [
    "DEFAULT_PATIENTS",
    "DEFAULT_SEED",
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "demo_recovery_codes",
    "demo_totp_secret",
    "SeedReport",
    "database_is_empty",
    "seed_demo",
]

#: Patients `flask seed-demo` makes by default: enough for a few cases on each weekly agenda.
DEFAULT_PATIENTS = 1000
DEFAULT_SEED = 2026
#: Patients generated before their rows are written, parents first.
BLOCK_PATIENTS = 2_000


@dataclass
class SeedReport:
    """Rows inserted per table, and how long it took."""

    counts: dict[str, int]
    seconds: float


def database_is_empty() -> bool:
    """True when there is no account yet: `flask seed-demo` refuses to add to a database in use unless forced."""
    return not db.session.scalar(select(func.count()).select_from(User))


def seed_demo(patients: int = DEFAULT_PATIENTS, seed: int = DEFAULT_SEED, progress=None) -> SeedReport:
    """Load synthetic demo data for `patients` patients (the caller commits); `progress(done, total)` hears of the
    patients written (the command's progress bar)."""
    started = time.perf_counter()
    ctx = Context(patients, seed)
    session = db.session()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA cache_size=-262144"))  # 256 MB of page cache for the load
    ctx.points = risk.current_points(session)
    ctx.nhs_numbers = draw_nhs_numbers(ctx)
    seed_organisations(ctx)
    seed_directory(ctx)
    seed_people(ctx)
    seed_meetings(ctx)
    ctx.rows.flush()
    g.pop("secure_domains", None)  # the accredited domains were just written: the chases read them afresh
    for first in range(0, ctx.n, BLOCK_PATIENTS):
        for _ in range(first, min(first + BLOCK_PATIENTS, ctx.n)):
            seed_patient(ctx)
        ctx.rows.flush()
        if progress:
            progress(min(first + BLOCK_PATIENTS, ctx.n), ctx.n)
    seed_system_records(ctx)
    ctx.rows.flush()
    advance_sequences(session, ctx.rows.counts)
    # The agreed care plans waiting for the GP found from the rows just loaded (the flush that keeps them was not run).
    ctx.rows.counts["care_plan_for_gp"] += rebuild_for_gp(session)
    copy_case_scores(session.connection())  # each episode's copy of its patient's score: the caseload's order
    # Statistics for the query planner: without them SQLite picks the index on archived_at over the one on
    # patient_id for "this patient's open actions", and a patient's page takes seconds at 100,000 patients; and
    # PostgreSQL plans the case-finding list below (its NOT EXISTS over the bulk-loaded rows) for an hour.
    session.execute(text("ANALYZE"))
    seed_case_finding(ctx)  # through the real import (ORM, audited): after the sequences are advanced
    # The trail sealed and its search words made, as the nightly `flask seal-audit` would (an ORM insert: after the
    # sequences are advanced).
    seal_audit()
    ctx.rows.counts["audit_seal"] += 1
    ctx.rows.counts["audit_search"] += index_trail(every=True)
    # The KPI tallies counted from the rows just loaded (bulk inserts go round the flush that keeps them in step).
    ctx.rows.counts["kpi_tally"] += tallies.rebuild(session)
    ctx.rows.counts["kpi_tally_build"] += 1
    return SeedReport(dict(ctx.rows.counts), time.perf_counter() - started)
