"""Accounts: open, reset and deactivate sign-ins."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache

from flask import current_app
from sqlalchemy import and_, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from models import (
    MIN_PASSWORD_LENGTH,
    AuditAction,
    DomainError,
    Organisation,
    OrganisationType,
    Role,
    User,
    db,
    utcnow,
    value_before,
)
from security.passwords import password_problem
from services import audit
from services.outbox import is_secure_address
from services.sessions import end_all_sessions
from services.sign_in_alerts import raise_sign_in_alert

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


def awaiting_set_up():
    """An account made but never used: active and not yet signed in (a clause on User; the home page's list and the
    account list's filter it links to)."""
    return and_(User.active.is_(True), User.last_sign_in_at.is_(None))


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
    _new_password(user, password)
    db.session.add(user)
    with audit.reason(f"Account opened ({role.label})"):
        db.session.flush()
    return user


def _new_password(user: User, password: str) -> None:
    """Set a password, or refuse it in words (the rules: security/passwords.py)."""
    problem = password_problem(password)
    if problem:
        raise DomainError(problem)
    user.set_password(password)


def check_dummy_password(password: str) -> bool:
    """A hash check against nothing: a sign-in for an unknown email takes as long as one for a real account."""
    check_password_hash(_dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")), password)
    return False


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def upgrade_password_hash(user: User, password: str) -> None:
    """After a successful sign-in, re-hash a password stored with older hashing parameters."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if user.password_hash.split("$", 1)[0] != _dummy_hash(method).split("$", 1)[0]:
        user.password_hash = generate_password_hash(password, method=method)


def deactivate_user(user: User, by: User) -> None:
    """Stop an account signing in (kept for the audit trail); its open sessions end."""
    if user.id == by.id:
        raise DomainError("You cannot deactivate your own account.")
    with audit.reason(f"Account deactivated by {by.name}"):
        user.active = False
        end_all_sessions(user, "account deactivated")
        db.session.flush()


def update_account(user: User, by: User, *, is_new: bool, new_password: str | None = None) -> None:
    """Save an account as edited on the accounts screen: email kept lower case, a new password set, and a
    deactivation ending the account's sessions (your own account cannot be deactivated)."""
    user.email = user.email.strip().lower()
    if is_new and not new_password:
        raise DomainError(f"Set a password for the new account (at least {MIN_PASSWORD_LENGTH} characters).")
    if new_password:
        _new_password(user, new_password)
    if not user.active and not is_new and user.id == by.id:
        raise DomainError("You cannot deactivate your own account.")
    role_changed = not is_new and value_before(user, "role") != user.role
    if not is_new and (new_password or not user.active or role_changed):
        why = "password changed" if new_password else "account deactivated" if not user.active else "role changed"
        end_all_sessions(user, why)


def record_sign_in(user: User) -> None:
    """A successful sign-in: when, for the accounts list, and in the audit trail."""
    user.last_sign_in_at = utcnow()
    audit.record(AuditAction.sign_in, user_id=user.id)
    db.session.flush()


def record_first_step(user: User, how: str) -> None:
    """The first step of signing in passed (a password, or the organisation's sign-in): a walk-away at the code
    page leaves a trace too."""
    audit.record(AuditAction.first_step_passed, user_id=user.id, detail=how)
    db.session.flush()


def record_failed_sign_in(email: str, user: User | None, why: str | None = None) -> None:
    """A refused sign-in, with the email tried (and the account, when one has that email); a wrong second-factor
    code is one too, so it counts towards the same throttle as a wrong password. Far past a person's mistakes, the
    team lead is alerted (services/sign_in_alerts.py)."""
    audit.record(AuditAction.sign_in_failed, user_id=user.id if user else None, detail=f"email={email}", reason=why)
    db.session.flush()
    if user is not None:
        raise_sign_in_alert(user, email)


def record_sign_out(user: User) -> None:
    audit.record(AuditAction.sign_out, user_id=user.id)
    db.session.flush()


# --- a person's own details: what the letters they generate are signed with ---------------------------------

#: A telephone number as people write one: digits, spaces, brackets, hyphens, a leading +, an extension.
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,28}[0-9](\s*(ext\.?|x)\s*[0-9]{1,6})?$", re.IGNORECASE)
#: The details each person keeps on their "Your details" page, with their longest lengths (the columns').
OWN_DETAILS = {"job_title": 200, "team": 200, "phone": 40, "secure_email": 254}


@dataclass(frozen=True)
class Signatory:
    """Who signs a letter: the person generating it, from their own account details. A detail they have not given
    is "" and left out of the signature."""

    name: str
    #: Their job title, else their role in the tool ("Coordinator").
    role: str
    #: Their team, else their organisation's name.
    team: str
    phone: str
    secure_email: str

    @property
    def lines(self) -> list[str]:
        """The signature block, line by line, without the details not given."""
        contact = [f"Telephone: {self.phone}" if self.phone else "",
                   f"Secure email: {self.secure_email}" if self.secure_email else ""]  # fmt: skip
        return [line for line in (self.name, self.role, self.team, *contact) if line]


def signatory(user: User) -> Signatory:
    return Signatory(
        name=user.name,
        role=user.job_title or user.role.label,
        team=user.team or (user.organisation.name if user.organisation else ""),
        phone=user.phone or "",
        secure_email=user.secure_email or "",
    )


def missing_details(user: User) -> str:
    """What the person has not yet given of what their letters are signed with, in words ("telephone and secure
    email"), or "" when nothing is missing."""
    words = {"job_title": "job title", "phone": "telephone", "secure_email": "secure email"}
    missing = [said for name, said in words.items() if not getattr(user, name)]
    return " and ".join(filter(None, [", ".join(missing[:-1]), missing[-1]])) if missing else ""


def update_own_details(user: User, details: dict[str, str | None]) -> User:
    """A person's own job title, team, telephone and secure email (for the letters they sign), audited. The secure
    email must be an address that may receive patient details: replies to a letter name the patient."""
    for name, limit in OWN_DETAILS.items():
        value = (details.get(name) or "").strip() or None
        if value and len(value) > limit:
            raise DomainError(f"Keep each detail to {limit} characters.")
        if name == "phone" and value and not PHONE.match(value):
            raise DomainError("Enter the telephone number as digits, for example 01634 123456 or 01634 123456 ext 205.")
        if name == "secure_email" and value:
            value = value.lower()
            if not is_secure_address(value):
                raise DomainError(
                    f"{value} is not a secure address for patient details: give your nhs.net address (or another "
                    "address on a domain accredited to the NHS secure email standard)."
                )
        if getattr(user, name) != value:
            setattr(user, name, value)
    with audit.reason(f"Own details updated by {user.name}"):
        db.session.flush()
    return user
