"""The shared care plan in a real browser (issue 12): the coordinator starts a plan, types it (autosaved), adds the
patient's goals, agrees it, starts a new draft that carries the goals over, and sends the GP letter with the agreed
plan; the outbox holds one email with both attached, and the patient's record says it was shared with the GP."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from models import DocumentKind, Organisation, OrganisationType, OutboxAttachment, OutboxEmail, Patient, Role, User, db
from tests.browser import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

COORDINATOR = "cora@example.nhs.net"


def _seed() -> None:
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    practice = Organisation(
        name="Riverside Surgery", type=OrganisationType.gp_practice, ods_code="Z81001",
        secure_email="riverside.surgery@nhs.net", postal_address="1 River Street\nRochester\nME1 1AA",
    )  # fmt: skip
    coordinator = User(email=COORDINATOR, name="Cora Coordinator", role=Role.coordinator, organisation=team)
    coordinator.set_password(PASSWORD)
    patient = Patient(given_name="Iris", family_name="Brennan", date_of_birth=date(1938, 3, 9),
                      gp_practice=practice, named_gp="Dr Ruth Okafor")  # fmt: skip
    db.session.add_all([team, practice, coordinator, patient])


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def test_a_care_plan_from_first_draft_to_the_gp(visit, live_server):
    with live_server.app.app_context():
        patient_id = db.session.scalar(db.select(Patient.id).where(Patient.family_name == "Brennan"))
    sign_in(visit, COORDINATOR)
    page = visit.goto(f"/admin/care-plan/{patient_id}/", "care-plan-none")
    page.get_by_role("button", name="Start a care plan").click()
    expect(page.get_by_role("button", name="Save the draft")).to_be_visible()
    page.wait_for_load_state("load")  # the autosave script runs at the end of the page

    # Typed text is saved as it is typed: it is there after a reload without pressing Save.
    page.get_by_label("What matters to me").fill("Staying in my own home with my cat")
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"^saved at \d\d:\d\d$"))
    page.reload()
    expect(page.get_by_label("What matters to me")).to_have_value("Staying in my own home with my cat")

    page.get_by_label("New goal, in their words").fill("Walk to the corner shop by spring")
    page.get_by_role("button", name="Add the goal").click()
    expect(page.get_by_role("status").first).to_contain_text("Goal added")
    visit.check("care-plan-draft")

    page.get_by_label("Agreed with (the patient, their carer...)").fill("Iris and her son Tom")
    page.get_by_role("button", name="Agree version 1").click()
    expect(page.get_by_role("status").first).to_contain_text("Care plan version 1 agreed")
    expect(page.get_by_role("button", name="Save the draft")).to_have_count(0)  # frozen: no form to change it
    visit.check("care-plan-agreed")

    # Editing an agreed plan starts version 2, a copy: the goal comes with it.
    page.get_by_role("button", name="Edit: start a new draft from version 1").click()
    expect(page.locator("nav[aria-label=Versions]")).to_contain_text("v2 (draft)")
    expect(page.locator("input[name=description][value='Walk to the corner shop by spring']")).to_have_count(1)
    expect(page.get_by_label("What matters to me")).to_have_value("Staying in my own home with my cat")

    # The letter goes with the agreed version (1), never the draft, from the patient's record.
    page = visit.goto(f"/admin/record/{patient_id}/", "patient-record")
    page.get_by_role("button", name="Send the GP letter and care plan").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "The letter and care plan version 1 are in the outbox for Riverside Surgery"
    )
    expect(page.locator(".gp-share")).to_contain_text("Shared with the GP: queued in the outbox")
    visit.check("record-shared-with-gp")

    # One email to the practice's secure address, the letter and the agreed plan attached.
    with live_server.app.app_context():
        email = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "gp_feedback")).one()
        assert email.to_address == "riverside.surgery@nhs.net" and email.contains_patient_data
        kinds = {a.document.kind for a in db.session.scalars(db.select(OutboxAttachment)).all()}
        assert kinds == {DocumentKind.gp_letter, DocumentKind.care_plan}
    page = visit.goto("/admin/outbox_email/", "outbox-gp-letter")
    row = page.locator("table.model-list tbody tr", has_text="ILR outcome and care plan v1")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("riverside.surgery@nhs.net")
