"""Patients: finding them, and the life events that change what the team may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager

from formats.dates import today
from formats.nhs import format_nhs_number, nhs_number_digits, nhs_number_is_valid, normalise_nhs_number
from models import (
    AgendaItem,
    CaseStatus,
    ClosureReason,
    Contact,
    DomainError,
    Episode,
    Meeting,
    MeetingStatus,
    Organisation,
    OrganisationType,
    Patient,
    User,
    db,
    utcnow,
)
from services import audit
from services.date_checks import birth_date_problem, refuse_if


def find_patients(
    nhs_number: str | None = None, family_name: str | None = None, date_of_birth: date | None = None
) -> list[Patient]:
    """Live patients matching an NHS number, or a surname and date of birth."""
    query = select(Patient).where(Patient.archived_at.is_(None))
    digits = normalise_nhs_number(nhs_number)
    if digits:
        if not nhs_number_is_valid(digits):
            raise DomainError("That NHS number is not valid: it must be 10 digits and pass the check-digit test.")
        return list(db.session.scalars(query.where(Patient.nhs_number == digits)))
    if family_name and date_of_birth:
        return list(
            db.session.scalars(
                query.where(
                    func.lower(Patient.family_name) == family_name.strip().lower(),
                    Patient.date_of_birth == date_of_birth,
                )
            )
        )
    raise DomainError("Give an NHS number, or a surname and date of birth.")


def named(term: str):
    """A condition on Patient for what a person types to find one: a surname or given name ("Ashdown"), the name as
    shown ("ASHDOWN, Margaret") or (part of) an NHS number ("999 777 1230"). Look-ups and filters use this one."""
    term = term.strip()
    digits = nhs_number_digits(term)
    if digits:
        return Patient.nhs_number.like(f"%{digits}%")
    family, comma, given = (part.strip() for part in term.partition(","))
    if comma:
        return and_(Patient.family_name.ilike(f"%{family}%"), Patient.given_name.ilike(f"%{given}%"))
    return or_(Patient.family_name.ilike(f"%{term}%"), Patient.given_name.ilike(f"%{term}%"))


def add_patient(
    *,
    given_name: str,
    family_name: str,
    date_of_birth: date | None,
    by: User,
    nhs_number: str | None = None,
    **details,
) -> Patient:
    """Add a patient at intake; refused when one already exists (choose them from the search instead)."""
    given_name, family_name = (given_name or "").strip(), (family_name or "").strip()
    named = (("First name", given_name), ("Surname", family_name), ("Date of birth", date_of_birth))
    missing = [label for label, value in named if not value]
    if missing:
        raise DomainError(
            "To add a new patient, enter: " + ", ".join(missing) + ". Or find and choose an existing patient."
        )
    refuse_if(birth_date_problem(date_of_birth))
    digits = normalise_nhs_number(nhs_number)
    if digits and find_patients(nhs_number=digits):
        raise DomainError(
            f"A patient with NHS number {format_nhs_number(digits)} already exists: find and choose them above."
        )
    if digits and db.session.scalar(select(Patient.id).where(Patient.nhs_number == digits)):
        raise DomainError(
            f"A patient with NHS number {format_nhs_number(digits)} is archived: the team lead can restore them "
            "(Patients, archived records), and then they can be chosen here."
        )
    if not digits and find_patients(family_name=family_name, date_of_birth=date_of_birth):
        raise DomainError("A patient with this surname and date of birth already exists: find and choose them above.")
    why = f"Patient added at intake by {by.name}"  # read before the new row is pending (a reload would flush it)
    patient = Patient(
        nhs_number=digits, given_name=given_name, family_name=family_name, date_of_birth=date_of_birth, **details
    )
    db.session.add(patient)
    with audit.reason(why):
        db.session.flush()
    return patient


def _future_agenda_items(patient: Patient) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            select(AgendaItem)
            .join(Meeting)
            .where(
                AgendaItem.patient_id == patient.id,
                AgendaItem.status == CaseStatus.listed,
                Meeting.status.in_([MeetingStatus.planned, MeetingStatus.booked]),
                Meeting.starts_at > utcnow(),
            )
        )
    )


def record_death(patient: Patient, died_on: date, by: User) -> list[Episode]:
    """Record a death: open episodes close (reason "died") and the patient leaves future agendas."""
    if patient.date_of_death is not None:
        raise DomainError("A date of death is already recorded for this patient.")
    if died_on < patient.date_of_birth or died_on > today():
        raise DomainError("The date of death must be between the date of birth and today.")
    closed = []
    with audit.reason(f"Death recorded ({died_on:%d/%m/%Y}) by {by.name}"):
        patient.date_of_death = died_on
        for episode in db.session.scalars(
            select(Episode).where(Episode.patient_id == patient.id, Episode.closed_on.is_(None))
        ):
            episode.closed_on = max(died_on, episode.opened_on)
            episode.closure_reason = ClosureReason.died
            closed.append(episode)
        for item in _future_agenda_items(patient):
            item.status = CaseStatus.withdrawn
        db.session.flush()
    return closed


def withdraw_consent(patient: Patient, withdrawn_on: date, by: User) -> None:
    """Record consent withdrawn: off future agendas, and no further sharing (`Patient.may_be_contacted`)."""
    if patient.consent_withdrawn_on is not None:
        raise DomainError("Consent withdrawal is already recorded for this patient.")
    with audit.reason(f"Consent withdrawn ({withdrawn_on:%d/%m/%Y}), recorded by {by.name}"):
        patient.consent_withdrawn_on = withdrawn_on
        for item in _future_agenda_items(patient):
            item.status = CaseStatus.withdrawn
        db.session.flush()


# --- the named GP ---------------------------------------------------------------------------------------------

#: Longest named GP kept (the column's length).
NAMED_GP_LENGTH = 200


#: Words of a contact's job title that make them one of the practice's GPs.
GP_TITLES = ("GP", "general practitioner")


@dataclass(frozen=True)
class KnownGp:
    """A GP known at a practice, offered when a patient's named GP is recorded (it can still be typed)."""

    name: str
    practice_id: int
    practice_ods: str
    practice: str


def known_gps(practice_id: int | None = None) -> list[KnownGp]:
    """The GPs known at each practice (or one): its contacts whose name starts "Dr" or whose job title says GP, by
    practice and name."""
    query = (
        select(Contact)
        .join(Organisation, Contact.organisation_id == Organisation.id)
        .where(
            Organisation.type == OrganisationType.gp_practice,
            Organisation.archived_at.is_(None),
            Contact.archived_at.is_(None),
            or_(Contact.name.ilike("dr %"), *(Contact.job_title.ilike(f"%{word}%") for word in GP_TITLES)),
        )
        .order_by(Organisation.name, Contact.name)
        .options(contains_eager(Contact.organisation))
    )
    if practice_id is not None:
        query = query.where(Organisation.id == practice_id)
    return [
        KnownGp(c.name, c.organisation_id, c.organisation.ods_code or "", c.organisation.name)
        for c in db.session.scalars(query)
    ]


def set_named_gp(patient: Patient, named_gp: str | None, by: User) -> None:
    """The patient's named GP as recorded at a referral: a new name replaces the one held (audited); blank keeps it."""
    named_gp = (named_gp or "").strip()
    if len(named_gp) > NAMED_GP_LENGTH:
        raise DomainError(f"Keep the named GP to {NAMED_GP_LENGTH} characters.")
    if named_gp and named_gp != patient.named_gp:
        with audit.reason(f"Named GP recorded at a referral by {by.name}"):
            patient.named_gp = named_gp
            db.session.flush()
