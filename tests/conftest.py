"""Shared fixtures: an app on a database built by `flask db upgrade`, signed-in clients, factories, a browser."""

from __future__ import annotations

import contextvars
import html
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from flask import has_app_context
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from app import create_app
from models import Organisation, OrganisationType, Role, User, db, utcnow
from web.request_logs import WARNED_KEY

#: Fixtures for every test module: the factories (`create_patient(**overrides)` and friends), the live server and
#: browser tab of the browser tests, and the KPI tests' October.
pytest_plugins = ["tests.factories", "tests.browser", "tests.kpi_fixtures"]

ON_CI = os.environ.get("CI") == "true"
USE_POSTGRES = os.environ.get("ILR_TEST_DB") == "postgresql"
PASSWORD = "a-long-test-password"
#: Every test account's second factor (base32); `make_user(totp_enrolled_at=None)` makes one that must enrol.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: The refusal of a code already used: signing one user in twice within 30 s meets it.
CODE_REUSED = "has been used already"
#: Create forms carry a one-time token; `Client.submit` fetches it like a browser.
CREATE_FORM = re.compile(r"/new/|/admin/intake/")
FORM_TOKEN_INPUT = re.compile(r'name="form_token" type="hidden" value="([^"]*)"')
CSRF_INPUT = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
#: Only a signed-in page has it: the navbar's sign-out button.
SIGN_OUT_FORM = 'action="/logout"'


def base_config(url: str) -> dict:
    return {
        "TESTING": True,
        "ILR_ENV": "test",
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing: tests create many accounts
    }


def migrate_to_head(url: str) -> None:
    """Build the schema the way production does: the migrations, not create_all."""
    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A migrated database: a template SQLite file, or the PostgreSQL test database."""
    if USE_POSTGRES:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.fail("ILR_TEST_DB=postgresql needs TEST_DATABASE_URL")
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrate_to_head(url)
        return url
    template = tmp_path_factory.mktemp("db") / "template.sqlite"
    migrate_to_head(f"sqlite:///{template}")
    return f"sqlite:///{template}"


#: Reference data the migrations write (SQLite's template copy keeps it too): left in place between tests.
MIGRATED_DATA = frozenset({"bank_holiday"})


def _empty_postgres(engine) -> None:
    with engine.begin() as conn:
        tables = [t for t in db.metadata.sorted_tables if t.name not in MIGRATED_DATA]
        names = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory):
    """One app for the whole run, on a database file of its own (building an app compiles its ~350 routes: half a
    second, which once per test was half the suite). Each test gets it with an empty database: see `app`."""
    if USE_POSTGRES:
        return create_app(base_config(database_url)), None
    path = tmp_path_factory.mktemp("run") / "test.sqlite"
    return create_app(base_config(f"sqlite:///{path}")), path


@pytest.fixture
def app(shared_app, database_url):
    """The app on an empty migrated database (the template SQLite file copied over the app's file, or PostgreSQL
    truncated), with the configuration a test changes put back afterwards."""
    app, path = shared_app
    if path is not None:
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(database_url.removeprefix("sqlite:///"), path)
    config = dict(app.config)
    app.extensions.pop(WARNED_KEY, None)  # the once-per-app X-Forwarded-For warning: once per test
    with app.app_context():
        if USE_POSTGRES:
            _empty_postgres(db.engine)
        yield app
        db.session.remove()
        db.engine.dispose()  # the next test's copy is a new file: no connection may stay open on this one
    app.config.clear()
    app.config.update(config)


@pytest.fixture
def another_app(app):
    """`another_app(config)`: a second app on the test's database with other settings; its connections are closed
    at the end of the test (on PostgreSQL a connection left for the garbage collector fails a later test)."""
    made = []

    def make(config: dict):
        other = create_app(config)
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def make_org(app):
    counter = iter(range(1, 10_000))

    def make(**overrides) -> Organisation:
        n = next(counter)
        values = dict(name=f"Organisation {n}", type=OrganisationType.other, ods_code=f"TST{n:03d}")
        values.update(overrides)
        org = Organisation(**values)
        db.session.add(org)
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_user(app, make_org):
    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.coordinator, **overrides) -> User:
        role = Role(role)
        n = next(counter)
        org = overrides.pop("organisation", None) or make_org(name=f"{role.label} org {n}")
        user = User(email=f"{role.value}{n}@example.nhs.net", name=f"{role.label} {n}", role=role, organisation=org)
        user.totp_secret, user.totp_enrolled_at = TOTP_SECRET, utcnow()
        for key, value in overrides.items():
            setattr(user, key, value)
        user.set_password(overrides.get("password", PASSWORD))
        db.session.add(user)
        db.session.commit()
        return user

    return make


class _IsolatedHttp:
    """Runs each request outside the test's app context, as a real request would be.

    Without this the request would reuse the test's app context: its `g` (Flask-Login's cached
    user) and its database session. The test's open transaction is committed first, so SQLite's
    write lock is free and the test sees the request's changes afterwards.
    """

    def __init__(self, flask_client):
        self._client = flask_client

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        kwargs.setdefault("buffered", True)  # a streamed body must be read inside the same context
        return contextvars.Context().run(self._client.open, *args, **kwargs)

    def get(self, *args, **kwargs):
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args, **kwargs):
        return self.open(*args, method="POST", **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


class Client:
    """The Flask test client with the steps a person takes: sign in, post a form with its CSRF token."""

    def __init__(self, flask_client):
        self.http = _IsolatedHttp(flask_client)
        self._token = None

    def __getattr__(self, name):
        return getattr(self.http, name)

    def csrf_token(self) -> str:
        if self._token is None:
            page = self.http.get("/login")
            if page.status_code == 302:
                page = self.http.get("/admin/")
            self._token = self._token_on(page)
        return self._token

    def _token_on(self, page) -> str:
        """The CSRF token the page's forms carry (none is needed when a test turns CSRF off)."""
        match = CSRF_INPUT.search(page_text(page))
        if match is None:
            assert not self.http.application.config["WTF_CSRF_ENABLED"], f"no CSRF token on:\n{page_text(page)}"
            return ""
        return match.group(1)

    def attempt_sign_in(self, user_or_email, password: str = PASSWORD):
        """Post the sign-in form and return its answer, whatever it is (for the tests of refusals)."""
        email = getattr(user_or_email, "email", user_or_email)
        response = self.http.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.csrf_token()}
        )
        self._token = None
        return response

    def answer_code(self, code: str, step: str = "/code"):
        """Post the second step's form (a code from the app, or a recovery code; `step="/set-up"` for the first
        code at enrolment) and return its answer."""
        page = self.http.get(f"/login{step}")
        response = self.http.post(f"/login{step}", data={"code": code, "csrf_token": self._token_on(page)})
        self._token = None
        return response

    def sign_in(self, user_or_email, password: str = PASSWORD):
        """Sign in through both steps (the password, then the code the account's authenticator app would show),
        then open the admin home to prove it: a signed-in page, not the sign-in form or the code page.

        Returns the code form's answer (its redirect and cookie). Every test that needs a signed-in client
        comes here, so a change to signing in is made in this one place. Signing one user in twice within one
        30-second step meets the reuse rule: such a test moves the clock 30 s (time-machine) in between.
        """
        first = self.attempt_sign_in(user_or_email, password)
        response = first
        step = first.headers.get("Location", "") if first.status_code == 302 else ""
        if step.endswith(("/login/code", "/login/set-up")):
            # An account without a second factor sets one up, as a person would: the app reads the QR code's secret.
            response = self.answer_code(pyotp.TOTP(totp_secret_of(user_or_email)).now(), step.rpartition("/login")[2])
            assert CODE_REUSED not in page_text(response), (
                "this user was signed in less than 30 s ago with the same code: move the clock 30 s "
                "(the next_code_step fixture, or time_machine's shift) between the two sign-ins"
            )
        home = self.http.get("/admin/")
        text = page_text(home)
        if home.status_code != 200 or SIGN_OUT_FORM not in text:
            email = getattr(user_or_email, "email", user_or_email)
            raise AssertionError(
                f"signing in as {email} did not reach a signed-in page: the form answered"
                f" {response.status_code}, /admin/ answered {home.status_code}:\n"
                + page_text(response if response.status_code == 200 else home)
            )
        self._token = self._token_on(home)
        return response

    def sign_out(self):
        response = self.http.post("/logout", data={"csrf_token": self.csrf_token()})
        self._token = None
        return response

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form as the browser would: CSRF token included, and a create form's one-time token fetched
        from the form itself (as a browser has it from the page it posts)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        if CREATE_FORM.search(url) and "form_token" not in data:
            page = self.http.get(url)
            found = FORM_TOKEN_INPUT.search(page.get_data(as_text=True)) if page.status_code == 200 else None
            if found:
                data["form_token"] = html.unescape(found.group(1))
        return self.http.post(url, data=data, **kwargs)


def totp_secret_of(user_or_email) -> str:
    """The account's second-factor secret, from the test's database."""
    email = getattr(user_or_email, "email", user_or_email).strip().lower()
    secret = db.session.scalar(select(User.totp_secret).where(func.lower(User.email) == email))
    assert secret, f"{email} has no second-factor secret to answer with"
    return secret


@pytest.fixture
def next_code_step(time_machine):
    """`next_code_step()` between two sign-ins of one user: the clock moves 30 s on, so the authenticator shows
    a new code (the one before has been used, and a code is good once)."""
    started = []

    def move() -> None:
        if not started:
            time_machine.move_to(utcnow(), tick=True)
            started.append(True)
        time_machine.shift(timedelta(seconds=30))

    return move


@pytest.fixture
def client(app):
    return Client(app.test_client())


@pytest.fixture
def signed_in(app, make_user):
    """A client signed in with a new account of the given role: `signed_in("team_lead")`."""

    def sign_in(role: Role | str = Role.coordinator, **overrides) -> Client:
        user = make_user(role, **overrides)
        c = Client(app.test_client())
        c.sign_in(user)
        c.user = user
        return c

    return sign_in


def page_text(response) -> str:
    return response.get_data(as_text=True)


def require_tool(path: str, what: str) -> None:
    """On CI a missing browser or LibreOffice fails the run; on a laptop it skips."""
    if shutil.which(path) is None and not Path(path).exists():
        if ON_CI:
            pytest.fail(f"{what} ({path}) is missing on CI")
        pytest.skip(f"{what} ({path}) is not installed")
