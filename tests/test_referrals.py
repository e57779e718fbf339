"""Referral intake and triage services: the acceptance gate, each outcome with its audit entry,
the duplicate flag, and the effects of death and consent withdrawal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models import (
    AgendaItem,
    AuditEntry,
    CaseStatus,
    ClosureReason,
    Consent,
    DeclineReason,
    DomainError,
    Episode,
    Locality,
    Meeting,
    MeetingStatus,
    Patient,
    Referral,
    ReferralStatus,
    TriageDecision,
    TriageOutcome,
    db,
)
from services import patients, referrals


@pytest.fixture
def locality(app):
    loc = Locality(name="Medway North")
    db.session.add(loc)
    db.session.commit()
    return loc


@pytest.fixture
def patient(app):
    p = Patient(given_name="Grace", family_name="Hopper", date_of_birth=date(1936, 12, 9), nhs_number="9990000026")
    db.session.add(p)
    db.session.commit()
    return p


@pytest.fixture
def referral(patient, locality):
    def make(**overrides) -> Referral:
        values = dict(
            locality_id=locality.id,
            received_on=date(2026, 11, 20),
            referrer_name="Dr Jones",
            reason="Falls and isolation",
            consent=Consent.given,
            consent_by="Patient",
            consent_on=date(2026, 11, 19),
            signposting_tried="Age UK befriending",
        )
        values.update(overrides)
        made, _ = referrals.record_referral(patient, **values)
        db.session.commit()
        return made

    return make


def _reasons(table: str, record_id: int) -> list[str]:
    return [
        e.reason
        for e in db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.table_name == table, AuditEntry.record_id == record_id)
        )
    ]


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(consent=Consent.not_recorded, consent_by=None, consent_on=None), "Consent is not recorded"),
        (dict(consent=Consent.given, consent_by=None), "who gave it and when"),
        (dict(signposting_tried=""), "Signposting already tried is not recorded"),
    ],
)
def test_acceptance_gate_names_what_is_missing_and_changes_nothing(referral, make_user, overrides, message):
    made = referral(**overrides)
    lead = make_user("team_lead")
    with pytest.raises(DomainError, match=message):
        referrals.accept_referral(made, lead)
    db.session.rollback()
    db.session.refresh(made)
    assert made.status == ReferralStatus.awaiting_triage
    assert db.session.scalar(db.select(db.func.count()).select_from(Episode)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(TriageDecision)) == 0


def test_best_interests_decision_is_enough_for_acceptance(referral, make_user):
    made = referral(
        consent=Consent.best_interests,
        consent_by=None,
        consent_on=None,
        best_interests_reason="Lacks capacity; family agree",
    )
    episode = referrals.accept_referral(made, make_user("coordinator"))
    assert episode.referral_id == made.id


def test_accept_opens_an_episode_in_the_referrals_locality(referral, make_user, locality):
    made = referral()
    coordinator = make_user("coordinator")
    episode = referrals.accept_referral(made, make_user("team_lead"), coordinator=coordinator)
    db.session.commit()
    assert made.status == ReferralStatus.accepted
    assert (episode.locality_id, episode.coordinator_id, episode.closed_on) == (locality.id, coordinator.id, None)
    [decision] = made.decisions
    assert decision.outcome == TriageOutcome.accept
    assert any(r and r.startswith("Accepted by") for r in _reasons("referral", made.id))


@pytest.mark.parametrize(
    "call, status, outcome, reason_fragment",
    [
        (
            lambda r, u: referrals.decline_referral(r, u, DeclineReason.criteria_not_met),
            ReferralStatus.declined,
            TriageOutcome.decline,
            "Declined: Criteria not met",
        ),
        (
            lambda r, u: referrals.decline_referral(r, u, "other", "Lives out of area"),
            ReferralStatus.declined,
            TriageOutcome.decline,
            "Lives out of area",
        ),
        (
            lambda r, u: referrals.request_more_information(r, u, "Current medication list"),
            ReferralStatus.more_information,
            TriageOutcome.more_information,
            "Current medication list",
        ),
        (
            lambda r, u: referrals.give_advice_only(r, u, "Suggest a pharmacy review"),
            ReferralStatus.advice_only,
            TriageOutcome.advice_only,
            "Advice only",
        ),
        (
            lambda r, u: referrals.redirect_referral(r, u, "Community falls service"),
            ReferralStatus.redirected,
            TriageOutcome.redirect,
            "Redirected to Community falls service",
        ),
    ],
)
def test_each_triage_outcome_with_its_audit_entry(referral, make_user, call, status, outcome, reason_fragment):
    made = referral()
    user = make_user("coordinator")
    decision = call(made, user)
    db.session.commit()
    assert made.status == status
    assert decision.outcome == outcome and decision.decided_by_id == user.id
    assert any(reason_fragment in (r or "") for r in _reasons("referral", made.id))
    assert any(reason_fragment in (r or "") for r in _reasons("triage_decision", decision.id))


def test_decline_other_needs_words(referral, make_user):
    with pytest.raises(DomainError, match="needs a reason in words"):
        referrals.decline_referral(referral(), make_user(), DeclineReason.other, "  ")


def test_a_triaged_referral_cannot_be_triaged_again(referral, make_user):
    made = referral()
    user = make_user()
    referrals.give_advice_only(made, user, "Advice")
    with pytest.raises(DomainError, match="already been triaged"):
        referrals.decline_referral(made, user, DeclineReason.duplicate)


def test_more_information_can_be_followed_by_acceptance(referral, make_user):
    made = referral()
    user = make_user()
    referrals.request_more_information(made, user, "GP summary")
    referrals.accept_referral(made, user)
    assert [d.outcome for d in made.decisions] == [TriageOutcome.more_information, TriageOutcome.accept]


def test_second_open_referral_is_flagged(referral, patient, locality):
    first = referral()
    second, existing = referrals.record_referral(
        patient,
        locality_id=locality.id,
        received_on=date(2026, 11, 24),
        referrer_name="Nurse Smith",
        reason="Carer strain",
    )
    assert existing == [first]
    assert "possible duplicate of referral" in _reasons("referral", second.id)[0]


def test_find_patients_by_number_or_name_and_birth(patient):
    assert patients.find_patients(nhs_number="999 000 0026") == [patient]
    assert patients.find_patients(family_name="hopper", date_of_birth=date(1936, 12, 9)) == [patient]
    with pytest.raises(DomainError, match="not valid"):
        patients.find_patients(nhs_number="999 000 0027")


def _future_meeting(locality) -> Meeting:
    meeting = Meeting(
        locality_id=locality.id, starts_at=datetime.now(UTC) + timedelta(days=7), status=MeetingStatus.booked
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def test_death_closes_episodes_and_takes_the_patient_off_agendas(referral, patient, make_user, locality):
    user = make_user()
    episode = referrals.accept_referral(referral(), user, on=date(2026, 11, 21))
    meeting = _future_meeting(locality)
    item = AgendaItem(meeting_id=meeting.id, patient_id=patient.id, episode_id=episode.id)
    db.session.add(item)
    db.session.commit()
    patients.record_death(patient, date(2026, 11, 23), user)
    db.session.commit()
    assert (episode.closed_on, episode.closure_reason) == (date(2026, 11, 23), ClosureReason.died)
    assert item.status == CaseStatus.withdrawn
    assert not patient.may_be_contacted
    assert any("Death recorded" in (r or "") for r in _reasons("patient", patient.id))


def test_consent_withdrawn_takes_the_patient_off_future_agendas(patient, make_user, locality):
    meeting = _future_meeting(locality)
    item = AgendaItem(meeting_id=meeting.id, patient_id=patient.id)
    db.session.add(item)
    db.session.commit()
    patients.withdraw_consent(patient, date(2026, 11, 24), make_user())
    db.session.commit()
    assert item.status == CaseStatus.withdrawn
    assert patient.consent_withdrawn_on == date(2026, 11, 24)
    assert not patient.may_be_contacted
