"""The ILR week in a real browser, journey after journey on one database, each starting from the home page of the role
and going on from what the journey before it left: a new referral (Referrals menu) triaged from the home page; an
availability poll, the meeting booked, and the patient put on its agenda from their page; attendance, minutes and an
action for a partner agency in the meeting room opened from the home page; the partner marking it done from their
home page; the care plan agreed, the GP letter sent, an onward referral and the episode closed from the patient's
page; and the team lead's home page and KPI dashboard showing the week. No journey uses a list's generic "Create",
none moves the clock, and axe-core's WCAG 2.2 AA rules run on every page shown.

The tests run in the file's order and share the module's live server: each one's data is what the one before it left,
and a journey whose predecessor has not run (`-k` choosing one) is skipped, saying so.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from formats.dates import today
from models import (
    AvailabilityPoll,
    CarePlanShare,
    Contact,
    Episode,
    Locality,
    MeetingMember,
    OnwardReferral,
    Organisation,
    OrganisationType,
    Patient,
    Role,
    User,
    db,
)
from services.polls import poll_link
from tests.browser import CSP_LISTENER, WCAG_22_AA, Visit, sign_in
from tests.conftest import PASSWORD
from tests.factories import working_day
from tests.test_journey_new_referral import referral_form

pytestmark = pytest.mark.browser

COORDINATOR = "wendy.week@example.nhs.net"
PARTNER = "sam.social@medway.gov.uk"
LEAD = "lena.lead@example.nhs.net"
SOCIAL = "Medway Social Services"


def _seed() -> None:
    """The team before the week: a coordinator, a team lead, a partner agency's member with an account, a GP practice
    with its secure address, and a locality whose meetings the partner and the GP attend. No patient yet."""
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    locality = Locality(name="Riverside")
    practice = Organisation(
        name="Hillview Surgery", type=OrganisationType.gp_practice, ods_code="G82001", locality=locality,
        secure_email="hillview.surgery@nhs.net", postal_address="1 Hill Street\nRochester\nME1 1AA",
    )  # fmt: skip
    social = Organisation(name=SOCIAL, type=OrganisationType.social_services, ods_code="SS0001")
    coordinator = User(email=COORDINATOR, name="Wendy Week", role=Role.coordinator, organisation=team)
    lead = User(email=LEAD, name="Lena Lead", role=Role.team_lead, organisation=team)
    partner = User(email=PARTNER, name="Sam Social", role=Role.partner, organisation=social)
    for user in (coordinator, lead, partner):
        user.set_password(PASSWORD)
    members = [
        Contact(name="Sam Social", email=PARTNER, organisation=social, user=partner),
        Contact(name="Gill GP", email="gill@nhs.net", organisation=practice),
    ]
    db.session.add_all([team, locality, practice, social, coordinator, lead, partner, *members])
    db.session.add_all([MeetingMember(locality=locality, contact=c) for c in members])


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def _check(visit: Visit, label: str) -> None:
    visit.page.wait_for_load_state("load")
    visit.check(label, WCAG_22_AA)


def _menu(visit: Visit, category: str, entry: str, label: str):
    """Open a screen from the header's menu, as a person does: the category, then its entry."""
    page = visit.page
    page.locator("nav").get_by_role("link", name=category, exact=True).click()
    page.locator(".dropdown-menu.show").get_by_role("link", name=entry, exact=True).click()
    _check(visit, label)
    return page


def _home(visit: Visit, label: str):
    visit.page.get_by_role("link", name="Home", exact=True).first.click()
    expect(visit.page).to_have_url(re.compile(r"/admin/$"))
    _check(visit, label)
    return visit.page


def _home_list(page, key: str):
    return page.locator(f'[data-home-list="{key}"]')


def _find_the_patient(visit: Visit, label: str):
    """The header's search, from whatever page is shown, to the patient's page."""
    page = visit.page
    page.get_by_label("Find a patient", exact=True).fill("Seacole")
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_load_state("load")
    if "/admin/find/" in page.url:
        _check(visit, f"{label}-results")
        page.get_by_role("link", name=re.compile("SEACOLE")).first.click()
    expect(page).to_have_url(re.compile(r"/admin/record/\d+/"))
    _check(visit, label)
    return page


#: The journeys done so far in this run: each later one starts from what they left.
_DONE: list[int] = []


def _after(journey: int) -> None:
    """Skip, saying why, unless the journey before has run (this file runs whole, in its order)."""
    if journey not in _DONE:
        pytest.skip(f"starts from what journey {journey} leaves: run tests/test_journey_week.py whole")


def _read(live_server, query):
    with live_server.app.app_context():
        found = db.session.execute(query).all()
        db.session.remove()
    return found


def test_1_a_new_referral_from_the_menu_is_triaged_from_the_home_page(visit, live_server):
    sign_in(visit, COORDINATOR)
    _check(visit, "home-before")
    expect(_home_list(visit.page, "triage")).to_contain_text("No referral is waiting for triage.")
    page = _menu(visit, "Referrals", "New referral", "new-referral")
    form = referral_form(page)
    form.get_by_label("First name").fill("Mary")
    form.get_by_label("Surname").fill("Seacole")
    form.get_by_label("Date of birth").fill("1941-03-04")
    form.get_by_label("GP practice ODS code").fill("G82001")
    form.get_by_label("Clinical Frailty Scale").select_option("7")
    form.get_by_label("Long-term conditions (one per line)").fill("COPD\nHeart failure\nDiabetes")
    form.get_by_label("Locality").select_option(label="Riverside")
    form.get_by_label("Referrer's name").fill("Dr Patel")
    form.get_by_label("Reason for referral").fill("Three falls this winter; lives alone")
    form.get_by_label("Frailty", exact=True).check()
    form.get_by_label("Consent given", exact=True).check()
    form.get_by_label("Consent given by").fill("Patient")
    form.get_by_label("Consent given on").fill(today().isoformat())
    form.get_by_label("Signposting already tried").fill("Age UK befriending")
    _check(visit, "new-referral-filled")
    form.get_by_role("button", name="Save referral").click()
    expect(page.get_by_role("status").first).to_contain_text("Referral recorded for SEACOLE, Mary")

    page = _home(visit, "home-awaiting-triage")
    waiting = _home_list(page, "triage")
    expect(waiting.locator("[data-home-count]")).to_have_attribute("data-home-count", "1")
    expect(waiting).to_contain_text("0 days waiting")
    waiting.get_by_role("link", name=re.compile("SEACOLE, Mary")).click()
    expect(page).to_have_url(re.compile(r"/admin/triage/details/\?id=\d+$"))
    _check(visit, "triage-referral")
    expect(page.locator("body")).to_contain_text("Priority: Medium (4)")  # CFS 7 (3) + 3 conditions (1)
    page.get_by_label("Accept", exact=True).check()
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url(re.compile(r"/admin/triage/$"))
    _check(visit, "triage-queue-after")

    page = _home(visit, "home-triaged")
    expect(_home_list(page, "triage")).to_contain_text("No referral is waiting for triage.")
    [(coordinator_name,)] = _read(live_server, db.select(User.name).join(Episode, Episode.coordinator_id == User.id))
    assert coordinator_name == "Wendy Week"  # the case is hers: the next journeys find it on her pages
    _DONE.append(1)


def _answer_the_poll(live_server, browser) -> None:
    """The two members answer through the links emailed to them, signed out, each in their own browser."""
    with live_server.app.app_context():
        poll = db.session.scalars(db.select(AvailabilityPoll)).one()
        links = {i.contact.name: poll_link(i) for i in poll.invitations}
        slots = [s.id for s in poll.slots]
        db.session.remove()
    for name, ticks in (("Sam Social", [0, 1]), ("Gill GP", [1])):
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        context.add_init_script(CSP_LISTENER)
        member = Visit(context.new_page(), live_server.url, f"week-member-{name.split()[0].lower()}")
        member.page.goto(links[name])
        member.check("availability", WCAG_22_AA)
        for index in ticks:
            member.page.locator(f"#slot-{slots[index]}").check()
        member.page.get_by_role("button", name="Save my answer").click()
        expect(member.page.get_by_role("status")).to_contain_text("your answer is saved")
        member.check("availability-saved", WCAG_22_AA)
        context.close()


def test_2_availability_then_the_booking_then_the_patient_on_the_agenda_from_their_page(visit, live_server, browser):
    _after(1)
    sign_in(visit, COORDINATOR)
    page = _menu(visit, "Meetings", "Scheduling", "scheduling")
    page.locator("#poll-locality").select_option(label="Riverside")
    for n, (days, hour) in enumerate([(15, 10), (16, 14), (17, 9)]):
        page.locator(f"#slot_{n}").fill(working_day(days, hour).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#closes_at").fill(working_day(10, 17).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Email the members their links").click()
    page.wait_for_url(re.compile(r"/admin/scheduling/polls/\d+/"))
    _check(visit, "poll-sent")

    page = _home(visit, "home-answers-outstanding")
    expect(_home_list(page, "meetings")).to_contain_text("2 availability answers outstanding")
    _answer_the_poll(live_server, browser)

    page = _menu(visit, "Meetings", "Scheduling", "scheduling-answered")
    page.locator("a[href*='/admin/scheduling/polls/']").first.click()
    page.wait_for_url(re.compile(r"/admin/scheduling/polls/\d+/"))
    _check(visit, "poll-answered")
    expect(page.locator("tfoot")).to_contain_text("2 (most)")
    page.get_by_role("button", name=re.compile(r"\(2 available\)")).click()
    page.wait_for_url(re.compile(r"/admin/scheduling/meetings/\d+/"))
    _check(visit, "meeting-booked")

    page = _home(visit, "home-meeting-booked")
    expect(_home_list(page, "meetings")).to_contain_text("0 cases listed")
    page = _find_the_patient(visit, "patient-page")
    page.get_by_role("button", name="Put on the next agenda").click()
    page.wait_for_load_state("load")
    expect(page.locator("#next-agenda")).to_contain_text("On the agenda of Riverside")
    _check(visit, "patient-listed")

    page = _home(visit, "home-listed")
    meetings = _home_list(page, "meetings")
    expect(meetings).to_contain_text("1 case listed")
    meetings.get_by_role("link", name=re.compile("^Riverside: ")).click()
    expect(page).to_have_url(re.compile(r"/admin/meeting-room/\d+/$"))
    _check(visit, "meeting-agenda")
    expect(page.locator("table").first).to_contain_text("SEACOLE")
    _DONE.append(2)


def test_3_attendance_minutes_and_an_action_for_a_partner_agency(visit, live_server):
    _after(2)
    sign_in(visit, COORDINATOR)
    page = visit.page
    _home_list(page, "meetings").get_by_role("link", name=re.compile("^Riverside: ")).click()
    expect(page).to_have_url(re.compile(r"/admin/meeting-room/\d+/$"))
    _check(visit, "meeting")
    page.get_by_label("Sam Social: Attended").check()
    page.get_by_label("Gill GP: Apologies").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_role("status").first).to_contain_text("Attendance saved")
    _check(visit, "attendance-saved")

    page.get_by_role("link", name="Open the live minutes").click()
    page.wait_for_url(re.compile(r"/minutes$"))
    _check(visit, "minutes")
    case = page.locator("section[id^=case-]").first
    case.get_by_label("Discussion").fill("Falls at night; lives alone since her husband died")
    expect(page.locator("#autosave-status")).to_contain_text("saved at", timeout=10_000)
    case.get_by_label("Outcome").fill("Night-time care package to be reviewed")
    case.get_by_label("Discussed", exact=True).check()
    case.get_by_role("button", name="Save this case").click()
    case = page.locator("section[id^=case-]").first
    case.get_by_label("New action").fill("Review the night-time care package")
    case.get_by_label("Agency").select_option(label=f"{SOCIAL} (SS0001)")
    case.get_by_label("Due").fill((today() + timedelta(days=60)).isoformat())  # after the meeting that agrees it
    case.get_by_role("button", name="Add").click()
    expect(page.get_by_role("status").first).to_contain_text("Action added")
    _check(visit, "minutes-with-action")
    expect(page.locator("section[id^=case-]").first).to_contain_text("Review the night-time care package")
    _DONE.append(3)


def test_4_the_partner_marks_the_action_done_from_their_home_page(visit, live_server):
    _after(3)
    sign_in(visit, PARTNER)
    page = visit.page
    _check(visit, "partner-home")
    actions = _home_list(page, "partner_actions")
    expect(actions.locator("[data-home-count]")).to_have_attribute("data-home-count", "1")
    expect(_home_list(page, "partner_meetings")).to_contain_text("Riverside: ")
    actions.get_by_role("link", name=re.compile("^Update: Review the night-time care package")).click()
    _check(visit, "partner-action")
    page.get_by_label("Now").select_option(label="Done")
    page.get_by_label("Note for the team").fill("Package increased to two night visits")
    page.get_by_role("button", name="Save the update").click()
    expect(page.get_by_role("status").first).to_contain_text("Action updated: done")
    _check(visit, "partner-action-done")
    page = _home(visit, "partner-home-after")
    expect(_home_list(page, "partner_actions")).to_contain_text("Your organisation has no open action.")
    _DONE.append(4)


def test_5_care_plan_agreed_gp_letter_onward_referral_and_the_episode_closed(visit, live_server):
    _after(4)
    sign_in(visit, COORDINATOR)
    page = _find_the_patient(visit, "patient-page")
    expect(page.locator("body")).to_contain_text("Package increased to two night visits")  # the partner's update
    page.get_by_role("link", name="Care plan", exact=True).click()
    _check(visit, "care-plan-none")
    page.get_by_role("button", name="Start a care plan").click()
    expect(page.get_by_role("button", name="Save the draft")).to_be_visible()
    page.wait_for_load_state("load")
    page.get_by_label("What matters to me").fill("Staying in my own home")
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"^saved at \d\d:\d\d$"))
    page.get_by_label("Agreed with (the patient, their carer...)").fill("Mary and her daughter")
    page.get_by_role("button", name="Agree version 1").click()
    expect(page.get_by_role("status").first).to_contain_text("Care plan version 1 agreed")
    _check(visit, "care-plan-agreed")

    page = _home(visit, "home-plan-for-the-gp")
    for_the_gp = _home_list(page, "gp")
    expect(for_the_gp.locator("[data-home-count]")).to_have_attribute("data-home-count", "1")
    for_the_gp.get_by_role("link", name=re.compile("SEACOLE, Mary")).click()
    _check(visit, "care-plan-from-home")
    page.get_by_role("link", name=re.compile("^Back to .*'s record$")).click()
    _check(visit, "patient-page-back")
    page.get_by_role("button", name="Send the GP letter and care plan").click()
    expect(page.get_by_role("status").first).to_contain_text("in the outbox for Hillview Surgery")
    expect(page.locator(".gp-share")).to_contain_text("Shared with the GP: queued in the outbox")
    _check(visit, "gp-letter-sent")

    onward = page.locator("form.onward-form").first
    onward.get_by_label("Or a service not in the directory").fill("Falls prevention service")
    onward.get_by_label("How sent").select_option(index=1)
    onward.get_by_label("Why").fill("Three falls this winter")
    onward.get_by_role("button", name="Refer on").click()
    page.wait_for_load_state("load")
    expect(page.locator("section[aria-labelledby=onward-heading]")).to_contain_text("Falls prevention service")
    _check(visit, "onward-referred")

    page.get_by_role("link", name="Close this episode").click()
    _check(visit, "close-episode")
    page.get_by_label("Reason for closing").select_option(label="Goals met")
    page.get_by_label("Closed on").fill(today().isoformat())
    expect(page.locator("ul.open-items")).to_contain_text("Falls prevention service")  # still waiting for its answer
    page.get_by_label("Why close with these still open").fill("The falls service will write to the GP")
    page.get_by_role("button", name="Close the episode").click()
    page.wait_for_load_state("load")
    _check(visit, "episode-closed")
    (closed_on,), (shares,), (onwards,) = (
        _read(live_server, db.select(Episode.closed_on))[0],
        _read(live_server, db.select(db.func.count()).select_from(CarePlanShare))[0],
        _read(live_server, db.select(db.func.count()).select_from(OnwardReferral))[0],
    )
    assert closed_on == today() and shares == 1 and onwards == 1
    _DONE.append(5)


def test_6_the_team_leads_home_page_and_dashboard_show_the_week(visit, live_server):
    _after(5)
    sign_in(visit, LEAD)
    page = visit.page
    _check(visit, "lead-home")
    expect(page.get_by_role("heading", name="This month's headline figures")).to_be_visible()
    expect(page.locator("section[aria-labelledby=home-team]")).to_contain_text("Wendy Week")
    expect(_home_list(page, "triage")).to_contain_text("No referral is waiting for triage.")
    expect(_home_list(page, "onward")).to_contain_text("Falls prevention service")
    page.get_by_role("link", name="Open the KPI dashboard").click()
    expect(page).to_have_url(re.compile(r"/admin/kpis/"))
    _check(visit, "lead-dashboard")
    figure = page.locator('[data-figure="referrals:Referrals received"]')
    expect(figure).to_have_text("1")
    figure.click()
    page.wait_for_url(re.compile(r"/admin/kpis/records"))
    _check(visit, "lead-referrals-received")
    expect(page.locator("table.kpi-records")).to_contain_text("SEACOLE")
    [(patient,)] = _read(live_server, db.select(Patient.family_name))
    assert patient == "Seacole"
    _DONE.append(6)
