"""The second factor in a real browser (issue 16): set up from the page's QR code key, signed out, signed in with
the next code, refused with a reused one; and signing in through the organisation's provider on loopback."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from models import Organisation, OrganisationType, Role, User, db, utcnow
from tests.browser import move_clock_on, sign_in
from tests.conftest import PASSWORD, TOTP_SECRET
from tests.identity_provider import identity_provider, person

pytestmark = pytest.mark.browser

NEWCOMER = "newcomer@example.nhs.net"
ALICE = "alice@example.nhs.net"


@pytest.fixture(scope="module")
def provider():
    with identity_provider([person("sub-alice", ALICE)]) as running:
        yield running


@pytest.fixture(scope="module")
def live_config(provider):
    return provider.config()


def _seed() -> None:
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    newcomer = User(email=NEWCOMER, name="Nia Newcomer", role=Role.coordinator, organisation=team)
    alice = User(email=ALICE, name="Alice Able", role=Role.coordinator, organisation=team)
    alice.totp_secret, alice.totp_enrolled_at = TOTP_SECRET, utcnow()
    for user in (newcomer, alice):
        user.set_password(PASSWORD)
    db.session.add_all([team, newcomer, alice])


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def _password_step(visit, email: str):
    page = visit.goto("/login", "sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    return page


def test_set_up_sign_out_sign_in_with_a_code_and_a_reused_code_refused(visit):
    page = _password_step(visit, NEWCOMER)
    expect(page).to_have_url(re.compile(r"/login/set-up$"))
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    visit.check("set-up")
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")  # what the phone's app reads
    totp = pyotp.TOTP(secret)
    used = totp.now()  # the code this sign-in spends
    page.get_by_label("Code from your authenticator app").fill(used)
    page.get_by_role("button", name="Set up and sign in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert len(page.locator(".recovery-codes li").all_inner_texts()) == 10
    visit.check("recovery-codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page = _password_step(visit, NEWCOMER)
    expect(page).to_have_url(re.compile(r"/login/code$"))
    page.get_by_label("Code from your authenticator app").fill(used)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("That code has been used already")
    visit.check("code-reused")
    # Half a minute later the app shows the next code (the clock moves on: the live server's too).
    move_clock_on(30)
    page.get_by_label("Code from your authenticator app").fill(totp.now())
    assert totp.now() != used
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    visit.check("signed-in-with-code")


def test_sign_in_through_the_organisations_provider(visit, provider):
    page = visit.goto("/login", "sign-in-with-organisation")
    page.get_by_role("link", name="Sign in with NHSmail").click()
    expect(page).to_have_url(re.compile(re.escape(provider.issuer) + r"/oauth2/authorize"))
    page.get_by_role("button", name="sub-alice").click()  # the loopback provider's one-click person
    expect(page).to_have_url(re.compile(r"/login/code$"))
    # The provider's page loads its stylesheet from the internet, which is unreachable here: not this app's error.
    visit.console_errors.clear()
    visit.check("organisation-code")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(TOTP_SECRET).now())
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_text("Signed in as Alice Able")).to_be_visible()
    visit.check("signed-in-through-organisation")
    with visit.app.app_context():
        alice = db.session.scalars(db.select(User).where(User.email == ALICE)).one()
        assert (alice.oidc_issuer, alice.oidc_subject) == (provider.issuer, "sub-alice")
        db.session.remove()


def test_the_shared_helper_signs_in_twice_in_a_row(visit):
    """Two sign-ins of one account within 30 s: the helper waits for the next code (moves the clock), as a person
    would, instead of meeting the reuse rule."""
    for _ in range(2):
        sign_in(visit, ALICE)
        visit.page.get_by_role("button", name="Sign out").click()
