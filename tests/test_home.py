"""Each role's home page: today's work, each count the count of the list it links to, within the person's scope."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from formats.dates import today
from models import CarePlanState, EmailStatus, OutboxEmail, ReferralStatus, Role, db
from services.home_pages import home_page
from tests.conftest import page_text
from tests.test_query_counts import queries_for, sql_statements  # noqa: F401 (a fixture)

LIST_COUNT = re.compile(r'aria-current="page">(more than )?([\d,]+) records?<')
HOME_ITEM = re.compile(r'<a href="([^"]+)" data-home-count="(\d+)"')


def list_count(client, url: str) -> int:
    """The count a list shows at the top, for `url` (the link a home item gives)."""
    text = page_text(client.get(url.replace("&amp;", "&")))
    found = LIST_COUNT.search(text)
    assert found, f"no count on {url}"
    return int(found.group(2).replace(",", ""))


def home_items(client) -> dict[str, int]:
    """The home page's counted items: link → count."""
    text = page_text(client.get("/admin/"))
    return {url.replace("&amp;", "&"): int(n) for url, n in HOME_ITEM.findall(text)}


@pytest.fixture
def week(create_episode, create_action, create_referral, create_contact_entry, create_onward_referral,
         create_care_plan, create_meeting, make_user):  # fmt: skip
    """A coordinator's own cases and a colleague's, with something to do on each list."""

    def build(coordinator, colleague):
        late = today() - timedelta(days=3)
        for holder in (coordinator, colleague, colleague):
            episode = create_episode(coordinator=holder, review_on=today() + timedelta(days=2))
            patient = episode.patient
            create_action(patient=patient, due_on=late)
            create_action(patient=patient)  # not yet due
            create_contact_entry(patient=patient, follow_up_on=today())
            create_onward_referral(patient=patient)
            create_care_plan(patient=patient, state=CarePlanState.agreed, agreed_on=today())
        create_episode(coordinator=coordinator, review_on=today() + timedelta(days=30))  # not this week
        create_referral()
        create_referral(status=ReferralStatus.more_information)
        create_referral(status=ReferralStatus.accepted)  # decided: not on the queue
        create_meeting()
        db.session.add(OutboxEmail(to_address="gp@example.nhs.net", subject="Letter", body_text="x",
                                   status=EmailStatus.given_up))  # fmt: skip
        db.session.commit()

    return build


def test_a_coordinators_home_counts_their_own_work_as_the_lists_it_links_to(signed_in, week, make_user):
    coordinator = signed_in(Role.coordinator)
    week(coordinator.user, make_user(Role.coordinator))
    items = home_items(coordinator)
    assert len(items) == 7, items
    for url, count in items.items():
        assert list_count(coordinator, url) == count, url
    page = home_page(coordinator.user)
    counts = {item.key: item.count for item in page.lists}
    assert counts == {"triage": 2, "meetings": 2, "overdue": 1, "reviews": 1, "follow_ups": 1, "onward": 1,
                      "gp": 1, "emails": 1}  # fmt: skip


def test_the_team_leads_home_counts_the_whole_team_and_adds_kpis_alerts_and_accounts(signed_in, week, make_user):
    lead = signed_in(Role.team_lead)
    first, second = make_user(Role.coordinator, name="Casey"), make_user(Role.coordinator, name="Robin")
    week(first, second)
    page = home_page(lead.user)
    counts = {item.key: item.count for item in page.lists}
    assert counts["overdue"] == 3 and counts["reviews"] == 3 and counts["gp"] == 3
    team = {row.name: (row.open_cases, row.reviews_due, row.overdue_actions) for row in page.team}
    assert team["Casey"] == (2, 1, 1) and team["Robin"] == (2, 2, 2)
    assert page.month_figures and {item.key for item in page.admin} == {"alerts", "accounts"}
    for url, count in home_items(lead).items():
        assert list_count(lead, url) == count, url


def test_the_team_leads_month_figures_come_in_their_own_request_for_the_team_lead_alone(signed_in, week, make_user):
    lead = signed_in(Role.team_lead)
    week(make_user(Role.coordinator, name="Casey"), make_user(Role.coordinator, name="Robin"))
    home = page_text(lead.get("/admin/"))
    assert 'data-fill-from="/admin/month-figures"' in home and "Referrals received" not in home
    figures = lead.get("/admin/month-figures")
    assert figures.status_code == 200 and "<html" not in page_text(figures)  # a part of the home page, not a page
    links = dict(re.findall(r'<span class="d-block small text-muted">([^<]+)</span>\s*<a href="([^"]+)"',
                            page_text(figures)))  # fmt: skip
    assert "Referrals received" in links and "Actions on time" in links
    received = html.unescape(links["Referrals received"])
    assert received.startswith("/admin/kpis/records?") and "period=this_month" in received
    assert lead.get(received).status_code == 200
    for role in (Role.coordinator, Role.partner, Role.read_only):
        assert signed_in(role).get("/admin/month-figures").status_code == 403
        assert "data-fill-from" not in page_text(signed_in(role).get("/admin/"))


def test_a_partner_sees_their_organisations_open_actions_overdue_first(signed_in, create_action, make_org):
    partner = signed_in(Role.partner)
    mine = partner.user.organisation
    create_action(owner_organisation=mine, due_on=today() + timedelta(days=5), description="Later")
    create_action(owner_organisation=mine, due_on=today() - timedelta(days=5), description="Late")
    create_action(description="Someone else's")
    db.session.commit()
    page = home_page(partner.user)
    actions = page.lists[0]
    assert actions.count == 2 and [line.text.split(" — ")[0] for line in actions.lines] == ["Late", "Later"]
    assert actions.lines[0].flagged
    for url, count in home_items(partner).items():
        assert list_count(partner, url) == count, url
    assert "Someone else" not in page_text(partner.get("/admin/"))


def test_an_observers_home_lists_what_they_may_read(signed_in):
    observer = signed_in(Role.read_only)
    text = page_text(observer.get("/admin/"))
    assert "What you may read" in text and "/admin/triage/" in text
    assert "/admin/user/" not in text  # the team lead's


@pytest.mark.parametrize("role", [Role.coordinator, Role.team_lead])
def test_each_home_list_is_bounded_and_its_queries_do_not_grow_with_rows(
    signed_in,
    week,
    make_user,
    sql_statements,  # noqa: F811
    role,
):
    client = signed_in(role)
    holder = client.user if role == Role.coordinator else make_user(Role.coordinator)
    week(holder, make_user(Role.coordinator))
    few = queries_for(client, sql_statements, "/admin/")
    for _ in range(15):
        week(holder, make_user(Role.coordinator))
    many = queries_for(client, sql_statements, "/admin/")
    assert many == few
    page = home_page(client.user)
    assert all(len(item.lines) <= 10 for item in page.lists)
    overdue = next(item for item in page.lists if item.key == "overdue")
    assert overdue.count == (16 if role == Role.coordinator else 48) and len(overdue.lines) == 10


def test_a_care_plan_counts_for_the_gp_until_its_latest_agreed_version_is_shared_with_the_practice(
    signed_in, create_episode, create_care_plan, make_org
):
    from models import CarePlanShare, OrganisationType

    lead = signed_in(Role.team_lead)
    practice = make_org(type=OrganisationType.gp_practice)
    waiting, shared, superseded = (create_episode().patient for _ in range(3))
    for patient in (waiting, shared, superseded):
        patient.gp_practice = practice
    create_care_plan(patient=waiting, state=CarePlanState.agreed, agreed_on=today())
    plan = create_care_plan(patient=shared, state=CarePlanState.agreed, agreed_on=today())
    db.session.add(CarePlanShare(care_plan=plan, shared_on=today(), shared_by_id=lead.user.id, shared_with=practice))
    create_care_plan(patient=superseded, state=CarePlanState.agreed, agreed_on=today())  # version 2 replaced it:
    newer = create_care_plan(patient=superseded, number=2, state=CarePlanState.agreed, agreed_on=today())
    db.session.add(CarePlanShare(care_plan=newer, shared_on=today(), shared_by_id=lead.user.id, shared_with=practice))
    create_care_plan(patient=waiting, number=2)  # a draft after the agreed version: that one still waits
    create_care_plan(state=CarePlanState.agreed, agreed_on=today())  # no open episode: not today's work
    db.session.commit()
    gp = next(item for item in home_page(lead.user).lists if item.key == "gp")
    assert gp.count == 1 and waiting.display_name in gp.lines[0].text
    assert list_count(lead, "/admin/care_plan/?flt0_waiting_to_go_to_the_gp_is=1") == 1


def test_the_team_tables_link_each_figure_to_the_list_that_counts_it(signed_in, week, make_user):
    lead = signed_in(Role.team_lead)
    first, second = make_user(Role.coordinator, name="Casey"), make_user(Role.coordinator, name="Robin")
    week(first, second)
    page = home_page(lead.user)
    assert len(page.localities) == 8 and sum(row.open_cases for row in page.localities) == 4
    robin = next(row for row in page.team if row.name == "Robin")
    assert (robin.reviews_due, robin.overdue_actions) == (2, 2)
    with lead.application.test_request_context():
        from flask import url_for

        def url(target):
            return url_for(target.endpoint, **target.args)

        links = [(url(row.caseload), row.open_cases) for row in [*page.team, *page.localities]]
        links += [(url(row.reviews), row.reviews_due) for row in [*page.team, *page.localities]]
        links += [(url(row.overdue), row.overdue_actions) for row in page.team]
    for link, count in links:
        assert list_count(lead, link) == count, link


def test_opening_the_home_page_is_audited_as_a_list_of_todays_work(signed_in, create_referral):
    from sqlalchemy import select

    from models import AuditAction, AuditEntry

    coordinator = signed_in(Role.coordinator)
    create_referral()
    db.session.commit()
    coordinator.get("/admin/")
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.table_name, entry.user_id) == (AuditAction.list, "home", coordinator.user.id)
    lead = signed_in(Role.team_lead)
    assert "Listed today&#39;s work on the home page" in page_text(lead.get("/admin/audit/"))
