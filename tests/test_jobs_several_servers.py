"""The scheduled jobs on two app servers at once (PostgreSQL): each email sent once, each action chased once,
one seal.

Each job runs twice with a fixed interleaving and no sleeps: the first run (a thread with its own app context,
session and connection, as on another server) is held inside its claim, at a patched function, while the second
(the real `flask` command) runs to its end; then the first is let go. The outbox's claim is the email's row
(`FOR UPDATE SKIP LOCKED`), so the second sender takes the other emails; chasing and sealing claim the whole job
(an advisory lock), so the second run does nothing and says so.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask.cli import ScriptInfo

from cli import chase_overdue_command, seal_audit_command, send_outbox_command
from formats.dates import today
from models import ActionChase, AuditSeal, EmailAttempt, EmailStatus, OrganisationType, OutboxEmail, db
from services import audit_seal, chasing, outbox
from services.audit_seal import verify_audit
from services.outbox import queue_email
from tests.conftest import USE_POSTGRES

pytestmark = pytest.mark.skipif(
    not USE_POSTGRES, reason="on SQLite a run's IMMEDIATE transaction makes the other wait: no interleaving to test"
)

#: Seconds any one step may take before the test fails (a run blocked where it should skip would wait forever).
PATIENCE = 30


class Held:
    """Stands in for a function: its first call, in whichever thread, waits inside until `release`; later calls
    go straight through to the real one."""

    def __init__(self, real):
        self.real, self.inside, self.released = real, threading.Event(), threading.Event()
        self._first = threading.Lock()

    def __call__(self, *args, **kwargs):
        if self._first.acquire(blocking=False):
            self.inside.set()
            assert self.released.wait(PATIENCE), "the held run was never released"
        return self.real(*args, **kwargs)


@pytest.fixture
def interleave(app, monkeypatch):
    """`interleave(module, name, command)`: the command run in a thread, held at module.name, then the same command
    run here to its end; returns (the first run's exit code, the second's result). The first ends once let go."""
    pool = ThreadPoolExecutor(max_workers=1)
    held_points = []

    def run(module, name: str, command):
        held = Held(getattr(module, name))
        held_points.append(held)
        monkeypatch.setattr(module, name, held)
        db.session.commit()  # the test's own transaction ends: the runs see what it made
        first = pool.submit(
            command.main, args=[], prog_name=command.name, obj=ScriptInfo(create_app=lambda: app), standalone_mode=False
        )
        assert held.inside.wait(PATIENCE), "the first run never reached its claim"
        second = app.test_cli_runner().invoke(command)  # the other server's timer, while the first is held
        held.released.set()
        code = first.result(timeout=PATIENCE)
        db.session.expire_all()
        return code, second

    yield run
    for held in held_points:
        held.released.set()  # a failed assertion must not leave a thread waiting
    pool.shutdown(wait=True)


def test_two_senders_at_once_send_each_email_once(app, interleave, monkeypatch):
    emails = [
        queue_email(f"member{n}@nhs.net", f"Agenda {n}", "The agenda.", purpose="agenda", contains_patient_data=True)
        for n in range(5)
    ]
    db.session.commit()
    delivered: list[str] = []
    monkeypatch.setattr(outbox, "_deliver", lambda message, settings: delivered.append(message["To"]))
    monkeypatch.setenv("SMTP_HOST", "smtp.unused.invalid")

    first, second = interleave(outbox, "_deliver", send_outbox_command)

    assert sorted(delivered) == sorted(e.to_address for e in emails)  # each once
    assert first is None and second.exit_code == 0, second.output
    assert "Sent 4, failed 0" in second.output  # the held sender's email was skipped, the rest sent
    assert {e.status for e in db.session.scalars(db.select(OutboxEmail))} == {EmailStatus.sent}
    assert db.session.scalar(db.select(db.func.count()).select_from(EmailAttempt)) == 5


def test_two_chases_at_once_chase_each_action_once(app, interleave, create_action, create_contact, make_org):
    for name, kind, email in (
        ("Kent Community Health", OrganisationType.community_health, "sam@nhs.net"),
        ("Medway Pharmacy", OrganisationType.pharmacy, "ali@nhs.net"),
    ):
        agency = make_org(name=name, type=kind)
        owner = create_contact(name=email, email=email, organisation=agency)
        for days in (3, 10):
            create_action(owner_organisation=agency, owner_contact=owner, due_on=today() - timedelta(days=days))

    first, second = interleave(chasing, "chase_actions", chase_overdue_command)

    chased = db.session.scalars(db.select(ActionChase.action_id)).all()
    assert len(chased) == 4 and len(set(chased)) == 4  # every overdue action, once
    chase_emails = db.session.scalars(db.select(OutboxEmail.to_address).where(OutboxEmail.purpose == "chase")).all()
    assert sorted(chase_emails) == ["ali@nhs.net", "sam@nhs.net"]
    assert first is None
    assert second.exit_code == 0 and "Another run of chase-overdue is under way" in second.output, second.output


def test_two_seals_at_once_make_one_seal(app, interleave, make_user):
    for _ in range(3):
        make_user()  # entries in the trail to seal

    first, second = interleave(audit_seal, "_chain", seal_audit_command)

    assert first is None  # (without the claim its seal would clash with the second's, or fork the chain)
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditSeal)) == 1
    assert verify_audit().ok
    assert second.exit_code == 0 and "Another run of seal-audit is under way" in second.output, second.output
