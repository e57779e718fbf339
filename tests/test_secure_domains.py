"""The secure email domains screen (DESIGN.md §2: accredited by domain, never by organisation); the chase interval."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select

from models import DomainError, OutboxEmail, SecureDomain, Setting, db
from services import risk
from services.outbox import is_secure_address, queue_email
from services.settings import ATTENDANCE_THRESHOLD, CARE_PLAN_SHARE_DAYS, CHASE_INTERVAL, get_setting
from tests.factories import refused, shown

NEW = "/admin/secure_domain/new/"
NOTE = "Medway Council: on the DCB1596 accredited list, checked by the team lead"


def _domains() -> list[str]:
    return list(db.session.scalars(select(SecureDomain.domain).order_by(SecureDomain.domain)))


def _accredit(domain: str, **values) -> SecureDomain:
    row = SecureDomain(domain=domain, **values)
    db.session.add(row)
    db.session.commit()
    g.pop("secure_domains", None)  # the allow-list is read once per app context
    return row


def test_the_team_lead_adds_a_domain_in_lower_case(signed_in):
    lead = signed_in("team_lead")
    assert lead.submit(NEW, {"domain": "  Medway.GOV.uk ", "note": NOTE}).status_code == 302
    row = db.session.scalars(select(SecureDomain)).one()
    assert (row.domain, row.note) == ("medway.gov.uk", NOTE)
    assert "medway.gov.uk" in shown(lead.get("/admin/secure_domain/"))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("sam@medway.gov.uk", 'Enter the domain only, without "@" or anything before it'),
        ("@medway.gov.uk", 'Enter the domain only, without "@" or anything before it'),
        ("medway gov.uk", "A domain has no spaces."),
        ("localhost", "A domain has at least one dot, for example medway.gov.uk."),
        ("medway..gov.uk", "A domain is letters, digits and hyphens between dots"),
        ("   ", "Enter a domain, for example medway.gov.uk."),
        ("NHS.net", "nhs.net is on the configured allow-list already"),
    ],
)
def test_a_domain_that_is_not_one_is_refused(signed_in, typed, message):
    refused(signed_in("team_lead"), NEW, {"domain": typed}, message)
    assert _domains() == []


def test_a_domain_already_listed_is_refused_even_archived(signed_in):
    lead = signed_in("team_lead")
    row = _accredit("medway.gov.uk")
    already = "This domain is already listed (if archived, restore it instead)."
    refused(lead, NEW, {"domain": "MEDWAY.gov.uk"}, already)
    lead.submit("/admin/secure_domain/action/", {"action": "archive", "rowid": row.id})
    refused(lead, NEW, {"domain": "medway.gov.uk"}, already)
    assert _domains() == ["medway.gov.uk"]
    # Editing the note keeps the row's own domain.
    response = lead.submit(f"/admin/secure_domain/edit/?id={row.id}", {"domain": "medway.gov.uk", "note": NOTE})
    assert response.status_code == 302
    db.session.refresh(row)
    assert row.note == NOTE


def test_the_screen_says_accreditation_is_by_domain(signed_in):
    lead = signed_in("team_lead")
    for url in ("/admin/secure_domain/", NEW):
        page = shown(lead.get(url))
        assert "is by domain, never by organisation" in page
        assert "a personal address at an accredited organisation on another domain does not pass" in page


def test_readers_may_look_and_only_the_team_lead_changes(signed_in):
    row = _accredit("medway.gov.uk", note=NOTE)
    for role in ("coordinator", "read_only"):
        reader = signed_in(role)
        assert "medway.gov.uk" in shown(reader.get("/admin/secure_domain/"))
        assert reader.get(f"/admin/secure_domain/details/?id={row.id}").status_code == 200
        assert reader.get(NEW).status_code == 403
        assert reader.submit(NEW, {"domain": "kent.gov.uk"}).status_code == 403
        edit = f"/admin/secure_domain/edit/?id={row.id}"
        assert reader.submit(edit, {"domain": "evil.example.org"}).status_code == 403
        assert reader.submit("/admin/secure_domain/action/", {"action": "archive", "rowid": row.id}).status_code == 403
    assert signed_in("partner").get("/admin/secure_domain/").status_code == 403
    db.session.refresh(row)
    assert (row.domain, row.archived_at) == ("medway.gov.uk", None)
    assert _domains() == ["medway.gov.uk"]


def test_an_accredited_domain_and_its_subdomains_pass_and_look_alikes_do_not(app):
    _accredit("medway.gov.uk")
    assert is_secure_address("sam@medway.gov.uk")
    assert is_secure_address("Sam@Social.Medway.GOV.UK")
    assert is_secure_address("mo@nhs.net")  # the configured allow-list still holds
    for address in ("sam@medway.gov.uk.evil.com", "sam@notmedway.gov.uk", "sam@gov.uk", "sam@kent.gov.uk"):
        assert not is_secure_address(address), address


def test_an_archived_domain_no_longer_passes(signed_in):
    row = _accredit("medway.gov.uk")
    assert is_secure_address("sam@medway.gov.uk")
    lead = signed_in("team_lead")
    lead.submit("/admin/secure_domain/action/", {"action": "archive", "rowid": row.id})
    db.session.refresh(row)
    assert row.archived_at is not None
    g.pop("secure_domains", None)
    assert not is_secure_address("sam@medway.gov.uk")


def test_patient_data_to_a_council_is_refused_until_its_domain_is_added(app):
    def send():
        return queue_email(
            "sam@medway.gov.uk", "Minutes", "Patient details", purpose="minutes", contains_patient_data=True
        )

    with pytest.raises(DomainError, match="sam@medway.gov.uk is not a secure address"):
        send()
    db.session.rollback()
    _accredit("medway.gov.uk", note=NOTE)
    email = send()
    db.session.commit()
    assert db.session.scalars(select(OutboxEmail.to_address)).all() == ["sam@medway.gov.uk"]
    assert email.contains_patient_data


def _settings_form(**overrides) -> dict:
    return (
        dict(risk.DEFAULTS)
        | {"cutoff_days": 2, "chase_days": 7, "idle_minutes": 30, "absolute_hours": 12}
        | {"attendance_threshold": 75, "share_days": 5}
        | overrides
    )


def test_the_settings_screen_saves_the_kpi_thresholds(signed_in):
    lead = signed_in("team_lead")
    assert 'value="75"' in shown(lead.get("/admin/settings/"))
    lead.submit("/admin/settings/", _settings_form(attendance_threshold=80, share_days=3))
    assert (get_setting(ATTENDANCE_THRESHOLD), get_setting(CARE_PLAN_SHARE_DAYS)) == (80, 3)
    page = shown(lead.submit("/admin/settings/", _settings_form(attendance_threshold=120)))
    assert "Between 0 and 100." in page
    assert get_setting(ATTENDANCE_THRESHOLD) == 80


def test_the_settings_screen_saves_the_chase_interval(signed_in):
    lead = signed_in("team_lead")
    page = shown(lead.get("/admin/settings/"))
    assert "Chase overdue actions again after (days)" in page and 'value="7"' in page
    assert lead.submit("/admin/settings/", _settings_form(chase_days=14)).status_code == 302
    assert get_setting(CHASE_INTERVAL) == 14
    assert 'value="14"' in shown(lead.get("/admin/settings/"))


@pytest.mark.parametrize("days", ["0", "91", ""])
def test_the_chase_interval_is_one_to_ninety_days(signed_in, days):
    lead = signed_in("team_lead")
    message = "Enter a number." if days == "" else "Between 1 and 90 days."
    refused(lead, "/admin/settings/", _settings_form(chase_days=days), message)
    assert db.session.get(Setting, CHASE_INTERVAL) is None
    assert get_setting(CHASE_INTERVAL) == 7
