"""Real browser journeys in headless Chromium against a live server, with the app's own CSP on:
signing in, and the team lead's organisation and account screens (tests/browser.py audits every page)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from models import Organisation, OrganisationType, Role, User, db
from tests.browser import Visit, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

TEAM_LEAD_EMAIL = "lead@example.nhs.net"
COORDINATOR_EMAIL = "coordinator@example.nhs.net"

#: Organisations the list starts with: enough to filter and search.
SEED_ORGANISATIONS = [
    ("Riverside ILR Team", OrganisationType.ilr_team, "ILR001"),
    ("Hillview Surgery", OrganisationType.gp_practice, "G82001"),
    ("Meadow Lane Practice", OrganisationType.gp_practice, "G82002"),
    ("County Social Services", OrganisationType.social_services, "SS0001"),
    ("Northgate Pharmacy", OrganisationType.pharmacy, "PH0001"),
]


def _seed() -> None:
    """The organisations above and a team lead and a coordinator with known passwords."""
    orgs = [Organisation(name=n, type=t, ods_code=c) for n, t, c in SEED_ORGANISATIONS]
    db.session.add_all(orgs)
    for email, name, role in (
        (TEAM_LEAD_EMAIL, "Tess Lead", Role.team_lead),
        (COORDINATOR_EMAIL, "Cora Coordinator", Role.coordinator),
    ):
        user = User(email=email, name=name, role=role, organisation=orgs[0])
        user.set_password(PASSWORD)
        db.session.add(user)


@pytest.fixture(scope="module")
def live_seed():
    """What the live server's database starts with, for tests/browser.py."""
    return _seed


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

    # Open the list from the Administration menu.
    page.get_by_role("link", name="Administration", exact=True).click()
    page.get_by_role("link", name="Organisations").click()
    page.wait_for_url(re.compile(r"/admin/organisation/$"))
    visit.check("organisation-list")
    assert list_names(page) == sorted(n for n, _, _ in SEED_ORGANISATIONS)

    # Filter by type with the list's "Filter" menu.
    page.get_by_role("link", name="Filter", exact=True).click()
    page.locator(".field-filters a.filter", has_text="Type").click()
    filter_row = page.locator("#filter_form table.filters tr").last
    pick_select2(page, filter_row.locator("td").last.locator(".select2-container"), "GP practice")
    page.locator("#filter_form").get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"flt"))
    visit.check("organisation-list-filtered")
    assert list_names(page) == ["Hillview Surgery", "Meadow Lane Practice"]
    page.get_by_role("link", name="Clear filters").click()
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
    page.get_by_role("link", name="Add", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/organisation/new/"))
    visit.check("organisation-create")
    page.get_by_label("Name").fill("Brookside Housing")
    pick_select2(page, page.locator("#s2id_type"), "Housing")
    page.get_by_label("ODS code").fill("hs0042")
    page.get_by_label("Secure email").fill("housing@brookside.nhs.net")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/organisation/(\?.*)?$"))
    visit.check("organisation-created")
    assert "Saved." in page.inner_text("main")
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

    # Archive two rows with the "With the selected records" menu, accepting the confirmation.
    visit.goto("/admin/organisation/", "organisation-list-before-archive")
    for name in ("Brookside Housing Trust", "Northgate Pharmacy"):
        row_with(page, name).locator("input.action-checkbox").check()
    page.get_by_role("button", name="With the selected records").click()
    page.locator("[data-ilr-action=archive]").click()
    expect(page.locator(".alert-success")).to_contain_text("2 records archived.")  # the list, reloaded
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
    page.get_by_role("button", name="With the selected records").click()
    page.locator("[data-ilr-action=restore]").click()
    expect(page.locator(".alert-success")).to_contain_text("1 record restored.")
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
    page.get_by_role("link", name="Add", exact=True).click()
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
    assert "Saved." in page.inner_text("main")
    row = page.locator("table.model-list tbody tr").filter(has_text="pat.partner@example.nhs.net")
    assert "Hillview Surgery" in row.inner_text()
    assert "Partner agency" in row.inner_text()

    row.locator("a[title='Edit Record']").click()
    page.wait_for_url(re.compile(r"/admin/user/edit/"))
    visit.check("user-edit")
    assert "Hillview Surgery" in page.locator("#s2id_organisation").inner_text()

    sign_out(visit)
    # The new account signs in with the password the team lead set.
    sign_in(visit, "pat.partner@example.nhs.net", "a-brand-new-partner-password")


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
    assert page.get_by_role("button", name="With the selected records").count() == 0  # archiving is the team lead's
    page.get_by_role("link", name="Administration", exact=True).click()
    assert page.get_by_role("link", name="User accounts").count() == 0
    # Asked for directly (with this browser's cookies), the accounts screen is refused.
    assert page.request.get(visit.base_url + "/admin/user/", max_redirects=0).status == 403
    sign_out(visit)
