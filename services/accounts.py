"""Accounts: open, reset and deactivate sign-ins."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from models import DomainError, Organisation, OrganisationType, Role, User, db

#: The ILR team's own organisation: new accounts belong to it unless told otherwise.
ILR_TEAM_ODS = "ILR001"


def ilr_team() -> Organisation:
    """The ILR team's organisation, created on first use."""
    team = db.session.scalars(select(Organisation).where(Organisation.ods_code == ILR_TEAM_ODS)).first()
    if team is None:
        team = Organisation(
            name="Integrated Locality Review team", type=OrganisationType.ilr_team, ods_code=ILR_TEAM_ODS
        )
        db.session.add(team)
        db.session.flush()
    return team


def create_user(
    email: str, name: str, role: Role | str, password: str, organisation: Organisation | None = None
) -> User:
    """Open a sign-in account; the email must be new and the password long enough."""
    email = email.strip().lower()
    if db.session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email)):
        raise DomainError(f"An account with the email {email} already exists.")
    try:
        role = Role(role)
    except ValueError:
        raise DomainError(f"Unknown role {role!r}: choose one of {', '.join(r.value for r in Role)}.") from None
    user = User(email=email, name=name.strip(), role=role, organisation=organisation or ilr_team())
    try:
        user.set_password(password)
    except ValueError as exc:
        raise DomainError(str(exc)) from None
    db.session.add(user)
    db.session.flush()
    return user


def reset_password(user: User, password: str) -> None:
    """Give an account a new password; its open sessions end."""
    try:
        user.set_password(password)
    except ValueError as exc:
        raise DomainError(str(exc)) from None


def deactivate_user(user: User, by: User) -> None:
    """Stop an account signing in (kept for the audit trail); its open sessions end."""
    if user.id == by.id:
        raise DomainError("You cannot deactivate your own account.")
    user.active = False
    user.session_token = secrets.token_hex(16)
