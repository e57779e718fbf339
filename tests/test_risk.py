"""The risk rule at every boundary, with expected values written out, and recomputation on change."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from formats.dates import today
from models import (
    HospitalEvent,
    HospitalEventKind,
    Patient,
    RiskBand,
    SafeguardingCategory,
    SafeguardingConcern,
    Setting,
    db,
)
from services import risk
from services.risk import RiskInputs, assess
from services.settings import RISK_POINTS

#: The settings screen's other required fields, at their defaults.
SESSION_AND_CHASE = {
    "chase_days": 7, "idle_minutes": 30, "absolute_hours": 12, "attendance_threshold": 75, "share_days": 5
}  # fmt: skip


@pytest.mark.parametrize(
    "inputs, score, band",
    [
        (RiskInputs(), 0, RiskBand.low),
        (RiskInputs(cfs=3), 0, RiskBand.low),
        (RiskInputs(cfs=4), 1, RiskBand.low),
        (RiskInputs(cfs=5), 2, RiskBand.low),
        (RiskInputs(cfs=6), 2, RiskBand.low),
        (RiskInputs(cfs=7), 3, RiskBand.low),
        (RiskInputs(cfs=9), 3, RiskBand.low),
        (RiskInputs(efi=Decimal("0.12")), 0, RiskBand.low),
        (RiskInputs(efi=Decimal("0.13")), 1, RiskBand.low),
        (RiskInputs(efi=Decimal("0.24")), 1, RiskBand.low),
        (RiskInputs(efi=Decimal("0.25")), 2, RiskBand.low),
        (RiskInputs(efi=Decimal("0.36")), 2, RiskBand.low),
        (RiskInputs(efi=Decimal("0.37")), 3, RiskBand.low),
        (RiskInputs(admissions_12m=1), 2, RiskBand.low),
        (RiskInputs(admissions_12m=2), 2, RiskBand.low),
        (RiskInputs(admissions_12m=3), 3, RiskBand.low),
        (RiskInputs(ae_12m=1), 1, RiskBand.low),
        (RiskInputs(ae_12m=3), 2, RiskBand.low),
        (RiskInputs(conditions=2), 0, RiskBand.low),
        (RiskInputs(conditions=3), 1, RiskBand.low),
        (RiskInputs(conditions=5), 2, RiskBand.low),
        (RiskInputs(discharged_within_30_days=True), 2, RiskBand.low),
        (RiskInputs(open_safeguarding=True), 2, RiskBand.low),
        # band boundaries: 3 low, 4 medium, 7 medium, 8 high
        (RiskInputs(cfs=7), 3, RiskBand.low),
        (RiskInputs(cfs=7, ae_12m=1), 4, RiskBand.medium),
        (RiskInputs(cfs=7, ae_12m=1, admissions_12m=3), 7, RiskBand.medium),
        (RiskInputs(cfs=7, ae_12m=1, admissions_12m=3, conditions=3), 8, RiskBand.high),
        (
            RiskInputs(
                cfs=8,
                efi=Decimal("0.5"),
                admissions_12m=4,
                ae_12m=5,
                conditions=6,
                discharged_within_30_days=True,
                open_safeguarding=True,
            ),
            17,
            RiskBand.high,
        ),
    ],
)
def test_rule_and_bands(inputs, score, band):
    result = assess(inputs)
    assert (result.score, result.band) == (score, band)


def test_reasons_explain_the_score():
    result = assess(RiskInputs(cfs=7, admissions_12m=3))
    assert result.reasons == ["CFS 7 living with severe frailty (3)", "3 admissions in 12 months (3)"]


def test_team_lead_points_and_bands_apply():
    result = assess(RiskInputs(cfs=7), {"cfs_7_to_9": 5, "medium_from": 5})
    assert (result.score, result.band) == (5, RiskBand.medium)


def _patient(**overrides) -> Patient:
    patient = Patient(given_name="Risk", family_name="Person", date_of_birth=date(1938, 5, 1), **overrides)
    db.session.add(patient)
    db.session.commit()
    return patient


def test_stored_on_the_patient_and_recomputed_when_an_input_changes(app):
    patient = _patient(cfs=7)
    assert (patient.risk_score, patient.risk_band) == (3, RiskBand.low)
    assert patient.risk_reasons == "CFS 7 living with severe frailty (3)"

    for days_ago in (10, 100, 200):
        db.session.add(
            HospitalEvent(
                patient_id=patient.id,
                kind=HospitalEventKind.admission,
                occurred_on=today() - timedelta(days=days_ago),
                discharged_on=today() - timedelta(days=days_ago - 2),
            )
        )
    db.session.commit()
    db.session.refresh(patient)
    # CFS 7 (3) + 3 admissions (3) + discharged in the last 30 days (2) = 8
    assert (patient.risk_score, patient.risk_band) == (8, RiskBand.high)
    assert "3 admissions in 12 months (3)" in patient.risk_reasons

    patient.cfs = 3
    db.session.commit()
    db.session.refresh(patient)
    assert (patient.risk_score, patient.risk_band) == (5, RiskBand.medium)


def test_an_old_admission_does_not_count(app):
    patient = _patient()
    db.session.add(
        HospitalEvent(
            patient_id=patient.id,
            kind=HospitalEventKind.admission,
            occurred_on=today() - timedelta(days=400),
            discharged_on=today() - timedelta(days=395),
        )
    )
    db.session.commit()
    db.session.refresh(patient)
    assert patient.risk_score == 0


def test_open_safeguarding_concern_counts_until_closed(app):
    patient = _patient()
    concern = SafeguardingConcern(patient_id=patient.id, raised_on=today(), category=SafeguardingCategory.self_neglect)
    db.session.add(concern)
    db.session.commit()
    db.session.refresh(patient)
    assert patient.risk_score == 2
    concern.closed_on = today()
    db.session.commit()
    db.session.refresh(patient)
    assert patient.risk_score == 0


def test_settings_are_read_from_the_database(app):
    db.session.add(Setting(key=RISK_POINTS, value=json.dumps({"cfs_7_to_9": 9})))
    db.session.commit()
    patient = _patient(cfs=8)
    assert (patient.risk_score, patient.risk_band) == (9, RiskBand.high)


def test_team_lead_changes_points_and_every_patient_is_recomputed(app, signed_in):

    severe = _patient(cfs=7)
    mild = _patient(cfs=4)
    lead = signed_in("team_lead")
    form = {key: value for key, value in risk.DEFAULTS.items()} | {
        "cfs_7_to_9": 8,
        "cutoff_days": 2,
        **SESSION_AND_CHASE,
    }
    response = lead.submit("/admin/settings/", form)
    assert response.status_code == 302
    db.session.refresh(severe)
    db.session.refresh(mild)
    assert (severe.risk_score, severe.risk_band) == (8, RiskBand.high)
    assert (mild.risk_score, mild.risk_band) == (1, RiskBand.low)
    assert "CFS 7 living with severe frailty (8)" in severe.risk_reasons


def test_settings_refuse_bands_out_of_order_and_save_nothing(app, signed_in):
    lead = signed_in("team_lead")
    response = lead.submit(
        "/admin/settings/",
        dict(risk.DEFAULTS) | {"high_from": 4, "medium_from": 4, "cutoff_days": 2, **SESSION_AND_CHASE},
    )
    assert "The high band must start above the medium band" in response.get_data(as_text=True)
    assert db.session.get(Setting, RISK_POINTS) is None


@pytest.mark.parametrize("role", ["coordinator", "read_only", "partner"])
def test_only_the_team_lead_changes_settings(app, signed_in, role):
    assert signed_in(role).get("/admin/settings/").status_code == 403
