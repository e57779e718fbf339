"""Long minutes in a real browser: 20,000 characters pasted into a case's discussion are all there after a reload,
and after the session times out and the same person signs in again; someone else signing in on that tab sees
nothing of them; pressing Sign out takes them away."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from models import (
    AgendaItem,
    Consent,
    Episode,
    Locality,
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
from tests.browser import move_clock_on, sign_in
from tests.conftest import PASSWORD
from tests.factories import working_day

pytestmark = pytest.mark.browser

COORDINATOR = "long.minutes@example.nhs.net"
COLLEAGUE = "colleague@example.nhs.net"
#: Past the 30 minutes a session may stay idle.
IDLE_TIME_OUT = 31 * 60


def _seed() -> None:
    """A booked meeting a month ahead with three cases, and two coordinators."""
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    locality = Locality(name="Riverside")
    users = [User(email=email, name=name, role=Role.coordinator, organisation=team)
             for email, name in ((COORDINATOR, "Lena Long"), (COLLEAGUE, "Colin Colleague"))]  # fmt: skip
    for user in users:
        user.set_password(PASSWORD)
    db.session.add_all([team, locality, *users])
    meeting = book_meeting(locality, working_day(20), users[0])
    for position, surname in enumerate(("Ahmed", "Brown", "Clarke"), start=1):
        patient = Patient(given_name="Pat", family_name=surname, date_of_birth=date(1935, 5, 5))
        referral = Referral(
            patient=patient, locality=locality, received_on=date(2026, 11, 1), referrer_name="Dr Jones",
            reason="Falls at home", consent=Consent.given, consent_by="Patient", consent_on=date(2026, 11, 1),
            signposting_tried="Age UK", status=ReferralStatus.accepted,
        )  # fmt: skip
        episode = Episode(patient=patient, referral=referral, locality=locality, opened_on=date(2026, 11, 2))
        db.session.add(
            AgendaItem(meeting=meeting, patient=patient, episode=episode, referral=referral, position=position)
        )


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def long_discussion(marker: str, length: int = 20_000) -> str:
    """`length` characters of minutes, in paragraphs, with accents; `marker` makes each test's text its own."""
    sentence = (
        f"{marker}: Mrs Ahmed's daughter (Zoë) says the falls began after the change of medicines in March; "
        "the pharmacist will review them, and the community team will visit within the week. "
    )
    text = ""
    while len(text) < length:
        text += sentence + ("\n\n" if len(text) % 3 == 0 else "")
    return text[: length - 1] + "."


def _minutes_url(live_server) -> str:
    with live_server.app.app_context():
        meeting_id = db.session.scalar(db.select(AgendaItem.meeting_id))
        db.session.remove()
    return f"/admin/meeting-room/{meeting_id}/minutes"


def _saved_discussions(live_server) -> list[str]:
    with live_server.app.app_context():
        found = db.session.scalars(db.select(AgendaItem.discussion).where(AgendaItem.discussion.is_not(None))).all()
        db.session.remove()
    return list(found)


def _case(page, number: int):
    return page.locator("section[id^=case-]").nth(number)


def _tab_storage(page) -> str:
    return page.evaluate("JSON.stringify(Object.assign({}, window.sessionStorage))")


def _signed_out_save(visit, case, text: str) -> None:
    """Type into the case after the session has timed out: not saved, kept in the tab and marked so."""
    case.get_by_label("Discussion").fill(text)
    expect(case.locator(".case-status")).to_contain_text("not saved — signed out", timeout=15_000)
    expect(case.locator(".ilr-unsaved")).to_have_text("Not saved yet: kept in this tab until it is.")
    visit.console_errors = [e for e in visit.console_errors if "401" not in e]  # the refused save, expected


def test_twenty_thousand_characters_pasted_into_a_discussion_survive_a_reload(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto(_minutes_url(live_server), "minutes")
    text = long_discussion("Pasted")
    case = _case(page, 0)
    case.get_by_label("Discussion").fill(text)  # all at once, as a paste
    expect(case.locator(".ilr-room").nth(1)).to_have_text("30,000 of 50,000 characters left")
    expect(case.locator(".case-status")).to_contain_text("saved at", timeout=15_000)
    expect(case.locator(".ilr-unsaved")).to_be_hidden()
    visit.check("long-discussion-saved")
    page.reload()
    expect(_case(page, 0).get_by_label("Discussion")).to_have_value(text)  # every character
    assert len(_case(page, 0).get_by_label("Discussion").input_value()) == 20_000
    assert text in _saved_discussions(live_server)  # saved as typed, a line break one character


def test_text_typed_as_the_session_timed_out_is_there_when_the_same_person_signs_in_again(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto(_minutes_url(live_server), "minutes")
    move_clock_on(IDLE_TIME_OUT)
    text = long_discussion("Timed out")
    _signed_out_save(visit, _case(page, 1), text)
    visit.check("minutes-signed-out")
    page.reload()  # asked first (the browser's own question, accepted), then the sign-in page
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert "Timed out" in _tab_storage(page)  # kept in the tab, not on a page anyone can read

    sign_in(visit, COORDINATOR)
    page = visit.goto(_minutes_url(live_server), "minutes-again")
    case = _case(page, 1)
    expect(case.get_by_label("Discussion")).to_have_value(text)  # back from the tab, and saved
    expect(case.locator(".case-status")).to_contain_text("saved at", timeout=15_000)
    assert text.strip() in _saved_discussions(live_server)
    assert "Timed out" not in _tab_storage(page)  # saved: nothing kept any more
    page.reload()
    expect(_case(page, 1).get_by_label("Discussion")).to_have_value(text)


def test_someone_else_signing_in_on_that_tab_sees_nothing_of_it(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto(_minutes_url(live_server), "minutes")
    move_clock_on(IDLE_TIME_OUT)
    _signed_out_save(visit, _case(page, 2), long_discussion("Not for Colin"))
    page.reload()
    expect(page).to_have_url(re.compile(r"/login\?next="))

    sign_in(visit, COLLEAGUE)  # on the same tab
    assert "Not for Colin" not in _tab_storage(visit.page)
    page = visit.goto(_minutes_url(live_server), "colleague-minutes")
    expect(_case(page, 2).get_by_label("Discussion")).to_have_value("")
    expect(page.locator(".ilr-unsaved")).to_have_count(0)
    assert not any("Not for Colin" in saved for saved in _saved_discussions(live_server))


def test_pressing_sign_out_takes_what_the_tab_kept(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto(_minutes_url(live_server), "minutes")
    case = _case(page, 2)
    case.get_by_label("Outcome (the meeting's answer)").fill(long_discussion("Too long", 50_001))
    expect(case.locator(".ilr-room").nth(2)).to_have_text(
        "1 character over the limit of 50,000: shorten it before it can be saved"
    )
    expect(case.locator(".case-status")).to_contain_text("not saved: The outcome is too long", timeout=15_000)
    visit.console_errors = [e for e in visit.console_errors if "400" not in e]  # the refused save, expected
    assert "Too long" in _tab_storage(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert").first).to_contain_text("You have signed out")
    assert visit.dialogs[-1] == "What you typed on this page is not saved yet. Leave the page anyway?"
    assert "Too long" not in _tab_storage(page)
    # leaving the case (focus went to Sign out) sent it once more as its final save: refused again, as expected
    visit.console_errors = [e for e in visit.console_errors if "400" not in e]


def test_a_refused_onward_referral_comes_back_as_typed(visit, live_server):
    """A form refused after the page reloads (the minutes' onward referral without a service) keeps every field."""
    sign_in(visit, COORDINATOR)
    page = visit.goto(_minutes_url(live_server), "minutes")
    onward = _case(page, 0).locator("form.onward-form")
    onward.get_by_label("How sent").select_option(label="Phone")
    onward.get_by_label("Why").fill("Help with shopping and meals after the falls")
    onward.get_by_role("button", name="Refer on").click()
    expect(page.locator("main > .alert-danger")).to_contain_text("Choose a service")  # refused; the page reloaded
    onward = _case(page, 0).locator("form.onward-form")
    expect(onward.locator(".ilr-kept-notice")).to_contain_text("What you typed in this form before was not saved")
    expect(onward.get_by_label("Why")).to_have_value("Help with shopping and meals after the falls")
    expect(onward.get_by_label("How sent")).to_have_value("phone")
    visit.check("onward-refused-kept")
