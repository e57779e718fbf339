"""Signed-in sessions held on the server, their time-outs, and the throttling of failed sign-ins.

A session's random key is all the cookie carries; every request looks it up, so ending it (sign-out, a
password change, deactivation, a role change, the team lead) signs that browser out at once, and a copied
cookie opens nothing. Failed sign-ins are counted from the audit trail, so the throttle holds across
several app workers; it slows the guesser (an account from one address, or a guessing address), never the
owner, and never locks an account (far past a person's mistakes it raises a sign-in alert instead:
services/sign_in_alerts.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from models import AuditAction, AuditEntry, DomainError, SignInMethod, User, UserSession, db, utcnow
from services import audit
from services.settings import ABSOLUTE_HOURS, IDLE_MINUTES, get_setting

#: A session's last-seen time is written at most this often (it is not an audit entry).
TOUCH_EVERY = timedelta(minutes=1)
#: Failed sign-ins counted over this window...
THROTTLE_WINDOW = timedelta(minutes=15)
#: ...pause one account from one address after this many...
FAILURES_PER_ACCOUNT = 5
#: ...and an address (one office may share one) after this many, for unknown accounts and those failed from there.
FAILURES_PER_ADDRESS = 20


def start_session(user: User, *, address: str | None, user_agent: str | None, method=SignInMethod.password) -> str:
    """A new session for a user who has just proved who they are; returns its key (for the cookie)."""
    key = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            key=key, user_id=user.id, address=address, user_agent=(user_agent or "")[:300] or None, method=method
        )
    )
    db.session.flush()
    return key


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def current(cls) -> Timeouts:
        return cls(timedelta(minutes=int(get_setting(IDLE_MINUTES))), timedelta(hours=int(get_setting(ABSOLUTE_HOURS))))


def live_session(key: str | None, user_id: int) -> UserSession | None:
    """The session a cookie names, if it is live and the user's; a timed-out one is ended on the way."""
    if not key:
        return None
    found = db.session.scalars(select(UserSession).where(UserSession.key == key)).first()
    if found is None or found.user_id != user_id or found.ended_at is not None:
        return None
    now, limits = utcnow(), Timeouts.current()
    if now - found.last_seen_at > limits.idle or now - found.created_at > limits.absolute:
        _end(found, "timed out")
        audit.commit_at_end_of_request()
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        db.session.execute(update(UserSession).where(UserSession.id == found.id).values(last_seen_at=now))
        audit.commit_at_end_of_request()
    return found


def keep_alive(found: UserSession) -> None:
    """The person is still there ("stay signed in"): the idle time-out starts again now."""
    db.session.execute(update(UserSession).where(UserSession.id == found.id).values(last_seen_at=utcnow()))


def _end(found: UserSession, why: str) -> None:
    db.session.execute(
        update(UserSession).where(UserSession.id == found.id).values(ended_at=utcnow(), ended_reason=why)
    )


def end_session(found: UserSession, why: str, by: User | None = None) -> None:
    """End one session (sign-out, or someone ending it from the sessions page: that is audited)."""
    if found.ended_at is not None:
        raise DomainError("That session has already ended.")
    _end(found, why)
    if by is not None and by.id != found.user_id:
        audit.record(AuditAction.session_ended, table="user_session", record_id=found.id, detail=why, user_id=by.id)


def end_all_sessions(user: User, why: str, *, keep: str | None = None) -> int:
    """End every live session of a user (a password change keeps the one making it); returns how many ended."""
    live = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep:
        live.append(UserSession.key != keep)
    user.end_sessions()  # the token every older identity carries (first: the statement below flushes it with the rest)
    ended = db.session.execute(update(UserSession).where(*live).values(ended_at=utcnow(), ended_reason=why))
    return ended.rowcount


def live_sessions(user: User | None = None) -> list[UserSession]:
    """Live sessions, newest first: one user's, or everyone's (for the team lead)."""
    query = select(UserSession).where(UserSession.ended_at.is_(None)).order_by(UserSession.last_seen_at.desc())
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins within the throttle's window: how many, and when the first of them was."""

    count: int
    first: datetime | None

    def wait_over(self, limit: int) -> int:
        """Seconds until the window slides past the first failure, once `limit` is reached; else 0."""
        if self.count < limit or self.first is None:
            return 0
        return max(1, int((self.first + THROTTLE_WINDOW - utcnow()).total_seconds()) + 1)


def recent_failures(*, email: str | None = None, address: str | None = None, anywhere: bool = False) -> Failures:
    """Failed sign-ins within the window for an email (from `address`, or from anywhere) or from an address."""
    query = select(func.count(), func.min(AuditEntry.at)).where(
        AuditEntry.action == AuditAction.sign_in_failed, AuditEntry.at > utcnow() - THROTTLE_WINDOW
    )
    if email is not None:
        query = query.where(AuditEntry.detail == f"email={email}")
    if not anywhere:
        query = query.where(AuditEntry.client_address == address if address else AuditEntry.client_address.is_(None))
    return Failures(*db.session.execute(query).one())


def seconds_until_allowed(user: User | None, email: str, address: str | None) -> int:
    """0 when a sign-in may be tried now; else how long the throttle asks to wait. Slow the guesser, never the owner:
    only this account from this address is paused after FAILURES_PER_ACCOUNT (its owner elsewhere signs in as
    usual); an address past FAILURES_PER_ADDRESS is paused only for unknown accounts and accounts that have already
    failed from there (colleagues behind the same office address are not locked out by someone else's guessing)."""
    pair = recent_failures(email=email, address=address)
    wait = pair.wait_over(FAILURES_PER_ACCOUNT)
    if user is None or not user.is_active or pair.count:
        wait = max(wait, recent_failures(address=address).wait_over(FAILURES_PER_ADDRESS))
    return wait
