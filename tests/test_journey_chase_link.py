"""A chase email's update link in a real browser: answered without signing in, and then used up."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from formats.dates import today
from models import Action, Contact, Organisation, OrganisationType, OutboxEmail, Patient, db
from services.chasing import chase_overdue
from services.unit_of_work import perform

pytestmark = pytest.mark.browser


def _seed() -> None:
    """One overdue action, owned by a nurse at an nhs.net address."""
    agency = Organisation(name="Kent Community Health", type=OrganisationType.community_health, ods_code="RYY")
    nurse = Contact(name="Sam Nurse", email="sam.nurse@nhs.net", organisation=agency)
    patient = Patient(given_name="Pat", family_name="Ahmed", date_of_birth=date(1935, 5, 5), nhs_number="9990000018")
    db.session.add_all([agency, nurse, patient])
    db.session.add(
        Action(
            patient=patient,
            description="Review medicines at home",
            owner_organisation=agency,
            owner_contact=nurse,
            due_on=today() - timedelta(days=4),
        )
    )


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def _emailed_link(live_server) -> str:
    """Run the daily chase on the live app (its links point at the live server); the link in the email's body."""
    with live_server.app.app_context():
        assert perform(chase_overdue, say=False).ok
        body = db.session.scalars(db.select(OutboxEmail.body_text).where(OutboxEmail.purpose == "chase")).one()
        db.session.remove()
    [link] = re.findall(r"https?://\S+/action-update/\S+", body)
    assert link.startswith(live_server.url)
    return link.removeprefix(live_server.url)


def test_a_chase_link_is_answered_without_signing_in_and_works_once(visit, live_server):
    link = _emailed_link(live_server)
    page = visit.goto(link, "chase-link")
    expect(page.get_by_role("heading", name="Update an action")).to_be_visible()
    expect(page.locator("main")).to_contain_text("AHMED, Pat")
    expect(page.locator("main")).to_contain_text("999 000 0018")
    expect(page.locator("main")).to_contain_text("05/05/1935")
    expect(page.locator("main")).to_contain_text("Review medicines at home")
    page.get_by_label("Done").check()
    page.get_by_label("Note").fill("Medicines reviewed; dosette box started")
    page.get_by_role("button", name="Record the update").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("status")).to_contain_text("Thank you: “Review medicines at home” is recorded as done.")
    visit.check("thank-you")

    assert page.goto(live_server.url + link).status == 410
    # Chromium logs the page's 410 (Gone) as a console error: that one is the answer expected here.
    visit.console_errors = [e for e in visit.console_errors if "410 (GONE)" not in e]
    visit.check("chase-link-used")
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    expect(page.locator("main")).to_contain_text("was used on")
    expect(page.locator("main")).not_to_contain_text("AHMED")
