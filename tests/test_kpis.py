"""The KPIs of DESIGN.md §5 on small hand-built data sets: each expected value is written out as a literal, worked
out by hand from the rows below (never by the code under test), with rows on the period's boundaries, archived
rows, a change of the clocks and bank holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, literal, select

from formats.dates import LONDON
from models import (
    ActionStatus,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    BankHoliday,
    CarePlan,
    CarePlanShare,
    CarePlanState,
    CaseStatus,
    ClosureGoal,
    ClosureReason,
    Consent,
    Contact,
    DeclineReason,
    DomainError,
    Episode,
    Goal,
    GoalDomain,
    GoalStatus,
    HospitalEvent,
    HospitalEventKind,
    Meeting,
    NhsNumberStatus,
    OnwardOutcome,
    OrganisationType,
    Referral,
    SafeguardingCategory,
    TriageDecision,
    TriageOutcome,
    db,
)
from models.sql_dates import _sqlite_london_date, add_months, london_date, months_later
from services.calendar import refresh_bank_holidays
from services.kpis.definitions import HOSPITAL_CAVEAT, NOT_RECORDED
from services.kpis.links import link
from services.kpis.periods import Scope, period_dates
from services.kpis.records import drill_rows, record_sheet_rows
from services.kpis.report import build_report
from tests.kpi_fixtures import ARCHIVED, OCTOBER, count_of, every_figure, figures, held_meeting, rows, save

# --- periods -------------------------------------------------------------------------------------------------------


def test_named_periods_are_calendar_months_quarters_and_financial_years():
    on = date(2026, 12, 2)
    assert period_dates("this_month", on) == (date(2026, 12, 1), date(2026, 12, 31))
    assert period_dates("last_month", on) == (date(2026, 11, 1), date(2026, 11, 30))
    assert period_dates("this_quarter", on) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_dates("last_quarter", on) == (date(2026, 7, 1), date(2026, 9, 30))
    assert period_dates("this_year", on) == (date(2026, 4, 1), date(2027, 3, 31))
    assert period_dates("last_year", on) == (date(2025, 4, 1), date(2026, 3, 31))
    january = date(2027, 1, 15)
    assert period_dates("last_month", january) == (date(2026, 12, 1), date(2026, 12, 31))
    assert period_dates("this_quarter", january) == (date(2027, 1, 1), date(2027, 3, 31))
    assert period_dates("last_quarter", january) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_dates("this_year", january) == (date(2026, 4, 1), date(2027, 3, 31))
    assert period_dates("custom", on, date(2026, 2, 3), date(2026, 2, 3)) == (date(2026, 2, 3), date(2026, 2, 3))
    with pytest.raises(DomainError, match="ends before it starts"):
        period_dates("custom", on, date(2026, 2, 3), date(2026, 2, 2))
    with pytest.raises(DomainError, match="both dates"):
        period_dates("custom", on, date(2026, 2, 3), None)


def test_dates_in_sql_mean_the_same_on_both_databases(app, locality):
    """A meeting at 00:30 in summer is on that London day; six months from 31 August is the end of February."""
    summer_night = datetime(2026, 7, 1, 0, 30, tzinfo=LONDON)  # 30/06 23:30 UTC
    winter_night = datetime(2026, 12, 1, 0, 30, tzinfo=LONDON)
    meeting = save(Meeting(locality=locality, starts_at=summer_night))
    other = save(Meeting(locality=locality, starts_at=winter_night))
    got = dict(db.session.execute(select(Meeting.id, london_date(Meeting.starts_at))).all())
    assert got == {meeting.id: date(2026, 7, 1), other.id: date(2026, 12, 1)}
    assert db.session.scalar(select(add_months(literal(date(2026, 8, 31)), 6))) == date(2027, 2, 28)
    assert db.session.scalar(select(add_months(literal(date(2027, 8, 31)), 6))) == date(2028, 2, 29)
    assert db.session.scalar(select(add_months(literal(date(2026, 8, 31)), -6))) == date(2026, 2, 28)
    assert months_later(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_the_sqlite_london_day_of_every_half_hour_is_the_zones(app):
    # Its short cut (a UTC time before 23:00 is on the same day in London) agrees with the zone at every half hour
    # of a year with both clock changes, and is not taken before 1972 (double summer time, two hours ahead, in 1944).
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for moment in [start + timedelta(minutes=30 * n) for n in range(366 * 48)] + [datetime(1944, 6, 1, 22, 30)]:
        stored = moment.replace(tzinfo=None).isoformat(sep=" ")
        expected = moment.replace(tzinfo=UTC).astimezone(LONDON).date().isoformat()
        assert _sqlite_london_date(stored) == expected, stored


# --- an empty period ------------------------------------------------------------------------------------------------


def test_an_empty_period_shows_not_yet_recorded_for_rates_and_medians_and_zero_for_counts(app):
    report = build_report(OCTOBER)
    assert figures(report.kpi("referrals")) == {"Referrals received": "0"}
    assert figures(report.kpi("acceptance")) == {"Accepted": NOT_RECORDED, "Referrals triaged": "0"}
    assert figures(report.kpi("triage_days")) == {"Median": NOT_RECORDED, "90th percentile": NOT_RECORDED}
    assert figures(report.kpi("discussion_days")) == {"Median": NOT_RECORDED, "90th percentile": NOT_RECORDED}
    assert figures(report.kpi("listed"))["Discussed ÷ listed"] == NOT_RECORDED
    assert figures(report.kpi("actions"))["Completed on time"] == NOT_RECORDED
    assert figures(report.kpi("care_plans"))["Shared within 5 working days"] == NOT_RECORDED
    assert figures(report.kpi("goals"))["Achieved or partly achieved"] == NOT_RECORDED
    assert figures(report.kpi("safeguarding")) == {
        "Concerns raised": "0",
        "Referred": "0",
        "Median days raised → referred": NOT_RECORDED,
    }
    assert figures(report.kpi("data_quality")) == {
        "Verified NHS number": NOT_RECORDED,
        "Frailty score": NOT_RECORDED,
        "Consent recorded": NOT_RECORDED,
    }
    assert rows(report.kpi("hospital").tables[0]) == [
        ["Non-elective admissions", NOT_RECORDED, NOT_RECORDED],
        ["A&E attendances", NOT_RECORDED, NOT_RECORDED],
    ]
    assert rows(report.kpi("referrals").tables[0]) == [["October 2026", "0", "0"]]
    assert report.kpi("hospital").caveat == HOSPITAL_CAVEAT


# --- referrals, acceptance, days to triage --------------------------------------------------------------------------


def test_referrals_received_acceptance_and_days_to_triage(
    app, lead, create_referral, create_patient, make_org, locality
):
    surgery = make_org(name="Castle Surgery", type=OrganisationType.gp_practice)

    def referral(received: date, **extra) -> Referral:
        return create_referral(received_on=received, locality=locality, **extra)

    def decide(r: Referral, on: date, outcome: TriageOutcome, reason: DeclineReason | None = None):
        redirected = "Memory service" if outcome == TriageOutcome.redirect else None
        save(TriageDecision(referral=r, decided_on=on, decided_by=lead, outcome=outcome, decline_reason=reason,
                            redirected_to=redirected))  # fmt: skip

    referral(date(2026, 9, 30))  # the day before: out
    a = referral(date(2026, 10, 1), referrer_organisation=surgery)  # first day: in
    b = referral(date(2026, 10, 15), referrer_organisation=surgery)
    c = referral(date(2026, 10, 31))  # last day: in
    referral(date(2026, 11, 1))  # the day after: out
    referral(date(2026, 10, 10), archived_at=ARCHIVED)  # archived: out
    referral(date(2026, 10, 12), patient=create_patient(archived_at=ARCHIVED))  # an archived patient's: out
    d = referral(date(2026, 9, 20))
    e = referral(date(2026, 9, 25))
    decide(a, date(2026, 10, 6), TriageOutcome.accept)  # 5 days
    decide(b, date(2026, 10, 16), TriageOutcome.more_information)  # not a settling decision
    decide(b, date(2026, 10, 20), TriageOutcome.decline, DeclineReason.criteria_not_met)  # 5 days
    decide(c, date(2026, 11, 2), TriageOutcome.advice_only)  # triaged in November: out
    decide(d, date(2026, 10, 1), TriageOutcome.redirect)  # 11 days
    decide(e, date(2026, 10, 31), TriageOutcome.accept)  # 36 days

    report = build_report(OCTOBER)
    assert figures(report.kpi("referrals")) == {"Referrals received": "3"}
    assert rows(report.kpi("referrals").tables[0]) == [["October 2026", "3", "2"]]
    assert rows(report.kpi("referrals").tables[1]) == [["Castle Surgery", "2"], ["Not recorded", "1"]]
    assert figures(report.kpi("acceptance")) == {"Accepted": "50 % (2 of 4)", "Referrals triaged": "4"}
    assert rows(report.kpi("acceptance").tables[0]) == [
        ["Accept", "2"], ["Decline", "1"], ["Advice only", "0"], ["Redirect to another service", "1"]
    ]  # fmt: skip
    assert rows(report.kpi("acceptance").tables[1]) == [["Criteria not met", "1"]]
    # Nearest rank over 5, 5, 11, 36: the 2nd and the 4th.
    assert figures(report.kpi("triage_days")) == {"Median": "5 days", "90th percentile": "36 days"}
    assert count_of(link("received")) == 3
    assert count_of(link("received", organisation=surgery.id)) == 2
    assert count_of(link("triaged", reason="criteria_not_met")) == 1


def test_filters_by_locality_and_gp_practice(app, create_referral, create_patient, create_locality, make_org):
    north, south = create_locality(name="North"), create_locality(name="South")
    castle = make_org(name="Castle Surgery", type=OrganisationType.gp_practice, locality=north)
    quay = make_org(name="Quay Surgery", type=OrganisationType.gp_practice, locality=south)
    create_referral(received_on=date(2026, 10, 5), locality=north, patient=create_patient(gp_practice=castle))
    create_referral(received_on=date(2026, 10, 6), locality=north, patient=create_patient(gp_practice=quay))
    create_referral(received_on=date(2026, 10, 7), locality=south, patient=create_patient(gp_practice=quay))
    received = link("received")
    assert count_of(received) == 3
    assert count_of(received, Scope(OCTOBER.start, OCTOBER.end, locality_id=north.id)) == 2
    assert count_of(received, Scope(OCTOBER.start, OCTOBER.end, practice_id=quay.id)) == 2
    assert count_of(received, Scope(OCTOBER.start, OCTOBER.end, locality_id=south.id, practice_id=castle.id)) == 0
    report = build_report(Scope(OCTOBER.start, OCTOBER.end, locality_id=north.id, practice_id=quay.id))
    assert (report.locality, report.practice) == ("North", "Quay Surgery")
    assert figures(report.kpi("referrals")) == {"Referrals received": "1"}


# --- meetings: listed vs discussed, attendance, days to first discussion -------------------------------------------


def test_listed_vs_discussed_counts_meetings_held_in_the_period_in_london_time(october_meetings):
    report = build_report(OCTOBER)
    assert figures(report.kpi("listed")) == {
        "Discussed ÷ listed": "60 % (3 of 5)",
        "Listed": "5",
        "Not reached or rolled over": "2",
        "Late additions": "2",
    }
    assert figures(report.kpi("attendance")) == {"Meetings held": "2"}
    total, listed = drill_rows(link("meetings"), OCTOBER)
    assert (total, [r.on for r in listed]) == (2, [date(2026, 10, 1), date(2026, 10, 31)])


def test_days_to_first_discussion_counts_referrals_first_discussed_in_the_period(october_meetings):
    report = build_report(OCTOBER)
    # r1: 30 days, r2: 11 days (r3's first discussion was in September).
    assert figures(report.kpi("discussion_days")) == {"Median": "11 days", "90th percentile": "30 days"}
    assert count_of(link("first_discussed")) == 2


def test_attendance_by_agency_with_apologies_absences_and_meetings_missed_in_a_row(october_meetings):
    report = build_report(OCTOBER)
    table = report.kpi("attendance").tables[0]
    assert table.caption == "Attendance and non-attendance by agency (threshold 75 %)"
    assert rows(table) == [
        # agency, attendance, invited, attended, apologies, absent, missed in a row
        ["Castle Surgery", "50 % (1 of 2)", "2", "1", "1", "0", "0"],
        ["Fire and Rescue", "0 % (0 of 2)", "2", "0", "0", "2", "2"],
        ["Social Services", "100 % (2 of 2)", "2", "2", "0", "0", "0"],
    ]
    assert [row[0].flagged for row in table.rows] == [True, True, False]
    fire = october_meetings["fire"].id
    assert count_of(link("agency_meetings", organisation=fire, outcome="absent")) == 2
    assert count_of(link("agency_meetings", organisation=fire, outcome="attended")) == 0


def test_an_agency_is_measured_against_the_meetings_it_was_invited_to(app, create_locality, make_org):
    """With all localities chosen, a practice of one locality is not counted absent from the other's meetings."""
    north, south = create_locality(name="North"), create_locality(name="South")
    surgery = make_org(name="Castle Surgery", type=OrganisationType.gp_practice, locality=north)
    gp = save(Contact(name="gp", email="gp@example.nhs.net", organisation=surgery))
    attended = held_meeting(north, datetime(2026, 10, 7, 10, 0, tzinfo=LONDON))
    held_meeting(south, datetime(2026, 10, 8, 10, 0, tzinfo=LONDON))
    save(Attendance(meeting=attended, contact=gp, status=AttendanceStatus.attended))
    kpi = build_report(OCTOBER).kpi("attendance")
    assert figures(kpi) == {"Meetings held": "2"}
    assert rows(kpi.tables[0]) == [["Castle Surgery", "100 % (1 of 1)", "1", "1", "0", "0", "0"]]


def test_the_attendance_threshold_is_the_team_leads_setting(october_meetings, lead):
    from services.settings import ATTENDANCE_THRESHOLD, set_setting

    set_setting(ATTENDANCE_THRESHOLD, 50, lead)
    db.session.commit()
    table = build_report(OCTOBER).kpi("attendance").tables[0]
    assert [row[0].flagged for row in table.rows] == [False, True, False]


# --- actions and onward referrals --------------------------------------------------------------------------------


def test_actions_on_time_by_owner_and_overdue_today(app, create_action, make_org):
    pharmacy = make_org(name="Pharmacy", type=OrganisationType.pharmacy)
    housing = make_org(name="Housing", type=OrganisationType.housing)
    done = ActionStatus.done
    create_action(owner_organisation=pharmacy, due_on=date(2026, 10, 1), status=done, completed_on=date(2026, 10, 1))
    create_action(owner_organisation=pharmacy, due_on=date(2026, 10, 31), status=done, completed_on=date(2026, 11, 1))
    create_action(owner_organisation=housing, due_on=date(2026, 10, 15), status=ActionStatus.open)
    create_action(owner_organisation=housing, due_on=date(2026, 10, 15), status=ActionStatus.cancelled)
    create_action(owner_organisation=housing, due_on=date(2026, 9, 30), status=ActionStatus.in_progress)
    create_action(owner_organisation=housing, due_on=date(2026, 10, 20), archived_at=ARCHIVED)
    create_action(owner_organisation=housing, due_on=date(2026, 12, 2), status=ActionStatus.open)  # due today

    kpi = build_report(OCTOBER).kpi("actions")
    assert figures(kpi) == {"Completed on time": "33 % (1 of 3)", "Actions due": "3", "Overdue today": "2"}
    assert rows(kpi.tables[0]) == [["Pharmacy", "50 % (1 of 2)", "2", "0"], ["Housing", "0 % (0 of 1)", "1", "2"]]


def test_onward_referrals_by_service_with_outcomes(app, create_onward_referral):
    accepted, declined = OnwardOutcome.accepted, OnwardOutcome.declined
    create_onward_referral(
        service="Falls clinic", referred_on=date(2026, 10, 5), outcome=accepted, outcome_on=date(2026, 10, 9)
    )
    create_onward_referral(service="Falls clinic", referred_on=date(2026, 10, 12))
    create_onward_referral(
        service="Memory service", referred_on=date(2026, 10, 31), outcome=declined, outcome_on=date(2026, 11, 2)
    )
    create_onward_referral(service="Memory service", referred_on=date(2026, 11, 1))
    create_onward_referral(service="Memory service", referred_on=date(2026, 10, 9), archived_at=ARCHIVED)
    kpi = build_report(OCTOBER).kpi("onward")
    assert figures(kpi) == {"Onward referrals made": "3"}
    assert rows(kpi.tables[0]) == [["Falls clinic", "2", "1", "1", "0"], ["Memory service", "1", "0", "0", "1"]]


# --- care plans shared in time (bank holidays) and hospital use --------------------------------------------------


def test_care_plans_shared_within_five_working_days_skip_christmas_bank_holidays(
    app, lead, locality, create_patient, make_org
):
    """Discussed on Wednesday 23/12/2026: the 5th working day after is Monday 04/01/2027 (Christmas Day on Friday,
    Boxing Day's substitute on Monday 28/12 and New Year's Day on Friday 01/01 are not working days)."""
    surgery = make_org(name="Castle Surgery", type=OrganisationType.gp_practice)
    other = make_org(name="Community team", type=OrganisationType.community_health)
    december = held_meeting(locality, datetime(2026, 12, 23, 10, 0, tzinfo=LONDON))
    earlier = held_meeting(locality, datetime(2026, 12, 10, 10, 0, tzinfo=LONDON))

    def discussed(meeting, shares: list[tuple[date, object]]):
        patient = create_patient(gp_practice=surgery)
        save(AgendaItem(meeting=meeting, patient=patient, status=CaseStatus.discussed))
        plan = save(CarePlan(patient=patient, number=1, state=CarePlanState.agreed, agreed_on=date(2026, 12, 1)))
        for on, organisation in shares:
            save(CarePlanShare(care_plan=plan, shared_on=on, shared_by=lead, shared_with=organisation))
        return patient

    in_time = discussed(december, [(date(2027, 1, 4), surgery)])
    discussed(december, [(date(2027, 1, 5), surgery)])  # the 6th working day: late
    discussed(december, [(date(2026, 12, 24), other)])  # shared, but not with the GP
    discussed(earlier, [(date(2026, 12, 9), surgery)])  # shared before the discussion only
    # Shared the next day. Each patient's holidays are counted up to their own sharing: counted up to this one (the
    # earliest of all), the first patient's three holidays would not be skipped and their sharing would be late.
    early = discussed(earlier, [(date(2026, 12, 11), surgery)])
    december_scope = Scope(date(2026, 12, 1), date(2026, 12, 31), on=date(2027, 1, 10))
    kpi = build_report(december_scope).kpi("care_plans")
    assert figures(kpi) == {"Shared within 5 working days": "40 % (2 of 5)", "Patients first discussed": "5"}
    total, found = drill_rows(link("first_discussed_patients", shared_in_time="yes"), december_scope)
    assert (total, sorted(r.patient_id for r in found)) == (2, sorted([in_time.id, early.id]))


def test_hospital_use_six_months_before_and_after_the_first_discussion(app, locality, create_patient):
    discussion = held_meeting(locality, datetime(2026, 10, 14, 10, 0, tzinfo=LONDON))
    patient = create_patient()
    save(AgendaItem(meeting=discussion, patient=patient, status=CaseStatus.discussed))
    admission, ae = HospitalEventKind.admission, HospitalEventKind.ae_attendance
    for kind, on, extra in (
        (admission, date(2026, 4, 13), {}),  # the day before the six months: out
        (admission, date(2026, 4, 14), {}),  # six months before to the day: before
        (ae, date(2026, 10, 13), {}),  # before
        (ae, date(2026, 10, 1), {"archived_at": ARCHIVED}),  # archived: out
        (admission, date(2026, 10, 14), {}),  # the day of the discussion: after
        (ae, date(2027, 4, 13), {}),  # after
        (ae, date(2027, 4, 14), {}),  # six months after to the day: out
    ):
        save(HospitalEvent(patient=patient, kind=kind, occurred_on=on, **extra))
    kpi = build_report(OCTOBER).kpi("hospital")
    assert rows(kpi.tables[0]) == [["Non-elective admissions", "1", "1"], ["A&E attendances", "1", "1"]]
    assert figures(kpi) == {"Patients first discussed": "1", "Of whom the 6 months after have not yet passed": "1"}
    assert kpi.caveat.startswith("Without a matched comparison group this is not evidence")


# --- closure, safeguarding, caseload and data quality ----------------------------------------------------------------


def test_goals_at_closure_length_of_stay_caseload_reviews_and_data_quality(
    app, locality, create_patient, create_episode, create_referral
):
    def episode(opened: date, closed: date | None = None, attainments=(), patient=None, **extra) -> Episode:
        reason = ClosureReason.goals_met if closed else None
        ep = create_episode(opened_on=opened, closed_on=closed, closure_reason=reason, locality=locality,
                            patient=patient or create_patient(), **extra)  # fmt: skip
        if attainments:
            plan = save(CarePlan(patient_id=ep.patient_id, number=1))
            for status in attainments:
                goal = save(Goal(care_plan=plan, description="Walk to the shop", domain=GoalDomain.physical))
                save(ClosureGoal(episode=ep, goal=goal, attainment=status))
        return ep

    a, p, n = GoalStatus.achieved, GoalStatus.partly_achieved, GoalStatus.not_achieved
    episode(date(2026, 9, 1), date(2026, 10, 10), [a, p, n])  # 39 days
    episode(date(2026, 10, 1), date(2026, 10, 31))  # 30 days; closed on the last day: not open at its end
    episode(date(2026, 9, 1), date(2026, 11, 1), [a])  # closed after: open at the end of October
    episode(date(2026, 9, 1), date(2026, 10, 5), [a], archived_at=ARCHIVED)
    verified = create_patient(nhs_number_status=NhsNumberStatus.verified, cfs=6)
    consented = create_referral(patient=verified, locality=locality, consent=Consent.given)
    episode(date(2026, 10, 1), patient=verified, referral=consented, review_on=date(2026, 12, 1))  # overdue today
    episode(date(2026, 11, 1), review_on=date(2026, 12, 3))  # opened after October; review not yet due

    report = build_report(OCTOBER)
    assert figures(report.kpi("goals")) == {"Achieved or partly achieved": "67 % (2 of 3)", "Goals at closure": "3"}
    assert figures(report.kpi("caseload")) == {
        "Open episodes on 31/10/2026": "2",
        "Median length of stay (closed in the period)": "30 days",
        "Episodes closed": "2",
        "Reviews overdue today": "1",
    }
    assert figures(report.kpi("data_quality")) == {
        "Verified NHS number": "50 % (1 of 2)",
        "Frailty score": "50 % (1 of 2)",
        "Consent recorded": "50 % (1 of 2)",
    }


def test_safeguarding_raised_referred_and_median_days(app, create_concern):
    physical = SafeguardingCategory.physical
    create_concern(raised_on=date(2026, 10, 1), referred_on=date(2026, 10, 3), category=physical)  # 2 days
    create_concern(raised_on=date(2026, 10, 20), category=physical)
    create_concern(raised_on=date(2026, 10, 31), referred_on=date(2026, 10, 31), category=physical)  # 0 days
    create_concern(raised_on=date(2026, 9, 30), referred_on=date(2026, 10, 1), category=physical)
    create_concern(raised_on=date(2026, 10, 9), archived_at=ARCHIVED, category=physical)
    assert figures(build_report(OCTOBER).kpi("safeguarding")) == {
        "Concerns raised": "3",
        "Referred": "2",
        "Median days raised → referred": "0 days",
    }


# --- every figure and its list; a fixed number of queries -----------------------------------------------------------


def test_every_figure_links_to_as_many_records_as_it_says(october_meetings, create_action, create_onward_referral):
    create_action(due_on=date(2026, 10, 3), status=ActionStatus.done, completed_on=date(2026, 10, 2))
    create_onward_referral(service="Falls clinic", referred_on=date(2026, 10, 5))
    report = build_report(OCTOBER)
    checked = 0
    for figure in every_figure(report):
        if figure.link is None or figure.text == NOT_RECORDED or "day" in figure.text:
            continue
        total = count_of(figure.link)
        # A count is its list's length; a rate's list is its numerator ("50 % (1 of 2)").
        assert figure.text == f"{total:,}" or f"({total:,} of " in figure.text, (figure.label, figure.text, total)
        checked += 1
    assert checked > 40


def test_the_dashboard_takes_the_same_number_of_queries_for_a_month_and_a_year(october_meetings):
    def queries(scope: Scope) -> int:
        build_report(scope)  # the bank holidays are stored by the first
        counted = []
        listener = lambda *args: counted.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            build_report(scope)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(counted)

    year = Scope(date(2026, 4, 1), date(2027, 3, 31), on=OCTOBER.on)
    assert queries(OCTOBER) == queries(year)


def test_the_migrations_store_the_bank_holidays_of_every_year_and_a_refresh_changes_nothing(app):
    days = set(db.session.scalars(select(BankHoliday.day)))
    assert {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2000, 1, 3), date(2060, 12, 27)} <= days
    assert date(2026, 12, 26) not in days  # a Saturday: takes no working day away
    assert {day.year for day in days} == set(range(2000, 2061))
    assert refresh_bank_holidays() == 0


def test_a_report_row_cap_is_said_in_the_record_sheet(app, create_referral, locality):
    for day in (1, 2, 3):
        create_referral(received_on=date(2026, 10, day), locality=locality)
    header, cut, total, patients = record_sheet_rows("received", OCTOBER, cap=2)
    assert header == ["Referral id", "Received", "NHS number", "Referrer organisation"]
    assert (len(cut), total, len(patients)) == (2, 3, 2)
    assert [row[1] for row in cut] == ["01/10/2026", "02/10/2026"]


def test_a_part_that_is_not_a_number_is_refused_in_words(app):
    with pytest.raises(DomainError, match="cannot be narrowed"):
        drill_rows(link("received", organisation="x"), OCTOBER)
    with pytest.raises(DomainError, match="cannot be narrowed"):
        drill_rows(link("received", colour="blue"), OCTOBER)
    with pytest.raises(DomainError, match="no such list"):
        drill_rows(link("nothing"), OCTOBER)
