"""Chasing actions until they are done: one email per owner listing their actions, each with its update link.

A chase email names patients, so it goes only to a secure address (the owner's, else the agency's secure
mailbox); anything else is refused with the agency named and what to change, never silently dropped. The
outbox's own guard sees one patient per email, so each action's patient (died, withdrew consent) is checked
here. Each link is signed, works once, for `LINK_DAYS`, and opening it changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, exists, select

from formats.dates import format_date, format_datetime, today
from formats.nhs import format_nhs_number
from formats.words import plural
from models import (
    Action,
    ActionChase,
    ActionStatus,
    ActionUpdate,
    ChaseMethod,
    Contact,
    Organisation,
    Patient,
    User,
    among,
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
    """What signed the links sent before 06/12/2026 (read for as long as they last, `LINK_DAYS`)."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def update_link(chase: ActionChase) -> str:
    """The owner's link for one action, on the public address: its random token (192 bits, good once, for
    `LINK_DAYS` from the chase), checked against the chase it was sent with."""
    return _link(chase.action_id, chase.token)


def _link(action_id: int, token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/action-update/{action_id}/{token}"


@dataclass(frozen=True)
class Chasable:
    """What a chase needs of one action, as plain values: the daily job reads them for every overdue action in one
    query; a chase asked for on the list reads them from the actions chosen."""

    id: int
    description: str
    due_on: date
    status: ActionStatus
    #: The patient as the email names them ("LOVELACE, Ada"), their NHS number and date of birth.
    patient: str
    nhs_number: str | None
    born: date
    #: Why nothing may be sent about the patient (died, consent withdrawn), or None.
    barrier: str | None
    agency: str
    agency_email: str | None
    person_email: str | None

    @classmethod
    def of(cls, action: Action) -> Chasable:
        patient, person = action.patient, action.owner_contact
        return cls(action.id, action.description, action.due_on, action.status, patient.display_name,
                   patient.nhs_number, patient.date_of_birth, patient.contact_barrier, action.owner_organisation.name,
                   action.owner_organisation.secure_email, person.email if person else None)  # fmt: skip


def recipient_for(action: Chasable) -> tuple[str | None, str | None]:
    """Where a chase about this action may go (a secure address), or why it may not."""
    person, agency = action.person_email, action.agency
    if person and is_secure_address(person):
        return person, None
    if action.agency_email and is_secure_address(action.agency_email):
        return action.agency_email, None
    tried = person or action.agency_email
    domain = tried.rsplit("@", 1)[-1] if tried else None
    return None, (
        f"{agency} has no secure address for patient details"
        + (f" ({tried} is not on a secure domain)" if tried else "")
        + f": record {agency}'s secure mailbox on its organisation record"
        + (f", or, if {domain} is accredited to the NHS secure email standard (DCB1596), the team lead adds it to "
           "the secure email domains" if domain else "")
        + "."
    )  # fmt: skip


@dataclass
class ChaseResult:
    """What a chase sent (one email per address, with its actions) and what it could not send, and why."""

    sent: dict[str, list[Chasable]] = field(default_factory=dict)
    refused: list[tuple[Chasable, str]] = field(default_factory=list)

    @property
    def chased(self) -> int:
        return sum(len(actions) for actions in self.sent.values())


def _line(action: Chasable, link: str, on) -> str:
    number = format_nhs_number(action.nhs_number) or "no NHS number"
    late = (on - action.due_on).days
    due = f"due {format_date(action.due_on)}" + (f", {plural(late, 'day')} overdue" if late > 0 else "")
    return f"- {action.patient} ({number}, born {format_date(action.born)}): {action.description} ({due})\n  Update it: {link}"  # noqa: E501


def _sort_out(actions: list[Chasable]) -> ChaseResult:
    """Each action to its owner's secure address, or refused with the reason."""
    result = ChaseResult()
    for action in sorted(actions, key=lambda a: (a.due_on, a.id)):
        if action.status not in STILL_OPEN:
            result.refused.append((action, f"already {action.status.label.lower()}"))
        elif action.barrier is not None:
            result.refused.append((action, f"not chased: for {action.patient}, {action.barrier}"))
        else:
            address, why_not = recipient_for(action)
            if address is None:
                result.refused.append((action, why_not))
            else:
                result.sent.setdefault(address, []).append(action)
    return result


def chase_actions(
    actions: list[Chasable | Action], by: User | None, *, dry_run: bool = False, progress=None
) -> ChaseResult:
    """Chase each action's owner: one email per address listing all their actions, and a chase on each action
    (recorded in bulk, each with its audit entry: the daily job chases tens of thousands at 100,000 patients).
    `progress(done, total)` hears of each email written (the command's progress bar)."""
    result = _sort_out([a if isinstance(a, Chasable) else Chasable.of(a) for a in actions])
    if dry_run:
        return result
    now, on, by_name = utcnow(), today(), by.name if by else "the daily chase"
    for done, (address, owned) in enumerate(result.sent.items(), start=1):
        tokens = [secrets.token_urlsafe(24) for _ in owned]
        rows = [
            dict(action_id=a.id, chased_at=now, chased_by_id=by.id if by else None, method=ChaseMethod.email,
                 sent_to=address, token=token, created_at=now, updated_at=now)
            for a, token in zip(owned, tokens, strict=True)
        ]  # fmt: skip
        with audit.reason(f"Chased by email ({by_name})"):
            audit.insert_audited(ActionChase, rows)
        lines = "\n\n".join(_line(a, _link(a.id, token), on) for a, token in zip(owned, tokens, strict=True))
        body = (
            f"Dear colleague,\n\nThese actions agreed at the Integrated Locality Review are still open:\n\n{lines}\n\n"
            f"Each link shows only that action: mark it in progress or done, with a note. A link works once, "
            f"until {format_datetime(now + timedelta(days=LINK_DAYS))}, and needs no sign-in.\n\nILR Coordinator"
        )
        subject = f"ILR actions still open: {len(owned)} for {owned[0].agency}"
        queue_email(address, subject, body, purpose="chase", contains_patient_data=True)
        if progress:
            progress(done, len(result.sent))
    return result


def _due(on, interval_days: int | None) -> list:
    """Overdue actions not chased in the last `interval_days` (a team-lead setting), patients still contactable."""
    interval = interval_days if interval_days is not None else int(get_setting(CHASE_INTERVAL))
    since = utcnow() - timedelta(days=interval)
    recently = exists().where(ActionChase.action_id == Action.id, ActionChase.chased_at > since)
    return [
        Action.still_open(),
        Action.due_on < (on or today()),
        Action.archived_at.is_(None),
        and_(Patient.archived_at.is_(None), Patient.may_be_contacted),
        ~recently,
    ]


def due_for_chasing(on=None, interval_days: int | None = None):
    """The actions the daily job chases (`_due`), oldest first."""
    query = select(Action).join(Patient, Action.patient_id == Patient.id).where(*_due(on, interval_days))
    return query.order_by(Action.due_on, Action.id)


def _chasable_due() -> list[Chasable]:
    """What the daily job chases, as plain values in one query (no object per action)."""
    query = (
        select(Action.id, Action.description, Action.due_on, Action.status, Patient.family_name, Patient.given_name,
               Patient.nhs_number, Patient.date_of_birth, Organisation.name, Organisation.secure_email, Contact.email)
        .join(Patient, Action.patient_id == Patient.id)
        .join(Organisation, Action.owner_organisation_id == Organisation.id)
        .outerjoin(Contact, Action.owner_contact_id == Contact.id)
        .where(*_due(None, None))
        .order_by(Action.due_on, Action.id)
    )  # fmt: skip
    return [
        Chasable(id_, text, due, status, f"{family.upper()}, {given}", number, born, None, agency, agency_email,
                 person_email)
        for id_, text, due, status, family, given, number, born, agency, agency_email, person_email
        in db.session.execute(query)
    ]  # fmt: skip


def chase_overdue(*, dry_run: bool = False, progress=None) -> ChaseResult:
    """The daily job: chase every overdue action at most once per interval (see `due_for_chasing`).

    A run claims the job first (services/job_locks.py), so two servers' timers never chase an action twice;
    a dry run writes nothing and claims nothing.
    """
    if not dry_run:
        claim_job("chase-overdue")
    return chase_actions(_chasable_due(), None, dry_run=dry_run, progress=progress)


def _signed_token(token: str, invalid: str, expired: str) -> str:
    """The random part of a link signed before 06/12/2026 (they last `LINK_DAYS`), or LinkRefused."""
    try:
        return _serializer().loads(token, max_age=LINK_DAYS * 24 * 3600)[1]
    except SignatureExpired:
        raise LinkRefused(expired, status=410) from None
    except (BadSignature, ValueError, TypeError, IndexError):
        raise LinkRefused(invalid) from None


def chase_for_link(action_id: int, token: str) -> ActionChase:
    """The chase a link stands for, or LinkRefused saying why in words the owner understands; changes nothing."""
    invalid = "This link is not valid. Please use the link in your email exactly as it was sent."
    expired = "This link has expired. Please reply to the ILR coordinator to update this action."
    random_part = _signed_token(token, invalid, expired) if "." in token else token
    chase = db.session.scalars(select(ActionChase).where(ActionChase.token == random_part)).first()
    if chase is None:
        raise LinkRefused(invalid)
    if chase.action_id != action_id:
        raise LinkRefused("This link is for a different action.")
    if chase.action.archived_at is not None:
        raise LinkRefused(invalid)
    if utcnow() - chase.chased_at > timedelta(days=LINK_DAYS):
        raise LinkRefused(expired, status=410)
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
        .where(among(ActionChase.action_id, action_ids))
        .group_by(ActionChase.action_id)
    )
    return {action_id: (count, last) for action_id, count, last in rows}
