"""Migration 0020 on data recorded before it: each onward referral sent by "signposted" becomes a signposting row
(its chases kept in its notes, the move in the audit trail), and each plan's goals are numbered in the order they
were added."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from models import (
    ActionChase,
    AuditAction,
    AuditEntry,
    OnwardMethod,
    OnwardOutcome,
    OnwardReferral,
    Signposting,
    db,
)
from tests.conftest import USE_POSTGRES

pytestmark = pytest.mark.skipif(USE_POSTGRES, reason="downgrades are walked on SQLite (test_migrations.py)")


def test_signposting_recorded_as_a_referral_moves_to_its_own_record(create_patient, make_user):
    patient, user = create_patient(), make_user("coordinator")
    patient_id, user_id = patient.id, user.id
    db.session.remove()
    downgrade(revision="0019")
    with db.engine.begin() as conn:
        insert = text(
            "INSERT INTO onward_referral (patient_id, service, referred_on, reason, method, referred_by_id, outcome, "
            "created_at, updated_at, version) VALUES (:p, :service, :on, :reason, :method, :by, 'waiting', "
            "'2026-11-03 10:00:00', '2026-11-03 10:00:00', 1)"
        )
        conn.execute(
            insert,
            dict(
                p=patient_id,
                service="Dementia support hub",
                on=date(2026, 11, 3),
                reason="Memory cafe on Thursdays; leaflet given",
                method="signposted",
                by=user_id,
            ),
        )
        conn.execute(insert, dict(p=patient_id, service="Falls clinic", on=date(2026, 11, 4), reason="Falls",
                                  method="email", by=user_id))  # fmt: skip
        signposted = conn.execute(text("SELECT id FROM onward_referral WHERE method = 'signposted'")).scalar()
        conn.execute(
            text("INSERT INTO action_chase (onward_referral_id, chased_at, chased_by_id, method, note) "
                 "VALUES (:r, '2026-11-20 14:30:00', :by, 'phone', 'Daughter says they went once')"),
            dict(r=signposted, by=user_id),
        )  # fmt: skip
    upgrade()

    moved = db.session.scalars(select(Signposting)).one()
    assert (moved.patient_id, moved.service, moved.given_on, moved.what, moved.given_by_id, moved.given_to) == (
        patient_id, "Dementia support hub", date(2026, 11, 3), "Memory cafe on Thursdays; leaflet given", user_id, None,
    )  # fmt: skip
    # 14:30 UTC on 20/11/2026 is 14:30 in London (winter time)
    assert (
        moved.notes
        == "Chased while recorded as an onward referral: 20/11/2026 14:30 by phone: Daughter says they went once"
    )
    assert moved.created_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    referral = db.session.scalars(select(OnwardReferral)).one()  # the real referral stays, waiting
    assert (referral.service, referral.method, referral.outcome) == (
        "Falls clinic", OnwardMethod.email, OnwardOutcome.waiting,
    )  # fmt: skip
    assert db.session.scalars(select(ActionChase)).all() == []
    trail = db.session.scalars(
        select(AuditEntry).where(AuditEntry.table_name.in_(["onward_referral", "signposting"])).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.table_name, e.record_id, e.patient_id) for e in trail] == [
        (AuditAction.delete, "onward_referral", signposted, patient_id),
        (AuditAction.create, "signposting", moved.id, patient_id),
    ]
    assert trail[0].reason.endswith(f"now signposting {moved.id}") and "migration 0020" in trail[1].reason


def test_goals_are_numbered_in_the_order_they_were_added(create_care_plan):
    plan_ids = [create_care_plan().id, create_care_plan().id]
    db.session.remove()
    downgrade(revision="0019")
    with db.engine.begin() as conn:
        for plan_id, words in ((plan_ids[0], "First"), (plan_ids[1], "Other"), (plan_ids[0], "Second")):
            conn.execute(
                text("INSERT INTO goal (care_plan_id, description, domain, status, created_at, updated_at, version) "
                     "VALUES (:plan, :words, 'social', 'proposed', '2026-11-03 10:00:00', '2026-11-03 10:00:00', 1)"),
                dict(plan=plan_id, words=words),
            )  # fmt: skip
    upgrade()
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT description, position FROM goal ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("First", 1), ("Other", 1), ("Second", 2)]
