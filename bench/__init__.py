"""Timings and SQL query counts of the list screens on a seeded database: `python -m bench` or `make bench`.

Builds (or reuses) a SQLite database seeded with `flask seed-demo`'s data at the given size, signs
in as the demo team lead with the Flask test client, and times each list screen's first page, a
filter and a search, plus the heaviest record pages (the busiest meeting, its minutes, a patient
record), the action list of the agency with most overdue actions, the daily chase as a dry run
(`flask chase-overdue --dry-run`), and the audit trail a 25-case meeting's minutes leave when typed over many
autosaves (entries and bytes, against one entry per save; rolled back). Figures only, no pass or fail: DESIGN.md
§7 says what to aim for.

List screens are found from the app itself (every Flask-Admin model view), so screens added later
are picked up; `FILTERS` and `SEARCHES` choose a telling filter and search term for known ones.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pyotp
import time_machine
from flask import Flask, url_for
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterEmpty
from flask_migrate import upgrade
from sqlalchemy import event, func, select, text

import demo
from admin.actions import AgencyFilter, OverdueFilter
from admin.forms import FromDatabase
from admin.listing import EXPORT_MAX_ROWS
from bench import case_finding
from bench.home import time_home_pages
from cli import optimise_db, run
from formats.dates import today
from models import (
    Action,
    AgendaItem,
    AuditEntry,
    CarePlan,
    CarePlanState,
    Episode,
    Meeting,
    MeetingStatus,
    Organisation,
    Patient,
    User,
    db,
    utcnow,
)
from services import meeting_room
from services.actions import STILL_OPEN
from services.chasing import chase_overdue
from services.search import index_trail

#: A filter to time per screen (endpoint: (filter column, value)); other screens use their first filter with options.
FILTERS = {
    "organisation": ("type", "gp_practice"),
    "user": ("role", "coordinator"),
    "triage": ("patient.risk_band", "high"),
    "caseload": ("patient.risk_band", "high"),
    "audit": ("action", "list"),
}
#: A search term per screen; other screens search for a common surname.
SEARCHES = {"organisation": "surgery", "user": "ilr", "audit": "rows"}
DEFAULT_SEARCH = "smith"
CSRF_INPUT = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@dataclass
class Timing:
    screen: str
    variant: str
    url: str
    #: The HTTP status, or "-" for a command.
    status: int | str
    median_ms: float
    p90_ms: float
    queries: int


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--patients", type=int, default=100_000, help="patients in the seeded database (default 100000)"
    )
    parser.add_argument(
        "--db", type=Path, help="SQLite file to build or reuse (default /tmp/ilr-bench-<patients>.sqlite)"
    )
    parser.add_argument("--url", help="a database URL instead of --db (e.g. PostgreSQL); seeded when empty")
    parser.add_argument("--runs", type=int, default=10, help="timed requests per URL, after one warm-up (default 10)")
    parser.add_argument("--rebuild", action="store_true", help="delete the SQLite file first and seed afresh")
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    parser.add_argument("--only", help="time only the screens whose name starts with this (e.g. kpis)")
    return parser.parse_args(argv)


def make_app(url: str) -> Flask:
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "ILR_ENV": "development", "SECRET_KEY": "bench-only-secret"})


def ensure_database(app: Flask, patients: int, seed: int) -> None:
    """Migrate, then seed an empty database; a database already seeded at this size is reused."""
    with app.app_context():
        upgrade()
        held = db.session.scalar(select(func.count()).select_from(Patient))
        if held == patients:
            print(f"Reusing the database: {held:,} patients.")
            return
        if held:
            raise SystemExit(f"The database holds {held:,} patients, not {patients:,}: use --rebuild or another --db.")
        print(f"Seeding {patients:,} patients (once; later runs reuse the database)...")
        report = run(lambda: demo.seed_demo(patients, seed))
        print(
            f"Seeded {sum(report.counts.values()):,} rows in {report.seconds:.1f} s "
            f"({report.counts.get('action', 0):,} actions, {report.counts.get('meeting', 0):,} meetings)."
        )
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does within minutes of a bulk load on a live server: the visibility map that lets a
            # count read an index alone, and the rows' hint bits set once, not by the first requests timed.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
            print("Vacuumed and analysed, as autovacuum would after a bulk load.")


def run_nightly_jobs(app: Flask) -> None:
    """Before each run, what the nightly jobs do (deploy/systemd/): a run is timed as the morning after the last.

    A run grows the audit trail by hundreds of thousands of entries (every KPI workbook names a year's patients).
    `flask seal-audit` (01:30) makes the trail's search words (services/search.py `index_trail`); a search would
    otherwise make them for the first 50,000 entries and read the rest of the last run's by their text. Then
    `flask optimise-db` (03:30) brings the planner's statistics up to date, the new words among them: SQLite's from the
    seeding said the trail was empty, and the next run's audit list read its page's 25 entries by id with a scan of
    the whole trail (75 ms; 0.6 ms once analysed); PostgreSQL's, taken before 400,000 new words, put the matches of
    "rows" at a million and tested every entry of the trail in turn (5 s)."""
    with app.app_context():
        made = run(lambda: index_trail(every=True))
        optimise_db()
        print(f"Nightly jobs: search words made for {made:,} audit entries; planner statistics refreshed.")


class QueryCounter:
    """Counts the SQL statements sent to the database (transaction control such as BEGIN not included)."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            self.count += 1


def sign_in(client, email: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"Could not sign in as {email} (status {response.status_code}).")
    if response.headers.get("Location", "").endswith("/login/code"):
        # The second step: the code the demo account's authenticator app would show (a code is good once, so a run
        # started within 30 s of the last one waits for the next).
        totp = pyotp.TOTP(demo.demo_totp_secret(email))
        for _ in range(2):
            page = client.get("/login/code").get_data(as_text=True)
            token = CSRF_INPUT.search(page).group(1)
            answer = client.post("/login/code", data={"code": totp.now(), "csrf_token": token})
            if answer.status_code == 302 and not answer.headers["Location"].endswith("/login/code"):
                return
            time.sleep(31 - time.time() % 30)
        raise SystemExit(f"Could not sign in as {email}: the second factor's code was refused.")


def _filter_arg(view: ModelView, column: str | None, value: str | None) -> tuple[str, str] | None:
    """The query argument for one of the view's filters: the named one, or else the first choice list (an enum)."""
    for index, flt in enumerate(view._filters or []):
        if isinstance(flt, FilterEmpty) or isinstance(flt.options, FromDatabase):
            continue  # "is empty" says little about speed; options read for a signed-in user are not known here
        options = [str(o[0]) for o in flt.get_options(view) or []]
        if column is None and options:
            return f"flt0_{view.get_filter_arg(index, flt)}", options[0]
        if column is not None and str(flt.column).split(".")[-1] == column.split(".")[-1] and value in options:
            return f"flt0_{view.get_filter_arg(index, flt)}", value
    return None if column is None else _filter_arg(view, None, None)


def list_screens(app: Flask) -> list[tuple[str, str, str]]:
    """(screen, variant, url) for every model list: page 1, page 50 (the 1,226th row on), a filter and a search."""
    urls = []
    with app.test_request_context():
        for admin in app.extensions["admin"]:
            for view in admin._views:
                if not isinstance(view, ModelView):
                    continue
                base = url_for(f"{view.endpoint}.index_view")
                urls.append((view.endpoint, "page 1", base))
                urls.append((view.endpoint, "page 50", f"{base}?page=49"))
                column, value = FILTERS.get(view.endpoint, (None, None))
                arg = _filter_arg(view, column, value)
                if arg:
                    urls.append(
                        (view.endpoint, f"filter {arg[0].split('_', 1)[1]}={arg[1]}", f"{base}?{arg[0]}={arg[1]}")
                    )
                if view.column_searchable_list:
                    term = SEARCHES.get(view.endpoint, DEFAULT_SEARCH)
                    urls.append((view.endpoint, f"search {term!r}", f"{base}?search={term}"))
    return urls


#: DESIGN.md §7 sets its target for the minutes of a meeting of this many cases.
TARGET_CASES = 25


def record_pages(app: Flask) -> list[tuple[str, str, str]]:
    """The heaviest pages: a 25-case held meeting (page, minutes, Word minutes), the busiest one, a busy record."""
    pages = []
    with app.app_context():
        cases = (
            select(AgendaItem.meeting_id, func.count().label("cases"))
            .join(Meeting)
            .where(Meeting.status == MeetingStatus.held)
            .group_by(AgendaItem.meeting_id)
            .subquery()
        )
        typical = db.session.execute(
            select(cases).order_by(func.abs(cases.c.cases - TARGET_CASES), cases.c.meeting_id.desc()).limit(1)
        ).first()
        busiest = db.session.execute(
            select(cases).order_by(cases.c.cases.desc(), cases.c.meeting_id.desc()).limit(1)
        ).first()
        patient = db.session.execute(
            select(Action.patient_id, func.count()).group_by(Action.patient_id).order_by(func.count().desc()).limit(1)
        ).first()
        open_cases = (
            select(Episode.coordinator_id, func.count())
            .where(Episode.closed_on.is_(None), Episode.archived_at.is_(None), Episode.coordinator_id.is_not(None))
            .group_by(Episode.coordinator_id)
        )
        coordinator = db.session.execute(open_cases.order_by(func.count().desc()).limit(1)).first()
        # The agreed care plan of the patient with most actions: its page and its GP letter list them all.
        actions_each = select(Action.patient_id, func.count().label("actions")).group_by(Action.patient_id).subquery()
        plan = db.session.execute(
            select(CarePlan.id, CarePlan.patient_id, actions_each.c.actions)
            .join(actions_each, actions_each.c.patient_id == CarePlan.patient_id)
            .where(CarePlan.state == CarePlanState.agreed)
            .order_by(actions_each.c.actions.desc(), CarePlan.id.desc())
            .limit(1)
        ).first()
        episode = db.session.scalar(
            select(Episode.id).where(Episode.closed_on.is_(None)).order_by(Episode.id.desc()).limit(1)
        )
    rules = {rule.endpoint for rule in app.url_map.iter_rules()}
    if "scheduling.index" in rules:
        pages.append(("scheduling", "upcoming meetings", "/admin/scheduling/"))
    if typical and "meeting_room.meeting" in rules:
        meeting_id, count = typical
        pages.append(("meeting_room", f"meeting, {count} cases", f"/admin/meeting-room/{meeting_id}/"))
        pages.append(("meeting_room", f"minutes, {count} cases", f"/admin/meeting-room/{meeting_id}/minutes"))
        pages.append(
            ("meeting_room", f"minutes .docx, {count} cases", f"/admin/meeting-room/{meeting_id}/document/minutes")
        )
    if busiest and typical and busiest[0] != typical[0] and "meeting_room.meeting" in rules:
        pages.append(("meeting_room", f"busiest meeting, {busiest[1]} cases", f"/admin/meeting-room/{busiest[0]}/"))
    if patient and "record.patient" in rules:
        pages.append(("record", f"patient, {patient[1]} actions", f"/admin/record/{patient[0]}/"))
    if plan and "care_plan_page.patient" in rules:
        plan_id, patient_id, count = plan
        pages.append(("care_plan", f"care plan page, {count} actions", f"/admin/care-plan/{patient_id}/"))
        pages.append(
            ("care_plan", f"GP letter .docx, {count} actions", f"/admin/care-plan/plan/{plan_id}/document/letter")
        )
        pages.append(
            ("care_plan", f"care plan .docx, {count} actions", f"/admin/care-plan/plan/{plan_id}/document/plan")
        )
    if "caseload.index_view" in rules:
        # The caseload board (issue 13): the whole team's, and one coordinator's (what a coordinator opens on).
        pages.append(("caseload", "board, whole team", "/admin/caseload/"))
        pages.append(("caseload", "board, whole team, 100 a page", "/admin/caseload/?page_size=100"))
        if coordinator:
            coordinator_id, count = coordinator
            pages.append(
                ("caseload", f"board, one coordinator ({count} open)", f"/admin/caseload/?coordinator={coordinator_id}")
            )
        if episode:
            pages.append(("caseload", "closure screen", f"/admin/caseload/close/{episode}/"))
    return pages


def kpi_pages(app: Flask) -> list[tuple[str, str, str]]:
    """The team lead's KPIs for the last full financial year and this month: the figures (the page) apart from the
    charts (each a request of its own), a figure's records, and the two reports."""
    if "kpis.index" not in {rule.endpoint for rule in app.url_map.iter_rules()}:
        return []
    year, month = "?period=last_year", "?period=this_month"
    return [
        ("kpis", "dashboard, last financial year", f"/admin/kpis/{year}"),
        ("kpis", "dashboard, this month", f"/admin/kpis/{month}"),
        ("kpis", "chart: referrals by month, year", f"/admin/kpis/chart/referrals.svg{year}"),
        ("kpis", "chart: attendance by agency, year", f"/admin/kpis/chart/attendance.svg{year}"),
        ("kpis", "chart: actions on time by owner, year", f"/admin/kpis/chart/actions.svg{year}"),
        ("kpis", "records behind actions due, year (page 1)", f"/admin/kpis/records{year}&drill=actions_due"),
        ("kpis", "report .docx, year", f"/admin/kpis/report.docx{year}"),
        ("kpis", "report .xlsx, year (rows capped)", f"/admin/kpis/report.xlsx{year}"),
    ]


def exports(app: Flask) -> list[tuple[str, str, str]]:
    """A list exported at its cap (10,000 rows), as a spreadsheet and as CSV: every live action, the longest list."""
    with app.test_request_context():
        base = url_for("action.index_view")
    everything = "?flt0_status_equals=done"
    return [
        ("action", f"export .xlsx, {EXPORT_MAX_ROWS:,} rows", f"{base}export/xlsx/{everything}"),
        ("action", f"export .csv, {EXPORT_MAX_ROWS:,} rows", f"{base}export/csv/{everything}"),
    ]


def agency_overdue(app: Flask) -> list[tuple[str, str, str]]:
    """The action list as one agency works it: its own actions, overdue only (the agency with most overdue)."""
    with app.app_context():
        busiest = db.session.execute(
            select(Organisation.id, func.count())
            .join(Action, Action.owner_organisation_id == Organisation.id)
            .where(Action.still_open(), Action.due_on < today(), Action.archived_at.is_(None))
            .group_by(Organisation.id, Organisation.name)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
    if busiest is None:
        return []
    view = next(v for admin in app.extensions["admin"] for v in admin._views if getattr(v, "endpoint", "") == "action")
    # By the filters' own classes (their positions change as filters are added): the agency chosen, overdue.
    args = {}
    for index, flt in enumerate(view._filters or []):
        if isinstance(flt, AgencyFilter):
            args["agency"] = f"flt0_{view.get_filter_arg(index, flt)}"
        elif isinstance(flt, OverdueFilter):
            args["overdue"] = f"flt1_{view.get_filter_arg(index, flt)}"
    if len(args) < 2:
        raise SystemExit("bench: the action list lost its Agency or Overdue filter; adapt agency_overdue.")
    agency, count = busiest
    with app.test_request_context():
        url = f"{url_for('action.index_view')}?{urlencode({args['agency']: agency, args['overdue']: '1'})}"
    return [("action", f"one agency's overdue ({count:,})", url)]


def time_chase_dry_run(app: Flask, counter: QueryCounter, runs: int) -> Timing:
    """`flask chase-overdue --dry-run`: each run in its own app context, as the command runs (one warm-up first)."""
    times, queries, result = [], 0, None
    for run_number in range(runs + 1):
        with app.app_context():
            counter.count = 0
            started = time.perf_counter()
            result = chase_overdue(dry_run=True)
            elapsed = (time.perf_counter() - started) * 1000
            queries = counter.count
        if run_number:
            times.append(elapsed)
    variant = f"--dry-run ({result.chased:,} to send in {len(result.sent):,} emails, {len(result.refused):,} refused)"
    return Timing(
        "chase-overdue", variant, "flask chase-overdue --dry-run", "-", statistics.median(times),
        nearest_rank(times, 90), queries,
    )  # fmt: skip


#: The live minutes as typed at a meeting: every case saved this many times, this many seconds apart.
AUTOSAVES, AUTOSAVE_SECONDS = 120, 5


def minutes_trail(app: Flask) -> str:
    """The audit trail a 25-case meeting's minutes leave when typed over many autosaves (ten minutes a case, a save
    every 5 seconds, then the final save on leaving each case), against one entry per save; rolled back after."""
    with app.app_context():
        meeting_id = _typical_meeting()
        if meeting_id is None:
            return "minutes trail: no held meeting to type into"
        meeting, by = (
            db.session.get(Meeting, meeting_id),
            db.session.scalar(select(User).where(User.role == "team_lead")),
        )
        mark = db.session.scalar(select(func.max(AuditEntry.id))) or 0
        per_save, text = 0, {}
        with time_machine.travel(utcnow(), tick=False) as clock:
            for n in range(AUTOSAVES):
                clock.shift(AUTOSAVE_SECONDS)
                for item in meeting.agenda:
                    before = text.get(item.id, item.summary)
                    text[item.id] = f"{text.get(item.id) or ''}Point {n}: agreed to review. ".strip()
                    per_save += len(json.dumps({"summary": [before, text[item.id]]}))
                    meeting_room.save_minutes(item, {"summary": text[item.id]}, by, autosave=True)
                db.session.flush()
            for item in meeting.agenda:
                meeting_room.save_minutes(item, {"summary": text[item.id]}, by)
            db.session.flush()
        entries, size = db.session.execute(
            select(func.count(), func.sum(func.length(AuditEntry.changes))).where(
                AuditEntry.id > mark, AuditEntry.table_name == "agenda_item"
            )
        ).one()
        db.session.rollback()
    saves = AUTOSAVES * len(text)
    return (
        f"minutes trail: {len(text)} cases, {AUTOSAVES} autosaves each ({AUTOSAVES * AUTOSAVE_SECONDS // 60} minutes "
        f"of typing): {entries:,} entries, {(size or 0) / 1000:,.0f} KB (one entry per save: {saves:,} entries, "
        f"{per_save / 1000:,.0f} KB)"
    )


def time_minutes_autosave(app: Flask, client, counter: QueryCounter, runs: int) -> list[Timing]:
    """A minutes autosave as the live minutes send it (one case's discussion, JSON back): on a case already
    discussed, and the first autosave of a meeting (which makes the saver its minute-taker). Each run saves new text;
    the meeting's minute-taker is cleared before each first save, outside the timing."""
    with app.app_context():
        meeting_id = _typical_meeting()
        item_id = db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id).limit(1))
    if item_id is None:
        return []
    page = client.get(f"/admin/meeting-room/{meeting_id}/minutes").get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)
    url, headers = f"/admin/meeting-room/case/{item_id}/draft", {"Accept": "application/json"}
    timings = []
    for variant, first in (("on a case already discussed", False), ("the first of a meeting", True)):
        times, queries = [], 0
        for n in range(runs + 1):
            if first:
                with app.app_context():
                    run(lambda: setattr(db.session.get(Meeting, meeting_id), "minute_taker_id", None))
            counter.count = 0
            started = time.perf_counter()
            response = client.post(url, data={"discussion": f"Seen at home, visit {n} of {variant}.",
                                              "csrf_token": token}, headers=headers)  # fmt: skip
            elapsed = (time.perf_counter() - started) * 1000
            if not (response.is_json and response.get_json().get("saved")):
                raise SystemExit(f"bench: the minutes autosave was refused: {response.get_data(as_text=True)[:200]}")
            if n:  # the first is the warm-up
                times.append(elapsed)
                queries = counter.count
        timings.append(Timing("minutes", f"autosave, {variant}", url, 200, statistics.median(times),
                              nearest_rank(times, 90), queries))  # fmt: skip
    return timings


def _typical_meeting() -> int | None:
    """The held meeting whose agenda is nearest 25 cases."""
    cases = (
        select(AgendaItem.meeting_id, func.count().label("cases"))
        .join(Meeting)
        .where(Meeting.status == MeetingStatus.held)
        .group_by(AgendaItem.meeting_id)
        .subquery()
    )
    return db.session.scalar(
        select(cases.c.meeting_id).order_by(func.abs(cases.c.cases - TARGET_CASES), cases.c.meeting_id.desc()).limit(1)
    )


def measure(client, counter: QueryCounter, url: str, runs: int) -> tuple[int, list[float], int]:
    """One warm-up request, then `runs` timed ones: (status, times in ms, queries per request)."""
    client.get(url)
    times, queries, status = [], 0, 0
    for _ in range(runs):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        response.close()
        status, queries = response.status_code, counter.count
    return status, times, queries


def nearest_rank(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * percent // 100) - 1)] if ordered else 0.0


def machine_reference() -> float:
    """Seconds this machine takes to add up ten million integers in a Python loop: the same work on any day, printed
    with the figures so that two rounds on machines of different speed can be compared (0.39 s on 07/12/2026, the
    day of the third round in bench/results.md)."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.perf_counter() - started


def print_table(patients: int, runs: int, timings: list[Timing]) -> None:
    print(
        f"\n{patients:,} patients, median and 90th percentile of {runs} requests "
        f"(Flask test client, after a warm-up); this machine's reference loop: {machine_reference():.2f} s\n"
    )
    width = max(len(f"{t.screen} {t.variant}") for t in timings)
    print(f"{'screen':<{width}}  {'status':>6}  {'median ms':>9}  {'p90 ms':>8}  {'queries':>7}")
    for t in timings:
        name = f"{t.screen} {t.variant}"
        print(f"{name:<{width}}  {t.status!s:>6}  {t.median_ms:>9.1f}  {t.p90_ms:>8.1f}  {t.queries:>7}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url:
        url = args.url
    else:
        path = (args.db or Path(tempfile.gettempdir()) / f"ilr-bench-{args.patients}.sqlite").resolve()
        if args.rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    from app import database_url

    app = make_app(database_url(url))
    ensure_database(app, args.patients, args.seed)
    run_nightly_jobs(app)
    with app.app_context():
        counter = QueryCounter(db.engine)
    client = app.test_client()
    lead = next(email for email, _, role, _ in demo.DEMO_ACCOUNTS if role.value == "team_lead")
    sign_in(client, lead, demo.DEMO_PASSWORD)
    timings = []
    for screen, variant, target in (
        list_screens(app) + record_pages(app) + agency_overdue(app) + kpi_pages(app) + exports(app)
    ):
        if args.only and not screen.startswith(args.only):
            continue
        status, times, queries = measure(client, counter, target, args.runs)
        timings.append(
            Timing(screen, variant, target, status, statistics.median(times), nearest_rank(times, 90), queries)
        )
    if not args.only or "minutes".startswith(args.only):
        timings += time_minutes_autosave(app, client, counter, args.runs)
    if not args.only:
        timings.append(time_chase_dry_run(app, counter, args.runs))
    timings += time_home_pages(app, counter, args)
    timings += case_finding.timings(app, client, counter, args)  # issue 32: a 100,000-row list and the list screen
    if timings:
        print_table(args.patients, args.runs, timings)
    if not args.only or "minutes".startswith(args.only):
        print("\n" + minutes_trail(app))
    return 0
