"""The caseload board (whose cases, what is open about each, cover in bulk), the next review from the live minutes,
and closing an episode on its own screen."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from formats.dates import LONDON, today
from models import (
    AgendaItem,
    AuditAction,
    AuditEntry,
    CarePlanState,
    CaseStatus,
    ClosureGoal,
    ClosureReason,
    Episode,
    Goal,
    GoalDomain,
    GoalStatus,
    GoalUpdate,
    MeetingStatus,
    Role,
    db,
)
from tests.factories import shown
from tests.meeting_fixtures import build_world


def _episodes() -> list[Episode]:
    db.session.expire_all()
    return db.session.scalars(db.select(Episode).order_by(Episode.id)).all()


# --- whose cases ------------------------------------------------------------------------------------------------


@pytest.fixture
def two_caseloads(signed_in, make_user, create_episode, create_patient, create_locality):
    """A coordinator with two open cases (one in each locality), a colleague with one, and a closed case."""
    me = signed_in("coordinator", name="Mia Mine")
    colleague = make_user(Role.coordinator, name="Cole League")
    north, south = create_locality(name="North"), create_locality(name="South")
    create_episode(patient=create_patient(family_name="Minenorth"), coordinator=me.user, locality=north)
    create_episode(patient=create_patient(family_name="Minesouth"), coordinator=me.user, locality=south)
    create_episode(patient=create_patient(family_name="Theirs"), coordinator=colleague, locality=north)
    create_episode(
        patient=create_patient(family_name="Closedcase"),
        coordinator=me.user,
        locality=north,
        closed_on=today(),
        closure_reason=ClosureReason.goals_met,
    )
    return me, colleague, north, south


def _listed(page: str) -> list[str]:
    return [name for name in ("MINENORTH", "MINESOUTH", "THEIRS", "CLOSEDCASE") if name in page]


def test_a_coordinators_board_opens_on_their_own_open_cases(two_caseloads):
    me, *_ = two_caseloads
    page = shown(me.get("/admin/caseload/"))
    assert _listed(page) == ["MINENORTH", "MINESOUTH"]
    assert "2 open episodes." in page


def test_a_coordinator_may_look_at_everyones(two_caseloads):
    me, *_ = two_caseloads
    assert _listed(shown(me.get("/admin/caseload/?coordinator=all"))) == ["MINENORTH", "MINESOUTH", "THEIRS"]


def test_the_team_lead_sees_everyone_and_chooses_by_coordinator_and_locality(two_caseloads, signed_in):
    me, colleague, north, _ = two_caseloads
    lead = signed_in("team_lead")
    assert _listed(shown(lead.get("/admin/caseload/"))) == ["MINENORTH", "MINESOUTH", "THEIRS"]
    assert _listed(shown(lead.get(f"/admin/caseload/?coordinator={colleague.id}"))) == ["THEIRS"]
    assert _listed(shown(lead.get(f"/admin/caseload/?locality={north.id}"))) == ["MINENORTH", "THEIRS"]
    page = shown(lead.get(f"/admin/caseload/?coordinator={me.user.id}&locality={north.id}"))
    assert _listed(page) == ["MINENORTH"]
    assert f'<option selected value="{north.id}">North</option>' in page  # the choice stays on the page


def test_the_board_shows_what_is_open_about_each_case(
    signed_in, create_episode, create_action, create_onward_referral, create_concern, create_contact_entry
):
    me = signed_in("coordinator")
    episode = create_episode(
        coordinator=me.user, opened_on=today() - timedelta(days=12), review_on=today() - timedelta(days=1)
    )
    patient = episode.patient
    create_action(patient=patient)
    create_action(patient=patient)
    create_onward_referral(patient=patient)
    create_concern(patient=patient)
    due = today() - timedelta(days=2)
    create_contact_entry(patient=patient, follow_up_on=due)
    page = shown(me.get("/admin/caseload/"))
    start = page.index("LOVELACE", page.index("model-list"))  # the row, not the follow-ups above the board
    row = page[start : page.index("</tr>", start)]
    cells = [c.split(">", 1)[1].split("</td>")[0].strip() for c in row.split('<td class="col-')[1:]]
    assert cells[3:12] == [  # from the priority on (the row starts inside the patient cell)
        "12",
        f'<span class="ilr-flag">{today() - timedelta(days=1):%d/%m/%Y} overdue</span>',
        "2",
        "1",
        '<span class="badge badge-danger">Open safeguarding concern</span>',
        f'1 <span class="ilr-flag">(due {due:%d/%m/%Y}, overdue)</span>',
        "Not yet",
        "Not listed",
        f'<a href="/admin/caseload/close/{episode.id}/">Close</a>',
    ]


def test_the_board_shows_the_last_discussion_and_the_next_meeting(signed_in, create_meeting, create_agenda_item):
    me = signed_in("coordinator")
    world = build_world(me.user, names=["Discussed"])
    episode = world.episodes[0]
    held_day = today() - timedelta(days=7)
    held = create_meeting(
        locality=world.locality,
        starts_at=datetime(held_day.year, held_day.month, held_day.day, 10, 0, tzinfo=LONDON),
        status=MeetingStatus.held,
    )
    create_agenda_item(meeting=held, patient=episode.patient, episode=episode, status=CaseStatus.discussed)
    create_agenda_item(meeting=world.meeting, patient=episode.patient, episode=episode)
    page = shown(me.get("/admin/caseload/"))
    assert f'<td class="col-last_discussed">\n    \n      {held_day:%d/%m/%Y}' in page
    assert (
        f'<a href="/admin/meeting-room/{world.meeting.id}/">{world.meeting.starts_at.astimezone(LONDON):%d/%m/%Y}</a>'
        in page
    )


def test_the_board_costs_the_same_queries_for_a_full_page_as_for_a_few_cases(
    app, signed_in, create_episode, create_action, create_onward_referral, create_concern, create_contact_entry
):
    me = signed_in("coordinator")

    def cases(n):
        for _ in range(n):
            episode = create_episode(coordinator=me.user)
            create_action(patient=episode.patient)
            create_onward_referral(patient=episode.patient)
            create_concern(patient=episode.patient)
            create_contact_entry(patient=episode.patient, follow_up_on=today())

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def queries() -> int:
        db.session.commit()
        assert me.get("/admin/caseload/").status_code == 200
        statements.clear()
        assert me.get("/admin/caseload/").status_code == 200
        return len(statements)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        cases(3)
        few = queries()
        cases(30)
        full = queries()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert few == full


# --- cover ----------------------------------------------------------------------------------------------------


def _reasons(episode_id: int) -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEntry.reason).where(
                AuditEntry.table_name == "episode",
                AuditEntry.record_id == episode_id,
                AuditEntry.action == AuditAction.update,
            )
        )
    )


def test_a_colleagues_cases_are_reassigned_in_one_bulk_action_audited_per_episode(signed_in, make_user, create_episode):
    away = make_user(Role.coordinator, name="Ava Away")
    cover = make_user(Role.coordinator, name="Cole Cover")
    episodes = [create_episode(coordinator=away) for _ in range(3)]
    lead = signed_in("team_lead", name="Lee Lead")
    form = {
        "action": "reassign",
        "rowid": [str(e.id) for e in episodes],
        "coordinator_id": str(cover.id),
        "reason": "Annual leave 2-13 December",
    }
    response = lead.submit("/admin/caseload/action/", form)
    assert response.status_code == 302
    assert {e.coordinator_id for e in _episodes()} == {cover.id}
    for episode in episodes:
        assert _reasons(episode.id) == [
            "Reassigned from Ava Away to Cole Cover by Lee Lead: Annual leave 2-13 December"
        ]
    assert "3 cases reassigned to Cole Cover." in shown(lead.get("/admin/caseload/"))


def test_reassigning_without_a_colleague_changes_nothing_and_says_why(signed_in, make_user, create_episode):
    away = make_user(Role.coordinator)
    episode = create_episode(coordinator=away)
    coordinator = signed_in("coordinator")
    coordinator.submit("/admin/caseload/action/", {"action": "reassign", "rowid": str(episode.id)})
    assert "Choose the coordinator who takes the cases over." in shown(
        coordinator.get("/admin/caseload/?coordinator=all")
    )
    assert _episodes()[0].coordinator_id == away.id and _reasons(episode.id) == []


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_reassign(signed_in, make_user, create_episode, role):
    episode = create_episode(coordinator=make_user())
    cover = make_user()
    form = {"action": "reassign", "rowid": str(episode.id), "coordinator_id": str(cover.id)}
    assert signed_in(role).submit("/admin/caseload/action/", form).status_code == 403
    assert _episodes()[0].coordinator_id != cover.id


# --- the next review, from the live minutes ------------------------------------------------------------------------


@pytest.fixture
def case(signed_in):
    coordinator = signed_in("coordinator")
    world = build_world(coordinator.user, names=["Reviewed"])
    item = AgendaItem(meeting=world.meeting, patient=world.episodes[0].patient, episode=world.episodes[0])
    db.session.add(item)
    db.session.commit()
    return coordinator, item


def test_the_live_minutes_save_the_meetings_next_review_onto_the_episode(case):
    coordinator, item = case
    on = today() + timedelta(days=60)
    response = coordinator.submit(
        f"/admin/meeting-room/case/{item.id}/draft", {"decisions": "Review in two months", "review_on": on.isoformat()}
    )
    assert response.get_json() == {"saved": True, "version": 2}
    [episode] = _episodes()
    assert episode.review_on == on
    meeting_day = item.meeting.starts_at.astimezone(LONDON).date()
    assert _reasons(episode.id) == [
        f"Next review set at the meeting of {meeting_day:%d/%m/%Y}, recorded by {coordinator.user.name}"
    ]
    page = shown(coordinator.get(f"/admin/meeting-room/{item.meeting_id}/minutes"))
    assert f'name="review_on" value="{on.isoformat()}"' in page


def test_a_next_review_before_the_meeting_is_refused_and_nothing_of_the_save_is_kept(case):
    coordinator, item = case
    response = coordinator.submit(
        f"/admin/meeting-room/case/{item.id}/draft", {"decisions": "Typed", "review_on": today().isoformat()}
    )
    meeting_day = item.meeting.starts_at.astimezone(LONDON).date()
    assert response.status_code == 400
    assert response.get_json()["message"] == f"The next review must be after the meeting ({meeting_day:%d/%m/%Y})."
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).decisions is None and _episodes()[0].review_on is None


def test_a_blank_next_review_changes_nothing(case):
    coordinator, item = case
    item.episode.review_on = date(2026, 1, 5)
    db.session.commit()
    response = coordinator.submit(f"/admin/meeting-room/case/{item.id}/draft", {"summary": "Typed", "review_on": ""})
    assert response.get_json()["saved"] is True
    assert _episodes()[0].review_on == date(2026, 1, 5)


def test_the_case_form_without_scripts_saves_the_next_review_too(case):
    coordinator, item = case
    on = today() + timedelta(days=30)
    coordinator.submit(f"/admin/meeting-room/case/{item.id}/save", {"summary": "Seen", "review_on": on.isoformat()})
    assert _episodes()[0].review_on == on


# --- closing on its own screen ---------------------------------------------------------------------------------------


@pytest.fixture
def closing(signed_in, create_episode, create_care_plan, create_action):
    """An open episode with an agreed plan of two goals (one achieved, one in progress) and an action still open."""
    coordinator = signed_in("coordinator")
    episode = create_episode(coordinator=coordinator.user, opened_on=today() - timedelta(days=60))
    plan = create_care_plan(patient=episode.patient, episode=episode)
    walk = Goal(
        care_plan=plan, description="Walk to the shops", domain=GoalDomain.functional, status=GoalStatus.achieved
    )
    garden = Goal(
        care_plan=plan, description="Back in the garden", domain=GoalDomain.physical, status=GoalStatus.in_progress
    )
    db.session.add_all([walk, garden])
    db.session.commit()
    plan.state, plan.agreed_on = CarePlanState.agreed, today() - timedelta(days=50)
    db.session.commit()
    create_action(patient=episode.patient, description="Pharmacy review")
    return coordinator, episode, walk, garden


def test_the_closure_screen_offers_each_goals_latest_progress_and_lists_what_is_still_open(closing):
    coordinator, episode, walk, garden = closing
    page = shown(coordinator.get(f"/admin/caseload/close/{episode.id}/"))
    assert f'<select class="form-control form-control-sm" id="goal_{walk.id}" name="goal_{walk.id}" required>' in page
    walk_select = page[
        page.index(f'name="goal_{walk.id}"') : page.index("</select>", page.index(f'name="goal_{walk.id}"'))
    ]
    garden_select = page[
        page.index(f'name="goal_{garden.id}"') : page.index("</select>", page.index(f'name="goal_{garden.id}"'))
    ]
    assert '<option selected value="achieved">Achieved</option>' in walk_select
    assert '<option selected value="">Choose</option>' in garden_select  # in progress is no attainment at closure
    assert "Pharmacy review" in page and "Action" in page
    reasons = page[page.index('name="reason"') : page.index("</select>", page.index('name="reason"'))]
    assert "Goals met" in reasons and "Died" not in reasons


def test_the_attainment_offered_is_the_latest_dated_progress_on_the_agreed_plan(closing, make_user):
    coordinator, episode, walk, garden = closing
    db.session.add(
        GoalUpdate(goal_id=garden.id, status=GoalStatus.achieved, recorded_on=today(), recorded_by=make_user())
    )
    db.session.commit()
    page = shown(coordinator.get(f"/admin/caseload/close/{episode.id}/"))
    start = page.index(f'name="goal_{garden.id}"')
    assert '<option selected value="achieved">Achieved</option>' in page[start : page.index("</select>", start)]


def test_closing_with_an_open_action_and_no_reason_is_refused_and_keeps_what_was_chosen(closing):
    coordinator, episode, walk, garden = closing
    form = {
        "reason": "goals_met",
        "closed_on": today().isoformat(),
        f"goal_{walk.id}": "achieved",
        f"goal_{garden.id}": "partly_achieved",
    }
    response = coordinator.submit(f"/admin/caseload/close/{episode.id}/", form)
    assert response.status_code == 200
    page = shown(response)
    assert "1 thing is still open (action): resolve them, or say why the episode closes all the same." in page
    garden_select = page[
        page.index(f'name="goal_{garden.id}"') : page.index("</select>", page.index(f'name="goal_{garden.id}"'))
    ]
    assert '<option selected value="partly_achieved">Partly achieved</option>' in garden_select
    assert _episodes()[0].is_open


def test_closing_with_the_goals_attained_and_the_open_action_explained(closing):
    coordinator, episode, walk, garden = closing
    form = {
        "reason": "goals_met",
        "closed_on": today().isoformat(),
        f"goal_{walk.id}": "achieved",
        f"goal_{garden.id}": "partly_achieved",
        "acknowledgement": "The pharmacist completes the review with the GP.",
    }
    response = coordinator.submit(f"/admin/caseload/close/{episode.id}/", form)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/record/{episode.patient_id}/")
    [closed] = _episodes()
    assert (closed.closed_on, closed.closure_reason, closed.closure_note) == (
        today(),
        ClosureReason.goals_met,
        "The pharmacist completes the review with the GP.",
    )
    attained = db.session.scalars(db.select(ClosureGoal).order_by(ClosureGoal.goal_id)).all()
    assert [(g.goal_id, g.attainment) for g in attained] == [
        (walk.id, GoalStatus.achieved),
        (garden.id, GoalStatus.partly_achieved),
    ]
    assert db.session.get(Goal, garden.id).status == GoalStatus.in_progress  # the agreed plan is not changed
    page = shown(coordinator.get(f"/admin/record/{episode.patient_id}/"))
    assert "Closed: Goals met" in page and "Partly achieved: Back in the garden" in page


def test_a_goal_left_without_its_attainment_is_refused(closing):
    coordinator, episode, walk, garden = closing
    form = {
        "reason": "goals_met",
        "closed_on": today().isoformat(),
        f"goal_{walk.id}": "achieved",
        "acknowledgement": "x",
    }
    page = shown(coordinator.submit(f"/admin/caseload/close/{episode.id}/", form))
    assert "Record how far each goal was attained: “Back in the garden” has no attainment yet." in page
    assert _episodes()[0].is_open


def test_a_death_is_not_a_reason_offered_or_taken_on_the_closure_screen(closing):
    coordinator, episode, walk, garden = closing
    form = {"reason": "died", "closed_on": today().isoformat(), "acknowledgement": "x"}
    page = shown(coordinator.submit(f"/admin/caseload/close/{episode.id}/", form))
    assert "Record the death on the patient's page: that closes the episode with the reason Died." in page
    assert _episodes()[0].is_open


def test_a_closed_episode_sends_the_closure_screen_back_to_the_patient(signed_in, create_episode):
    episode = create_episode(closed_on=today(), closure_reason=ClosureReason.moved_away)
    response = signed_in("coordinator").get(f"/admin/caseload/close/{episode.id}/")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/record/{episode.patient_id}/")


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_close_episodes(signed_in, create_episode, role):
    episode = create_episode()
    form = {"reason": "goals_met", "closed_on": today().isoformat(), "acknowledgement": "x"}
    assert signed_in(role).submit(f"/admin/caseload/close/{episode.id}/", form).status_code == 403
    assert _episodes()[0].is_open
