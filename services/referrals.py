"""Referral intake and triage: the decisions, the acceptance gate, and the episode acceptance opens."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from formats.dates import today
from models import (
    UNTRIAGED,
    Consent,
    DeclineReason,
    DomainError,
    Episode,
    Organisation,
    Patient,
    Referral,
    ReferralStatus,
    TriageDecision,
    TriageOutcome,
    User,
    db,
)
from services import audit
from services.date_checks import received_before_birth_problem, refuse_if

#: Statuses of a referral still in play: a new one for the same patient is flagged as a possible duplicate.
OPEN_STATUSES = UNTRIAGED

#: What a referral asks of the ILR and says it meets, in the order the forms ask it (intake, the referral screen).
REFERRAL_QUESTIONS = (
    "reason", "question", "criteria_multiple_ltcs", "criteria_complex_needs", "criteria_frailty",
    "criteria_multi_agency", "criteria_urgent_care",
)  # fmt: skip
#: How consent was given and what was tried first, after the consent answer itself.
CONSENT_DETAILS = ("consent_by", "consent_on", "best_interests_reason", "signposting_tried", "patient_aware")

#: What each triage outcome does to the referral's status.
STATUS_AFTER = {
    TriageOutcome.accept: ReferralStatus.accepted,
    TriageOutcome.more_information: ReferralStatus.more_information,
    TriageOutcome.advice_only: ReferralStatus.advice_only,
    TriageOutcome.decline: ReferralStatus.declined,
    TriageOutcome.redirect: ReferralStatus.redirected,
}


def open_referrals_for(patient: Patient, *, excluding: Referral | None = None) -> list[Referral]:
    """The patient's referrals awaiting triage or more information, and any accepted one with an open episode."""
    query = select(Referral).where(
        Referral.patient_id == patient.id, Referral.archived_at.is_(None), Referral.status.in_(OPEN_STATUSES)
    )
    rows = list(db.session.scalars(query))
    open_episode = db.session.scalars(
        select(Episode).where(Episode.patient_id == patient.id, Episode.closed_on.is_(None))
    ).first()
    if open_episode and open_episode.referral:
        rows.append(open_episode.referral)
    return [r for r in rows if r is not excluding]


def record_referral(patient: Patient, referral: Referral | None = None, **fields) -> tuple[Referral, list[Referral]]:
    """Record a referral for a patient (new from `fields`, or one a form has filled in); returns it with the
    patient's other open referrals (a possible duplicate)."""
    with db.session.no_autoflush:
        existing = open_referrals_for(patient, excluding=referral)
    referral = referral or Referral(patient=patient, **fields)
    refuse_if(received_before_birth_problem(referral.received_on, patient))
    db.session.add(referral)
    with audit.reason(
        "Referral received"
        + (f"; possible duplicate of referral {', '.join(str(r.id) for r in existing)}" if existing else "")
    ):
        db.session.flush()
    return referral, existing


def acceptance_gaps(referral: Referral) -> list[str]:
    """What stops acceptance, in words: consent (or a best-interests decision) and signposting tried."""
    gaps = []
    if referral.consent == Consent.given and not (referral.consent_by and referral.consent_on):
        gaps.append("Consent is marked as given but who gave it and when are not recorded.")
    elif referral.consent == Consent.best_interests and not referral.best_interests_reason:
        gaps.append("A best-interests decision needs its reason recorded.")
    elif referral.consent not in (Consent.given, Consent.best_interests):
        gaps.append("Consent is not recorded: record the patient's consent or a best-interests decision.")
    if not (referral.signposting_tried or "").strip():
        gaps.append("Signposting already tried is not recorded.")
    return gaps


def _decide(
    referral: Referral, by: User, outcome: TriageOutcome, why: str, on: date | None = None, **details
) -> TriageDecision:
    if referral.status not in OPEN_STATUSES:
        raise DomainError(f"This referral has already been triaged ({referral.status.label.lower()}).")
    decision = TriageDecision(referral=referral, decided_on=on or today(), decided_by=by, outcome=outcome, **details)
    db.session.add(decision)
    with audit.reason(why):
        referral.status = STATUS_AFTER[outcome]
        db.session.flush()
    return decision


def accept_referral(referral: Referral, by: User, coordinator: User | None = None, on: date | None = None) -> Episode:
    """Accept: only with consent (or best interests) and signposting recorded; opens an episode."""
    gaps = acceptance_gaps(referral)
    if gaps:
        raise DomainError("This referral cannot be accepted yet. " + " ".join(gaps))
    _decide(referral, by, TriageOutcome.accept, f"Accepted by {by.name}", on)
    episode = Episode(
        patient_id=referral.patient_id,
        referral=referral,
        locality_id=referral.locality_id,
        coordinator=coordinator or by,
        opened_on=on or today(),
    )
    db.session.add(episode)
    with audit.reason(f"Episode opened on acceptance of referral {referral.id}"):
        db.session.flush()
    return episode


def decline_referral(
    referral: Referral, by: User, reason: DeclineReason | str, text: str | None = None, on: date | None = None
) -> TriageDecision:
    """Decline with a reason from the list; "other" needs words."""
    try:
        reason = DeclineReason(reason)
    except ValueError:
        raise DomainError("Choose a reason for declining.") from None
    text = (text or "").strip() or None
    if reason == DeclineReason.other and not text:
        raise DomainError('Say why the referral is declined: "Other" needs a reason in words.')
    return _decide(
        referral,
        by,
        TriageOutcome.decline,
        f"Declined: {reason.label}" + (f" ({text})" if text else ""),
        on,
        decline_reason=reason,
        reason_text=text,
    )


def request_more_information(referral: Referral, by: User, missing: str, on: date | None = None) -> TriageDecision:
    """Return to the referrer asking for what is missing; the referral can be triaged again."""
    missing = (missing or "").strip()
    if not missing:
        raise DomainError("Say what information is missing.")
    return _decide(
        referral,
        by,
        TriageOutcome.more_information,
        f"More information requested: {missing}",
        on,
        missing_information=missing,
    )


def give_advice_only(referral: Referral, by: User, advice: str, on: date | None = None) -> TriageDecision:
    advice = (advice or "").strip()
    if not advice:
        raise DomainError("Record the advice given.")
    return _decide(referral, by, TriageOutcome.advice_only, f"Advice only: {advice}", on, reason_text=advice)


def redirect_referral(referral: Referral, by: User, service: str, on: date | None = None) -> TriageDecision:
    service = (service or "").strip()
    if not service:
        raise DomainError("Say which service the referral is redirected to.")
    return _decide(referral, by, TriageOutcome.redirect, f"Redirected to {service}", on, redirected_to=service)


def triage_referral(
    referral: Referral, by: User, outcome: TriageOutcome | str, *, reason=None, text=None, coordinator=None
):
    """One entry point for the triage forms and the queue's bulk actions."""
    outcome = TriageOutcome(outcome)
    if outcome == TriageOutcome.accept:
        return accept_referral(referral, by, coordinator)
    if outcome == TriageOutcome.decline:
        return decline_referral(referral, by, reason, text)
    if outcome == TriageOutcome.more_information:
        return request_more_information(referral, by, text)
    if outcome == TriageOutcome.advice_only:
        return give_advice_only(referral, by, text)
    return redirect_referral(referral, by, text)


def organisation_with_ods(ods: str | None, what: str) -> Organisation | None:
    """The organisation an ODS code names (None when no code was given); refused when none has it."""
    if not ods:
        return None
    code = ods.strip().upper()
    organisation = db.session.scalars(select(Organisation).where(Organisation.ods_code == code)).first()
    if organisation is None:
        raise DomainError(
            f"No organisation has the ODS code {code} ({what}). Check the code, or add the organisation first."
        )
    return organisation
