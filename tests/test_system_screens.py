"""The outbox, documents generated and settings screens."""

from __future__ import annotations

import pytest

from models import DocumentKind, EmailStatus, GeneratedDocument, OutboxEmail, Setting, db
from tests.factories import shown


def _email(**overrides) -> OutboxEmail:
    values = dict(
        to_address="gp@nhs.net",
        subject="Minutes: Medway North ILR",
        body_text="Dear colleague,\nThe minutes are attached.",
        purpose="minutes",
        contains_patient_data=True,
    )
    values.update(overrides)
    email = OutboxEmail(**values)
    db.session.add(email)
    db.session.commit()
    return email


def _settings() -> dict[str, str]:
    db.session.expire_all()
    return {s.key: s.value for s in db.session.scalars(db.select(Setting))}


# --- the outbox -----------------------------------------------------------------------------------


def test_staff_read_the_outbox(signed_in):
    email = _email()
    _email(
        to_address="sam@medway.gov.uk",
        subject="Are you free?",
        purpose="availability",
        status=EmailStatus.sent,
        contains_patient_data=False,
    )
    coordinator = signed_in("coordinator")
    page = shown(coordinator.get("/admin/outbox_email/?flt0_status_equals=pending"))
    assert "Minutes: Medway North ILR" in page and "Are you free?" not in page and "Waiting to send" in page
    page = shown(coordinator.get("/admin/outbox_email/?search=medway.gov.uk"))
    assert "Are you free?" in page and "Minutes: Medway North ILR" not in page
    details = shown(coordinator.get(f"/admin/outbox_email/details/?id={email.id}"))
    assert "<pre class='mb-0'>Dear colleague,\nThe minutes are attached.</pre>" in details


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_only_staff_see_the_outbox(signed_in, role):
    email = _email()
    client = signed_in(role)
    assert client.get("/admin/outbox_email/").status_code == 403
    assert client.get(f"/admin/outbox_email/details/?id={email.id}").status_code == 403


def test_nobody_writes_or_edits_emails_by_hand(signed_in):
    email = _email()
    lead = signed_in("team_lead")
    assert lead.get("/admin/outbox_email/new/").status_code == 403
    assert (
        lead.submit(
            "/admin/outbox_email/new/", {"to_address": "x@nhs.net", "subject": "Forged", "body_text": "x"}
        ).status_code
        == 403
    )
    assert lead.submit(f"/admin/outbox_email/edit/?id={email.id}", {"subject": "Changed"}).status_code == 403
    db.session.expire_all()
    assert [e.subject for e in db.session.scalars(db.select(OutboxEmail))] == ["Minutes: Medway North ILR"]


# --- documents generated --------------------------------------------------------------------------


def test_documents_generated_are_listed_read_only(signed_in, make_user):
    db.session.add_all(
        [
            GeneratedDocument(
                kind=DocumentKind.minutes, filename="minutes-2026-11-25.docx", generated_by=make_user(), size_bytes=2048
            ),
            GeneratedDocument(kind=DocumentKind.agenda, filename="agenda-2026-11-25.docx"),
        ]
    )
    db.session.commit()
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/generated_document/?flt0_document_equals=minutes"))
    assert "minutes-2026-11-25.docx" in page and "agenda-2026-11-25.docx" not in page
    coordinator = signed_in("coordinator")
    assert coordinator.get("/admin/generated_document/new/").status_code == 403
    assert (
        coordinator.submit("/admin/generated_document/new/", {"kind": "minutes", "filename": "forged.docx"}).status_code
        == 403
    )
    assert signed_in("partner").get("/admin/generated_document/").status_code == 403
    assert (
        db.session.scalars(db.select(GeneratedDocument).where(GeneratedDocument.filename == "forged.docx")).first()
        is None
    )


# --- settings -------------------------------------------------------------------------------------


def test_settings_change_only_on_their_own_form(signed_in):
    """No table of raw keys and JSON values: the settings form is the one way in (it checks what it saves)."""
    lead = signed_in("team_lead")
    assert lead.get("/admin/setting/").status_code == 404
    page = shown(lead.get("/admin/settings/"))
    assert "Agenda cut-off (working days before the meeting)" in page
    assert "Value (JSON)" not in page and "agenda_cutoff_working_days" not in page.split("<main")[1]
    assert "/admin/setting/" not in shown(lead.get("/admin/"))  # not in any menu


@pytest.mark.parametrize("role", ["coordinator", "read_only", "partner"])
def test_only_the_team_lead_changes_settings(signed_in, role):
    db.session.add(Setting(key="agenda_cutoff_working_days", value="2"))
    db.session.commit()
    client = signed_in(role)
    assert client.submit("/admin/settings/", {"cutoff_days": "9"}).status_code == 403
    assert _settings() == {"agenda_cutoff_working_days": "2"}
