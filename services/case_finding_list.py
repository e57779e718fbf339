"""The case-finding list: people at high priority whom nobody has referred, grouped by GP practice, and suggesting
them to their practice by secure email.

On the list: a live patient in the high band who may be contacted, with no open episode (not on the caseload), no
referral awaiting triage or more information, and not discussed at a meeting in the last N months (the team lead's
setting `CASE_FINDING_MONTHS`). What was suggested to a practice is kept (`PracticeSuggestion`) with the outbox email.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager

from formats.dates import format_date, today
from formats.nhs import format_nhs_number
from models import (
    AgendaItem,
    CaseStatus,
    DomainError,
    Episode,
    ListImport,
    Meeting,
    Organisation,
    OrganisationType,
    Patient,
    PatientListFigures,
    PracticeSuggestion,
    Referral,
    ReferralStatus,
    RiskBand,
    User,
    db,
    utcnow,
)
from services import audit
from services.outbox import is_secure_address, queue_email
from services.settings import CASE_FINDING_MONTHS, get_setting

#: Patients shown on one page of the list (the practice filter narrows it).
SHOWN = 200
#: Referral states that still await the team: the patient is in the triage queue.
AWAITING = (ReferralStatus.awaiting_triage, ReferralStatus.more_information)


@dataclass(frozen=True)
class Candidate:
    """One person on the list: the patient (their practice loaded), the import they came from, and when they were
    last suggested to the practice."""

    patient: Patient
    from_import: ListImport | None
    suggested_at: datetime | None

    @property
    def reasons(self) -> list[str]:
        return [line for line in (self.patient.risk_reasons or "").splitlines() if line.strip()]


def months() -> int:
    return int(get_setting(CASE_FINDING_MONTHS))


def on_the_list(since: datetime | None = None):
    """The conditions that put a patient on the case-finding list (SQL, on Patient)."""
    if since is None:
        since = datetime.combine(today() - timedelta(days=round(months() * 30.44)), datetime.min.time())
    caseload = exists().where(
        Episode.patient_id == Patient.id, Episode.closed_on.is_(None), Episode.archived_at.is_(None)
    )
    awaiting = exists().where(
        Referral.patient_id == Patient.id, Referral.status.in_(AWAITING), Referral.archived_at.is_(None)
    )
    discussed = (
        exists()
        .where(AgendaItem.patient_id == Patient.id, AgendaItem.status == CaseStatus.discussed)
        .where(AgendaItem.meeting_id == Meeting.id, Meeting.starts_at >= since, AgendaItem.archived_at.is_(None))
    )
    return [
        Patient.risk_band == RiskBand.high,
        Patient.archived_at.is_(None),
        Patient.may_be_contacted,
        ~caseload,
        ~awaiting,
        ~discussed,
    ]


def gp_practices() -> list[Organisation]:
    """The live GP practices, by name: the list's filter (counting each one's people would read the whole band)."""
    query = select(Organisation).where(
        Organisation.type == OrganisationType.gp_practice, Organisation.archived_at.is_(None)
    )
    return list(db.session.scalars(query.order_by(Organisation.name)))


def case_finding_list(
    practice_id: int | None = None, limit: int = SHOWN, only: Collection[int] | None = None
) -> list[Candidate]:
    """The people on the list (of one practice, or all), highest priority first: walked down the priority index
    until `limit` are found, so a page reads a few hundred patients, not the whole high band."""
    last_suggested = (
        select(func.max(PracticeSuggestion.suggested_at))
        .where(PracticeSuggestion.patient_id == Patient.id)
        .correlate(Patient)
        .scalar_subquery()
    )
    query = (
        select(Patient, ListImport, last_suggested)
        .outerjoin(Organisation, Patient.gp_practice_id == Organisation.id)
        .outerjoin(PatientListFigures, PatientListFigures.patient_id == Patient.id)
        .outerjoin(ListImport, ListImport.id == PatientListFigures.import_id)
        .where(*on_the_list())
        .options(contains_eager(Patient.gp_practice))
        .order_by(Patient.risk_score.desc(), Patient.id.desc())
        .limit(limit)
    )
    if practice_id is not None:
        query = query.where(Patient.gp_practice_id == practice_id)
    if only is not None:
        query = query.where(Patient.id.in_(sorted(only)))
    return [Candidate(patient, made, at) for patient, made, at in db.session.execute(query)]


def email_body(practice: Organisation, candidates: list[Candidate], by: User) -> str:
    """The minimum a practice needs to consider a referral: name, NHS number, date of birth and the reasons."""
    lines = [
        f"Dear colleagues at {practice.name},",
        "",
        "The Integrated Locality Review team has found these patients registered with you at high priority on the",
        "risk-stratification lists we hold, and not yet referred to us. Please consider referring them.",
        "",
    ]
    for c in candidates:
        p = c.patient
        lines.append(
            f"- {p.display_name}, NHS number {format_nhs_number(p.nhs_number)}, born {format_date(p.date_of_birth)}"
        )
        lines += [f"    {reason}" for reason in c.reasons]
    lines += ["", f"{by.name}", "Integrated Locality Review"]
    return "\n".join(lines)


def suggest_to_practice(practice: Organisation, patient_ids: list[int], by: User) -> int:
    """Email the practice, at its secure address, the chosen patients on the list registered with it; each is
    recorded as suggested. Refused in words when the practice has no secure address or none was chosen."""
    address = (practice.secure_email or "").strip()
    if not address:
        raise DomainError(
            f"{practice.name} has no secure email address recorded: add it (Settings, Organisations) before "
            "sending patient details."
        )
    if not is_secure_address(address):
        raise DomainError(
            f"{address} is not a secure address, so no patient details are sent to {practice.name}: record the "
            "practice's nhs.net (or other accredited) address."
        )
    chosen = case_finding_list(practice.id, limit=len(patient_ids), only=patient_ids)
    if not chosen:
        raise DomainError(f"Choose at least one patient on the list registered with {practice.name}.")
    subject = f"Patients to consider referring to the ILR ({len(chosen)})"
    with audit.reason(f"Suggested to {practice.name} for referral by {by.name}"):
        email = queue_email(address, subject, email_body(practice, chosen, by), purpose="case_finding",
                            contains_patient_data=True)  # fmt: skip
        now = utcnow()
        for c in chosen:
            db.session.add(PracticeSuggestion(patient_id=c.patient.id, practice_id=practice.id, suggested_at=now,
                                              suggested_by_id=by.id, email_id=email.id))  # fmt: skip
        db.session.flush()
    return len(chosen)
