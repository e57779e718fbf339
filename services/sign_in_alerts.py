"""Sign-in alerts: failed sign-ins for one account far past a person's own mistakes are told to the team lead.

The throttle (services/sessions.py) slows a guesser by address and never locks the account, so someone trying a
team lead's password from many addresses is not stopped by it: past ALERT_AFTER_FAILURES within the window an alert
is written (audited like every change), listed for the team lead (`open_sign_in_alerts`, for the home page) until
they close it.
"""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from models import AuditAction, AuditEntry, DomainError, SignInAlert, User, db, utcnow
from services import audit
from services.sessions import FAILURES_PER_ACCOUNT, THROTTLE_WINDOW, recent_failures

#: Failed sign-ins for one account, from anywhere within the throttle's window, that raise an alert: six times what
#: pauses one address, far more than a person mistyping.
ALERT_AFTER_FAILURES = 6 * FAILURES_PER_ACCOUNT


def _addresses(email: str) -> int:
    """How many client addresses the account's recent failures came from."""
    return db.session.scalar(
        select(func.count(distinct(AuditEntry.client_address))).where(
            AuditEntry.action == AuditAction.sign_in_failed,
            AuditEntry.at > utcnow() - THROTTLE_WINDOW,
            AuditEntry.detail == f"email={email}",
        )
    )


def _open_alert(user: User) -> SignInAlert | None:
    return db.session.scalars(
        select(SignInAlert).where(SignInAlert.user_id == user.id, SignInAlert.closed_at.is_(None))
    ).first()


def raise_sign_in_alert(user: User, email: str) -> SignInAlert | None:
    """After a failed sign-in for `user`: an alert when the account's failures have passed the ceiling and none is
    open already (one alert per attack, however long it goes on). Returns the new alert, else None."""
    failures = recent_failures(email=email, anywhere=True)
    if failures.count < ALERT_AFTER_FAILURES or _open_alert(user) is not None:
        return None
    alert = SignInAlert(user_id=user.id, failures=failures.count, addresses=_addresses(email))
    db.session.add(alert)
    with audit.reason(
        f"{failures.count} failed sign-ins for {user.email} within {THROTTLE_WINDOW.seconds // 60} minutes, "
        f"from {alert.addresses} address(es): someone may be guessing its password"
    ):
        db.session.flush()
    return alert


def not_closed():
    """An alert the team lead has not closed yet (a clause on SignInAlert)."""
    return SignInAlert.closed_at.is_(None)


def open_sign_in_alerts() -> list[SignInAlert]:
    """The alerts the team lead has not closed yet, newest first."""
    query = select(SignInAlert).where(not_closed())
    return list(db.session.scalars(query.order_by(SignInAlert.created_at.desc(), SignInAlert.id.desc())))


def close_sign_in_alert(alert: SignInAlert, by: User) -> None:
    """The team lead has looked into an alert (spoken to the account's holder, reset what needed resetting)."""
    if alert.closed_at is not None:
        raise DomainError("This sign-in alert has already been closed.")
    with audit.reason(f"Sign-in alert closed by {by.name}"):
        alert.closed_at, alert.closed_by_id = utcnow(), by.id
        db.session.flush()
