"""Agreed care plans waiting to go to the GP: the rule, said once, and the rows that keep its answer.

A plan waits for the GP while it is the latest agreed version of a patient on the caseload (an open episode, not
archived) and has no share to the GP practice the patient is registered with (`waiting_for_gp`, the rule). The home
pages list them and the care plan list filters them (`agreed_not_shared_with_gp`); at 100,000 patients checking
each of ninety thousand agreed plans took 75-105 ms, so the answer is kept in `care_plan_for_gp`:

- after every flush that adds or changes a plan (its state, patient or archiving), a share, an episode (opened,
  closed or archived), or a patient's practice or archiving, the rows of those patients are made again from the
  rule (`keep_for_gp`, registered in services/on_flush.py), in the same transaction;
- after rows written around the flush (the demo's bulk load), `rebuild_for_gp` makes them all again.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, and_, delete, exists, insert, inspect, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from models import CarePlan, CarePlanForGp, CarePlanShare, CarePlanState, Episode, Patient

#: Patients re-checked a statement (SQLite allows 32,766 parameters to one).
CHUNK = 1000
#: A plan's columns whose change may change the answer.
PLAN_COLUMNS = ("state", "patient_id", "number", "archived_at")
#: A patient's columns whose change may change it.
PATIENT_COLUMNS = ("gp_practice_id", "archived_at")
#: An episode's columns whose change may change it (whether the patient is on the caseload).
EPISODE_COLUMNS = ("closed_on", "archived_at", "patient_id")


def waiting_for_gp() -> ColumnElement:
    """The rule (a clause on CarePlan): the latest agreed version of a patient on the caseload, not shared with the
    patient's GP practice."""
    newer, owner = aliased(CarePlan), aliased(Patient)
    practice = select(owner.gp_practice_id).where(owner.id == CarePlan.patient_id).correlate(CarePlan)
    shared = (
        exists()
        .where(CarePlanShare.care_plan_id == CarePlan.id, CarePlanShare.shared_with_id == practice.scalar_subquery())
        .correlate(CarePlan)
    )
    superseded = (
        exists()
        .where(
            newer.patient_id == CarePlan.patient_id,
            newer.number > CarePlan.number,
            newer.state == CarePlanState.agreed,
            newer.archived_at.is_(None),
        )
        .correlate(CarePlan)
    )
    archived = select(Patient.id).where(Patient.archived_at.is_not(None))
    open_case = select(Episode.patient_id).where(Episode.closed_on.is_(None), Episode.archived_at.is_(None))
    return and_(
        CarePlan.state == CarePlanState.agreed,
        CarePlan.archived_at.is_(None),
        CarePlan.patient_id.not_in(archived),
        CarePlan.patient_id.in_(open_case),
        ~shared,
        ~superseded,
    )


def agreed_not_shared_with_gp() -> ColumnElement:
    """The plans kept waiting for the GP as a clause on CarePlan: the care plan list's filter "Waiting to go to
    the GP" (the home page counts and orders the kept rows themselves)."""
    return CarePlan.id.in_(select(CarePlanForGp.care_plan_id))


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for first in range(0, len(ordered), CHUNK):
        yield ordered[first : first + CHUNK]


def refresh_for_gp(connection: Connection, patient_ids: Iterable[int] | None = None) -> None:
    """Make the rows of these patients (of everyone, without any) again from the rule."""
    chunks = [None] if patient_ids is None else list(_chunks(patient_ids))
    for chunk in chunks:
        mine = [] if chunk is None else [CarePlanForGp.patient_id.in_(chunk)]
        theirs = [] if chunk is None else [CarePlan.patient_id.in_(chunk)]
        connection.execute(delete(CarePlanForGp).where(*mine))
        plans = select(CarePlan.id, CarePlan.patient_id, CarePlan.agreed_on).where(waiting_for_gp(), *theirs)
        connection.execute(insert(CarePlanForGp).from_select(["care_plan_id", "patient_id", "agreed_on"], plans))


def rebuild_for_gp(session: Session) -> int:
    """Every row made again (after a bulk load): how many plans wait for the GP."""
    refresh_for_gp(session.connection())
    return len(session.execute(select(CarePlanForGp.care_plan_id)).all())


def _changed(obj, columns: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in columns)


def keep_for_gp(session: Session, flush_context) -> None:
    """After a flush: the patients whose plans, shares, episodes or practice it changed have their rows made
    again."""
    patients: set[int] = set()
    plans: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, CarePlan) and (obj in session.new or _changed(obj, PLAN_COLUMNS)):
            patients |= {obj.patient_id, *inspect(obj).attrs.patient_id.history.deleted} - {None}
        elif isinstance(obj, CarePlanShare):
            plans |= {obj.care_plan_id, *inspect(obj).attrs.care_plan_id.history.deleted} - {None}
        elif isinstance(obj, Episode) and (obj in session.new or _changed(obj, EPISODE_COLUMNS)):
            patients |= {obj.patient_id, *inspect(obj).attrs.patient_id.history.deleted} - {None}
        elif isinstance(obj, Patient) and obj not in session.new and _changed(obj, PATIENT_COLUMNS):
            patients.add(obj.id)
    if not (patients or plans):
        return
    connection = session.connection()
    for chunk in _chunks(plans):
        patients |= set(connection.scalars(select(CarePlan.patient_id).where(CarePlan.id.in_(chunk))))
    refresh_for_gp(connection, patients)
