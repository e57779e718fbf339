"""The second factor every local account signs in with: a TOTP authenticator app, and recovery codes.

NHS England's MFA policy asks for a second factor for remote and privileged access to patient data. A
person enrols at their first sign-in (a QR code drawn here, nothing from the internet), confirms with one
code, and is given ten single-use recovery codes, of which only hashes are kept. A code is good once: the
time step of the last one accepted is stored, so a code seen over a shoulder cannot be replayed. The team
lead (or `flask reset-second-factor`) resets a lost factor; the person enrols again at their next sign-in. The
secrets are encrypted at rest (models.base.EncryptedString); `flask rotate-secret-keys` re-encrypts them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import pyotp
import segno
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm.attributes import flag_modified

from models import AuditAction, DomainError, RecoveryCode, User, db, utcnow
from services import audit
from services.sessions import end_all_sessions

#: The name an authenticator app shows beside the account.
ISSUER_NAME = "ILR Coordinator"
RECOVERY_CODES = 10
#: Recovery codes are two groups of five from an alphabet without look-alikes (0/O, 1/l/I): 50 random bits.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_GROUP = 5
#: A code of the step before or after now is accepted too: a phone's clock a little out.
DRIFT_STEPS = 1
_SPACES = re.compile(r"[\s-]+")
#: Six ASCII digits (str.isdigit would pass other scripts' digits too).
_SIX_DIGITS = re.compile(r"[0-9]{6}")


def _typed(code: str | None) -> str:
    """What someone typed, without the spaces and hyphens people add."""
    return _SPACES.sub("", code or "")


def new_secret() -> str:
    return pyotp.random_base32()


def valid_secret(secret: str) -> str:
    """A secret given by a script (`flask create-user --totp-secret`), upper case without spaces, or refused."""
    secret = _typed(secret).upper()
    if not re.fullmatch(r"[A-Z2-7]+=*", secret):
        raise DomainError("The second-factor secret must be base32 (letters A to Z and digits 2 to 7).")
    try:
        pyotp.TOTP(secret).now()
    except ValueError:  # pyotp refuses fewer than 112 bits, and what does not decode
        raise DomainError(
            "The second-factor secret is too short: it needs at least 112 bits (32 base32 characters, as "
            "pyotp.random_base32() gives)."
        ) from None
    return secret


def begin_enrolment(user: User) -> None:
    """Give an account without a confirmed second factor a new secret to scan, at every password step (so a
    key someone else saw at an earlier, unfinished set-up is worth nothing); reloading the page keeps it."""
    if user.has_second_factor:
        raise DomainError("This account has a second factor already.")
    user.totp_secret = new_secret()
    db.session.flush()


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER_NAME)


def qr_code(user: User) -> str:
    """The QR code of the account's provisioning address, as a data: URI of an SVG for an <img>."""
    return segno.make(provisioning_uri(user), error="m").svg_data_uri(scale=5, border=2)


def grouped_secret(user: User) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    secret = user.totp_secret or ""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _matching_step(user: User, code: str) -> int | None:
    """The time step whose code this is (now, or one step either side), or None."""
    totp = pyotp.TOTP(user.totp_secret)
    now = totp.timecode(utcnow())
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(user: User, code: str) -> None:
    """Accept a six-digit code once. The account's row is read again and locked first (FOR UPDATE on
    PostgreSQL; SQLite's transactions are serialised by BEGIN IMMEDIATE), so two requests racing with one code
    cannot both pass."""
    step = _matching_step(user, code)
    if step is None:
        raise DomainError("That code is not right. Enter the six digits your authenticator app shows now.")
    db.session.refresh(user, with_for_update=True)
    if user.totp_last_step is not None and user.totp_last_step >= step:
        raise DomainError("That code has been used already. Wait for your authenticator app to show the next one.")
    user.totp_last_step = step
    db.session.flush()


def hash_recovery_code(code: str) -> str:
    """Recovery codes carry 50 random bits, so a plain SHA-256 (looked up directly) is enough; a slow hash
    would buy nothing against a guess of 2^50."""
    return hashlib.sha256(code.encode()).hexdigest()


def _normalised_recovery(code: str) -> str:
    letters = _typed(code).lower()
    return f"{letters[:_GROUP]}-{letters[_GROUP:]}" if len(letters) == 2 * _GROUP else letters


def recovery_code_from(random_letter) -> str:
    """One recovery code, its letters drawn by `random_letter(alphabet)` (secrets.choice; the demo's seeded one)."""
    letters = "".join(random_letter(_ALPHABET) for _ in range(2 * _GROUP))
    return f"{letters[:_GROUP]}-{letters[_GROUP:]}"


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh recovery codes (the old ones stop working); returned once, in plain, to be shown once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [recovery_code_from(secrets.choice) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(code)) for code in codes)
    db.session.flush()
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _accept_recovery(user: User, code: str) -> None:
    found = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == hash_recovery_code(code))
    ).first()
    if found is None:
        raise DomainError("That recovery code is not right. Check it against the list you were given.")
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == found.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if used.rowcount != 1:
        raise DomainError("That recovery code has been used already: each one works once.")
    audit.record(AuditAction.recovery_code_used, table="recovery_code", record_id=found.id, user_id=user.id)


def verify_second_factor(user: User, code: str) -> str:
    """Check the code someone typed at sign-in: six digits from the app, or a recovery code. Returns which
    ("app" or "recovery code"); refuses a wrong or already used code in words."""
    if not user.has_second_factor:
        raise DomainError("This account has no second factor yet: set one up first.")
    typed = _typed(code)
    if _SIX_DIGITS.fullmatch(typed):
        _accept_totp(user, typed)
        return "app"
    _accept_recovery(user, _normalised_recovery(code))
    return "recovery code"


def confirm_enrolment(user: User, code: str) -> list[str]:
    """The first right code proves the app holds the secret: the second factor is set up, and the ten
    recovery codes are made (returned in plain, to be shown once)."""
    if user.has_second_factor:
        raise DomainError("This account has a second factor already.")
    if not user.totp_secret:
        raise DomainError("Start again from the sign-in page: there is no code to set up.")
    typed = _typed(code)
    if not _SIX_DIGITS.fullmatch(typed):
        raise DomainError("Enter the six digits your authenticator app shows for ILR Coordinator.")
    _accept_totp(user, typed)  # reads the account again under a lock: a set-up racing this one is seen here
    if user.has_second_factor:
        raise DomainError("This account's second factor was set up a moment ago: sign in with a code instead.")
    user.totp_enrolled_at = utcnow()
    codes = new_recovery_codes(user)
    audit.record(AuditAction.second_factor_enrolled, table="user_account", record_id=user.id, user_id=user.id)
    db.session.flush()
    return codes


def enrol_with_secret(user: User, secret: str) -> list[str]:
    """A scripted set-up (`flask create-user --totp-secret`): the secret is taken as confirmed."""
    user.totp_secret = valid_secret(secret)
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = None
    db.session.flush()
    codes = new_recovery_codes(user)
    audit.record(AuditAction.second_factor_enrolled, table="user_account", record_id=user.id, detail="scripted")
    return codes


def reset_second_factor(user: User, by: User | None) -> None:
    """Forget an account's second factor (a lost phone): its sessions end, and the next sign-in enrols afresh.
    `by` is the team lead, or None from the command line."""
    if not user.totp_secret:  # a factor set up always has its secret
        raise DomainError(f"{user.name} has no second factor to reset.")
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_all_sessions(user, "second factor reset")
    who = by.name if by is not None else "the command line"
    audit.record(
        AuditAction.second_factor_reset,
        table="user_account",
        record_id=user.id,
        reason=f"Second factor reset by {who}",
        user_id=by.id if by is not None else None,
    )
    db.session.flush()


def encrypt_secrets_again() -> int:
    """Every stored TOTP secret written again, so it is encrypted with the first of ILR_SECRET_KEYS (a key rotation:
    the new key was put in front; afterwards the old one can go). Returns how many accounts it touched."""
    users = list(db.session.scalars(select(User).where(User.totp_secret.is_not(None))))
    with audit.reason("Second-factor secret encrypted again with the newest key (flask rotate-secret-keys)"):
        for user in users:
            flag_modified(user, "totp_secret")  # the same secret: the write encrypts it with the first key
        db.session.flush()
    return len(users)
