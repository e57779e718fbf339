"""The risk rule (DESIGN.md §6): decision support for ordering the queue, not a clinical judgement.

Points and band limits are team-lead settings; `DEFAULTS` are the design's. The score is stored on the patient,
with its reasons, and recomputed whenever an input changes: `note_inputs_changed` and `recompute_noted` run at
every flush (registered in services/on_flush.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from formats.dates import today
from formats.nhs import CFS_LABELS, efi_category
from models import (
    DomainError,
    HospitalEvent,
    HospitalEventKind,
    Patient,
    RiskBand,
    SafeguardingConcern,
    User,
    among,
    db,
)
from services.settings import RISK_POINTS, get_setting, set_setting

DEFAULTS: dict[str, int] = {
    "cfs_7_to_9": 3,
    "cfs_5_to_6": 2,
    "cfs_4": 1,
    "efi_severe": 3,
    "efi_moderate": 2,
    "efi_mild": 1,
    "admissions_3_plus": 3,
    "admissions_1_to_2": 2,
    "ae_3_plus": 2,
    "ae_1_to_2": 1,
    "conditions_5_plus": 2,
    "conditions_3_to_4": 1,
    "recent_discharge": 2,
    "open_safeguarding": 2,
    #: Lowest score in the high band.
    "high_from": 8,
    #: Lowest score in the medium band.
    "medium_from": 4,
}

#: Labels for the settings screen.
LABELS: dict[str, str] = {
    "cfs_7_to_9": "CFS 7-9 (severe frailty or worse)",
    "cfs_5_to_6": "CFS 5-6 (mild or moderate frailty)",
    "cfs_4": "CFS 4 (very mild frailty)",
    "efi_severe": "eFI severe (above 0.36)",
    "efi_moderate": "eFI moderate (0.25-0.36)",
    "efi_mild": "eFI mild (0.13-0.24)",
    "admissions_3_plus": "3 or more non-elective admissions in 12 months",
    "admissions_1_to_2": "1-2 non-elective admissions in 12 months",
    "ae_3_plus": "3 or more A&E attendances in 12 months",
    "ae_1_to_2": "1-2 A&E attendances in 12 months",
    "conditions_5_plus": "5 or more long-term conditions",
    "conditions_3_to_4": "3-4 long-term conditions",
    "recent_discharge": "Discharged from hospital in the last 30 days",
    "open_safeguarding": "An open safeguarding concern",
    "high_from": "High band from (score)",
    "medium_from": "Medium band from (score)",
}


@dataclass(frozen=True)
class RiskInputs:
    """Everything the rule looks at, gathered for one patient."""

    cfs: int | None = None
    efi: Decimal | float | None = None
    admissions_12m: int = 0
    ae_12m: int = 0
    conditions: int = 0
    discharged_within_30_days: bool = False
    open_safeguarding: bool = False


@dataclass(frozen=True)
class RiskResult:
    score: int
    band: RiskBand
    reasons: list[str]


def _frailty(inputs: RiskInputs, p: dict[str, int]) -> list[tuple[str, int]]:
    """The CFS and eFI points."""
    reasons = []
    if inputs.cfs is not None and inputs.cfs >= 4:
        label = f"CFS {inputs.cfs} {CFS_LABELS.get(inputs.cfs, '').lower()}".strip()
        key = "cfs_7_to_9" if inputs.cfs >= 7 else "cfs_5_to_6" if inputs.cfs >= 5 else "cfs_4"
        reasons.append((label, p[key]))
    category = efi_category(inputs.efi)
    if category in ("severe", "moderate", "mild"):
        reasons.append((f"eFI {Decimal(str(inputs.efi)).normalize()} {category} frailty", p[f"efi_{category}"]))
    return reasons


def _counted(n: int, one: str, many: str, key_3_plus: str, key_1_to_2: str, p: dict[str, int]) -> list:
    """Points for a count in the last 12 months: 3 or more, or 1 to 2 ("1 admission", "2 admissions")."""
    if n >= 3:
        return [(f"{n} {many} in 12 months", p[key_3_plus])]
    if n >= 1:
        return [(f"{n} {one if n == 1 else many} in 12 months", p[key_1_to_2])]
    return []


def _hospital_and_more(inputs: RiskInputs, p: dict[str, int]) -> list[tuple[str, int]]:
    """Admissions, A&E attendances, long-term conditions, a recent discharge and an open safeguarding concern."""
    reasons = _counted(inputs.admissions_12m, "admission", "admissions", "admissions_3_plus", "admissions_1_to_2", p)
    reasons += _counted(inputs.ae_12m, "A&E attendance", "A&E attendances", "ae_3_plus", "ae_1_to_2", p)
    if inputs.conditions >= 3:
        key = "conditions_5_plus" if inputs.conditions >= 5 else "conditions_3_to_4"
        reasons.append((f"{inputs.conditions} long-term conditions", p[key]))
    if inputs.discharged_within_30_days:
        reasons.append(("discharged from hospital in the last 30 days", p["recent_discharge"]))
    if inputs.open_safeguarding:
        reasons.append(("open safeguarding concern", p["open_safeguarding"]))
    return reasons


def assess(inputs: RiskInputs, points: dict[str, int] | None = None) -> RiskResult:
    """Apply the rule: the points earned, the band they fall in, and why, in words."""
    p = DEFAULTS | (points or {})
    reasons = [(text, pts) for text, pts in _frailty(inputs, p) + _hospital_and_more(inputs, p) if pts]
    score = sum(pts for _, pts in reasons)
    band = RiskBand.high if score >= p["high_from"] else RiskBand.medium if score >= p["medium_from"] else RiskBand.low
    return RiskResult(score, band, [f"{text} ({pts})" for text, pts in reasons])


def current_points(session: Session | None = None) -> dict[str, int]:
    """The team lead's points and bands, over the defaults."""
    return DEFAULTS | get_setting(RISK_POINTS, session)


@dataclass(frozen=True)
class HospitalAndSafeguarding:
    """What the rule reads from other tables: events in the last 12 months, recent discharges, open concerns."""

    counts: dict[tuple[int, HospitalEventKind], int]
    recently_discharged: set[int]
    open_concern: set[int]

    def inputs(self, patient: Patient) -> RiskInputs:
        return RiskInputs(
            cfs=patient.cfs,
            efi=patient.efi,
            admissions_12m=self.counts.get((patient.id, HospitalEventKind.admission), 0),
            ae_12m=self.counts.get((patient.id, HospitalEventKind.ae_attendance), 0),
            conditions=patient.condition_count,
            discharged_within_30_days=patient.id in self.recently_discharged,
            open_safeguarding=patient.id in self.open_concern,
        )


def gather_inputs(
    session: Session, on: date, patient_id: int | None = None, patient_ids: Collection[int] | None = None
) -> HospitalAndSafeguarding:
    """The rule's inputs from other tables for one patient, some (a flush's), or everyone: the same three grouped
    queries serve every recompute path (a flush, the points changed), so they cannot drift."""
    if patient_id:
        patient_ids = [patient_id]
    one_event = [among(HospitalEvent.patient_id, patient_ids)] if patient_ids is not None else []
    one_concern = [among(SafeguardingConcern.patient_id, patient_ids)] if patient_ids is not None else []
    live_events = [HospitalEvent.archived_at.is_(None), *one_event]
    year_ago = on - timedelta(days=365)
    counts = {
        (pid, kind): n
        for pid, kind, n in session.execute(
            select(HospitalEvent.patient_id, HospitalEvent.kind, func.count())
            .where(*live_events, HospitalEvent.occurred_on > year_ago, HospitalEvent.occurred_on <= on)
            .group_by(HospitalEvent.patient_id, HospitalEvent.kind)
        )
    }
    discharged_on = func.coalesce(HospitalEvent.discharged_on, HospitalEvent.occurred_on)
    recent = select(HospitalEvent.patient_id).where(
        *live_events,
        HospitalEvent.kind == HospitalEventKind.admission,
        discharged_on > on - timedelta(days=30),
        discharged_on <= on,
    )
    concerns = select(SafeguardingConcern.patient_id).where(
        SafeguardingConcern.archived_at.is_(None), SafeguardingConcern.closed_on.is_(None), *one_concern
    )
    return HospitalAndSafeguarding(
        counts, set(session.scalars(recent.distinct())), set(session.scalars(concerns.distinct()))
    )


def inputs_for(patient: Patient, session: Session, on: date) -> RiskInputs:
    """Gather the rule's inputs for one patient from the database as it stands in this transaction."""
    return gather_inputs(session, on, patient.id).inputs(patient)


def _store(patient: Patient, result: RiskResult) -> bool:
    """Write the score, band and reasons when they differ (so the audit stays quiet); True when they moved."""
    reasons = "\n".join(result.reasons) or None
    if (patient.risk_score, patient.risk_band, patient.risk_reasons) == (result.score, result.band, reasons):
        return False
    patient.risk_score, patient.risk_band, patient.risk_reasons = result.score, result.band, reasons
    return True


def recompute(patient: Patient, session: Session | None = None, points: dict[str, int] | None = None) -> RiskResult:
    """Store the patient's score, band and reasons (changing only what differs, so the audit stays quiet)."""
    session = session or db.session()
    with session.no_autoflush:
        result = assess(inputs_for(patient, session, today()), points or current_points(session))
    _store(patient, result)
    return result


#: Patients whose inputs are gathered in one go after a flush (each id a parameter: SQLite allows 32,766).
_GATHERED = 2000

#: Patient columns the rule reads.
_PATIENT_INPUTS = ("cfs", "efi", "long_term_conditions")


def _touched_patients(session: Session) -> set[int]:
    ids: set[int] = set()

    new = session.new  # a fresh set each time it is read: built once, not once per object
    for obj in list(new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Patient):
            state = inspect(obj)
            if obj in new or any(state.attrs[c].history.has_changes() for c in _PATIENT_INPUTS):
                ids.add(obj.id)
        elif isinstance(obj, (HospitalEvent, SafeguardingConcern)) and obj.patient_id:
            ids.add(obj.patient_id)
    return ids


def note_inputs_changed(session: Session, flush_context) -> None:
    """After a flush: note the patients whose risk inputs it changed."""
    session.info.setdefault("risk_recompute", set()).update(_touched_patients(session))


def recompute_noted(session: Session, flush_context) -> None:
    """Recompute the patients whose inputs just changed; their new scores go out with the next flush."""
    pending = session.info.pop("risk_recompute", set())
    if not pending:
        return
    with session.no_autoflush:
        patients = []
        ordered = sorted(pending)
        for first in range(0, len(ordered), _GATHERED):  # read a batch at a time, not a query each
            chunk = ordered[first : first + _GATHERED]
            patients += session.scalars(select(Patient).where(among(Patient.id, chunk)).order_by(Patient.id))
        recompute_patients(patients, session)


def recompute_patients(patients: list[Patient], session: Session, points: dict[str, int] | None = None) -> None:
    """Store several patients' scores, the rule's other inputs gathered for them in one go (a list import touches a
    thousand patients a flush); as `recompute`, only what differs is written."""
    points = points or current_points(session)
    with session.no_autoflush:
        for first in range(0, len(patients), _GATHERED):
            chunk = patients[first : first + _GATHERED]
            facts = gather_inputs(session, today(), patient_ids=[p.id for p in chunk])
            for patient in chunk:
                _store(patient, assess(facts.inputs(patient), points))


def recompute_all(session: Session | None = None, batch: int = 2000) -> int:
    """Recompute every live patient (after the team lead changes the points): a few grouped queries, then only
    the patients whose score, band or reasons move are written. Returns how many moved."""
    session = session or db.session()
    points = current_points(session)
    facts = gather_inputs(session, today())
    moved = 0
    query = select(Patient).where(Patient.archived_at.is_(None)).order_by(Patient.id).execution_options(yield_per=batch)
    with session.no_autoflush:
        for patient in session.scalars(query):
            moved += _store(patient, assess(facts.inputs(patient), points))
    session.flush()
    return moved


def save_points(points: dict[str, int], by: User, session: Session | None = None) -> int:
    """Store the team lead's points and bands, then recompute every patient; returns how many moved."""
    session = session or db.session()
    unknown = set(points) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown risk settings: {sorted(unknown)}")
    if points.get("high_from", DEFAULTS["high_from"]) <= points.get("medium_from", DEFAULTS["medium_from"]):
        raise DomainError("The high band must start above the medium band.")
    set_setting(RISK_POINTS, points, by, session)
    return recompute_all(session)
