"""The services directory and onward referrals: made from the patient's page or the live minutes, the receiving
service's outcome, the list of those still waiting (oldest first), and chasing them.

Signposting, which awaits no answer, is not an onward referral: it is its own record (services.signposting).
A chase of an onward referral is an `ActionChase` like an action's (the chase belongs to one or the other). An email
chase names the patient, so it goes only to a secure address (the directory's, else the organisation's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from access import about_a_live_patient
from formats.dates import format_date, today
from formats.nhs import format_nhs_number
from models import (
    ActionChase,
    AgendaItem,
    ChaseMethod,
    DirectoryService,
    DomainError,
    Episode,
    OnwardMethod,
    OnwardOutcome,
    OnwardReferral,
    Organisation,
    Patient,
    User,
    among,
    db,
    utcnow,
    value_before,
)
from services import audit
from services.outbox import is_secure_address, queue_email

#: Longest reason for a referral, and longest service name typed (the columns' lengths).
REASON_LENGTH = 2000
SERVICE_LENGTH = 200
#: What a receiving service may answer.
DECIDED = (OnwardOutcome.accepted, OnwardOutcome.declined)
#: The refusal of an onward referral "sent" by signposting.
SIGNPOSTING_IS_NOT_A_REFERRAL = (
    "Signposting is not a referral: record it as signposting (to whom, what was advised), which waits for no answer."
)
#: How a referral may be sent: the directory's ways, but signposting.
REFERRAL_METHODS = [m for m in OnwardMethod if m != OnwardMethod.signposted]


# --- the directory -------------------------------------------------------------------------------------------


def find_services(term: str | None = None) -> list[DirectoryService]:
    """Live directory services, by name, matching every word of `term` in their name, organisation, what they offer,
    who they are for or the area they cover (all of them without a term)."""
    query = (
        select(DirectoryService)
        .outerjoin(Organisation, DirectoryService.organisation_id == Organisation.id)
        .where(DirectoryService.archived_at.is_(None))
        .order_by(DirectoryService.name, DirectoryService.id)
        .options(selectinload(DirectoryService.organisation))
    )
    for word in (term or "").split():
        pattern = f"%{word}%"
        searched = (
            DirectoryService.name,
            DirectoryService.offers,
            DirectoryService.who_for,
            DirectoryService.area,
            Organisation.name,
        )
        query = query.where(or_(*(column.ilike(pattern) for column in searched)))
    return list(db.session.scalars(query))


# --- referring on --------------------------------------------------------------------------------------------


def _barrier_on(patient: Patient) -> date | None:
    """From when nothing more is shared about the patient: their death, or consent withdrawn."""
    return patient.date_of_death or patient.consent_withdrawn_on


def _check_outcome(referral: OnwardReferral) -> None:
    try:
        referral.outcome = OnwardOutcome(referral.outcome or OnwardOutcome.waiting)
        referral.method = OnwardMethod(referral.method) if referral.method else None
    except ValueError:
        raise DomainError("Choose the outcome and how the referral was sent from the lists.") from None
    if referral.method == OnwardMethod.signposted:
        raise DomainError(SIGNPOSTING_IS_NOT_A_REFERRAL)
    if referral.outcome == OnwardOutcome.waiting:
        referral.outcome_on = None
        return
    if referral.outcome_on is None:
        raise DomainError("Enter the date of the outcome.")
    if referral.outcome_on > today():
        raise DomainError("The date of the outcome cannot be in the future.")
    if referral.outcome_on < referral.referred_on:
        raise DomainError("The outcome cannot be before the referral.")


def _check(referral: OnwardReferral) -> None:
    """The rules every onward referral keeps, new or edited."""
    chosen = referral.directory_service
    if chosen is not None:
        referral.service = chosen.name
        if referral.organisation is None and referral.organisation_id is None:
            referral.organisation = chosen.organisation
    referral.service = (referral.service or "").strip()
    if not referral.service:
        raise DomainError("Choose a service from the directory, or type its name.")
    if len(referral.service) > SERVICE_LENGTH:
        raise DomainError(f"Keep the service's name to {SERVICE_LENGTH} characters.")
    referral.reason = (referral.reason or "").strip() or None
    if referral.reason and len(referral.reason) > REASON_LENGTH:
        raise DomainError(f"Keep the reason to {REASON_LENGTH:,} characters (this has {len(referral.reason):,}).")
    if referral.referred_on is None:
        raise DomainError("Enter the date of the referral.")
    if referral.referred_on > today():
        raise DomainError("The date of the referral cannot be in the future.")
    _check_outcome(referral)


def add_onward_referral(referral: OnwardReferral, by: User) -> OnwardReferral:
    """Record an onward referral (built from a form): checked, named from the directory when one was chosen, on the
    patient's open episode unless another is given, audited."""
    with db.session.no_autoflush:
        patient = referral.patient or db.session.get(Patient, referral.patient_id)
        _check(referral)
        barrier = _barrier_on(patient)
        if barrier is not None and referral.referred_on >= barrier:
            raise DomainError(f"{patient} cannot be referred on: {patient.contact_barrier}")
        if referral.episode is None and referral.episode_id is None:
            referral.episode = db.session.scalar(
                select(Episode).where(
                    Episode.patient_id == patient.id, Episode.closed_on.is_(None), Episode.archived_at.is_(None)
                )
            )
        if referral.referred_by is None and referral.referred_by_id is None:
            referral.referred_by = db.session.get(User, by.id)
    why = f"Referred on to {referral.service}, recorded by {by.name}"
    db.session.add(referral)
    with audit.reason(why):
        db.session.flush()
    return referral


def refer_onward(
    patient: Patient,
    by: User,
    *,
    on: date | None,
    directory_service: DirectoryService | None = None,
    service_name: str | None = None,
    reason: str | None = None,
    method: OnwardMethod | str | None = None,
    agenda_item: AgendaItem | None = None,
) -> OnwardReferral:
    """Refer the patient on to a service from the directory, or one typed, on a date (today unless given), with why
    and how it was sent; from the live minutes, `agenda_item` is the case discussed."""
    if directory_service is not None and directory_service.archived_at is not None:
        raise DomainError(f"{directory_service.name} has left the directory: choose another service.")
    try:
        method = OnwardMethod(method) if method else None
    except ValueError:
        raise DomainError("Choose how the referral was sent.") from None
    if method is None:
        raise DomainError("Choose how the referral was sent.")
    referral = OnwardReferral(
        patient=patient,
        directory_service=directory_service,
        service=service_name,
        referred_on=on or today(),
        reason=reason,
        method=method,
        agenda_item=agenda_item,
        episode_id=agenda_item.episode_id if agenda_item is not None else None,
        outcome=OnwardOutcome.waiting,
    )
    return add_onward_referral(referral, by)


def update_onward_referral(referral: OnwardReferral, by: User) -> OnwardReferral:
    """An edited referral (typically the receiving service's answer): the same rules as a new one, audited."""
    with db.session.no_autoflush:
        _check(referral)
    answered = referral.outcome != OnwardOutcome.waiting and value_before(referral, "outcome") == OnwardOutcome.waiting
    why = f"Outcome recorded ({referral.outcome.label}) by {by.name}" if answered else f"Updated by {by.name}"
    with audit.reason(why):
        db.session.flush()
    return referral


def record_onward_outcome(
    referral: OnwardReferral, outcome: OnwardOutcome | str, on: date | None, by: User
) -> OnwardReferral:
    """The receiving service's answer, accepted or declined, on a date (today unless given): it leaves the waiting
    list."""
    try:
        outcome = OnwardOutcome(outcome)
    except ValueError:
        raise DomainError("Choose accepted or declined.") from None
    if outcome not in DECIDED:
        raise DomainError("Choose accepted or declined.")
    if referral.outcome != OnwardOutcome.waiting:
        raise DomainError(
            f"The outcome is already recorded: {referral.outcome.label.lower()} on {referral.outcome_on:%d/%m/%Y}."
        )
    referral.outcome, referral.outcome_on = outcome, on or today()
    return update_onward_referral(referral, by)


def referrals_agreed_at(agenda_item_ids: list[int]) -> dict[int, list[OnwardReferral]]:
    """The onward referrals made from each case of the live minutes (by agenda item id), in one query."""
    agreed: dict[int, list[OnwardReferral]] = {item_id: [] for item_id in agenda_item_ids}
    if agenda_item_ids:
        for referral in db.session.scalars(
            select(OnwardReferral)
            .where(OnwardReferral.agenda_item_id.in_(agenda_item_ids), OnwardReferral.archived_at.is_(None))
            .order_by(OnwardReferral.id)
        ):
            agreed[referral.agenda_item_id].append(referral)
    return agreed


# --- those still waiting, and chasing them -------------------------------------------------------------------


def waiting_onward_referrals(query=None):
    """Onward referrals still waiting for the receiving service's answer, about a live patient: the waiting list's
    query narrowed so, or (without one) every live one, oldest first."""
    if query is None:
        live = select(OnwardReferral).where(OnwardReferral.archived_at.is_(None))
        query = live.order_by(OnwardReferral.referred_on, OnwardReferral.id)
    return query.where(OnwardReferral.waiting(), about_a_live_patient(OnwardReferral))


def chase_stats(referral_ids: list[int]) -> dict[int, tuple[int, datetime]]:
    """Times chased and when last, per onward referral: one grouped query for a page of the waiting list."""
    if not referral_ids:
        return {}
    rows = db.session.execute(
        select(ActionChase.onward_referral_id, func.count(), func.max(ActionChase.chased_at))
        .where(among(ActionChase.onward_referral_id, referral_ids))
        .group_by(ActionChase.onward_referral_id)
    )
    return {referral_id: (count, last) for referral_id, count, last in rows}


def chase_address(referral: OnwardReferral) -> tuple[str | None, str | None]:
    """Where an email chase about this referral may go (a secure address), or why it may not."""
    candidates = [
        referral.directory_service.secure_email if referral.directory_service else None,
        referral.organisation.secure_email if referral.organisation else None,
    ]
    for address in filter(None, candidates):
        if is_secure_address(address):
            return address, None
    tried = next(filter(None, candidates), None)
    return None, (
        f"{referral.service} has no secure address for patient details"
        + (f" ({tried} is not on a secure domain)" if tried else "")
        + ": the team lead records its secure email in the services directory, or chase it by phone."
    )


def _chase_email(referral: OnwardReferral, note: str | None) -> tuple[str, str]:
    patient = referral.patient
    number = format_nhs_number(patient.nhs_number) or "no NHS number"
    subject = f"ILR onward referral still waiting: {referral.service}"
    body = (
        f"Dear colleague,\n\nOn {format_date(referral.referred_on)} the Integrated Locality Review referred "
        f"{patient.display_name} ({number}, born {format_date(patient.date_of_birth)}) to {referral.service}"
        + (f":\n\n{referral.reason}\n\n" if referral.reason else ".\n\n")
        + "We have not yet heard whether the referral was accepted. Please reply to let the ILR coordinator know.\n\n"
        + (f"{note}\n\n" if note else "")
        + "ILR Coordinator"
    )
    return subject, body


@dataclass
class OnwardChaseResult:
    """What a chase recorded, and what it could not chase and why."""

    chased: list[ActionChase] = field(default_factory=list)
    refused: list[tuple[OnwardReferral, str]] = field(default_factory=list)


def chase_onward_referrals(
    referrals: list[OnwardReferral], by: User, method: ChaseMethod | str, note: str | None = None
) -> OnwardChaseResult:
    """Chase each waiting referral's outcome: by email (one to the service's secure address, naming the patient), or
    a phone call or meeting recorded with what was said. Each is checked before anything is recorded."""
    try:
        method = ChaseMethod(method)
    except ValueError:
        raise DomainError("Choose how the referrals were chased.") from None
    note = (note or "").strip() or None
    if method != ChaseMethod.email and not note:
        raise DomainError(f"Say what was said ({method.label.lower()}).")
    if note and len(note) > 1000:
        raise DomainError(f"Keep the note to 1,000 characters (this has {len(note):,}).")
    result, now = OnwardChaseResult(), utcnow()
    for referral in sorted(referrals, key=lambda r: (r.referred_on, r.id)):
        address, why_not = None, None
        if referral.outcome != OnwardOutcome.waiting:
            why_not = f"no longer waiting ({referral.outcome.label.lower()})"
        elif not referral.patient.may_be_contacted:
            why_not = f"for {referral.patient}, {referral.patient.contact_barrier}"
        elif method == ChaseMethod.email:
            address, why_not = chase_address(referral)
        if why_not:
            result.refused.append((referral, why_not))
            continue
        if address:
            subject, body = _chase_email(referral, note)
            queue_email(address, subject, body, purpose="chase", contains_patient_data=True, patient=referral.patient)
        chase = ActionChase(
            onward_referral=referral, chased_at=now, chased_by_id=by.id, method=method, note=note, sent_to=address
        )
        db.session.add(chase)
        result.chased.append(chase)
    with audit.reason(f"Onward referral chased ({method.label.lower()}) by {by.name}"):
        db.session.flush()
    return result
