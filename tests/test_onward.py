"""The services directory, onward referrals from the patient's page and the live minutes, the waiting list (oldest
first) and chasing it, through the screens."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from formats.dates import LONDON, today
from models import (
    ActionChase,
    AgendaItem,
    ChaseMethod,
    DirectoryService,
    MeetingStatus,
    OnwardMethod,
    OnwardOutcome,
    OnwardReferral,
    OutboxEmail,
    db,
    utcnow,
)
from tests.factories import refused, shown
from tests.meeting_fixtures import build_world, meeting_at


def _all(model) -> list:
    db.session.expire_all()
    return db.session.scalars(db.select(model).order_by(model.id)).all()


# --- the directory -------------------------------------------------------------------------------------------


@pytest.fixture
def directory(create_directory_service, make_org):
    fire = make_org(name="Demo Fire and Rescue Service")
    return [
        create_directory_service(
            name="Safe and well visit", organisation=fire, offers="Smoke alarms fitted", area="Kent"
        ),
        create_directory_service(name="Falls prevention", offers="Strength and balance classes", area="Medway"),
        create_directory_service(
            name="Befriending", offers="Weekly calls", who_for="Older people who are lonely", area="Medway"
        ),
        create_directory_service(name="Archived falls clinic", archived_at=utcnow()),
    ]


@pytest.mark.parametrize(
    "term, found",
    [
        ("falls", ["FALLS PREVENTION"]),  # by name, archived services left out
        ("balance", ["FALLS PREVENTION"]),  # what it offers
        ("lonely", ["BEFRIENDING"]),  # who it is for
        ("fire rescue", ["SAFE AND WELL VISIT"]),  # the organisation's name, every word
        ("medway", ["BEFRIENDING", "FALLS PREVENTION"]),  # the area
    ],
)
def test_the_directory_is_searchable_by_the_whole_team(signed_in, directory, term, found):
    page = shown(signed_in("read_only").get(f"/admin/directory_service/?search={term}")).upper()
    names = ["BEFRIENDING", "FALLS PREVENTION", "SAFE AND WELL VISIT", "ARCHIVED FALLS CLINIC"]
    assert [name for name in names if name in page] == found


def test_the_service_search_finds_every_word_anywhere(directory):
    from services.onward import find_services

    assert [s.name for s in find_services("medway")] == ["Befriending", "Falls prevention"]
    assert [s.name for s in find_services("smoke kent")] == ["Safe and well visit"]
    assert [s.name for s in find_services()] == ["Befriending", "Falls prevention", "Safe and well visit"]


def _service_form(**overrides) -> dict:
    form = {
        "name": "Carers' support",
        "offers": "Carers' assessments and breaks",
        "who_for": "Unpaid carers",
        "how_to_refer": "email",
        "secure_email": "carers@medway-demo.nhs.net",
        "area": "Medway",
    }
    form.update(overrides)
    return form


def test_the_team_lead_keeps_the_directory(signed_in):
    lead = signed_in("team_lead")
    assert lead.submit("/admin/directory_service/new/", _service_form()).status_code == 302
    [service] = _all(DirectoryService)
    assert (service.name, service.how_to_refer, service.secure_email) == (
        "Carers' support",
        OnwardMethod.email,
        "carers@medway-demo.nhs.net",
    )
    for role in ("coordinator", "read_only", "partner"):
        assert signed_in(role).submit("/admin/directory_service/new/", _service_form(name="Other")).status_code == 403
    assert len(_all(DirectoryService)) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"secure_email": "carers@gmail.com"}, "gmail.com is not a secure domain"),
        ({"secure_email": ""}, "Give the secure email referrals go to."),
        ({"how_to_refer": "form"}, "Give the link to the referral form."),
        ({"how_to_refer": "phone"}, "Give the number to call."),
    ],
)
def test_how_to_refer_needs_its_details_and_emails_go_to_secure_domains(signed_in, change, message):
    refused(signed_in("team_lead"), "/admin/directory_service/new/", _service_form(**change), message)
    assert _all(DirectoryService) == []


# --- referring on from the patient's page --------------------------------------------------------------------


def test_a_coordinator_refers_on_from_the_patients_page_choosing_from_the_directory(
    signed_in, create_episode, directory
):
    episode = create_episode()
    coordinator = signed_in("coordinator")
    fire = directory[0]
    form = {"directory_service_id": str(fire.id), "method": "email", "reason": "Lives alone, smokes in bed"}
    response = coordinator.submit(f"/admin/record/{episode.patient_id}/onward/", form)
    assert response.status_code == 302
    [onward] = _all(OnwardReferral)
    assert (onward.service, onward.directory_service_id, onward.organisation_id, onward.method, onward.referred_on) == (
        "Safe and well visit",
        fire.id,
        fire.organisation_id,
        OnwardMethod.email,
        today(),
    )
    assert (onward.episode_id, onward.referred_by_id, onward.outcome) == (
        episode.id,
        coordinator.user.id,
        OnwardOutcome.waiting,
    )
    page = shown(coordinator.get(f"/admin/record/{episode.patient_id}/"))
    assert "Onward referral to Safe and well visit recorded." in page and "Lives alone, smokes in bed" in page


def test_a_service_not_in_the_directory_may_be_typed(signed_in, create_patient):
    patient = create_patient()
    form = {"service_name": "  Parish council lunch club ", "method": "phone"}
    assert signed_in("coordinator").submit(f"/admin/record/{patient.id}/onward/", form).status_code == 302
    [onward] = _all(OnwardReferral)
    assert (onward.service, onward.directory_service_id, onward.method) == (
        "Parish council lunch club",
        None,
        OnwardMethod.phone,
    )


@pytest.mark.parametrize(
    "form, message",
    [
        ({"method": "email"}, "Choose a service from the directory, or type its name."),
        ({"service_name": "Falls clinic"}, "Choose how the referral was sent."),
        ({"service_name": "Falls clinic", "method": "pigeon"}, "Choose how the referral was sent."),
        ({"service_name": "Lunch club", "method": "signposted"}, "Signposting is not a referral: record it as"),
        (
            {"service_name": "Falls clinic", "method": "email", "referred_on": "2099-01-01"},
            "The date cannot be in the future.",
        ),
    ],
)
def test_a_referral_without_its_service_or_how_it_was_sent_is_refused(signed_in, create_patient, form, message):
    patient = create_patient()
    coordinator = signed_in("coordinator")
    response = coordinator.submit(f"/admin/record/{patient.id}/onward/", form)
    assert response.status_code == 302
    assert message in shown(coordinator.get(f"/admin/record/{patient.id}/"))
    assert _all(OnwardReferral) == []


def test_nobody_is_referred_on_after_they_died(signed_in, create_patient):
    patient = create_patient(date_of_death=today() - timedelta(days=1))
    coordinator = signed_in("coordinator")
    coordinator.submit(f"/admin/record/{patient.id}/onward/", {"service_name": "Falls clinic", "method": "email"})
    assert "cannot be referred on: they have died." in shown(coordinator.get(f"/admin/record/{patient.id}/"))
    assert _all(OnwardReferral) == []


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_refer_on(signed_in, create_patient, role):
    patient = create_patient()
    form = {"service_name": "Falls clinic", "method": "email"}
    assert signed_in(role).submit(f"/admin/record/{patient.id}/onward/", form).status_code == 403
    assert _all(OnwardReferral) == []


# --- referring on from a case in the live minutes ------------------------------------------------------------------


def test_a_case_in_the_live_minutes_is_referred_on_to_a_directory_service(signed_in, directory):
    coordinator = signed_in("coordinator")
    world = build_world(coordinator.user, names=["Minuted"])
    item = AgendaItem(meeting=world.meeting, patient=world.episodes[0].patient, episode=world.episodes[0])
    db.session.add(item)
    db.session.commit()
    falls = directory[1]
    form = {"directory_service_id": str(falls.id), "method": "form", "reason": "Agreed: two falls this month"}
    response = coordinator.submit(f"/admin/meeting-room/case/{item.id}/onward", form)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/minutes#case-{item.id}")
    [onward] = _all(OnwardReferral)
    assert (onward.service, onward.agenda_item_id, onward.episode_id) == ("Falls prevention", item.id, item.episode_id)
    page = shown(coordinator.get(f"/admin/meeting-room/{world.meeting.id}/minutes"))
    assert "Falls prevention · Referral form" in page


# --- those still waiting ---------------------------------------------------------------------------------------------


def test_the_waiting_list_is_oldest_first_and_leaves_out_answered_and_archived(
    signed_in, create_onward_referral, create_patient
):
    for surname, days, outcome in [
        ("Middle", 20, OnwardOutcome.waiting),
        ("Oldest", 40, OnwardOutcome.waiting),
        ("Newest", 2, OnwardOutcome.waiting),
        ("Answered", 60, OnwardOutcome.accepted),
    ]:
        create_onward_referral(
            patient=create_patient(family_name=surname),
            referred_on=today() - timedelta(days=days),
            outcome=outcome,
            outcome_on=today() if outcome != OnwardOutcome.waiting else None,
        )
    create_onward_referral(patient=create_patient(family_name="Archived"), archived_at=utcnow())
    create_onward_referral(patient=create_patient(family_name="Gone", archived_at=utcnow()))
    page = shown(signed_in("read_only").get("/admin/onward-waiting/"))
    listed = [name for name in ("OLDEST", "MIDDLE", "NEWEST", "ANSWERED", "ARCHIVED", "GONE") if name in page]
    assert listed == ["OLDEST", "MIDDLE", "NEWEST"]
    assert page.index("OLDEST") < page.index("MIDDLE") < page.index("NEWEST")


@pytest.fixture
def waiting(create_onward_referral, create_directory_service):
    service = create_directory_service(name="Falls prevention", secure_email="falls@community-demo.nhs.net")
    return create_onward_referral(service="Falls prevention", directory_service=service, reason="Two falls")


def test_an_email_chase_goes_to_the_services_secure_address_and_is_recorded(signed_in, waiting):
    coordinator = signed_in("coordinator")
    form = {"action": "chase_email", "rowid": str(waiting.id), "note": "Could you confirm the class start date?"}
    response = coordinator.submit("/admin/onward-waiting/action/", form)
    assert response.status_code == 302
    [chase] = _all(ActionChase)
    assert (chase.onward_referral_id, chase.action_id, chase.method, chase.sent_to, chase.chased_by_id) == (
        waiting.id,
        None,
        ChaseMethod.email,
        "falls@community-demo.nhs.net",
        coordinator.user.id,
    )
    [email] = _all(OutboxEmail)
    assert email.to_address == "falls@community-demo.nhs.net" and email.contains_patient_data
    assert "LOVELACE, Ada" in email.body_text and "Could you confirm the class start date?" in email.body_text
    assert "Chased 1 onward referral (email)." in shown(coordinator.get("/admin/onward-waiting/"))


def test_services_without_a_secure_address_are_not_emailed(signed_in, create_onward_referral, create_patient):
    insecure = create_onward_referral(patient=create_patient(family_name="Insecure"), service="Lunch club")
    coordinator = signed_in("coordinator")
    coordinator.submit("/admin/onward-waiting/action/", {"action": "chase_email", "rowid": [str(insecure.id)]})
    page = shown(coordinator.get("/admin/onward-waiting/"))
    assert "Lunch club has no secure address for patient details" in page
    assert _all(ActionChase) == [] and _all(OutboxEmail) == []


def test_a_phone_chase_records_what_was_said(signed_in, waiting):
    coordinator = signed_in("coordinator")
    coordinator.submit("/admin/onward-waiting/action/", {"action": "chase_phone", "rowid": str(waiting.id)})
    assert "Say what was said (phone)." in shown(coordinator.get("/admin/onward-waiting/"))
    said = {"action": "chase_phone", "rowid": str(waiting.id), "note": "Triaged; appointment in two weeks"}
    coordinator.submit("/admin/onward-waiting/action/", said)
    [chase] = _all(ActionChase)
    assert (chase.method, chase.note, chase.sent_to) == (ChaseMethod.phone, "Triaged; appointment in two weeks", None)
    assert _all(OutboxEmail) == []


def test_the_answer_is_recorded_from_the_waiting_list_and_it_leaves_it(signed_in, waiting):
    coordinator = signed_in("coordinator")
    on = today() - timedelta(days=1)
    form = {"action": "outcome_accepted", "rowid": str(waiting.id), "outcome_on": on.isoformat()}
    coordinator.submit("/admin/onward-waiting/action/", form)
    [onward] = _all(OnwardReferral)
    assert (onward.outcome, onward.outcome_on) == (OnwardOutcome.accepted, on)
    assert "LOVELACE" not in shown(coordinator.get("/admin/onward-waiting/"))


def test_an_onward_chase_is_listed_with_the_chases(signed_in, waiting):
    db.session.add(
        ActionChase(onward_referral=waiting, chased_at=utcnow(), method=ChaseMethod.phone, note="Left a message")
    )
    db.session.commit()
    page = shown(signed_in("read_only").get("/admin/action_chase/"))
    assert "Falls prevention" in page


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_chase(signed_in, waiting, role):
    form = {"action": "chase_phone", "rowid": str(waiting.id), "note": "Called"}
    assert signed_in(role).submit("/admin/onward-waiting/action/", form).status_code == 403
    assert _all(ActionChase) == []


# --- the onward referral record screen ----------------------------------------------------------------------------


def _onward_form(patient, **overrides) -> dict:
    form = {
        "patient": patient.id,
        "service": "Falls clinic",
        "referred_on": (today() - timedelta(days=7)).isoformat(),
        "method": "phone",
        "reason": "Three falls",
        "outcome": "waiting",
    }
    form.update(overrides)
    return form


def test_staff_record_an_onward_referral_and_its_outcome_on_its_screen(signed_in, create_patient):
    patient = create_patient()
    coordinator = signed_in("coordinator")
    assert coordinator.submit("/admin/onward_referral/new/", _onward_form(patient)).status_code == 302
    [onward] = _all(OnwardReferral)
    assert onward.service == "Falls clinic" and onward.outcome == OnwardOutcome.waiting
    accepted = _onward_form(patient, outcome="accepted", expected_version=str(onward.version))
    refused(coordinator, f"/admin/onward_referral/edit/?id={onward.id}", accepted, "Enter the date of the outcome.")
    early = accepted | {"outcome_on": (today() - timedelta(days=30)).isoformat()}
    message = "The outcome cannot be before the referral."
    refused(coordinator, f"/admin/onward_referral/edit/?id={onward.id}", early, message)
    done = accepted | {"outcome_on": today().isoformat()}
    assert coordinator.submit(f"/admin/onward_referral/edit/?id={onward.id}", done).status_code == 302
    assert _all(OnwardReferral)[0].outcome == OnwardOutcome.accepted
    for role in ["read_only", "partner"]:
        form = _onward_form(patient, service="Other")
        assert signed_in(role).submit("/admin/onward_referral/new/", form).status_code == 403
    assert len(_all(OnwardReferral)) == 1


def test_a_service_chosen_from_the_directory_names_the_referral_on_its_screen(
    signed_in, create_patient, create_directory_service
):
    service = create_directory_service(name="Memory assessment service")
    form = _onward_form(create_patient(), service="", directory_service=str(service.id))
    assert signed_in("coordinator").submit("/admin/onward_referral/new/", form).status_code == 302
    assert _all(OnwardReferral)[0].service == "Memory assessment service"


def test_a_meeting_held_yesterday_still_refers_on(signed_in, directory):
    """Minutes are often finished the day after: the case still refers on, dated today unless told."""
    coordinator = signed_in("coordinator")
    world = build_world(coordinator.user, names=["Yesterday"])
    day = today() - timedelta(days=1)
    held = meeting_at(world.locality, datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON))
    held.status = MeetingStatus.held
    item = AgendaItem(meeting=held, patient=world.episodes[0].patient, episode=world.episodes[0])
    db.session.add(item)
    db.session.commit()
    form = {"service_name": "Housing options", "method": "email"}
    assert coordinator.submit(f"/admin/meeting-room/case/{item.id}/onward", form).status_code == 302
    assert _all(OnwardReferral)[0].referred_on == today()
