"""Crash safety: the app under gunicorn, its worker killed with SIGKILL at chosen points; and eight writers at once.

After each kill the database passes SQLite's integrity check, every acknowledged write is there, and nothing is
half-written (a weekly series booked in one request is all there or not at all). Eight processes writing to
one SQLite file for a bounded time never see "database is locked" (BEGIN IMMEDIATE and the busy timeout).
"""

from __future__ import annotations

import http.client
import http.cookiejar
import multiprocessing
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pyotp
import pytest

from app import create_app
from formats.dates import LONDON
from models import Locality, Role, db
from services.accounts import create_user
from services.second_factor import enrol_with_secret
from services.unit_of_work import perform
from tests.conftest import PASSWORD, TOTP_SECRET, USE_POSTGRES, base_config

pytestmark = pytest.mark.skipif(USE_POSTGRES, reason="crash safety is about the embedded SQLite file")

GUNICORN = Path(sys.executable).with_name("gunicorn")
EMAIL = "crash@example.nhs.net"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """gunicorn serving the app on a SQLite file, with a fault file the test can arm, and a signed-in browser."""

    def __init__(self, database: Path, fault_file: Path):
        self.database, self.fault_file, self.port = database, fault_file, _free_port()
        env = os.environ | {"ILR_ENV": "test", "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "crash-test",
                            "ILR_FAULT_FILE": str(fault_file), "MAIL_FROM": "ilr@nhs.net"}  # fmt: skip
        command = [str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2",
                   "app:create_app()"]  # fmt: skip
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self._wait()

    def _wait(self, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.get("/login")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start: " + self.process.stderr.read1().decode(errors="replace"))

    def get(self, path: str) -> str:
        with self.opener.open(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, form: dict, token_from: str) -> int:
        """POST a form with the CSRF token of the page it comes from; the answer's status (0 when the worker died)."""
        token = CSRF.search(self.get(token_from)).group(1)
        data = urllib.parse.urlencode({**form, "csrf_token": token}, doseq=True).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, headers={
            "Referer": f"http://127.0.0.1:{self.port}{token_from}"})  # fmt: skip
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status
        except urllib.error.HTTPError as refused:
            return refused.code
        except (urllib.error.URLError, ConnectionError, http.client.RemoteDisconnected):
            return 0

    def sign_in(self) -> None:
        assert self.post("/login", {"email": EMAIL, "password": PASSWORD}, "/login") == 200  # followed to the code
        assert self.post("/login/code", {"code": pyotp.TOTP(TOTP_SECRET).now()}, "/login/code") == 200  # to the home
        assert 'action="/logout"' in self.get("/admin/")

    def arm(self, point: str) -> None:
        self.fault_file.write_text(point)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process.stderr.close()


@pytest.fixture
def served(database_url, tmp_path):
    """A migrated SQLite file with a coordinator and a locality, served by gunicorn."""
    database = tmp_path / "crash.sqlite"
    database.write_bytes(Path(database_url.removeprefix("sqlite:///")).read_bytes())
    app = create_app(base_config(f"sqlite:///{database}"))
    with app.app_context():
        coordinator = lambda: create_user(EMAIL, "Cass Crash", Role.coordinator, PASSWORD)  # noqa: E731
        perform(lambda: (enrol_with_secret(coordinator(), TOTP_SECRET), db.session.add(Locality(name="Medway North"))),
                say=False)  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    server = Served(database, tmp_path / "fault")
    server.sign_in()
    try:
        yield server
    finally:
        server.stop()


def _series_form(weeks: int, days_ahead: int) -> dict:
    first = datetime.now(LONDON).replace(second=0, microsecond=0) + timedelta(days=days_ahead)
    # Whatever day it falls on (a weekend or a bank holiday is confirmed: these tests are about crashes).
    return {"locality_id": "1", "first_starts_at": first.strftime("%Y-%m-%dT%H:%M"), "weeks": str(weeks),
            "day_off_confirmed": "y"}  # fmt: skip


def _meetings(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return connection.execute("SELECT count(*) FROM meeting").fetchone()[0]


def test_a_worker_killed_mid_write_or_before_commit_leaves_nothing_half_written(served):
    assert served.post("/admin/scheduling/series/", _series_form(3, 10), "/admin/scheduling/") == 200  # acknowledged
    assert _meetings(served.database) == 3
    for point, days in (("mid-write", 30), ("before-commit", 60)):
        served.arm(point)
        assert served.post("/admin/scheduling/series/", _series_form(4, days), "/admin/scheduling/") == 0  # killed
        served._wait()  # gunicorn's master starts a new worker
        served.sign_in()  # (the session is on the server: it survived; signing in again is harmless)
        assert _meetings(served.database) == 3, point  # the acknowledged series is whole; the killed one absent
    assert served.post("/admin/scheduling/series/", _series_form(2, 90), "/admin/scheduling/") == 200
    assert _meetings(served.database) == 5


def test_an_acknowledged_write_survives_the_whole_server_being_killed(served):
    assert served.post("/admin/scheduling/series/", _series_form(2, 12), "/admin/scheduling/") == 200
    served.process.send_signal(signal.SIGKILL)  # the master itself: its worker is left to die with it
    served.process.wait(timeout=10)
    assert _meetings(served.database) == 2


def _writer(url: str, number: int, seconds: float, results) -> None:
    """One writer process: as many one-row units of work as fit in `seconds` (at most 40)."""
    app = create_app(base_config(url))
    done, failures = 0, []
    deadline = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < deadline and done < 40:
            name = f"writer {number} row {done}"
            outcome = perform(lambda name=name: db.session.add(Locality(name=name)), say=False)
            if outcome.ok:
                done += 1
            else:
                failures.append(outcome.message)
        db.engine.dispose()
    results.put((done, failures))


def test_eight_writers_at_once_never_see_database_is_locked(database_url, tmp_path):
    database = tmp_path / "writers.sqlite"
    database.write_bytes(Path(database_url.removeprefix("sqlite:///")).read_bytes())
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    writers = [context.Process(target=_writer, args=(f"sqlite:///{database}", n, 8.0, results)) for n in range(8)]
    for writer in writers:
        writer.start()
    outcomes = [results.get(timeout=60) for _ in writers]
    for writer in writers:
        writer.join(timeout=10)
    assert all(failures == [] for _, failures in outcomes), outcomes
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM locality").fetchone()[0] == sum(n for n, _ in outcomes) > 8
