"""Scheduled jobs safe on several app servers: each run of a job claims it for its transaction first.

Every app server runs the same systemd timers (deploy/systemd/), so two servers' `flask chase-overdue` or
`flask seal-audit` can start in the same second. On PostgreSQL the claim is a transaction-level advisory lock
(`pg_try_advisory_xact_lock`, one key per job), released by the run's one commit or rollback: while one run holds
it a second does nothing and says so (`JobBusy`, a quiet skip for the command), and a run that starts after the
first has committed sees its work (each statement reads what was committed before it began), so nothing is
chased or sealed twice. On SQLite every transaction begins IMMEDIATE (models/base.py), so a second run waits for
the first's commit and then finds nothing left to do: the claim is always granted there.

The outbox needs no job claim: `send_pending` claims each email with `SELECT ... FOR UPDATE SKIP LOCKED` and
commits it once sent (services/outbox.py), so two senders share the queue and never send one email twice.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from models import DomainError, db


class JobBusy(DomainError):
    """Another run of this job (on this server or another) holds it now: this run does nothing."""


def job_key(name: str) -> int:
    """The job's advisory-lock key: a signed 64-bit number from its name (the same on every server)."""
    return int.from_bytes(hashlib.sha256(f"ilr-coordinator job {name}".encode()).digest()[:8], "big", signed=True)


def claim_job(name: str) -> None:
    """Claim `name` for this transaction, or raise JobBusy when another run holds it (PostgreSQL)."""
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the IMMEDIATE transaction already serialises runs
    granted = session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": job_key(name)})
    if not granted:
        raise JobBusy(f"Another run of {name} is under way (on this server or another): nothing done by this one.")
