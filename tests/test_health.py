"""`/health`, the load balancer's check: 200 while the database answers, 503 when it does not; no sign-in, no
session cookie, no audit entry, no patient data."""

from __future__ import annotations

import logging

from models import AuditEntry, db
from tests.conftest import USE_POSTGRES, base_config


def _entries() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(AuditEntry))


def test_the_check_answers_ok_to_anyone_and_leaves_no_trace(app, client, create_patient):
    create_patient(family_name="Nightingale")
    before = _entries()
    response = client.get("/health?probe=1")
    assert response.status_code == 200
    assert (response.get_data(as_text=True), response.mimetype) == ("ok\n", "text/plain")
    assert "Set-Cookie" not in response.headers  # no session is started for it
    assert response.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    assert _entries() == before  # not audited: it reads nothing about anyone


def test_a_database_that_does_not_answer_makes_it_503(another_app, caplog):
    nowhere = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere" if USE_POSTGRES else "sqlite:////nonexistent/ilr.db"
    unreachable = another_app(base_config(nowhere))
    caplog.set_level(logging.WARNING)
    response = unreachable.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "unavailable\n"
    assert "Health check: no connection to the database (OperationalError)" in caplog.text
