"""What the simulated coordinators use, read from the seeded database (runs in the app's environment, in an app
context): an account each, patients to open, surnames to search for, and a meeting each to minute."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from models import AgendaItem, CaseStatus, Meeting, MeetingStatus, Patient, Role, db, utcnow
from services.accounts import create_user
from services.second_factor import enrol_with_secret
from services.unit_of_work import perform

#: Cases each simulated user minutes (one meeting each: two users minuting one meeting would race for its
#: minute-taker and each other's cases, which a real team does not do).
ITEMS_EACH = 3


def make_plan(users: int, new_secret: Callable[[], str]) -> dict:
    """Accounts made (one unit of work) and the rows the simulated day names."""
    accounts = [
        {"email": f"load.coordinator{n:02d}@ilr-demo.nhs.net", "password": secrets.token_urlsafe(18),
         "totp_secret": new_secret()}
        for n in range(1, users + 1)
    ]  # fmt: skip

    def open_accounts():
        for n, account in enumerate(accounts, start=1):
            user = create_user(account["email"], f"Load Coordinator {n}", Role.coordinator, account["password"])
            enrol_with_secret(user, account["totp_secret"])

    done = perform(open_accounts, say=False)
    if not done:
        raise SystemExit(f"The load test's accounts were refused: {done.message}")
    for account, (meeting, items) in zip(accounts, meetings_to_minute(users), strict=True):
        account.update(meeting=meeting, items=items)
    return {"accounts": accounts, "patients": patients_to_open(), "surnames": common_surnames()}


def patients_to_open(count: int = 1000) -> list[int]:
    live = select(Patient.id).where(Patient.archived_at.is_(None)).order_by(func.random()).limit(count)
    return list(db.session.scalars(live))


def common_surnames(count: int = 40) -> list[str]:
    """The commonest family names: a search a coordinator makes that finds many patients."""
    names = (
        select(Patient.family_name)
        .where(Patient.archived_at.is_(None))
        .group_by(Patient.family_name)
        .order_by(func.count().desc(), Patient.family_name)
        .limit(count)
    )
    return [name.lower() for name in db.session.scalars(names)]


def meetings_to_minute(users: int) -> list[tuple[int, list[int]]]:
    """A meeting for each user, the nearest to now not cancelled with enough live cases, and its first cases."""
    since = utcnow() - timedelta(days=60)
    cases = (
        select(AgendaItem.meeting_id, AgendaItem.id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            Meeting.status != MeetingStatus.cancelled,
            Meeting.archived_at.is_(None),
            Meeting.starts_at >= since,
            AgendaItem.archived_at.is_(None),
            AgendaItem.status != CaseStatus.withdrawn,
        )
        .order_by(Meeting.starts_at, AgendaItem.position, AgendaItem.id)
    )
    by_meeting: dict[int, list[int]] = {}
    for meeting_id, item_id in db.session.execute(cases):
        by_meeting.setdefault(meeting_id, []).append(item_id)
    chosen = [(meeting, items[:ITEMS_EACH]) for meeting, items in by_meeting.items() if len(items) >= ITEMS_EACH]
    if len(chosen) < users:
        raise SystemExit(f"Only {len(chosen)} meetings to minute for {users} users: seed more patients.")
    return chosen[:users]
