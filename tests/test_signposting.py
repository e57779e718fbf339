"""Signposting is its own kind (issue 27): recorded as given (to whom, what, when) from the patient's page, the live
minutes or its screen; never waiting, never in the onward referrals waiting, shown apart on the record, in the minutes
and the GP letter, and counted apart in the KPIs (from the tallies and from the records alike, on both databases)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from formats.dates import today
from models import OnwardOutcome, OnwardReferral, SignpostedTo, Signposting, db
from services import meeting_room
from services.caseload import board_facts
from services.kpis import tallies
from services.kpis.links import link
from services.kpis.records import drill_rows
from services.kpis.report import build_report
from services.meeting_documents import meeting_context
from services.onward import waiting_onward_referrals
from tests.factories import shown
from tests.kpi_fixtures import ARCHIVED, OCTOBER, figures, rows
from tests.meeting_fixtures import build_world


def _all(model) -> list:
    db.session.expire_all()
    return db.session.scalars(select(model).order_by(model.id)).all()


def test_signposting_from_the_patients_page_is_recorded_as_given(signed_in, create_patient, create_episode):
    episode = create_episode()
    coordinator = signed_in("coordinator")
    form = {"service_name": " Carers' centre ", "given_to": "carer", "what": "Carers' assessment; number given to Jo"}
    answer = coordinator.submit(f"/admin/record/{episode.patient_id}/signpost/", form)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#signposting-heading")
    [given] = _all(Signposting)
    assert (given.service, given.given_to, given.what, given.given_on, given.episode_id, given.given_by_id) == (
        "Carers' centre", SignpostedTo.carer, "Carers' assessment; number given to Jo", today(), episode.id,
        coordinator.user.id,
    )  # fmt: skip
    assert _all(OnwardReferral) == []  # not a referral
    page = shown(coordinator.get(f"/admin/record/{episode.patient_id}/"))
    signposting = page[page.index('id="signposting-heading"') : page.index('id="contacts-heading"')]
    assert "Signposting to Carers' centre recorded." in page
    assert "Their carer" in signposting and "Carers' assessment; number given to Jo" in signposting
    referrals = page[page.index('id="onward-heading"') : page.index('id="signposting-heading"')]
    assert "No onward referrals." in referrals and "Carers' centre" not in referrals
    assert "Signposted to Carers' centre (their carer)" in page  # the timeline


@pytest.mark.parametrize(
    "form, message",
    [
        ({"given_to": "patient", "what": "Leaflet"}, "Choose a service from the directory, or type its name."),
        ({"service_name": "Age UK", "what": "Leaflet"}, "Say whom the advice was given to"),
        ({"service_name": "Age UK", "given_to": "patient"}, "Say what was advised"),
        ({"service_name": "Age UK", "given_to": "neighbour", "what": "x"}, "Choose whom the advice was given to"),
        ({"service_name": "Age UK", "given_to": "patient", "what": "x", "given_on": "2099-01-01"}, "in the future"),
    ],
)
def test_signposting_needs_the_service_to_whom_and_what(signed_in, create_patient, form, message):
    patient = create_patient()
    coordinator = signed_in("coordinator")
    answer = coordinator.submit(f"/admin/record/{patient.id}/signpost/", form)
    assert message in shown(coordinator.get(answer.headers["Location"]))
    assert _all(Signposting) == []


def test_a_case_in_the_live_minutes_is_signposted_and_the_minutes_print_it_apart(signed_in, make_user):
    world = build_world(make_user("coordinator"), cases=1)
    coordinator = signed_in("coordinator")
    item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator.user)
    db.session.commit()
    form = {"service_name": "Dementia support hub", "given_to": "both", "what": "Memory cafe on Thursdays"}
    coordinator.submit(f"/admin/meeting-room/case/{item.id}/signpost", form)
    coordinator.submit(
        f"/admin/meeting-room/case/{item.id}/onward", {"service_name": "Falls clinic", "method": "email"}
    )
    [given] = _all(Signposting)
    assert (given.agenda_item_id, given.episode_id) == (item.id, item.episode_id)
    page = shown(coordinator.get(f"/admin/meeting-room/{world.meeting.id}/minutes"))
    assert "Dementia support hub &middot; The patient and their carer" in page.replace("·", "&middot;")
    [case] = meeting_context(world.meeting, set()).cases
    assert [(line.service, line.signposted, line.outcome, line.given_to) for line in case.onward] == [
        ("Falls clinic", False, "Waiting", ""),
        ("Dementia support hub", True, "", "The patient and their carer"),
    ]


def test_signposting_is_never_waiting_nor_in_the_onward_referrals_waiting(
    signed_in, create_patient, create_episode, create_onward_referral, create_signposting
):
    episode = create_episode()
    patient = episode.patient
    create_signposting(patient=patient, service="Carers' centre")
    create_onward_referral(patient=patient, service="Falls clinic")
    waiting = db.session.scalars(waiting_onward_referrals()).all()
    assert [r.service for r in waiting] == ["Falls clinic"]
    page = shown(signed_in("coordinator").get("/admin/onward-waiting/"))
    assert "Falls clinic" in page and "Carers' centre" not in page
    assert board_facts([episode])[episode.id].waiting_onward == 1  # the caseload board's count
    assert not hasattr(Signposting, "outcome")  # nothing comes back: there is nothing to wait for


def test_the_signposting_screen_lists_and_edits_through_the_service(signed_in, create_signposting):
    given = create_signposting(service="Age UK information and advice", given_to=SignpostedTo.patient)
    coordinator = signed_in("coordinator")
    page = shown(coordinator.get("/admin/signposting/"))
    assert "Age UK information and advice" in page and "The patient" in page
    details = shown(coordinator.get(f"/admin/signposting/details/?id={given.id}"))
    assert "What was advised" in details and "Given to" in details


@pytest.fixture
def october(app, create_onward_referral, create_signposting):
    """October: two referrals and three signposting (one before this change, not saying to whom), one archived."""
    accepted = OnwardOutcome.accepted
    create_onward_referral(service="Falls clinic", referred_on=date(2026, 10, 5), outcome=accepted,
                           outcome_on=date(2026, 10, 9))  # fmt: skip
    create_onward_referral(service="Falls clinic", referred_on=date(2026, 10, 12))
    create_signposting(service="Carers' centre", given_on=date(2026, 10, 6), given_to=SignpostedTo.carer)
    create_signposting(service="Carers' centre", given_on=date(2026, 10, 20), given_to=SignpostedTo.both)
    create_signposting(service="Age UK", given_on=date(2026, 10, 21), given_to=None, what="Leaflet")
    create_signposting(service="Age UK", given_on=date(2026, 10, 22), archived_at=ARCHIVED)
    create_signposting(service="Age UK", given_on=date(2026, 11, 2))


@pytest.mark.parametrize("counted", ["from the tallies", "from the records"])
def test_signposting_is_counted_apart_from_the_onward_referrals(october, counted):
    if counted == "from the tallies":
        tallies.rebuild()
        db.session.commit()
    report = build_report(OCTOBER)
    assert figures(report.kpi("onward")) == {"Onward referrals made": "2"}
    assert rows(report.kpi("onward").tables[0]) == [["Falls clinic", "2", "1", "1", "0"]]
    signposting = report.kpi("signposting")
    assert figures(signposting) == {
        "Signposting given": "3", "To the patient": "0", "To their carer": "1", "To the patient and their carer": "1",
    }  # fmt: skip
    assert rows(signposting.tables[0]) == [["Age UK", "1", "0", "0", "0"], ["Carers' centre", "2", "0", "1", "1"]]
    total, listed = drill_rows(link("signposting"), OCTOBER)
    assert total == 3 and [r.parts["Given to"] for r in listed] == ["Their carer", "The patient and their carer",
                                                                    "Not recorded"]  # fmt: skip
    assert drill_rows(link("onward"), OCTOBER)[0] == 2


def test_the_dashboard_shows_signposting_apart(october, signed_in):
    page = shown(signed_in("team_lead").get("/admin/kpis/?period=custom&start=2026-10-01&end=2026-10-31"))
    assert 'id="kpi-signposting"' in page and 'data-figure="signposting:Signposting given">3<' in page
    assert 'data-figure="onward:Onward referrals made">2<' in page
