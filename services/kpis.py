"""The team lead's KPIs (DESIGN.md §5) for a period, a locality and a GP practice, computed in the database.

Every figure is a count (or a median, a sum) over a *drill-down*: a query for the records behind it, one per kind of
record (`DRILLS`). The dashboard counts the drill-down's rows, and the list a figure links to lists the same rows, so
the two cannot disagree. A drill-down may be narrowed by one of its *parts* (an outcome, an agency, a status) or by
dates (a month of the period), which is how a table's cells link to their own rows.

Row scope, the same for figures and lists: archived records are out, and so is everything about an archived patient.
Referrals, episodes and meetings carry their own locality; for records about a patient (actions, onward referrals,
safeguarding, care plans, hospital use) the locality is that of the patient's GP practice. Meetings are a
locality's, so the GP practice filter reaches them through the practice's locality.

The number of queries is fixed whatever the period: one for the headline figures together, one per breakdown table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Integer, Select, String, and_, case, cast, exists, func, null, or_, select

from formats.dates import LONDON, format_date, today
from formats.numbers import MAX_ID, record_id, whole_number
from models import Action as ActionRecord
from models import (
    ActionStatus,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    BankHoliday,
    CarePlan,
    CarePlanShare,
    CaseStatus,
    ClosureGoal,
    Consent,
    Contact,
    DeclineReason,
    DomainError,
    Episode,
    GoalStatus,
    HospitalEvent,
    HospitalEventKind,
    Locality,
    Meeting,
    MeetingStatus,
    NhsNumberStatus,
    OnwardOutcome,
    OnwardReferral,
    Organisation,
    Patient,
    Referral,
    SafeguardingConcern,
    TriageDecision,
    TriageOutcome,
    db,
)
from models.sql_dates import add_months, day_number, epoch_minute, london_date, months_later, weekdays_before
from services import kpi_tallies
from services.calendar import ensure_bank_holidays
from services.settings import ATTENDANCE_THRESHOLD, CARE_PLAN_SHARE_DAYS, get_setting

NOT_RECORDED = "Not yet recorded"
#: Shown with the hospital-use figures, in these words on the page and in the report.
HOSPITAL_CAVEAT = (
    "Without a matched comparison group this is not evidence of the ILR's impact: people are often referred at a "
    "peak of hospital use, which tends to fall afterwards whatever is done (regression to the mean)."
)
#: The triage outcomes that settle a referral (more information needed leaves it open).
SETTLED = (TriageOutcome.accept, TriageOutcome.decline, TriageOutcome.advice_only, TriageOutcome.redirect)
ROLLED_OVER = (CaseStatus.not_reached, CaseStatus.rolled_over)
OPEN_ACTION = (ActionStatus.open, ActionStatus.in_progress)
ACHIEVED = (GoalStatus.achieved, GoalStatus.partly_achieved)
CONSENTED = (Consent.given, Consent.best_interests)
#: The months before and after a first discussion over which hospital use is compared.
HOSPITAL_MONTHS = 6


# --- periods -------------------------------------------------------------------------------------------------------

PERIODS = {
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "this_year": "This financial year",
    "last_year": "Last financial year",
    "custom": "Custom dates",
}


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def period_dates(key: str, on: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The first and last day of a named period (financial years run April to March), or the custom dates."""
    if key == "custom":
        if start is None or end is None:
            raise DomainError("Enter both dates of a custom period.")
        if end < start:
            raise DomainError("The period ends before it starts: swap the dates.")
        if (end - start).days > 3 * 366:
            raise DomainError("Choose a period of at most three years.")
        return start, end
    if key in ("this_month", "last_month"):
        first = _month_start(on, 0 if key == "this_month" else 1)
        months = 1
    elif key in ("this_quarter", "last_quarter"):
        first = _month_start(on, (on.month - 1) % 3 + (0 if key == "this_quarter" else 3))
        months = 3
    elif key in ("this_year", "last_year"):
        first = date(on.year - (on.month < 4) - (key == "last_year"), 4, 1)
        months = 12
    else:
        raise DomainError("Choose a period from the list.")
    return first, _month_start(first, -months) - timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    """What the figures are about: the period's first and last day (London dates) and the filters."""

    start: date
    end: date
    locality_id: int | None = None
    practice_id: int | None = None
    #: "Today" for the figures that are about now (overdue actions and reviews).
    on: date = field(default_factory=today)
    #: Only the rows about these patients, and (for the meetings' own drill-downs) these meetings: how the tallies
    #: re-count what a change touched (`services.kpi_tallies`). None: every row.
    patients: frozenset[int] | None = None
    meetings: frozenset[int] | None = None
    #: Counting the tallies: the rows carry the locality and practice the filters will look at.
    tallying: bool = False

    @property
    def label(self) -> str:
        return f"{format_date(self.start)} to {format_date(self.end)}"

    @property
    def starts_at(self) -> datetime:
        """The period's first moment (London midnight) in UTC, for times such as a meeting's start."""
        return datetime.combine(self.start, time(), LONDON).astimezone(UTC)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), LONDON).astimezone(UTC)

    @property
    def as_at(self) -> date:
        """The day a "now" figure of the period is taken on: its last day, or today while it is still running."""
        return min(self.end, self.on)

    def months(self) -> list[tuple[date, date]]:
        """The calendar months the period touches, each cut to the period."""
        out, first = [], self.start
        while first <= self.end:
            following = _month_start(first, -1)
            out.append((first, min(self.end, following - timedelta(days=1))))
            first = following
        return out


# --- drill-downs: the records behind each figure ----------------------------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """The records behind some figures: `build(scope)` selects `record_id`, `on` (the date that puts the row in the
    period), `patient_id`, an optional `value` (days, for medians) and one `part_<name>` column per part."""

    title: str
    #: What a row is, for the list's heading and the spreadsheet ("referral", "agenda item"…).
    record: str
    #: The admin screen a row's id opens (its endpoint), when there is one.
    endpoint: str | None
    build: Callable[[Scope], Select]
    parts: dict[str, str] = field(default_factory=dict)
    #: What the `on` column is, as a column heading.
    date_label: str = "Date"
    #: Counted from the tallies (`services.kpi_tallies`) rather than the records: every drill-down whose rows a
    #: period picks by a date. Those about today (overdue, open now) are counted from the records.
    tallied: bool = True
    #: The column whose date puts a row in the period (`on`, unless the row shows another date).
    period: str = "on"
    #: How the GP practice filter applies: to the patient's practice, to the meeting (held in the practice's
    #: locality), or both.
    practice_rule: str = "patient"
    #: The records (besides the patient and their practice) whose changes move this drill-down's rows.
    depends: tuple = ()
    #: The dates a figure about today counts, whatever the period (overdue: everything due before today).
    period_of: Callable[[Scope], tuple[date, date]] | None = None
    #: Parts about today, so not tallied: name → condition on the row's date (read from the day rows).
    live_parts: dict[str, Callable] = field(default_factory=dict)
    #: The rows' `value` is their order (a meeting's time), kept in the tally rows themselves; otherwise a value is
    #: days for a median, tallied apart ("<key>:days" rows).
    ordered: bool = False


def _in(column, scope: Scope):
    return column.between(scope.start, scope.end)


def _patient_scope(scope: Scope, *, by_practice_locality: bool = True) -> list:
    """A live patient, of the chosen practice, and (for records without a locality of their own) in the chosen
    locality by their practice."""
    patient = Patient
    rules = [patient.archived_at.is_(None), *_only_patients(Patient.id, scope)]
    if scope.practice_id:
        rules.append(patient.gp_practice_id == scope.practice_id)
    if scope.locality_id and by_practice_locality:
        rules.append(
            patient.gp_practice_id.in_(select(Organisation.id).where(Organisation.locality_id == scope.locality_id))
        )
    return rules


def _only_patients(column, scope: Scope) -> list:
    return [] if scope.patients is None else [column.in_(sorted(scope.patients))]


def _practice_locality():
    """The locality of the patient's GP practice: where a record about a patient belongs."""
    return select(Organisation.locality_id).where(Organisation.id == Patient.gp_practice_id).scalar_subquery()


def _tally_columns(scope: Scope, locality, practice=Patient.gp_practice_id) -> list:
    """The columns the tallies keep to apply the locality and practice filters later (only when counting them: a
    list of records has no use for them)."""
    if not scope.tallying:
        return []
    return [locality.label("scope_locality"), practice.label("scope_practice")]


def _own_scope(scope: Scope) -> list:
    """The patient rules for a record that has a locality of its own (a referral, an episode)."""
    return _patient_scope(scope, by_practice_locality=False)


def _own_locality(column, scope: Scope) -> list:
    return [column == scope.locality_id] if scope.locality_id else []


def _meeting_scope(scope: Scope) -> list:
    """Live meetings held in the period, of the locality (or of the chosen practice's locality)."""
    rules = [
        Meeting.archived_at.is_(None),
        Meeting.status == MeetingStatus.held,
        Meeting.starts_at >= scope.starts_at,
        Meeting.starts_at < scope.ends_before,
    ]
    rules += _own_locality(Meeting.locality_id, scope)
    if scope.practice_id:
        rules.append(
            Meeting.locality_id
            == select(Organisation.locality_id).where(Organisation.id == scope.practice_id).scalar_subquery()
        )
    return rules


def _yes(condition):
    return case((condition, "yes"), else_="no")


def _text(enum_column):
    """An enum column as its plain stored value, so that a part compares with the text of a page address."""
    return cast(enum_column, String(40))


def _days(later, earlier):
    return day_number(later) - day_number(earlier)


def _received(scope: Scope) -> Select:
    return (
        select(
            Referral.id.label("record_id"),
            Referral.received_on.label("on"),
            Referral.patient_id.label("patient_id"),
            func.coalesce(Referral.referrer_organisation_id, 0).label("part_organisation"),
            *_tally_columns(scope, Referral.locality_id),
        )
        .join(Patient, Patient.id == Referral.patient_id)
        .where(Referral.archived_at.is_(None), _in(Referral.received_on, scope), *_own_scope(scope))
        .where(*_own_locality(Referral.locality_id, scope))
    )


def _triaged(scope: Scope) -> Select:
    return (
        select(
            Referral.id.label("record_id"),
            TriageDecision.decided_on.label("on"),
            Referral.patient_id.label("patient_id"),
            _days(TriageDecision.decided_on, Referral.received_on).label("value"),
            _text(TriageDecision.outcome).label("part_outcome"),
            func.coalesce(_text(TriageDecision.decline_reason), "none").label("part_reason"),
            *_tally_columns(scope, Referral.locality_id),
        )
        .join(TriageDecision, TriageDecision.referral_id == Referral.id)
        .join(Patient, Patient.id == Referral.patient_id)
        .where(Referral.archived_at.is_(None), TriageDecision.outcome.in_(SETTLED))
        .where(_in(TriageDecision.decided_on, scope), *_own_scope(scope), *_own_locality(Referral.locality_id, scope))
    )


def _discussed_items():
    return (
        AgendaItem.status == CaseStatus.discussed,
        AgendaItem.archived_at.is_(None),
        Meeting.archived_at.is_(None),
    )


def _first_discussed_referrals(scope: Scope) -> Select:
    first = (
        select(AgendaItem.referral_id, london_date(func.min(Meeting.starts_at)).label("first_on"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.referral_id.is_not(None), *_discussed_items(), *_only_patients(AgendaItem.patient_id, scope))
        .group_by(AgendaItem.referral_id)
        .subquery()
    )
    return (
        select(
            Referral.id.label("record_id"),
            first.c.first_on.label("on"),
            Referral.patient_id.label("patient_id"),
            _days(first.c.first_on, Referral.received_on).label("value"),
            *_tally_columns(scope, Referral.locality_id),
        )
        .join(first, first.c.referral_id == Referral.id)
        .join(Patient, Patient.id == Referral.patient_id)
        .where(Referral.archived_at.is_(None), _in(first.c.first_on, scope), *_own_scope(scope))
        .where(*_own_locality(Referral.locality_id, scope))
    )


def _listed(scope: Scope) -> Select:
    outcome = case(
        (AgendaItem.status == CaseStatus.discussed, "discussed"),
        (AgendaItem.status.in_(ROLLED_OVER), "rolled_over"),
        else_="listed",
    )
    return (
        select(
            AgendaItem.id.label("record_id"),
            london_date(Meeting.starts_at).label("on"),
            AgendaItem.patient_id.label("patient_id"),
            outcome.label("part_outcome"),
            _yes(AgendaItem.late_addition).label("part_late"),
            *_tally_columns(scope, Meeting.locality_id),
        )
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .where(AgendaItem.archived_at.is_(None), AgendaItem.status != CaseStatus.withdrawn)
        .where(*_only_patients(AgendaItem.patient_id, scope))
        .where(*_meeting_scope(scope), Patient.archived_at.is_(None))
        .where(*([Patient.gp_practice_id == scope.practice_id] if scope.practice_id else []))
    )


def _only_meetings(scope: Scope) -> list:
    return [] if scope.meetings is None else [Meeting.id.in_(sorted(scope.meetings))]


def _meetings(scope: Scope) -> Select:
    only = _only_meetings(scope)
    return select(
        Meeting.id.label("record_id"),
        london_date(Meeting.starts_at).label("on"),
        cast(null(), Integer).label("patient_id"),
        *_tally_columns(scope, Meeting.locality_id, cast(null(), Integer)),
    ).where(*_meeting_scope(scope), *only)


#: How an agency took part in a held meeting: attended when any of its people attended, else apologies when any
#: sent them, else absent (invited, and nobody came or wrote).
_TOOK_PART = {2: "attended", 1: "apologies", 0: "absent"}


def _agency_meetings_grouped(scope: Scope):
    best = func.max(
        case(
            (Attendance.status == AttendanceStatus.attended, 2),
            (Attendance.status == AttendanceStatus.apologies, 1),
            else_=0,
        )
    )
    return (
        select(
            Meeting.id.label("meeting_id"),
            Meeting.starts_at.label("starts_at"),
            Meeting.locality_id.label("locality_id"),
            Contact.organisation_id.label("organisation_id"),
            best.label("best"),
        )
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .join(Contact, Contact.id == Attendance.contact_id)
        .where(*_meeting_scope(scope), *_only_meetings(scope))
        .group_by(Meeting.id, Meeting.starts_at, Meeting.locality_id, Contact.organisation_id)
        .subquery()
    )


def _agency_meetings(scope: Scope) -> Select:
    grouped = _agency_meetings_grouped(scope)
    took_part = case(*((grouped.c.best == k, v) for k, v in _TOOK_PART.items()), else_="absent")
    return select(
        grouped.c.meeting_id.label("record_id"),
        london_date(grouped.c.starts_at).label("on"),
        cast(null(), Integer).label("patient_id"),
        grouped.c.organisation_id.label("part_organisation"),
        took_part.label("part_outcome"),
        # The meeting's time in minutes, for the tallies: "missed in a row" follows the meetings' order.
        epoch_minute(grouped.c.starts_at).label("value"),
        *_tally_columns(scope, grouped.c.locality_id, cast(null(), Integer)),
    )


def _actions_due(scope: Scope) -> Select:
    on_time = and_(
        ActionRecord.status == ActionStatus.done,
        ActionRecord.completed_on.is_not(None),
        ActionRecord.completed_on <= ActionRecord.due_on,
    )
    return (
        select(
            ActionRecord.id.label("record_id"),
            ActionRecord.due_on.label("on"),
            ActionRecord.patient_id.label("patient_id"),
            ActionRecord.owner_organisation_id.label("part_organisation"),
            _yes(on_time).label("part_on_time"),
            *_tally_columns(scope, _practice_locality()),
        )
        .join(Patient, Patient.id == ActionRecord.patient_id)
        .where(ActionRecord.archived_at.is_(None), ActionRecord.status != ActionStatus.cancelled)
        .where(_in(ActionRecord.due_on, scope), *_patient_scope(scope))
    )


def _actions_overdue(scope: Scope) -> Select:
    return (
        select(
            ActionRecord.id.label("record_id"),
            ActionRecord.due_on.label("on"),
            ActionRecord.patient_id.label("patient_id"),
            ActionRecord.owner_organisation_id.label("part_organisation"),
            *_tally_columns(scope, _practice_locality()),
        )
        .join(Patient, Patient.id == ActionRecord.patient_id)
        .where(ActionRecord.archived_at.is_(None), ActionRecord.status.in_(OPEN_ACTION))
        .where(_in(ActionRecord.due_on, scope), *_patient_scope(scope))
    )


def _onward(scope: Scope) -> Select:
    return (
        select(
            OnwardReferral.id.label("record_id"),
            OnwardReferral.referred_on.label("on"),
            OnwardReferral.patient_id.label("patient_id"),
            OnwardReferral.service.label("part_service"),
            _text(OnwardReferral.outcome).label("part_outcome"),
            *_tally_columns(scope, _practice_locality()),
        )
        .join(Patient, Patient.id == OnwardReferral.patient_id)
        .where(OnwardReferral.archived_at.is_(None), _in(OnwardReferral.referred_on, scope), *_patient_scope(scope))
    )


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


def _first_discussions(scope: Scope):
    """Each patient's first discussion: the London date of the first meeting where their case was discussed."""
    return (
        select(AgendaItem.patient_id, london_date(func.min(Meeting.starts_at)).label("first_on"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(*_discussed_items(), *_only_patients(AgendaItem.patient_id, scope))
        .group_by(AgendaItem.patient_id)
        .subquery()
    )


def _first_discussed_patients(scope: Scope) -> Select:
    """Patients first discussed in the period, with their care plan's first sharing with their GP since then."""
    first = _first_discussions(scope)
    first_share = (
        select(func.min(CarePlanShare.shared_on))
        .join(CarePlan, CarePlan.id == CarePlanShare.care_plan_id)
        .where(
            CarePlan.patient_id == Patient.id,
            CarePlan.archived_at.is_(None),
            CarePlanShare.shared_with_id == Patient.gp_practice_id,
            CarePlanShare.shared_on >= first.c.first_on,
        )
        .scalar_subquery()
        .correlate_except(CarePlanShare, CarePlan)
    )
    days = int(get_setting(CARE_PLAN_SHARE_DAYS))
    in_time = and_(first_share.is_not(None), working_days_between(first.c.first_on, first_share) <= days)
    return (
        select(
            Patient.id.label("record_id"),
            first.c.first_on.label("on"),
            Patient.id.label("patient_id"),
            _yes(in_time).label("part_shared_in_time"),
            _yes(_after_incomplete(first.c.first_on, scope)).label("part_after_incomplete"),
            *_tally_columns(scope, _practice_locality()),
        )
        .join(first, first.c.patient_id == Patient.id)
        .where(_in(first.c.first_on, scope), *_patient_scope(scope))
    )


def _hospital_events(scope: Scope) -> Select:
    """The hospital events of the patients first discussed in the period, in the months before the first discussion
    (from the same day six months earlier) or after it (from its day, up to the day before six months later)."""
    first = _first_discussions(scope)
    after = HospitalEvent.occurred_on >= first.c.first_on
    window = case((after, "after"), else_="before")
    return (
        select(
            HospitalEvent.id.label("record_id"),
            HospitalEvent.occurred_on.label("on"),
            HospitalEvent.patient_id.label("patient_id"),
            _text(HospitalEvent.kind).label("part_kind"),
            window.label("part_window"),
            first.c.first_on.label("first_on"),
            *_tally_columns(scope, _practice_locality()),
        )
        .join(first, first.c.patient_id == HospitalEvent.patient_id)
        .join(Patient, Patient.id == HospitalEvent.patient_id)
        .where(HospitalEvent.archived_at.is_(None), _in(first.c.first_on, scope), *_patient_scope(scope))
        .where(
            HospitalEvent.occurred_on >= add_months(first.c.first_on, -HOSPITAL_MONTHS),
            HospitalEvent.occurred_on < add_months(first.c.first_on, HOSPITAL_MONTHS),
        )
    )


def _closure_goals(scope: Scope) -> Select:
    return (
        select(
            ClosureGoal.id.label("record_id"),
            Episode.closed_on.label("on"),
            Episode.patient_id.label("patient_id"),
            _yes(ClosureGoal.attainment.in_(ACHIEVED)).label("part_achieved"),
            *_tally_columns(scope, Episode.locality_id),
        )
        .join(Episode, Episode.id == ClosureGoal.episode_id)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(Episode.archived_at.is_(None), _in(Episode.closed_on, scope), *_own_scope(scope))
        .where(*_own_locality(Episode.locality_id, scope))
    )


def _safeguarding(scope: Scope) -> Select:
    referred = SafeguardingConcern.referred_on.is_not(None)
    return (
        select(
            SafeguardingConcern.id.label("record_id"),
            SafeguardingConcern.raised_on.label("on"),
            SafeguardingConcern.patient_id.label("patient_id"),
            case((referred, _days(SafeguardingConcern.referred_on, SafeguardingConcern.raised_on))).label("value"),
            _yes(referred).label("part_referred"),
            *_tally_columns(scope, _practice_locality()),
        )
        .join(Patient, Patient.id == SafeguardingConcern.patient_id)
        .where(SafeguardingConcern.archived_at.is_(None), _in(SafeguardingConcern.raised_on, scope))
        .where(*_patient_scope(scope))
    )


def _episodes(scope: Scope) -> Select:
    return (
        select(Episode.id.label("record_id"), Episode.patient_id.label("patient_id"))
        .join(Patient, Patient.id == Episode.patient_id)
        .where(Episode.archived_at.is_(None), *_own_scope(scope), *_own_locality(Episode.locality_id, scope))
    )


def _data_quality() -> list:
    """An episode's patient's data quality, as the caseload's parts."""
    consented = exists().where(Referral.id == Episode.referral_id, Referral.consent.in_(CONSENTED))
    return [
        _yes(Patient.nhs_number_status == NhsNumberStatus.verified).label("part_verified"),
        _yes(or_(Patient.cfs.is_not(None), Patient.efi.is_not(None))).label("part_frailty"),
        _yes(consented).label("part_consent"),
    ]


def _caseload(scope: Scope) -> Select:
    return (
        _episodes(scope)
        .add_columns(Episode.opened_on.label("on"), *_data_quality())
        .where(Episode.opened_on <= scope.as_at, or_(Episode.closed_on.is_(None), Episode.closed_on > scope.as_at))
    )


def _opened(scope: Scope) -> Select:
    """Episodes opened in the period: with those closed, what the caseload at a date is counted from (open on a
    day = opened by then less closed by then, as an episode closes on or after it opens)."""
    return (
        _episodes(scope)
        .add_columns(Episode.opened_on.label("on"), *_data_quality(), *_tally_columns(scope, Episode.locality_id))
        .where(_in(Episode.opened_on, scope))
    )


def _closed(scope: Scope) -> Select:
    return (
        _episodes(scope)
        .add_columns(
            Episode.closed_on.label("on"),
            _days(Episode.closed_on, Episode.opened_on).label("value"),
            *_data_quality(),
            *_tally_columns(scope, Episode.locality_id),
        )
        .where(_in(Episode.closed_on, scope))
    )


def _reviews_overdue(scope: Scope) -> Select:
    return (
        _episodes(scope)
        .add_columns(Episode.review_on.label("on"))
        .where(Episode.closed_on.is_(None), Episode.review_on < scope.on)
    )


def _after_incomplete(first_on, scope: Scope):
    """The six months after a first discussion have not yet passed (about today, so worked out when read)."""
    return add_months(first_on, HOSPITAL_MONTHS) > scope.on


def _after_incomplete_from(on: date) -> date:
    """The first day whose six months after have not passed by `on`, for the tally rows' days: `add_months` never
    goes backwards, so "add_months(day, 6) > on" holds from this day on."""
    day = months_later(on, -HOSPITAL_MONTHS) - timedelta(days=4)
    while months_later(day, HOSPITAL_MONTHS) <= on:
        day += timedelta(days=1)
    return day


def _before_today(scope: Scope) -> tuple[date, date]:
    """The dates of a figure about today: everything due before it."""
    return kpi_tallies.EVER[0], scope.on - timedelta(days=1)


_MEETING = (AgendaItem, Meeting)
_DATA_QUALITY = {"verified": "Verified NHS number", "frailty": "Frailty score", "consent": "Consent recorded"}
DRILLS: dict[str, Drill] = {
    "received": Drill("Referrals received", "referral", "referral", _received,
                      {"organisation": "Referrer organisation"}, "Received", depends=(Referral,)),
    "triaged": Drill("Referrals triaged", "referral", "referral", _triaged,
                     {"outcome": "Outcome", "reason": "Decline reason"}, "Triaged",
                     depends=(Referral, TriageDecision)),
    "first_discussed": Drill("Referrals first discussed", "referral", "referral", _first_discussed_referrals, {},
                             "First discussed", depends=(Referral, *_MEETING)),
    "listed": Drill("Cases listed at meetings held", "agenda item", "agenda_item", _listed,
                    {"outcome": "Outcome", "late": "Late addition"}, "Meeting", practice_rule="both",
                    depends=_MEETING),
    "meetings": Drill("Meetings held", "meeting", "meeting", _meetings, {}, "Meeting", practice_rule="meeting",
                      depends=(Meeting,)),
    # Counted from the records: "missed in a row" follows the meetings' order within a day.
    "agency_meetings": Drill("Meetings held, by agency", "meeting", "meeting", _agency_meetings,
                             {"organisation": "Agency", "outcome": "Took part"}, "Meeting", practice_rule="meeting",
                             depends=(Meeting, Attendance, Contact), ordered=True),
    "actions_due": Drill("Actions due", "action", "action", _actions_due,
                         {"organisation": "Owner", "on_time": "Completed on time"}, "Due", depends=(ActionRecord,)),
    "actions_overdue": Drill("Actions overdue today", "action", "action", _actions_overdue,
                             {"organisation": "Owner"}, "Due", depends=(ActionRecord,), period_of=_before_today),
    "onward": Drill("Onward referrals made", "onward referral", "onward_referral", _onward,
                    {"service": "Service", "outcome": "Outcome"}, "Referred", depends=(OnwardReferral,)),
    "first_discussed_patients": Drill("Patients first discussed", "patient", None, _first_discussed_patients,
                                      {"shared_in_time": "Care plan shared in time",
                                       "after_incomplete": "Six months after not yet passed"}, "First discussed",
                                      depends=(*_MEETING, CarePlan, CarePlanShare),
                                      live_parts={"after_incomplete": lambda on, scope: on >= _after_incomplete_from(
                                          scope.on)}),
    "hospital_events": Drill("Hospital events around a first discussion", "hospital event", "hospital_event",
                             _hospital_events, {"kind": "Kind", "window": "Before or after"}, "Occurred",
                             period="first_on", depends=(HospitalEvent, *_MEETING)),
    "closure_goals": Drill("Goals at closure", "goal at closure", None, _closure_goals, {"achieved": "Achieved"},
                           "Episode closed", depends=(Episode, ClosureGoal)),
    "safeguarding": Drill("Safeguarding concerns raised", "safeguarding concern", "safeguarding_concern",
                          _safeguarding, {"referred": "Referred"}, "Raised", depends=(SafeguardingConcern,)),
    "caseload": Drill("Open episodes at the period's end", "episode", "episode", _caseload, _DATA_QUALITY,
                      "Opened", tallied=False),
    "closed": Drill("Episodes closed", "episode", "episode", _closed, _DATA_QUALITY, "Closed",
                    depends=(Episode, Referral, Patient)),
    "opened": Drill("Episodes opened", "episode", "episode", _opened, _DATA_QUALITY, "Opened",
                    depends=(Episode, Referral, Patient)),
    "reviews_overdue": Drill("Reviews overdue today", "episode", "episode", _reviews_overdue, {}, "Review due",
                             tallied=False),
}  # fmt: skip


@dataclass(frozen=True)
class Link:
    """A figure's way to its records: a drill-down, narrowed by parts (`where`) and/or other dates."""

    drill: str
    where: tuple[tuple[str, str], ...] = ()
    start: date | None = None
    end: date | None = None

    def args(self) -> dict:
        """The drill-down page's query arguments (the period and filters are added by the page)."""
        out: dict = {"drill": self.drill}
        if self.where:
            out["part"] = [f"{name}:{value}" for name, value in self.where]
        if self.start:
            out["from"], out["to"] = self.start.isoformat(), self.end.isoformat()
        return out


def link(drill: str, start: date | None = None, end: date | None = None, **where) -> Link:
    """`link("actions_due", organisation=5, on_time="yes")`: the records behind one figure."""
    return Link(drill, tuple((name, str(value)) for name, value in where.items()), start, end)


def parse_parts(values: list[str]) -> tuple[tuple[str, str], ...]:
    """`["organisation:5", "outcome:attended"]` from a page address, back into a link's parts."""
    parts = []
    for value in values:
        name, colon, rest = value.partition(":")
        if not colon:
            raise DomainError("This list cannot be narrowed that way.")
        parts.append((name, rest))
    return tuple(parts)


def dated(drill: Drill, scope: Scope, target: Link | None = None) -> Scope:
    """The scope with the dates a figure counts: a link's own dates (a month of the period), or those of a figure
    about today."""
    if target is not None and target.start:
        return replace(scope, start=target.start, end=target.end)
    if drill.period_of:
        return replace(scope, start=drill.period_of(scope)[0], end=drill.period_of(scope)[1])
    return scope


def drill_query(target: Link, scope: Scope):
    """The records behind a figure, as a subquery (its rows are the figure's count)."""
    drill = DRILLS.get(target.drill)
    if drill is None:
        raise DomainError("There is no such list of records.")
    query = drill.build(dated(drill, scope, target))
    if not target.where:
        return query.subquery()
    sub = query.subquery()
    rules = []
    for name, value in target.where:
        if name not in drill.parts:
            raise DomainError("This list cannot be narrowed that way.")
        column = sub.c[f"part_{name}"]
        rules.append(column == _part_value(column, value))
    return select(sub).where(*rules).subquery()


def _part_value(column, value: str, number: bool | None = None):
    """A part's value from a page address: a number for a numeric part (an organisation's id), else the text."""
    if isinstance(column.type, Integer) if number is None else number:
        number = whole_number(value, minimum=-MAX_ID)
        if number is None:
            raise DomainError("This list cannot be narrowed that way.")
        return number
    return value


def _counts(targets: dict[str, Link], scope: Scope) -> dict[str, int]:
    """Counts over drill-downs, one query per drill-down: its parts are counted together in one pass over its tally
    rows (or, for a drill-down about today, over its records)."""
    by_drill: dict[str, list[tuple[str, Link]]] = {}
    for name, target in targets.items():
        by_drill.setdefault(target.drill, []).append((name, target))
    out: dict[str, int] = {}
    for key, wanted in by_drill.items():
        drill = DRILLS[key]
        if drill.tallied:
            live = any(p in drill.live_parts for t in wanted for p, _ in t[1].where)
            rows = kpi_tallies.tally_rows(key, scope, days_only=live)
            columns = [kpi_tallies.n_where(rows, _tally_rules(drill, rows, t.where, scope)).label(n) for n, t in wanted]
        else:
            rows = drill_query(Link(key), scope)
            columns = []
            for name, target in wanted:
                rules = [rows.c[f"part_{p}"] == _part_value(rows.c[f"part_{p}"], v) for p, v in target.where]
                columns.append(func.coalesce(func.sum(case((and_(*rules), 1), else_=0)), 0).label(name) if rules
                               else func.count().label(name))  # fmt: skip
        out.update(db.session.execute(select(*columns).select_from(rows)).one()._mapping)
    return out


def _caseload_counts(scope: Scope) -> dict[str, int]:
    """The caseload at the period's end and its data quality, from the tallies: the episodes opened by then less those
    closed by then (an episode closes on or after the day it opens), in two queries whatever the period."""
    ever = replace(scope, start=kpi_tallies.EVER[0], end=scope.as_at)
    out: dict[str, int] = {}
    for key, sign in (("opened", 1), ("closed", -1)):
        rows = kpi_tallies.tally_rows(key, ever)
        wanted = {"caseload": [], **{p: [rows.c[f"part_{p}"] == "yes"] for p in _DATA_QUALITY}}
        sums = db.session.execute(select(*(kpi_tallies.n_where(rows, r).label(n) for n, r in wanted.items()))).one()
        for name, n in sums._mapping.items():
            out[name] = out.get(name, 0) + sign * n
    return out


def _tally_rules(drill: Drill, rows, where, scope: Scope) -> list:
    """A link's parts as conditions on tally rows: stored parts compare as text, a part about today is worked out from
    the row's day."""
    rules = []
    for name, value in where:
        if name not in drill.parts:
            raise DomainError("This list cannot be narrowed that way.")
        if name in drill.live_parts:
            rules.append(drill.live_parts[name](rows.c.on, scope) == (value == "yes"))
        else:
            column = rows.c[f"part_{name}"]  # tally parts are text; organisations are ids in the records
            rules.append(column == str(_part_value(column, value, number=name == "organisation")))
    return rules


def _percentiles(key: str, scope: Scope) -> tuple[int | None, int | None]:
    """The median and 90th percentile (nearest rank) of a drill-down's values (the rows that have one: a concern's
    days to referral only once referred), in one query over its value rows."""
    rows = kpi_tallies.tally_rows(key, scope, values=kpi_tallies.DAYS)
    return tuple(db.session.execute(kpi_tallies.percentiles(rows)).one())


# --- the report ------------------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One number on the dashboard, how it reads, and the link to its records."""

    label: str
    text: str
    value: float | int | None = None
    link: Link | None = None
    #: Under the team lead's threshold (shown highlighted).
    flagged: bool = False


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[Figure]]


@dataclass
class Kpi:
    key: str
    title: str
    definition: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    caveat: str | None = None
    #: The name of its chart (`exports.charts`), when it has one.
    chart: str | None = None


@dataclass
class Report:
    scope: Scope
    period_label: str
    locality: str
    practice: str
    kpis: list[Kpi]
    #: Data for the charts: name → (labels, series name → values); threshold for the attendance chart.
    chart_data: dict = field(default_factory=dict)
    attendance_threshold: int = 75

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)

    def links(self) -> list[Link]:
        """Every distinct drill-down the report links to (the spreadsheet's record sheets)."""
        seen = {}
        for kpi in self.kpis:
            for figure in [*kpi.figures, *(f for t in kpi.tables for row in t.rows for f in row)]:
                if figure.link and figure.link.drill not in seen:
                    seen[figure.link.drill] = Link(figure.link.drill)
        return list(seen.values())


def _count_text(n) -> str:
    return f"{n:,}"


def _ratio(label: str, top: int, bottom: int, link: Link, threshold: int | None = None) -> Figure:
    if not bottom:
        return Figure(label, NOT_RECORDED, None, link)
    percent = 100 * top / bottom
    flagged = threshold is not None and percent < threshold
    return Figure(label, f"{percent:.0f} % ({top:,} of {bottom:,})", round(percent, 1), link, flagged)


def _days_figure(label: str, days, link: Link) -> Figure:
    if days is None:
        return Figure(label, NOT_RECORDED, None, link)
    return Figure(label, f"{days} day{'s' if days != 1 else ''}", days, link)


def _count_figure(label: str, n: int, link: Link | None) -> Figure:
    return Figure(label, _count_text(n), n, link)


DEFINITIONS = {
    "referrals": "Referrals with a received date in the period; by month and by referrer organisation.",
    "acceptance": (
        "Accepted ÷ (accepted + declined + advice only + redirected) among referrals triaged in the period "
        "(a triage decision that settled the referral dated in the period); decline reasons counted."
    ),
    "triage_days": (
        "Days from the received date to the triage decision that settled the referral: median and 90th percentile "
        "(nearest rank), over referrals triaged in the period."
    ),
    "discussion_days": (
        "Days from the received date to the date of the first meeting where the case was discussed: median and "
        "90th percentile (nearest rank), over referrals whose first discussion falls in the period."
    ),
    "listed": (
        "Agenda items of meetings held in the period (withdrawn items left out): discussed ÷ listed; cases not "
        "reached or rolled over; late additions."
    ),
    "attendance": (
        "For meetings held in the period: the meetings where the agency had at least one member attending ÷ the "
        "meetings held that it was invited to (most agencies serve one locality: with all localities chosen, a "
        "practice is not measured against the other localities' meetings). Agencies under the team lead's threshold "
        "are highlighted. An agency attended a meeting when any of its people did, sent apologies when any did and "
        "nobody came, and was absent otherwise; 'missed in a row' counts its latest meetings not attended."
    ),
    "actions": (
        "Actions with a due date in the period (cancelled actions left out): completed on or before the due date "
        "÷ all; by owner organisation; plus the actions overdue today (open or in progress, due before today)."
    ),
    "onward": "Onward referrals made in the period, by service, with their outcomes.",
    "care_plans": (
        "Patients first discussed in the period whose care plan was shared with their GP within the team lead's "
        "number of working days of that discussion (weekends and England & Wales bank holidays skipped) ÷ those "
        "patients."
    ),
    "goals": "Goals achieved or partly achieved ÷ goals, over the episodes closed in the period.",
    "safeguarding": "Concerns raised in the period; those referred; median days from raised to referred.",
    "caseload": (
        "Open episodes at the period's end (today, while it runs); median length of stay (days) of the episodes "
        "closed in the period; reviews overdue today (open episodes whose review date has passed)."
    ),
    "data_quality": (
        "Patients on the caseload at the period's end (open episodes) with a verified NHS number (status 01), a "
        "frailty score (Clinical Frailty Scale or eFI) and consent recorded, each as a percentage."
    ),
    "hospital": (
        "For patients first discussed in the period: non-elective admissions and A&E attendances in the 6 months "
        "before the first discussion against the 6 months from it."
    ),
}


def _ensure_counted(scope: Scope) -> None:
    """The bank holidays the working-day counts need, and tallies counted with them."""
    if ensure_bank_holidays(scope.start, scope.end) and kpi_tallies.is_built(db.session()):
        kpi_tallies.rebuild(keys=[k for k, d in DRILLS.items() if d.tallied and d.live_parts])
    kpi_tallies.ensure_built()


def build_report(scope: Scope, period_label: str = "") -> Report:
    """Every KPI of DESIGN.md §5 for the scope, in a fixed number of queries."""
    _ensure_counted(scope)
    threshold = int(get_setting(ATTENDANCE_THRESHOLD))
    share_days = int(get_setting(CARE_PLAN_SHARE_DAYS))

    L = link  # noqa: N806 - read as a constructor in the table below
    f = _counts(
        {
            "discussed_refs": L("first_discussed"),
            "listed": L("listed"),
            "discussed": L("listed", outcome="discussed"),
            "rolled_over": L("listed", outcome="rolled_over"),
            "late": L("listed", late="yes"),
            "meetings": L("meetings"),
            "onward": L("onward"),
            "patients": L("first_discussed_patients"),
            "shared_in_time": L("first_discussed_patients", shared_in_time="yes"),
            "after_incomplete": L("first_discussed_patients", after_incomplete="yes"),
            "goals": L("closure_goals"),
            "goals_achieved": L("closure_goals", achieved="yes"),
            "concerns": L("safeguarding"),
            "referred": L("safeguarding", referred="yes"),
            "closed": L("closed"),
            "reviews_overdue": L("reviews_overdue"),
            **{
                f"{kind.value}_{window}": L("hospital_events", kind=kind.value, window=window)
                for kind in HospitalEventKind
                for window in ("before", "after")
            },
        },
        scope,
    )
    f.update(_caseload_counts(scope))
    for name, key in (("triage", "triaged"), ("discussion", "first_discussed"), ("stay", "closed")):
        f[f"{name}_p50"], f[f"{name}_p90"] = _percentiles(key, scope)
    f["safeguarding_p50"], _ = _percentiles("safeguarding", scope)

    names = _breakdowns(scope)
    # Figures the breakdowns already counted (grouped over the same drill-downs), not counted twice.
    f["received"] = sum(count for _, count in names.referrers)
    f["triaged"], f["accepted"] = sum(names.outcomes.values()), names.outcomes.get(TriageOutcome.accept.value, 0)
    f["actions_due"] = sum(due for _, due, _ in names.actions_by_org)
    f["actions_on_time"] = sum(on_time for _, _, on_time in names.actions_by_org)
    f["actions_overdue"] = sum(names.overdue_by_org.values())
    kpis = [
        _referrals_kpi(scope, f, names),
        _acceptance_kpi(scope, f, names),
        Kpi("triage_days", "Days to triage", DEFINITIONS["triage_days"], [
            _days_figure("Median", f["triage_p50"], L("triaged")),
            _days_figure("90th percentile", f["triage_p90"], L("triaged")),
        ]),
        Kpi("discussion_days", "Days to first discussion", DEFINITIONS["discussion_days"], [
            _days_figure("Median", f["discussion_p50"], L("first_discussed")),
            _days_figure("90th percentile", f["discussion_p90"], L("first_discussed")),
        ]),
        Kpi("listed", "Listed vs discussed", DEFINITIONS["listed"], [
            _ratio("Discussed ÷ listed", f["discussed"], f["listed"], L("listed", outcome="discussed")),
            _count_figure("Listed", f["listed"], L("listed")),
            _count_figure("Not reached or rolled over", f["rolled_over"], L("listed", outcome="rolled_over")),
            _count_figure("Late additions", f["late"], L("listed", late="yes")),
        ]),
        _attendance_kpi(f["meetings"], names, threshold),
        _actions_kpi(f, names),
        _onward_kpi(f, names),
        Kpi("care_plans", "Care plans shared with the GP in time",
            DEFINITIONS["care_plans"] + f" The team lead's setting is {share_days} working days.", [
                _ratio(f"Shared within {share_days} working days", f["shared_in_time"], f["patients"],
                       L("first_discussed_patients", shared_in_time="yes")),
                _count_figure("Patients first discussed", f["patients"], L("first_discussed_patients")),
            ]),
        Kpi("goals", "Goals achieved at closure", DEFINITIONS["goals"], [
            _ratio("Achieved or partly achieved", f["goals_achieved"], f["goals"],
                   L("closure_goals", achieved="yes")),
            _count_figure("Goals at closure", f["goals"], L("closure_goals")),
        ]),
        Kpi("safeguarding", "Safeguarding", DEFINITIONS["safeguarding"], [
            _count_figure("Concerns raised", f["concerns"], L("safeguarding")),
            _count_figure("Referred", f["referred"], L("safeguarding", referred="yes")),
            _days_figure("Median days raised → referred", f["safeguarding_p50"], L("safeguarding", referred="yes")),
        ]),
        Kpi("caseload", "Caseload", DEFINITIONS["caseload"], [
            _count_figure(f"Open episodes on {format_date(scope.as_at)}", f["caseload"], L("caseload")),
            _days_figure("Median length of stay (closed in the period)", f["stay_p50"], L("closed")),
            _count_figure("Episodes closed", f["closed"], L("closed")),
            _count_figure("Reviews overdue today", f["reviews_overdue"], L("reviews_overdue")),
        ]),
        Kpi("data_quality", "Data quality", DEFINITIONS["data_quality"], [
            _ratio("Verified NHS number", f["verified"], f["caseload"], L("caseload", verified="yes")),
            _ratio("Frailty score", f["frailty"], f["caseload"], L("caseload", frailty="yes")),
            _ratio("Consent recorded", f["consent"], f["caseload"], L("caseload", consent="yes")),
        ]),
        _hospital_kpi(f),
    ]  # fmt: skip
    report = Report(
        scope, period_label or scope.label, names.locality, names.practice, kpis, attendance_threshold=threshold
    )
    report.chart_data = _chart_data(report, names)
    return report


# --- breakdowns (one query each) ------------------------------------------------------------------------------------


@dataclass
class Breakdowns:
    locality: str
    practice: str
    organisations: dict[int, str]
    months: list[tuple[date, date, int, int]]  # first, last, received, accepted (triaged in that month)
    referrers: list[tuple[int, int]]
    outcomes: dict[str, int]
    reasons: list[tuple[str, int]]
    agencies: list[dict]
    actions_by_org: list[tuple[int, int, int]]  # organisation, due, on time
    overdue_by_org: dict[int, int]
    onward: list[tuple[str, str, int]]  # service, outcome, count


def _grouped(link: Link, scope: Scope, *parts: str) -> list:
    drill = DRILLS[link.drill]
    if not drill.tallied:
        sub = drill_query(link, scope)
        columns = [sub.c[f"part_{p}"] for p in parts]
        return db.session.execute(select(*columns, func.count()).group_by(*columns)).all()
    rows = kpi_tallies.tally_rows(link.drill, scope)
    columns = [cast(rows.c[f"part_{p}"], Integer) if p == "organisation" else rows.c[f"part_{p}"] for p in parts]
    query = select(*columns, func.sum(rows.c.n)).where(*_tally_rules(drill, rows, link.where, scope))
    return db.session.execute(query.group_by(*columns)).all()


#: The breakdowns a report needs; a chart asks for its own only.
BREAKDOWNS = frozenset({"months", "agencies", "actions", "referrers", "triage", "onward"})


def _month_counts(scope: Scope) -> list[tuple[date, date, int, int]]:
    """Referrals received and accepted in each month of the period: one scan of each drill-down."""
    months = scope.months()

    def per_month(target: Link):
        rows = kpi_tallies.tally_rows(target.drill, scope)
        rules = _tally_rules(DRILLS[target.drill], rows, target.where, scope)
        sums = [kpi_tallies.n_where(rows, [rows.c.on.between(a, b), *rules]) for a, b in months]
        return db.session.execute(select(*sums)).one()

    got, took = per_month(link("received")), per_month(link("triaged", outcome=TriageOutcome.accept.value))
    return [(a, b, got[i], took[i]) for i, (a, b) in enumerate(months)]


def _breakdowns(scope: Scope, parts: frozenset = BREAKDOWNS) -> Breakdowns:
    agencies = _agency_rows(scope) if "agencies" in parts else []
    actions, overdue = {}, {}
    if "actions" in parts:
        for organisation, on_time, count in _grouped(link("actions_due"), scope, "organisation", "on_time"):
            due, done = actions.get(organisation, (0, 0))
            actions[organisation] = (due + count, done + (count if on_time == "yes" else 0))
        overdue = dict(_grouped(link("actions_overdue"), scope, "organisation"))
    referrers = (
        sorted(_grouped(link("received"), scope, "organisation"), key=lambda r: -r[1]) if "referrers" in parts else []
    )
    outcomes: dict[str, int] = {}
    reasons: dict[str, int] = {}
    if "triage" in parts:
        for outcome, reason, count in _grouped(link("triaged"), scope, "outcome", "reason"):
            outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + count
            if outcome == TriageOutcome.decline.value:
                reasons[str(reason)] = reasons.get(str(reason), 0) + count
    onward = (
        [(s, str(o), c) for s, o, c in _grouped(link("onward"), scope, "service", "outcome")]
        if "onward" in parts
        else []
    )
    wanted = {a["organisation_id"] for a in agencies} | set(actions) | set(overdue) | {r for r, _ in referrers}
    wanted |= {i for i in (scope.locality_id, scope.practice_id) if i}
    organisations = dict(
        db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))).all()
    )
    locality = db.session.get(Locality, scope.locality_id).name if scope.locality_id else "All localities"
    return Breakdowns(
        locality=locality,
        practice=organisations.get(scope.practice_id, "All GP practices") if scope.practice_id else "All GP practices",
        organisations=organisations,
        months=_month_counts(scope) if "months" in parts else [],
        referrers=referrers,
        outcomes=outcomes,
        reasons=sorted(reasons.items(), key=lambda r: -r[1]),
        agencies=agencies,
        actions_by_org=sorted(((o, d, t) for o, (d, t) in actions.items()), key=lambda r: -r[1]),
        overdue_by_org=overdue,
        onward=sorted(onward),
    )


def _agency_rows(scope: Scope) -> list[dict]:
    """Per agency invited to the period's meetings: invited, attended, apologies, absent, and the latest meetings
    missed in a row. Two queries over the tallies: the counts (a few rows a month), then the run of misses from
    the rows in meeting order (their value is the meeting's time), read only from the day or month of each agency's
    latest attendance on: the run is what comes after that attendance."""
    rows = kpi_tallies.tally_rows("agency_meetings", scope)
    attended = rows.c.part_outcome == "attended"
    counts = {
        int(r.organisation): dict(r._mapping)
        for r in db.session.execute(
            select(
                rows.c.part_organisation.label("organisation"),
                func.sum(rows.c.n).label("invited"),
                *(kpi_tallies.n_where(rows, [rows.c.part_outcome == o]).label(o) for o in _TOOK_PART.values()),
                func.max(case((attended, rows.c.on))).label("last_attended_on"),
            ).group_by(rows.c.part_organisation)
        )
    }
    last_on = (
        select(rows.c.part_organisation.label("organisation"), func.max(rows.c.on).label("since"))
        .where(attended)
        .group_by(rows.c.part_organisation)
        .subquery()
    )
    ordered = kpi_tallies.tally_rows("agency_meetings", scope, days_only=True, values=kpi_tallies.ORDER)
    recent = (
        select(ordered)
        .join(last_on, last_on.c.organisation == ordered.c.part_organisation)
        .where(ordered.c.on >= last_on.c.since, ordered.c.on >= select(func.min(last_on.c.since)).scalar_subquery())
        .subquery()
    )
    last_time = (
        select(recent.c.part_organisation.label("organisation"), func.max(recent.c.value).label("last"))
        .where(recent.c.part_outcome == "attended")
        .group_by(recent.c.part_organisation)
        .subquery()
    )
    runs = dict(
        db.session.execute(
            select(recent.c.part_organisation, kpi_tallies.n_where(recent, [recent.c.value > last_time.c.last]))
            .join(last_time, last_time.c.organisation == recent.c.part_organisation)
            .group_by(recent.c.part_organisation)
        ).all()
    )
    out = []
    for organisation, row in counts.items():
        # Never attended in the period: every meeting it was invited to is in the run.
        in_a_row = runs.get(str(organisation), 0) if row["last_attended_on"] else row["invited"]
        out.append({**{k: row[k] for k in ("invited", *_TOOK_PART.values())}, "organisation_id": organisation,
                    "in_a_row": in_a_row})  # fmt: skip
    return out


# --- each KPI's figures and tables -------------------------------------------------------------------------------


def _month_label(first: date, last: date) -> str:
    whole = first.day == 1 and (last + timedelta(days=1)).day == 1
    return f"{first:%B %Y}" if whole else f"{format_date(first)} to {format_date(last)}"


def _referrals_kpi(scope: Scope, f, names: Breakdowns) -> Kpi:
    months = Table(
        "Referrals received and accepted, by month",
        ["Month", "Received", "Accepted (triaged that month)"],
        [
            [
                Figure("Month", _month_label(a, b)),
                _count_figure("Received", received, link("received", a, b)),
                _count_figure("Accepted", accepted, link("triaged", a, b, outcome="accept")),
            ]
            for a, b, received, accepted in names.months
        ],
    )
    referrers = Table(
        "By referrer organisation",
        ["Referrer organisation", "Referrals"],
        [
            [
                Figure("Organisation", names.organisations.get(org, "Not recorded")),
                _count_figure("Referrals", count, link("received", organisation=str(org))),
            ]
            for org, count in names.referrers
        ],
    )
    return Kpi(
        "referrals",
        "Referrals received",
        DEFINITIONS["referrals"],
        [_count_figure("Referrals received", f["received"], link("received"))],
        [months, referrers],
        chart="referrals",
    )


def _acceptance_kpi(scope: Scope, f, names: Breakdowns) -> Kpi:
    outcomes = Table(
        "Triage outcomes",
        ["Outcome", "Referrals"],
        [
            [
                Figure("Outcome", o.label),
                _count_figure(o.label, names.outcomes.get(o.value, 0), link("triaged", outcome=o.value)),
            ]
            for o in SETTLED
        ],
    )
    reasons = Table(
        "Decline reasons",
        ["Reason", "Referrals"],
        [
            [
                Figure("Reason", DeclineReason(r).label if r in DeclineReason._value2member_map_ else "Not recorded"),
                _count_figure("Referrals", c, link("triaged", reason=r)),
            ]
            for r, c in names.reasons
        ],
    )
    return Kpi(
        "acceptance",
        "Acceptance rate",
        DEFINITIONS["acceptance"],
        [
            _ratio("Accepted", f["accepted"], f["triaged"], link("triaged", outcome=TriageOutcome.accept.value)),
            _count_figure("Referrals triaged", f["triaged"], link("triaged")),
        ],
        [outcomes, reasons],
    )


def _attendance_kpi(meetings: int, names: Breakdowns, threshold: int) -> Kpi:
    return Kpi(
        "attendance",
        "Attendance by agency",
        DEFINITIONS["attendance"] + f" The threshold is {threshold} %.",
        [_count_figure("Meetings held", meetings, link("meetings"))],
        [_attendance_table(names, threshold)],
        chart="attendance",
    )


def _attendance_table(names: Breakdowns, threshold: int) -> Table:
    rows = []
    for agency in sorted(names.agencies, key=lambda a: names.organisations.get(a["organisation_id"], "")):
        org = agency["organisation_id"]
        attended = link("agency_meetings", organisation=org, outcome="attended")
        rate = _ratio("Attendance", agency["attended"], agency["invited"], attended, threshold)
        rows.append(
            [
                Figure("Agency", names.organisations.get(org, ""), flagged=rate.flagged),
                rate,
                _count_figure("Invited", agency["invited"], link("agency_meetings", organisation=org)),
                *(
                    _count_figure(label, agency[outcome], link("agency_meetings", organisation=org, outcome=outcome))
                    for outcome, label in (("attended", "Attended"), ("apologies", "Apologies"), ("absent", "Absent"))
                ),
                Figure("Missed in a row", _count_text(agency["in_a_row"]), agency["in_a_row"]),
            ]
        )
    return Table(
        f"Attendance and non-attendance by agency (threshold {threshold} %)",
        ["Agency", "Attendance", "Invited", "Attended", "Apologies", "Absent", "Missed in a row"],
        rows,
    )


def _actions_kpi(f, names: Breakdowns) -> Kpi:
    return Kpi(
        "actions",
        "Actions on time",
        DEFINITIONS["actions"],
        [
            _ratio("Completed on time", f["actions_on_time"], f["actions_due"], link("actions_due", on_time="yes")),
            _count_figure("Actions due", f["actions_due"], link("actions_due")),
            _count_figure("Overdue today", f["actions_overdue"], link("actions_overdue")),
        ],
        [_actions_table(names)],
        chart="actions",
    )


def _actions_table(names: Breakdowns) -> Table:
    rows = [
        [
            Figure("Owner", names.organisations.get(org, "")),
            _ratio("On time", on_time, due, link("actions_due", organisation=org, on_time="yes")),
            _count_figure("Due", due, link("actions_due", organisation=org)),
            _count_figure("Overdue today", names.overdue_by_org.get(org, 0), link("actions_overdue", organisation=org)),
        ]
        for org, due, on_time in names.actions_by_org
    ]
    return Table("By owner organisation", ["Owner", "On time", "Due", "Overdue today"], rows)


def _onward_kpi(f, names: Breakdowns) -> Kpi:
    services: dict[str, dict[str, int]] = {}
    for service, outcome, count in names.onward:
        services.setdefault(service, {})[outcome] = count
    rows = [
        [
            Figure("Service", service),
            _count_figure("Made", sum(counts.values()), link("onward", service=service)),
            *(
                _count_figure(o.label, counts.get(o.value, 0), link("onward", service=service, outcome=o.value))
                for o in OnwardOutcome
            ),
        ]
        for service, counts in services.items()
    ]
    return Kpi(
        "onward",
        "Onward referrals",
        DEFINITIONS["onward"],
        [_count_figure("Onward referrals made", f["onward"], link("onward"))],
        [Table("By service", ["Service", "Made", *(o.label for o in OnwardOutcome)], rows)],
    )


def _hospital_kpi(f) -> Kpi:
    patients = f["patients"]
    figures = [_count_figure("Patients first discussed", patients, link("first_discussed_patients"))]
    rows = []
    for kind in HospitalEventKind:
        cells = [Figure("Kind", _HOSPITAL_WORDS[kind])]
        for window in ("before", "after"):
            target = link("hospital_events", kind=kind.value, window=window)
            count = f[f"{kind.value}_{window}"]
            cells.append(_count_figure(window.capitalize(), count, target) if patients else Figure("", NOT_RECORDED))
        rows.append(cells)
    if f["after_incomplete"]:
        figures.append(
            _count_figure(
                "Of whom the 6 months after have not yet passed",
                f["after_incomplete"],
                link("first_discussed_patients", after_incomplete="yes"),
            )
        )
    return Kpi(
        "hospital",
        "Hospital use before and after",
        DEFINITIONS["hospital"],
        figures,
        [
            Table(
                "Hospital use, 6 months before and after the first discussion",
                ["Kind of hospital use", "Before", "After"],
                rows,
            )
        ],
        caveat=HOSPITAL_CAVEAT,
    )


_HOSPITAL_WORDS = {HospitalEventKind.admission: "Non-elective admissions", HospitalEventKind.ae_attendance:
                   "A&E attendances"}  # fmt: skip


def _month_series(months) -> tuple[list[str], dict[str, list]]:
    return (
        [_month_label(a, b) for a, b, _, _ in months],
        {"Received": [r for _, _, r, _ in months], "Accepted": [a for _, _, _, a in months]},
    )


def _rate_series(table: Table, name: str) -> tuple[list[str], dict[str, list]]:
    """A table's first column against its rate column (the second), for a bar chart."""
    return [row[0].text for row in table.rows], {name: [row[1].value or 0 for row in table.rows]}


def _chart_data(report: Report, names: Breakdowns) -> dict:
    return {
        "referrals": _month_series(names.months),
        "attendance": _rate_series(report.kpi("attendance").tables[0], "Attendance %"),
        "actions": _rate_series(report.kpi("actions").tables[0], "On time %"),
    }


def chart_report(scope: Scope, name: str, period_label: str = "") -> Report:
    """A report holding one chart's data only (the chart's own request computes no other figure)."""
    threshold = int(get_setting(ATTENDANCE_THRESHOLD))
    part = {"referrals": "months", "attendance": "agencies", "actions": "actions"}[name]
    names = _breakdowns(scope, frozenset({part}))
    series = {
        "referrals": lambda: _month_series(names.months),
        "attendance": lambda: _rate_series(_attendance_table(names, threshold), "Attendance %"),
        "actions": lambda: _rate_series(_actions_table(names), "On time %"),
    }[name]()
    report = Report(
        scope, period_label or scope.label, names.locality, names.practice, [], attendance_threshold=threshold
    )
    report.chart_data = {name: series}
    return report


# --- the records behind a figure ------------------------------------------------------------------------------------


@dataclass
class DrillRow:
    record_id: int
    on: date | None
    patient_id: int | None
    nhs_number: str | None
    patient: str | None
    #: The row's parts in words, by the part's label ("Referrer organisation": "Castle Surgery").
    parts: dict[str, str] = field(default_factory=dict)


def drill_rows(link: Link, scope: Scope, limit: int | None = None, offset: int = 0) -> tuple[int, list[DrillRow]]:
    """How many records are behind a figure, and a page of them (oldest first), with the patient each is about and
    the row's parts in words (an agency by its name)."""
    sub = drill_query(link, scope)
    parts = list(DRILLS[link.drill].parts)
    total = db.session.scalar(select(func.count()).select_from(sub))
    query = (
        select(sub.c.record_id, sub.c.on, sub.c.patient_id, Patient.nhs_number, Patient.given_name, Patient.family_name,
               *(sub.c[f"part_{p}"] for p in parts))
        .outerjoin(Patient, Patient.id == sub.c.patient_id)
        .order_by(sub.c.on, sub.c.record_id)
        .offset(offset)
    )  # fmt: skip
    if limit is not None:
        query = query.limit(limit)
    found = list(db.session.execute(query))
    words = _part_words(DRILLS[link.drill], [[getattr(r, f"part_{p}") for p in parts] for r in found])
    rows = [
        DrillRow(r.record_id, _as_date(r.on), r.patient_id, r.nhs_number,
                 f"{r.family_name.upper()}, {r.given_name}" if r.family_name else None, shown)
        for r, shown in zip(found, words, strict=True)
    ]  # fmt: skip
    return total, rows


def _part_words(drill: Drill, values: list[list]) -> list[dict[str, str]]:
    """Each row's parts in words: agencies by name (one query for the page), stored values by their words."""
    names = list(drill.parts)
    organisation_ids = {row[names.index("organisation")] for row in values} - {None} if "organisation" in names else ()
    query = select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))
    organisations = {key: name for key, name in db.session.execute(query)} if organisation_ids else {}
    shown = []
    for row in values:
        words = {}
        for name, value in zip(names, row, strict=True):
            word = organisations.get(value) if name == "organisation" else _PART_WORDS.get(str(value), value)
            words[drill.parts[name]] = "Not recorded" if word is None else str(word)
        shown.append(words)
    return shown


def _as_date(value):
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def record_sheet_rows(key: str, scope: Scope, cap: int) -> tuple[list[str], list[list], int, list[int]]:
    """The rows behind a drill-down for the workbook: record id, date, NHS number and its parts; at most `cap`, with
    the total and the patients named (for the audit trail)."""
    drill = DRILLS[key]
    sub = drill_query(Link(key), scope)
    parts = list(drill.parts)
    total = db.session.scalar(select(func.count()).select_from(sub))
    query = (
        select(sub.c.record_id, sub.c.on, sub.c.patient_id, Patient.nhs_number, *(sub.c[f"part_{p}"] for p in parts))
        .outerjoin(Patient, Patient.id == sub.c.patient_id)
        .order_by(sub.c.on, sub.c.record_id)
        .limit(cap)
    )
    header = [f"{drill.record.capitalize()} id", drill.date_label, "NHS number", *drill.parts.values()]
    rows, patients = [], []
    for row in db.session.execute(query):
        record_id, on, patient_id, nhs_number, *values = row
        rows.append([record_id, format_date(_as_date(on)), nhs_number or "", *values])
        if patient_id:
            patients.append(patient_id)
    return header, rows, total, patients


#: Words for the values a part may take, where the stored value is not already a word.
_PART_WORDS = {
    "yes": "yes",
    "no": "no",
    "discussed": "discussed",
    "rolled_over": "not reached or rolled over",
    "listed": "listed, not yet discussed",
    **{o.value: o.label for o in TriageOutcome},
    **{r.value: r.label for r in DeclineReason},
    **{o.value: o.label for o in OnwardOutcome},
    **{v: v for v in _TOOK_PART.values()},
    **{k.value: k.label for k in HospitalEventKind},
    "before": "before",
    "after": "after",
}


def describe_parts(target: Link) -> str:
    """ "Agency: Demo Telecare Service; Took part: absent": how a list is narrowed, in words."""
    drill = DRILLS[target.drill]
    words = []
    for name, value in target.where:
        if name == "organisation":
            found = db.session.get(Organisation, record_id(value)) if record_id(value) else None
            shown = found.name if found else "Not recorded"
        else:
            shown = _PART_WORDS.get(value, value)
        words.append(f"{drill.parts.get(name, name)}: {shown}")
    return "; ".join(words)
