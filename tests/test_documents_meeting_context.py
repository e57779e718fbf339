"""The plain data behind a meeting's agenda, minutes and action log: what each document is built from."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from formats.dates import LONDON
from models import (
    ActionStatus,
    Attendance,
    AttendanceStatus,
    CaseStatus,
    MeetingStatus,
    OrganisationType,
    db,
)
from services.meeting_documents import MeetingAction, meeting_context

ARCHIVED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def meeting(create_locality, create_meeting, create_contact, make_org):
    """Medway North's meeting on Wednesday 25 November 2026, 10:00 London time, for two hours."""
    chair = create_contact(name="Chris Chair", organisation=make_org(name="Medway Community Healthcare"))
    return create_meeting(
        locality=create_locality(name="Medway North"),
        starts_at=datetime(2026, 11, 25, 10, 0, tzinfo=LONDON),
        status=MeetingStatus.booked,
        teams_link="https://teams.example/ilr-medway-north",
        chair=chair,
    )


@pytest.fixture
def agencies(make_org):
    return {
        "social": make_org(name="Medway Social Services", type=OrganisationType.social_services),
        "mental": make_org(name="KMPT", type=OrganisationType.mental_health),
        "pharmacy": make_org(name="Boots Pharmacy", type=OrganisationType.pharmacy),
        "practice": make_org(name="Riverside Surgery", type=OrganisationType.gp_practice),
    }


@pytest.fixture
def agenda(meeting, agencies, create_patient, create_agenda_item, create_contact, create_action):
    """Four cases: Lovelace (listed second, with actions), Hopper (first, late, with a slot and presenter),
    Babbage (withdrawn) and Turing (archived)."""
    sam = create_contact(name="Sam Social", organisation=agencies["social"])
    lovelace = create_patient(
        given_name="Ada",
        family_name="Lovelace",
        date_of_birth=date(1940, 1, 2),
        nhs_number="9430004778",
        gp_practice=agencies["practice"],
    )
    hopper = create_patient(
        given_name="Grace", family_name="Hopper", date_of_birth=date(1936, 12, 9), nhs_number="9430004786"
    )
    babbage = create_patient(given_name="Charles", family_name="Babbage", nhs_number="9430004794")
    turing = create_patient(given_name="Alan", family_name="Turing", nhs_number="9430004808")
    second = create_agenda_item(
        meeting=meeting,
        patient=lovelace,
        position=2,
        status=CaseStatus.discussed,
        summary="Falls and isolation",
        discussion="Lives alone since March",
        outcome="Care package increased",
        decisions="Review in four weeks",
    )
    first = create_agenda_item(
        meeting=meeting,
        patient=hopper,
        position=1,
        slot_starts_at=datetime(2026, 11, 25, 10, 15, tzinfo=LONDON),
        presenter=sam,
        late_addition=True,
    )
    create_agenda_item(meeting=meeting, patient=babbage, position=3, status=CaseStatus.withdrawn)
    create_agenda_item(meeting=meeting, patient=turing, position=0, archived_at=ARCHIVED)
    create_action(
        agenda_item=second,
        patient=lovelace,
        description="Increase care package",
        owner_organisation=agencies["social"],
        owner_contact=sam,
        due_on=date(2026, 12, 9),
    )
    create_action(
        agenda_item=second,
        patient=lovelace,
        description="Review medicines",
        owner_organisation=agencies["pharmacy"],
        due_on=date(2026, 12, 2),
        status=ActionStatus.in_progress,
    )
    create_action(
        agenda_item=second,
        patient=lovelace,
        description="Archived action",
        owner_organisation=agencies["pharmacy"],
        due_on=date(2026, 12, 1),
        archived_at=ARCHIVED,
    )
    return {"first": first, "second": second, "lovelace": lovelace, "hopper": hopper}


def test_the_meeting_itself(meeting):
    context = meeting_context(meeting, set())
    assert (context.title, context.locality, context.when, context.day) == (
        "Medway North Integrated Locality Review",
        "Medway North",
        "Wednesday 25/11/2026 10:00 to 12:00",
        "25/11/2026",
    )
    assert (context.teams_link, context.chair, context.status) == (
        "https://teams.example/ilr-medway-north",
        "Chris Chair (Medway Community Healthcare)",
        "Booked",
    )
    assert context.filename_stem == "ilr-medway-north-2026-11-25"
    assert (context.cases, context.attendance, context.actions) == ([], {}, [])


#: The case fields these tests pin (the context carries more, tested with the documents that show them).
CASE_FIELDS = (
    "position",
    "slot",
    "patient",
    "nhs_number",
    "born",
    "gp_practice",
    "presenter",
    "status",
    "late",
    "safeguarding",
    "summary",
    "discussion",
    "outcome",
    "decisions",
)


def _fields(case) -> dict:
    return {name: getattr(case, name) for name in CASE_FIELDS}


def test_cases_in_agenda_order_without_withdrawn_or_archived_ones(meeting, agenda):
    context = meeting_context(meeting, {agenda["lovelace"].id})
    assert [_fields(case) for case in context.cases] == [
        dict(
            position=1,
            slot="10:15",
            patient="HOPPER, Grace",
            nhs_number="943 000 4786",
            born="09/12/1936",
            gp_practice="",
            presenter="Sam Social",
            status="Listed",
            late=True,
            safeguarding=False,
            summary="",
            discussion="",
            outcome="",
            decisions="",
        ),
        dict(
            position=2,
            slot="",
            patient="LOVELACE, Ada",
            nhs_number="943 000 4778",
            born="02/01/1940",
            gp_practice="Riverside Surgery",
            presenter="",
            status="Discussed",
            late=False,
            safeguarding=True,
            summary="Falls and isolation",
            discussion="Lives alone since March",
            outcome="Care package increased",
            decisions="Review in four weeks",
        ),
    ]


def test_each_case_carries_its_own_actions_by_due_date(meeting, agenda, agencies):
    hopper, lovelace = meeting_context(meeting, set()).cases
    assert hopper.actions == []
    assert lovelace.actions == [
        MeetingAction(
            "LOVELACE, Ada",
            "943 000 4778",
            "Review medicines",
            "Boots Pharmacy",
            "",
            "02/12/2026",
            "In progress",
            agencies["pharmacy"].id,
        ),
        MeetingAction(
            "LOVELACE, Ada",
            "943 000 4778",
            "Increase care package",
            "Medway Social Services",
            "Sam Social",
            "09/12/2026",
            "Open",
            agencies["social"].id,
        ),
    ]


def test_the_safeguarding_flag_follows_the_ids_given(meeting, agenda):
    flags = {c.patient: c.safeguarding for c in meeting_context(meeting, {agenda["hopper"].id}).cases}
    assert flags == {"HOPPER, Grace": True, "LOVELACE, Ada": False}


def test_actions_are_the_cases_actions_in_order(meeting, agenda):
    context = meeting_context(meeting, set())
    assert [(a.patient, a.description, a.due) for a in context.actions] == [
        ("LOVELACE, Ada", "Review medicines", "02/12/2026"),
        ("LOVELACE, Ada", "Increase care package", "09/12/2026"),
    ]


def test_attendance_grouped_by_agency_then_status(meeting, agencies, create_contact):
    people = {
        "Zed Zulu": (agencies["social"], AttendanceStatus.attended),
        "Sam Social": (agencies["social"], AttendanceStatus.attended),
        "Ann Adams": (agencies["social"], AttendanceStatus.apologies),
        "Mo Mental": (agencies["mental"], AttendanceStatus.attended),
        "Kim Kent": (agencies["mental"], AttendanceStatus.absent),
        "Ivy Invited": (agencies["pharmacy"], AttendanceStatus.invited),
    }
    for name, (organisation, status) in people.items():
        contact = create_contact(name=name, organisation=organisation)
        db.session.add(Attendance(meeting_id=meeting.id, contact_id=contact.id, status=status))
    db.session.commit()
    attendance = meeting_context(meeting, set()).attendance
    assert attendance == {
        "Boots Pharmacy": {"Invited": ["Ivy Invited"]},
        "KMPT": {"Absent": ["Kim Kent"], "Attended": ["Mo Mental"]},
        "Medway Social Services": {"Apologies": ["Ann Adams"], "Attended": ["Sam Social", "Zed Zulu"]},
    }
    assert list(attendance) == ["Boots Pharmacy", "KMPT", "Medway Social Services"]


def test_a_summer_meeting_is_shown_in_london_time(create_meeting, create_locality):
    meeting = create_meeting(
        locality=create_locality(name="Gillingham and Rainham"),
        starts_at=datetime(2027, 6, 30, 23, 30, tzinfo=UTC),  # 00:30 on 1 July, BST
        duration_minutes=90,
    )
    context = meeting_context(meeting, set())
    assert (context.when, context.day, context.filename_stem) == (
        "Thursday 01/07/2027 00:30 to 02:00",
        "01/07/2027",
        "ilr-gillingham-and-rainham-2027-07-01",
    )
