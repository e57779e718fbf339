"""Chasing overdue actions (services.chasing): overdue by the London day, one email per owner, refusals in words,
the chase interval, the update link (no sign-in, once, for LINK_DAYS) and `flask chase-overdue`."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from flask import g
from sqlalchemy import select

from formats.dates import LONDON, today
from formats.nhs import format_nhs_number
from models import (
    Action,
    ActionChase,
    ActionStatus,
    ActionUpdate,
    AuditAction,
    AuditEntry,
    ChaseMethod,
    OrganisationType,
    OutboxEmail,
    SecureDomain,
    db,
    utcnow,
)
from services.chasing import LINK_DAYS, chase_actions, chase_overdue, due_for_chasing
from services.settings import CHASE_INTERVAL, set_setting
from services.unit_of_work import perform
from tests.factories import shown

LINK = re.compile(r"https?://[^/\s]+(/action-update/(\d+)/\S+)")


@pytest.fixture
def owner(make_org, create_contact):
    """Sam, at an agency, with a secure (nhs.net) address."""
    agency = make_org(name="Kent Community Health", type=OrganisationType.community_health)
    return create_contact(name="Sam Nurse", email="sam.nurse@nhs.net", organisation=agency)


@pytest.fixture
def overdue(create_action, create_patient, owner):
    """An action owned by Sam, three days overdue, about a patient of its own (`overdue(family_name=...)`)."""

    def create(family_name: str = "Ahmed", **overrides) -> Action:
        values = dict(
            patient=create_patient(given_name="Pat", family_name=family_name),
            owner_organisation=owner.organisation,
            owner_contact=owner,
            due_on=today() - timedelta(days=3),
        )
        return create_action(**{**values, **overrides})

    return create


def _chase() -> object:
    """The daily job as the command runs it: one unit of work."""
    done = perform(chase_overdue, say=False)
    assert done.ok, done.message
    return done.value


def _emails() -> list[OutboxEmail]:
    return db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "chase")).all()


def _chases() -> list[ActionChase]:
    return db.session.scalars(db.select(ActionChase).order_by(ActionChase.id)).all()


def _links(email: OutboxEmail) -> dict[int, str]:
    """The update links in a chase email: {action id: path on this app}."""
    return {int(action_id): path for path, action_id in LINK.findall(email.body_text)}


# --- which actions are due a chase: the London day, the interval, the patient ------------------------


def test_an_action_due_today_is_not_overdue_at_2330_british_summer_time(overdue):
    with time_machine.travel(datetime(2026, 7, 15, 23, 30, tzinfo=LONDON), tick=False):
        action = overdue(due_on=date(2026, 7, 15))
        assert today() == date(2026, 7, 15)
        assert not action.is_overdue(today())
        assert db.session.scalars(due_for_chasing()).all() == []
        assert chase_overdue(dry_run=True).chased == 0


def test_past_midnight_in_london_it_is_overdue_while_utc_is_still_on_the_due_day(overdue):
    """00:30 BST is 23:30 UTC the day before: a UTC date would wait an hour more; the London day does not."""
    with time_machine.travel(datetime(2026, 7, 16, 0, 30, tzinfo=LONDON), tick=False):
        action = overdue(due_on=date(2026, 7, 15))
        assert datetime.now(UTC).date() == date(2026, 7, 15) and today() == date(2026, 7, 16)
        assert action.is_overdue(today())
        assert db.session.scalars(due_for_chasing()).all() == [action]


def test_chased_three_days_ago_waits_and_eight_days_ago_is_chased_again(overdue, make_user):
    set_setting(CHASE_INTERVAL, 7, make_user("team_lead"))
    recent, older = overdue("Recent"), overdue("Older")
    db.session.add_all(
        [
            ActionChase(action=recent, chased_at=utcnow() - timedelta(days=3), method=ChaseMethod.phone),
            ActionChase(action=older, chased_at=utcnow() - timedelta(days=8), method=ChaseMethod.email),
        ]
    )
    db.session.commit()
    assert db.session.scalars(due_for_chasing()).all() == [older]
    result = _chase()
    assert [a.id for a in result.sent["sam.nurse@nhs.net"]] == [older.id]


def test_the_daily_job_chases_once_per_interval(overdue):
    action = overdue()
    assert _chase().chased == 1
    with time_machine.travel(utcnow() + timedelta(days=3)):
        assert _chase().chased == 0
    with time_machine.travel(utcnow() + timedelta(days=8)):
        assert _chase().chased == 1
    assert [c.action_id for c in _chases()] == [action.id, action.id]


def test_a_patient_who_died_or_withdrew_consent_is_not_chased(overdue):
    died = overdue("Died")
    died.patient.date_of_death = today() - timedelta(days=1)
    withdrawn = overdue("Withdrawn")
    withdrawn.patient.consent_withdrawn_on = today() - timedelta(days=1)
    live = overdue("Live")
    db.session.commit()
    assert db.session.scalars(due_for_chasing()).all() == [live]
    result = chase_actions([died, withdrawn], None)  # a chase asked for by hand says why not
    assert result.sent == {}
    reasons = {a.id: why for a, why in result.refused}
    assert reasons[died.id].endswith("they have died.") and reasons[withdrawn.id].endswith(
        "consent has been withdrawn."
    )
    _chase()
    assert [c.action_id for c in _chases()] == [live.id]
    assert "DIED" not in _emails()[0].body_text and "WITHDRAWN" not in _emails()[0].body_text


def test_done_or_archived_actions_are_not_chased(overdue):
    done = overdue("Done")
    done.status, done.completed_on = ActionStatus.done, today()
    archived = overdue("Archived")
    archived.archived_at = utcnow()
    db.session.commit()
    assert _chase().chased == 0 and _emails() == []


# --- what is sent, and to whom -----------------------------------------------------------------------


def test_one_email_per_owner_lists_each_action_with_its_own_link(overdue, make_org, create_action, create_patient):
    first, second = overdue("Ahmed"), overdue("Brown", description="Home safety visit")
    mailbox = make_org(name="Medway Housing", type=OrganisationType.housing, secure_email="referrals@medway.nhs.net")
    theirs = create_action(
        patient=create_patient(family_name="Clarke"), owner_organisation=mailbox, due_on=today() - timedelta(days=1)
    )
    result = _chase()
    assert {address: [a.id for a in actions] for address, actions in result.sent.items()} == {
        "sam.nurse@nhs.net": [first.id, second.id],
        "referrals@medway.nhs.net": [theirs.id],
    }
    emails = {email.to_address: email for email in _emails()}
    assert set(emails) == {"sam.nurse@nhs.net", "referrals@medway.nhs.net"}
    sams = emails["sam.nurse@nhs.net"]
    assert sams.contains_patient_data and sams.subject == "ILR actions still open: 2 for Kent Community Health"
    assert "AHMED, Pat" in sams.body_text and "BROWN, Pat" in sams.body_text and "CLARKE" not in sams.body_text
    assert format_nhs_number(first.patient.nhs_number) in sams.body_text and "3 days overdue" in sams.body_text
    links = _links(sams)
    assert set(links) == {first.id, second.id} and len(set(links.values())) == 2
    assert set(_links(emails["referrals@medway.nhs.net"])) == {theirs.id}
    chases = {c.action_id: c for c in _chases()}
    assert chases[first.id].sent_to == "sam.nurse@nhs.net" and chases[theirs.id].sent_to == "referrals@medway.nhs.net"
    assert all(c.token and c.chased_by_id is None and c.method == ChaseMethod.email for c in chases.values())


def test_an_owner_without_a_secure_address_is_refused_naming_the_agency(overdue, make_org, create_contact):
    council = make_org(name="Medway Council", type=OrganisationType.social_services)
    jo = create_contact(name="Jo Social", email="jo@medway.gov.uk", organisation=council)
    action = overdue(owner_organisation=council, owner_contact=jo)
    result = _chase()
    assert result.sent == {}
    [(refused, why)] = result.refused
    assert refused.id == action.id
    assert why.startswith("Medway Council has no secure address for patient details (jo@medway.gov.uk is not on")
    assert "record Medway Council's secure mailbox" in why and "adds it to the secure email domains" in why
    assert _emails() == [] and _chases() == []
    # The team lead records the domain as accredited (DCB1596): the next run sends.
    db.session.add(SecureDomain(domain="medway.gov.uk", note="DCB1596 accredited"))
    db.session.commit()
    g.pop("secure_domains", None)  # the allow-list is read once per app context
    assert list(_chase().sent) == ["jo@medway.gov.uk"]
    assert [e.to_address for e in _emails()] == ["jo@medway.gov.uk"]


def test_the_agency_mailbox_stands_in_for_an_owner_at_an_insecure_address(overdue, make_org, create_contact):
    agency = make_org(name="Age UK Medway", type=OrganisationType.voluntary, secure_email="ageuk.medway@nhs.net")
    volunteer = create_contact(name="Val", email="val@gmail.com", organisation=agency)
    overdue(owner_organisation=agency, owner_contact=volunteer)
    assert list(_chase().sent) == ["ageuk.medway@nhs.net"]


# --- the update link ---------------------------------------------------------------------------------


@pytest.fixture
def chased(overdue):
    """Two of Sam's actions chased: (the first action, its link path, the second action)."""
    action, other = overdue("Ahmed"), overdue("Brown", description="Home safety visit")
    _chase()
    links = _links(_emails()[0])
    return action, links[action.id], other


def test_opening_the_link_shows_only_that_action_and_changes_nothing(chased, client):
    action, path, other = chased
    page = client.get(path)
    assert page.status_code == 200
    text = shown(page)
    patient = action.patient
    assert patient.display_name in text and format_nhs_number(patient.nhs_number) in text
    assert "02/01/1940" in text and action.description in text and "Open" in text
    assert action.due_on.strftime("%d/%m/%Y") in text
    assert other.patient.display_name not in text and other.description not in text
    db.session.expire_all()
    assert action.status == ActionStatus.open and db.session.scalars(db.select(ActionUpdate)).all() == []
    assert action.chases[0].link_used_at is None


def test_done_with_a_note_through_the_link(chased, client):
    action, path, _ = chased
    client.get(path)
    answered = client.submit(path, {"status": "done", "note": "Medicines reviewed at home"})
    assert answered.status_code == 200
    assert "Thank you: “Review medicines” is recorded as done." in shown(answered)
    db.session.expire_all()
    assert action.status == ActionStatus.done and action.completed_on == today()
    [update] = action.updates
    assert update.status == ActionStatus.done and update.note == "Medicines reviewed at home"
    assert update.by_name == "sam.nurse@nhs.net" and update.chase_id == action.chases[0].id
    assert action.chases[0].link_used_at is not None


def test_the_link_answers_once(chased, client):
    action, path, _ = chased
    assert client.submit(path, {"status": "in_progress", "note": "Booked"}).status_code == 200
    again = client.submit(path, {"status": "done"})
    assert again.status_code == 410 and "was used on" in shown(again)
    assert client.get(path).status_code == 410
    db.session.expire_all()
    assert action.status == ActionStatus.in_progress and len(action.updates) == 1


def test_the_update_needs_a_status_and_the_csrf_token(chased, client):
    action, path, _ = chased
    assert client.http.post(path, data={"status": "done"}).status_code == 400
    unanswered = client.submit(path, {"note": "No status chosen"})
    assert unanswered.status_code == 200 and "Choose in progress or done." in shown(unanswered)
    assert "No status chosen" in shown(unanswered)  # what was typed stays in the form
    db.session.expire_all()
    assert action.status == ActionStatus.open and action.chases[0].link_used_at is None


def test_an_expired_link_is_refused(chased, client):
    _, path, _ = chased
    with time_machine.travel(utcnow() + timedelta(days=LINK_DAYS, minutes=1)):
        response = client.get(path)
    assert response.status_code == 410 and "has expired" in shown(response)


def test_a_tampered_link_is_refused(chased, client):
    _, path, _ = chased
    tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    response = client.get(tampered)
    assert response.status_code == 404 and "not valid" in shown(response)


def test_a_link_under_another_actions_number_is_refused(chased, client):
    _, path, other = chased
    moved = re.sub(r"/action-update/\d+/", f"/action-update/{other.id}/", path)
    response = client.get(moved)
    assert response.status_code == 404 and "different action" in shown(response)
    assert client.submit(moved, {"status": "done"}).status_code == 404
    db.session.expire_all()
    assert other.status == ActionStatus.open


def test_after_a_death_the_link_shows_nothing_about_the_patient(chased, client):
    action, path, _ = chased
    action.patient.date_of_death = today()
    db.session.commit()
    for response in (client.get(path), client.submit(path, {"status": "done"})):
        text = shown(response)
        assert response.status_code == 410 and "nothing to show" in text
        assert "AHMED" not in text and format_nhs_number(action.patient.nhs_number) not in text
        assert action.description not in text and "02/01/1940" not in text
    db.session.expire_all()
    assert action.status == ActionStatus.open and action.updates == []


# --- flask chase-overdue ------------------------------------------------------------------------------


@pytest.fixture
def council_action(overdue, make_org, create_contact):
    """An overdue action whose owner has no secure address."""
    council = make_org(name="Medway Council", type=OrganisationType.social_services)
    jo = create_contact(name="Jo Social", email="jo@medway.gov.uk", organisation=council)
    return overdue("Clarke", owner_organisation=council, owner_contact=jo)


def test_the_dry_run_says_what_it_would_send_and_writes_nothing(app, overdue, council_action):
    overdue("Ahmed"), overdue("Brown")
    result = app.test_cli_runner().invoke(args=["chase-overdue", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "sam.nurse@nhs.net: 2 actions would be sent" in result.output
    assert f"not sent: action {council_action.id} (Medway Council, due " in result.output
    assert "Medway Council has no secure address" in result.output
    assert "Dry run: 2 actions would be sent in 1 email; 1 not sent." in result.output
    assert "CLARKE" not in result.output and "AHMED" not in result.output  # cron mails this output
    assert _emails() == [] and _chases() == []


def test_the_command_sends_and_records_the_chases(app, overdue, council_action):
    first, second = overdue("Ahmed"), overdue("Brown")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["chase-overdue"])
    assert result.exit_code == 0, result.output
    assert "sam.nurse@nhs.net: 2 actions sent" in result.output
    assert "2 actions sent in 1 email; 1 not sent." in result.output
    db.session.expire_all()
    assert [e.to_address for e in _emails()] == ["sam.nurse@nhs.net"]
    assert sorted(c.action_id for c in _chases()) == sorted([first.id, second.id])
    again = runner.invoke(args=["chase-overdue"])
    assert "0 actions sent in 0 emails; 1 not sent." in again.output  # the interval holds


def test_each_chase_is_in_the_audit_trail_without_its_link(app, overdue):
    """The daily job records its chases in bulk: each still has its trail entry, and the link's token, which opens
    the action without a sign-in, is not written into the trail."""
    first, second = overdue("Ahmed"), overdue("Brown")
    assert app.test_cli_runner().invoke(args=["chase-overdue"]).exit_code == 0
    db.session.expire_all()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "action_chase")).all()
    assert sorted(e.record_id for e in entries) == sorted(c.id for c in _chases())
    for entry in entries:
        changes = json.loads(entry.changes)
        assert entry.action == AuditAction.create and entry.reason == "Chased by email (the daily chase)"
        assert changes["token"] == ["(hidden)", "(changed)"]
        assert changes["action_id"][1] in (first.id, second.id) and changes["sent_to"][1] == "sam.nurse@nhs.net"
