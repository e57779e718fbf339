"""Sealing the audit trail: a hash chained over its rows since the last seal, so a later change shows.

`flask seal-audit` runs as a scheduled job (not per request: several workers never contend for the chain's
end), and claims the job first (services/job_locks.py) so two servers' timers never seal the same rows twice;
`flask verify-audit` recomputes every seal and names the first row that no longer matches.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, select

from models import AuditEntry, AuditSeal, db, utcnow
from services.job_locks import claim_job

GENESIS = "0" * 64
_FIELDS = ("id", "at", "user_id", "action", "table_name", "record_id", "patient_id", "changes", "reason", "detail",
           "client_address", "organisation_id")  # fmt: skip


def canonical(entry: AuditEntry) -> str:
    """One row as stable text: every column, in a fixed order, times in UTC ISO form."""
    values = {name: getattr(entry, name) for name in _FIELDS}
    values["at"] = entry.at.isoformat() if entry.at else None
    values["action"] = entry.action.value if entry.action else None
    return json.dumps(values, sort_keys=True, default=str)


def row_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry).encode()).hexdigest()


def _chain(previous: str, hashes: list[str]) -> str:
    digest = previous
    for value in hashes:
        digest = hashlib.sha256((digest + value).encode()).hexdigest()
    return digest


def seal_audit(batch: int = 50_000) -> AuditSeal | None:
    """Seal the rows added since the last seal (up to `batch` of them); None when there is nothing new.

    JobBusy when another run holds the job: two seals from the same last one would fork the chain.
    """
    claim_job("seal-audit")
    last = db.session.scalars(select(AuditSeal).order_by(AuditSeal.last_entry_id.desc())).first()
    after = last.last_entry_id if last else 0
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(batch)
    ).all()
    if not entries:
        return None
    hashes = [row_hash(e) for e in entries]
    seal = AuditSeal(
        sealed_at=utcnow(), first_entry_id=entries[0].id, last_entry_id=entries[-1].id,
        digest=_chain(last.digest if last else GENESIS, hashes),
        rows="\n".join(f"{e.id}:{h[:16]}" for e, h in zip(entries, hashes, strict=True)),
    )  # fmt: skip
    db.session.add(seal)
    db.session.flush()
    return seal


@dataclass(frozen=True)
class Verification:
    ok: bool
    sealed_rows: int
    message: str
    first_bad_id: int | None = None


def verify_audit() -> Verification:
    """Recompute every seal in order; the first row changed, removed or slipped in is named."""
    previous, checked = GENESIS, 0
    for seal in db.session.scalars(select(AuditSeal).order_by(AuditSeal.last_entry_id)):
        expected = dict(line.split(":") for line in seal.rows.splitlines())
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.id >= seal.first_entry_id, AuditEntry.id <= seal.last_entry_id)
            .order_by(AuditEntry.id)
        ).all()
        present = {str(e.id) for e in entries}
        for entry in entries:
            if expected.get(str(entry.id)) != row_hash(entry)[:16]:
                return Verification(False, checked, f"Audit entry {entry.id} no longer matches its seal.", entry.id)
        missing = sorted(int(i) for i in expected if i not in present)
        if missing:
            return Verification(
                False, checked, f"Audit entry {missing[0]} was removed after it was sealed.", missing[0]
            )
        if _chain(previous, [row_hash(e) for e in entries]) != seal.digest:
            first = entries[0].id if entries else seal.first_entry_id
            return Verification(
                False, checked, f"The seal ending at entry {seal.last_entry_id} no longer matches.", first
            )
        previous, checked = seal.digest, checked + len(entries)
    unsealed = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.id > (db.session.scalar(select(func.max(AuditSeal.last_entry_id))) or 0))
    )
    return Verification(
        True, checked, f"{checked:,} sealed entries match their seals; {unsealed:,} are not sealed yet."
    )
