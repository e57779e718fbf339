"""The named GP at intake (issue 26): asked for as the patient's page does, picked from the practice's GPs where the
tool knows them (contacts at the practice), else typed; the GP letter is addressed to them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from formats.dates import today
from models import AuditAction, AuditEntry, Contact, Locality, OrganisationType, Patient, db
from services.patients import known_gps
from tests.conftest import page_text
from tests.factories import shown


@pytest.fixture
def practices(make_org):
    """Two practices with their GPs, a practice manager, and a social worker (not a GP) for contrast."""
    riverside = make_org(name="Riverside Surgery", type=OrganisationType.gp_practice, ods_code="G82001")
    hillview = make_org(name="Hillview Surgery", type=OrganisationType.gp_practice, ods_code="G82002")
    council = make_org(name="Medway Social Services", type=OrganisationType.social_services, ods_code="SS001")
    db.session.add_all(
        [
            Contact(name="Dr Anika Shah", job_title="GP partner", email="a.shah@nhs.net", organisation=riverside),
            Contact(name="Tom Reed", job_title="Salaried GP", email="t.reed@nhs.net", organisation=riverside),
            Contact(name="Pam Manager", job_title="Practice manager", email="pam@nhs.net", organisation=riverside),
            Contact(name="Dr Ruth Okafor", job_title="GP", email="r.okafor@nhs.net", organisation=hillview),
            Contact(name="Sam Social", job_title="Social worker", email="sam@medway.gov.uk", organisation=council),
            Locality(name="Medway North"),
        ]
    )
    db.session.commit()
    return {"riverside": riverside, "hillview": hillview}


def _form(**overrides) -> dict:
    locality = db.session.scalars(db.select(Locality)).one()
    data = {
        "locality_id": locality.id,
        "received_on": today().isoformat(),
        "referrer_name": "Dr Patel",
        "reason": "Falls",
        "consent": "given",
        "consent_by": "Patient",
        "consent_on": today().isoformat(),
        "signposting_tried": "Age UK",
        "sex": "female",
    }
    return data | overrides


def _suggested(page: str) -> list[tuple[str, str]]:
    """The named-GP suggestions on a page: (name, practice ODS code)."""
    return re.findall(r'<option value="([^"]+)" data-practice-id="\d+" data-practice-ods="([^"]*)">', page)


def test_the_known_gps_are_the_practices_doctors_and_gps(practices):
    assert [(gp.name, gp.practice) for gp in known_gps()] == [
        ("Dr Ruth Okafor", "Hillview Surgery"),
        ("Dr Anika Shah", "Riverside Surgery"),
        ("Tom Reed", "Riverside Surgery"),
    ]
    assert [gp.name for gp in known_gps(practices["hillview"].id)] == ["Dr Ruth Okafor"]


def test_intake_asks_for_the_named_gp_offering_the_known_ones(practices, signed_in):
    page = shown(signed_in().get("/admin/intake/"))
    assert '<label for="named_gp">Named GP</label>' in page
    assert 'list="named_gp-known"' in page and 'data-gp-practice="gp_practice_ods"' in page
    assert _suggested(page) == [("Dr Ruth Okafor", "G82002"), ("Dr Anika Shah", "G82001"), ("Tom Reed", "G82001")]


def test_a_new_patient_is_recorded_with_the_named_gp_typed_or_picked(practices, signed_in):
    answer = signed_in().submit(
        "/admin/intake/",
        _form(
            given_name="Mary",
            family_name="Seacole",
            date_of_birth="1940-03-04",
            gp_practice_ods="G82001",
            named_gp="Dr Anika Shah",
        ),
    )
    assert answer.status_code == 302, page_text(answer)
    patient = db.session.scalars(db.select(Patient)).one()
    assert (patient.named_gp, patient.gp_practice_id) == ("Dr Anika Shah", practices["riverside"].id)


def test_a_known_patient_s_named_gp_is_shown_and_a_new_one_replaces_it(practices, signed_in):
    patient = Patient(
        given_name="Grace",
        family_name="Hopper",
        date_of_birth=date(1936, 12, 9),
        gp_practice=practices["hillview"],
        named_gp="Dr Old Name",
    )
    db.session.add(patient)
    db.session.commit()
    coordinator = signed_in()
    page = shown(coordinator.get(f"/admin/intake/?patient_id={patient.id}"))
    assert 'value="Dr Old Name"' in page and "registered with Hillview Surgery" in page
    assert _suggested(page) == [("Dr Ruth Okafor", "G82002")]  # their practice's GPs only
    coordinator.submit(f"/admin/intake/?patient_id={patient.id}", _form(patient_id=patient.id, named_gp=""))
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).named_gp == "Dr Old Name"  # left blank: kept
    coordinator.submit(
        f"/admin/intake/?patient_id={patient.id}",
        _form(patient_id=patient.id, named_gp="Dr Ruth Okafor", received_on=(today() - timedelta(days=1)).isoformat()),
    )
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).named_gp == "Dr Ruth Okafor"
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == AuditAction.update, AuditEntry.table_name == "patient")
    ).one()
    assert entry.reason.startswith("Named GP recorded at a referral by") and "Dr Old Name" in entry.changes


def test_the_patient_form_offers_the_same_gps(practices, signed_in, create_patient):
    patient = create_patient(gp_practice=practices["riverside"])
    page = shown(signed_in().get(f"/admin/patient/edit/?id={patient.id}"))
    assert 'data-gp-practice="gp_practice"' in page and ("Dr Anika Shah", "G82001") in _suggested(page)
