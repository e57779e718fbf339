"""The coordinator's main journeys in headless Chromium, with the CSP on and axe on every page:
a referral to the caseload, an availability poll to a booked meeting, and a meeting to its minutes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from docx import Document
from playwright.sync_api import expect

from formats.dates import LONDON
from models import (
    Action,
    Consent,
    Contact,
    Episode,
    Locality,
    MeetingMember,
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
from services.polls import poll_link
from tests.browser import CSP_LISTENER, Visit, sign_in
from tests.conftest import PASSWORD
from tests.factories import working_day

pytestmark = pytest.mark.browser

COORDINATOR = "casey@example.nhs.net"


def _seed() -> None:
    """An ILR team with a coordinator, and a locality whose meeting members work for three agencies."""
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    locality = Locality(name="Riverside")
    practice = Organisation(
        name="Hillview Surgery", type=OrganisationType.gp_practice, ods_code="G82001", locality=locality
    )
    social = Organisation(name="County Social Services", type=OrganisationType.social_services, ods_code="SS0001")
    mental = Organisation(name="Mental Health Trust", type=OrganisationType.mental_health, ods_code="MH0001")
    db.session.add_all([team, locality, practice, social, mental])
    user = User(email=COORDINATOR, name="Casey Coordinator", role=Role.coordinator, organisation=team)
    user.set_password(PASSWORD)
    members = [
        Contact(name="Sam Social", email="sam@social.gov.uk", organisation=social),
        Contact(name="Mo Mental", email="mo@nhs.net", organisation=mental),
        Contact(name="Gill GP", email="gill@nhs.net", organisation=practice),
    ]
    db.session.add_all([user, *members, *[MeetingMember(locality=locality, contact=c) for c in members]])


@pytest.fixture(scope="module")
def live_seed():
    """What the live server's database starts with, for tests/browser.py."""
    return _seed


def test_referral_for_a_new_patient_to_the_caseload(visit):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/intake/?nhs_number=9990000034", "intake-search")
    expect(page.get_by_role("status")).to_contain_text("No patient found")
    form = page.locator("form[method=post]")
    form.get_by_label("NHS number").fill("999 000 0034")
    form.get_by_label("First name").fill("Mary")
    form.get_by_label("Surname").fill("Seacole")
    form.get_by_label("Date of birth").fill("1941-03-04")
    form.get_by_label("Clinical Frailty Scale").select_option("7")
    form.get_by_label("Long-term conditions (one per line)").fill("COPD\nHeart failure\nDiabetes")
    form.get_by_label("Locality").select_option(label="Riverside")
    form.get_by_label("Referrer's name").fill("Dr Patel")
    form.get_by_label("Reason for referral").fill("Three falls this winter; lives alone")
    form.get_by_label("Frailty", exact=True).check()
    form.get_by_label("Consent given", exact=True).check()
    form.get_by_label("Consent given by").fill("Patient")
    form.get_by_label("Consent given on").fill("2026-11-20")
    form.get_by_label("Signposting already tried").fill("Age UK befriending")
    visit.check("intake-filled")
    form.get_by_role("button", name="Save referral").click()
    page.wait_for_url(re.compile(r"/admin/triage/details/"))
    visit.check("triage-referral")
    expect(page.locator("body")).to_contain_text("CFS 7 living with severe frailty (3)")
    page.get_by_label("Accept", exact=True).check()
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url(re.compile(r"/admin/triage/$"))
    visit.check("triage-queue-after")
    page = visit.goto("/admin/caseload/", "caseload")
    row = page.locator("table.model-list tbody tr", has_text="SEACOLE")
    expect(row).to_contain_text("Medium (4)")  # CFS 7 (3) + 3 conditions (1) = 4: medium
    expect(row).to_contain_text("CFS 7 living with severe frailty (3)")
    expect(row).to_contain_text("3 long-term conditions (1)")
    row.get_by_role("link", name=re.compile("SEACOLE")).click()
    page.wait_for_url(re.compile(r"/admin/record/\d+/"))
    visit.check("patient-record")
    expect(page.locator("body")).to_contain_text("999 000 0034")
    expect(page.locator("body")).to_contain_text("Accept by Casey Coordinator")


def _local_input(days: int, hour: int) -> str:
    """A datetime-local input's value `days` working days away (a weekend time would be asked about)."""
    return working_day(days, hour).strftime("%Y-%m-%dT%H:%M")


def test_poll_answered_by_two_members_then_booked(visit, live_server, browser):
    app, base = live_server.app, live_server.url
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/scheduling/", "scheduling")
    page.locator("#poll-locality").select_option(label="Riverside")
    for n, (days, hour) in enumerate([(20, 10), (21, 14), (22, 9)]):
        page.locator(f"#slot_{n}").fill(_local_input(days, hour))
    page.locator("#closes_at").fill(_local_input(15, 17))
    page.get_by_role("button", name="Email the members their links").click()
    page.wait_for_url(re.compile(r"/admin/scheduling/polls/\d+/"))
    visit.check("poll-grid-empty")
    poll_id = int(re.search(r"/polls/(\d+)/", page.url).group(1))

    with app.app_context():
        from models import AvailabilityPoll

        poll = db.session.get(AvailabilityPoll, poll_id)
        links = {i.contact.name: poll_link(i) for i in poll.invitations}
        slots = [s.id for s in poll.slots]
        db.session.remove()
    # Two members answer through their own links, signed out, in their own browsers.
    for name, ticks in (("Sam Social", [1, 2]), ("Mo Mental", [1])):
        member_context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        member_context.add_init_script(CSP_LISTENER)
        member = Visit(member_context.new_page(), base, f"journey-member-{name.split()[0].lower()}")
        member.page.goto(links[name])
        member.check("availability")
        for index in ticks:
            member.page.locator(f"#slot-{slots[index]}").check()
        member.page.get_by_role("button", name="Save my answer").click()
        expect(member.page.get_by_role("status")).to_contain_text("your answer is saved")
        member.check("availability-saved")
        member_context.close()

    page.reload()
    visit.check("poll-grid-answered")
    expect(page.locator("tfoot")).to_contain_text("2 (most)")
    best = page.get_by_role("button", name=re.compile(r"\(2 available\)"))
    best.click()
    page.wait_for_url(re.compile(r"/admin/scheduling/meetings/\d+/"))
    visit.check("meeting-booked")
    page = visit.goto("/admin/outbox_email/?flt1_kind_equals=invitation", "outbox-invitations")
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(3)
    for address in ("gill@nhs.net", "mo@nhs.net", "sam@social.gov.uk"):
        expect(page.locator("table.model-list")).to_contain_text(address)
    with app.app_context():
        invitations = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "invitation")).all()
        assert sorted(e.to_address for e in invitations) == ["gill@nhs.net", "mo@nhs.net", "sam@social.gov.uk"]
        assert all("METHOD:REQUEST" in e.ics for e in invitations)
        db.session.remove()


def test_agenda_attendance_outcome_action_and_minutes(visit, live_server):
    app = live_server.app
    with app.app_context():
        locality = db.session.scalars(db.select(Locality)).one()
        coordinator = db.session.scalars(db.select(User).where(User.email == COORDINATOR)).one()
        for surname in ("Ahmed", "Brown", "Clarke"):
            patient = Patient(given_name="Pat", family_name=surname, date_of_birth=datetime(1935, 5, 5).date())
            referral = Referral(
                patient=patient,
                locality=locality,
                received_on=datetime(2026, 11, 1).date(),
                referrer_name="Dr Jones",
                reason="Falls",
                consent=Consent.given,
                consent_by="Patient",
                consent_on=datetime(2026, 11, 1).date(),
                signposting_tried="Age UK",
                status=ReferralStatus.accepted,
            )
            db.session.add(
                Episode(
                    patient=patient,
                    referral=referral,
                    locality=locality,
                    coordinator=coordinator,
                    opened_on=datetime(2026, 11, 2).date(),
                )
            )
        from services.scheduling import book_meeting

        meeting = book_meeting(locality, working_day(20), coordinator)
        db.session.commit()
        meeting_id = meeting.id
        db.session.remove()

    sign_in(visit, COORDINATOR)
    page = visit.goto(f"/admin/meeting-room/{meeting_id}/", "meeting")
    for surname in ("AHMED", "BROWN", "CLARKE"):
        page.get_by_label(re.compile(surname)).check()
    page.get_by_role("button", name="Add to the agenda").click()
    visit.check("agenda-built")
    expect(page.locator("table").first).to_contain_text("CLARKE")
    page.get_by_label("Sam Social: Attended").check()
    page.get_by_label("Mo Mental: Apologies").check()
    page.get_by_label("Gill GP: Attended").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_role("status").first).to_contain_text("Attendance saved")
    visit.check("attendance-saved")

    page.get_by_role("link", name="Open the live minutes").click()
    page.wait_for_url(re.compile(r"/minutes$"))
    visit.check("minutes")
    first = page.locator("section[id^=case-]").first
    first.get_by_label("Discussion").fill("Falls at night; carer exhausted")
    expect(page.locator("#autosave-status")).to_contain_text("saved at", timeout=10_000)
    first.get_by_label("Outcome").fill("Night-time care package requested")
    first.get_by_label("Discussed", exact=True).check()
    first.get_by_role("button", name="Save this case").click()
    first = page.locator("section[id^=case-]").first
    first.get_by_label("New action").fill("Arrange night-sitting service")
    first.get_by_label("Agency").select_option(label="County Social Services (SS0001)")
    first.get_by_label("Due").fill((datetime.now(LONDON) + timedelta(days=40)).date().isoformat())
    first.get_by_role("button", name="Add").click()
    visit.check("minutes-with-action")
    expect(page.locator("section[id^=case-]").first).to_contain_text("Arrange night-sitting service")

    page = visit.goto(f"/admin/meeting-room/{meeting_id}/", "meeting-after")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the minutes (.docx)").click()
    document = Document(str(download_info.value.path()))
    text = "\n".join(
        [p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells]
    )
    for expected in (
        "AHMED, Pat",
        "BROWN, Pat",
        "CLARKE, Pat",
        "Falls at night; carer exhausted",
        "Night-time care package requested",
        "Arrange night-sitting service",
        "Sam Social",
        "Mo Mental",
        "County Social Services",
    ):
        assert expected in text, expected
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Action)) == 1
        db.session.remove()
