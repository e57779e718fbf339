"""The short-term caseload in a real browser: a safeguarding concern raised and flagged on the agenda, a case in the
live minutes referred on to a directory service, and an episode closed with each goal's attainment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from formats.dates import today
from models import (
    Action,
    AgendaItem,
    CarePlan,
    CarePlanState,
    Consent,
    Contact,
    DirectoryService,
    Episode,
    Goal,
    GoalDomain,
    GoalStatus,
    Locality,
    MeetingMember,
    OnwardMethod,
    OnwardReferral,
    Organisation,
    OrganisationType,
    Patient,
    Referral,
    ReferralStatus,
    Role,
    SafeguardingConcern,
    User,
    db,
)
from services.scheduling import book_meeting
from tests.browser import sign_in
from tests.conftest import PASSWORD
from tests.factories import working_day

pytestmark = pytest.mark.browser

COORDINATOR = "cara.caseload@example.nhs.net"


def _episode(locality: Locality, coordinator: User, surname: str) -> Episode:
    patient = Patient(given_name="Pat", family_name=surname, date_of_birth=date(1936, 3, 4), cfs=6)
    referral = Referral(
        patient=patient,
        locality=locality,
        received_on=today() - timedelta(days=40),
        referrer_name="Dr Jones",
        reason="Falls at home",
        consent=Consent.given,
        consent_by="Patient",
        consent_on=today() - timedelta(days=41),
        signposting_tried="Age UK",
        status=ReferralStatus.accepted,
    )
    return Episode(
        patient=patient,
        referral=referral,
        locality=locality,
        coordinator=coordinator,
        opened_on=today() - timedelta(days=35),
        review_on=today() + timedelta(days=20),
    )


def _seed() -> None:
    """A coordinator's caseload: two cases on next month's agenda, a case ready to close, and a services directory."""
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    social = Organisation(name="County Social Services", type=OrganisationType.social_services, ods_code="SS0001")
    community = Organisation(
        name="Medway Community Healthcare", type=OrganisationType.community_health, ods_code="MCH001"
    )
    locality = Locality(name="Riverside")
    user = User(email=COORDINATOR, name="Cara Caseload", role=Role.coordinator, organisation=team)
    user.set_password(PASSWORD)
    member = Contact(name="Sam Social", email="sam@nhs.net", organisation=social)
    db.session.add_all(
        [team, social, community, locality, user, member, MeetingMember(locality=locality, contact=member)]
    )
    db.session.add_all(
        [
            DirectoryService(
                name="Falls prevention and strength and balance",
                organisation=community,
                offers="Falls risk assessment at home; a 12-week strength and balance class.",
                who_for="Adults aged 65 and over who have fallen or are afraid of falling.",
                how_to_refer=OnwardMethod.form,
                referral_form_url="https://example.org/demo/falls-referral",
                area="Medway",
            ),
            DirectoryService(
                name="Safe and well visit",
                offers="Smoke alarms fitted, fire safety and falls advice at home.",
                how_to_refer=OnwardMethod.email,
                secure_email="safe.and.well@fire-demo.nhs.net",
                area="Kent and Medway",
            ),
        ]
    )
    meeting = book_meeting(locality, working_day(20), user)
    for position, surname in enumerate(("Ahmed", "Brown"), start=1):
        episode = _episode(locality, user, surname)
        db.session.add(
            AgendaItem(
                meeting=meeting,
                patient=episode.patient,
                episode=episode,
                referral=episode.referral,
                position=position,
            )
        )
    closing = _episode(locality, user, "Closing")
    plan = CarePlan(patient=closing.patient, episode=closing, number=1, about_me="Retired postman")
    db.session.add_all(
        [
            closing,
            plan,
            Goal(care_plan=plan, description="Walk to the shops again", domain=GoalDomain.functional,
                 status=GoalStatus.achieved),
            Goal(care_plan=plan, description="Get back into the garden", domain=GoalDomain.physical,
                 status=GoalStatus.in_progress),
            Action(patient=closing.patient, description="Medication review", owner_organisation=community,
                   due_on=today() + timedelta(days=10)),
        ]
    )  # fmt: skip
    db.session.flush()
    plan.state, plan.agreed_on = CarePlanState.agreed, today() - timedelta(days=20)


@pytest.fixture(scope="module")
def live_seed():
    return _seed


def _ids(live_server, surname: str) -> tuple[int, int | None]:
    """The patient's id and their case's meeting id, read from the served database."""
    with live_server.app.app_context():
        patient_id = db.session.scalar(db.select(Patient.id).where(Patient.family_name == surname))
        meeting_id = db.session.scalar(db.select(AgendaItem.meeting_id).where(AgendaItem.patient_id == patient_id))
        db.session.remove()
    return patient_id, meeting_id


def _choose(page, field: str, option: str) -> None:
    """Pick an option in one of the record form's select2 boxes the way a person does: open it, click the option."""
    page.locator(f"#s2id_{field} .select2-choice").click()
    page.locator("#select2-drop .select2-result-label", has_text=option).click()


def test_a_safeguarding_concern_raised_shows_as_a_flag_on_the_agenda(visit, live_server):
    sign_in(visit, COORDINATOR)
    patient_id, meeting_id = _ids(live_server, "Ahmed")
    page = visit.goto(f"/admin/record/{patient_id}/", "patient-record")
    page.get_by_role("link", name="Raise a safeguarding concern").click()
    page.wait_for_load_state("load")
    visit.check("new-concern")
    page.get_by_label("What the concern is").fill("Neighbour holds the bank card; pension withdrawn without consent.")
    page.get_by_label("Raised on").fill(today().isoformat())
    _choose(page, "category", "Financial or material")
    page.get_by_label("s42(1)(a): has needs for care and support").select_option(label="Yes")
    page.get_by_label("s42(1)(b): is experiencing, or at risk of, abuse or neglect").select_option(label="Yes")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("load")
    visit.check("concern-saved")
    with live_server.app.app_context():
        concern = db.session.scalars(db.select(SafeguardingConcern)).one()
        assert (concern.patient_id, concern.s42_care_needs, concern.s42_unable_to_protect) == (patient_id, True, None)
        db.session.remove()

    page = visit.goto(f"/admin/meeting-room/{meeting_id}/", "agenda-with-flag")
    ahmed = page.locator("tr", has_text="AHMED, Pat")
    brown = page.locator("tr", has_text="BROWN, Pat")
    expect(ahmed).to_contain_text("Open safeguarding concern")
    expect(brown).not_to_contain_text("Open safeguarding concern")
    expect(page.locator("body")).not_to_contain_text("pension withdrawn")  # the flag, not the details


def test_a_case_in_the_live_minutes_is_referred_on_to_a_directory_service(visit, live_server):
    sign_in(visit, COORDINATOR)
    _, meeting_id = _ids(live_server, "Brown")
    page = visit.goto(f"/admin/meeting-room/{meeting_id}/minutes", "minutes")
    case = page.locator("section[id^=case-]", has_text="BROWN, Pat")
    case.get_by_label("Summary").fill("Two falls this month; lives alone")
    case.get_by_label("Service from the directory").select_option(
        label="Falls prevention and strength and balance (Medway Community Healthcare): Medway"
    )
    case.get_by_label("How sent").select_option(label="Referral form")
    case.get_by_label("Why").fill("Agreed at the meeting: two falls this month")
    case.get_by_role("button", name="Refer on").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("status").first).to_contain_text(
        "Onward referral to Falls prevention and strength and balance recorded"
    )
    visit.check("referred-on")
    case = page.locator("section[id^=case-]", has_text="BROWN, Pat")
    expect(case.get_by_label("Summary")).to_have_value("Two falls this month; lives alone")  # saved before leaving
    expect(case).to_contain_text("Falls prevention and strength and balance · Referral form")
    with live_server.app.app_context():
        onward = db.session.scalars(db.select(OnwardReferral)).one()
        assert (onward.service, onward.method, onward.agenda_item_id is not None) == (
            "Falls prevention and strength and balance",
            OnwardMethod.form,
            True,
        )
        db.session.remove()


def test_an_episode_is_closed_with_each_goals_attainment(visit, live_server):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/caseload/", "caseload-board")
    closing = page.locator("tr", has_text="CLOSING, Pat")
    expect(closing).to_contain_text("Not listed")
    expect(page.locator("tr", has_text="BROWN, Pat")).to_be_visible()
    closing.get_by_role("link", name="Close", exact=True).click()
    page.wait_for_load_state("load")
    visit.check("closure-screen")
    expect(page.get_by_label("Attainment of: Walk to the shops again")).to_have_value("achieved")  # its latest progress
    expect(page.get_by_label("Attainment of: Get back into the garden")).to_have_value("")  # in progress: to choose
    expect(page.locator(".open-items")).to_contain_text("Medication review")
    page.get_by_label("Reason for closing").select_option(label="Goals met")
    page.get_by_label("Attainment of: Get back into the garden").select_option(label="Partly achieved")
    page.get_by_role("button", name="Close the episode").click()
    page.wait_for_load_state("load")
    visit.check("refused-still-open")
    expect(page.get_by_role("alert").first).to_contain_text("1 thing is still open (action)")
    expect(page.get_by_label("Attainment of: Get back into the garden")).to_have_value("partly_achieved")  # kept
    page.get_by_label("Why close with these still open").fill("The practice pharmacist completes the review.")
    page.get_by_role("button", name="Close the episode").click()
    page.wait_for_load_state("load")
    visit.check("closed")
    expect(page.get_by_role("status").first).to_contain_text("The episode for CLOSING, Pat")
    expect(page.locator("body")).to_contain_text("Partly achieved: Get back into the garden")
    expect(page.locator("body")).to_contain_text("Not open to the ILR at present.")
