"""What every clinical and reference record shares: it is archived, never deleted, and can be restored."""

from __future__ import annotations

from models import User, db, utcnow
from services import audit


def archive_records(rows: list, by: User) -> int:
    """Take live rows out of lists, exports and reports; returns how many were archived."""
    live = [row for row in rows if row.archived_at is None]
    with audit.reason(f"Archived by {by.name}"):
        for row in live:
            row.archived_at = utcnow()
        db.session.flush()
    return len(live)


def restore_records(rows: list, by: User) -> int:
    """Bring archived rows back to lists and reports (the team lead's); returns how many were restored."""
    archived = [row for row in rows if row.archived_at is not None]
    with audit.reason(f"Restored by {by.name}"):
        for row in archived:
            row.archived_at = None
        db.session.flush()
    return len(archived)
