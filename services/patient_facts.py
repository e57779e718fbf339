"""What the team learns about a patient from elsewhere: hospital events, notes collated from other systems (RIO,
EMIS, IBIS, the shared care record) and the frailty scores.

Each is recorded from the patient's page, and the record screens (admin/patients.py) check theirs by the same rules
here. A change to a hospital event or a frailty score moves the risk priority through the rule that runs at every
flush (services/risk.py, registered in services/on_flush.py): nothing here computes it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from formats.dates import format_date, today
from formats.nhs import CFS_LABELS
from models import CollatedNote, DomainError, HospitalEvent, HospitalEventKind, NoteSource, Patient, User, db
from services import audit

SUMMARY_LENGTH = 4000
HOSPITAL_LENGTH = 200
NOTES_LENGTH = 1000


def _enum(enum, value, refusal: str):
    try:
        return enum(value)
    except ValueError:
        raise DomainError(refusal) from None


def _not_before_birth(on: date, patient: Patient, what: str) -> None:
    if on < patient.date_of_birth:
        raise DomainError(
            f"{what} cannot be before the patient's date of birth ({format_date(patient.date_of_birth)})."
        )


def check_hospital_event(event: HospitalEvent, patient: Patient) -> None:
    """The rules of a hospital event, new or edited: a type, a date not in the future nor before birth, a discharge
    not before the admission, text within its limits."""
    event.kind = _enum(HospitalEventKind, event.kind, "Choose an admission or an A&E attendance.")
    if event.occurred_on is None:
        raise DomainError("Enter the date of the admission or attendance.")
    if event.occurred_on > today() or (event.discharged_on and event.discharged_on > today()):
        raise DomainError("A hospital event is recorded once it has happened: the dates cannot be in the future.")
    _not_before_birth(event.occurred_on, patient, "A hospital event")
    if event.discharged_on is not None and event.discharged_on < event.occurred_on:
        raise DomainError("The discharge cannot be before the admission.")
    event.hospital = (event.hospital or "").strip() or None
    event.notes = (event.notes or "").strip() or None
    if event.hospital and len(event.hospital) > HOSPITAL_LENGTH:
        raise DomainError(f"Keep the hospital's name to {HOSPITAL_LENGTH} characters.")
    if event.notes and len(event.notes) > NOTES_LENGTH:
        raise DomainError(f"Keep the notes to {NOTES_LENGTH:,} characters (this has {len(event.notes):,}).")


def record_hospital_event(
    patient: Patient,
    by: User,
    *,
    kind: HospitalEventKind | str | None,
    occurred_on: date | None,
    discharged_on: date | None = None,
    hospital: str | None = None,
    notes: str | None = None,
) -> HospitalEvent:
    """A non-elective admission or an A&E attendance, dated: the risk priority counts it at the flush."""
    event = HospitalEvent(kind=kind, occurred_on=occurred_on, discharged_on=discharged_on, hospital=hospital,
                          notes=notes)  # fmt: skip
    with db.session.no_autoflush:
        check_hospital_event(event, patient)
    event.patient = patient
    why = f"Hospital event recorded by {by.name}"
    db.session.add(event)
    with audit.reason(why):
        db.session.flush()
    return event


def check_collated_note(note: CollatedNote, by: User) -> None:
    """The rules of a collated note, new or edited: a source, a summary within its limit; a date checked not in the
    future, and checked by the person recording it unless someone else is named."""
    note.source = _enum(NoteSource, note.source, "Choose the system the note was collated from.")
    note.summary = (note.summary or "").strip()
    if not note.summary:
        raise DomainError("Summarise what the note says.")
    if len(note.summary) > SUMMARY_LENGTH:
        raise DomainError(f"Keep the summary to {SUMMARY_LENGTH:,} characters (this has {len(note.summary):,}).")
    if note.checked_on is None and (note.checked_by is not None or note.checked_by_id is not None):
        raise DomainError("Enter the date it was checked.")
    if note.checked_on is not None:
        if note.checked_on > today():
            raise DomainError("The date checked cannot be in the future.")
        if note.checked_by is None and note.checked_by_id is None:
            note.checked_by = db.session.get(User, by.id)


def add_collated_note(
    patient: Patient,
    by: User,
    *,
    source: NoteSource | str | None,
    summary: str | None,
    checked_on: date | None = None,
    checked_by: User | None = None,
) -> CollatedNote:
    """A summary collated from another system, with who checked it and when (the recorder, unless another is named)."""
    note = CollatedNote(source=source, summary=summary, checked_on=checked_on, checked_by=checked_by)
    with db.session.no_autoflush:
        check_collated_note(note, by)
    note.patient = patient
    why = f"Collated note added by {by.name}"
    db.session.add(note)
    with audit.reason(why):
        db.session.flush()
    return note


def _shown(value) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, date):
        return format_date(value)
    return str(Decimal(str(value)).normalize()) if isinstance(value, Decimal) else str(value)


def update_frailty(
    patient: Patient, by: User, *, cfs: int | None, efi: Decimal | None, efi_on: date | None
) -> list[str]:
    """The Clinical Frailty Scale (1-9) and the eFI (0-1) with the day it was calculated; blank clears a score.

    Returns what changed in words ("CFS 5 → 6"); nothing changed is refused. The risk priority follows at the flush.
    """
    if cfs is not None and cfs not in CFS_LABELS:
        raise DomainError("The Clinical Frailty Scale runs from 1 (very fit) to 9 (terminally ill).")
    if efi is not None and not Decimal(0) <= efi <= Decimal(1):
        raise DomainError("The eFI is a number from 0 to 1, for example 0.27.")
    if efi is not None and efi != efi.quantize(Decimal("0.001")):
        raise DomainError("Give the eFI to at most three decimal places, for example 0.275.")
    if efi is None:
        efi_on = None
    elif efi_on is None:
        raise DomainError("Enter the date the eFI was calculated.")
    elif efi_on > today():
        raise DomainError("The eFI's date cannot be in the future.")
    else:
        _not_before_birth(efi_on, patient, "The eFI's date")
    pairs = (("CFS", patient.cfs, cfs), ("eFI", patient.efi, efi), ("eFI date", patient.efi_on, efi_on))
    changed = [f"{label} {_shown(before)} → {_shown(after)}" for label, before, after in pairs if before != after]
    if not changed:
        raise DomainError("These are the scores already recorded: nothing to change.")
    with audit.reason(f"Frailty updated by {by.name}"):
        patient.cfs, patient.efi, patient.efi_on = cfs, efi, efi_on
        db.session.flush()
    return changed
