"""The letter a GP would expect (issue 26): addressed to the named GP by title and family name, otherwise to the
practice; a subject line naming the patient; signed by the person who generates it, as are the emails it goes with."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document

from formats.names import salutation
from models import CarePlan, OrganisationType, OutboxEmail, db
from services import care_plans, documents


@pytest.mark.parametrize(
    ("named", "greeted"),
    [
        ("Dr Anika Shah", "Dr Shah"),
        ("Dr. A. Shah", "Dr Shah"),
        ("dr anika shah", "Dr Shah"),
        ("Anika Shah", "Dr Shah"),
        ("Shah", "Dr Shah"),
        ("Dr Shah (locum)", "Dr Shah"),
        ("Doctor Ruth Okafor-Jones", "Dr Okafor-Jones"),
        ("Professor Ian Grant", "Professor Grant"),
        ("Mrs Jane Hill", "Mrs Hill"),
        ("Dr", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_a_letter_greets_the_named_gp_by_title_and_family_name(named, greeted):
    assert salutation(named) == greeted


@pytest.fixture
def plan(create_patient, make_org, make_user):
    practice = make_org(
        name="Riverside Surgery",
        type=OrganisationType.gp_practice,
        secure_email="riverside.surgery@nhs.net",
        postal_address="1 River Street\nRochester\nME1 1AA",
    )
    patient = create_patient(
        given_name="Margaret",
        family_name="Ashdown",
        date_of_birth=date(1940, 11, 25),
        nhs_number="9990000026",
        gp_practice=practice,
    )
    user = make_user(
        name="Casey Coordinator",
        job_title="ILR coordinator",
        phone="01634 123456",
        secure_email="casey.coordinator@nhs.net",
        team="Medway North ILR team",
    )
    draft = care_plans.start_new_draft(CarePlan(patient=patient), user)
    care_plans.agree_care_plan(draft, user, agreed_with="Margaret")
    db.session.commit()
    draft.user = user
    return draft


def _letter(plan) -> list[str]:
    content = documents.generate_gp_letter(plan, plan.user).content
    return [p.text for p in Document(io.BytesIO(content)).paragraphs]


def test_without_a_named_gp_the_letter_goes_to_the_practice(plan):
    lines = _letter(plan)
    assert lines[1] == "Riverside Surgery\n1 River Street\nRochester\nME1 1AA"
    assert "Dear colleagues at Riverside Surgery," in lines
    assert "Re: Margaret Ashdown, date of birth 25/11/1940, NHS number 999 000 0026" in lines


def test_with_a_named_gp_the_letter_is_addressed_to_them_and_signed_by_its_maker(plan):
    plan.patient.named_gp = "Dr Anika Shah"
    db.session.commit()
    lines = _letter(plan)
    assert lines[1].startswith("Dr Anika Shah\nRiverside Surgery\n") and "Dear Dr Shah," in lines
    assert lines[-1] == (
        "Yours sincerely,\n\nCasey Coordinator\nILR coordinator\nMedway North ILR team\nTelephone: 01634 123456\n"
        "Secure email: casey.coordinator@nhs.net"
    )
    assert not any("ILR Coordinator\nIntegrated Locality Review team" in line for line in lines)


def test_the_email_to_the_practice_greets_the_gp_and_is_signed_by_the_sender(plan):
    plan.patient.named_gp = "Dr Anika Shah"
    documents.send_to_gp(plan, plan.user)
    db.session.commit()
    email = db.session.scalars(db.select(OutboxEmail)).one()
    assert email.body_text.startswith("Dear Dr Shah,\n\nPlease find attached")
    assert "for Margaret Ashdown." in email.body_text
    assert email.body_text.endswith(
        "Yours sincerely,\n\nCasey Coordinator\nILR coordinator\nMedway North ILR team\n"
        "Telephone: 01634 123456\nSecure email: casey.coordinator@nhs.net"
    )
