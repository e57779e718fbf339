"""The KPI tallies stay in step with the records: after every kind of change the figures read from the tallies are
those a fresh count from the records gives, row for row, and every figure still equals the length of its list."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from formats.dates import LONDON
from models import (
    ActionStatus,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CarePlan,
    CarePlanShare,
    CarePlanState,
    CaseStatus,
    ClosureGoal,
    ClosureReason,
    Contact,
    Goal,
    GoalDomain,
    GoalStatus,
    HospitalEvent,
    HospitalEventKind,
    KpiTally,
    KpiTallyBuild,
    MeetingStatus,
    NhsNumberStatus,
    OrganisationType,
    Patient,
    Referral,
    TriageDecision,
    TriageOutcome,
    db,
)
from services import kpi_tallies, kpis
from services.settings import CARE_PLAN_SHARE_DAYS, set_setting
from tests.conftest import USE_POSTGRES
from tests.factories import nhs_number
from tests.kpi_fixtures import ARCHIVED, OCTOBER, count_of, every_figure, save


def tallies() -> dict[tuple, int]:
    t = KpiTally
    columns = (t.drill, t.grain, t.practice_id, t.on, t.locality_id, t.part_1, t.part_2, t.part_3, t.value)
    return {tuple(r[:-1]): r[-1] for r in db.session.execute(select(*columns, t.n))}


def assert_in_step(what: str) -> None:
    """Commit the change, then count the tallies afresh from the records: they must not move."""
    db.session.commit()
    assert kpi_tallies.is_built(db.session), f"{what}: the tallies gave up following the change"
    kept = tallies()
    kpi_tallies.rebuild()
    fresh = tallies()
    db.session.rollback()
    moved = {k: (kept.get(k), fresh.get(k)) for k in kept.keys() | fresh.keys() if kept.get(k) != fresh.get(k)}
    assert not moved, f"{what}: kept in step (left) and counted afresh (right) differ: {sorted(moved.items())[:8]}"


@pytest.fixture
def built(october_meetings, make_org, create_patient, create_referral, create_action, create_episode, lead):  # noqa: F811
    """October's meetings plus a record of every other kind, with the tallies built by a first report."""
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
    kpis.build_report(OCTOBER)
    db.session.commit()
    assert kpi_tallies.is_built(db.session)
    return {**october_meetings, "practice": practice, "patient": patient, "referral": referral, "action": action,
            "episode": episode, "plan": plan, "goal": goal, "lead": lead}  # fmt: skip


def test_the_tallies_follow_every_kind_of_change(built, make_org, create_locality, create_concern):
    data = built
    patient, meeting = data["patient"], data["first"]
    assert_in_step("built by the first report")

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
    before = tallies()
    built["action"].due_on = date(2026, 10, 30)
    db.session.flush()
    assert tallies() != before  # the flush counted it
    db.session.rollback()
    assert tallies() == before


def test_every_figure_still_counts_its_list_after_changes(built, create_action):
    built["action"].status, built["action"].completed_on = ActionStatus.done, date(2026, 10, 8)
    create_action(due_on=date(2026, 10, 21))
    built["first"].starts_at = datetime(2026, 10, 2, 9, 0, tzinfo=LONDON)
    db.session.commit()
    report = kpis.build_report(OCTOBER)
    checked = 0
    for figure in every_figure(report):
        if figure.link is None or figure.text == kpis.NOT_RECORDED or "day" in figure.text:
            continue
        total = count_of(figure.link)
        assert figure.text == f"{total:,}" or f"({total:,} of " in figure.text, (figure.label, figure.text, total)
        checked += 1
    assert checked > 40


def test_tallies_of_another_version_are_rebuilt_by_the_next_report(built):
    db.session.execute(KpiTally.__table__.delete())
    build = db.session.scalars(select(KpiTallyBuild)).one()
    build.version = kpi_tallies.TALLY_VERSION - 1
    db.session.commit()
    figures = {f.label: f.text for f in kpis.build_report(OCTOBER).kpi("listed").figures}
    assert figures["Listed"] == "6"
    assert kpi_tallies.is_built(db.session)


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
