"""Adding a patient at intake (refused for missing details and duplicates) and finding patients."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from models import AuditAction, AuditEntry, DomainError, Patient, db
from services import patients

#: Valid test NHS numbers (Modulus 11), outside the range the factories hand out.
NUMBER = "9430004778"
OTHER_NUMBER = "9430004786"


def _patient_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Patient))


@pytest.mark.parametrize(
    "given, family, born, message",
    [
        (
            "",
            "",
            None,
            "To add a new patient, enter: First name, Surname, Date of birth. Or find and choose an existing patient.",
        ),
        ("Ada", "", date(1940, 1, 2), "To add a new patient, enter: Surname. Or find and choose an existing patient."),
        (
            "",
            "Lovelace",
            None,
            "To add a new patient, enter: First name, Date of birth. Or find and choose an existing patient.",
        ),
    ],
)
def test_add_patient_names_the_missing_fields(make_user, given, family, born, message):
    with pytest.raises(DomainError) as refusal:
        patients.add_patient(given_name=given, family_name=family, date_of_birth=born, by=make_user())
    assert str(refusal.value) == message
    db.session.rollback()
    assert _patient_count() == 0


def test_add_patient_refuses_a_duplicate_nhs_number(make_user, create_patient):
    create_patient(nhs_number=NUMBER, family_name="Hopper", date_of_birth=date(1936, 12, 9))
    with pytest.raises(DomainError) as refusal:
        patients.add_patient(
            given_name="Ada",
            family_name="Lovelace",
            date_of_birth=date(1940, 1, 2),
            nhs_number="943 000 4778",
            by=make_user(),
        )
    assert str(refusal.value) == "A patient with NHS number 943 000 4778 already exists: find and choose them above."
    db.session.rollback()
    assert _patient_count() == 1


def test_add_patient_without_a_number_refuses_the_same_surname_and_birth(make_user, create_patient):
    create_patient(family_name="Lovelace", date_of_birth=date(1940, 1, 2))
    with pytest.raises(DomainError) as refusal:
        patients.add_patient(
            given_name="Augusta", family_name=" LOVELACE ", date_of_birth=date(1940, 1, 2), by=make_user()
        )
    assert str(refusal.value) == (
        "A patient with this surname and date of birth already exists: find and choose them above."
    )
    db.session.rollback()
    assert _patient_count() == 1


def test_add_patient_with_its_own_number_is_not_matched_by_name_and_birth(make_user, create_patient):
    create_patient(family_name="Lovelace", date_of_birth=date(1940, 1, 2))
    added = patients.add_patient(
        given_name="Ada", family_name="Lovelace", date_of_birth=date(1940, 1, 2), nhs_number=NUMBER, by=make_user()
    )
    assert added.nhs_number == NUMBER
    assert _patient_count() == 2


def test_add_patient_refuses_an_invalid_nhs_number(make_user):
    with pytest.raises(DomainError) as refusal:
        patients.add_patient(
            given_name="Ada",
            family_name="Lovelace",
            date_of_birth=date(1940, 1, 2),
            nhs_number="943 000 4779",
            by=make_user(),
        )
    assert str(refusal.value) == "That NHS number is not valid: it must be 10 digits and pass the check-digit test."


def test_add_patient_stores_the_details_and_is_audited(make_user):
    coordinator = make_user(name="Cara Coordinator")
    assert coordinator.name == "Cara Coordinator"  # loaded, as a request's current_user is
    added = patients.add_patient(
        given_name="  Grace ",
        family_name=" Hopper  ",
        date_of_birth=date(1936, 12, 9),
        nhs_number="943-000-4786",
        postcode="ME4 4QR",
        by=coordinator,
    )
    db.session.commit()
    db.session.expire_all()
    assert (added.given_name, added.family_name, added.date_of_birth, added.nhs_number, added.postcode) == (
        "Grace",
        "Hopper",
        date(1936, 12, 9),
        OTHER_NUMBER,
        "ME4 4QR",
    )
    [entry] = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.table_name == "patient", AuditEntry.record_id == added.id)
    ).all()
    assert (entry.action, entry.reason, entry.patient_id) == (
        AuditAction.create,
        "Patient added at intake by Cara Coordinator",
        added.id,
    )


def test_add_patient_keeps_its_reason_when_the_user_must_be_reloaded(make_user):
    coordinator = make_user(name="Cara Coordinator")  # committed, so expired until read again
    added = patients.add_patient(
        given_name="Ada", family_name="Lovelace", date_of_birth=date(1940, 1, 2), by=coordinator
    )
    db.session.commit()
    reasons = db.session.scalars(
        db.select(AuditEntry.reason).where(AuditEntry.table_name == "patient", AuditEntry.record_id == added.id)
    ).all()
    assert reasons == ["Patient added at intake by Cara Coordinator"]


def test_add_patient_refuses_names_of_spaces_only(make_user):
    with pytest.raises(DomainError) as refusal:
        patients.add_patient(given_name="  ", family_name=" ", date_of_birth=date(1940, 1, 2), by=make_user())
    assert (
        str(refusal.value)
        == "To add a new patient, enter: First name, Surname. Or find and choose an existing patient."
    )


def test_add_patient_without_a_number_stores_none(make_user):
    added = patients.add_patient(
        given_name="Ada", family_name="Lovelace", date_of_birth=date(1940, 1, 2), nhs_number="  ", by=make_user()
    )
    assert added.nhs_number is None


# --- find_patients -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["943 000 4779", "12345", "94300047781", "943000477X"])
def test_find_patients_refuses_an_invalid_number(app, number):
    with pytest.raises(DomainError) as refusal:
        patients.find_patients(nhs_number=number)
    assert str(refusal.value) == "That NHS number is not valid: it must be 10 digits and pass the check-digit test."


def test_find_patients_needs_a_number_or_a_surname_and_birth(app):
    with pytest.raises(DomainError) as refusal:
        patients.find_patients(family_name="Lovelace")
    assert str(refusal.value) == "Give an NHS number, or a surname and date of birth."


def test_find_patients_leaves_out_archived_patients(create_patient):
    create_patient(nhs_number=NUMBER, archived_at=datetime(2026, 1, 5, tzinfo=UTC))
    live = create_patient(nhs_number=OTHER_NUMBER, family_name="Lovelace", date_of_birth=date(1940, 1, 2))
    assert patients.find_patients(nhs_number=NUMBER) == []
    assert patients.find_patients(nhs_number="943 000 4786") == [live]
    assert patients.find_patients(family_name="LOVELACE", date_of_birth=date(1940, 1, 2)) == [live]
