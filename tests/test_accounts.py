"""Account services: opening, resetting, deactivating and saving accounts, and the sign-in trail."""

from __future__ import annotations

import pytest

from models import AuditAction, AuditEntry, DomainError, OrganisationType, Role, User, db
from services import accounts

NEW_PASSWORD = "a-brand-new-password"


def _entries(**where) -> list[AuditEntry]:
    query = db.select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(query))


# --- create_user ---------------------------------------------------------------------------------


def test_create_user_lower_cases_the_email_and_joins_the_ilr_team(app):
    user = accounts.create_user("  Nina.Nurse@Example.NHS.net ", "  Nina Nurse ", "coordinator", NEW_PASSWORD)
    db.session.commit()
    db.session.expire_all()
    assert (user.email, user.name, user.role, user.active) == (
        "nina.nurse@example.nhs.net",
        "Nina Nurse",
        Role.coordinator,
        True,
    )
    assert (user.organisation.name, user.organisation.ods_code, user.organisation.type) == (
        "Integrated Locality Review team",
        "ILR001",
        OrganisationType.ilr_team,
    )
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password("a-long-test-password")


def test_second_account_reuses_the_ilr_team(app):
    first = accounts.create_user("one@example.nhs.net", "One", Role.coordinator, NEW_PASSWORD)
    second = accounts.create_user("two@example.nhs.net", "Two", Role.team_lead, NEW_PASSWORD)
    assert first.organisation_id == second.organisation_id
    assert second.role == Role.team_lead


def test_create_user_in_a_given_organisation(make_org):
    social = make_org(name="Medway Social Services", type=OrganisationType.social_services)
    user = accounts.create_user("sam@medway.gov.uk", "Sam Social", "partner", NEW_PASSWORD, organisation=social)
    assert user.organisation_id == social.id


@pytest.mark.parametrize(
    "email, role, password, message",
    [
        (
            "TAKEN@example.nhs.net",
            "coordinator",
            NEW_PASSWORD,
            "An account with the email taken@example.nhs.net already exists.",
        ),
        (
            "fresh@example.nhs.net",
            "superuser",
            NEW_PASSWORD,
            "Unknown role 'superuser': choose one of coordinator, team_lead, partner, read_only.",
        ),
        ("fresh@example.nhs.net", "coordinator", "short-pass", "The password must be at least 12 characters long."),
    ],
)
def test_create_user_refusals(make_user, email, role, password, message):
    make_user(email="taken@example.nhs.net")
    with pytest.raises(DomainError) as refusal:
        accounts.create_user(email, "Somebody", role, password)
    assert str(refusal.value) == message
    db.session.rollback()
    assert db.session.scalars(db.select(User.email)).all() == ["taken@example.nhs.net"]


# --- a new password, set on the accounts screen (update_account) ----------------------------------


def test_a_new_password_is_set_and_ends_the_sessions(make_user):
    user, lead = make_user(), make_user(Role.team_lead)
    token = user.session_token
    accounts.update_account(user, lead, is_new=False, new_password=NEW_PASSWORD)
    db.session.commit()
    assert user.session_token != token
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password("a-long-test-password")


def test_a_short_new_password_is_refused_and_the_sessions_kept(make_user):
    user, lead = make_user(), make_user(Role.team_lead)
    token = user.session_token
    with pytest.raises(DomainError) as refusal:
        accounts.update_account(user, lead, is_new=False, new_password="too-short")
    assert str(refusal.value) == "The password must be at least 12 characters long."
    assert user.session_token == token
    assert user.check_password("a-long-test-password")


# --- deactivate_user -----------------------------------------------------------------------------


def test_deactivate_user_ends_sessions_and_is_audited(make_user):
    lead = make_user("team_lead", name="Tess Lead")
    user = make_user()
    token = user.session_token
    accounts.deactivate_user(user, lead)
    db.session.commit()
    db.session.expire_all()
    assert user.active is False
    assert user.session_token != token
    [entry] = _entries(action=AuditAction.update, table_name="user_account", record_id=user.id)
    assert entry.reason == "Account deactivated by Tess Lead"


def test_deactivate_own_account_is_refused(make_user):
    lead = make_user("team_lead")
    token = lead.session_token
    with pytest.raises(DomainError) as refusal:
        accounts.deactivate_user(lead, lead)
    assert str(refusal.value) == "You cannot deactivate your own account."
    assert (lead.active, lead.session_token) == (True, token)


# --- update_account ------------------------------------------------------------------------------


def test_update_account_lower_cases_the_email_and_keeps_the_password(make_user):
    lead, user = make_user("team_lead"), make_user()
    token, password_hash = user.session_token, user.password_hash
    user.email = "  Renamed.Person@Example.NHS.net "
    accounts.update_account(user, lead, is_new=False)
    db.session.commit()
    db.session.expire_all()
    assert user.email == "renamed.person@example.nhs.net"
    assert (user.password_hash, user.session_token) == (password_hash, token)


def test_update_account_with_a_new_password_ends_the_sessions(make_user):
    lead, user = make_user("team_lead"), make_user()
    token = user.session_token
    accounts.update_account(user, lead, is_new=False, new_password=NEW_PASSWORD)
    assert user.check_password(NEW_PASSWORD)
    assert user.session_token != token


def test_a_new_account_needs_a_password(make_user, make_org):
    lead = make_user("team_lead")
    user = User(email="New@Example.NHS.net", name="New Person", role=Role.coordinator, organisation=make_org())
    with pytest.raises(DomainError) as refusal:
        accounts.update_account(user, lead, is_new=True)
    assert str(refusal.value) == "Set a password for the new account (at least 12 characters)."
    accounts.update_account(user, lead, is_new=True, new_password=NEW_PASSWORD)
    assert user.email == "new@example.nhs.net"
    assert user.check_password(NEW_PASSWORD)


def test_a_new_account_with_a_short_password_is_refused(make_user, make_org):
    lead = make_user("team_lead")
    user = User(email="new@example.nhs.net", name="New Person", role=Role.coordinator, organisation=make_org())
    with pytest.raises(DomainError) as refusal:
        accounts.update_account(user, lead, is_new=True, new_password="short")
    assert str(refusal.value) == "The password must be at least 12 characters long."


def test_update_account_deactivating_another_ends_their_sessions(make_user):
    lead, user = make_user("team_lead"), make_user()
    token = user.session_token
    user.active = False
    accounts.update_account(user, lead, is_new=False)
    db.session.commit()
    assert user.session_token != token


def test_update_account_refuses_deactivating_yourself(make_user):
    lead = make_user("team_lead")
    lead.active = False
    with pytest.raises(DomainError) as refusal:
        accounts.update_account(lead, lead, is_new=False)
    assert str(refusal.value) == "You cannot deactivate your own account."
    db.session.rollback()
    assert lead.active is True


# --- the sign-in trail ---------------------------------------------------------------------------


def test_record_sign_in_sets_the_time_and_audits(make_user):
    user = make_user()
    assert user.last_sign_in_at is None
    accounts.record_sign_in(user)
    db.session.commit()
    assert user.last_sign_in_at is not None
    [entry] = _entries(action=AuditAction.sign_in)
    assert (entry.user_id, entry.table_name, entry.record_id) == (user.id, None, None)
    # the sign-in time is noise: it does not add an update entry for the account
    assert _entries(action=AuditAction.update, table_name="user_account") == []


def test_record_failed_sign_in_for_an_unknown_email(app):
    accounts.record_failed_sign_in("nobody@example.nhs.net", None)
    db.session.commit()
    [entry] = _entries(action=AuditAction.sign_in_failed)
    assert (entry.user_id, entry.detail) == (None, "email=nobody@example.nhs.net")


def test_record_failed_sign_in_for_a_known_account(make_user):
    user = make_user(email="known@example.nhs.net")
    accounts.record_failed_sign_in("known@example.nhs.net", user)
    db.session.commit()
    [entry] = _entries(action=AuditAction.sign_in_failed)
    assert (entry.user_id, entry.detail) == (user.id, "email=known@example.nhs.net")
