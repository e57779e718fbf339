"""Sessions in a real browser: a cookie copied before signing out opens nothing afterwards."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models import Organisation, OrganisationType, Role, User, db
from tests.browser import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "sessions@example.nhs.net"


def _seed() -> None:
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    user = User(email=EMAIL, name="Sol Sessions", role=Role.coordinator, organisation=team)
    user.set_password(PASSWORD)
    db.session.add_all([team, user])


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def test_a_copied_cookie_is_refused_after_sign_out(visit, browser, live_server):
    sign_in(visit, EMAIL)
    copied = visit.page.context.cookies()
    assert any(c["name"] == "session" for c in copied)
    visit.page.get_by_role("button", name="Sign out").click()
    expect(visit.page.get_by_role("alert").first).to_contain_text("You have signed out")

    elsewhere = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    try:
        elsewhere.add_cookies(copied)  # someone who copied the cookie before the sign-out
        page = elsewhere.new_page()
        page.goto(live_server.url + "/admin/patient/")
        expect(page).to_have_url(live_server.url + "/login?next=/admin/patient/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        elsewhere.close()
