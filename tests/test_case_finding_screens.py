"""The case-finding screens through the real stack: importing a list in four steps, the history and its download,
the case-finding list, suggesting patients to their practice and the team lead's months."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from formats.dates import today
from models import (
    CaseStatus,
    ListImport,
    ListImportRefusal,
    OrganisationType,
    OutboxEmail,
    Patient,
    PracticeSuggestion,
    RiskBand,
    Role,
    db,
)
from tests.conftest import page_text
from tests.factories import nhs_number, shown
from tests.test_case_finding_import import csv_bytes

FIVE_CONDITIONS = "Heart failure\nCOPD\nDiabetes\nCKD\nDementia"


@pytest.fixture
def practice(make_org):
    return make_org(name="Riverside Surgery", type=OrganisationType.gp_practice, ods_code="Y01234",
                    secure_email="riverside.surgery@nhs.net")  # fmt: skip


@pytest.fixture
def uploads(app, tmp_path):
    app.config["CASE_FINDING_UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def high_priority(create_patient, practice, **overrides):
    patient = create_patient(cfs=8, efi=Decimal("0.5"), long_term_conditions=FIVE_CONDITIONS,
                             gp_practice_id=practice.id, **overrides)  # fmt: skip
    assert db.session.get(Patient, patient.id).risk_band is RiskBand.high
    return patient


def upload(client, data: bytes, filename: str = "search.csv", source: str = "practice_search"):
    return client.submit("/admin/lists/upload", {"file": (io.BytesIO(data), filename), "source": source},
                         content_type="multipart/form-data")  # fmt: skip


def test_a_list_is_uploaded_mapped_previewed_and_confirmed(signed_in, create_patient, practice, uploads):
    client = signed_in(Role.coordinator)
    held = create_patient(gp_practice_id=practice.id)
    new = nhs_number()
    rows = [[held.nhs_number, "Ada", "Lovelace", "02/01/1940", "Y01234", "0.5", "8", ""],
            [new, "Bea", "New", "03/03/1939", "Y01234", "0.45", "7", ""],
            ["123", "Bad", "Number", "", "", "", "", ""]]  # fmt: skip
    answer = upload(client, csv_bytes(rows))
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/lists/mapping")
    assert len(list(uploads.glob("*.upload"))) == 1
    mapping_page = shown(client.get("/admin/lists/mapping"))
    assert '<option selected value="NHS Number">' in mapping_page  # guessed from the headings
    form = {"map_nhs_number": "NHS Number", "map_given_name": "Forename", "map_family_name": "Surname",
            "map_date_of_birth": "DOB", "map_practice_ods": "Practice Code", "map_efi": "eFI", "map_cfs": "CFS",
            "create_new": "y"}  # fmt: skip
    preview = shown(client.submit("/admin/lists/mapping", form))
    assert "What importing search.csv would do" in preview
    assert "Bad NHS number" in preview and "added as new patients" in preview
    assert db.session.scalar(select(func.count()).select_from(ListImport)) == 0
    done = client.submit("/admin/lists/confirm")
    record = db.session.scalar(select(ListImport))
    assert done.headers["Location"].endswith(f"/admin/lists/{record.id}/")
    assert (record.matched, record.new, record.refused, record.created_new) == (1, 1, 1, True)
    assert not list(uploads.glob("*.upload"))  # the file is not kept
    assert db.session.get(Patient, held.id).cfs == 8
    page = shown(client.get(f"/admin/lists/{record.id}/"))
    assert "Download all 1 refused row" in page
    history = shown(client.get("/admin/lists/"))
    assert "search.csv" in history and "GP practice search" in history


def test_a_hostile_upload_is_refused_in_words_and_nothing_waits(app, signed_in, uploads):
    client = signed_in(Role.coordinator)
    app.config["CASE_FINDING_MAX_ROWS"] = 1
    answer = upload(client, csv_bytes([[nhs_number()] + [""] * 7] * 2))
    assert answer.status_code == 302
    assert "more than 1 rows" in shown(client.get("/admin/lists/"))
    assert not uploads.exists() or not list(uploads.glob("*.upload"))
    assert upload(client, b"%PDF-1.4\x00\x00", "scan.pdf").status_code == 302
    assert "scan.pdf is not a spreadsheet" in shown(client.get("/admin/lists/"))


def test_the_refused_rows_download_makes_formulas_inert(signed_in, uploads):
    client = signed_in(Role.team_lead)
    upload(client, csv_bytes([["=cmd|' /C calc'!A0", "Eve", "", "", "", "", "", ""]]))
    client.submit("/admin/lists/mapping", {"map_nhs_number": "NHS Number", "map_given_name": "Forename"})
    client.submit("/admin/lists/confirm")
    record = db.session.scalar(select(ListImport))
    assert db.session.scalar(select(ListImportRefusal.reason)).startswith("Formula in a cell: NHS number")
    download = client.get(f"/admin/lists/{record.id}/refused.csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["Row", "Reason", "Values as read"]
    assert rows[1][2] == "'=cmd|' /C calc'!A0"


def test_the_list_shows_high_priority_people_not_referred_by_practice(
    signed_in, create_patient, create_episode, create_referral, create_agenda_item, practice
):
    client = signed_in(Role.coordinator)
    listed = high_priority(create_patient, practice, family_name="Listed")
    on_caseload = high_priority(create_patient, practice, family_name="Caseload")
    create_episode(patient=on_caseload)
    awaiting = high_priority(create_patient, practice, family_name="Awaiting")
    create_referral(patient=awaiting)
    discussed = high_priority(create_patient, practice, family_name="Discussed")
    item = create_agenda_item(patient=discussed)
    item.status = CaseStatus.discussed
    db.session.commit()
    create_patient(family_name="Lowrisk", gp_practice_id=practice.id)
    page = shown(client.get("/admin/case-finding/"))
    assert "Riverside Surgery" in page and "LISTED, Ada" in page
    for name in ("CASELOAD", "AWAITING", "DISCUSSED", "LOWRISK"):
        assert name not in page
    assert "CFS 8 living with very severe frailty (3)" in page
    assert f"/admin/intake/?patient_id={listed.id}" in page
    assert "Typed in" in page


def test_suggesting_to_a_practice_emails_its_secure_address_with_minimum_data(signed_in, create_patient, practice):
    client = signed_in(Role.coordinator)
    patient = high_priority(create_patient, practice, address="1 Secret Street", phone="01234 567890")
    answer = client.submit("/admin/case-finding/suggest", {"practice_id": practice.id, "patient_ids": [patient.id]})
    assert answer.status_code == 302
    email = db.session.scalar(select(OutboxEmail))
    assert email.to_address == "riverside.surgery@nhs.net" and email.contains_patient_data
    assert "LOVELACE, Ada" in email.body_text and "born 02/01/1940" in email.body_text
    assert "CFS 8" in email.body_text
    assert "Secret Street" not in email.body_text and "01234" not in email.body_text
    assert db.session.scalar(select(PracticeSuggestion.email_id)) == email.id
    assert f"Suggested to the practice on {today():%d/%m/%Y}" in shown(client.get("/admin/case-finding/"))


@pytest.mark.parametrize("address", [None, "reception@riverside.example.com"])
def test_a_practice_without_a_secure_address_is_refused_in_words(signed_in, create_patient, make_org, address):
    client = signed_in(Role.coordinator)
    practice = make_org(name="Hill Surgery", type=OrganisationType.gp_practice, secure_email=address)
    patient = high_priority(create_patient, practice)
    client.submit("/admin/case-finding/suggest", {"practice_id": practice.id, "patient_ids": [patient.id]})
    page = shown(client.get("/admin/case-finding/"))
    assert "no secure email address recorded" in page or "is not a secure address" in page
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0


def test_the_team_lead_sets_the_months_since_discussed(signed_in, create_patient, create_agenda_item, practice):
    lead = signed_in(Role.team_lead)
    patient = high_priority(create_patient, practice, family_name="Discussed")
    item = create_agenda_item(patient=patient)
    item.status = CaseStatus.discussed
    item.meeting.starts_at = item.meeting.starts_at - timedelta(days=70)
    db.session.commit()
    assert "DISCUSSED" not in shown(lead.get("/admin/case-finding/"))
    lead.submit("/admin/case-finding/months", {"months": "1"})
    assert "DISCUSSED, Ada" in shown(lead.get("/admin/case-finding/"))


def test_partners_and_observers_see_none_of_it(signed_in):
    for role in (Role.partner, Role.read_only):
        client = signed_in(role)
        for url in ("/admin/case-finding/", "/admin/lists/"):
            assert client.get(url).status_code == 403
        assert "Case finding" not in page_text(client.get("/admin/"))


def test_the_case_finding_list_is_in_the_patients_menu(signed_in):
    page = page_text(signed_in(Role.coordinator).get("/admin/"))
    assert "/admin/case-finding/" in page and "/admin/lists/" in page
