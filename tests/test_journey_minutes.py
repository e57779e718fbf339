"""The live minutes in a real browser: no typed word lost to a button, a second tab, or a sign-out."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from formats.dates import LONDON
from models import (
    AgendaItem,
    Consent,
    Contact,
    Episode,
    Locality,
    MeetingMember,
    Organisation,
    OrganisationType,
    Patient,
    Referral,
    ReferralStatus,
    Role,
    User,
    db,
)
from services.scheduling import book_meeting
from tests.browser import ARTIFACTS, sign_in
from tests.conftest import PASSWORD
from tests.factories import working_day

pytestmark = pytest.mark.browser

COORDINATOR = "minutes@example.nhs.net"


def _seed() -> None:
    """A booked meeting a month ahead with two cases, and two agencies with a member each."""
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    social = Organisation(name="County Social Services", type=OrganisationType.social_services, ods_code="SS0001")
    housing = Organisation(name="MHS Homes", type=OrganisationType.housing, ods_code="HO0001")
    locality = Locality(name="Riverside")
    user = User(email=COORDINATOR, name="Mina Minutes", role=Role.coordinator, organisation=team)
    user.set_password(PASSWORD)
    members = [
        Contact(name="Sam Social", email="sam@nhs.net", organisation=social),
        Contact(name="Hana Housing", email="hana@nhs.net", organisation=housing),
    ]
    db.session.add_all([team, social, housing, locality, user, *members])
    db.session.add_all([MeetingMember(locality=locality, contact=c) for c in members])
    meeting = book_meeting(locality, working_day(20), user)
    for position, surname in enumerate(("Ahmed", "Brown"), start=1):
        patient = Patient(given_name="Pat", family_name=surname, date_of_birth=date(1935, 5, 5))
        referral = Referral(
            patient=patient,
            locality=locality,
            received_on=date(2026, 11, 1),
            referrer_name="Dr Jones",
            reason="Falls at home",
            question=f"Can {surname} stay at home safely?",
            consent=Consent.given,
            consent_by="Patient",
            consent_on=date(2026, 11, 1),
            signposting_tried="Age UK",
            status=ReferralStatus.accepted,
        )
        episode = Episode(patient=patient, referral=referral, locality=locality, opened_on=date(2026, 11, 2))
        db.session.add(
            AgendaItem(meeting=meeting, patient=patient, episode=episode, referral=referral, position=position)
        )


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def _minutes_url(live_server) -> str:
    with live_server.app.app_context():
        meeting_id = db.session.scalar(db.select(AgendaItem.meeting_id))
        db.session.remove()
    return f"/admin/meeting-room/{meeting_id}/minutes"


def test_text_typed_then_add_pressed_at_once_is_kept(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto(_minutes_url(live_server), "minutes")
    case = page.locator("section[id^=case-]").first
    expect(case).to_contain_text("Can Ahmed stay at home safely?")  # the referrer's question beside the case
    case.get_by_label("Summary").fill("Lives alone; two falls this month")
    # Straight away, long before the autosave's pause: the action's "Add" must save the summary first.
    case.get_by_label("New action").fill("Falls clinic referral")
    case.get_by_label("Agency").select_option(label="County Social Services (SS0001)")
    expect(case.get_by_label("Person").locator("option:not([disabled])")).to_have_text(["Anyone", "Sam Social"])
    due = case.get_by_label("Due")
    # a fortnight after the meeting (30 days ahead): an action cannot fall due before the meeting that agrees it
    due.fill((datetime.now(LONDON) + timedelta(days=44)).date().isoformat())
    due.screenshot(path=str(ARTIFACTS / "minutes-date-input-en-GB.png"))  # what a UK user sees in the date box
    case.get_by_role("button", name="Add").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("status").first).to_contain_text("Action added")
    page.reload()
    visit.check("after-add-and-reload")
    case = page.locator("section[id^=case-]").first
    expect(case.get_by_label("Summary")).to_have_value("Lives alone; two falls this month")
    expect(case).to_contain_text("Falls clinic referral")


def test_discussed_is_autosaved_like_the_text(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto(_minutes_url(live_server), "minutes")
    case = page.locator("section[id^=case-]").nth(1)
    case.get_by_label("Not reached").check()
    expect(page.locator("#autosave-status")).to_contain_text("saved at", timeout=10_000)
    page.reload()
    expect(page.locator("section[id^=case-]").nth(1).get_by_label("Not reached")).to_be_checked()


def test_one_case_in_two_tabs_names_the_conflict_and_keeps_both_texts(visit, live_server):
    sign_in(visit, COORDINATOR)
    first = visit.goto(_minutes_url(live_server), "first-tab")
    second = visit.page.context.new_page()  # same sign-in, a second tab opened on the same page
    second.goto(first.url)
    first.locator("section[id^=case-]").nth(1).get_by_label("Discussion").fill("Typed in the first tab")
    expect(first.locator("#autosave-status")).to_contain_text("saved at", timeout=10_000)

    case = second.locator("section[id^=case-]").nth(1)
    case.get_by_label("Discussion").fill("Typed in the second tab")
    expect(case.get_by_role("alert")).to_contain_text("Someone else saved this case", timeout=10_000)
    expect(case.get_by_label("Discussion")).to_have_value("Typed in the second tab")  # ours kept
    expect(case).to_contain_text("Their text: Typed in the first tab")  # and theirs shown beside it
    second.screenshot(path=str(ARTIFACTS / "minutes-conflict.png"), full_page=True)

    case.get_by_role("button", name=re.compile("Keep my text")).click()
    expect(case.locator(".case-status")).to_contain_text("saved at", timeout=10_000)
    second.reload()
    expect(second.locator("section[id^=case-]").nth(1).get_by_label("Discussion")).to_have_value(
        "Typed in the second tab"
    )
    second.close()


def test_a_signed_out_autosave_says_so_and_keeps_the_text(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto(_minutes_url(live_server), "minutes")
    visit.page.context.clear_cookies()  # as a time-out would: the next save meets the sign-in page
    case = page.locator("section[id^=case-]").first
    case.get_by_label("Decisions").fill("Typed after the session ended")
    expect(page.locator("#autosave-status")).to_contain_text("not saved — signed out", timeout=10_000)
    expect(case.get_by_label("Decisions")).to_have_value("Typed after the session ended")
    # Chromium logs the refused save (401) as a console error: that one is expected here.
    visit.console_errors = [e for e in visit.console_errors if "401" not in e]
