"""What every drill-down's query shares: the row scope (live records of live patients, the locality and GP practice
filters, the rows a tally re-count is about), parts as plain text, days and working days between two dates, and a
patient's first discussion.

Row scope, the same for figures and lists: archived records are out, and so is everything about an archived patient.
Referrals, episodes and meetings carry their own locality; for records about a patient (actions, onward referrals,
safeguarding, care plans, hospital use) the locality is that of the patient's GP practice. Meetings are a
locality's, so the GP practice filter reaches them through the practice's locality.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import String, case, cast, func, select

from models import (
    AgendaItem,
    BankHoliday,
    CaseStatus,
    Consent,
    GoalStatus,
    Meeting,
    MeetingStatus,
    Organisation,
    Patient,
    TriageOutcome,
)
from models.sql_dates import add_months, day_number, london_date, months_later, weekdays_before
from services.kpis.periods import Scope

#: The triage outcomes that settle a referral (more information needed leaves it open).
SETTLED = (TriageOutcome.accept, TriageOutcome.decline, TriageOutcome.advice_only, TriageOutcome.redirect)
ROLLED_OVER = (CaseStatus.not_reached, CaseStatus.rolled_over)
ACHIEVED = (GoalStatus.achieved, GoalStatus.partly_achieved)
CONSENTED = (Consent.given, Consent.best_interests)
#: The months before and after a first discussion over which hospital use is compared.
HOSPITAL_MONTHS = 6


def in_period(column, scope: Scope):
    """The column's date falls in the period."""
    return column.between(scope.start, scope.end)


def patient_scope(scope: Scope, *, by_practice_locality: bool = True) -> list:
    """A live patient, of the chosen practice, and (for records without a locality of their own) in the chosen
    locality by their practice."""
    patient = Patient
    rules = [patient.archived_at.is_(None), *only_patients(Patient.id, scope)]
    if scope.practice_id:
        rules.append(patient.gp_practice_id == scope.practice_id)
    if scope.locality_id and by_practice_locality:
        rules.append(
            patient.gp_practice_id.in_(select(Organisation.id).where(Organisation.locality_id == scope.locality_id))
        )
    return rules


def patient_id_scope(column, scope: Scope) -> list:
    """`patient_scope` said of a record's patient id, for a query that need not join the patient: not one of the
    archived patients (a short list, read once and hashed) and, with a practice chosen, one of its patients. A
    count over a few open cases that joined every patient was read by PostgreSQL over all 100,000 (25 ms for the
    reviews overdue today); this reads the cases' own index."""
    archived = select(Patient.id).where(Patient.archived_at.is_not(None))
    rules = [column.not_in(archived), *only_patients(column, scope)]
    if scope.practice_id:
        rules.append(column.in_(select(Patient.id).where(Patient.gp_practice_id == scope.practice_id)))
    return rules


def only_patients(column, scope: Scope) -> list:
    return [] if scope.patients is None else [column.in_(sorted(scope.patients))]


def practice_locality():
    """The locality of the patient's GP practice: where a record about a patient belongs."""
    return select(Organisation.locality_id).where(Organisation.id == Patient.gp_practice_id).scalar_subquery()


def tally_columns(scope: Scope, locality, practice=Patient.gp_practice_id) -> list:
    """The columns the tallies keep to apply the locality and practice filters later (only when counting them: a
    list of records has no use for them)."""
    if not scope.tallying:
        return []
    return [locality.label("scope_locality"), practice.label("scope_practice")]


def own_scope(scope: Scope) -> list:
    """The patient rules for a record that has a locality of its own (a referral, an episode)."""
    return patient_scope(scope, by_practice_locality=False)


def own_locality(column, scope: Scope) -> list:
    return [column == scope.locality_id] if scope.locality_id else []


def meeting_scope(scope: Scope) -> list:
    """Live meetings held in the period, of the locality (or of the chosen practice's locality)."""
    rules = [
        Meeting.archived_at.is_(None),
        Meeting.status == MeetingStatus.held,
        Meeting.starts_at >= scope.starts_at,
        Meeting.starts_at < scope.ends_before,
    ]
    rules += own_locality(Meeting.locality_id, scope)
    if scope.practice_id:
        rules.append(
            Meeting.locality_id
            == select(Organisation.locality_id).where(Organisation.id == scope.practice_id).scalar_subquery()
        )
    return rules


def only_meetings(scope: Scope) -> list:
    return [] if scope.meetings is None else [Meeting.id.in_(sorted(scope.meetings))]


def yes_no(condition):
    return case((condition, "yes"), else_="no")


def as_text(enum_column):
    """An enum column as its plain stored value, so that a part compares with the text of a page address."""
    return cast(enum_column, String(40))


def days_between(later, earlier):
    return day_number(later) - day_number(earlier)


def working_days_between(earlier, later):
    """Working days after `earlier` up to and including `later` (weekends and stored bank holidays skipped)."""
    holidays_between = (
        select(func.count())
        .select_from(BankHoliday)
        .where(BankHoliday.day > earlier, BankHoliday.day <= later)
        .scalar_subquery()
        # Correlated to the query it sits in, however deep `later` is: left to itself, SQLAlchemy would add the
        # outer tables of a nested `later` to this count's FROM (every patient, every discussion: wrong and slow).
        .correlate_except(BankHoliday)
    )
    weekdays = weekdays_before(day_number(later) + 1) - weekdays_before(day_number(earlier) + 1)
    return weekdays - holidays_between


def discussed_items():
    return (
        AgendaItem.status == CaseStatus.discussed,
        AgendaItem.archived_at.is_(None),
        Meeting.archived_at.is_(None),
    )


def first_discussions(scope: Scope):
    """Each patient's first discussion: the London date of the first meeting where their case was discussed."""
    return (
        select(AgendaItem.patient_id, london_date(func.min(Meeting.starts_at)).label("first_on"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(*discussed_items(), *only_patients(AgendaItem.patient_id, scope))
        .group_by(AgendaItem.patient_id)
        .subquery()
    )


def after_incomplete(first_on, scope: Scope):
    """The six months after a first discussion have not yet passed (about today, so worked out when read)."""
    return add_months(first_on, HOSPITAL_MONTHS) > scope.on


def after_incomplete_from(on: date) -> date:
    """The first day whose six months after have not passed by `on`, for the tally rows' days: `add_months` never
    goes backwards, so "add_months(day, 6) > on" holds from this day on."""
    day = months_later(on, -HOSPITAL_MONTHS) - timedelta(days=4)
    while months_later(day, HOSPITAL_MONTHS) <= on:
        day += timedelta(days=1)
    return day
