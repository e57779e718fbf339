"""List screens run a fixed number of SQL queries however full the page: no query per row (N+1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import g
from flask_admin.contrib.sqla import ModelView
from flask_login import login_user
from sqlalchemy import event

from formats.dates import LONDON, today
from models import (
    AuditAction,
    AuditEntry,
    Consent,
    Episode,
    Locality,
    Patient,
    Referral,
    ReferralStatus,
    Role,
    db,
)
from services import audit_trail

PAGE_SIZE = 25
#: Transaction control is not a query.
_NOT_QUERIES = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@pytest.fixture
def sql_statements(app):
    """Every SQL statement sent to the database while the test runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(_NOT_QUERIES):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def queries_for(client, statements: list[str], url: str) -> int:
    """SQL statements one GET of `url` sends (after a warm-up request, so caches are as in steady use)."""
    db.session.commit()
    assert client.get(url).status_code == 200, url
    statements.clear()
    response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def model_views(app) -> dict[str, ModelView]:
    return {
        view.endpoint: view for admin in app.extensions["admin"] for view in admin._views if isinstance(view, ModelView)
    }


def rows_listed(app, endpoint: str, user) -> int:
    """How many rows the screen lists for `user` (its own count query, as the pager uses)."""
    view = model_views(app)[endpoint]
    with app.test_request_context(f"/admin/{endpoint}/"):
        login_user(user)
        total = view.get_count_query().scalar()
    g.pop("_login_user", None)  # the request context shared the test's app context
    return total


# --- Factories: each row has its own related records, so a lazy load per row would show --------------


def _organisations(make_org, make_user, n):
    for _ in range(n):
        make_org()


def _users(make_org, make_user, n):
    for _ in range(n):
        make_user(Role.coordinator)


_serial = iter(range(1, 100_000))


def _patient_and_locality():
    n = next(_serial)
    locality = Locality(name=f"Locality {n}")
    patient = Patient(
        given_name="Pat", family_name=f"Case{n}", date_of_birth=date(1940, 1, 1) + timedelta(days=n), risk_score=n % 9
    )
    db.session.add_all([locality, patient])
    return patient, locality


def _referral(patient, locality, status):
    return Referral(
        patient=patient,
        locality=locality,
        received_on=today() - timedelta(days=3),
        referrer_name="Dr Jones",
        reason="Falls",
        consent=Consent.given,
        consent_by="Patient",
        consent_on=today() - timedelta(days=4),
        signposting_tried="Age UK",
        status=status,
    )


def _triage(make_org, make_user, n):
    for _ in range(n):
        db.session.add(_referral(*_patient_and_locality(), ReferralStatus.awaiting_triage))
    db.session.commit()


def _caseload(make_org, make_user, n):
    for _ in range(n):
        patient, locality = _patient_and_locality()
        referral = _referral(patient, locality, ReferralStatus.accepted)
        db.session.add(
            Episode(
                patient=patient,
                referral=referral,
                locality=locality,
                coordinator=make_user(Role.coordinator),
                opened_on=today() - timedelta(days=10),
            )
        )
    db.session.commit()


def _audit(make_org, make_user, n):
    for _ in range(n):
        user = make_user(Role.coordinator)
        patient, _ = _patient_and_locality()
        db.session.flush()
        db.session.add(
            AuditEntry(
                user_id=user.id,
                action=AuditAction.view,
                table_name="patient",
                record_id=patient.id,
                patient_id=patient.id,
                detail="opened",
            )
        )
    db.session.commit()


FACTORIES = {"organisation": _organisations, "user": _users, "triage": _triage, "caseload": _caseload, "audit": _audit}


@pytest.mark.parametrize("endpoint", sorted(FACTORIES))
def test_a_full_page_costs_the_same_queries_as_a_short_one(
    app, signed_in, make_org, make_user, sql_statements, endpoint
):
    client = signed_in(Role.team_lead)
    url = f"/admin/{endpoint}/"
    FACTORIES[endpoint](make_org, make_user, 3)
    assert 0 < rows_listed(app, endpoint, client.user) < PAGE_SIZE
    short = queries_for(client, sql_statements, url)

    FACTORIES[endpoint](make_org, make_user, PAGE_SIZE)
    assert rows_listed(app, endpoint, client.user) > PAGE_SIZE
    full = queries_for(client, sql_statements, url)
    assert full == short, f"{url}: {short} queries for a few rows, {full} for a full page"


def test_every_list_screen_is_flat_on_demo_data(app, signed_in, sql_statements):
    """Every model list the app has (screens added later too): a full first page, a part-filled last page and a page
    of 100 run the same number of queries."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--patients", "60"])
    assert result.exit_code == 0, result.output
    client = signed_in(Role.team_lead)
    checked, differing = [], []
    for endpoint in sorted(model_views(app)):
        total = rows_listed(app, endpoint, client.user)
        if total <= PAGE_SIZE or total % PAGE_SIZE == 0:
            continue  # too few rows for two different fills (the factories above cover the short ones)
        url = f"/admin/{endpoint}/"
        full = queries_for(client, sql_statements, url)
        last = queries_for(client, sql_statements, f"{url}?page={(total - 1) // PAGE_SIZE}")
        bigger = queries_for(client, sql_statements, f"{url}?page_size=100")  # a page four times as long
        checked.append(endpoint)
        if endpoint == "audit":
            # The trail names each entry's record: one query per kind of record on the page (services.audit_trail
            # _Names), never one per row; a longer page may name more kinds, never more than there are.
            if not max(full, last, bigger) - min(full, last, bigger) <= len(audit_trail._models()):
                differing.append(f"audit: {full}, {last} and {bigger} queries: more than one a kind of record")
            continue
        if not full == last == bigger:
            differing.append(f"{endpoint}: {full} queries for {PAGE_SIZE} rows, {last} for {total % PAGE_SIZE}, "
                             f"{bigger} for up to 100")  # fmt: skip
    assert len(checked) >= 3, checked
    assert not differing, "; ".join(differing)


def _after(meeting):
    """A due date a week after the meeting that agrees the action."""
    return meeting.starts_at.astimezone(LONDON).date() + timedelta(days=7)


def test_meeting_pages_run_a_fixed_number_of_queries(app, make_user, signed_in, sql_statements):
    """The meeting room and the live minutes: 3 cases or 9, the same queries (no per-case loading)."""
    from services import meeting_room
    from tests.meeting_fixtures import build_world

    coordinator = signed_in("coordinator")
    world = build_world(make_user("coordinator"), cases=9)
    counts = []
    for listed in (3, 9):
        for episode in world.episodes[len(world.meeting.agenda) : listed]:
            item = meeting_room.add_case_to_agenda(world.meeting, episode, coordinator.user)
            meeting_room.add_action(
                item, "Visit", world.agencies["social"], _after(world.meeting), coordinator.user, world.members[0]
            )
        db.session.commit()
        counts.append(
            (
                queries_for(coordinator, sql_statements, f"/admin/meeting-room/{world.meeting.id}/"),
                queries_for(coordinator, sql_statements, f"/admin/meeting-room/{world.meeting.id}/minutes"),
            )
        )
    assert counts[0] == counts[1], counts


def test_meeting_documents_run_a_fixed_number_of_queries(app, make_user, signed_in, sql_statements):
    """The agenda and the minutes: 3 cases or 9, each with its question, care plan and an action carried from an
    earlier meeting, the same queries (no per-case loading)."""
    from models import Action, ActionStatus, AgendaItem, CarePlan
    from services import meeting_room
    from tests.meeting_fixtures import build_world, meeting_at

    coordinator = signed_in("coordinator")
    world = build_world(make_user("coordinator"), cases=9)
    world.meeting.chair = world.members[2]
    earlier = meeting_at(world.locality, world.meeting.starts_at - timedelta(days=28))
    counts = []
    for listed in (3, 9):
        for episode in world.episodes[len(world.meeting.agenda) : listed]:
            item = meeting_room.add_case_to_agenda(world.meeting, episode, coordinator.user)
            meeting_room.add_action(
                item, "Visit", world.agencies["social"], _after(world.meeting), coordinator.user, world.members[0]
            )
            meeting_room.save_minutes(item, {"outcome": "Seen"}, coordinator.user, discussed=True)
            episode.referral.question = "Can they stay at home?"
            episode.review_on = today() + timedelta(days=56)
            db.session.add(CarePlan(patient_id=episode.patient_id))
            db.session.add(
                Action(
                    agenda_item=AgendaItem(meeting=earlier, patient_id=episode.patient_id, position=1),
                    patient_id=episode.patient_id,
                    description="Earlier visit",
                    owner_organisation=world.agencies["community"],
                    owner_contact=world.members[2],
                    due_on=today(),
                    status=ActionStatus.open,
                )
            )
        db.session.commit()
        counts.append(
            tuple(
                queries_for(coordinator, sql_statements, f"/admin/meeting-room/{world.meeting.id}/document/{kind}")
                for kind in ("agenda", "minutes")
            )
        )
    assert counts[0] == counts[1], counts
