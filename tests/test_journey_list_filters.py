"""List filters in a real browser: a British due date typed key by key, a date range, and an impossible date
refused in words with no rows listed; the picker writes dd/mm/yyyy and starts its weeks on Monday."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from models import Action, ActionStatus, Organisation, OrganisationType, Patient, Role, User, db
from tests.browser import ARTIFACTS, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

COORDINATOR = "filters@example.nhs.net"
#: Actions and their due dates: two on 20/12/2026 (one done), others either side.
DUE = {
    "Falls clinic referral": date(2026, 12, 19),
    "Medicines review": date(2026, 12, 20),
    "Carer's assessment": date(2026, 12, 20),
    "Grab rails fitted": date(2026, 12, 24),
    "Memory clinic letter": date(2027, 1, 5),
}


def _seed() -> None:
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    pharmacy = Organisation(name="Medway Pharmacy", type=OrganisationType.pharmacy, ods_code="PH0001")
    user = User(email=COORDINATOR, name="Fran Filters", role=Role.coordinator, organisation=team)
    user.set_password(PASSWORD)
    patient = Patient(given_name="Pat", family_name="Ahmed", date_of_birth=date(1935, 5, 5))
    db.session.add_all([team, pharmacy, user, patient])
    for description, due in DUE.items():
        done = description == "Carer's assessment"
        db.session.add(
            Action(patient=patient, description=description, owner_organisation=pharmacy, due_on=due,
                   status=ActionStatus.done if done else ActionStatus.open, completed_on=due if done else None)
        )  # fmt: skip


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def listed(page) -> list[str]:
    return [t.strip() for t in page.locator("table.model-list tbody td.col-description").all_inner_texts()]


def add_due_filter(page, operation: str, name: str = "Due"):
    """Actions → Add Filter → Due (or another), then the operation chosen in its select2 box; returns the value box."""
    page.get_by_role("link", name="Filter", exact=True).click()
    page.locator(".field-filters a.filter", has_text=re.compile(rf"^\s*{name}\s*$")).click()
    row = page.locator("#filter_form table.filters tr").last
    if operation != "on":
        row.locator(".select2-container .select2-choice").click()
        page.locator("#select2-drop .select2-result-label", has_text=re.compile(f"^{operation}$")).click()
    return row.locator("input.filter-val")


def apply_filters(page):
    page.locator("#filter_form").get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"flt"))


def test_a_british_due_date_typed_key_by_key_lists_only_those_actions(visit):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/action/", "actions")
    box = add_due_filter(page, "on")
    expect(box).to_have_attribute("placeholder", "dd/mm/yyyy")
    box.click()
    calendar = page.locator(".daterangepicker").last
    expect(calendar).to_be_visible()
    box.press_sequentially("20/12/2026")
    expect(box).to_have_value("20/12/2026")  # not rewritten as each key is pressed
    expect(calendar.locator("thead tr").last.locator("th").first).to_have_text("Mo")  # weeks start on Monday
    expect(calendar.locator(".calendar.left td.active")).to_have_text("20")  # the calendar follows what was typed
    page.screenshot(path=str(ARTIFACTS / "list-filters-picker.png"))
    apply_filters(page)
    visit.check("actions-due-on")
    assert sorted(listed(page)) == ["Carer's assessment", "Medicines review"]  # done ones too: that day's
    expect(page.locator("#filter_form input.filter-val")).to_have_value("20/12/2026")


def test_a_date_picked_from_the_calendar_is_written_the_british_way(visit):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/action/?flt0_due_on=20/12/2026", "actions-filtered")
    box = page.locator("#filter_form input.filter-val")
    box.click()
    page.locator(".daterangepicker td.available", has_text=re.compile(r"^24$")).first.click()
    expect(box).to_have_value("24/12/2026")
    apply_filters(page)
    expect(page.locator("table.model-list tbody td.col-description")).to_have_text(["Grab rails fitted"])


def test_a_date_range_lists_the_actions_due_between_them(visit):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/action/", "actions")
    box = add_due_filter(page, "between")
    expect(box).to_have_attribute("placeholder", "dd/mm/yyyy to dd/mm/yyyy")
    box.fill("20/12/2026 to 24/12/2026")
    apply_filters(page)
    visit.check("actions-due-between")
    assert sorted(listed(page)) == ["Carer's assessment", "Grab rails fitted", "Medicines review"]


def test_an_impossible_date_is_refused_in_words_and_lists_nothing(visit):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/action/", "actions")
    assert len(listed(page)) == 4  # the open ones, before any filter
    add_due_filter(page, "on").fill("31/02/2026")
    apply_filters(page)
    visit.check("actions-impossible-date")
    expect(page.get_by_role("alert")).to_contain_text(
        "Due: “31/02/2026” is not a day on the calendar: check the day and the month. "
        "Nothing is listed until the filter is corrected or removed."
    )
    assert listed(page) == []
    expect(page.locator("#filter_form input.filter-val")).to_have_value("31/02/2026")  # there to correct


def test_a_time_filter_is_typed_and_picked_on_the_24_hour_clock(visit):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/action/", "actions")
    box = add_due_filter(page, "on", name="Meeting date")
    expect(box).to_have_attribute("placeholder", "dd/mm/yyyy hh:mm")
    box.click()
    calendar = page.locator(".daterangepicker").last
    expect(calendar.locator("select.hourselect").first.locator("option")).to_have_count(24)  # 0 to 23
    expect(calendar.locator("select.ampmselect")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "list-filters-time-picker.png"))
    box.fill("20/12/2026 14:30")
    apply_filters(page)
    expect(page.locator("#filter_form input.filter-val")).to_have_value("20/12/2026 14:30")
    expect(page.locator(".alert-danger")).to_have_count(0)
    assert listed(page) == []  # no action comes from a meeting at that time
