"""Signposting (DESIGN.md §3.10): advice given to the patient or their carer about a service they contact themselves,
recorded as given (to whom, what, when), from the patient's page, a case in the live minutes or the Signposting
screen. Nothing comes back from the service: it never waits, is never chased and is counted apart from the onward
referrals (services.onward) in the KPIs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from formats.dates import today
from models import (
    AgendaItem,
    DirectoryService,
    DomainError,
    Episode,
    Patient,
    SignpostedTo,
    Signposting,
    User,
    db,
)
from services import audit

#: Longest note of what was advised, and longest service name typed (the columns' lengths).
WHAT_LENGTH = 2000
SERVICE_LENGTH = 200


def _named(signposting: Signposting) -> None:
    """The service's name: the directory's when one was chosen, else as typed."""
    chosen = signposting.directory_service
    if chosen is not None:
        signposting.service = chosen.name
    signposting.service = (signposting.service or "").strip()
    if not signposting.service:
        raise DomainError("Choose a service from the directory, or type its name.")
    if len(signposting.service) > SERVICE_LENGTH:
        raise DomainError(f"Keep the service's name to {SERVICE_LENGTH} characters.")


def _check(signposting: Signposting) -> None:
    """The rules every signposting keeps, new or edited: the service, to whom, what was advised, when."""
    _named(signposting)
    try:
        signposting.given_to = SignpostedTo(signposting.given_to) if signposting.given_to else None
    except ValueError:
        raise DomainError("Choose whom the advice was given to from the list.") from None
    if signposting.given_to is None:
        raise DomainError("Say whom the advice was given to: the patient, their carer, or both.")
    signposting.what = (signposting.what or "").strip() or None
    if not signposting.what:
        raise DomainError("Say what was advised: what the service offers them and how to contact it.")
    if len(signposting.what) > WHAT_LENGTH:
        raise DomainError(f"Keep what was advised to {WHAT_LENGTH:,} characters (this has {len(signposting.what):,}).")
    if signposting.given_on is None:
        raise DomainError("Enter the date the advice was given.")
    if signposting.given_on > today():
        raise DomainError("The date the advice was given cannot be in the future.")


def add_signposting(signposting: Signposting, by: User) -> Signposting:
    """Record signposting (built from a form): checked, named from the directory when one was chosen, on the patient's
    open episode unless another is given, audited. Nothing is given about a patient who died or withdrew consent."""
    with db.session.no_autoflush:
        patient = signposting.patient or db.session.get(Patient, signposting.patient_id)
        _check(signposting)
        barrier = patient.date_of_death or patient.consent_withdrawn_on
        if barrier is not None and signposting.given_on >= barrier:
            raise DomainError(f"{patient} cannot be signposted: {patient.contact_barrier}")
        if signposting.episode is None and signposting.episode_id is None:
            signposting.episode = db.session.scalar(
                select(Episode).where(
                    Episode.patient_id == patient.id, Episode.closed_on.is_(None), Episode.archived_at.is_(None)
                )
            )
        if signposting.given_by is None and signposting.given_by_id is None:
            signposting.given_by = db.session.get(User, by.id)
    db.session.add(signposting)
    with audit.reason(f"Signposted to {signposting.service} ({signposting.given_to.label.lower()}), by {by.name}"):
        db.session.flush()
    return signposting


def signpost(
    patient: Patient,
    by: User,
    *,
    on: date | None,
    given_to: SignpostedTo | str | None,
    what: str | None,
    directory_service: DirectoryService | None = None,
    service_name: str | None = None,
    agenda_item: AgendaItem | None = None,
) -> Signposting:
    """Signpost the patient or their carer to a service from the directory, or one typed, on a date (today unless
    given), saying what was advised; from the live minutes, `agenda_item` is the case discussed."""
    if directory_service is not None and directory_service.archived_at is not None:
        raise DomainError(f"{directory_service.name} has left the directory: choose another service.")
    signposting = Signposting(
        patient=patient,
        directory_service=directory_service,
        service=service_name,
        given_on=on or today(),
        given_to=given_to or None,
        what=what,
        agenda_item=agenda_item,
        episode_id=agenda_item.episode_id if agenda_item is not None else None,
    )
    return add_signposting(signposting, by)


def update_signposting(signposting: Signposting, by: User) -> Signposting:
    """Signposting edited on its screen: the same rules as a new one, audited."""
    with db.session.no_autoflush:
        _check(signposting)
    with audit.reason(f"Signposting updated by {by.name}"):
        db.session.flush()
    return signposting


def signposting_given_at(agenda_item_ids: list[int]) -> dict[int, list[Signposting]]:
    """The signposting recorded from each case of the live minutes (by agenda item id), in one query."""
    given: dict[int, list[Signposting]] = {item_id: [] for item_id in agenda_item_ids}
    if agenda_item_ids:
        for signposting in db.session.scalars(
            select(Signposting)
            .where(Signposting.agenda_item_id.in_(agenda_item_ids), Signposting.archived_at.is_(None))
            .order_by(Signposting.id)
        ):
            given[signposting.agenda_item_id].append(signposting)
    return given
