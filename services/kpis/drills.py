"""The drill-downs: for each kind of record behind a figure, the query that selects them (`DRILLS`). The dashboard
counts a drill-down's rows (from the tallies), and the list a figure links to lists the same rows, so the two cannot
disagree. A drill-down may be narrowed by one of its *parts* (an outcome, an agency, a status) or by dates (a month
of the period), which is how a table's cells link to their own rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Integer, Select, and_, case, cast, exists, func, null, or_, select

from models import Action as ActionRecord
from models import (
    ActionStatus,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CarePlan,
    CarePlanShare,
    CaseStatus,
    ClosureGoal,
    Contact,
    Episode,
    HospitalEvent,
    Meeting,
    NhsNumberStatus,
    OnwardReferral,
    Patient,
    Referral,
    SafeguardingConcern,
    Signposting,
    TriageDecision,
)
from models.sql_dates import add_months, epoch_minute, london_date
from services.kpis.periods import EVER, Scope
from services.kpis.rules import (
    ACHIEVED,
    CONSENTED,
    HOSPITAL_MONTHS,
    ROLLED_OVER,
    SETTLED,
    after_incomplete,
    after_incomplete_from,
    as_text,
    days_between,
    discussed_items,
    first_discussions,
    in_period,
    meeting_scope,
    only_meetings,
    only_patients,
    own_locality,
    own_scope,
    patient_id_scope,
    patient_scope,
    practice_locality,
    tally_columns,
    working_days_between,
    yes_no,
)
from services.settings import CARE_PLAN_SHARE_DAYS, get_setting


@dataclass(frozen=True)
class Drill:
    """The records behind some figures: `build(scope)` selects `record_id`, `on` (the date that puts the row in the
    period), `patient_id`, an optional `value` (days, for medians) and one `part_<name>` column per part.

    Which records a drill-down reads (and so which changes move its tallies) is found by walking its query
    (`services.kpis.reads`); only what a walk cannot see is declared here: the settings it reads.
    """

    title: str
    #: What a row is, for the list's heading and the spreadsheet ("referral", "agenda item"…).
    record: str
    #: The admin screen a row's id opens (its endpoint), when there is one.
    endpoint: str | None
    build: Callable[[Scope], Select]
    parts: dict[str, str] = field(default_factory=dict)
    #: What the `on` column is, as a column heading.
    date_label: str = "Date"
    #: Counted from the tallies (`services.kpis.tallies`) rather than the records: every drill-down whose rows a
    #: period picks by a date. Those about today (overdue, open now) are counted from the records.
    tallied: bool = True
    #: The column whose date puts a row in the period (`on`, unless the row shows another date).
    period: str = "on"
    #: How the GP practice filter applies: to the patient's practice, to the meeting (held in the practice's
    #: locality), or both.
    practice_rule: str = "patient"
    #: The team-lead settings its query reads (`services.settings` keys): a change re-counts it whole.
    settings: tuple[str, ...] = ()
    #: The dates a figure about today counts, whatever the period (overdue: everything due before today).
    period_of: Callable[[Scope], tuple[date, date]] | None = None
    #: Parts about today, so not tallied: name → condition on the row's date (read from the day rows).
    live_parts: dict[str, Callable] = field(default_factory=dict)
    #: The rows' `value` is their order (a meeting's time), kept in the tally rows themselves; otherwise a value is
    #: days for a median, tallied apart ("<key>:days" rows).
    ordered: bool = False

    @property
    def about_meetings(self) -> bool:
        """Its rows are meetings (no patient): a re-count names the meetings, not the patients."""
        return self.practice_rule == "meeting"


def _received(scope: Scope) -> Select:
    return (
        select(
            Referral.id.label("record_id"),
            Referral.received_on.label("on"),
            Referral.patient_id.label("patient_id"),
            func.coalesce(Referral.referrer_organisation_id, 0).label("part_organisation"),
            *tally_columns(scope, Referral.locality_id),
        )
        .join(Patient, Patient.id == Referral.patient_id)
        .where(Referral.archived_at.is_(None), in_period(Referral.received_on, scope), *own_scope(scope))
        .where(*own_locality(Referral.locality_id, scope))
    )


def _triaged(scope: Scope) -> Select:
    return (
        select(
            Referral.id.label("record_id"),
            TriageDecision.decided_on.label("on"),
            Referral.patient_id.label("patient_id"),
            days_between(TriageDecision.decided_on, Referral.received_on).label("value"),
            as_text(TriageDecision.outcome).label("part_outcome"),
            func.coalesce(as_text(TriageDecision.decline_reason), "none").label("part_reason"),
            *tally_columns(scope, Referral.locality_id),
        )
        .join(TriageDecision, TriageDecision.referral_id == Referral.id)
        .join(Patient, Patient.id == Referral.patient_id)
        .where(Referral.archived_at.is_(None), TriageDecision.outcome.in_(SETTLED))
        .where(
            in_period(TriageDecision.decided_on, scope), *own_scope(scope), *own_locality(Referral.locality_id, scope)
        )
    )


def _first_discussed_referrals(scope: Scope) -> Select:
    first = (
        select(AgendaItem.referral_id, london_date(func.min(Meeting.starts_at)).label("first_on"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.referral_id.is_not(None), *discussed_items(), *only_patients(AgendaItem.patient_id, scope))
        .group_by(AgendaItem.referral_id)
        .subquery()
    )
    return (
        select(
            Referral.id.label("record_id"),
            first.c.first_on.label("on"),
            Referral.patient_id.label("patient_id"),
            days_between(first.c.first_on, Referral.received_on).label("value"),
            *tally_columns(scope, Referral.locality_id),
        )
        .join(first, first.c.referral_id == Referral.id)
        .join(Patient, Patient.id == Referral.patient_id)
        .where(Referral.archived_at.is_(None), in_period(first.c.first_on, scope), *own_scope(scope))
        .where(*own_locality(Referral.locality_id, scope))
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
            yes_no(AgendaItem.late_addition).label("part_late"),
            *tally_columns(scope, Meeting.locality_id),
        )
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .where(AgendaItem.archived_at.is_(None), AgendaItem.status != CaseStatus.withdrawn)
        .where(*only_patients(AgendaItem.patient_id, scope))
        .where(*meeting_scope(scope), Patient.archived_at.is_(None))
        .where(*([Patient.gp_practice_id == scope.practice_id] if scope.practice_id else []))
    )


def _meetings(scope: Scope) -> Select:
    only = only_meetings(scope)
    return select(
        Meeting.id.label("record_id"),
        london_date(Meeting.starts_at).label("on"),
        cast(null(), Integer).label("patient_id"),
        *tally_columns(scope, Meeting.locality_id, cast(null(), Integer)),
    ).where(*meeting_scope(scope), *only)


#: How an agency took part in a held meeting: attended when any of its people attended, else apologies when any
#: sent them, else absent (invited, and nobody came or wrote).
TOOK_PART = {2: "attended", 1: "apologies", 0: "absent"}


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
        .where(*meeting_scope(scope), *only_meetings(scope))
        .group_by(Meeting.id, Meeting.starts_at, Meeting.locality_id, Contact.organisation_id)
        .subquery()
    )


def _agency_meetings(scope: Scope) -> Select:
    grouped = _agency_meetings_grouped(scope)
    took_part = case(*((grouped.c.best == k, v) for k, v in TOOK_PART.items()), else_="absent")
    return select(
        grouped.c.meeting_id.label("record_id"),
        london_date(grouped.c.starts_at).label("on"),
        cast(null(), Integer).label("patient_id"),
        grouped.c.organisation_id.label("part_organisation"),
        took_part.label("part_outcome"),
        # The meeting's time in minutes, for the tallies: "missed in a row" follows the meetings' order.
        epoch_minute(grouped.c.starts_at).label("value"),
        *tally_columns(scope, grouped.c.locality_id, cast(null(), Integer)),
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
            yes_no(on_time).label("part_on_time"),
            *tally_columns(scope, practice_locality()),
        )
        .join(Patient, Patient.id == ActionRecord.patient_id)
        .where(ActionRecord.archived_at.is_(None), ActionRecord.status != ActionStatus.cancelled)
        .where(in_period(ActionRecord.due_on, scope), *patient_scope(scope))
    )


def _actions_overdue(scope: Scope) -> Select:
    return (
        select(
            ActionRecord.id.label("record_id"),
            ActionRecord.due_on.label("on"),
            ActionRecord.patient_id.label("patient_id"),
            ActionRecord.owner_organisation_id.label("part_organisation"),
            *tally_columns(scope, practice_locality()),
        )
        .join(Patient, Patient.id == ActionRecord.patient_id)
        .where(ActionRecord.archived_at.is_(None), ActionRecord.still_open())  # the partial index's rows
        .where(in_period(ActionRecord.due_on, scope), *patient_scope(scope))
    )


def _onward(scope: Scope) -> Select:
    """Onward referrals made in the period: referrals only (signposting is its own record, counted apart)."""
    return (
        select(
            OnwardReferral.id.label("record_id"),
            OnwardReferral.referred_on.label("on"),
            OnwardReferral.patient_id.label("patient_id"),
            OnwardReferral.service.label("part_service"),
            as_text(OnwardReferral.outcome).label("part_outcome"),
            *tally_columns(scope, practice_locality()),
        )
        .join(Patient, Patient.id == OnwardReferral.patient_id)
        .where(
            OnwardReferral.archived_at.is_(None), in_period(OnwardReferral.referred_on, scope), *patient_scope(scope)
        )
    )


#: A signposting's "given to" when it was not asked (recorded before migration 0020), as a part value.
NOT_RECORDED = "not_recorded"


def _signposting(scope: Scope) -> Select:
    """Signposting given in the period, by service and by whom it was given to."""
    return (
        select(
            Signposting.id.label("record_id"),
            Signposting.given_on.label("on"),
            Signposting.patient_id.label("patient_id"),
            Signposting.service.label("part_service"),
            func.coalesce(as_text(Signposting.given_to), NOT_RECORDED).label("part_given_to"),
            *tally_columns(scope, practice_locality()),
        )
        .join(Patient, Patient.id == Signposting.patient_id)
        .where(Signposting.archived_at.is_(None), in_period(Signposting.given_on, scope), *patient_scope(scope))
    )


def _first_discussed_patients(scope: Scope) -> Select:
    """Patients first discussed in the period, with their care plan's first sharing with their GP since then."""
    first = first_discussions(scope)
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
            yes_no(in_time).label("part_shared_in_time"),
            yes_no(after_incomplete(first.c.first_on, scope)).label("part_after_incomplete"),
            *tally_columns(scope, practice_locality()),
        )
        .join(first, first.c.patient_id == Patient.id)
        .where(in_period(first.c.first_on, scope), *patient_scope(scope))
    )


def _hospital_events(scope: Scope) -> Select:
    """The hospital events of the patients first discussed in the period, in the months before the first discussion
    (from the same day six months earlier) or after it (from its day, up to the day before six months later)."""
    first = first_discussions(scope)
    after = HospitalEvent.occurred_on >= first.c.first_on
    window = case((after, "after"), else_="before")
    return (
        select(
            HospitalEvent.id.label("record_id"),
            HospitalEvent.occurred_on.label("on"),
            HospitalEvent.patient_id.label("patient_id"),
            as_text(HospitalEvent.kind).label("part_kind"),
            window.label("part_window"),
            first.c.first_on.label("first_on"),
            *tally_columns(scope, practice_locality()),
        )
        .join(first, first.c.patient_id == HospitalEvent.patient_id)
        .join(Patient, Patient.id == HospitalEvent.patient_id)
        .where(HospitalEvent.archived_at.is_(None), in_period(first.c.first_on, scope), *patient_scope(scope))
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
            yes_no(ClosureGoal.attainment.in_(ACHIEVED)).label("part_achieved"),
            *tally_columns(scope, Episode.locality_id),
        )
        .join(Episode, Episode.id == ClosureGoal.episode_id)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(Episode.archived_at.is_(None), in_period(Episode.closed_on, scope), *own_scope(scope))
        .where(*own_locality(Episode.locality_id, scope))
    )


def _safeguarding(scope: Scope) -> Select:
    referred = SafeguardingConcern.referred_on.is_not(None)
    return (
        select(
            SafeguardingConcern.id.label("record_id"),
            SafeguardingConcern.raised_on.label("on"),
            SafeguardingConcern.patient_id.label("patient_id"),
            case((referred, days_between(SafeguardingConcern.referred_on, SafeguardingConcern.raised_on))).label(
                "value"
            ),
            yes_no(referred).label("part_referred"),
            *tally_columns(scope, practice_locality()),
        )
        .join(Patient, Patient.id == SafeguardingConcern.patient_id)
        .where(SafeguardingConcern.archived_at.is_(None), in_period(SafeguardingConcern.raised_on, scope))
        .where(*patient_scope(scope))
    )


def _episodes(scope: Scope) -> Select:
    return (
        select(Episode.id.label("record_id"), Episode.patient_id.label("patient_id"))
        .join(Patient, Patient.id == Episode.patient_id)
        .where(Episode.archived_at.is_(None), *own_scope(scope), *own_locality(Episode.locality_id, scope))
    )


def _data_quality() -> list:
    """An episode's patient's data quality, as the caseload's parts."""
    consented = exists().where(Referral.id == Episode.referral_id, Referral.consent.in_(CONSENTED))
    return [
        yes_no(Patient.nhs_number_status == NhsNumberStatus.verified).label("part_verified"),
        yes_no(or_(Patient.cfs.is_not(None), Patient.efi.is_not(None))).label("part_frailty"),
        yes_no(consented).label("part_consent"),
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
        .add_columns(Episode.opened_on.label("on"), *_data_quality(), *tally_columns(scope, Episode.locality_id))
        .where(in_period(Episode.opened_on, scope))
    )


def _closed(scope: Scope) -> Select:
    return (
        _episodes(scope)
        .add_columns(
            Episode.closed_on.label("on"),
            days_between(Episode.closed_on, Episode.opened_on).label("value"),
            *_data_quality(),
            *tally_columns(scope, Episode.locality_id),
        )
        .where(in_period(Episode.closed_on, scope))
    )


def _reviews_overdue(scope: Scope) -> Select:
    """Open cases whose review date has passed: read in the index of open cases, the patient's scope said by id."""
    return select(
        Episode.id.label("record_id"), Episode.patient_id.label("patient_id"), Episode.review_on.label("on")
    ).where(
        Episode.archived_at.is_(None),
        Episode.closed_on.is_(None),
        Episode.review_on < scope.on,
        *own_locality(Episode.locality_id, scope),
        *patient_id_scope(Episode.patient_id, scope),
    )


def before_today(scope: Scope) -> tuple[date, date]:
    """The dates of a figure about today: everything due before it."""
    return EVER[0], scope.on - timedelta(days=1)


DATA_QUALITY = {"verified": "Verified NHS number", "frailty": "Frailty score", "consent": "Consent recorded"}


def _after_incomplete_today(on, scope: Scope):
    """The "six months after not yet passed" part, worked out from a tally row's day."""
    return on >= after_incomplete_from(scope.on)


DRILLS: dict[str, Drill] = {
    "received": Drill(
        title="Referrals received", record="referral", endpoint="referral", build=_received,
        parts={"organisation": "Referrer organisation"}, date_label="Received",
    ),
    "triaged": Drill(
        title="Referrals triaged", record="referral", endpoint="referral", build=_triaged,
        parts={"outcome": "Outcome", "reason": "Decline reason"}, date_label="Triaged",
    ),
    "first_discussed": Drill(
        title="Referrals first discussed", record="referral", endpoint="referral", build=_first_discussed_referrals,
        date_label="First discussed",
    ),
    "listed": Drill(
        title="Cases listed at meetings held", record="agenda item", endpoint="agenda_item", build=_listed,
        parts={"outcome": "Outcome", "late": "Late addition"}, date_label="Meeting", practice_rule="both",
    ),
    "meetings": Drill(
        title="Meetings held", record="meeting", endpoint="meeting", build=_meetings, date_label="Meeting",
        practice_rule="meeting",
    ),
    # Its value is the meeting's time: "missed in a row" follows the meetings' order within a day.
    "agency_meetings": Drill(
        title="Meetings held, by agency", record="meeting", endpoint="meeting", build=_agency_meetings,
        parts={"organisation": "Agency", "outcome": "Took part"}, date_label="Meeting", practice_rule="meeting",
        ordered=True,
    ),
    "actions_due": Drill(
        title="Actions due", record="action", endpoint="action", build=_actions_due,
        parts={"organisation": "Owner", "on_time": "Completed on time"}, date_label="Due",
    ),
    "actions_overdue": Drill(
        title="Actions overdue today", record="action", endpoint="action", build=_actions_overdue,
        parts={"organisation": "Owner"}, date_label="Due", period_of=before_today,
    ),
    "onward": Drill(
        title="Onward referrals made", record="onward referral", endpoint="onward_referral", build=_onward,
        parts={"service": "Service", "outcome": "Outcome"}, date_label="Referred",
    ),
    "signposting": Drill(
        title="Signposting given", record="signposting", endpoint="signposting", build=_signposting,
        parts={"service": "Service", "given_to": "Given to"}, date_label="Given",
    ),
    "first_discussed_patients": Drill(
        title="Patients first discussed", record="patient", endpoint=None, build=_first_discussed_patients,
        parts={"shared_in_time": "Care plan shared in time", "after_incomplete": "Six months after not yet passed"},
        date_label="First discussed", settings=(CARE_PLAN_SHARE_DAYS,),
        live_parts={"after_incomplete": _after_incomplete_today},
    ),
    "hospital_events": Drill(
        title="Hospital events around a first discussion", record="hospital event", endpoint="hospital_event",
        build=_hospital_events, parts={"kind": "Kind", "window": "Before or after"}, date_label="Occurred",
        period="first_on",
    ),
    "closure_goals": Drill(
        title="Goals at closure", record="goal at closure", endpoint=None, build=_closure_goals,
        parts={"achieved": "Achieved"}, date_label="Episode closed",
    ),
    "safeguarding": Drill(
        title="Safeguarding concerns raised", record="safeguarding concern", endpoint="safeguarding_concern",
        build=_safeguarding, parts={"referred": "Referred"}, date_label="Raised",
    ),
    "caseload": Drill(
        title="Open episodes at the period's end", record="episode", endpoint="episode", build=_caseload,
        parts=DATA_QUALITY, date_label="Opened", tallied=False,
    ),
    "closed": Drill(
        title="Episodes closed", record="episode", endpoint="episode", build=_closed, parts=DATA_QUALITY,
        date_label="Closed",
    ),
    "opened": Drill(
        title="Episodes opened", record="episode", endpoint="episode", build=_opened, parts=DATA_QUALITY,
        date_label="Opened",
    ),
    "reviews_overdue": Drill(
        title="Reviews overdue today", record="episode", endpoint="episode", build=_reviews_overdue,
        date_label="Review due", tallied=False,
    ),
}  # fmt: skip
