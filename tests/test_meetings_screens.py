"""The locality, contact, member, meeting, agenda item and attendance screens."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from formats.dates import LONDON, today
from models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CaseStatus,
    Contact,
    Locality,
    Meeting,
    MeetingMember,
    MeetingStatus,
    MemberRole,
    db,
)
from tests.factories import refused, shown


def _all(model) -> list:
    db.session.expire_all()
    return db.session.scalars(db.select(model)).all()


def _local(day, hour=10) -> str:
    """What a person types in the date-and-time box."""
    return f"{day.isoformat()}T{hour:02d}:00"


# --- localities, contacts, members ----------------------------------------------------------------


def test_the_team_lead_adds_a_locality_and_nobody_else_may(signed_in):
    lead = signed_in("team_lead")
    assert lead.submit("/admin/locality/new/", {"name": "Medway North"}).status_code == 302
    assert [locality.name for locality in _all(Locality)] == ["Medway North"]
    for role in ["coordinator", "read_only", "partner"]:
        assert signed_in(role).submit("/admin/locality/new/", {"name": f"By {role}"}).status_code == 403
    assert len(_all(Locality)) == 1
    refused(lead, "/admin/locality/new/", {"name": "Medway North"}, "Another locality already has this name.")
    assert "Medway North" in shown(signed_in("read_only").get("/admin/locality/"))


def test_staff_add_a_contact(signed_in, make_org):
    org = make_org(name="Medway Council")
    response = signed_in("coordinator").submit(
        "/admin/contact/new/",
        {"name": "Sam Social", "job_title": "Social worker", "organisation": org.id, "email": "sam@medway.gov.uk"},
    )
    assert response.status_code == 302, shown(response)
    [contact] = _all(Contact)
    assert (
        contact.organisation_id == org.id
        and contact.email == "sam@medway.gov.uk"
        and contact.job_title == "Social worker"
    )
    page = shown(signed_in("read_only").get("/admin/contact/?flt0_organisation_contains=Medway"))
    assert "Sam Social" in page


def test_a_contact_needs_a_real_email_address(signed_in, make_org):
    refused(
        signed_in("coordinator"),
        "/admin/contact/new/",
        {"name": "No Mail", "organisation": make_org().id, "email": "not-an-email"},
        "Enter a valid email address.",
    )
    assert _all(Contact) == []


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_add_contacts(signed_in, make_org, role):
    form = {"name": "Nope", "organisation": make_org().id, "email": "nope@nhs.net"}
    assert signed_in(role).submit("/admin/contact/new/", form).status_code == 403
    assert _all(Contact) == []


def test_the_team_lead_adds_a_member_once(signed_in, create_locality, create_contact):
    locality, contact = create_locality(), create_contact()
    form = {"locality": locality.id, "contact": contact.id, "member_role": "chair"}
    assert signed_in("coordinator").submit("/admin/meeting_member/new/", form).status_code == 403
    lead = signed_in("team_lead")
    assert lead.submit("/admin/meeting_member/new/", form).status_code == 302
    [member] = _all(MeetingMember)
    assert (
        member.locality_id == locality.id and member.contact_id == contact.id and member.member_role == MemberRole.chair
    )
    refused(lead, "/admin/meeting_member/new/", form, "This contact is already a member of this locality's meeting")
    assert len(_all(MeetingMember)) == 1
    assert "Sam Social" in shown(signed_in("read_only").get("/admin/meeting_member/"))


# --- meetings -------------------------------------------------------------------------------------


def _meeting_form(locality, **overrides) -> dict:
    form = {
        "locality": locality.id,
        "starts_at": _local(today() + timedelta(days=14)),
        "duration_minutes": "120",
        "status": "planned",
        "teams_link": "https://teams.microsoft.com/l/meetup-join/abc",
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize("role", ["coordinator", "team_lead"])
def test_staff_plan_a_meeting(signed_in, create_locality, role):
    locality = create_locality(name="Medway North")
    response = signed_in(role).submit("/admin/meeting/new/", _meeting_form(locality))
    assert response.status_code == 302, shown(response)
    [meeting] = _all(Meeting)
    day = today() + timedelta(days=14)
    assert meeting.starts_at == datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON)  # typed in London time
    assert meeting.status == MeetingStatus.planned and meeting.duration_minutes == 120
    assert day.strftime("%d/%m/%Y") + " 10:00" in shown(signed_in("read_only").get("/admin/meeting/"))


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_plan_meetings(signed_in, create_locality, role):
    assert signed_in(role).submit("/admin/meeting/new/", _meeting_form(create_locality())).status_code == 403
    assert _all(Meeting) == []


def test_booking_and_moving_belong_to_the_scheduling_page(signed_in, create_locality, create_meeting):
    coordinator = signed_in("coordinator")
    refused(
        coordinator,
        "/admin/meeting/new/",
        _meeting_form(create_locality(), status="booked"),
        "Book a meeting on the Scheduling page",
    )
    booked = create_meeting(status=MeetingStatus.booked)
    moved = _meeting_form(
        booked.locality,
        starts_at=_local(today() + timedelta(days=21)),
        status="booked",
        expected_version=str(booked.version),
    )
    refused(coordinator, f"/admin/meeting/edit/?id={booked.id}", moved, "from the meeting's Scheduling page")
    db.session.expire_all()
    assert booked.starts_at.astimezone(LONDON).date() == today() + timedelta(days=7)
    relinked = _meeting_form(
        booked.locality,
        starts_at=_local(today() + timedelta(days=7)),
        status="booked",
        teams_link="https://teams.microsoft.com/l/new",
        expected_version=str(booked.version),
    )
    assert coordinator.submit(f"/admin/meeting/edit/?id={booked.id}", relinked).status_code == 302
    db.session.expire_all()
    assert booked.teams_link == "https://teams.microsoft.com/l/new"


def test_a_meeting_length_must_be_sensible(signed_in, create_locality):
    refused(
        signed_in("coordinator"),
        "/admin/meeting/new/",
        _meeting_form(create_locality(), duration_minutes="0"),
        "A meeting lasts from 1 to 600 minutes.",
    )
    assert _all(Meeting) == []


def test_meeting_list_filters_by_status_and_locality(signed_in, create_meeting, create_locality):
    create_meeting(locality=create_locality(name="Medway North"), status=MeetingStatus.held)
    create_meeting(locality=create_locality(name="Swale South"), status=MeetingStatus.cancelled)
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/meeting/?flt0_status_equals=held"))
    assert "Medway North" in page and "Swale South" not in page
    page = shown(reader.get("/admin/meeting/?flt0_locality_contains=Swale"))
    assert "Swale South" in page and "Medway North" not in page
    page = shown(reader.get("/admin/meeting/?search=swale"))
    assert "Swale South" in page and "Medway North" not in page


# --- agenda items ---------------------------------------------------------------------------------


def test_staff_list_a_case_and_minute_it(signed_in, create_meeting, create_referral):
    referral = create_referral()
    meeting = create_meeting()
    form = {
        "meeting": meeting.id,
        "patient": referral.patient_id,
        "referral": referral.id,
        "position": "1",
        "status": "discussed",
        "discussion": "Agreed a falls review",
        "outcome": "Falls clinic referral",
    }
    response = signed_in("coordinator").submit("/admin/agenda_item/new/", form)
    assert response.status_code == 302, shown(response)
    [item] = _all(AgendaItem)
    assert item.meeting_id == meeting.id and item.referral_id == referral.id and item.status == CaseStatus.discussed
    assert item.discussion == "Agreed a falls review"
    reader = signed_in("read_only")
    assert "Falls clinic referral" in shown(reader.get("/admin/agenda_item/?flt0_status_equals=discussed"))
    assert "Falls clinic referral" in shown(
        reader.get(f"/admin/agenda_item/?flt0_locality_equals={meeting.locality.name}")
    )
    assert "Falls clinic referral" not in shown(reader.get("/admin/agenda_item/?flt0_locality_equals=Elsewhere"))


def test_a_meeting_before_the_referral_is_refused(signed_in, create_meeting, create_referral):
    referral = create_referral(received_on=today() - timedelta(days=2))
    before = today() - timedelta(days=5)
    meeting = create_meeting(
        starts_at=datetime(before.year, before.month, before.day, 10, tzinfo=LONDON), status=MeetingStatus.held
    )
    form = {"meeting": meeting.id, "patient": referral.patient_id, "referral": referral.id, "status": "listed"}
    refused(
        signed_in("coordinator"),
        "/admin/agenda_item/new/",
        form,
        f"This meeting ({before:%d/%m/%Y}) is before the referral was received ({referral.received_on:%d/%m/%Y})",
    )
    assert _all(AgendaItem) == []


def test_a_patient_is_listed_once_per_meeting(signed_in, create_agenda_item):
    item = create_agenda_item()
    form = {"meeting": item.meeting_id, "patient": item.patient_id, "status": "listed"}
    refused(
        signed_in("coordinator"), "/admin/agenda_item/new/", form, "This patient is already on this meeting's agenda."
    )
    assert len(_all(AgendaItem)) == 1


def test_over_long_minutes_are_refused(signed_in, create_meeting, create_patient):
    form = {
        "meeting": create_meeting().id,
        "patient": create_patient().id,
        "status": "discussed",
        "discussion": "d" * 50_001,
    }
    refused(
        signed_in("coordinator"), "/admin/agenda_item/new/", form, "Enter at most 50,000 characters (this has 50,001)."
    )
    assert _all(AgendaItem) == []


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_change_agendas(signed_in, create_meeting, create_patient, role):
    form = {"meeting": create_meeting().id, "patient": create_patient().id, "status": "listed"}
    assert signed_in(role).submit("/admin/agenda_item/new/", form).status_code == 403
    assert _all(AgendaItem) == []


def test_meeting_look_up_finds_by_locality_or_date(signed_in, create_meeting, create_locality):
    meeting = create_meeting(locality=create_locality(name="Medway North"))
    create_meeting(locality=create_locality(name="Swale South"))
    coordinator = signed_in("coordinator")
    by_name = coordinator.get("/admin/agenda_item/ajax/lookup/?name=meeting&query=medway").get_json()
    assert [row[0] for row in by_name] == [meeting.id]
    day = meeting.starts_at.astimezone(LONDON).strftime("%d/%m/%Y")
    by_date = coordinator.get(
        "/admin/agenda_item/ajax/lookup/", query_string={"name": "meeting", "query": day}
    ).get_json()
    assert len(by_date) == 2


# --- attendance -----------------------------------------------------------------------------------


def test_staff_take_the_register_once_per_member(signed_in, create_meeting, create_contact):
    meeting, contact = create_meeting(), create_contact()
    form = {"meeting": meeting.id, "contact": contact.id, "status": "apologies"}
    coordinator = signed_in("coordinator")
    assert coordinator.submit("/admin/attendance/new/", form).status_code == 302
    [row] = _all(Attendance)
    assert row.status == AttendanceStatus.apologies and row.contact_id == contact.id
    refused(coordinator, "/admin/attendance/new/", form, "This member is already on this meeting's register.")
    assert len(_all(Attendance)) == 1
    page = shown(signed_in("read_only").get("/admin/attendance/?flt0_attendance_equals=apologies"))
    assert "Sam Social" in page
    for role in ["read_only", "partner"]:
        assert signed_in(role).submit("/admin/attendance/new/", form | {"status": "attended"}).status_code == 403
