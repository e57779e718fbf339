"""`make load` (`python -m bench.load`): 20 simulated coordinators for 60 s against gunicorn, on PostgreSQL with
4 workers and on SQLite with 1, written to bench/results.md with the machine, date and commit.

For each database: a fresh one (PostgreSQL: LOAD_DATABASE_URL, made afresh, so its name must start with
`ilr_load`; SQLite: a new file), `flask db upgrade` and `flask seed-demo --patients N`, one coordinator account
per simulated user (each with its own second-factor key: a code is good once per 30 s step), then gunicorn with
deploy/gunicorn.conf.py on 127.0.0.1 and locust, headless, from the load test's own environment
(bench/load/.venv, bench/load/requirements.txt: never the app's). The simulated day is bench/load/locustfile.py.
Figures only, no pass or fail; the load generator shares the machine's cores with the app and the database.
"""

from __future__ import annotations

import argparse
import base64
import csv
import os
import platform
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from base64 import b32encode
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from formats.dates import LONDON

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
LOCUST = HERE / ".venv" / "bin" / "locust"
APP_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results.md"
START, END = "<!-- load test: written by python -m bench.load -->", "<!-- end of load test -->"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/ilr_load"
#: What the simulated users do, and how often (the @task weights in locustfile.py), for the results page.
DAY = "browse a list 4, open a patient's record 3, type minutes (autosave) 3, search patients 2, open the minutes 1"


@dataclass
class Target:
    """One database to measure, and how many gunicorn workers serve it."""

    name: str
    url: str
    workers: int


@dataclass
class Row:
    """One line of locust's statistics: a request type, or all of them ("Aggregated")."""

    name: str
    requests: int
    failures: int
    per_second: float
    median: float
    p95: float
    p99: float
    maximum: float


@dataclass
class Measured:
    target: Target
    seeded: str
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> Row:
        return next(row for row in self.rows if row.name == "Aggregated")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000, help="patients seeded (default 10000: a team's)")
    parser.add_argument("--users", type=int, default=20, help="simulated coordinators (default 20)")
    parser.add_argument("--seconds", type=int, default=60, help="how long locust runs (default 60)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_POSTGRES),
        help=f"the PostgreSQL database made afresh (default LOAD_DATABASE_URL, else {DEFAULT_POSTGRES})",
    )
    parser.add_argument("--only", choices=("postgresql", "sqlite"), help="measure one database only")
    parser.add_argument("--no-write", action="store_true", help="print the results; leave bench/results.md alone")
    return parser.parse_args(argv)


# --- the database: made afresh, migrated, seeded --------------------------------------------------------------------


def fresh_postgres(url: str) -> None:
    """Drop and create the load test's database (only one named ilr_load*: never a database in use)."""
    import psycopg

    server, _, name = url.rpartition("/")
    if not name.startswith("ilr_load"):
        raise SystemExit(f"The load test makes its database afresh: give one named ilr_load..., not {name!r}.")
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise SystemExit(f"make load needs a PostgreSQL server ({server}): {exc}") from None


#: This run's keys (the session's, and a Fernet key for the second factors' secrets), the same for every command.
_SECRET_KEY = "load-test-" + secrets.token_hex(16)
_SECRET_KEYS = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def app_environment(url: str) -> dict[str, str]:
    """The environment the app runs in here: production settings over plain http on loopback."""
    return os.environ | {
        "ILR_ENV": "production", "ALLOW_HTTP": "1", "SECRET_KEY": _SECRET_KEY, "ILR_SECRET_KEYS": _SECRET_KEYS,
        "MAIL_FROM": "ilr.load.test@nhs.net", "DATABASE_URL": url, "FLASK_APP": "app", "PROXY_COUNT": "0",
    }  # fmt: skip


def seed(target: Target, patients: int) -> str:
    """`flask db upgrade`, then `flask seed-demo`: the commands an operator would run. Returns what seeding said."""
    env = app_environment(target.url)
    seed_demo = [
        "seed-demo",
        "--patients",
        str(patients),
        "--i-understand-this-creates-accounts-with-published-passwords",
    ]
    for command in (["db", "upgrade"], seed_demo):
        done = subprocess.run([str(APP_BIN / "flask"), *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(command)} failed on {target.name}:\n{done.stdout}{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def write_plan(target: Target, users: int, path: Path) -> None:
    """One coordinator account per simulated user, and what they open, search for and minute (JSON for locust)."""
    import json

    from app import create_app, database_url
    from bench.load.plan import make_plan
    from models import db

    # The accounts' second-factor secrets are encrypted with the keys gunicorn is given (`app_environment`): with
    # another key the server could not read them back, and every sign-in would fail.
    config = {"SQLALCHEMY_DATABASE_URI": database_url(target.url), "ILR_ENV": "development", "SECRET_KEY": "plan",
              "ILR_SECRET_KEYS": [_SECRET_KEYS]}  # fmt: skip
    app = create_app(config)
    with app.app_context():
        plan = make_plan(users, lambda: b32encode(secrets.token_bytes(20)).decode())
        db.engine.dispose()
    path.write_text(json.dumps(plan))


# --- serving and loading --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    """Until /health answers 200 (gunicorn's socket opens before its workers have built the app)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped at start: see its log in the work folder")
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:  # nosec B310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /health")


@contextmanager
def serving(target: Target, folder: Path):
    """gunicorn with the shipped config on a free loopback port; yields the base URL."""
    port = free_port()
    log = (folder / f"gunicorn-{target.name}.log").open("w")
    command = [str(APP_BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
               "--workers", str(target.workers)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=app_environment(target.url), stdout=log, stderr=log)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def run_locust(host: str, plan: Path, prefix: Path, args: argparse.Namespace) -> None:
    """locust, headless, bounded by --run-time; its statistics land in PREFIX_stats.csv."""
    command = [str(LOCUST), "-f", str(HERE / "locustfile.py"), "--headless", "--host", host,
               "--users", str(args.users), "--spawn-rate", "5", "--run-time", f"{args.seconds}s",
               "--stop-timeout", "10", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]  # fmt: skip
    env = os.environ | {"LOAD_PLAN": str(plan)}
    subprocess.run(command, env=env, timeout=args.seconds + 120, check=False, cwd=HERE)  # exit 1 on errors: reported


def read_stats(prefix: Path) -> tuple[list[Row], list[str]]:
    """locust's rows (each request type and the aggregate) and its failures and exceptions, counted."""
    rows = []
    with open(f"{prefix}_stats.csv", newline="") as stats:
        for line in csv.DictReader(stats):
            rows.append(Row(
                name=line["Name"], requests=int(line["Request Count"]), failures=int(line["Failure Count"]),
                per_second=float(line["Requests/s"]), median=float(line["50%"] or 0), p95=float(line["95%"] or 0),
                p99=float(line["99%"] or 0), maximum=float(line["Max Response Time"] or 0),
            ))  # fmt: skip
    errors = []
    for kind, count_column in (("failures", "Occurrences"), ("exceptions", "Count")):
        path = Path(f"{prefix}_{kind}.csv")
        if path.exists():
            with path.open(newline="") as found:
                errors += [f"{line[count_column]} × {line.get('Name') or line.get('Message')}: "
                           f"{line.get('Error') or line.get('Message')}" for line in csv.DictReader(found)]  # fmt: skip
    return rows, errors


def measure(target: Target, args: argparse.Namespace, folder: Path) -> Measured:
    print(f"--- {target.name}: seeding {args.patients:,} patients ...", flush=True)
    if target.name == "PostgreSQL":
        fresh_postgres(target.url)
    seeded = seed(target, args.patients)
    print(f"    {seeded}", flush=True)
    plan = folder / f"plan-{target.name}.json"
    write_plan(target, args.users, plan)
    with serving(target, folder) as host:
        print(
            f"    {args.users} users for {args.seconds} s against {target.workers} gunicorn worker(s) ...", flush=True
        )
        run_locust(host, plan, folder / target.name, args)
    rows, errors = read_stats(folder / target.name)
    return Measured(target, seeded, rows, errors)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not LOCUST.exists():
        raise SystemExit(f"No locust at {LOCUST}: run `make load`, which makes the load test's environment.")
    with tempfile.TemporaryDirectory(prefix="ilr-load-") as work:
        folder = Path(work)
        targets = [Target("PostgreSQL", args.postgres, 4), Target("SQLite", f"sqlite:///{folder / 'load.sqlite'}", 1)]
        chosen = [t for t in targets if args.only in (None, t.name.lower())]
        started = datetime.now(LONDON)
        load_before = os.getloadavg()
        measured = [measure(target, args, folder) for target in chosen]
        about = machine(args.postgres if args.only != "sqlite" else None)
    from bench.load.report import render, write

    text = render(measured, args, started, load_before, about)
    print(text)
    if not args.no_write:
        write(RESULTS, text, START, END)
        print(f"Written to {RESULTS.relative_to(ROOT)}.")
    return 0


# --- the machine ---------------------------------------------------------------------------------------------------


def machine(postgres_url: str | None) -> dict[str, str]:
    """What the figures were measured on."""
    model = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor() or "unknown")  # fmt: skip
    memory = next((line.split()[1] for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), "0")
    commit = _git("rev-parse", "--short", "HEAD") + (
        " (with uncommitted changes)" if _git("status", "--porcelain") else ""
    )
    return {
        "cores": f"{os.cpu_count()} × {model}", "memory": f"{int(memory) / 1024 / 1024:.0f} GiB",
        "system": platform.platform(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(postgres_url) if postgres_url else "PostgreSQL not measured", "commit": commit,
    }  # fmt: skip


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _postgres_version(url: str) -> str:
    """The server's version (not the client's)."""
    import psycopg

    try:
        with psycopg.connect(url) as connection:
            return "PostgreSQL " + connection.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError:
        return "not reached"
