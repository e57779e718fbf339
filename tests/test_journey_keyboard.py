"""Keyboard alone completes a referral, a triage decision and a meeting's minutes: Tab and Shift+Tab to move (in an
order that follows the page, focus always visible), typing, Space and the arrow keys to choose, Enter to send, and
Escape to close a menu. axe-core's WCAG 2.2 A and AA rules find nothing serious on the pages they visit."""

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
from tests.browser import WCAG_22_AA, sign_in
from tests.conftest import PASSWORD
from tests.factories import working_day

pytestmark = pytest.mark.browser

COORDINATOR = "keys@example.nhs.net"
#: Most Tab presses from one field to the next a person should need on these forms.
NEAR = 4

_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const s = getComputedStyle(el);
  return {tag: el.tagName, id: el.id, name: el.name || '', text: (el.innerText || el.value || '').slice(0, 40),
          outline: s.outlineStyle === 'none' ? '0px' : s.outlineWidth,
          // a date box's calendar button (inside the box) has focus: the browser draws its own ring on it
          date: el.type === 'date', picker: el.type === 'date' && !el.matches(':focus')};
}"""


def _seed() -> None:
    """A coordinator, a locality with a practice and two agencies' members, and a booked meeting with one case."""
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    locality = Locality(name="Riverside")
    practice = Organisation(name="Hillview Surgery", type=OrganisationType.gp_practice, ods_code="G82001",
                            locality=locality)  # fmt: skip
    social = Organisation(name="County Social Services", type=OrganisationType.social_services, ods_code="SS0001")
    user = User(email=COORDINATOR, name="Kim Keys", role=Role.coordinator, organisation=team)
    user.set_password(PASSWORD)
    member = Contact(name="Sam Social", email="sam@nhs.net", organisation=social)
    db.session.add_all(
        [team, locality, practice, social, user, member, MeetingMember(locality=locality, contact=member)]
    )
    meeting = book_meeting(locality, working_day(20), user)
    patient = Patient(given_name="Pat", family_name="Ahmed", date_of_birth=date(1935, 5, 5), gp_practice=practice)
    referral = Referral(
        patient=patient, locality=locality, received_on=date(2026, 11, 1), referrer_name="Dr Jones", reason="Falls",
        consent=Consent.given, consent_by="Patient", consent_on=date(2026, 11, 1), signposting_tried="Age UK",
        status=ReferralStatus.accepted,
    )  # fmt: skip
    episode = Episode(patient=patient, referral=referral, locality=locality, opened_on=date(2026, 11, 2))
    db.session.add(AgendaItem(meeting=meeting, patient=patient, episode=episode, referral=referral, position=1))


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def focused(page) -> dict | None:
    return page.evaluate(_FOCUS)


def tab_to(page, target, limit: int = NEAR, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `target` has focus, within `limit` presses; every stop shows its focus.

    A date box takes a press for each of its day, month and year and one for its calendar button: not counted."""
    presses = 0
    while not target.evaluate("el => el === document.activeElement"):
        now = focused(page)
        presses += 0 if now and now["tag"] == "INPUT" and now["date"] else 1
        if presses > limit:
            raise AssertionError(f"{target} not reached in {limit} presses of Tab: focus is on {now}")
        page.keyboard.press("Shift+Tab" if back else "Tab")
        page.wait_for_timeout(50)  # a date box hands focus to its day, month or year part first
        now = focused(page)
        assert now is None or now["outline"] == "3px" or now["picker"], f"focus not visible on {now}"


def arrow_to(page, radio, limit: int = 6) -> None:
    """Choose a radio button in the focused group with the arrow keys (as a person does), until `radio` is chosen."""
    for _ in range(limit):
        if radio.is_checked():
            return
        page.keyboard.press("ArrowDown")
    expect(radio).to_be_checked()


def type_in(page, target, text: str, limit: int = NEAR) -> None:
    tab_to(page, target, limit)
    page.keyboard.type(text)


def skip_to_main(page) -> None:
    """Past the menus to the page's own content: the skip link is the first stop (Shift+Tab back to it from the menus)
    and Enter follows it; a page sent from inside the content (its address ends #main) opens there already."""
    link = page.get_by_role("link", name="Skip to main content")
    if focused(page) is not None:
        tab_to(page, link, limit=20, back=True)
    elif page.url.endswith("#main"):
        return
    else:
        page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")


def test_a_referral_and_its_triage_decision_by_keyboard_alone(visit):
    sign_in(visit, COORDINATOR)
    page = visit.page
    page.goto(visit.base_url + "/admin/intake/")
    visit.check("keyboard-intake", WCAG_22_AA)
    # A menu opens with Enter and closes with Escape, focus staying on it.
    menu = page.get_by_role("link", name="Referrals", exact=True)
    tab_to(page, menu, limit=12)
    page.keyboard.press("Enter")
    expect(page.locator(".dropdown-menu.show")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".dropdown-menu.show")).to_have_count(0)
    expect(menu).to_be_focused()

    # 1. Find the patient: the search is the first thing after the menus; Enter sends it.
    skip_to_main(page)
    search = page.locator("#find-nhs")
    type_in(page, search, "999 000 0034")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"nhs_number="))
    expect(page.get_by_role("status")).to_contain_text("No patient found")
    visit.check("keyboard-intake-none-found", WCAG_22_AA)

    # 2. The new patient and 3. the referral, field after field in the page's order.
    form = page.locator("form[method=post]")
    skip_to_main(page)
    type_in(page, form.get_by_label("NHS number"), "999 000 0034", limit=8)
    type_in(page, form.get_by_label("First name"), "Mary")
    type_in(page, form.get_by_label("Surname"), "Seacole")
    type_in(page, form.get_by_label("Date of birth"), "04031941")
    type_in(page, form.get_by_label("Clinical Frailty Scale"), "7")
    type_in(page, form.get_by_label("Long-term conditions (one per line)"), "COPD\nHeart failure")
    type_in(page, form.get_by_label("Locality"), "Riverside")
    tab_to(page, form.get_by_label("Referrer's name"))
    page.keyboard.type("Dr Patel")
    type_in(page, form.get_by_label("Reason for referral"), "Three falls this winter; lives alone", limit=8)
    tab_to(page, form.get_by_label("Frailty", exact=True), limit=8)
    page.keyboard.press("Space")
    tab_to(page, form.get_by_label("Not yet recorded"), limit=6)
    arrow_to(page, form.get_by_label("Consent given", exact=True))
    type_in(page, form.get_by_label("Consent given by"), "Patient")
    type_in(page, form.get_by_label("Consent given on"), "20112026")
    type_in(page, form.get_by_label("Signposting already tried"), "Age UK befriending", limit=6)
    expect(form.get_by_label("Frailty", exact=True)).to_be_checked()
    expect(form.get_by_label("Date of birth")).to_have_value("1941-03-04")
    expect(form.get_by_label("Locality")).to_have_value(re.compile(r"\d+"))
    visit.check("keyboard-intake-filled", WCAG_22_AA)
    tab_to(page, form.get_by_role("button", name="Save referral"), limit=6)
    page.keyboard.press("Enter")

    # The triage decision: the outcome with the arrow keys, Enter on "Record decision".
    page.wait_for_url(re.compile(r"/admin/triage/details/"))
    expect(page.get_by_role("status").first).to_contain_text("Referral recorded for SEACOLE, Mary")
    visit.check("keyboard-triage-referral", WCAG_22_AA)
    skip_to_main(page)
    decision = page.locator("form[action*=decide]")
    tab_to(page, decision.get_by_label("Accept", exact=True), limit=30)
    page.keyboard.press("Space")
    expect(decision.get_by_label("Accept", exact=True)).to_be_checked()
    tab_to(page, decision.get_by_role("button", name="Record decision"), limit=NEAR)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/triage/$"))
    expect(page.get_by_role("status").first).to_contain_text("Referral for SEACOLE, Mary (999 000 0034): accepted.")
    visit.check("keyboard-triage-queue", WCAG_22_AA)


def test_a_meetings_minutes_by_keyboard_alone(visit, live_server):
    with live_server.app.app_context():
        meeting_id = db.session.scalar(db.select(AgendaItem.meeting_id))
        db.session.remove()
    sign_in(visit, COORDINATOR)
    page = visit.page
    page.goto(f"{visit.base_url}/admin/meeting-room/{meeting_id}/minutes")
    visit.check("keyboard-minutes", WCAG_22_AA)
    case = page.locator("section[id^=case-]").first
    skip_to_main(page)
    type_in(page, case.get_by_label("Summary"), "Lives alone; two falls this month", limit=30)
    type_in(page, case.get_by_label("Discussion"), "Carer exhausted at night")
    type_in(page, case.get_by_label("Outcome (the meeting's answer)"), "Night-time care package requested")
    type_in(page, case.get_by_label("Decisions"), "Refer to social services")
    tab_to(page, case.get_by_label("Discussed", exact=True), limit=NEAR)
    page.keyboard.press("Space")
    tab_to(page, case.get_by_role("button", name="Save this case"))
    page.keyboard.press("Enter")
    expect(case.locator(".case-status")).to_contain_text("saved at", timeout=10_000)

    # An action agreed: typed, its agency chosen by typing, its date typed, Enter on "Add".
    type_in(page, case.get_by_label("New action"), "Arrange night-sitting service", limit=8)
    type_in(page, case.get_by_label("Agency"), "County")
    tab_to(page, case.get_by_label("Due"), limit=3)
    due = (datetime.now(LONDON) + timedelta(days=44)).date()  # a fortnight after the meeting (in 30 days)
    page.keyboard.type(due.strftime("%d%m%Y"))
    tab_to(page, case.get_by_role("button", name="Add"), limit=3)
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page.get_by_role("status").first).to_contain_text("Action added")
    visit.check("keyboard-minutes-after", WCAG_22_AA)
    case = page.locator("section[id^=case-]").first
    expect(case.get_by_label("Summary")).to_have_value("Lives alone; two falls this month")
    expect(case.get_by_label("Discussed", exact=True)).to_be_checked()
    expect(case).to_contain_text("Arrange night-sitting service")
