"""The team lead's KPI dashboard in a real browser: choose another period, then follow a figure to its records."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from formats.dates import today
from models import Consent, Locality, Organisation, OrganisationType, Patient, Referral, Role, User, db
from tests.browser import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LEAD = "lena.lead@example.nhs.net"


def _seed() -> None:
    """Two referrals this month, three last month (on its first and last days)."""
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    lead = User(email=LEAD, name="Lena Lead", role=Role.team_lead, organisation=team)
    lead.set_password(PASSWORD)
    locality = Locality(name="Riverside")
    first_of_month = today().replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    days = [today(), today(), last_month_end.replace(day=1), last_month_end, last_month_end]
    db.session.add_all([team, lead, locality])
    for n, day in enumerate(days):
        patient = Patient(given_name="Pat", family_name=f"Kpi{n}", date_of_birth=date(1940, 1, 2))
        db.session.add(
            Referral(patient=patient, locality=locality, received_on=day, referrer_name="Dr Jones", reason="Falls",
                     consent=Consent.not_recorded)
        )  # fmt: skip


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def test_the_team_lead_changes_the_period_and_follows_a_figure_to_its_records(visit):
    sign_in(visit, LEAD)
    page = visit.goto("/admin/kpis/", "dashboard-this-month")
    figure = page.locator('[data-figure="referrals:Referrals received"]')
    expect(figure).to_have_text("2")

    page.get_by_label("Period").select_option(label="Last month")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"period=last_month"))
    visit.check("dashboard-last-month")
    expect(figure).to_have_text("3")
    expect(page.locator(".kpi-scope")).to_contain_text("Last month")

    figure.click()
    page.wait_for_url(re.compile(r"/admin/kpis/records"))
    visit.check("records-last-month")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals received")
    expect(page.locator(".kpi-records-count")).to_have_text("3 records")
    expect(page.locator("table.kpi-records tbody tr")).to_have_count(3)

    page.get_by_role("link", name="Back to the KPI dashboard").click()
    page.wait_for_url(re.compile(r"period=last_month"))
    expect(figure).to_have_text("3")
