"""Archiving and restoring records: only live rows are archived, only archived rows restored, each with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from models import AuditAction, AuditEntry, db, utcnow
from services import records

#: When an earlier archive happened: it must survive a second archive untouched.
EARLIER = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _updates(table: str, record_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            db.select(AuditEntry)
            .where(
                AuditEntry.table_name == table,
                AuditEntry.record_id == record_id,
                AuditEntry.action == AuditAction.update,
            )
            .order_by(AuditEntry.id)
        )
    )


def test_archive_counts_only_live_rows_and_sets_archived_at(make_user, create_patient, create_episode):
    lead = make_user("team_lead", name="Tess Lead")
    live_patient, live_episode = create_patient(), create_episode()
    already = create_patient(family_name="Babbage", archived_at=EARLIER)
    before = utcnow()
    assert records.archive_records([live_patient, live_episode, already], lead) == 2
    after = utcnow()
    db.session.commit()
    db.session.expire_all()
    assert before <= live_patient.archived_at <= after
    assert before <= live_episode.archived_at <= after
    assert already.archived_at == EARLIER


def test_archive_is_audited_as_archived_by_the_user(make_user, create_patient):
    lead = make_user("team_lead", name="Tess Lead")
    patient = create_patient()
    already = create_patient(family_name="Babbage", archived_at=EARLIER)
    records.archive_records([patient, already], lead)
    db.session.commit()
    [entry] = _updates("patient", patient.id)
    assert entry.reason == "Archived by Tess Lead"
    assert entry.patient_id == patient.id
    assert json.loads(entry.changes)["archived_at"][0] is None
    assert _updates("patient", already.id) == []


def test_archiving_nothing_live_returns_zero(make_user, create_patient):
    lead = make_user("team_lead", name="Tess Lead")
    assert records.archive_records([create_patient(archived_at=EARLIER)], lead) == 0
    assert records.archive_records([], lead) == 0


def test_restore_counts_only_archived_rows_and_clears_archived_at(make_user, create_patient, create_episode):
    lead = make_user("team_lead", name="Tess Lead")
    archived_patient = create_patient(archived_at=EARLIER)
    archived_episode = create_episode(archived_at=EARLIER)
    live = create_patient(family_name="Babbage")
    assert records.restore_records([archived_patient, archived_episode, live], lead) == 2
    db.session.commit()
    db.session.expire_all()
    assert (archived_patient.archived_at, archived_episode.archived_at, live.archived_at) == (None, None, None)
    [entry] = _updates("patient", archived_patient.id)
    assert entry.reason == "Restored by Tess Lead"
    assert json.loads(entry.changes)["archived_at"][1] is None
    assert [e.reason for e in _updates("episode", archived_episode.id)] == ["Restored by Tess Lead"]
    assert _updates("patient", live.id) == []


def test_archive_then_restore_round_trip(make_user, create_patient):
    lead, coordinator = make_user("team_lead", name="Tess Lead"), make_user(name="Cara Coordinator")
    patient = create_patient()
    assert records.archive_records([patient], coordinator) == 1
    assert records.restore_records([patient], lead) == 1
    db.session.commit()
    assert patient.archived_at is None
    assert [e.reason for e in _updates("patient", patient.id)] == [
        "Archived by Cara Coordinator",
        "Restored by Tess Lead",
    ]
