"""The menus by the week's work: each screen once, in the week's order, and each role sees only what it may open."""

from __future__ import annotations

import re

import pytest

from models import Role
from tests.conftest import page_text

MENU_LINK = re.compile(r'<a class="dropdown-item[^"]*" href="([^"]+)">([^<]+)</a>')
CATEGORY = re.compile(r'data-toggle="dropdown" href="javascript:void\(0\)">([^<]+)</a>')


def menu_of(client) -> tuple[list[str], list[tuple[str, str]]]:
    text = page_text(client.get("/admin/"))
    return CATEGORY.findall(text), MENU_LINK.findall(text)


def test_the_team_leads_menus_follow_the_week_and_name_each_screen_once(signed_in):
    lead = signed_in(Role.team_lead)
    categories, links = menu_of(lead)
    assert categories == ["Referrals", "Meetings", "Patients", "Actions", "Reports", "Administration", lead.user.name]
    names = [name for _, name in links]
    assert len(names) == len(set(names)), names
    urls = [url for url, _ in links]
    assert len(urls) == len(set(urls)), urls
    assert names[:3] == ["New referral", "Triage queue", "All referrals"]
    assert {"Find a patient", "Caseload", "Open actions", "Chases", "KPI dashboard", "Outbox", "Audit trail"} <= set(
        names
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_menu_entry_opens_for_the_role_that_sees_it(signed_in, role):
    client = signed_in(role)
    _, links = menu_of(client)
    assert links
    for url, name in links:
        assert client.get(url).status_code == 200, (role, name, url)


def test_a_partner_sees_only_meetings_their_actions_and_their_own_pages(signed_in):
    partner = signed_in(Role.partner)
    categories, links = menu_of(partner)
    assert categories == ["Meetings", "Actions", partner.user.name]
    assert [name for _, name in links] == ["Meetings", "Open actions", "Where you are signed in", "Your details"]
