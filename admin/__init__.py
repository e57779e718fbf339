"""Flask-Admin screens, one module per area; `register_views` adds them all."""
from __future__ import annotations

from admin import accounts, audit, caseload, intake, meeting_room, patient_record, scheduling, triage


def register_views(admin) -> None:
    """Add every screen to the Admin instance (a new set per app: views cannot be shared)."""
    accounts.register(admin)
    audit.register(admin)
    intake.register(admin)
    triage.register(admin)
    caseload.register(admin)
    patient_record.register(admin)
    scheduling.register(admin)
    meeting_room.register(admin)
