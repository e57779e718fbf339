"""Referral intake, the triage queue (one by one and in bulk) and the patient record page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from formats.dates import today
from models import (
    Action,
    ActionStatus,
    AuditAction,
    AuditEntry,
    CollatedNote,
    Consent,
    Episode,
    HospitalEvent,
    HospitalEventKind,
    Locality,
    NoteSource,
    OrganisationType,
    Patient,
    Referral,
    ReferralStatus,
    SafeguardingCategory,
    SafeguardingConcern,
    TriageDecision,
    db,
)
from tests.conftest import page_text


@pytest.fixture
def locality(app):
    loc = Locality(name="Medway North")
    db.session.add(loc)
    db.session.commit()
    return loc


def _patient(**overrides) -> Patient:
    values = dict(given_name="Grace", family_name="Hopper", date_of_birth=date(1936, 12, 9), nhs_number="9990000026")
    values.update(overrides)
    patient = Patient(**values)
    db.session.add(patient)
    db.session.commit()
    return patient


def _referral(patient, locality, **overrides) -> Referral:
    values = dict(
        patient_id=patient.id,
        locality_id=locality.id,
        received_on=today() - timedelta(days=3),
        referrer_name="Dr Jones",
        reason="Falls",
        consent=Consent.given,
        consent_by="Patient",
        consent_on=today() - timedelta(days=4),
        signposting_tried="Age UK",
    )
    values.update(overrides)
    referral = Referral(**values)
    db.session.add(referral)
    db.session.commit()
    return referral


def _form(locality, **overrides) -> dict:
    data = {
        "locality_id": locality.id,
        "received_on": today().isoformat(),
        "referrer_name": "Dr Patel",
        "referrer_role": "GP",
        "reason": "Repeated falls, lives alone",
        "question": "Can we keep her at home?",
        "criteria_frailty": "y",
        "consent": "given",
        "consent_by": "Patient",
        "consent_on": today().isoformat(),
        "signposting_tried": "Falls clinic",
        "patient_aware": "yes",
        "sex": "female",
    }
    data.update(overrides)
    return data


# --- intake -------------------------------------------------------------------------------------


def test_referral_for_a_new_patient(signed_in, locality):
    coordinator = signed_in("coordinator")
    response = coordinator.submit(
        "/admin/intake/",
        _form(
            locality, nhs_number="999 000 0034", given_name="Mary", family_name="Seacole", date_of_birth="1940-03-04"
        ),
    )
    assert response.status_code == 302, page_text(response)
    patient = db.session.scalars(db.select(Patient).where(Patient.family_name == "Seacole")).one()
    assert patient.nhs_number == "9990000034"
    referral = db.session.scalars(db.select(Referral).where(Referral.patient_id == patient.id)).one()
    assert (referral.status, referral.consent, referral.patient_aware, referral.criteria_frailty) == (
        ReferralStatus.awaiting_triage,
        Consent.given,
        True,
        True,
    )
    assert response.headers["Location"].endswith(f"/admin/triage/details/?id={referral.id}")


def test_referral_for_an_existing_patient_found_by_number(signed_in, locality):
    patient = _patient()
    coordinator = signed_in("coordinator")
    found = page_text(coordinator.get("/admin/intake/?nhs_number=9990000026"))
    assert "Use this patient" in found and f"patient_id={patient.id}" in found
    response = coordinator.submit("/admin/intake/", _form(locality, patient_id=patient.id))
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Patient)) == 1
    assert db.session.scalars(db.select(Referral)).one().patient_id == patient.id


def test_existing_patient_is_not_created_twice(signed_in, locality):
    _patient()
    response = signed_in("coordinator").submit(
        "/admin/intake/",
        _form(locality, nhs_number="9990000026", given_name="G", family_name="Hopper", date_of_birth="1936-12-09"),
    )
    assert "already exists: find and choose them" in page_text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Referral)) == 0


def test_second_open_referral_is_flagged(signed_in, locality):
    patient = _patient()
    _referral(patient, locality)
    coordinator = signed_in("coordinator")
    response = coordinator.submit("/admin/intake/", _form(locality, patient_id=patient.id))
    page = page_text(coordinator.get(response.headers["Location"]))
    assert "already has an open referral" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Referral)) == 2


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            dict(nhs_number="999 000 0027", given_name="A", family_name="B", date_of_birth="1950-01-01"),
            "not a valid NHS number",
        ),
        (
            dict(given_name="A", family_name="B", date_of_birth=(today() + timedelta(days=1)).isoformat()),
            "cannot be in the future",
        ),
        (dict(given_name="A", family_name="B", date_of_birth="1950-01-01", reason=""), "Enter the reason for referral"),
        (dict(given_name="A", family_name="B", date_of_birth="1950-01-01", reason="x" * 4001), "4000 characters"),
        (
            dict(
                given_name="A",
                family_name="B",
                date_of_birth="1950-01-01",
                consent="best_interests",
                best_interests_reason="",
            ),
            "needs its reason",
        ),
        (
            dict(given_name="A", family_name="B", date_of_birth="1950-01-01", referrer_ods="NOPE9"),
            "No organisation has the ODS code NOPE9",
        ),
        (dict(given_name="A"), "To add a new patient, enter"),
    ],
)
def test_bad_input_gets_a_message_and_saves_nothing(signed_in, locality, overrides, message):
    response = signed_in("coordinator").submit("/admin/intake/", _form(locality, **overrides))
    assert response.status_code == 200
    assert message in page_text(response)
    assert 'value="Dr Patel"' in page_text(response)  # what was typed stays
    assert db.session.scalar(db.select(db.func.count()).select_from(Referral)) == 0


@pytest.mark.parametrize("role", ["partner", "read_only"])
def test_intake_is_for_staff(signed_in, locality, role):
    client = signed_in(role)
    assert client.get("/admin/intake/").status_code == 403
    assert (
        client.submit(
            "/admin/intake/", _form(locality, given_name="A", family_name="B", date_of_birth="1950-01-01")
        ).status_code
        == 403
    )


# --- triage queue ---------------------------------------------------------------------------------


def test_queue_is_ordered_by_priority_then_waiting_time(signed_in, locality):
    low = _patient(nhs_number="9990000042", family_name="Lowrisk")
    high = _patient(nhs_number="9990000050", family_name="Highrisk", cfs=7)
    for _ in range(3):
        db.session.add(
            HospitalEvent(
                patient_id=high.id, kind=HospitalEventKind.admission, occurred_on=today() - timedelta(days=60)
            )
        )
    db.session.commit()
    _referral(low, locality, received_on=today() - timedelta(days=20))
    _referral(high, locality, received_on=today() - timedelta(days=2))
    page = page_text(signed_in("coordinator").get("/admin/triage/"))
    assert page.index("HIGHRISK") < page.index("LOWRISK")
    assert "CFS 7 living with severe frailty (3)" in page and "3 admissions in 12 months (3)" in page
    assert re.search(r">\s*20\s*<", page)  # days waiting


def test_queue_filters_by_risk_band_and_searches_by_nhs_number(signed_in, locality):
    _referral(_patient(nhs_number="9990000042", family_name="Lowrisk"), locality)
    _referral(
        _patient(nhs_number="9990000050", family_name="Highrisk", cfs=9, efi=0.5, long_term_conditions="A\nB\nC\nD\nE"),
        locality,
    )  # 3+3+2 = 8: high
    client = signed_in("coordinator")
    found = page_text(client.get("/admin/triage/?search=9990000050"))
    assert "HIGHRISK" in found and "LOWRISK" not in found
    high = page_text(client.get("/admin/triage/?flt1_priority_band_equals=high"))
    assert "HIGHRISK" in high and "LOWRISK" not in high
    by_name = page_text(client.get("/admin/triage/?search=Lowrisk"))
    assert "LOWRISK" in by_name and "HIGHRISK" not in by_name


def test_accept_from_the_referral_page(signed_in, locality):
    referral = _referral(_patient(), locality)
    coordinator = signed_in("coordinator")
    page = page_text(coordinator.get(f"/admin/triage/details/?id={referral.id}"))
    assert "Record decision" in page
    response = coordinator.submit(f"/admin/triage/decide/?id={referral.id}", {"outcome": "accept"})
    assert response.status_code == 302
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.accepted
    episode = db.session.scalars(db.select(Episode)).one()
    assert (episode.locality_id, episode.coordinator_id) == (locality.id, coordinator.user.id)
    assert db.session.scalars(db.select(TriageDecision)).one().decided_by_id == coordinator.user.id


def test_acceptance_gate_shows_what_is_missing_and_changes_nothing(signed_in, locality):
    referral = _referral(
        _patient(), locality, consent=Consent.not_recorded, consent_by=None, consent_on=None, signposting_tried=None
    )
    coordinator = signed_in("coordinator")
    response = coordinator.submit(f"/admin/triage/decide/?id={referral.id}", {"outcome": "accept"})
    page = page_text(coordinator.get(response.headers["Location"]))
    assert "Consent is not recorded" in page and "Signposting already tried is not recorded" in page
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.awaiting_triage
    assert db.session.scalar(db.select(db.func.count()).select_from(Episode)) == 0


def test_decline_from_the_page_needs_a_reason(signed_in, locality):
    referral = _referral(_patient(), locality)
    coordinator = signed_in("coordinator")
    response = coordinator.submit(f"/admin/triage/decide/?id={referral.id}", {"outcome": "decline"})
    assert "Choose a reason for declining" in page_text(coordinator.get(response.headers["Location"]))
    coordinator.submit(
        f"/admin/triage/decide/?id={referral.id}",
        {"outcome": "decline", "decline_reason": "other", "triage_text": "Moved to Scotland"},
    )
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.declined
    entry = db.session.scalars(
        db.select(AuditEntry).where(
            AuditEntry.table_name == "referral",
            AuditEntry.record_id == referral.id,
            AuditEntry.reason.like("Declined%"),
        )
    ).one()
    assert "Moved to Scotland" in entry.reason and entry.user_id == coordinator.user.id


def test_bulk_accept_and_bulk_decline(signed_in, locality):
    a = _referral(_patient(nhs_number="9990000042", family_name="One"), locality)
    b = _referral(_patient(nhs_number="9990000050", family_name="Two"), locality)
    c = _referral(_patient(nhs_number="9990000069", family_name="Three"), locality)
    lead = signed_in("team_lead")
    lead.submit("/admin/triage/action/", {"action": "triage_accept", "rowid": [a.id, b.id]})
    lead.submit("/admin/triage/action/", {"action": "triage_decline", "rowid": [c.id], "decline_reason": "duplicate"})
    statuses = {r.id: r.status for r in db.session.scalars(db.select(Referral))}
    assert statuses == {a.id: ReferralStatus.accepted, b.id: ReferralStatus.accepted, c.id: ReferralStatus.declined}
    assert db.session.scalar(db.select(db.func.count()).select_from(Episode)) == 2
    assert "THREE" not in page_text(lead.get("/admin/triage/"))


def test_bulk_decision_refused_for_one_changes_none(signed_in, locality):
    ready = _referral(_patient(nhs_number="9990000042", family_name="Ready"), locality)
    not_ready = _referral(_patient(nhs_number="9990000050", family_name="Notready"), locality, signposting_tried=None)
    lead = signed_in("team_lead")
    response = lead.submit("/admin/triage/action/", {"action": "triage_accept", "rowid": [ready.id, not_ready.id]})
    page = page_text(lead.get(response.headers["Location"]))
    assert "Nothing was changed" in page and "Signposting" in page
    assert {r.status for r in db.session.scalars(db.select(Referral))} == {ReferralStatus.awaiting_triage}


@pytest.mark.parametrize("role", ["partner", "read_only"])
def test_partner_and_read_only_cannot_triage(signed_in, locality, role):
    referral = _referral(_patient(), locality)
    client = signed_in(role)
    assert client.submit(f"/admin/triage/decide/?id={referral.id}", {"outcome": "accept"}).status_code == 403
    assert (
        client.submit("/admin/triage/action/", {"action": "triage_accept", "rowid": [referral.id]}).status_code == 403
    )
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.awaiting_triage


# --- the patient record page --------------------------------------------------------------------


def test_patient_page_shows_each_related_record_and_is_audited(signed_in, locality, make_org, make_user):
    patient = _patient(cfs=7, long_term_conditions="COPD\nDiabetes\nHeart failure", interpreter_language="Polish")
    _referral(patient, locality)
    org = make_org(name="Kent Social Services", type=OrganisationType.social_services)
    checker = make_user("coordinator")
    db.session.add_all(
        [
            Action(
                patient_id=patient.id,
                description="Overdue care review",
                owner_organisation_id=org.id,
                due_on=today() - timedelta(days=5),
            ),
            Action(
                patient_id=patient.id,
                description="Finished key safe",
                owner_organisation_id=org.id,
                due_on=today() - timedelta(days=9),
                status=ActionStatus.done,
                completed_on=today() - timedelta(days=8),
            ),
            SafeguardingConcern(
                patient_id=patient.id, raised_on=today() - timedelta(days=4), category=SafeguardingCategory.self_neglect
            ),
            CollatedNote(
                patient_id=patient.id,
                source=NoteSource.emis,
                summary="On 9 medicines",
                checked_by_id=checker.id,
                checked_on=today(),
            ),
            HospitalEvent(
                patient_id=patient.id,
                kind=HospitalEventKind.ae_attendance,
                occurred_on=today() - timedelta(days=30),
                hospital="Medway Maritime",
            ),
        ]
    )
    db.session.commit()
    coordinator = signed_in("coordinator")
    page = page_text(coordinator.get(f"/admin/record/{patient.id}/"))
    for expected in [
        "999 000 0026",
        "Polish",
        "CFS 7 living with severe frailty (3)",
        "Referral from Dr Jones",
        "Self-neglect concern (open)",
        "EMIS",
        "On 9 medicines",
        "A&amp;E attendance",
        "Overdue care review",
        "overdue",
        "Finished key safe",
    ]:
        assert expected in page, expected
    assert page.index("Overdue care review") < page.index("Finished key safe")  # open actions first
    assert (
        db.session.scalars(
            db.select(AuditEntry).where(
                AuditEntry.action == AuditAction.view,
                AuditEntry.patient_id == patient.id,
                AuditEntry.user_id == coordinator.user.id,
            )
        ).first()
        is not None
    )


def test_recording_a_death_from_the_record(signed_in, locality):
    patient = _patient()
    referral = _referral(patient, locality)
    coordinator = signed_in("coordinator")
    coordinator.submit(f"/admin/triage/decide/?id={referral.id}", {"outcome": "accept"})
    episode = db.session.scalars(db.select(Episode)).one()
    coordinator.submit(f"/admin/record/{patient.id}/death/", {"died_on": today().isoformat()})
    db.session.refresh(episode)
    db.session.refresh(patient)
    assert patient.date_of_death == today() and episode.closed_on == today()
    assert "no further letters or chasers" in page_text(coordinator.get(f"/admin/record/{patient.id}/"))


def test_recording_consent_withdrawn_from_the_record(signed_in):
    patient = _patient()
    coordinator = signed_in("coordinator")
    coordinator.submit(f"/admin/record/{patient.id}/consent-withdrawn/", {"withdrawn_on": today().isoformat()})
    db.session.refresh(patient)
    assert patient.consent_withdrawn_on == today()
    assert "Consent withdrawn" in page_text(coordinator.get(f"/admin/record/{patient.id}/"))


def test_read_only_sees_the_record_but_records_no_life_events(signed_in):
    patient = _patient()
    reader = signed_in("read_only")
    page = page_text(reader.get(f"/admin/record/{patient.id}/"))
    assert "HOPPER" in page and "Record death" not in page
    assert reader.submit(f"/admin/record/{patient.id}/death/", {"died_on": today().isoformat()}).status_code == 403
    # A partner sees only the patients of their meetings and their agency's actions: this one is not found.
    assert signed_in("partner").get(f"/admin/record/{patient.id}/").status_code == 404


def test_caseload_shows_open_cases_by_priority_with_reasons(signed_in, locality):
    high = _patient(
        nhs_number="9990000050", family_name="Highrisk", cfs=8, efi=0.4, long_term_conditions="A\nB\nC\nD\nE"
    )  # 3+3+2: high
    low = _patient(nhs_number="9990000042", family_name="Lowrisk")
    closed = _patient(nhs_number="9990000069", family_name="Closedcase")
    for patient in (low, high, closed):
        db.session.add(
            Episode(
                patient_id=patient.id,
                locality_id=locality.id,
                opened_on=today() - timedelta(days=10),
                review_on=today() - timedelta(days=1),
            )
        )
    db.session.commit()
    episode = db.session.scalars(db.select(Episode).where(Episode.patient_id == closed.id)).one()
    episode.closed_on, episode.closure_reason = today(), "goals_met"
    db.session.commit()
    page = page_text(signed_in("read_only").get("/admin/caseload/"))
    assert page.index("HIGHRISK") < page.index("LOWRISK") and "CLOSEDCASE" not in page
    assert "CFS 8 living with very severe frailty (3)" in page and "overdue" in page
    # A coordinator's board opens on their own cases: "all" is everyone's.
    filtered = page_text(signed_in("coordinator").get("/admin/caseload/?coordinator=all&flt1_priority_band_equals=low"))
    assert "LOWRISK" in filtered and "HIGHRISK" not in filtered
