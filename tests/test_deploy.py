"""deploy/ as shipped: gunicorn's config serves the app with several workers and logs no query string; nginx's
passes `nginx -t` and holds the settings README promises (body limit, HSTS, forwarded headers, timeouts, logs);
the systemd units pass `systemd-analyze verify` and run each job on its schedule.

`nginx -t` and `systemd-analyze verify` need the tools: on CI (`CI=true`) a missing one fails the run (`make
system-deps` installs nginx-light there); elsewhere they are skipped and the parsing tests still hold the files
to what README says.
"""

from __future__ import annotations

import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cli import COMMANDS
from tests.conftest import USE_POSTGRES, require_tool

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUNICORN_CONF = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
NGINX_CONF = (DEPLOY / "nginx" / "ilr.conf").read_text()
UNITS = DEPLOY / "systemd"
#: Each scheduled job: its timer's OnCalendar, and the command its service runs.
SCHEDULE = {
    "send-outbox": ("*-*-* *:*:00", "/opt/ilr/.venv/bin/flask send-outbox"),
    "chase-overdue": ("*-*-* 08:00:00 Europe/London", "/opt/ilr/.venv/bin/flask chase-overdue"),
    "seal-audit": ("*-*-* 01:30:00 Europe/London", "/opt/ilr/.venv/bin/flask seal-audit"),
    "backup": ("*-*-* 02:00:00 Europe/London", "/opt/ilr/deploy/backup.sh"),
    "optimise-db": ("*-*-* 03:30:00 Europe/London", "/opt/ilr/.venv/bin/flask optimise-db"),
}


# --- gunicorn -----------------------------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_for_gunicorn(database_url: str, tmp_path: Path) -> str:
    if USE_POSTGRES:
        return database_url
    copy = tmp_path / "served.sqlite"
    copy.write_bytes(Path(database_url.removeprefix("sqlite:///")).read_bytes())
    return f"sqlite:///{copy}"


def _get(url: str, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status
    except urllib.error.HTTPError as answer:
        return answer.code


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    """Until gunicorn answers (its socket is open before its workers have built the app)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited at start"
        try:
            _get(url)
            return
        except OSError:  # refused, reset or timed out while it starts
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def test_gunicorn_serves_the_app_from_its_config_with_workers_and_logs_no_query_string(database_url, tmp_path):
    port = _free_port()
    env = os.environ | {
        "ILR_ENV": "production", "SECRET_KEY": "deploy-test", "MAIL_FROM": "ilr.team@nhs.net", "PROXY_COUNT": "1",
        "DATABASE_URL": _database_for_gunicorn(database_url, tmp_path),
    }  # fmt: skip
    gunicorn = Path(sys.executable).with_name("gunicorn")
    out, err = (tmp_path / "access.log").open("w"), (tmp_path / "error.log").open("w")
    command = [str(gunicorn), "--config", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/health", process)
        forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        assert _get(f"http://127.0.0.1:{port}/health?nhs=9990001234&search=Nightingale", forwarded) == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        out.close(), err.close()
    access, errors = (tmp_path / "access.log").read_text(), (tmp_path / "error.log").read_text()
    assert '203.0.113.9 [' in access and '"GET /health HTTP/1.1" 200' in access, access
    assert "9990001234" not in access and "Nightingale" not in access and "?" not in access
    assert errors.count("Booting worker") == 2, errors


def test_gunicorn_config_is_what_readme_says():
    assert GUNICORN_CONF["wsgi_app"] == "app:create_app()"
    assert GUNICORN_CONF["bind"] == "127.0.0.1:8000" and GUNICORN_CONF["workers"] >= 2
    assert "%(U)s" in GUNICORN_CONF["access_log_format"]
    assert not re.search(r"%\((r|q|f)\)s", GUNICORN_CONF["access_log_format"])  # request line, query, referrer


# --- nginx --------------------------------------------------------------------------------------------------------


#: nginx's tokens: a quoted string (which may hold ; or {), a brace, a semicolon, or a bare word.
_TOKEN = re.compile(r""""[^"]*"|'[^']*'|[{};]|[^\s{};]+""")


def _directives(text: str) -> list[tuple[str, str]]:
    """(name, arguments) of every directive and block, in order, comments removed."""
    found, words = [], []
    for token in _TOKEN.findall(re.sub(r"(?m)^\s*#.*$|\s#[^\n]*", "", text)):
        if token in ("{", "}", ";"):
            if words:
                found.append((words[0], " ".join(words[1:])))
            words = []
        else:
            words.append(token)
    return found


def _values(name: str) -> list[str]:
    return [arguments for directive, arguments in _directives(NGINX_CONF) if directive == name]


def test_nginx_limits_bodies_as_the_app_does(app):
    (size,) = _values("client_max_body_size")
    assert int(size.removesuffix("m")) * 1024 * 1024 == app.config["MAX_CONTENT_LENGTH"]


def test_nginx_sends_hsts_once_on_every_answer(app, client):
    app.config["HSTS"] = True  # as over HTTPS in production
    app_hsts = client.get("/login").headers["Strict-Transport-Security"]
    assert _values("add_header") == [f'Strict-Transport-Security "{app_hsts}" always']
    assert _values("proxy_hide_header") == ["Strict-Transport-Security"]  # the app's copy, so one header


def test_nginx_sets_every_forwarded_header_the_app_believes_and_passes_none_from_the_client():
    headers = dict(value.split(" ", 1) for value in _values("proxy_set_header"))
    assert headers == {
        "Host": "$host",
        "X-Forwarded-For": "$remote_addr",  # overwritten: PROXY_COUNT=1 believes the last hop, this nginx
        "X-Forwarded-Proto": "$scheme",
        "X-Forwarded-Host": "$host",
        "X-Forwarded-Port": "$server_port",
    }


def test_nginx_serves_tls_only_and_proxies_to_gunicorn_with_its_timeout():
    assert "443 ssl http2" in _values("listen")
    assert _values("return") == ["301 https://$host$request_uri"]
    assert set(_values("ssl_protocols")[0].split()) <= {"TLSv1.2", "TLSv1.3"}
    assert [value for value in _values("server") if value] == [GUNICORN_CONF["bind"]]  # the upstream
    assert set(_values("proxy_pass")) == {"http://ilr_app"}
    assert _values("proxy_read_timeout") == [f"{GUNICORN_CONF['timeout']}s"]


def test_nginx_logs_no_query_string_or_referrer():
    (log_format,) = _values("log_format")
    assert log_format.startswith("ilr_no_query ") and "$uri" in log_format
    assert not re.search(r"\$(request|request_uri|args|query_string|http_referer|arg_\w+)\b", log_format)
    assert all(value.endswith(" ilr_no_query") or value == "off" for value in _values("access_log"))
    assert all(value.endswith(" crit") for value in _values("error_log"))  # "error" quotes the request line


def test_nginx_accepts_the_configuration(tmp_path):
    nginx = require_tool("nginx", "nginx") or shutil.which("nginx")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem"), "-days", "1", "-subj", "/CN=ilr.example.nhs.uk"],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (
        NGINX_CONF.replace("/etc/ssl/ilr/fullchain.pem", str(tmp_path / "cert.pem"))
        .replace("/etc/ssl/ilr/privkey.pem", str(tmp_path / "key.pem"))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "ilr.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{ include {tmp_path}/ilr.conf; }}\n"
    )
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr


# --- systemd ------------------------------------------------------------------------------------------------------


def _unit(path: Path) -> dict[str, list[str]]:
    """`Section.Key: [values]` of a unit file (a key may be given more than once)."""
    parsed: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith("#"):
            key, _, value = line.partition("=")
            parsed.setdefault(f"{section}.{key}", []).append(value)
    return parsed


def test_every_job_has_a_timer_on_its_schedule_running_a_command_the_app_has():
    commands = {command.name for command in COMMANDS}
    timers = sorted(path.stem.removeprefix("ilr-") for path in UNITS.glob("*.timer"))
    assert timers == sorted(SCHEDULE)
    for job, (when, runs) in SCHEDULE.items():
        timer, service = _unit(UNITS / f"ilr-{job}.timer"), _unit(UNITS / f"ilr-{job}.service")
        assert timer["Timer.OnCalendar"] == [when], job
        assert timer["Install.WantedBy"] == ["timers.target"], job
        assert service["Service.Type"] == ["oneshot"] and service["Service.ExecStart"] == [runs], job
        if "flask " in runs:
            assert runs.rsplit(" ", 1)[1] in commands, job
        if job != "send-outbox":
            assert timer["Timer.Persistent"] == ["true"], job  # a night missed while off runs at start


def test_every_service_runs_as_ilr_from_the_app_folder_with_the_settings_file():
    for path in UNITS.glob("*.service"):
        unit = _unit(path)
        assert unit["Service.User"] == ["ilr"] and unit["Service.WorkingDirectory"] == ["/opt/ilr"], path.name
        assert unit["Service.EnvironmentFile"][0] == "/etc/ilr/ilr.env", path.name
        assert unit["Service.ProtectSystem"] == ["strict"] and unit["Service.NoNewPrivileges"] == ["yes"], path.name
        program = unit["Service.ExecStart"][0].split()[0]
        if program.startswith("/opt/ilr/deploy/"):
            assert os.access(ROOT / program.removeprefix("/opt/ilr/"), os.X_OK), path.name
    web = _unit(UNITS / "ilr-web.service")
    assert web["Service.ExecStart"] == ["/opt/ilr/.venv/bin/gunicorn --config /opt/ilr/deploy/gunicorn.conf.py"]
    assert web["Service.Type"] == ["notify"] and web["Install.WantedBy"] == ["multi-user.target"]


def test_systemd_verifies_the_units(tmp_path):
    analyse = require_tool("systemd-analyze", "systemd-analyze") or shutil.which("systemd-analyze")
    venv_bin = Path(sys.executable).parent
    for path in UNITS.iterdir():
        text = path.read_text().replace("/opt/ilr/.venv/bin/", f"{venv_bin}/").replace("/opt/ilr", str(ROOT))
        (tmp_path / path.name).write_text(text)
    units = sorted(str(path) for path in tmp_path.iterdir())
    checked = subprocess.run([analyse, "verify", *units], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert checked.returncode == 0 and (checked.stdout + checked.stderr).strip() == "", checked.stdout + checked.stderr


# --- README -------------------------------------------------------------------------------------------------------


def test_readme_names_every_deploy_file():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Running for a team", 1)[1].split("\n## ", 1)[0]
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            assert path.name in section, f"README's 'Running for a team' does not name deploy/{path.name}"
