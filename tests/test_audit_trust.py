"""Nothing lost, nothing hidden: reads recorded with their patients, refusals recorded, the trail beyond the
reach of SQL, sealed and verified; no patient data in the logs; backups taken while writing."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import create_app
from models import AuditAction, AuditEntry, Patient, Referral, Role, db
from services import meeting_room
from services.audit_seal import seal_audit, verify_audit
from services.backups import backup_sqlite, verify_backup
from tests.conftest import USE_POSTGRES, base_config
from tests.meeting_fixtures import build_world

#: Every trigger the app relies on at the head revision (SQLite batch migrations drop a table's triggers when
#: they rebuild it: a later migration altering these tables must create them again).
TRIGGERS = {"audit_entry_no_update", "audit_entry_no_delete"}


def _entries(**where) -> list[AuditEntry]:
    db.session.expire_all()
    query = db.select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(query))


# --- the trail beyond the reach of SQL ----------------------------------------------------------------------


def test_the_database_refuses_update_and_delete_on_the_audit_trail(app, make_user):
    make_user()  # writes an entry
    for statement in ("UPDATE audit_entry SET detail = 'rewritten'", "DELETE FROM audit_entry"):
        refused = pytest.raises(DBAPIError, match="audit entries cannot be changed or deleted")
        with refused, db.engine.begin() as connection:
            connection.execute(text(statement))
    assert all(e.detail != "rewritten" for e in _entries()) and _entries()


def test_the_head_revision_has_every_trigger_the_app_relies_on(app):
    with db.engine.connect() as connection:
        if USE_POSTGRES:
            names = connection.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
        else:
            names = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        assert set(names) >= TRIGGERS


# --- reads and refusals recorded ----------------------------------------------------------------------------------


def test_agenda_and_minutes_pages_record_every_patient_they_show(make_user, signed_in):
    world = build_world(make_user("coordinator"), cases=2)
    coordinator = signed_in()
    listed = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator.user)
    db.session.commit()
    coordinator.get(f"/admin/meeting-room/{world.meeting.id}/")
    agenda = {e.patient_id for e in _entries(action=AuditAction.view, table_name="meeting")}
    assert agenda == {world.episodes[0].patient_id, world.episodes[1].patient_id}  # listed, and the candidate
    coordinator.get(f"/admin/meeting-room/{world.meeting.id}/minutes")
    minutes = [e for e in _entries(action=AuditAction.view) if e.detail == f"minutes of meeting {world.meeting.id}"]
    assert [e.patient_id for e in minutes] == [listed.patient_id]


def test_an_intake_search_records_the_patients_it_found(signed_in, create_patient):
    found = create_patient(family_name="Seacole", date_of_birth=date(1940, 1, 2))
    signed_in().get("/admin/intake/?family_name=Seacole&date_of_birth=1940-01-02")
    (entry,) = _entries(action=AuditAction.list, table_name="patient")
    assert entry.patient_id == found.id and "intake search" in entry.detail


def test_a_document_records_every_patient_in_it(make_user, signed_in):
    world = build_world(make_user("coordinator"), cases=2)
    coordinator = signed_in()
    for episode in world.episodes:
        meeting_room.add_case_to_agenda(world.meeting, episode, coordinator.user)
    db.session.commit()
    coordinator.get(f"/admin/meeting-room/{world.meeting.id}/document/agenda")
    named = {e.patient_id for e in _entries(action=AuditAction.document) if e.patient_id}
    assert named == {e.patient_id for e in world.episodes}


def test_a_refused_request_is_recorded_after_its_own_work_is_rolled_back(signed_in):
    reader = signed_in(Role.read_only)
    assert reader.get("/admin/user/").status_code == 403
    (refusal,) = _entries(action=AuditAction.refused)
    assert (refusal.user_id, refusal.detail) == (reader.user.id, "GET /admin/user/ refused with 403")


def test_entries_carry_the_client_address_and_the_users_organisation(signed_in, make_org):
    agency = make_org(name="Medway Social Services")
    lead = signed_in(Role.team_lead, organisation=agency)
    lead.get("/admin/patient/")
    (listed,) = _entries(action=AuditAction.list, table_name="patient")
    assert (listed.user_id, listed.organisation_id, listed.client_address) == (lead.user.id, agency.id, "127.0.0.1")


# --- seals ------------------------------------------------------------------------------------------------------------


@pytest.mark.skipif(USE_POSTGRES, reason="tampering is shown by dropping SQLite's trigger for a moment")
def test_a_sealed_row_changed_later_is_named_by_the_check(app, make_user):
    make_user(name="One")
    make_user(name="Two")
    seal = seal_audit()
    db.session.commit()
    assert seal is not None and verify_audit().ok
    victim = _entries()[1].id
    db.session.commit()  # (release this session's hold on the file before the raw connection below)
    with db.engine.begin() as connection:  # an attacker with the database file, who drops the guard first
        connection.execute(text("DROP TRIGGER audit_entry_no_update"))
        connection.execute(text("UPDATE audit_entry SET detail = 'nothing to see' WHERE id = :id"), {"id": victim})
    result = verify_audit()
    assert not result.ok and result.first_bad_id == victim
    assert result.message == f"Audit entry {victim} no longer matches its seal."


def test_sealing_twice_seals_only_what_is_new_and_the_cli_says_so(app, make_user):
    make_user()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seal-audit"])
    assert first.exit_code == 0 and first.output.startswith("Sealed entries 1 to ")
    assert "Search words made for " in first.output  # the trail's words made by the same job
    assert runner.invoke(args=["seal-audit"]).output == "Nothing new to seal.\nSearch words made for 0 audit entries.\n"
    checked = runner.invoke(args=["verify-audit"])
    assert checked.exit_code == 0 and "match their seals" in checked.output


# --- no patient data in the logs -------------------------------------------------------------------------------


def test_a_refused_save_logs_the_constraint_not_the_values(signed_in, create_patient, caplog, monkeypatch):
    create_patient(nhs_number="9990000018", family_name="Nightingale")
    coordinator = signed_in()
    caplog.set_level(logging.INFO)
    form = {"nhs_number": "9990000018", "nhs_number_status": "01", "given_name": "Flo", "family_name": "Nightingale",
            "date_of_birth": "1940-01-01", "sex": "unknown"}  # fmt: skip
    # Past the form's own duplicate check (as a race would be): the database's unique constraint refuses it.
    monkeypatch.setattr("web.forms._others", lambda *args: False)
    monkeypatch.setattr("flask_admin.contrib.sqla.validators.Unique.__call__", lambda self, form, field: None)
    response = coordinator.submit("/admin/patient/new/", form)
    assert response.status_code == 200 and "clashes with a record already held" in response.get_data(as_text=True)
    logged = caplog.text
    assert "Save refused by the database" in logged
    assert "9990000018" not in logged and "Nightingale" not in logged


def test_engine_errors_carry_no_parameters(app):
    with pytest.raises(DBAPIError) as refused, db.engine.begin() as connection:
        connection.execute(text("INSERT INTO patient (nhs_number) VALUES (:n)"), {"n": "9990000018-secret"})
    assert "9990000018-secret" not in str(refused.value)


# --- backups -----------------------------------------------------------------------------------------------


@pytest.mark.skipif(USE_POSTGRES, reason="flask backup copies SQLite; PostgreSQL uses pg_dump (README)")
def test_a_backup_taken_while_writing_restores_and_opens(app, make_user, create_locality, create_patient, tmp_path):
    locality_id, patient_id = create_locality().id, create_patient().id
    stop = threading.Event()
    written = []

    def writer():
        connection = sqlite3.connect(database, timeout=30)
        while not stop.is_set() and len(written) < 200:
            connection.execute(
                "INSERT INTO referral (patient_id, locality_id, received_on, referrer_name, reason, consent, status, "
                "criteria_multiple_ltcs, criteria_complex_needs, criteria_frailty, criteria_multi_agency, "
                "criteria_urgent_care, created_at, updated_at, version) VALUES (?, ?, '2026-11-01', 'Dr W', 'Falls', "
                "'not_recorded', 'awaiting_triage', 0, 0, 0, 0, 0, '2026-11-01', '2026-11-01', 1)",
                (patient_id, locality_id),
            )
            connection.commit()
            written.append(1)
        connection.close()

    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    db.session.commit()
    thread = threading.Thread(target=writer)
    thread.start()
    copy = tmp_path / "backup.sqlite"
    try:
        backup_sqlite(str(copy))
    finally:
        stop.set()
        thread.join()
    report = verify_backup(str(copy))
    assert report.ok, report.message
    restored = create_app(base_config(f"sqlite:///{copy}"))
    with restored.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Patient)) == 1
        assert 0 <= db.session.scalar(db.select(db.func.count()).select_from(Referral)) <= len(written)
        db.session.remove()
        db.engine.dispose()


def test_a_damaged_backup_is_refused(app, tmp_path):
    bad = tmp_path / "not-a-backup.sqlite"
    bad.write_bytes(b"this is not a database")
    report = verify_backup(str(bad))
    assert not report.ok and report.message.startswith("Not a usable backup")
