"""The contact log: every call, email, Teams message, visit or letter about a patient, and the follow-ups it asks for.

The coordinator is the single point of contact for the patient, their carers, referrers and services: each contact
is logged with whom (named), how, a summary and, when something must follow, the date it is due. A contact awaits
follow-up until the follow-up is marked done; the caseload counts those per patient.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select

from access import about_a_live_patient
from formats.dates import to_london, today
from models import ContactLogEntry, ContactMethod, ContactParty, DomainError, User, db, utcnow
from services import audit
from services.caseload import held_by

SUMMARY_LENGTH = 4000


def _check(entry: ContactLogEntry) -> None:
    entry.summary = (entry.summary or "").strip()
    if not entry.summary:
        raise DomainError("Summarise the contact.")
    if len(entry.summary) > SUMMARY_LENGTH:
        raise DomainError(f"Keep the summary to {SUMMARY_LENGTH:,} characters (this has {len(entry.summary):,}).")
    entry.with_name = (entry.with_name or "").strip() or None
    try:
        entry.party = ContactParty(entry.party)
    except ValueError:
        raise DomainError("Choose whom the contact was with.") from None
    if entry.party != ContactParty.patient and not entry.with_name:
        raise DomainError(f"Name the person or service the contact was with ({entry.party.label.lower()}).")
    try:
        entry.method = ContactMethod(entry.method)
    except ValueError:
        raise DomainError("Choose how the contact was made.") from None
    if entry.contacted_at is None:
        raise DomainError("Enter when the contact was.")
    if entry.contacted_at > utcnow():
        raise DomainError("The contact cannot be in the future: log it once it has happened.")
    on = to_london(entry.contacted_at).date()
    if entry.follow_up_on is not None and entry.follow_up_on < on:
        raise DomainError("The follow-up cannot be due before the contact.")
    if entry.followed_up_on is not None and entry.follow_up_on is None:
        raise DomainError("Only a contact with a follow-up due can be followed up.")
    if entry.followed_up_on is not None and (entry.followed_up_on > today() or entry.followed_up_on < on):
        raise DomainError("The follow-up must be done between the contact and today.")


def log_contact(entry: ContactLogEntry, by: User) -> ContactLogEntry:
    """Log a contact about a patient (built from a form), by the person recording it unless someone else is named."""
    with db.session.no_autoflush:
        _check(entry)
        if entry.by is None and entry.by_id is None:
            entry.by = db.session.get(User, by.id)
    why = f"Contact logged by {by.name}"
    db.session.add(entry)
    with audit.reason(why):
        db.session.flush()
    return entry


def update_contact(entry: ContactLogEntry, by: User) -> ContactLogEntry:
    """An edited contact: the same rules as a new one."""
    with db.session.no_autoflush:
        _check(entry)
    with audit.reason(f"Contact log updated by {by.name}"):
        db.session.flush()
    return entry


def complete_follow_up(entry: ContactLogEntry, by: User, on: date | None = None) -> ContactLogEntry:
    """Mark a contact's follow-up done (today unless a date is given): it leaves the caseload's follow-ups."""
    if entry.follow_up_on is None:
        raise DomainError("This contact has no follow-up due.")
    if entry.followed_up_on is not None:
        raise DomainError(f"This contact was already followed up on {entry.followed_up_on:%d/%m/%Y}.")
    entry.followed_up_on = on or today()
    _check(entry)
    with audit.reason(f"Follow-up done, recorded by {by.name}"):
        db.session.flush()
    return entry


def awaiting_follow_up(coordinator_id: int | None = None) -> Select:
    """Contacts awaiting follow-up, earliest due first: about patients on the coordinator's open caseload, or about
    anyone without one named."""
    query = (
        select(ContactLogEntry)
        .where(ContactLogEntry.awaiting_follow_up, ContactLogEntry.archived_at.is_(None))
        .where(about_a_live_patient(ContactLogEntry))
        .order_by(ContactLogEntry.follow_up_on, ContactLogEntry.id)
    )  # read in the index of those awaiting (ix_contact_log_awaiting), never a contact's own row until shown
    if coordinator_id is not None:
        query = query.where(held_by(ContactLogEntry.patient_id, coordinator_id))
    return query
