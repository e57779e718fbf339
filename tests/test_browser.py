"""Real browser journeys in headless Chromium against a live server, with the app's own CSP on.

Every page a test visits is checked the same way: no Content-Security-Policy violation, no
JavaScript error, no axe-core violation of impact "serious" or "critical", and a screenshot in
test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from models import Organisation, OrganisationType, Role, User, db
from tests.conftest import PASSWORD, USE_POSTGRES, base_config, require_tool

pytestmark = pytest.mark.browser

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
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TEAM_LEAD_EMAIL = "lead@example.nhs.net"
COORDINATOR_EMAIL = "coordinator@example.nhs.net"
#: axe-core impacts that fail a test; "minor" and "moderate" are left to review.
BLOCKING_IMPACTS = {"serious", "critical"}
#: Every axe-core finding, blocking or not, for a person to review (in test-artifacts/).
AXE_REPORT = "axe-report.txt"

#: Runs before any page script: keeps every CSP violation the page reports, for the test to read.
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
                     line: e.lineNumber, sample: e.sample});
});
"""

#: Organisations the list starts with: enough to filter and search.
SEED_ORGANISATIONS = [
    ("Riverside ILR Team", OrganisationType.ilr_team, "ILR001"),
    ("Hillview Surgery", OrganisationType.gp_practice, "G82001"),
    ("Meadow Lane Practice", OrganisationType.gp_practice, "G82002"),
    ("County Social Services", OrganisationType.social_services, "SS0001"),
    ("Northgate Pharmacy", OrganisationType.pharmacy, "PH0001"),
]


def _seed(app) -> None:
    """The organisations above and a team lead and a coordinator with known passwords."""
    with app.app_context():
        orgs = [Organisation(name=n, type=t, ods_code=c) for n, t, c in SEED_ORGANISATIONS]
        db.session.add_all(orgs)
        for email, name, role in (
            (TEAM_LEAD_EMAIL, "Tess Lead", Role.team_lead),
            (COORDINATOR_EMAIL, "Cora Coordinator", Role.coordinator),
        ):
            user = User(email=email, name=name, role=role, organisation=orgs[0])
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(database_url, tmp_path_factory):
    """The app on a copy of the migrated SQLite database, served by werkzeug on a free port."""
    if USE_POSTGRES:
        pytest.skip("browser tests run on SQLite")
    require_tool(CHROMIUM, "Chromium")
    copy = tmp_path_factory.mktemp("live") / "live.sqlite"
    shutil.copy(database_url.removeprefix("sqlite:///"), copy)
    app = create_app(base_config(f"sqlite:///{copy}"))
    _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser(live_server):
    """One headless Chromium for the module (Debian's build: Playwright cannot download its own here)."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / AXE_REPORT).unlink(missing_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Visit:
    """One browser tab that records CSP violations and script errors, and audits each page it shows."""

    def __init__(self, page, base_url: str, name: str):
        self.page = page
        self.base_url = base_url
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

    def check(self, label: str) -> None:
        """Audit the page now shown: CSP, script errors, a title, axe-core, and a screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        self.assert_clean()
        assert page.title().strip(), f"{page.url} has no <title>"
        self.shots += 1
        page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"), full_page=True)
        # Axe is injected with page.evaluate, which the page's script-src does not govern:
        # the CSP stays fully on for the page under test.
        violations = Axe().run(page).response["violations"]
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
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(10_000)
    tab = Visit(page, live_server, request.node.name.removeprefix("test_"))
    try:
        yield tab
        tab.assert_clean()
    finally:
        context.close()


def sign_in(visit: Visit, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person does."""
    page = visit.goto("/login", "sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    visit.check("home")


def pick_select2(page, widget, option: str, search: str | None = None) -> None:
    """Choose `option` in a select2 widget the way a person does: open it, type, click the match."""
    widget.locator(".select2-choice").click()
    drop = page.locator("#select2-drop")
    if search is not None:
        drop.locator("input.select2-input").fill(search)
    drop.locator(".select2-result-label", has_text=option).click()
    assert option in widget.inner_text()


def list_names(page) -> list[str]:
    """The names shown in the organisation list, in order."""
    return [t.strip() for t in page.locator("table.model-list tbody td.col-name").all_inner_texts()]


def row_with(page, name: str):
    return page.locator("table.model-list tbody tr").filter(has=page.locator("td.col-name", has_text=name))


def test_sign_in_page_refuses_a_wrong_password(visit):
    page = visit.goto("/login", "sign-in")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    page.get_by_label("Email address").fill(TEAM_LEAD_EMAIL)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The email address or password is not right")
    visit.check("sign-in-refused")
    # Still signed out: a screen sends the browser back to the sign-in page.
    page.goto(visit.base_url + "/admin/organisation/")
    assert urlsplit(page.url).path == "/login"


def test_team_lead_manages_organisations(visit):
    sign_in(visit, TEAM_LEAD_EMAIL)
    page = visit.page

    # Open the list from the Settings menu.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Organisations").click()
    page.wait_for_url(re.compile(r"/admin/organisation/$"))
    visit.check("organisation-list")
    assert list_names(page) == sorted(n for n, _, _ in SEED_ORGANISATIONS)

    # Filter by type with Flask-Admin's "Add Filter" menu.
    page.get_by_role("link", name="Add Filter").click()
    page.locator(".field-filters a.filter", has_text="Type").click()
    filter_row = page.locator("#filter_form table.filters tr").last
    pick_select2(page, filter_row.locator("td").last.locator(".select2-container"), "GP practice")
    page.locator("#filter_form").get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"flt"))
    visit.check("organisation-list-filtered")
    assert list_names(page) == ["Hillview Surgery", "Meadow Lane Practice"]
    page.get_by_role("link", name="Reset Filters").click()
    page.wait_for_url(lambda url: "flt" not in url)
    assert len(list_names(page)) == len(SEED_ORGANISATIONS)

    # Search by ODS code.
    page.get_by_role("search").locator("input[name=search]").fill("SS0001")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"search=SS0001"))
    visit.check("organisation-list-searched")
    assert list_names(page) == ["County Social Services"]

    # Create an organisation.
    visit.goto("/admin/organisation/", "organisation-list-again")
    page.get_by_role("link", name="Create", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/organisation/new/"))
    visit.check("organisation-create")
    page.get_by_label("Name").fill("Brookside Housing")
    pick_select2(page, page.locator("#s2id_type"), "Housing")
    page.get_by_label("ODS code").fill("hs0042")
    page.get_by_label("Secure email").fill("housing@brookside.nhs.net")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/organisation/(\?.*)?$"))
    visit.check("organisation-created")
    assert "Record was successfully created." in page.inner_text("main")
    row = row_with(page, "Brookside Housing")
    assert row.locator("td.col-ods_code").inner_text().strip() == "HS0042"  # upper-cased on save

    # Edit it from its row.
    row.locator("a[title='Edit Record']").click()
    page.wait_for_url(re.compile(r"/admin/organisation/edit/"))
    visit.check("organisation-edit")
    page.get_by_label("Name").fill("Brookside Housing Trust")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/organisation/(\?.*)?$"))
    visit.check("organisation-edited")
    assert "Brookside Housing Trust" in list_names(page)

    # Its record page.
    row_with(page, "Brookside Housing Trust").locator("a[title='View Record']").click()
    page.wait_for_url(re.compile(r"/admin/organisation/details/"))
    visit.check("organisation-details")
    assert "HS0042" in page.inner_text("main")

    # Archive two rows with the "With selected" menu, accepting the confirmation.
    visit.goto("/admin/organisation/", "organisation-list-before-archive")
    for name in ("Brookside Housing Trust", "Northgate Pharmacy"):
        row_with(page, name).locator("input.action-checkbox").check()
    page.get_by_role("button", name="With selected").click()
    page.locator("[data-ilr-action=archive]").click()
    expect(page.locator(".alert")).to_contain_text("2 record(s) archived.")  # the list, reloaded
    assert visit.dialogs == ["Archive the selected records? They leave lists, exports and reports."]
    visit.check("organisation-archived")
    assert "Brookside Housing Trust" not in list_names(page)
    assert "Northgate Pharmacy" not in list_names(page)

    # The archived rows show in "Show archived", and can be restored from there.
    page.get_by_role("link", name="Show archived").click()
    page.wait_for_url(re.compile(r"archived=1"))
    visit.check("organisation-archived-list")
    assert list_names(page) == ["Brookside Housing Trust", "Northgate Pharmacy"]
    row_with(page, "Brookside Housing Trust").locator("input.action-checkbox").check()
    page.get_by_role("button", name="With selected").click()
    page.locator("[data-ilr-action=restore]").click()
    expect(page.locator(".alert")).to_contain_text("1 record(s) restored.")
    assert visit.dialogs[-1] == "Restore the selected records to lists and reports?"
    assert "archived=1" in page.url
    visit.check("organisation-restored")
    assert list_names(page) == ["Northgate Pharmacy"]
    page.get_by_role("link", name="Back to live records").click()
    page.wait_for_url(re.compile(r"/admin/organisation/$"))
    assert "Brookside Housing Trust" in list_names(page)
    assert "Northgate Pharmacy" not in list_names(page)

    sign_out(visit)


def test_team_lead_creates_a_user_account(visit):
    sign_in(visit, TEAM_LEAD_EMAIL)
    page = visit.goto("/admin/user/", "user-list")
    page.get_by_role("link", name="Create", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/user/new/"))
    visit.check("user-create")

    page.get_by_label("Name").fill("Pat Partner")
    page.get_by_label("Email").fill("Pat.Partner@Example.NHS.net")
    pick_select2(page, page.locator("#s2id_role"), "Partner agency")
    # The organisation is a select2 look-up over ajax: open it, type, pick the match.
    pick_select2(page, page.locator("#s2id_organisation"), "Hillview Surgery", search="Hillview")
    page.get_by_label("New password").fill("a-brand-new-partner-password")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/user/(\?.*)?$"))
    visit.check("user-created")
    assert "Record was successfully created." in page.inner_text("main")
    row = page.locator("table.model-list tbody tr").filter(has_text="pat.partner@example.nhs.net")
    assert "Hillview Surgery" in row.inner_text()
    assert "Partner agency" in row.inner_text()

    row.locator("a[title='Edit Record']").click()
    page.wait_for_url(re.compile(r"/admin/user/edit/"))
    visit.check("user-edit")
    assert "Hillview Surgery" in page.locator("#s2id_organisation").inner_text()

    sign_out(visit)
    # The new account signs in with the password the team lead set.
    page = visit.goto("/login", "sign-in-again")
    page.get_by_label("Email address").fill("pat.partner@example.nhs.net")
    page.get_by_label("Password").fill("a-brand-new-partner-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    visit.check("partner-home")


def sign_out(visit: Visit) -> None:
    """Sign out with the navbar button and land on the sign-in page."""
    page = visit.page
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login"))
    visit.check("signed-out")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert "You have signed out." in page.inner_text("main")


def test_coordinator_sees_organisations_without_team_lead_tools(visit):
    sign_in(visit, COORDINATOR_EMAIL)
    page = visit.goto("/admin/organisation/", "organisation-list")
    assert "Hillview Surgery" in list_names(page)
    assert page.get_by_role("link", name="Show archived").count() == 0
    assert page.get_by_role("button", name="With selected").count() == 0  # archiving is the team lead's
    page.get_by_role("link", name="Settings").click()
    assert page.get_by_role("link", name="User accounts").count() == 0
    # Asked for directly (with this browser's cookies), the accounts screen is refused.
    assert page.request.get(visit.base_url + "/admin/user/", max_redirects=0).status == 403
    sign_out(visit)
