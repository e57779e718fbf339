"""Request logs: `flask run` (werkzeug) and gunicorn write paths, never a query string's values; a proxy's
X-Forwarded-For while PROXY_COUNT is 0 is one warning."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import base_config
from web.request_logs import ACCESS_LOG_FORMAT, without_query_values

#: What a search by a patient's details would put in the address bar.
QUERY = "/admin/patient/?search=Featherstonehaugh&nhs=9434765919&flt0_3=John%20Smith"
SECRETS = ("Featherstonehaugh", "9434765919", "John", "Smith")
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> None:
    with contextlib.suppress(urllib.error.HTTPError):  # a redirect to sign in, or a 404: the log line is what counts
        urllib.request.urlopen(url, timeout=10).close()  # noqa: S310 - loopback only


def test_values_go_and_parameter_names_stay():
    line = "GET /admin/patient/?search=Smith&flt0_3=943+476&%3Cx%3E=1 HTTP/1.1"
    assert without_query_values(line) == "GET /admin/patient/?search=&flt0_3=&- HTTP/1.1"
    assert without_query_values("/admin/patient/") == "/admin/patient/" and without_query_values(200) == 200


def test_flask_run_logs_the_path_without_the_query_values(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", _free_port(), app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _get(f"http://127.0.0.1:{server.port}{QUERY}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/admin/patient/?search=&nhs=&flt0_3=" in line for line in lines), lines
    assert not any(secret in line for line in lines for secret in SECRETS), lines


@pytest.mark.parametrize("log_format", [None, ACCESS_LOG_FORMAT], ids=["gunicorn's default", "ours"])
def test_gunicorns_access_log_has_no_query_values_whatever_its_format(tmp_path, log_format):
    port = _free_port()
    env = os.environ | {"ILR_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}",
                        "SECRET_KEY": "log-test", "MAIL_FROM": "ilr@nhs.net"}  # fmt: skip
    command = [str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-"]
    if log_format:
        command += ["--access-logformat", log_format]
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        [*command, "app:create_app()"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                _get(f"http://127.0.0.1:{port}{QUERY}")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
    finally:
        server.terminate()
        logged = server.communicate(timeout=10)[0].decode()
    assert "/admin/patient/" in logged, logged
    assert not any(secret in logged for secret in SECRETS), logged


def test_our_gunicorn_format_names_no_atom_that_carries_a_query():
    for atom in ("%(r)s", "%(q)s", "%(f)s", "}e", "}i"):
        assert atom not in ACCESS_LOG_FORMAT


def test_x_forwarded_for_ignored_is_one_warning_per_app(app, another_app, caplog):
    caplog.set_level(logging.WARNING)
    client = app.test_client()
    client.get("/login")
    assert "X-Forwarded-For" not in caplog.text
    for _ in range(3):
        client.get("/login", headers={"X-Forwarded-For": "203.0.113.9"})
    warnings = [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "set PROXY_COUNT" in warnings[0].getMessage()
    caplog.clear()
    behind_nginx = another_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"]) | {"PROXY_COUNT": 1})
    behind_nginx.test_client().get("/login", headers={"X-Forwarded-For": "203.0.113.9"})
    assert "X-Forwarded-For" not in caplog.text
