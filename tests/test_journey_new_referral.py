"""New referral in a real browser: leaving a half-typed referral asks first, a double click on Save lands on the one
referral saved, and a referral sent as the session timed out comes back to be saved after signing in again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models import Locality, Organisation, OrganisationType, Patient, Referral, Role, User, db
from tests.browser import move_clock_on, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

COORDINATOR = "intake@example.nhs.net"
LEAVE = "What you typed on this page is not saved yet. Leave the page anyway?"


def _seed() -> None:
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    user = User(email=COORDINATOR, name="Ivy Intake", role=Role.coordinator, organisation=team)
    user.set_password(PASSWORD)
    db.session.add_all([team, user, Locality(name="Riverside")])


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def referral_form(page):
    """The referral itself (the page also has the search for the patient, with its own Surname)."""
    return page.locator("form[method=post]").filter(has=page.get_by_role("button", name="Save referral"))


def _fill_referral(page, surname: str) -> None:
    form = referral_form(page)
    form.get_by_label("First name").fill("Mary")
    form.get_by_label("Surname").fill(surname)
    form.get_by_label("Date of birth").fill("1940-03-04")
    form.get_by_label("Referrer's name").fill("Dr Patel")
    form.get_by_label("Reason for referral").fill("Three falls since the summer; lives alone.")


def _referrals_for(live_server, surname: str) -> list[int]:
    with live_server.app.app_context():
        found = db.session.scalars(
            db.select(Referral.id).join(Patient).where(Patient.family_name == surname)
        ).all()  # fmt: skip
        db.session.remove()
    return list(found)


def test_leaving_a_half_typed_referral_asks_first(visit):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/intake/", "new-referral")
    referral_form(page).get_by_label("Surname").fill("Seacole")
    referral_form(page).get_by_label("Reason for referral").fill("Falls at home")

    # "Stay": the question is answered no, and nothing is lost.
    asked = []
    page.remove_listener("dialog", visit._on_dialog)
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("link", name="Home", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/intake/$"))
    assert asked == [LEAVE]
    expect(referral_form(page).get_by_label("Surname")).to_have_value("Seacole")
    page.on("dialog", visit._on_dialog)

    # "Leave": asked again, and this time the answer is yes.
    page.get_by_role("link", name="Home", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert visit.dialogs == [LEAVE]


def test_a_saved_referral_leaves_without_a_question(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/intake/", "new-referral")
    _fill_referral(page, "Nightingale")
    page.get_by_role("button", name="Save referral").click()
    expect(page.get_by_role("status").first).to_contain_text("Referral recorded for NIGHTINGALE, Mary")
    page.get_by_role("link", name="Home", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert visit.dialogs == []


def test_double_clicking_save_lands_on_the_one_referral_saved(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/intake/", "new-referral")
    _fill_referral(page, "Fry")
    page.get_by_role("button", name="Save referral").dblclick()
    expect(page).to_have_url(re.compile(r"/admin/triage/details/\?id=\d+$"))
    visit.check("double-click-saved")
    saved = _referrals_for(live_server, "Fry")
    assert len(saved) == 1
    assert page.url.endswith(f"?id={saved[0]}")
    expect(page.locator(".alert-danger")).to_have_count(0)  # a second click is not an error
    expect(page.get_by_role("status").first).to_contain_text(re.compile(r"Referral recorded|Already saved"))


def test_saving_again_when_the_first_answer_never_came_lands_on_the_referral_already_saved(visit, live_server):
    """The first send is saved but its answer is lost on the way back (the page just sits there), so Save is
    pressed again: the same form, sent twice, shows the referral the first send saved, calmly."""
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/intake/", "new-referral")
    _fill_referral(page, "Barton")
    lost = []

    def lose_the_first_answer(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch(max_redirects=0).status)  # the server saves it...
            route.fulfill(status=204)  # ...and the browser hears nothing back: it stays on the form
        else:
            route.continue_()

    page.route(re.compile(r"/admin/intake/$"), lose_the_first_answer)
    page.get_by_role("button", name="Save referral").click()
    expect(page).to_have_url(re.compile(r"/admin/intake/$"))
    assert lost == [302] and len(_referrals_for(live_server, "Barton")) == 1
    page.get_by_role("button", name="Save referral").click()
    expect(page).to_have_url(re.compile(r"/admin/triage/details/\?id=\d+$"))
    visit.check("already-saved")
    saved = _referrals_for(live_server, "Barton")
    assert len(saved) == 1 and page.url.endswith(f"?id={saved[0]}")
    message = page.locator(".alert-info")
    expect(message).to_have_text(re.compile(r"Already saved — here is the referral for BARTON, Mary\."))
    expect(message.get_by_role("link", name="here is the referral")).to_have_attribute(
        "href", f"/admin/triage/details/?id={saved[0]}"
    )
    expect(page.locator(".alert-danger")).to_have_count(0)


def test_a_referral_sent_as_the_session_timed_out_comes_back_to_be_saved(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/intake/", "new-referral")
    _fill_referral(page, "Cavell")
    move_clock_on(31 * 60)  # past the idle time-out
    page.get_by_role("button", name="Save referral").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/admin/intake/"))
    assert _referrals_for(live_server, "Cavell") == []

    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/intake/", "new-referral-again")
    expect(page.locator(".ilr-kept-notice")).to_contain_text("What you typed in this form before was not saved")
    expect(referral_form(page).get_by_label("Surname")).to_have_value("Cavell")
    expect(referral_form(page).get_by_label("Reason for referral")).to_have_value(
        "Three falls since the summer; lives alone."
    )
    page.get_by_role("button", name="Save referral").click()
    expect(page.get_by_role("status").first).to_contain_text("Referral recorded for CAVELL, Mary")
    visit.check("referral-saved")  # the page after the save, loaded whole: it says the kept copy can go
    assert len(_referrals_for(live_server, "Cavell")) == 1
    page.goto(visit.base_url + "/admin/intake/")  # saved: nothing comes back
    expect(page.locator(".ilr-kept-notice")).to_have_count(0)
    expect(referral_form(page).get_by_label("Surname")).to_have_value("")
