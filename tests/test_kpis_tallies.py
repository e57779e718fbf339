"""The KPI tallies stay in step with the records: after every kind of change the figures read from the tallies are
those a fresh count from the records gives, row for row, and every figure still equals the length of its list."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

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
    Contact,
    DomainError,
    Goal,
    GoalDomain,
    GoalStatus,
    HospitalEvent,
    HospitalEventKind,
    KpiTally,
    KpiTallyBuild,
    Meeting,
    MeetingStatus,
    NhsNumberStatus,
    OrganisationType,
    Patient,
    Referral,
    TriageDecision,
    TriageOutcome,
    db,
)
from services import meeting_room
from services.calendar import refresh_bank_holidays
from services.kpis import tallies
from services.kpis.definitions import NOT_RECORDED
from services.kpis.reads import REACH, drill_reads
from services.kpis.report import build_report
from services.settings import CARE_PLAN_SHARE_DAYS, set_setting
from tests.conftest import USE_POSTGRES
from tests.factories import nhs_number
from tests.kpi_fixtures import ARCHIVED, OCTOBER, count_of, every_figure, save
from tests.meeting_fixtures import build_world


def stored_tallies() -> dict[tuple, int]:
    t = KpiTally
    columns = (t.drill, t.grain, t.practice_id, t.on, t.locality_id, t.part_1, t.part_2, t.part_3, t.value)
    return {tuple(r[:-1]): r[-1] for r in db.session.execute(select(*columns, t.n))}


def assert_in_step(what: str) -> None:
    """Commit the change, then count the tallies afresh from the records: they must not move."""
    db.session.commit()
    assert tallies.is_built(db.session), f"{what}: the tallies gave up following the change"
    kept = stored_tallies()
    tallies.rebuild()
    fresh = stored_tallies()
    db.session.rollback()
    moved = {k: (kept.get(k), fresh.get(k)) for k in kept.keys() | fresh.keys() if kept.get(k) != fresh.get(k)}
    assert not moved, f"{what}: kept in step (left) and counted afresh (right) differ: {sorted(moved.items())[:8]}"


@pytest.fixture
def built(october_meetings, make_org, create_patient, create_referral, create_action, create_episode, lead):  # noqa: F811
    """October's meetings plus a record of every other kind, with the tallies built (as `flask rebuild-kpi-tallies`)."""
    practice = make_org(
        name="Castle Surgery", type=OrganisationType.gp_practice, locality=october_meetings["first"].locality
    )
    patient = create_patient(gp_practice=practice)
    referral = create_referral(
        patient=patient, received_on=date(2026, 10, 2), locality=october_meetings["first"].locality
    )
    save(AgendaItem(meeting=october_meetings["first"], patient=patient, referral=referral, status=CaseStatus.discussed))
    action = create_action(patient=patient, due_on=date(2026, 10, 9))
    episode = create_episode(patient=patient, referral=referral, opened_on=date(2026, 10, 3),
                             locality=october_meetings["first"].locality)  # fmt: skip
    plan = save(CarePlan(patient=patient, number=1))
    goal = save(Goal(care_plan=plan, description="Walk to the shop", domain=GoalDomain.physical))
    plan.state, plan.agreed_on = CarePlanState.agreed, date(2026, 10, 2)
    save(plan)
    save(HospitalEvent(patient=patient, kind=HospitalEventKind.admission, occurred_on=date(2026, 8, 1)))
    tallies.rebuild()
    db.session.commit()
    assert tallies.is_built(db.session)
    return {**october_meetings, "practice": practice, "patient": patient, "referral": referral, "action": action,
            "episode": episode, "plan": plan, "goal": goal, "lead": lead}  # fmt: skip


def test_the_tallies_follow_every_kind_of_change(built, make_org, create_locality, create_concern):
    data = built
    patient, meeting = data["patient"], data["first"]
    assert_in_step("built")

    # A new patient and their referral in one flush (the patient's id is given by that flush).
    fresh = Referral(patient=Patient(given_name="Ivy", family_name="Stone", date_of_birth=date(1938, 5, 6),
                                     nhs_number=nhs_number()),
                     locality=meeting.locality, received_on=date(2026, 10, 12), referrer_name="Dr Jones",
                     reason="Falls", signposting_tried="Age UK")  # fmt: skip
    db.session.add(fresh)
    assert_in_step("a new patient with a referral")

    referral = data["referral"]
    referral.decisions.append(
        TriageDecision(outcome=TriageOutcome.accept, decided_on=date(2026, 10, 5), decided_by=data["lead"])
    )
    assert_in_step("a triage decision added through the referral")

    action = data["action"]
    action.status, action.completed_on = ActionStatus.done, date(2026, 10, 12)
    assert_in_step("an action completed late")
    action.due_on = date(2026, 11, 20)
    assert_in_step("an action's due date moved into another month")
    action.archived_at = ARCHIVED
    assert_in_step("an action archived")

    far = make_org(name="Far Surgery", type=OrganisationType.gp_practice, locality=create_locality(name="Far"))
    patient.gp_practice = far
    assert_in_step("a patient moved to a practice in another locality")

    data["practice"].locality = create_locality(name="Elsewhere")
    assert_in_step("a practice moved to another locality")

    meeting.starts_at = datetime(2026, 11, 4, 10, 0, tzinfo=LONDON)
    assert_in_step("a meeting moved into November")
    meeting.status = MeetingStatus.cancelled
    assert_in_step("a meeting cancelled")

    item = db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == data["last"].id)).first()
    item.status = CaseStatus.discussed if item.status != CaseStatus.discussed else CaseStatus.not_reached
    assert_in_step("a case's outcome changed")
    save(AgendaItem(meeting=data["last"], patient=patient, status=CaseStatus.discussed, late_addition=True))
    assert_in_step("a late case discussed")

    attendance = db.session.scalars(select(Attendance).where(Attendance.meeting_id == data["last"].id)).first()
    attendance.status = AttendanceStatus.absent
    assert_in_step("an attendance changed")
    contact = db.session.get(Contact, attendance.contact_id)
    contact.organisation = data["fire"]
    assert_in_step("a person moved to another agency")
    db.session.delete(attendance)
    assert_in_step("an attendance deleted")

    episode = data["episode"]
    goal = data["goal"]
    episode.closed_on, episode.closure_reason = date(2026, 10, 30), ClosureReason.goals_met
    db.session.add(ClosureGoal(episode=episode, goal=goal, attainment=GoalStatus.achieved))
    assert_in_step("an episode closed with a goal")
    patient.nhs_number_status, patient.cfs = NhsNumberStatus.verified, 5
    assert_in_step("a patient's data quality changed")

    save(CarePlanShare(care_plan=data["plan"], shared_on=date(2026, 11, 6), shared_by=data["lead"],
                       shared_with=patient.gp_practice))  # fmt: skip
    assert_in_step("a care plan shared with the GP")
    set_setting(CARE_PLAN_SHARE_DAYS, 2, data["lead"])
    assert_in_step("the team lead's working days for sharing changed")

    event = save(HospitalEvent(patient=patient, kind=HospitalEventKind.ae_attendance, occurred_on=date(2026, 12, 1)))
    event.occurred_on -= timedelta(days=200)
    assert_in_step("a hospital event added and moved")

    concern = create_concern(patient=patient, raised_on=date(2026, 10, 7))
    concern.referred_on = date(2026, 10, 9)
    assert_in_step("a safeguarding concern referred")

    patient.archived_at = ARCHIVED
    assert_in_step("a patient archived")
    referral.archived_at = ARCHIVED
    assert_in_step("a referral archived")


def test_a_rolled_back_change_leaves_the_tallies_as_they_were(built):
    before = stored_tallies()
    built["action"].due_on = date(2026, 10, 30)
    db.session.flush()
    assert stored_tallies() != before  # the flush counted it
    db.session.rollback()
    assert stored_tallies() == before


def test_every_figure_still_counts_its_list_after_changes(built, create_action):
    built["action"].status, built["action"].completed_on = ActionStatus.done, date(2026, 10, 8)
    create_action(due_on=date(2026, 10, 21))
    built["first"].starts_at = datetime(2026, 10, 2, 9, 0, tzinfo=LONDON)
    db.session.commit()
    report = build_report(OCTOBER)
    checked = 0
    for figure in every_figure(report):
        if figure.link is None or figure.text == NOT_RECORDED or "day" in figure.text:
            continue
        total = count_of(figure.link)
        assert figure.text == f"{total:,}" or f"({total:,} of " in figure.text, (figure.label, figure.text, total)
        checked += 1
    assert checked > 40


def test_tallies_of_another_version_are_not_read_and_no_request_rebuilds_them(built, signed_in):
    """The figures come from the records (the same figures, more slowly), the page says so, and nothing is rebuilt
    inside the request: `flask rebuild-kpi-tallies` does it."""
    expected = {f.label: f.text for kpi in build_report(OCTOBER).kpis for f in kpi.figures}
    db.session.execute(KpiTally.__table__.delete())
    build = db.session.scalars(select(KpiTallyBuild)).one()
    build.version = tallies.TALLY_VERSION - 1
    db.session.commit()
    report = build_report(OCTOBER)
    assert report.scope.from_records
    assert {f.label: f.text for kpi in report.kpis for f in kpi.figures} == expected
    page = signed_in("team_lead").get("/admin/kpis/?period=custom&start=2026-10-01&end=2026-10-31")
    assert "These figures are counted from the records" in page.get_data(as_text=True)
    assert not tallies.is_built(db.session) and db.session.scalar(select(func.count()).select_from(KpiTally)) == 0


@pytest.mark.skipif(not USE_POSTGRES, reason="SQLite has one writer at a time: every transaction begins IMMEDIATE")
def test_a_change_holds_its_patient_and_meeting_until_commit_on_postgresql(built):
    """Another transaction changing the same patient's or meeting's rows between this flush's two counts would be
    counted twice: it waits instead (NOWAIT here, to see the lock), while merely referring to the patient does not."""
    patient, meeting, other = built["patient"], built["first"], built["last"]
    built["action"].due_on = date(2026, 10, 30)
    meeting.starts_at = meeting.starts_at + timedelta(minutes=30)
    db.session.flush()
    with db.engine.connect() as second:
        for table, held in (("patient", patient.id), ("meeting", meeting.id)):
            with pytest.raises(OperationalError, match="could not obtain lock"), second.begin():
                second.execute(text(f"SELECT id FROM {table} WHERE id = :id FOR NO KEY UPDATE NOWAIT"), {"id": held})
        with second.begin():
            # an untouched meeting, and a row that only refers to the patient (a foreign key check), go through
            second.execute(text("SELECT id FROM meeting WHERE id = :id FOR NO KEY UPDATE NOWAIT"), {"id": other.id})
            second.execute(text("SELECT id FROM patient WHERE id = :id FOR KEY SHARE NOWAIT"), {"id": patient.id})
        db.session.commit()
        with second.begin():
            second.execute(text("SELECT id FROM patient WHERE id = :id FOR NO KEY UPDATE NOWAIT"), {"id": patient.id})


# --- every column every drill-down reads, one at a time -------------------------------------------------------------


@pytest.fixture
def every_kind(
    built, make_org, create_onward_referral, create_signposting, create_concern, create_locality, create_episode
):
    """`built` plus the rows it lacks, each a row some drill-down counts: a second practice and patient (somewhere
    for a record to move to), a triage decision, a closed episode's goal, a draft plan shared with the GP, an onward
    referral, a signposting, a safeguarding concern; `rows` names the row of each table a test changes."""
    data = built
    other_practice = make_org(name="Other Surgery", type=OrganisationType.gp_practice, locality=data["first"].locality)
    other = save(Patient(given_name="Ada", family_name="Other", date_of_birth=date(1941, 2, 3),
                         nhs_number=nhs_number(), gp_practice=other_practice))  # fmt: skip
    decision = save(TriageDecision(referral=data["referral"], outcome=TriageOutcome.accept,
                                   decided_on=date(2026, 10, 5), decided_by=data["lead"]))  # fmt: skip
    episode = data["episode"]
    episode.closed_on, episode.closure_reason = date(2026, 10, 30), ClosureReason.goals_met
    goal = save(ClosureGoal(episode=episode, goal=data["goal"], attainment=GoalStatus.achieved))
    draft = save(CarePlan(patient=data["patient"], number=2))
    share = save(CarePlanShare(care_plan=draft, shared_on=date(2026, 10, 6), shared_by=data["lead"],
                               shared_with=data["practice"]))  # fmt: skip
    onward = create_onward_referral(
        patient=data["patient"], referred_on=date(2026, 10, 8), outcome_on=date(2026, 10, 9)
    )
    signposting = create_signposting(patient=data["patient"], given_on=date(2026, 10, 9))
    create_locality(name="Medway South")  # somewhere for a referral, an episode or a meeting to move to
    save(Contact(name="New member", email="new@example.nhs.net", organisation=data["fire"]))  # attends nothing yet
    create_episode(patient=other, opened_on=date(2026, 10, 1), closed_on=date(2026, 10, 20),
                   closure_reason=ClosureReason.goals_met, locality=data["first"].locality)  # fmt: skip
    concern = create_concern(patient=data["patient"], raised_on=date(2026, 10, 7))
    event = db.session.scalars(select(HospitalEvent).where(HospitalEvent.patient_id == data["patient"].id)).one()
    attendance = db.session.scalars(select(Attendance).where(Attendance.meeting_id == data["first"].id)).first()
    item = db.session.scalars(select(AgendaItem).where(AgendaItem.patient_id == data["patient"].id)).one()
    tallies.rebuild()
    db.session.commit()
    rows = {
        "patient": data["patient"], "referral": data["referral"], "episode": episode, "agenda_item": item,
        "action": data["action"], "onward_referral": onward, "signposting": signposting,
        "safeguarding_concern": concern,
        "hospital_event": event, "care_plan": draft, "triage_decision": decision, "closure_goal": goal,
        "care_plan_share": share, "meeting": data["first"], "attendance": attendance,
        "contact": db.session.get(Contact, attendance.contact_id), "organisation": data["practice"],
    }  # fmt: skip
    return {**data, "rows": rows, "other": other}


def _attribute(obj, column: str) -> str:
    return inspect(obj).mapper.get_property_by_column(obj.__table__.c[column]).key


def _values_to_try(obj, column: str) -> list:
    """Other values a column could hold: another row for a foreign key, another member of an enum, a date weeks
    away, the other answer, another number or text; and none, where it may be empty."""
    col = obj.__table__.c[column]
    current = getattr(obj, _attribute(obj, column))
    if col.foreign_keys:
        target = next(iter(col.foreign_keys)).column.table
        values = list(
            db.session.scalars(select(target.c.id).where(target.c.id != current).order_by(target.c.id.desc()))
        )[:3]
    elif getattr(col.type, "enum_class", None):
        values = [member for member in col.type.enum_class if member != current]
    elif isinstance(current, datetime) or column.endswith("_at"):
        values = [(current or datetime(2026, 10, 14, 9, 0, tzinfo=LONDON)) + timedelta(days=d) for d in (35, -35, 1)]
    elif isinstance(current, date) or column.endswith("_on"):
        values = [(current or date(2026, 10, 14)) + timedelta(days=d) for d in (35, -35, 1, 20)]
    elif isinstance(current, bool):
        values = [not current]
    elif column == "efi":
        values = [Decimal("0.30"), Decimal("0.10")]
    elif isinstance(current, int) or column == "cfs":
        values = [5 if current != 5 else 8, 2]
    else:
        values = [f"Changed {column}"]
    return values + ([None] if col.nullable and current is not None else [])


def _change(obj, column: str) -> bool:
    """Set the column to the first value the app accepts, and commit; False when it accepts none."""
    key, model, row_id = _attribute(obj, column), type(obj), obj.id
    for value in _values_to_try(obj, column):
        setattr(obj, key, value)
        try:
            db.session.commit()
            return True
        except (DomainError, IntegrityError):
            db.session.rollback()
            obj = db.session.get(model, row_id)
    return False


@pytest.mark.parametrize("table", sorted(REACH))
def test_every_column_a_drill_down_reads_moves_its_tallies_and_nothing_else(every_kind, table):
    """Each column of `table` that a drill-down's query reads (walked from the queries, so a query that starts reading
    another column is followed here too), changed one at a time through the ORM: the tallies kept in step equal a
    fresh count after each. New and deleted rows: test_the_tallies_follow_every_kind_of_change."""
    read = set().union(*(reads_[table] for reads_ in drill_reads().values() if table in reads_)) - {"id"}
    obj = every_kind["rows"][table]
    model, row_id = type(obj), obj.id
    unchanged = []
    for column in sorted(read):
        obj = db.session.get(model, row_id)
        if not _change(obj, column):
            unchanged.append(column)
            continue
        assert_in_step(f"{table}.{column} changed")
    assert not unchanged, f"{table}: no value the app accepts for {unchanged}"


def test_a_bank_holiday_refreshed_recounts_the_tallies_that_read_it(built, create_patient):
    """Discussed on Wednesday 23/12/2026 and shared on Monday 04/01/2027: in time only when Christmas Day, Boxing
    Day's substitute and New Year's Day are skipped. Tallies counted without them are counted again by the refresh
    that stores them (a Core statement: no flush sees it)."""
    patient = create_patient(gp_practice=built["practice"])
    december = save(Meeting(locality=built["first"].locality, starts_at=datetime(2026, 12, 23, 10, 0, tzinfo=LONDON),
                            status=MeetingStatus.held))  # fmt: skip
    save(AgendaItem(meeting=december, patient=patient, status=CaseStatus.discussed))
    plan = save(CarePlan(patient=patient, number=1))
    save(
        CarePlanShare(
            care_plan=plan, shared_on=date(2027, 1, 4), shared_by=built["lead"], shared_with=patient.gp_practice
        )
    )
    christmas = (date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1))
    db.session.execute(delete(BankHoliday).where(BankHoliday.day.in_(christmas)))
    tallies.rebuild()  # counted without them: late
    db.session.commit()
    try:
        assert refresh_bank_holidays() == 3
        assert_in_step("the bank holidays refreshed")
    finally:  # the table is the migrations' reference data, kept between tests on PostgreSQL
        refresh_bank_holidays()
        db.session.commit()


def test_saving_minutes_text_and_a_meetings_first_autosave_cost_the_tallies_nothing(make_user, signed_in):
    """Neither a discussed case's text nor the minute-taker (set by a meeting's first autosave) is read by any
    drill-down: no statement touches the tally tables and no drill-down's query runs."""
    world = build_world(make_user("coordinator"), cases=1)
    coordinator = signed_in("coordinator")
    item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator.user)
    item.status = CaseStatus.discussed
    tallies.rebuild()
    db.session.commit()
    assert world.meeting.minute_taker_id is None
    statements = []
    listen = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        for text_ in ("Seen at home; daughter now visits daily.", "Seen at home; daughter visits daily, son weekly."):
            saved = coordinator.submit(f"/admin/meeting-room/case/{item.id}/draft", {"discussion": text_})
            assert saved.get_json()["saved"] is True
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    db.session.refresh(world.meeting)
    assert world.meeting.minute_taker_id == coordinator.user.id  # the first autosave of the meeting happened
    assert statements and not [s for s in statements if "kpi_tally" in s or "scope_locality" in s]
