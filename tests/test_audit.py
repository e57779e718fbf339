"""The audit trail: before/after of changes, reasons, reads, exports, sign-ins; nobody edits it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import delete, update

from formats.dates import today as london_today
from models import AuditAction, AuditEntry, Organisation, Patient, Sex, db
from services import audit
from tests.conftest import Client, page_text


def _entries(**where):
    query = db.select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return db.session.scalars(query).all()


def _patient(**overrides) -> Patient:
    values = dict(
        given_name="Ada",
        family_name="Lovelace",
        date_of_birth=date(1940, 1, 2),
        sex=Sex.female,
        nhs_number="9990000018",
    )
    values.update(overrides)
    patient = Patient(**values)
    db.session.add(patient)
    db.session.commit()
    return patient


def test_edit_through_the_screen_records_before_and_after(signed_in, make_org):
    org = make_org(name="Before Name", ods_code="AUD001")
    lead = signed_in("team_lead")
    response = lead.submit(
        f"/admin/organisation/edit/?id={org.id}",
        {"name": "After Name", "type": "other", "ods_code": "AUD001", "expected_version": ""},
    )
    assert response.status_code == 302, page_text(response)
    [entry] = _entries(action=AuditAction.update, table_name="organisation", record_id=org.id)
    assert entry.user_id == lead.user.id
    assert json.loads(entry.changes)["name"] == ["Before Name", "After Name"]
    screen = page_text(lead.get("/admin/audit/?flt0_kind_of_record_is=organisation"))
    assert "Before Name" in screen and "After Name" in screen


def test_create_records_the_new_values(app, make_org):
    org = make_org(name="Brand New", ods_code="AUD002")
    [entry] = _entries(action=AuditAction.create, table_name="organisation", record_id=org.id)
    assert json.loads(entry.changes)["name"] == [None, "Brand New"]


def test_a_service_reason_is_recorded(app, make_org):
    org = make_org()
    with audit.reason("Merged with the neighbouring practice"):
        org.name = "Merged Practice"
        db.session.commit()
    [entry] = _entries(action=AuditAction.update, record_id=org.id, table_name="organisation")
    assert entry.reason == "Merged with the neighbouring practice"


def test_passwords_never_enter_the_trail(app, make_user):
    user = make_user()
    user.set_password("another-long-password")
    db.session.commit()
    for entry in _entries(table_name="user_account"):
        assert user.password_hash not in (entry.changes or "")
        assert "pbkdf2" not in (entry.changes or "")


def test_patient_changes_carry_the_patient(app):
    patient = _patient()
    patient.postcode = "ME1 1AA"
    db.session.commit()
    entries = _entries(table_name="patient", record_id=patient.id)
    assert [e.action for e in entries] == [AuditAction.create, AuditAction.update]
    assert all(e.patient_id == patient.id for e in entries)


def test_audit_entries_cannot_be_changed_or_deleted(app, make_org):
    make_org()
    entry = _entries()[0]
    entry.detail = "rewritten"
    with pytest.raises(audit.AuditTampering):
        db.session.commit()
    db.session.rollback()
    db.session.delete(_entries()[0])
    with pytest.raises(audit.AuditTampering):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        update(Organisation).values(name="x"),
        delete(Organisation),
        update(AuditEntry).values(detail="x"),
        delete(AuditEntry),
    ],
)
def test_bulk_statements_on_audited_tables_are_refused(app, make_org, statement):
    make_org()
    with pytest.raises(audit.AuditTampering):
        db.session.execute(statement)
    db.session.rollback()


def test_opening_a_record_page_is_audited(signed_in, make_org):
    org = make_org()
    coordinator = signed_in("coordinator")
    assert coordinator.get(f"/admin/organisation/details/?id={org.id}").status_code == 200
    [entry] = _entries(action=AuditAction.view, record_id=org.id)
    assert entry.user_id == coordinator.user.id and entry.table_name == "organisation"


def test_export_is_audited_with_its_filter_and_row_count(signed_in, make_org):
    make_org(name="Exported One")
    lead = signed_in("team_lead")
    lead.get("/admin/organisation/export/csv/?search=Exported")
    [entry] = _entries(action=AuditAction.export)
    assert "search=Exported" in entry.detail and "rows=1" in entry.detail and entry.detail.startswith("csv")


def test_sign_in_success_failure_and_sign_out_are_audited(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    client.attempt_sign_in(user, "wrong-password-here")
    client.sign_in(user)
    client.sign_out()
    actions = [e.action for e in _entries(user_id=user.id)]
    # The password's acceptance is a line of its own: a walk-away at the code page leaves a trace.
    assert actions == [AuditAction.sign_in_failed, AuditAction.first_step_passed, AuditAction.sign_in,
                       AuditAction.sign_out]  # fmt: skip
    failed = _entries(action=AuditAction.sign_in_failed)[0]
    assert user.email in failed.detail
    assert _entries(action=AuditAction.first_step_passed)[0].detail == "password"


def test_only_the_team_lead_sees_the_trail_and_nobody_edits_it(signed_in, make_org):
    make_org()
    entry_id = _entries()[0].id
    assert signed_in("coordinator").get("/admin/audit/").status_code == 403
    assert signed_in("read_only").get("/admin/audit/").status_code == 403
    lead = signed_in("team_lead")
    assert lead.get("/admin/audit/").status_code == 200
    assert lead.get(f"/admin/audit/edit/?id={entry_id}").status_code == 403
    assert lead.get("/admin/audit/new/").status_code == 403
    assert lead.submit("/admin/audit/delete/", {"id": entry_id}).status_code == 403


def test_audit_screen_filters_by_person_and_date(signed_in, make_org):
    make_org(name="Filter Me")
    lead = signed_in("team_lead")
    text = page_text(lead.get(f"/admin/audit/?flt0_person_is={lead.user.id}"))
    assert "Signed in" in text and "Filter Me" not in text  # the organisation was added by no one signed in
    today = london_today().strftime("%d/%m/%Y")
    text = page_text(lead.get(f"/admin/audit/?flt0_when_on_ddmmyyyy={today}"))
    assert "Filter Me" in text and "is not a value this filter can take" not in text


# --- stale edits --------------------------------------------------------------------------------


def test_a_stale_edit_is_refused_and_keeps_the_text(app, signed_in):
    """Two people open the same patient; the second save is refused with their text kept."""
    patient = _patient()
    first, second = signed_in("coordinator"), signed_in("coordinator")
    form = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "date_of_birth": "1940-01-02",
        "sex": "female",
        "expected_version": str(patient.version),
    }
    assert 'name="expected_version"' in page_text(first.get(f"/admin/patient/edit/?id={patient.id}"))
    one = first.submit(f"/admin/patient/edit/?id={patient.id}", form | {"address": "1 First Street"})
    assert one.status_code == 302, page_text(one)
    two = second.submit(f"/admin/patient/edit/?id={patient.id}", form | {"address": "2 Second Street"})
    text = page_text(two)
    assert two.status_code == 200
    assert "Someone else saved this record after you opened it" in text
    assert "2 Second Street" in text
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).address == "1 First Street"


def test_changes_written_a_batch_at_a_time_are_audited_as_the_flush_audits_them(app):
    by_flush, in_bulk = _patient(), _patient(nhs_number="9990000026", given_name="Bo")
    version = in_bulk.version  # both read, as a list import reads its patients
    for patient in (by_flush, in_bulk):
        patient.postcode, patient.cfs = "ME1 1AA", 6
    with audit.reason("Figures from a list"):
        assert audit.update_audited([in_bulk]) == 1
        db.session.commit()  # the flush writes by_flush; in_bulk is already written and left as saved
    # Each one's first change after its creation (the flush then recomputes by_flush's risk: a later entry).
    flushed, bulk = (_entries(table_name="patient", record_id=p.id)[1] for p in (by_flush, in_bulk))
    assert bulk.action == flushed.action == AuditAction.update and bulk.reason == "Figures from a list"
    assert json.loads(bulk.changes) == json.loads(flushed.changes) == {"postcode": [None, "ME1 1AA"], "cfs": [None, 6]}
    assert bulk.patient_id == in_bulk.id and len(_entries(table_name="patient", record_id=in_bulk.id)) == 2
    db.session.expire_all()
    assert (in_bulk.postcode, in_bulk.cfs, in_bulk.version) == ("ME1 1AA", 6, version + 1)


def test_a_batch_write_refuses_a_row_someone_else_changed_meanwhile(app):
    from sqlalchemy.orm.exc import StaleDataError

    patient = _patient()
    assert patient.version == 1  # read, then changed here while someone else saves it
    patient.cfs = 5
    table = Patient.__table__
    db.session.connection().execute(update(table).where(table.c.id == patient.id).values(version=table.c.version + 1))
    with pytest.raises(StaleDataError):
        audit.update_audited([patient])
    db.session.rollback()


def test_a_batch_write_of_rows_changing_different_columns_keeps_each_rows_own_change(app):
    first, second = _patient(), _patient(nhs_number="9990000034", given_name="Bo")
    held = (first.cfs, first.postcode, second.cfs)
    first.cfs, second.postcode = 7, "TN1 1AA"
    with audit.reason("Figures from a list"):
        assert audit.update_audited([first, second]) == 2  # one statement, both columns, each row's own values
        db.session.commit()
    db.session.expire_all()
    assert (first.cfs, first.postcode, second.cfs, second.postcode) == (7, held[1], held[2], "TN1 1AA")
    assert json.loads(_entries(table_name="patient", record_id=first.id)[-1].changes) == {"cfs": [held[0], 7]}
    assert json.loads(_entries(table_name="patient", record_id=second.id)[-1].changes) == {
        "postcode": [None, "TN1 1AA"]
    }


def test_rows_inserted_a_batch_at_a_time_get_their_own_ids_and_trail_entries(app):
    from models import HospitalEvent, HospitalEventKind, utcnow

    patients, now = [_patient(), _patient(nhs_number="9990000026", given_name="Bo")], utcnow()
    rows = [
        dict(patient_id=patient.id, kind=HospitalEventKind.admission, occurred_on=date(2026, 3, day), created_at=now,
             updated_at=now)
        for day, patient in ((4, patients[0]), (5, patients[1]), (6, patients[0]))
    ]  # fmt: skip
    with audit.reason("Events from a list"):
        ids = audit.insert_audited(HospitalEvent, rows, batch=2)  # two batches: on PostgreSQL, ids taken then COPY
    db.session.commit()
    saved = {e.id: (e.patient_id, e.occurred_on, e.search_words) for e in db.session.scalars(db.select(HospitalEvent))}
    assert [saved[i][:2] for i in ids] == [(row["patient_id"], row["occurred_on"]) for row in rows]
    assert {words for *_, words in saved.values()} == {""}  # a column left out takes the database's default
    for record_id, row in zip(ids, rows, strict=True):
        (entry,) = _entries(table_name="hospital_event", record_id=record_id)
        assert entry.patient_id == row["patient_id"] and entry.reason == "Events from a list"
        assert json.loads(entry.changes)["occurred_on"] == [None, row["occurred_on"].isoformat()]
