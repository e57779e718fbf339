"""Each role's home page in a real browser, on the demo data: each item's count is the count of the list it links
to, each link opens, and each page passes axe-core's WCAG 2.2 AA rules; the header's search finds a patient."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

import demo
from tests.browser import WCAG_22_AA, sign_in

pytestmark = pytest.mark.browser

#: The demo's accounts by role (demo/reference.py).
ACCOUNTS = {role.value: email for email, _, role, _ in demo.DEMO_ACCOUNTS}
LIST_COUNT = re.compile(r"(\d[\d,]*) records?")


@pytest.fixture(scope="module")
def live_seed():
    return lambda: demo.seed_demo(patients=300)


def _list_count(page) -> int:
    """The count at the top of a list (`templates/admin/model/ilr_list.html`)."""
    shown = page.locator('.nav-link.active[aria-current="page"]').first.inner_text()
    found = LIST_COUNT.search(shown)
    assert found, f"no count on {page.url}: {shown!r}"
    return int(found.group(1).replace(",", ""))


def _check_home(visit, role: str) -> dict[str, int]:
    """Sign in as the role's demo account; follow each counted item to its list and each list's first line."""
    sign_in(visit, ACCOUNTS[role], demo.DEMO_PASSWORD)
    page = visit.page
    visit.check(f"{role}-home", WCAG_22_AA)
    counts = {
        link.get_attribute("href"): int(link.get_attribute("data-home-count"))
        for link in page.locator("[data-home-count]").all()
    }
    firsts = [
        link.get_attribute("href") for link in page.locator("[data-home-list] .list-group-item a:first-child").all()
    ]
    seen_first = {}
    for href in firsts:  # the first line of each list (one per list is enough to show the links open)
        seen_first.setdefault(href.split("?")[0].rsplit("/", 2)[0], href)
    for n, (href, count) in enumerate(counts.items()):
        visit.goto(href, f"{role}-list-{n}")
        assert _list_count(page) == count, f"{role}: {href} shows {_list_count(page)}, the home page said {count}"
    for n, href in enumerate(seen_first.values()):
        response = page.goto(visit.base_url + href)
        assert response.status == 200, f"{role}: {href} answered {response.status}"
        visit.check(f"{role}-line-{n}", WCAG_22_AA)
    return counts


def test_the_coordinators_home_page_matches_the_lists_it_links_to(visit):
    counts = _check_home(visit, "coordinator")
    assert len(counts) == 7 and any(counts.values())


def test_the_team_leads_home_page_matches_the_lists_it_links_to_and_shows_the_month(visit):
    counts = _check_home(visit, "team_lead")
    assert len(counts) == 9
    visit.goto("/admin/", "team-lead-home-again")
    expect(visit.page.get_by_role("heading", name="This month's headline figures")).to_be_visible()
    figures = visit.page.locator("section[aria-labelledby=home-kpis]")  # filled in by its own request
    expect(figures.locator(".home-kpis a").first).to_be_visible()
    expect(figures).not_to_have_attribute("aria-busy", "true")
    visit.check("team-lead-home-with-figures", WCAG_22_AA)
    expect(visit.page.get_by_role("heading", name="By coordinator")).to_be_visible()
    visit.page.get_by_role("link", name="Open the KPI dashboard").click()
    expect(visit.page).to_have_url(re.compile(r"/admin/kpis/"))
    visit.check("team-lead-dashboard", WCAG_22_AA)


def test_the_partner_updates_an_action_from_their_home_page(visit):
    counts = _check_home(visit, "partner")
    assert len(counts) == 1
    before = next(iter(counts.values()))
    page = visit.goto("/admin/", "partner-home-again")
    page.get_by_role("link", name=re.compile("^Update: ")).first.click()
    visit.check("partner-action", WCAG_22_AA)
    page.get_by_label("Now").select_option(label="Done")
    page.get_by_role("button", name="Save the update").click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text("Action updated")
    visit.goto("/admin/", "partner-home-after-update")
    assert int(page.locator("[data-home-count]").first.get_attribute("data-home-count")) == before - 1


def test_the_observers_home_page_lists_what_they_may_read(visit):
    sign_in(visit, ACCOUNTS["read_only"], demo.DEMO_PASSWORD)
    page = visit.page
    visit.check("observer-home", WCAG_22_AA)
    expect(page.get_by_role("heading", name="What you may read")).to_be_visible()
    links = page.locator("main li a")
    assert links.count() > 5
    links.first.click()
    visit.check("observer-first-link", WCAG_22_AA)


def test_the_header_search_finds_a_patient_from_any_page(visit):
    sign_in(visit, ACCOUNTS["coordinator"], demo.DEMO_PASSWORD)
    page = visit.page
    visit.goto("/admin/action/", "search-from-actions")
    surname = page.locator("td a[href*='/admin/record/']").first.inner_text().split(",")[0].split()[-1]
    page.get_by_label("Find a patient", exact=True).fill(surname)
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/(record/\d+/|find/\?q=)"))
    visit.check("search-results", WCAG_22_AA)
