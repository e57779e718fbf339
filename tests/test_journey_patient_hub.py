"""The patient's page as the hub, and the user guide, in a real browser: a hospital event refused and then saved with
what was typed kept, a frailty update, the case put on the next agenda; the guide's pages with their screenshots for
a coordinator and a partner. axe-core's WCAG 2.2 AA rules run on every page shown."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from formats.dates import today
from models import (
    AgendaItem,
    Contact,
    Episode,
    HospitalEvent,
    Locality,
    MeetingMember,
    Organisation,
    OrganisationType,
    Patient,
    Role,
    User,
    db,
)
from services.scheduling import book_meeting
from tests.browser import WCAG_22_AA, sign_in
from tests.conftest import PASSWORD
from tests.factories import working_day

pytestmark = pytest.mark.browser

COORDINATOR = "hana.hub@example.nhs.net"
PARTNER = "pia.partner@example.gov.uk"


def _seed() -> None:
    team = Organisation(name="ILR team", type=OrganisationType.ilr_team)
    council = Organisation(name="Hub County Council", type=OrganisationType.social_services)
    coordinator = User(email=COORDINATOR, name="Hana Hub", role=Role.coordinator, organisation=team)
    partner = User(email=PARTNER, name="Pia Partner", role=Role.partner, organisation=council)
    for user in (coordinator, partner):
        user.set_password(PASSWORD)
    locality = Locality(name="Hubside")
    patient = Patient(
        given_name="Hetty", family_name="Hubbard", date_of_birth=date(1938, 5, 6), nhs_number="9990000026"
    )
    member = Contact(name="Pia Partner", email="pia@hub.gov.uk", organisation=council, user=partner)
    db.session.add_all([team, council, coordinator, partner, locality, patient, member,
                        MeetingMember(locality=locality, contact=member)])  # fmt: skip
    db.session.flush()
    db.session.add(Episode(patient=patient, locality=locality, coordinator=coordinator, opened_on=today()))
    book_meeting(locality, working_day(10), coordinator)


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def _patient_id(live_server) -> int:
    with live_server.app.app_context():
        found = db.session.scalar(db.select(Patient.id).where(Patient.family_name == "Hubbard"))
        db.session.remove()
    return found


def test_a_coordinator_works_from_the_patients_page(visit, live_server):
    sign_in(visit, COORDINATOR)
    patient_id = _patient_id(live_server)
    page = visit.goto(f"/admin/record/{patient_id}/", "patient-page")
    visit.check("patient-page-wcag22", WCAG_22_AA)

    page.get_by_text("Add a hospital event").click()
    page.get_by_label("Type", exact=True).select_option(label="Non-elective admission")
    page.locator("#hospital-occurred_on").fill((today() - timedelta(days=5)).isoformat())
    page.locator("#hospital-discharged_on").fill((today() - timedelta(days=9)).isoformat())
    page.get_by_label("Hospital", exact=True).fill("Hubside General")
    page.get_by_role("button", name="Add the event").click()
    page.wait_for_load_state("load")
    expect(page.locator("#hospital_form .hub-refusal")).to_contain_text("The discharge cannot be before")
    expect(page.locator("#hospital_form .hub-refusal")).to_be_focused()  # the page opens at the form
    expect(page.get_by_label("Hospital", exact=True)).to_have_value("Hubside General")  # what was typed stays
    visit.check("hospital-event-refused", WCAG_22_AA)

    page.locator("#hospital-discharged_on").fill((today() - timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Add the event").click()
    page.wait_for_load_state("load")
    expect(page.locator("body")).to_contain_text("Non-elective admission on")
    expect(page).to_have_url(f"{live_server.url}/admin/record/{patient_id}/#hospital-heading")

    page.get_by_text("Update frailty").click()
    page.get_by_label("Clinical Frailty Scale").select_option("6")
    page.get_by_label("eFI (0 to 1)").fill("0.31")
    page.get_by_label("eFI calculated on").fill(today().isoformat())
    page.get_by_role("button", name="Save frailty").click()
    page.wait_for_load_state("load")
    expect(page.locator("body")).to_contain_text("0.310 (moderate), calculated")

    page.get_by_role("button", name="Put on the next agenda").click()
    page.wait_for_load_state("load")
    expect(page.locator("#next-agenda")).to_contain_text("On the agenda of Hubside ILR")
    visit.check("listed", WCAG_22_AA)
    with live_server.app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(HospitalEvent)) == 1
        assert db.session.scalar(db.select(AgendaItem.patient_id)) == patient_id
        db.session.remove()


def test_the_guide_opens_with_its_screenshots_for_a_coordinator(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/", "home")
    page.get_by_role("link", name="User guide").first.click()
    page.wait_for_load_state("load")
    visit.check("guide-contents", WCAG_22_AA)
    page.get_by_role("link", name="Meeting day").click()
    page.wait_for_load_state("load")
    for image in page.locator("article.guide img").all():
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("i => i.naturalWidth") > 0
    visit.check("guide-meeting-day", WCAG_22_AA)


def test_a_partner_reads_the_page_for_partners(visit, live_server):
    sign_in(visit, PARTNER)
    page = visit.goto("/admin/guide/", "guide-contents-partner")
    expect(page.locator(".guide-contents li")).to_have_count(1)
    page.get_by_role("link", name="For partner agencies").click()
    page.wait_for_load_state("load")
    assert page.locator("article.guide img").first.evaluate("i => i.naturalWidth") > 0
    visit.check("guide-partners", WCAG_22_AA)
