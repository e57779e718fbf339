"""Chasing actions until they are done: one email per owner listing their actions, each with its update link.

A chase email names patients, so it goes only to a secure address (the owner's, else the agency's secure
mailbox); anything else is refused with the agency named and what to change, never silently dropped. The
outbox's own guard sees one patient per email, so each action's patient (died, withdrew consent) is checked
here. Each link is signed, works once, for `LINK_DAYS`, and opening it changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import selectinload

from formats.dates import format_date, format_datetime, today
from formats.nhs import format_nhs_number
from formats.words import plural
from models import (
    Action,
    ActionChase,
    ActionStatus,
    ActionUpdate,
    ChaseMethod,
    Patient,
    User,
    db,
    utcnow,
)
from services import audit
from services.actions import STILL_OPEN, report_on_action
from services.job_locks import claim_job
from services.links import LinkRefused
from services.outbox import is_secure_address, queue_email
from services.settings import CHASE_INTERVAL, get_setting

#: How long an update link in a chase email works.
LINK_DAYS = 14
_SALT = "action-update-link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def update_link(chase: ActionChase) -> str:
    """The owner's link for one action, on the public address: signed (action id, random token), expiring."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/action-update/{chase.action_id}/{_serializer().dumps([chase.action_id, chase.token])}"


def recipient_for(action: Action) -> tuple[str | None, str | None]:
    """Where a chase about this action may go (a secure address), or why it may not."""
    person, agency = action.owner_contact, action.owner_organisation
    if person is not None and person.email and is_secure_address(person.email):
        return person.email, None
    if agency.secure_email and is_secure_address(agency.secure_email):
        return agency.secure_email, None
    tried = person.email if person is not None and person.email else agency.secure_email
    domain = tried.rsplit("@", 1)[-1] if tried else None
    return None, (
        f"{agency.name} has no secure address for patient details"
        + (f" ({tried} is not on a secure domain)" if tried else "")
        + f": record {agency.name}'s secure mailbox on its organisation record"
        + (f", or, if {domain} is accredited to the NHS secure email standard (DCB1596), the team lead adds it to "
           "the secure email domains" if domain else "")
        + "."
    )  # fmt: skip


@dataclass
class ChaseResult:
    """What a chase sent (one email per address, with its actions) and what it could not send, and why."""

    sent: dict[str, list[Action]] = field(default_factory=dict)
    refused: list[tuple[Action, str]] = field(default_factory=list)

    @property
    def chased(self) -> int:
        return sum(len(actions) for actions in self.sent.values())


def _line(action: Action, link: str, on) -> str:
    patient = action.patient
    number = format_nhs_number(patient.nhs_number) or "no NHS number"
    late = (on - action.due_on).days
    due = f"due {format_date(action.due_on)}" + (f", {plural(late, 'day')} overdue" if late > 0 else "")
    return f"- {patient.display_name} ({number}, born {format_date(patient.date_of_birth)}): {action.description} ({due})\n  Update it: {link}"  # noqa: E501


def chase_actions(actions: list[Action], by: User | None, *, dry_run: bool = False) -> ChaseResult:
    """Chase each action's owner: one email per address listing all their actions, and a chase on each action."""
    result, now, on = ChaseResult(), utcnow(), today()
    for action in sorted(actions, key=lambda a: (a.due_on, a.id)):
        if action.status not in STILL_OPEN:
            result.refused.append((action, f"already {action.status.label.lower()}"))
        elif not action.patient.may_be_contacted:
            result.refused.append((action, f"not chased: for {action.patient}, {action.patient.contact_barrier}"))
        else:
            address, why_not = recipient_for(action)
            if address is None:
                result.refused.append((action, why_not))
            else:
                result.sent.setdefault(address, []).append(action)
    if dry_run:
        return result
    by_name = by.name if by else "the daily chase"
    for address, owned in result.sent.items():
        chases = [
            ActionChase(action=a, chased_at=now, chased_by_id=by.id if by else None, method=ChaseMethod.email,
                        sent_to=address, token=secrets.token_urlsafe(24))
            for a in owned
        ]  # fmt: skip
        db.session.add_all(chases)
        with audit.reason(f"Chased by email ({by_name})"):
            db.session.flush()
        lines = "\n\n".join(_line(chase.action, update_link(chase), on) for chase in chases)
        body = (
            f"Dear colleague,\n\nThese actions agreed at the Integrated Locality Review are still open:\n\n{lines}\n\n"
            f"Each link shows only that action: mark it in progress or done, with a note. A link works once, "
            f"until {format_datetime(now + timedelta(days=LINK_DAYS))}, and needs no sign-in.\n\nILR Coordinator"
        )
        subject = f"ILR actions still open: {len(owned)} for {owned[0].owner_organisation.name}"
        queue_email(address, subject, body, purpose="chase", contains_patient_data=True)
    return result


def due_for_chasing(on=None, interval_days: int | None = None):
    """Overdue actions not chased in the last `interval_days` (a team-lead setting), patients still contactable."""
    on = on or today()
    interval = interval_days if interval_days is not None else int(get_setting(CHASE_INTERVAL))
    since = utcnow() - timedelta(days=interval)
    recently = exists().where(ActionChase.action_id == Action.id, ActionChase.chased_at > since)
    return (
        select(Action)
        .join(Patient, Action.patient_id == Patient.id)
        .where(
            Action.status.in_(STILL_OPEN),
            Action.due_on < on,
            Action.archived_at.is_(None),
            and_(Patient.archived_at.is_(None), Patient.may_be_contacted),
            ~recently,
        )
        .order_by(Action.due_on, Action.id)
        .options(
            selectinload(Action.patient),
            selectinload(Action.owner_organisation),
            selectinload(Action.owner_contact),
        )
    )


def chase_overdue(*, dry_run: bool = False) -> ChaseResult:
    """The daily job: chase every overdue action at most once per interval (see `due_for_chasing`).

    A run claims the job first (services/job_locks.py), so two servers' timers never chase an action twice;
    a dry run writes nothing and claims nothing.
    """
    if not dry_run:
        claim_job("chase-overdue")
    return chase_actions(list(db.session.scalars(due_for_chasing())), None, dry_run=dry_run)


def chase_for_link(action_id: int, token: str) -> ActionChase:
    """The chase a link stands for, or LinkRefused saying why in words the owner understands; changes nothing."""
    invalid = "This link is not valid. Please use the link in your email exactly as it was sent."
    try:
        signed_action_id, random_part = _serializer().loads(token, max_age=LINK_DAYS * 24 * 3600)
    except SignatureExpired:
        raise LinkRefused(
            "This link has expired. Please reply to the ILR coordinator to update this action.", status=410
        ) from None
    except (BadSignature, ValueError, TypeError):
        raise LinkRefused(invalid) from None
    if signed_action_id != action_id:
        raise LinkRefused("This link is for a different action.")
    chase = db.session.scalars(select(ActionChase).where(ActionChase.token == random_part)).first()
    if chase is None or chase.action_id != action_id or chase.action.archived_at is not None:
        raise LinkRefused(invalid)
    if not chase.action.patient.may_be_contacted:
        raise LinkRefused("There is nothing to show for this link. Please contact the ILR coordinator.", status=410)
    if chase.link_used_at is not None:
        raise LinkRefused(
            f"This link was used on {format_datetime(chase.link_used_at)} to update the action, and works once. "
            "Please contact the ILR coordinator if something has changed since.",
            status=410,
        )
    if chase.action.status not in STILL_OPEN:
        raise LinkRefused(f"This action is already {chase.action.status.label.lower()}: nothing more to update.", 410)
    return chase


def answer_chase_link(chase: ActionChase, status: ActionStatus | str, note: str | None) -> ActionUpdate:
    """The owner's answer through the link: the update, recorded as theirs; the link is used up."""
    update = report_on_action(chase.action, status, note, by_name=chase.sent_to or "the owner", chase=chase)
    chase.link_used_at = utcnow()
    db.session.flush()
    return update


def last_chases(action_ids: list[int]) -> dict[int, tuple[int, datetime]]:
    """Times chased and when last, per action: one grouped query for a page of the action list."""
    if not action_ids:
        return {}
    rows = db.session.execute(
        select(ActionChase.action_id, db.func.count(), db.func.max(ActionChase.chased_at))
        .where(ActionChase.action_id.in_(action_ids))
        .group_by(ActionChase.action_id)
    )
    return {action_id: (count, last) for action_id, count, last in rows}
