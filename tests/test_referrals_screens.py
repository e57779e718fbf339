"""The referral, triage decision and episode screens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from formats.dates import today
from models import (
    AuditEntry,
    ClosureReason,
    Episode,
    Referral,
    ReferralStatus,
    TriageDecision,
    TriageOutcome,
    db,
    utcnow,
)
from tests.factories import refused, shown


def _referrals(**where) -> list[Referral]:
    db.session.expire_all()
    return db.session.scalars(db.select(Referral).filter_by(**where)).all()


def _episodes() -> list[Episode]:
    db.session.expire_all()
    return db.session.scalars(db.select(Episode)).all()


def _referral_form(patient, locality, **overrides) -> dict:
    form = {
        "patient": patient.id,
        "locality": locality.id,
        "received_on": today().isoformat(),
        "referrer_name": "Dr Okafor",
        "referrer_role": "GP",
        "reason": "Three falls since June",
        "criteria_frailty": "y",
        "consent": "given",
        "consent_by": "Patient",
        "consent_on": today().isoformat(),
        "signposting_tried": "Falls service",
        "patient_aware": "yes",
    }
    form.update(overrides)
    return form


# --- referrals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "team_lead"])
def test_staff_record_a_referral(signed_in, create_patient, create_locality, role):
    patient, locality = create_patient(), create_locality(name="Medway North")
    response = signed_in(role).submit("/admin/referral/new/", _referral_form(patient, locality))
    assert response.status_code == 302, shown(response)
    [referral] = _referrals(referrer_name="Dr Okafor")
    assert referral.patient_id == patient.id and referral.locality_id == locality.id and referral.received_on == today()
    assert (
        referral.reason == "Three falls since June"
        and referral.criteria_frailty
        and not referral.criteria_complex_needs
    )
    assert referral.patient_aware is True and referral.status == ReferralStatus.awaiting_triage


def test_a_second_open_referral_is_flagged(signed_in, create_referral):
    first = create_referral()
    response = signed_in("coordinator").submit(
        "/admin/referral/new/", _referral_form(first.patient, first.locality), follow_redirects=True
    )
    assert "already has an open referral" in shown(response)


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_record_referrals(signed_in, create_patient, create_locality, role):
    form = _referral_form(create_patient(), create_locality())
    assert signed_in(role).submit("/admin/referral/new/", form).status_code == 403
    assert _referrals() == []


def test_a_best_interests_decision_needs_its_reason(signed_in, create_patient, create_locality):
    form = _referral_form(create_patient(), create_locality(), consent="best_interests", best_interests_reason="")
    refused(signed_in("coordinator"), "/admin/referral/new/", form, "A best-interests decision needs its reason.")
    assert _referrals() == []


def test_a_referral_received_tomorrow_is_refused(signed_in, create_patient, create_locality):
    form = _referral_form(create_patient(), create_locality(), received_on=(today() + timedelta(days=1)).isoformat())
    refused(signed_in("coordinator"), "/admin/referral/new/", form, "The date cannot be in the future.")
    assert _referrals() == []


def test_an_over_long_reason_is_refused_and_kept(signed_in, create_patient, create_locality):
    form = _referral_form(create_patient(), create_locality(), reason="r" * 4001)
    page = refused(
        signed_in("coordinator"), "/admin/referral/new/", form, "Enter at most 4,000 characters (this has 4,001)."
    )
    assert "r" * 4001 in page
    assert _referrals() == []


def test_referral_list_filters_by_status_and_locality_and_searches_referrers(
    signed_in, create_referral, create_locality
):
    north, south = create_locality(name="Medway North"), create_locality(name="Swale South")
    create_referral(referrer_name="Dr Waiting", locality=north)
    create_referral(referrer_name="Dr Accepted", locality=south, status=ReferralStatus.accepted)
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/referral/?flt0_status_equals=accepted"))
    assert "Dr Accepted" in page and "Dr Waiting" not in page
    page = shown(reader.get("/admin/referral/?flt0_locality_contains=North"))
    assert "Dr Waiting" in page and "Dr Accepted" not in page
    page = shown(reader.get("/admin/referral/?search=waiting"))
    assert "Dr Waiting" in page and "Dr Accepted" not in page
    received = (today() - timedelta(days=10)).strftime("%d/%m/%Y")
    assert received in page


# --- triage decisions: read only ------------------------------------------------------------------


def test_triage_decisions_are_listed_but_not_made_here(signed_in, create_referral, make_user):
    referral = create_referral()
    db.session.add(
        TriageDecision(
            referral=referral,
            decided_on=today(),
            decided_by=make_user(),
            outcome=TriageOutcome.redirect,
            redirected_to="Community falls team",
        )
    )
    db.session.commit()
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/triage_decision/?flt0_decision_equals=redirect"))
    assert "Community falls team" in page and "Redirect to another service" in page
    coordinator = signed_in("coordinator")
    assert coordinator.get("/admin/triage_decision/new/").status_code == 403
    form = {"referral": referral.id, "decided_on": today().isoformat(), "outcome": "accept"}
    assert coordinator.submit("/admin/triage_decision/new/", form).status_code == 403
    assert db.session.scalars(db.select(TriageDecision)).all()[0].outcome == TriageOutcome.redirect


def test_decisions_on_archived_referrals_leave_the_list(signed_in, create_referral, make_user):
    referral = create_referral(archived_at=utcnow())
    db.session.add(
        TriageDecision(
            referral=referral,
            decided_on=today(),
            decided_by=make_user(),
            outcome=TriageOutcome.redirect,
            redirected_to="Archived service",
        )
    )
    db.session.commit()
    assert "Archived service" not in shown(signed_in("coordinator").get("/admin/triage_decision/"))


# --- episodes -------------------------------------------------------------------------------------


def _episode_form(patient, locality, **overrides) -> dict:
    form = {
        "patient": patient.id,
        "locality": locality.id,
        "opened_on": (today() - timedelta(days=30)).isoformat(),
        "review_on": (today() + timedelta(days=30)).isoformat(),
    }
    form.update(overrides)
    return form


def test_staff_open_an_episode_and_editing_it_cannot_close_it_or_move_it(signed_in, create_referral, create_patient):
    referral = create_referral()
    coordinator = signed_in("coordinator")
    form = _episode_form(referral.patient, referral.locality, referral=referral.id, coordinator=coordinator.user.id)
    assert coordinator.submit("/admin/episode/new/", form).status_code == 302
    [episode] = _episodes()
    assert episode.referral_id == referral.id and episode.coordinator_id == coordinator.user.id and episode.is_open
    page = shown(coordinator.get(f"/admin/episode/edit/?id={episode.id}"))
    assert 'name="review_on"' in page and 'name="closed_on"' not in page and 'name="patient"' not in page
    someone_else = create_patient(family_name="Someone")
    edited = form | {
        "patient": someone_else.id,
        "closed_on": today().isoformat(),
        "closure_reason": "goals_met",
        "expected_version": str(episode.version),
    }
    response = coordinator.submit(f"/admin/episode/edit/?id={episode.id}", edited)
    assert response.status_code == 302, shown(response)
    [episode] = _episodes()
    assert (episode.patient_id, episode.closed_on, episode.closure_reason) == (referral.patient_id, None, None)


def test_a_new_coordinator_or_review_date_on_the_episode_form_is_audited_with_why(signed_in, create_episode, make_user):
    before, after = make_user(name="Ava Away"), make_user(name="Cole Cover")
    episode = create_episode(coordinator=before)
    coordinator = signed_in("coordinator", name="Cara Coordinator")
    review = today() + timedelta(days=28)
    form = {
        "coordinator": after.id,
        "opened_on": episode.opened_on.isoformat(),
        "review_on": review.isoformat(),
        "expected_version": str(episode.version),
    }
    assert coordinator.submit(f"/admin/episode/edit/?id={episode.id}", form).status_code == 302
    [episode] = _episodes()
    assert (episode.coordinator_id, episode.review_on) == (after.id, review)
    reasons = db.session.scalars(
        db.select(AuditEntry.reason).where(AuditEntry.table_name == "episode", AuditEntry.record_id == episode.id)
    ).all()
    assert "Reassigned from Ava Away to Cole Cover by Cara Coordinator" in reasons
    assert "Next review set by Cara Coordinator" in reasons


def test_the_episode_form_has_no_closure_fields(signed_in):
    page = shown(signed_in("coordinator").get("/admin/episode/new/"))
    assert 'name="patient"' in page
    for closing in ("closed_on", "closure_reason", "goal_attainment"):
        assert f'name="{closing}"' not in page


def test_an_episode_refuses_another_patients_referral(signed_in, create_patient, create_referral):
    referral = create_referral()
    form = _episode_form(create_patient(family_name="Someone"), referral.locality, referral=referral.id)
    refused(signed_in("coordinator"), "/admin/episode/new/", form, "This referral is about another patient")
    assert _episodes() == []


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_open_episodes(signed_in, create_patient, create_locality, role):
    assert (
        signed_in(role).submit("/admin/episode/new/", _episode_form(create_patient(), create_locality())).status_code
        == 403
    )
    assert _episodes() == []


def test_episode_list_filters_by_locality_and_open_or_closed(
    signed_in, create_episode, create_locality, create_patient
):
    create_episode(patient=create_patient(family_name="Stillopen"), locality=create_locality(name="Medway North"))
    create_episode(
        patient=create_patient(family_name="Nowclosed"),
        locality=create_locality(name="Swale South"),
        closed_on=today(),
        closure_reason=ClosureReason.died,
    )
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/episode/?flt0_locality_contains=Swale"))
    assert "NOWCLOSED" in page and "STILLOPEN" not in page
    page = shown(reader.get("/admin/episode/?flt0_closed_empty=1"))
    assert "STILLOPEN" in page and "NOWCLOSED" not in page
    page = shown(reader.get("/admin/episode/?search=stillopen"))
    assert "STILLOPEN" in page and "NOWCLOSED" not in page


def test_episode_referral_look_up_finds_by_patient_name(signed_in, create_referral, create_patient):
    create_referral(patient=create_patient(family_name="Findable"))
    create_referral(patient=create_patient(family_name="Hidden"))
    response = signed_in("coordinator").get("/admin/episode/ajax/lookup/?name=referral&query=findable")
    assert response.status_code == 200
    labels = [label for _, label in response.get_json()]
    assert len(labels) == 1 and labels[0].startswith("FINDABLE, Ada") and "Referral" in labels[0]
