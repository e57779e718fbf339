"""A partner agency in a real browser: signs in, sees only their agency's actions, marks one done; the
coordinator then sees it done on the patient's page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from formats.dates import today
from models import (
    Action,
    AgendaItem,
    Contact,
    Locality,
    Meeting,
    MeetingMember,
    MeetingStatus,
    Organisation,
    OrganisationType,
    Patient,
    Role,
    User,
    db,
    utcnow,
)
from tests.browser import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

COORDINATOR = "cora@example.nhs.net"
PARTNER = "sam@medway.nhs.net"


def _seed() -> None:
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    social = Organisation(name="Medway Social Services", type=OrganisationType.social_services, ods_code="SS0001")
    mental = Organisation(name="KMPT", type=OrganisationType.mental_health, ods_code="RXY")
    locality = Locality(name="Medway North")
    coordinator = User(email=COORDINATOR, name="Cora Coordinator", role=Role.coordinator, organisation=team)
    partner = User(email=PARTNER, name="Sam Social", role=Role.partner, organisation=social)
    for user in (coordinator, partner):
        user.set_password(PASSWORD)
    sam = Contact(name="Sam Social", email=PARTNER, organisation=social, user=partner)
    meeting = Meeting(locality=locality, starts_at=utcnow() - timedelta(days=2), status=MeetingStatus.held)
    patient = Patient(given_name="Pat", family_name="Ahmed", date_of_birth=date(1940, 5, 5))
    item = AgendaItem(meeting=meeting, patient=patient, outcome="Care package to be reviewed", position=1)
    db.session.add_all([team, social, mental, locality, coordinator, partner, sam, meeting, patient, item])
    db.session.add(MeetingMember(locality=locality, contact=sam))
    for owner, text in ((social, "Review the care package"), (mental, "Memory clinic appointment")):
        db.session.add(Action(patient=patient, agenda_item=item, description=text, owner_organisation=owner,
                              due_on=today() + timedelta(days=5)))  # fmt: skip


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def test_partner_marks_their_action_done_and_the_coordinator_sees_it(visit, live_server):
    sign_in(visit, PARTNER)
    page = visit.goto("/admin/action/", "partner-actions")
    expect(page.locator("table.model-list")).to_contain_text("Review the care package")
    expect(page.locator("body")).not_to_contain_text("Memory clinic appointment")  # another agency's
    page.get_by_role("link", name=re.compile("AHMED")).first.click()
    visit.check("partner-patient")
    expect(page.locator("body")).to_contain_text("Care package to be reviewed")
    page.get_by_role("link", name="Review the care package").click()
    visit.check("partner-action")
    page.get_by_label("Now").select_option(label="Done")
    page.get_by_label("Note for the team").fill("Reviewed with the family; package increased")
    page.get_by_role("button", name="Save the update").click()
    expect(page.get_by_role("status").first).to_contain_text("Action updated: done")
    visit.check("partner-action-done")
    page.get_by_role("button", name="Sign out").click()

    sign_in(visit, COORDINATOR)
    with live_server.app.app_context():
        patient_id = db.session.scalar(db.select(Patient.id))
        db.session.remove()
    page = visit.goto(f"/admin/record/{patient_id}/", "coordinator-record")
    expect(page.locator("body")).to_contain_text("Action done: Review the care package (from Sam Social)")
    expect(page.locator("body")).to_contain_text("Reviewed with the family; package increased")
