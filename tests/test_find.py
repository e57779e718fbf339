"""The header's search box: a patient by surname or NHS number from any page, within the person's scope, audited."""

from __future__ import annotations

from sqlalchemy import select

from formats.nhs import format_nhs_number
from models import AuditAction, AuditEntry, Role, db
from tests.conftest import page_text


def test_the_header_offers_the_search_on_every_page(signed_in):
    for role in Role:
        text = page_text(signed_in(role).get("/admin/"))
        assert 'role="search"' in text and 'action="/admin/find/"' in text, role


def test_one_patient_found_by_nhs_number_opens_their_page(signed_in, create_patient):
    patient = create_patient(family_name="Okonkwo")
    db.session.commit()
    coordinator = signed_in(Role.coordinator)
    response = coordinator.get("/admin/find/", query_string={"q": format_nhs_number(patient.nhs_number)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/record/{patient.id}/")


def test_several_patients_found_by_surname_are_listed_and_the_search_is_audited(signed_in, create_patient):
    first, second = create_patient(family_name="Hargreaves"), create_patient(family_name="Hargreaves", given_name="Bo")
    create_patient(family_name="Other")
    db.session.commit()
    text = page_text(signed_in(Role.read_only).get("/admin/find/?q=hargre"))
    assert "2 patients found" in text and f"/admin/record/{first.id}/" in text and f"/admin/record/{second.id}/" in text
    assert "Other" not in text
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == AuditAction.list).order_by(AuditEntry.id.desc())
    ).first()
    assert entry.table_name == "patient" and entry.detail == "search=hargre rows=2"


def test_a_partner_finds_only_the_patients_they_may_see(signed_in, create_patient, create_action):
    partner = signed_in(Role.partner)
    theirs = create_patient(family_name="Winterbottom")
    create_action(patient=theirs, owner_organisation=partner.user.organisation)
    create_patient(family_name="Winterbottom", given_name="Not theirs")
    db.session.commit()
    response = partner.get("/admin/find/?q=winterbottom")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/record/{theirs.id}/")


def test_nothing_found_says_so_and_an_overlong_search_is_refused_in_words(signed_in):
    coordinator = signed_in(Role.coordinator)
    assert "No patient found for “zzzz”" in page_text(coordinator.get("/admin/find/?q=zzzz"))
    text = page_text(coordinator.get("/admin/find/", query_string={"q": "x" * 101}))
    assert 'role="alert"' in text and "100" in text
