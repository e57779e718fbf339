"""Flask-Admin screens, one module per area; `register_views` adds them all."""

from __future__ import annotations

from admin import (
    accounts,
    actions,
    audit_trail,
    care_plan_page,
    care_plans,
    case_finding,
    caseload,
    contacts,
    guide,
    intake,
    kpis,
    list_imports,
    meeting_room,
    meetings,
    onward,
    own_details,
    patient_record,
    patients,
    referrals,
    safeguarding,
    scheduling,
    sessions,
    settings,
    signposting,
    system,
    triage,
)


def register_views(admin) -> None:
    """Add every screen to the Admin instance (a new set per app: views cannot be shared).

    The menu's categories appear in the order their first screen is added.
    """
    patients.register(admin)
    contacts.register(admin)
    intake.register(admin)
    triage.register(admin)
    caseload.register(admin)
    referrals.register(admin)
    patient_record.register(admin)
    case_finding.register(admin)
    list_imports.register(admin)
    scheduling.register(admin)
    meeting_room.register(admin)
    meetings.register(admin)
    actions.register(admin)
    care_plans.register(admin)
    care_plan_page.register(admin)
    onward.register(admin)
    signposting.register(admin)
    safeguarding.register(admin)
    system.register(admin)
    accounts.register(admin)
    audit_trail.register(admin)
    kpis.register(admin)
    settings.register(admin)
    sessions.register(admin)
    own_details.register(admin)
    guide.register(admin)  # no category: the menu's last entry of its own
