"""Impossible dates: a date of birth within the last 120 years; every date shown with its four-digit year, so a
stored value survives its own form; and the order of dates a person could get wrong, on every path that writes
them (record screens and the custom pages)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from formats.dates import LONDON, format_date, today
from models import Action, CarePlan, CarePlanState, Episode, Patient, Referral, db
from services.date_checks import earliest_birth_date
from tests.factories import nhs_number, refused, shown
from web.forms import AppForm, DateField

OLD_AGE = "A date of birth must be within the last 120 years"


def _patient_form(**overrides) -> dict:
    form = {"given_name": "Mary", "family_name": "Seacole", "date_of_birth": "1935-11-23", "sex": "female",
            "nhs_number_status": "01"}  # fmt: skip
    return form | overrides


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


# --- dates of birth --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0001-01-01", OLD_AGE),
        ("1890-01-01", OLD_AGE),
        ((earliest_birth_date() - timedelta(days=1)).isoformat(), OLD_AGE),
        ((today() + timedelta(days=1)).isoformat(), "A date of birth cannot be in the future."),
    ],
)
def test_an_impossible_date_of_birth_is_refused_on_the_record_screen(signed_in, typed, message):
    refused(signed_in("coordinator"), "/admin/patient/new/", _patient_form(date_of_birth=typed), message)
    assert _count(Patient) == 0


def test_a_date_of_birth_120_years_ago_today_is_accepted(signed_in):
    oldest = earliest_birth_date().isoformat()
    answer = signed_in("coordinator").submit("/admin/patient/new/", _patient_form(date_of_birth=oldest))
    assert answer.status_code == 302, shown(answer)


def test_an_impossible_date_of_birth_is_refused_at_intake(signed_in, create_locality):
    form = {"locality_id": create_locality().id, "received_on": today().isoformat(), "given_name": "Mary",
            "family_name": "Seacole", "date_of_birth": "1890-01-01", "nhs_number": nhs_number(),
            "referrer_name": "Dr Patel", "reason": "Falls", "consent": "given", "consent_by": "Patient",
            "consent_on": today().isoformat()}  # fmt: skip
    refused(signed_in("coordinator"), "/admin/intake/", form, OLD_AGE)
    assert _count(Patient) == 0 and _count(Referral) == 0


# --- a stored value survives its own form --------------------------------------------------------------------


def test_a_date_stored_with_a_one_digit_year_is_shown_with_four_and_named_on_save(signed_in, create_patient):
    patient = create_patient(date_of_birth=date(1, 1, 1))  # stored before the 120-year rule, by whatever path
    coordinator = signed_in("coordinator")
    edit = shown(coordinator.get(f"/admin/patient/edit/?id={patient.id}"))
    assert 'value="0001-01-01"' in edit and 'value="1-01-01"' not in edit
    assert "01/01/0001" in shown(coordinator.get(f"/admin/patient/details/?id={patient.id}"))
    form = _patient_form(date_of_birth="0001-01-01", given_name="Maria", expected_version=str(patient.version))
    page = refused(coordinator, f"/admin/patient/edit/?id={patient.id}", form, OLD_AGE)
    assert "Not a valid date value" not in page  # the form read its own value back: only the rule speaks


def test_every_date_field_writes_a_four_digit_year(app):
    class OneDate(AppForm):
        on = DateField()

    with app.test_request_context():
        assert OneDate(data={"on": date(1, 1, 1)}, meta={"csrf": False}).on._value() == "0001-01-01"
        assert format_date(date(33, 2, 1)) == "01/02/0033"


# --- the order of dates ------------------------------------------------------------------------------------------


def test_a_referral_received_before_the_date_of_birth_is_refused(signed_in, create_patient, create_locality):
    patient = create_patient(date_of_birth=date(1950, 6, 1))
    form = {"patient": patient.id, "locality": create_locality().id, "received_on": "1949-12-31",
            "referrer_name": "Dr Patel", "consent": "not_asked"}  # fmt: skip
    refused(signed_in("coordinator"), "/admin/referral/new/", form,
            "A referral cannot be received before the patient's date of birth (01/06/1950).")  # fmt: skip
    assert _count(Referral) == 0


def _meeting_day(item) -> date:
    return item.meeting.starts_at.astimezone(LONDON).date()


def test_an_action_due_before_its_meeting_is_refused_on_the_record_screen(signed_in, create_agenda_item, make_org):
    item = create_agenda_item()
    form = {"patient": item.patient_id, "agenda_item": item.id, "description": "Medication review",
            "owner_organisation": make_org().id, "due_on": (_meeting_day(item) - timedelta(days=1)).isoformat(),
            "status": "open"}  # fmt: skip
    message = f"An action cannot be due before the meeting that agreed it ({format_date(_meeting_day(item))})."
    refused(signed_in("coordinator"), "/admin/action/new/", form, message)
    assert _count(Action) == 0


def test_an_old_due_date_is_not_refused_when_something_else_is_changed(
    signed_in, create_agenda_item, create_action, make_org
):
    """On input only: an action whose meeting was moved after it was saved can still be edited."""
    item = create_agenda_item()
    action = create_action(agenda_item=item, patient=item.patient, due_on=_meeting_day(item) - timedelta(days=3))
    form = {"patient": item.patient_id, "agenda_item": item.id, "description": "Medication review, by phone",
            "owner_organisation": action.owner_organisation_id, "due_on": action.due_on.isoformat(),
            "status": "open", "expected_version": str(action.version)}  # fmt: skip
    answer = signed_in("coordinator").submit(f"/admin/action/edit/?id={action.id}", form)
    assert answer.status_code == 302, shown(answer)


def test_an_action_due_before_its_meeting_is_refused_in_the_meeting_room(signed_in, create_agenda_item, make_org):
    item = create_agenda_item()
    coordinator = signed_in("coordinator")
    form = {"description": "Medication review", "owner_organisation_id": make_org().id,
            "due_on": (_meeting_day(item) - timedelta(days=1)).isoformat()}  # fmt: skip
    answer = coordinator.submit(f"/admin/meeting-room/case/{item.id}/action", form)
    shown_after = shown(coordinator.get(answer.headers["Location"]))
    assert "An action cannot be due before the meeting that agreed it" in shown_after
    assert _count(Action) == 0


def test_an_episode_cannot_close_before_it_opened(signed_in, create_episode):
    episode = create_episode(opened_on=today() - timedelta(days=10))
    form = {"closed_on": (today() - timedelta(days=11)).isoformat(), "reason": "goals_met"}
    message = f"An episode cannot close before it opened ({format_date(episode.opened_on)})."
    refused(signed_in("coordinator"), f"/admin/caseload/close/{episode.id}/", form, message)
    db.session.expire_all()
    assert db.session.get(Episode, episode.id).closed_on is None


def test_a_care_plan_cannot_be_agreed_before_it_was_drafted(signed_in, create_care_plan):
    plan = create_care_plan()
    drafted = plan.created_at.astimezone(LONDON).date()
    coordinator = signed_in("coordinator")
    form = {"agreed_with": "The patient", "agreed_on": (drafted - timedelta(days=1)).isoformat()}
    answer = coordinator.submit(f"/admin/care-plan/plan/{plan.id}/agree", form)
    page = shown(answer)  # the page comes back with what was typed (test_care_plans_corrections.py)
    assert answer.status_code == 200
    assert f"A care plan cannot be agreed before it was drafted ({format_date(drafted)})." in page
    db.session.expire_all()
    assert db.session.get(CarePlan, plan.id).state == CarePlanState.draft


def test_a_death_cannot_be_recorded_before_the_birth(signed_in, create_patient):
    patient = create_patient(date_of_birth=date(1940, 1, 1))
    coordinator = signed_in("coordinator")
    answer = coordinator.submit(f"/admin/record/{patient.id}/death/", {"died_on": "1939-12-31"})
    assert "The date of death must be between the date of birth and today." in shown(
        coordinator.get(answer.headers["Location"])
    )
    form = _patient_form(date_of_birth="1940-01-01", date_of_death="1939-12-31", expected_version=str(patient.version))
    refused(
        coordinator,
        f"/admin/patient/edit/?id={patient.id}",
        form,
        "The date of death cannot be before the date of birth.",
    )
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).date_of_death is None


def test_the_meeting_day_is_the_london_day(create_agenda_item):
    """A meeting at 00:30 London time in summer is on that London day, not the UTC day before."""
    item = create_agenda_item()
    item.meeting.starts_at = datetime(2026, 7, 1, 0, 30, tzinfo=LONDON)
    assert _meeting_day(item) == date(2026, 7, 1)
