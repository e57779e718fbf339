"""The caseload services: closing an episode (reason, date, each goal's attainment, what is still open), the next
review, cover for a colleague, and the board's facts in a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from formats.dates import LONDON, today
from models import (
    ActionStatus,
    AuditAction,
    AuditEntry,
    CarePlanState,
    CaseStatus,
    ClosureGoal,
    ClosureReason,
    DomainError,
    Goal,
    GoalDomain,
    GoalStatus,
    MeetingStatus,
    OnwardOutcome,
    Role,
    db,
)
from services import caseload
from services.patients import record_death

OPENED = date(2026, 3, 10)


@pytest.fixture
def episode(create_episode):
    return create_episode(opened_on=OPENED)


def _reasons(table: str, record_id: int) -> list[str | None]:
    return list(
        db.session.scalars(
            db.select(AuditEntry.reason)
            .where(
                AuditEntry.table_name == table,
                AuditEntry.record_id == record_id,
                AuditEntry.action == AuditAction.update,
            )
            .order_by(AuditEntry.id)
        )
    )


def _plan_with_goals(create_care_plan, episode, *statuses: GoalStatus, state=CarePlanState.agreed):
    """The episode's care plan with one goal per status: goals written to the draft, then agreed unless told."""
    plan = create_care_plan(patient=episode.patient, episode=episode)
    goals = [
        Goal(care_plan_id=plan.id, description=f"Goal {n}", domain=GoalDomain.functional, status=status)
        for n, status in enumerate(statuses, start=1)
    ]
    db.session.add_all(goals)
    db.session.commit()
    if state == CarePlanState.agreed:
        plan.state, plan.agreed_on = CarePlanState.agreed, OPENED
        db.session.commit()
    return plan, goals


# --- closing: the reason and the date -----------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "retired", "Goals met"])
def test_closing_needs_a_reason_from_the_list(episode, make_user, reason):
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(episode, make_user(), date(2026, 4, 1), reason)
    assert str(refusal.value) == "Choose the reason the episode closed."
    assert (episode.closed_on, episode.closure_reason) == (None, None)


def test_a_death_is_recorded_on_the_patients_page_not_as_a_closure(episode, make_user):
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(episode, make_user(), date(2026, 4, 1), ClosureReason.died)
    assert str(refusal.value) == (
        "Record the death on the patient's page: that closes the episode with the reason Died."
    )
    assert episode.closed_on is None


def test_recording_a_death_closes_the_episode_with_that_reason(episode, make_user):
    record_death(episode.patient, date(2026, 4, 2), make_user())
    db.session.commit()
    assert (episode.closed_on, episode.closure_reason) == (date(2026, 4, 2), ClosureReason.died)


def test_closing_date_cannot_be_in_the_future(episode, make_user):
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(episode, make_user(), today() + timedelta(days=1), ClosureReason.goals_met)
    assert str(refusal.value) == "The closing date cannot be in the future."
    assert episode.closed_on is None


def test_an_episode_cannot_close_before_it_opened(episode, make_user):
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(episode, make_user(), date(2026, 3, 9), ClosureReason.goals_met)
    assert str(refusal.value) == "An episode cannot close before it opened (10/03/2026)."
    assert episode.closed_on is None


def test_an_episode_closes_only_once(create_episode, make_user):
    closed = create_episode(opened_on=OPENED, closed_on=date(2026, 4, 1), closure_reason=ClosureReason.moved_away)
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(closed, make_user(), date(2026, 5, 1), ClosureReason.goals_met)
    assert str(refusal.value) == "This episode is already closed (on 01/04/2026)."
    assert (closed.closed_on, closed.closure_reason) == (date(2026, 4, 1), ClosureReason.moved_away)


def test_closing_with_nothing_open_records_date_reason_and_audit(episode, make_user):
    coordinator = make_user(name="Cara Coordinator")
    result = caseload.close_episode(episode, coordinator, date(2026, 4, 1), "moved_away")
    db.session.commit()
    db.session.expire_all()
    assert result is episode
    assert (episode.closed_on, episode.closure_reason, episode.closure_note, episode.is_open) == (
        date(2026, 4, 1),
        ClosureReason.moved_away,
        None,
        False,
    )
    assert _reasons("episode", episode.id) == ["Episode closed (Moved away) by Cara Coordinator"]


# --- closing: each goal's attainment -------------------------------------------------------------------------


def test_each_goal_of_the_current_plan_gets_its_attainment_and_the_plan_is_not_changed(
    episode, make_user, create_care_plan
):
    plan, (walk, garden) = _plan_with_goals(create_care_plan, episode, GoalStatus.achieved, GoalStatus.in_progress)
    attainment = {walk.id: "achieved", garden.id: GoalStatus.partly_achieved}
    caseload.close_episode(episode, make_user(), date(2026, 5, 1), ClosureReason.goals_met, attainment=attainment)
    db.session.commit()
    db.session.expire_all()
    rows = db.session.scalars(db.select(ClosureGoal).order_by(ClosureGoal.goal_id)).all()
    assert [(r.episode_id, r.goal_id, r.attainment) for r in rows] == [
        (episode.id, walk.id, GoalStatus.achieved),
        (episode.id, garden.id, GoalStatus.partly_achieved),
    ]
    assert [g.status for g in plan.goals] == [GoalStatus.achieved, GoalStatus.in_progress]  # the agreed plan as it was


@pytest.mark.parametrize("given", [None, "", "in_progress", "proposed", "nonsense"])
def test_a_goal_without_an_end_state_is_refused(episode, make_user, create_care_plan, given):
    _, (walk, garden) = _plan_with_goals(create_care_plan, episode, GoalStatus.achieved, GoalStatus.in_progress)
    attainment = {walk.id: "achieved", garden.id: given}
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(episode, make_user(), date(2026, 5, 1), ClosureReason.goals_met, attainment=attainment)
    assert str(refusal.value) == "Record how far each goal was attained: “Goal 2” has no attainment yet."
    db.session.rollback()
    assert episode.closed_on is None and db.session.scalars(db.select(ClosureGoal)).all() == []


def test_attainment_for_a_goal_of_another_plan_is_refused(episode, make_user, create_care_plan, create_episode):
    _, (walk,) = _plan_with_goals(create_care_plan, episode, GoalStatus.achieved)
    other = create_episode()
    _, (elsewhere,) = _plan_with_goals(create_care_plan, other, GoalStatus.achieved)
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(
            episode,
            make_user(),
            date(2026, 5, 1),
            ClosureReason.goals_met,
            attainment={walk.id: "achieved", elsewhere.id: "achieved"},
        )
    assert str(refusal.value) == "Record attainment only for the goals of the current care plan."


def test_the_current_plan_is_the_episodes_latest_version(episode, create_care_plan):
    create_care_plan(patient=episode.patient, episode=episode, number=1)
    latest = create_care_plan(patient=episode.patient, episode=episode, number=2)
    create_care_plan(patient=episode.patient, number=3, archived_at=datetime(2026, 6, 1, tzinfo=LONDON))
    assert caseload.current_care_plan(episode) == latest


# --- closing: what is still open ------------------------------------------------------------------------------


@pytest.fixture
def still_open(episode, create_action, create_onward_referral, create_concern, create_contact_entry, create_care_plan):
    """One of everything that can still be open about the episode's patient, and one of each already done."""
    patient = episode.patient
    create_action(patient=patient, description="Pharmacy review", due_on=date(2026, 5, 20))
    create_action(patient=patient, description="Done already", status=ActionStatus.done, completed_on=OPENED)
    create_onward_referral(patient=patient, service="Falls clinic", referred_on=date(2026, 4, 2))
    create_onward_referral(
        patient=patient, service="Befriending", outcome=OnwardOutcome.accepted, outcome_on=date(2026, 4, 9)
    )
    create_concern(patient=patient, raised_on=date(2026, 4, 3))
    create_concern(patient=patient, raised_on=date(2026, 3, 20), closed_on=date(2026, 3, 30), outcome="Resolved")
    create_contact_entry(patient=patient, follow_up_on=date(2026, 5, 4))
    create_care_plan(patient=patient, episode=episode, state=CarePlanState.draft)
    return episode


def test_open_items_list_what_is_still_open_with_where_to_resolve_it(still_open):
    items = caseload.open_items(still_open)
    assert [(item.kind, item.link[0]) for item in items] == [
        ("Action", "action.details_view"),
        ("Onward referral", "onward_referral.details_view"),
        ("Safeguarding", "safeguarding_concern.details_view"),
        ("Follow-up", "contact_log.details_view"),
        ("Care plan", "care_plan.details_view"),
    ]
    assert items[1].text == "Falls clinic, referred 02/04/2026: no answer yet"
    assert items[4].text == "Care plan version 1 is a draft, not yet agreed"


def test_closing_with_things_still_open_needs_a_reason(still_open, make_user):
    with pytest.raises(DomainError) as refusal:
        caseload.close_episode(still_open, make_user(), date(2026, 5, 1), ClosureReason.transferred)
    assert str(refusal.value) == (
        "5 things are still open (action, care plan, follow-up, onward referral, safeguarding): resolve them, "
        "or say why the episode closes all the same."
    )
    assert still_open.closed_on is None


def test_still_open_items_acknowledged_with_a_reason_are_kept_on_the_episode_and_the_audit(still_open, make_user):
    lead = make_user(Role.team_lead, name="Lindsay Lead")
    why = "Moved to the community mental health team, who take the open items over."
    caseload.close_episode(still_open, lead, date(2026, 5, 1), ClosureReason.transferred, acknowledgement=why)
    db.session.commit()
    db.session.expire_all()
    assert (still_open.closure_reason, still_open.closure_note) == (ClosureReason.transferred, why)
    [reason] = _reasons("episode", still_open.id)
    assert reason.startswith(
        "Episode closed (Transferred to another service) by Lindsay Lead; still open, acknowledged:"
    )
    assert "Onward referral: Falls clinic, referred 02/04/2026: no answer yet" in reason


# --- the next review -----------------------------------------------------------------------------------------------


def _case_at_meeting(create_agenda_item, create_meeting, episode, days_ahead=3):
    day = today() + timedelta(days=days_ahead)
    meeting = create_meeting(
        locality=episode.locality,
        starts_at=datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON),
        status=MeetingStatus.booked,
    )
    return create_agenda_item(meeting=meeting, patient=episode.patient, episode=episode)


def test_the_meetings_decision_sets_the_next_review_with_its_reason(
    episode, make_user, create_agenda_item, create_meeting
):
    item = _case_at_meeting(create_agenda_item, create_meeting, episode)
    on = today() + timedelta(days=45)
    caseload.review_case(item, on, make_user(name="Mina Minutes"))
    db.session.commit()
    meeting_day = today() + timedelta(days=3)
    assert episode.review_on == on
    assert _reasons("episode", episode.id) == [
        f"Next review set at the meeting of {meeting_day:%d/%m/%Y}, recorded by Mina Minutes"
    ]


def test_a_next_review_on_or_before_the_meeting_is_refused(episode, make_user, create_agenda_item, create_meeting):
    item = _case_at_meeting(create_agenda_item, create_meeting, episode)
    meeting_day = today() + timedelta(days=3)
    with pytest.raises(DomainError) as refusal:
        caseload.review_case(item, meeting_day, make_user())
    assert str(refusal.value) == f"The next review must be after the meeting ({meeting_day:%d/%m/%Y})."
    assert episode.review_on is None


def test_the_date_already_held_is_no_change_even_when_it_is_past(
    create_episode, make_user, create_agenda_item, create_meeting
):
    overdue = today() - timedelta(days=10)
    episode = create_episode(review_on=overdue)
    item = _case_at_meeting(create_agenda_item, create_meeting, episode)
    caseload.review_case(item, overdue, make_user())  # the live minutes send it back with every autosave
    db.session.commit()
    assert episode.review_on == overdue and _reasons("episode", episode.id) == []


def test_a_closed_episode_has_no_next_review(create_episode, make_user):
    closed = create_episode(closed_on=today(), closure_reason=ClosureReason.goals_met)
    with pytest.raises(DomainError) as refusal:
        caseload.set_next_review(closed, today() + timedelta(days=30), make_user())
    assert str(refusal.value) == f"This episode closed on {today():%d/%m/%Y}: it has no next review."


def test_a_case_without_an_episode_has_no_review_to_set(make_user, create_agenda_item):
    item = create_agenda_item()
    with pytest.raises(DomainError) as refusal:
        caseload.review_case(item, today() + timedelta(days=30), make_user())
    assert str(refusal.value) == f"{item.patient} has no episode on this agenda, so there is no review to set."


# --- cover -----------------------------------------------------------------------------------------------------------


def test_reassigning_a_colleagues_cases_is_one_change_audited_on_each_episode(create_episode, make_user):
    away, cover, lead = make_user(name="Ava Away"), make_user(name="Cole Cover"), make_user(Role.team_lead, name="Lee")
    episodes = [create_episode(coordinator=away) for _ in range(3)]
    moved = caseload.reassign_episodes(episodes, cover, lead, "Annual leave 2-13 December")
    db.session.commit()
    assert moved == episodes and {e.coordinator_id for e in episodes} == {cover.id}
    for episode in episodes:
        assert _reasons("episode", episode.id) == [
            "Reassigned from Ava Away to Cole Cover by Lee: Annual leave 2-13 December"
        ]


def test_cases_already_held_by_the_colleague_are_left_alone(create_episode, make_user):
    cover = make_user()
    mine, theirs = create_episode(coordinator=make_user()), create_episode(coordinator=cover)
    assert caseload.reassign_episodes([mine, theirs], cover, make_user()) == [mine]
    db.session.commit()
    assert _reasons("episode", theirs.id) == []


@pytest.mark.parametrize(
    "who, message",
    [
        ("nobody", "Choose the coordinator who takes the cases over."),
        ("partner", "Choose the coordinator who takes the cases over."),
        ("inactive", "Choose the coordinator who takes the cases over."),
    ],
)
def test_cases_go_only_to_an_active_member_of_staff(create_episode, make_user, who, message):
    episode = create_episode(coordinator=make_user())
    to = {
        "nobody": None,
        "partner": make_user(Role.partner),
        "inactive": make_user(Role.coordinator, active=False),
    }[who]
    with pytest.raises(DomainError) as refusal:
        caseload.reassign_episodes([episode], to, make_user())
    assert str(refusal.value) == message


def test_a_closed_episode_is_not_reassigned_and_nothing_is(create_episode, make_user):
    before = make_user()
    open_one = create_episode(coordinator=before)
    closed = create_episode(coordinator=before, closed_on=today(), closure_reason=ClosureReason.goals_met)
    with pytest.raises(DomainError) as refusal:
        caseload.reassign_episodes([open_one, closed], make_user(), make_user())
    assert str(refusal.value) == f"Nothing was reassigned: {closed.patient}'s episode is closed."
    db.session.rollback()
    assert open_one.coordinator_id == before.id


# --- the board's facts --------------------------------------------------------------------------------------------


def test_board_facts_count_what_is_open_per_case(
    still_open, create_agenda_item, create_meeting, create_episode, create_patient
):
    held_day = today() - timedelta(days=14)
    held = create_meeting(
        locality=still_open.locality,
        starts_at=datetime(held_day.year, held_day.month, held_day.day, 10, 0, tzinfo=LONDON),
        status=MeetingStatus.held,
    )
    create_agenda_item(meeting=held, patient=still_open.patient, status=CaseStatus.discussed)
    upcoming = create_meeting(locality=still_open.locality, status=MeetingStatus.booked)
    create_agenda_item(meeting=upcoming, patient=still_open.patient)
    quiet = create_episode(patient=create_patient(family_name="Quiet"))
    facts = caseload.board_facts([still_open, quiet])
    mine = facts[still_open.id]
    assert (mine.open_actions, mine.waiting_onward, mine.open_safeguarding, mine.follow_ups, mine.follow_up_due) == (
        1,
        1,
        True,
        1,
        date(2026, 5, 4),
    )
    assert mine.last_discussed == held.starts_at and mine.next_meeting == upcoming
    assert facts[quiet.id] == caseload.CaseFacts()


def test_board_facts_take_the_same_queries_for_one_case_or_many(app, create_episode, create_action):
    episodes = [create_episode() for _ in range(12)]
    for episode in episodes:
        create_action(patient=episode.patient)
    assert all(e.patient_id for e in episodes)  # loaded, as the list's own query loads them
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        caseload.board_facts(episodes[:1])
        one = len(statements)
        statements.clear()
        caseload.board_facts(episodes)
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert one == many == 6


def test_each_episode_keeps_a_copy_of_its_patients_risk_score_and_band_for_the_boards_order(create_episode, make_user):
    from sqlalchemy import select as select_

    from models import Episode, Patient, RiskBand
    from services.risk import DEFAULTS, save_points

    def copies() -> set[tuple]:
        both = (Episode.risk_score, Episode.risk_band, Patient.risk_score, Patient.risk_band)
        return {tuple(row) for row in db.session.execute(select_(*both).join(Episode.patient))}

    def then() -> None:
        db.session.commit()
        db.session.expire_all()
        assert copies() == {(patient.risk_score, patient.risk_band) * 2}

    episode = create_episode()
    patient = episode.patient
    patient.cfs = 7  # the risk rule raises the score at the flush after this one: the copy follows it
    then()
    held = patient.risk_score
    assert held > 0
    create_episode(patient=patient)  # a new episode takes the score held
    then()
    patient.cfs = None
    then()
    assert patient.risk_score < held
    patient.cfs = 5  # 2 points: the low band
    then()
    score = patient.risk_score
    save_points({**DEFAULTS, "medium_from": 1, "high_from": 2}, make_user(Role.team_lead))  # the band alone moves
    then()
    assert (patient.risk_score, patient.risk_band) == (score, RiskBand.high)
