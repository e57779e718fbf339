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
    find,
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

#: The menu's categories, in the order of the week's work: each screen's module names its category (`register`), and
#: each screen is in one. Top-level entries (Home, the user guide) have none.
MENU = ("Referrals", "Meetings", "Patients", "Actions", "Reports", "Administration", "Your account")
#: The category of the person's own pages: shown under their name at the header's right (templates/ilr/menu.html).
PERSONAL = MENU[-1]
#: Screens (by endpoint) that lead their category, in this order; the rest follow in the order they are added.
LEADING = (
    "intake", "triage", "referral", "scheduling", "meeting", "patient", "caseload", "episode", "action", "kpis",
    "user", "sign_in_alert", "organisation", "contact", "directory_service", "locality", "meeting_member",
    "secure_domain", "letterhead", "settings", "audit", "outbox_email",
)  # fmt: skip


def _leading_first(menu_item) -> int:
    view = getattr(menu_item, "_view", None)
    endpoint = getattr(view, "endpoint", None)
    return LEADING.index(endpoint) if endpoint in LEADING else len(LEADING)


def register_views(admin) -> None:
    """Add every screen to the Admin instance (a new set per app: views cannot be shared).

    The menu's categories come in the order of `MENU`; within one, screens in the order they are added here.
    """
    for category in MENU:
        admin.add_category(category)
    intake.register(admin)
    triage.register(admin)
    referrals.register(admin)
    scheduling.register(admin)
    meeting_room.register(admin)
    meetings.register(admin)
    patients.register(admin)
    caseload.register(admin)
    case_finding.register(admin)
    list_imports.register(admin)
    patient_record.register(admin)
    contacts.register(admin)
    care_plans.register(admin)
    care_plan_page.register(admin)
    onward.register(admin)
    signposting.register(admin)
    safeguarding.register(admin)
    actions.register(admin)
    kpis.register(admin)
    system.register(admin)
    accounts.register(admin)
    audit_trail.register(admin)
    settings.register(admin)
    sessions.register(admin)
    own_details.register(admin)
    find.register(admin)
    guide.register(admin)  # no category: the menu's last entry of its own
    for item in admin.menu():
        if item.is_category():
            item._children.sort(key=_leading_first)
