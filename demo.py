"""Synthetic demo data (Faker en_GB; NHS numbers from the 999 test range only)."""
from __future__ import annotations

from sqlalchemy import func, select

import services
from models import Organisation, OrganisationType, Role, User, db

#: The demo accounts `make run` prints; their shared password is for the demo database only.
DEMO_PASSWORD = "demo-password-2026"
DEMO_ACCOUNTS = [
    ("coordinator@ilr-demo.nhs.net", "Casey Coordinator", Role.coordinator, None),
    ("lead@ilr-demo.nhs.net", "Lindsay Lead", Role.team_lead, None),
    ("partner@social-demo.gov.uk", "Pat Partner", Role.partner, "DEMOSS"),
    ("observer@ilr-demo.nhs.net", "Oakley Observer", Role.read_only, None),
]
DEMO_ORGANISATIONS = [
    ("Demo Social Services", OrganisationType.social_services, "DEMOSS", "adult.social.care@social-demo.gov.uk"),
    ("Demo Community Health", OrganisationType.community_health, "DEMOCH", "community.team@nhs.net"),
    ("Demo Mental Health Trust", OrganisationType.mental_health, "DEMOMH", "mh.referrals@nhs.net"),
    ("Demo Fire and Rescue", OrganisationType.fire_rescue, "DEMOFR", "safe.and.well@fire-demo.gov.uk"),
    ("Demo Housing", OrganisationType.housing, "DEMOHO", "tenancy@housing-demo.org.uk"),
]


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def seed_demo() -> None:
    """Organisations and one account per role."""
    services.ilr_team()
    orgs = {}
    for name, type_, ods, email in DEMO_ORGANISATIONS:
        orgs[ods] = Organisation(name=name, type=type_, ods_code=ods, secure_email=email)
        db.session.add(orgs[ods])
    db.session.flush()
    for email, name, role, ods in DEMO_ACCOUNTS:
        services.create_user(email, name, role, DEMO_PASSWORD, orgs.get(ods))
