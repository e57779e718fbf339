"""What the browser tests share (a pytest plugin, loaded by the conftest): one live server, one
headless Chromium, a tab that audits every page it shows, and signing in through the real form.

Every page a tab visits is checked the same way: no Content-Security-Policy violation, no
JavaScript error, no axe-core violation of impact "serious" or "critical", and a screenshot in
test-artifacts/ for a person to look at. A browser test module says what its database starts
with by defining a module-scoped `live_seed` fixture: a function that adds rows, in an app context.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from models import User, db, utcnow
from tests.conftest import PASSWORD, USE_POSTGRES, base_config, require_tool

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The browser's own language: date inputs then read 25/11/2026 (needs Debian's chromium-l10n; make deps).
    "--lang=en-GB",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
#: axe-core impacts that fail a test; "minor" and "moderate" are left to review.
BLOCKING_IMPACTS = {"serious", "critical"}
#: Every axe-core finding, blocking or not, for a person to review (in test-artifacts/).
AXE_REPORT = "axe-report.txt"
#: axe-core's tags for the WCAG 2.2 A and AA rules: `check(label, WCAG_22_AA)` runs them all (target size too).
WCAG_22_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

#: Runs before any page script: keeps every CSP violation the page reports, for the test to read.
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
                     line: e.lineNumber, sample: e.sample});
});
"""


@dataclass
class LiveServer:
    #: The served app: a test opens an app context on it to read what the browser did.
    app: Flask
    url: str


#: Clock moves made so far (see `_fresh_code`): undone, last first, when the module's live server stops.
_CLOCK_MOVES: list = []


def move_clock_on(seconds: int) -> None:
    """Move this process's clock (the live server's too: it runs in a thread here) on, ticking from there."""
    traveller = time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=True)
    traveller.start()
    _CLOCK_MOVES.append(traveller)


@pytest.fixture(scope="module")
def live_config() -> dict:
    """Settings the module's live server adds to the tests' own (a module overrides this fixture)."""
    return {}


@pytest.fixture(scope="module")
def live_server(database_url, tmp_path_factory, live_seed: Callable[[], None], live_config: dict):
    """The app on a copy of the migrated SQLite database, seeded by the module's `live_seed`, served on a free port."""
    if USE_POSTGRES:
        pytest.skip("browser tests run on SQLite")
    copy = tmp_path_factory.mktemp("live") / "live.sqlite"
    shutil.copy(database_url.removeprefix("sqlite:///"), copy)
    app = create_app(base_config(f"sqlite:///{copy}") | live_config)
    with app.app_context():
        live_seed()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Links in emails (a member's availability poll) point at this server.
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, app.config["PUBLIC_BASE_URL"])
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        while _CLOCK_MOVES:  # the clock comes back with the module's server: the next tests run on real time
            _CLOCK_MOVES.pop().stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the run (Debian's build: Playwright cannot download its own here)."""
    require_tool(CHROMIUM, "Chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / AXE_REPORT).unlink(missing_ok=True)
    with sync_playwright() as playwright:
        # Chromium formats date inputs by the process's language, not the page's locale: en-GB for both.
        british = {**os.environ, "LANG": "en_GB.UTF-8", "LANGUAGE": "en_GB"}
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=british)
        try:
            yield chromium
        finally:
            chromium.close()


class Visit:
    """One browser tab that records CSP violations and script errors, and audits each page it shows."""

    def __init__(self, page, base_url: str, name: str, app: Flask | None = None):
        self.page = page
        self.base_url = base_url
        #: The served app, for reading what the browser did (and an account's second-factor state).
        self.app = app
        self.name = name
        self.shots = 0
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        page.on("dialog", self._on_dialog)

    def _on_console(self, message) -> None:
        # Chromium reports CSP refusals (and any failed script) as console errors.
        if message.type == "error":
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def _on_dialog(self, dialog) -> None:
        """Accept confirm() dialogs (the bulk-action confirmation); keep their text for assertions."""
        self.dialogs.append(dialog.message)
        dialog.accept()

    def goto(self, path: str, label: str):
        self.page.goto(self.base_url + path)
        self.check(label)
        return self.page

    def assert_clean(self) -> None:
        """No CSP violation, console error or uncaught exception so far on this tab."""
        violations = self.page.evaluate("window.__csp.splice(0)")
        console_errors, self.console_errors = self.console_errors, []
        page_errors, self.page_errors = self.page_errors, []
        assert violations == [], f"CSP violations on {self.page.url}: {violations}"
        assert console_errors == [], f"console errors: {console_errors}"
        assert page_errors == [], f"JavaScript errors: {page_errors}"

    def check(self, label: str, tags: tuple[str, ...] = ()) -> None:
        """Audit the page now shown: CSP, script errors, a title, axe-core (its default rules, or only those with
        `tags`), and a screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        self.assert_clean()
        assert page.title().strip(), f"{page.url} has no <title>"
        self.shots += 1
        page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"), full_page=True)
        # Axe is injected with page.evaluate, which the page's script-src does not govern:
        # the CSP stays fully on for the page under test.
        options = {"runOnly": {"type": "tag", "values": list(tags)}} if tags else None
        violations = (Axe().run(page, options=options) if options else Axe().run(page)).response["violations"]
        if violations:
            with (ARTIFACTS / AXE_REPORT).open("a") as report:
                report.write(f"{self.name} / {label} ({page.url}):\n{_describe(violations)}\n")
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe-core on {label} ({page.url}):\n{_describe(blocking)}"
        self.assert_clean()


def _describe(violations: list[dict]) -> str:
    """One line per axe-core rule broken: its id, impact, help text and the first few elements."""
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in violations
    )


@pytest.fixture
def visit(browser, live_server, request):
    """A fresh browser context (no cookies) with the CSP listener, for one test."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 1000},
        accept_downloads=True,
        # What a UK user sees: dates as 25/11/2026 in date inputs, times in London.
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(10_000)
    tab = Visit(page, live_server.url, request.node.name.removeprefix("test_"), live_server.app)
    try:
        yield tab
        tab.assert_clean()
    finally:
        context.close()


def _fresh_code(visit: Visit, email: str, secret: str) -> str:
    """The code the account's authenticator app shows now; one not used yet. The tests of a module share one live
    database, and one account signs in test after test: when its last accepted code is this 30 s step's, the
    clock moves on to the next step (as a person would wait), rather than the test meeting the reuse rule."""
    with visit.app.app_context():
        last = db.session.scalar(db.select(User.totp_last_step).where(User.email == email.lower()))
        db.session.remove()
    totp = pyotp.TOTP(secret)
    if last is not None and totp.timecode(utcnow()) <= last:
        move_clock_on(30 * (last - totp.timecode(utcnow()) + 1))
    return totp.now()


def _secret_of(visit: Visit, email: str) -> str:
    with visit.app.app_context():
        secret = db.session.scalar(db.select(User.totp_secret).where(User.email == email.lower()))
        db.session.remove()
    assert secret, f"{email} has no second-factor secret"
    return secret


def sign_in(visit: Visit, email: str, password: str = PASSWORD) -> None:
    """Sign in through both steps, as a person does: the password, then the code of their authenticator app
    (setting one up from the page's key when the account has none); fail unless the signed-in admin home loads.

    Every browser test signs in here, so a change to signing in is made in this one place.
    """
    page = visit.goto("/login", "sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    try:
        expect(page).to_have_url(re.compile(r"/login/(code|set-up)$"), timeout=10_000)
        setting_up = page.url.endswith("/set-up")
        visit.check("set-up" if setting_up else "code")
        secret = page.locator(".totp-secret").inner_text().replace(" ", "") if setting_up else _secret_of(visit, email)
        page.get_by_label("Code from your authenticator app").fill(_fresh_code(visit, email, secret))
        page.get_by_role("button", name="Set up and sign in" if setting_up else "Continue").click()
        if setting_up:
            expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
            visit.check("recovery-codes")
            page.get_by_role("link", name="I have kept them: continue").click()
        expect(page).to_have_url(re.compile(r"/admin/$"), timeout=10_000)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    except AssertionError as exc:
        shown = page.inner_text("body")
        raise AssertionError(f"signing in as {email} did not reach the admin home ({page.url}):\n{shown}") from exc
    visit.check("home")
