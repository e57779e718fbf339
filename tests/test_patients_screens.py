"""The patient, hospital event and collated note screens: who may change them, what they refuse, how they list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from formats.dates import today
from models import CaseStatus, ClosureReason, CollatedNote, HospitalEvent, OrganisationType, Patient, RiskBand, db
from tests.factories import nhs_number, refused, shown


def _patients(**where) -> list[Patient]:
    db.session.expire_all()
    return db.session.scalars(db.select(Patient).filter_by(**where)).all()


def _form(**overrides) -> dict:
    form = {
        "given_name": "Mary",
        "family_name": "Seacole",
        "date_of_birth": "1935-11-23",
        "sex": "female",
        "nhs_number_status": "01",
        "long_term_conditions": "COPD\nHeart failure",
    }
    form.update(overrides)
    return form


# --- creating, and who may ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "team_lead"])
def test_staff_add_a_patient_typing_the_nhs_number_with_spaces(signed_in, make_org, role):
    practice = make_org(name="Riverside Surgery", type=OrganisationType.gp_practice)
    number = nhs_number()
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    response = signed_in(role).submit(
        "/admin/patient/new/",
        _form(nhs_number=spaced, gp_practice=practice.id, cfs="6", efi="0.31", postcode="me1 1aa"),
    )
    assert response.status_code == 302, shown(response)
    [patient] = _patients(family_name="Seacole")
    assert patient.nhs_number == number  # stored as ten digits
    assert patient.gp_practice_id == practice.id and patient.cfs == 6 and str(patient.efi) == "0.310"
    assert patient.postcode == "ME1 1AA" and patient.risk_band == RiskBand.medium  # the risk rule ran on the new record


def test_the_nhs_number_is_shown_3_3_4_in_the_list_and_on_the_record(signed_in, create_patient):
    patient = create_patient(nhs_number="9434765919", family_name="Nightingale")
    reader = signed_in("read_only")
    assert "943 476 5919" in shown(reader.get("/admin/patient/"))
    assert "943 476 5919" in shown(reader.get(f"/admin/patient/details/?id={patient.id}"))
    assert "9434765919" not in shown(reader.get("/admin/patient/"))


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_add_or_change_patients(signed_in, create_patient, role):
    patient = create_patient(family_name="Unchanged")
    client = signed_in(role)
    assert client.submit("/admin/patient/new/", _form()).status_code == 403
    edit = client.submit(f"/admin/patient/edit/?id={patient.id}", _form(expected_version=str(patient.version)))
    assert edit.status_code == 403
    assert _patients(family_name="Seacole") == [] and _patients(family_name="Unchanged")


def test_staff_export_patients_with_the_nhs_number_3_3_4_and_observers_may_not(signed_in, create_patient):
    create_patient(nhs_number="9434765919", family_name="Exported")
    export = signed_in("coordinator").get("/admin/patient/export/csv/")
    assert export.status_code == 200
    text = export.get_data(as_text=True)
    assert "943 476 5919" in text and "Lovelace" not in text and "Exported" in text and "<a " not in text
    assert signed_in("read_only").get("/admin/patient/export/csv/").status_code == 403


def test_partners_do_not_see_the_patient_list(signed_in, create_patient):
    create_patient()
    assert signed_in("partner").get("/admin/patient/").status_code == 403


# --- what the form refuses ------------------------------------------------------------------------


def test_an_invalid_nhs_number_is_refused_and_comes_back_as_typed(signed_in):
    page = refused(
        signed_in("coordinator"),
        "/admin/patient/new/",
        _form(nhs_number="999 123 4568"),
        "This is not a valid NHS number",
    )
    assert 'value="999 123 4568"' in page and 'value="Seacole"' in page
    assert _patients(family_name="Seacole") == []


def test_an_nhs_number_another_patient_has_is_refused(signed_in, create_patient):
    other = create_patient(family_name="First")
    spaced = f"{other.nhs_number[:3]} {other.nhs_number[3:6]} {other.nhs_number[6:]}"
    refused(
        signed_in("coordinator"),
        "/admin/patient/new/",
        _form(nhs_number=spaced),
        "Another patient already has this NHS number",
    )
    assert _patients(family_name="Seacole") == []


def test_saving_a_patient_keeps_their_own_nhs_number(signed_in, create_patient):
    patient = create_patient(family_name="Keeps")
    response = signed_in("coordinator").submit(
        f"/admin/patient/edit/?id={patient.id}",
        _form(
            family_name="Keeps",
            nhs_number=patient.nhs_number,
            phone="01634 000000",
            expected_version=str(patient.version),
        ),
    )
    assert response.status_code == 302, shown(response)
    assert _patients(family_name="Keeps")[0].phone == "01634 000000"


def test_the_nhs_number_may_be_left_blank(signed_in):
    response = signed_in("coordinator").submit("/admin/patient/new/", _form(nhs_number="", nhs_number_status="07"))
    assert response.status_code == 302, shown(response)
    assert _patients(family_name="Seacole")[0].nhs_number is None


def test_a_date_of_birth_in_the_future_is_refused(signed_in):
    refused(
        signed_in("coordinator"),
        "/admin/patient/new/",
        _form(date_of_birth=(today() + timedelta(days=1)).isoformat()),
        "A date of birth cannot be in the future.",
    )
    assert _patients(family_name="Seacole") == []


def test_a_death_before_birth_is_refused(signed_in):
    refused(
        signed_in("coordinator"),
        "/admin/patient/new/",
        _form(date_of_death="1930-01-01"),
        "The date of death cannot be before the date of birth.",
    )
    assert _patients(family_name="Seacole") == []


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("cfs", "10", "The Clinical Frailty Scale runs from 1 (very fit) to 9 (terminally ill)."),
        ("cfs", "0", "The Clinical Frailty Scale runs from 1 (very fit) to 9 (terminally ill)."),
        ("efi", "1.2", "The eFI is a number from 0 to 1"),
    ],
)
def test_frailty_scores_out_of_range_are_refused(signed_in, field, value, message):
    refused(signed_in("coordinator"), "/admin/patient/new/", _form(**{field: value}), message)
    assert _patients(family_name="Seacole") == []


def test_over_long_text_is_refused_with_the_limit(signed_in):
    page = refused(
        signed_in("coordinator"),
        "/admin/patient/new/",
        _form(family_name="S" * 101),
        "Enter at most 100 characters (this has 101).",
    )
    assert 'maxlength="100"' in page
    assert _patients(given_name="Mary") == []


def test_long_text_is_typed_in_a_text_area(signed_in):
    page = shown(signed_in("coordinator").get("/admin/patient/new/"))
    assert '<textarea class="form-control" id="long_term_conditions"' in page
    assert 'type="date"' in page  # dates are the browser's date picker


# --- life events go through their services ---------------------------------------------------------


def test_recording_a_death_on_the_form_closes_open_episodes(
    signed_in, create_patient, create_episode, create_agenda_item
):
    patient = create_patient(family_name="Departed")
    episode = create_episode(patient=patient)
    item = create_agenda_item(patient=patient)
    died = today() - timedelta(days=1)
    response = signed_in("coordinator").submit(
        f"/admin/patient/edit/?id={patient.id}",
        _form(
            family_name="Departed",
            nhs_number=patient.nhs_number,
            date_of_death=died.isoformat(),
            expected_version=str(patient.version),
        ),
    )
    assert response.status_code == 302, shown(response)
    db.session.expire_all()
    assert episode.closed_on == died and episode.closure_reason == ClosureReason.died
    assert item.status == CaseStatus.withdrawn and patient.date_of_death == died


# --- lists, filters and search --------------------------------------------------------------------


def test_patient_list_filters_by_priority_band_and_gp_practice(signed_in, create_patient, make_org):
    practice = make_org(name="Hilltop Practice", type=OrganisationType.gp_practice)
    create_patient(family_name="Highrisk", cfs=8, efi=0.5, long_term_conditions="A\nB\nC\nD\nE", gp_practice=practice)
    create_patient(family_name="Lowrisk")
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/patient/?flt0_priority_band_equals=high"))
    assert "Highrisk" in page and "Lowrisk" not in page
    page = shown(reader.get("/admin/patient/?flt0_gp_practice_contains=Hilltop"))
    assert "Highrisk" in page and "Lowrisk" not in page


def test_patient_search_finds_an_nhs_number_typed_with_spaces(signed_in, create_patient):
    wanted = create_patient(family_name="Wanted")
    create_patient(family_name="Quimby")
    spaced = f"{wanted.nhs_number[:3]} {wanted.nhs_number[3:6]} {wanted.nhs_number[6:]}"
    page = shown(signed_in("coordinator").get("/admin/patient/", query_string={"search": spaced}))
    assert "Wanted" in page and "Quimby" not in page
    page = shown(signed_in("coordinator").get("/admin/patient/?search=wanted"))
    assert "Wanted" in page and "Quimby" not in page


def test_patient_names_link_to_the_record_page(signed_in, create_patient):
    patient = create_patient(family_name="Linked")
    assert f'href="/admin/record/{patient.id}/"' in shown(signed_in("read_only").get("/admin/patient/"))


# --- hospital events and collated notes -----------------------------------------------------------


def test_staff_record_a_hospital_admission(signed_in, create_patient):
    patient = create_patient()
    occurred = today() - timedelta(days=20)
    response = signed_in("coordinator").submit(
        "/admin/hospital_event/new/",
        {
            "patient": patient.id,
            "kind": "admission",
            "occurred_on": occurred.isoformat(),
            "discharged_on": (occurred + timedelta(days=4)).isoformat(),
            "hospital": "Medway Maritime",
        },
    )
    assert response.status_code == 302, shown(response)
    event = db.session.scalars(db.select(HospitalEvent)).one()
    assert event.patient_id == patient.id and event.occurred_on == occurred and event.hospital == "Medway Maritime"
    page = shown(signed_in("read_only").get("/admin/hospital_event/"))
    assert "Medway Maritime" in page and "Non-elective admission" in page and occurred.strftime("%d/%m/%Y") in page


def test_a_discharge_before_the_admission_is_refused(signed_in, create_patient):
    patient = create_patient()
    refused(
        signed_in("coordinator"),
        "/admin/hospital_event/new/",
        {"patient": patient.id, "kind": "admission", "occurred_on": "2026-01-10", "discharged_on": "2026-01-09"},
        "The discharge cannot be before the admission.",
    )
    assert db.session.scalars(db.select(HospitalEvent)).all() == []


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_record_hospital_events_or_notes(signed_in, create_patient, role):
    patient = create_patient()
    client = signed_in(role)
    assert (
        client.submit(
            "/admin/hospital_event/new/", {"patient": patient.id, "kind": "admission", "occurred_on": "2026-01-10"}
        ).status_code
        == 403
    )
    assert (
        client.submit(
            "/admin/collated_note/new/", {"patient": patient.id, "source": "emis", "summary": "x"}
        ).status_code
        == 403
    )
    assert (
        db.session.scalars(db.select(HospitalEvent)).all() == []
        and db.session.scalars(db.select(CollatedNote)).all() == []
    )


def test_a_collated_note_checked_today_is_checked_by_whoever_records_it(signed_in, create_patient):
    patient = create_patient()
    coordinator = signed_in("coordinator")
    response = coordinator.submit(
        "/admin/collated_note/new/",
        {
            "patient": patient.id,
            "source": "emis",
            "summary": "On warfarin; INR stable",
            "checked_on": today().isoformat(),
        },
    )
    assert response.status_code == 302, shown(response)
    note = db.session.scalars(db.select(CollatedNote)).one()
    assert note.checked_by_id == coordinator.user.id and note.summary == "On warfarin; INR stable"
    page = shown(signed_in("read_only").get("/admin/collated_note/?flt0_source_equals=emis"))
    assert "On warfarin" in page


def test_a_note_summary_over_the_limit_is_refused(signed_in, create_patient):
    patient = create_patient()
    refused(
        signed_in("coordinator"),
        "/admin/collated_note/new/",
        {"patient": patient.id, "source": "rio", "summary": "x" * 4001},
        "Enter at most 4,000 characters (this has 4,001).",
    )
    assert db.session.scalars(db.select(CollatedNote)).all() == []
