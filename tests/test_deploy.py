"""deploy/ as shipped: gunicorn's config serves the app with several workers and logs no query string; nginx's
holds the settings README promises (body limit, HSTS, forwarded headers, timeouts, logs), passes `nginx -t`, and in
front of gunicorn (on loopback ports) lets a coordinator sign in over TLS with the real client in the audit trail;
the systemd units pass `systemd-analyze verify` and run each job on its schedule.

The nginx and systemd checks need the tools: on CI (`CI=true`) a missing one fails the run (`make
system-deps` installs nginx-light there); elsewhere they are skipped and the parsing tests still hold the files
to what README says.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import runpy
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from cli import COMMANDS
from models import AuditAction, AuditEntry, db
from tests.conftest import CSRF_INPUT as CSRF
from tests.conftest import PASSWORD, TOTP_SECRET, USE_POSTGRES, require_tool

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
    "kpi-tallies": ("*-*-* 04:00:00 Europe/London", "/opt/ilr/.venv/bin/flask rebuild-kpi-tallies --if-out-of-date"),
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
        with urllib.request.urlopen(request, timeout=30) as response:
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


@contextmanager
def _gunicorn(url: str, folder: Path, workers: int = 2, keys: list[str] | None = None):
    """gunicorn started as ilr-web.service starts it (the shipped config), on a free port: yields the port; its
    access log (stdout) and error log are left in `folder`. `keys`: the test app's secret keys, for accounts whose
    second factor it stored."""
    port = _free_port()
    env = os.environ | {
        "ILR_ENV": "production", "SECRET_KEY": "deploy-test", "MAIL_FROM": "ilr.team@nhs.net", "PROXY_COUNT": "1",
        "DATABASE_URL": url, "ILR_SECRET_KEYS": ",".join(keys or [Fernet.generate_key().decode()]),
    }  # fmt: skip
    gunicorn = Path(sys.executable).with_name("gunicorn")
    out, err = (folder / "access.log").open("w"), (folder / "error.log").open("w")
    command = [str(gunicorn), "--config", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/health", process)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        out.close(), err.close()


def test_gunicorn_serves_the_app_from_its_config_with_workers_and_logs_no_query_string(database_url, tmp_path):
    with _gunicorn(_database_for_gunicorn(database_url, tmp_path), tmp_path) as port:
        forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        assert _get(f"http://127.0.0.1:{port}/health?nhs=9990001234&search=Nightingale", forwarded) == 200
    access, errors = (tmp_path / "access.log").read_text(), (tmp_path / "error.log").read_text()
    assert "203.0.113.9 - - [" in access and '"GET /health HTTP/1.1" 200' in access, access
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


def _throwaway_nginx(folder: Path, ports: tuple[int, int, int] | None = None) -> list[str]:
    """The shipped site inside a throwaway nginx (a self-signed certificate; logs, pid and temp files in `folder`):
    with `ports` (http, https, gunicorn) it listens on loopback. Returns nginx's arguments after the program."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(folder / "key.pem"),
         "-out", str(folder / "cert.pem"), "-days", "1", "-subj", "/CN=ilr.example.nhs.uk"],
        check=True, capture_output=True,
    )  # fmt: skip
    replacements = {"/etc/ssl/ilr/fullchain.pem": str(folder / "cert.pem"),
                    "/etc/ssl/ilr/privkey.pem": str(folder / "key.pem"), "/var/log/nginx/": f"{folder}/"}  # fmt: skip
    if ports:
        http, https, upstream = ports
        site = re.sub(r"\n *listen \[::\]:\d+[^;]*;", "", NGINX_CONF)  # loopback only: no IPv6 wildcard
        replacements |= {"listen 80;": f"listen 127.0.0.1:{http};", "listen 443 ssl": f"listen 127.0.0.1:{https} ssl",
                         "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};"}  # fmt: skip
    else:
        site = NGINX_CONF
    for shipped, here in replacements.items():
        assert shipped in site, f"deploy/nginx/ilr.conf no longer has {shipped!r}: update this test"
        site = site.replace(shipped, here)
    (folder / "ilr.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = "user root;\n" if os.geteuid() == 0 else ""  # (a root master's workers would be nobody: no tmp access)
    main += f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
    (folder / "nginx.conf").write_text(main + f"http {{ {temp} include {folder}/ilr.conf; }}\n")
    return ["-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]


def test_nginx_accepts_the_configuration(tmp_path):
    nginx = require_tool("nginx", "nginx") or shutil.which("nginx")
    checked = subprocess.run([nginx, "-t", *_throwaway_nginx(tmp_path)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr


def _https_opener() -> urllib.request.OpenerDirector:
    """A client that keeps cookies and trusts the throwaway certificate (loopback only)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), urllib.request.HTTPSHandler(context=context)
    )


def _page(opener, url: str, form: dict | None = None, referer: str | None = None) -> tuple[str, object]:
    headers = {"X-Forwarded-For": "6.6.6.6"}  # a client's own claim: nginx must overwrite it
    if referer:
        headers["Referer"] = referer
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    with opener.open(urllib.request.Request(url, data=data, headers=headers), timeout=30) as response:
        return response.read().decode(), response.headers


@contextmanager
def _nginx_in_front(folder: Path, upstream: int):
    """The shipped nginx site on loopback ports in front of gunicorn: yields (http port, https port)."""
    nginx = require_tool("nginx", "nginx") or shutil.which("nginx")
    ports = (_free_port(), _free_port())
    arguments = _throwaway_nginx(folder, (*ports, upstream))
    server = subprocess.Popen([nginx, *arguments, "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                _page(_https_opener(), f"https://127.0.0.1:{ports[1]}/health")
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not answer"
                time.sleep(0.2)
        yield ports
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()


def _status(connection: http.client.HTTPConnection, method: str, path: str, headers: dict) -> tuple[int, str]:
    """Send only the request's head (a body announced is never sent): nginx answers from the head alone."""
    connection.putrequest(method, path)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    return response.status, response.getheader("Location") or ""


def test_behind_the_shipped_nginx_a_coordinator_signs_in_over_tls_and_the_trail_has_the_real_client(
    app, make_user, tmp_path
):
    email = make_user().email
    db.session.remove()  # gunicorn's workers use the test's database
    with (
        _gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, keys=app.config["ILR_SECRET_KEYS"]) as upstream,
        _nginx_in_front(tmp_path, upstream) as (http_port, https_port),
    ):
        base, browser = f"https://127.0.0.1:{https_port}", _https_opener()
        page, _ = _page(browser, f"{base}/login")
        form = {"email": email, "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)}
        with pytest.raises(urllib.error.HTTPError) as refused:
            _page(browser, f"{base}/login", form)  # no Referer: refused over HTTPS, so the app knows it is HTTPS
        assert refused.value.code == 400
        refused.value.close()  # the refusal holds its TLS connection until closed
        page, _ = _page(browser, f"{base}/login", form, referer=f"{base}/login")  # Flask-WTF's HTTPS referrer check
        form = {"code": pyotp.TOTP(TOTP_SECRET).now(), "csrf_token": CSRF.search(page).group(1)}
        page, headers = _page(browser, f"{base}/login/code", form, referer=f"{base}/login/code")
        assert 'action="/logout"' in page  # signed in, through both steps, over TLS
        assert headers.get_all("Strict-Transport-Security") == ["max-age=31536000; includeSubDomains"]  # once
        _page(browser, f"{base}/admin/patient/?search=Nightingale")

        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
        assert _status(plain, "GET", "/admin/", {}) == (301, "https://127.0.0.1/admin/")
        secure = http.client.HTTPSConnection(
            "127.0.0.1", https_port, timeout=30, context=ssl._create_unverified_context()
        )
        too_large = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(16 * 1024 * 1024 + 1)}
        assert _status(secure, "POST", "/login", too_large)[0] == 413
        plain.close(), secure.close()
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.sign_in)).one()
    assert entry.client_address == "127.0.0.1"  # as nginx saw it: the client's own X-Forwarded-For was overwritten
    nginx_log, app_log = (tmp_path / "ilr-access.log").read_text(), (tmp_path / "access.log").read_text()
    assert '"GET /admin/patient/ HTTP/1.1" 200' in nginx_log and "Nightingale" not in nginx_log + app_log
    assert "6.6.6.6" not in app_log


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
            assert runs.split("flask ", 1)[1].split()[0] in commands, job
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


def settings_in(path: Path) -> dict[str, str]:
    pairs = (line.split("#", 1)[0].split("=", 1) for line in path.read_text().splitlines())
    return {pair[0].strip(): pair[1].strip() for pair in pairs if len(pair) == 2}


@pytest.mark.skipif(not USE_POSTGRES, reason="the settings are PostgreSQL's")
def test_postgresql_settings_are_settings_this_server_accepts(app):
    """Every line of deploy/postgresql/ilr.conf names a real setting; those a session may set, with a value it takes."""
    settings = settings_in(DEPLOY / "postgresql" / "ilr.conf")
    assert {"shared_buffers", "work_mem", "random_page_cost", "jit"} <= settings.keys()
    with app.app_context(), db.engine.connect() as connection:
        for name, value in settings.items():
            # set_config checks the name and the value without changing the server (for this transaction only)
            context = connection.scalar(text("SELECT context FROM pg_settings WHERE name = :n"), {"n": name})
            assert context is not None, f"{name} is not a PostgreSQL setting"
            if context in {"user", "superuser"}:
                connection.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
