"""Documents a GP, a partner and the patient would sign off, in a real browser (issue 26): the coordinator keeps
their own details, books a meeting with a chair, changes the chair in the meeting room, runs the meeting (minutes,
an action, an onward referral), sends the minutes and then the GP letter; the documents sent name the chair and the
minute-taker, and the letter is addressed to the named GP and signed by the coordinator with their details."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from docx import Document
from playwright.sync_api import expect

from formats.dates import today
from models import (
    CarePlan,
    CarePlanState,
    Consent,
    Contact,
    Episode,
    Locality,
    Meeting,
    MeetingMember,
    MemberRole,
    Organisation,
    OrganisationType,
    OutboxEmail,
    Patient,
    Referral,
    ReferralStatus,
    Role,
    User,
    db,
)
from tests.browser import sign_in
from tests.conftest import PASSWORD
from tests.factories import working_day

pytestmark = pytest.mark.browser

COORDINATOR = "casey@example.nhs.net"


def _seed() -> None:
    """A locality whose GP partner usually chairs, two agencies' members, and a patient with an agreed care plan."""
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    locality = Locality(name="Riverside")
    practice = Organisation(
        name="Hillview Surgery", type=OrganisationType.gp_practice, ods_code="G82001", locality=locality,
        secure_email="hillview.surgery@nhs.net", postal_address="2 Hill Road\nRochester\nME1 3CD",
    )  # fmt: skip
    social = Organisation(name="County Social Services", type=OrganisationType.social_services, ods_code="SS0001")
    mental = Organisation(name="Mental Health Trust", type=OrganisationType.mental_health, ods_code="MH0001")
    coordinator = User(email=COORDINATOR, name="Casey Coordinator", role=Role.coordinator, organisation=team)
    coordinator.set_password(PASSWORD)
    gill = Contact(name="Gill GP", email="gill@nhs.net", organisation=practice)
    members = [
        MeetingMember(locality=locality, contact=gill, member_role=MemberRole.chair),
        MeetingMember(locality=locality, contact=Contact(name="Mo Mental", email="mo@nhs.net", organisation=mental)),
        MeetingMember(
            locality=locality, contact=Contact(name="Sam Social", email="sam@social.gov.uk", organisation=social)
        ),
    ]
    patient = Patient(
        given_name="Margaret", family_name="Ashdown", date_of_birth=date(1940, 11, 25), nhs_number="9990000026",
        gp_practice=practice, named_gp="Dr Anika Shah",
    )  # fmt: skip
    referral = Referral(
        patient=patient, locality=locality, received_on=today() - timedelta(days=20), referrer_name="Dr Patel",
        reason="Three falls since September", question="Can she stay safely at home?", consent=Consent.given,
        consent_by="Patient", consent_on=today() - timedelta(days=21), signposting_tried="Age UK",
        status=ReferralStatus.accepted,
    )  # fmt: skip
    episode = Episode(patient=patient, referral=referral, locality=locality, coordinator=coordinator,
                      opened_on=today() - timedelta(days=15))  # fmt: skip
    plan = CarePlan(patient=patient, episode=episode, number=1, state=CarePlanState.agreed, agreed_on=today(),
                    agreed_by=coordinator, agreed_with="Margaret", what_matters="Staying at home")  # fmt: skip
    db.session.add_all([team, locality, practice, social, mental, coordinator, *members, patient, referral, episode])
    db.session.add(plan)
    # Another locality, its practice and their people: offered only when they are the ones chosen.
    hilltop = Locality(name="Hilltop")
    quay = Organisation(name="Quay Surgery", type=OrganisationType.gp_practice, ods_code="G82002", locality=hilltop)
    db.session.add_all([
        hilltop, quay,
        MeetingMember(locality=hilltop, contact=Contact(name="Hal Hilltop", email="hal@nhs.net", organisation=mental)),
        Contact(name="Dr Anika Shah", job_title="GP partner", email="a.shah@nhs.net", organisation=practice),
        Contact(name="Dr Quentin Quay", job_title="GP", email="q.quay@nhs.net", organisation=quay),
    ])  # fmt: skip


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _first_meeting(app) -> tuple[int, int]:
    with app.app_context():
        meeting_id = db.session.scalar(db.select(Meeting.id))
        patient_id = db.session.scalar(db.select(Patient.id))
        db.session.remove()
    return meeting_id, patient_id


def test_a_meeting_with_a_chair_to_the_minutes_and_the_gp_letter_signed_by_its_maker(visit, live_server):
    app = live_server.app
    sign_in(visit, COORDINATOR)

    # The coordinator's own details, which their letters are signed with.
    page = visit.goto("/admin/account/", "your-details")
    page.get_by_label("Job title").fill("ILR coordinator")
    page.get_by_label("Team").fill("Riverside ILR team")
    page.get_by_label("Telephone").fill("01634 123456")
    page.get_by_label("Secure email").fill("casey.coordinator@nhs.net")
    page.get_by_role("button", name="Save your details").click()
    expect(page.get_by_role("status").first).to_contain_text("Your details are saved.")
    expect(page.locator(".signature")).to_contain_text("Telephone: 01634 123456")
    visit.check("your-details-saved")

    # A meeting booked as a one-week series, chaired by a member other than the usual chair.
    page = visit.goto("/admin/scheduling/", "scheduling")
    page.locator("#series-locality").select_option(label="Riverside")
    page.locator("#series-chair").select_option(label="Mo Mental (Mental Health Trust)")
    page.locator("#first_starts_at").fill(working_day(10).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#weeks").fill("1")
    visit.check("series-with-chair")
    page.get_by_role("button", name="Book and invite").click()
    expect(page.get_by_role("status").first).to_contain_text("1 weekly meeting booked")
    meeting_id, patient_id = _first_meeting(app)
    page = visit.goto(f"/admin/scheduling/meetings/{meeting_id}/", "meeting-booked")
    expect(page.locator("dl")).to_contain_text("Mo Mental (Mental Health Trust)")

    # The meeting room: the chair as booked; the case listed; the agenda names the chair.
    page = visit.goto(f"/admin/meeting-room/{meeting_id}/", "meeting-room")
    expect(page.locator("#chair_id option:checked")).to_have_text("Mo Mental (Mental Health Trust)")
    page.get_by_label(re.compile("ASHDOWN")).check()
    page.get_by_role("button", name="Add to the agenda").click()
    expect(page.get_by_role("status").first).to_contain_text("1 case added")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the agenda (.docx)").click()
    agenda = _docx_text(download.value.path().read_bytes())
    assert "Chair: Mo Mental (Mental Health Trust)" in agenda and "Question for the ILR: Can she stay" in agenda

    # The chair changes in the meeting room, to the usual chair.
    page.locator("#chair_id").select_option(label="Gill GP (Hillview Surgery), the usual chair")
    page.get_by_role("button", name="Save the chair").click()
    expect(page.get_by_role("status").first).to_contain_text("Gill GP chairs this meeting.")
    visit.check("chair-changed")

    # The meeting is run: minutes, an action, an onward referral.
    page.get_by_role("link", name="Open the live minutes").click()
    page.wait_for_url(re.compile(r"/minutes$"))
    case = page.locator("section[id^=case-]").first
    case.get_by_label("Discussion").fill("Falls at night; carer exhausted")
    case.get_by_label("Outcome (the meeting's answer)").fill("Night-time care package")
    case.get_by_label("Decisions").fill("Review in four weeks")
    case.get_by_label("Discussed", exact=True).check()
    case.get_by_role("button", name="Save this case").click()
    case = page.locator("section[id^=case-]").first
    case.get_by_label("New action").fill("Arrange night-sitting service")
    case.get_by_label("Agency").select_option(label="County Social Services (SS0001)")
    case.get_by_label("Due").fill((today() + timedelta(days=30)).isoformat())
    case.get_by_role("button", name="Add").click()
    case = page.locator("section[id^=case-]").first
    case.get_by_label("Or a service not in the directory").fill("Falls clinic")
    case.get_by_label("How sent").select_option(label="Secure email")
    case.get_by_label("Why").fill("Strength and balance")
    case.get_by_role("button", name="Refer on").click()
    expect(page.get_by_role("status").first).to_contain_text("Onward referral to Falls clinic recorded")
    visit.check("minutes-taken")

    # The minutes go to the members at secure addresses.
    page = visit.goto(f"/admin/meeting-room/{meeting_id}/", "meeting-after")
    page.get_by_role("link", name="Send the minutes to members…").click()
    visit.check("send-minutes")
    page.get_by_role("button", name=re.compile(r"Send to the 2 address\(es\) above")).click()
    expect(page.get_by_role("status").first).to_contain_text("Queued for 2 address(es)")

    # And the GP letter with the agreed plan, from the patient's record.
    page = visit.goto(f"/admin/record/{patient_id}/", "patient-record")
    page.get_by_role("button", name="Send the GP letter and care plan").click()
    expect(page.get_by_role("status").first).to_contain_text("are in the outbox for Hillview Surgery")
    visit.check("gp-letter-sent")

    with app.app_context():
        minutes = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "minutes")).all()
        assert sorted(e.to_address for e in minutes) == ["gill@nhs.net", "mo@nhs.net"]
        text = _docx_text(minutes[0].document.content)
        letter_email = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "gp_feedback")).one()
        letter = _docx_text(letter_email.document.content)
        body = letter_email.body_text
        db.session.remove()
    for expected in (
        "Chair: Gill GP (Hillview Surgery)",
        "Minutes taken by: Casey Coordinator",
        "The meeting's answer: Night-time care package",
        "Arrange night-sitting service",
        "Falls clinic",
        "Strength and balance",
    ):
        assert expected in text, expected
    for expected in (
        "Dr Anika Shah\nHillview Surgery\n2 Hill Road",
        "Dear Dr Shah,",
        "Re: Margaret Ashdown, date of birth 25/11/1940, NHS number 999 000 0026",
        "Night-time care package",
        "Falls clinic",
        "Yours sincerely,\n\nCasey Coordinator\nILR coordinator\nRiverside ILR team\nTelephone: 01634 123456\n"
        "Secure email: casey.coordinator@nhs.net",
    ):
        assert expected in letter, expected
    assert body.startswith("Dear Dr Shah,") and "Casey Coordinator\nILR coordinator" in body


def test_the_chair_and_named_gp_suggestions_follow_the_locality_and_practice_chosen(visit):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/scheduling/", "scheduling-chairs")
    page.locator("#series-locality").select_option(label="Hilltop")
    offered = page.locator("#series-chair option:not([disabled])")
    expect(offered).to_have_text(["The locality's usual chair", "Hal Hilltop (Mental Health Trust)"])
    page.locator("#series-locality").select_option(label="Riverside")
    expect(page.locator("#series-chair option:not([disabled])")).to_have_count(4)  # the prompt and three members

    page = visit.goto("/admin/intake/", "intake-named-gp")
    suggested = page.locator("#named_gp-known option:not([disabled])")
    expect(suggested).to_have_count(2)  # no practice yet: every known GP
    page.get_by_label("GP practice ODS code").fill("g82002")
    expect(suggested).to_have_count(1)
    expect(suggested).to_have_attribute("value", "Dr Quentin Quay")
    page.get_by_label("Named GP").fill("Dr Someone Typed")  # or typed: the list only suggests
    visit.check("intake-named-gp-typed")
