"""Availability polls and their links, booking with .ics invitations, moving, cancelling, weekly series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from icalendar import Calendar

from formats.dates import LONDON, today
from models import (
    AvailabilityPoll,
    Contact,
    Locality,
    Meeting,
    MeetingMember,
    MeetingStatus,
    Organisation,
    OrganisationType,
    OutboxEmail,
    PollInvitation,
    PollStatus,
    db,
    utcnow,
)
from services import polls, scheduling
from tests.conftest import page_text
from tests.factories import working_day

#: How a datetime-local input writes a time.
TYPED = "%Y-%m-%dT%H:%M"


@pytest.fixture
def locality(app):
    loc = Locality(name="Medway North")
    social = Organisation(name="Medway Social Services", type=OrganisationType.social_services)
    mental = Organisation(name="KMPT", type=OrganisationType.mental_health)
    db.session.add_all([loc, social, mental])
    db.session.flush()
    for name, email, org in [("Sam Social", "sam@medway.gov.uk", social), ("Mo Mental", "mo@nhs.net", mental)]:
        contact = Contact(name=name, email=email, organisation=org)
        db.session.add_all([contact, MeetingMember(locality=loc, contact=contact)])
    db.session.commit()
    return loc


def _in(days: int, hour: int = 10) -> datetime:
    """A meeting time `days` working days away: a weekend or bank holiday is asked about (test_scheduling_days.py)."""
    return working_day(days, hour)


@pytest.fixture
def poll(locality, make_user):
    made = polls.create_poll(locality, [_in(8), _in(9), _in(10)], _in(5), make_user("coordinator"))
    db.session.commit()
    return made


def _link_parts(invitation) -> tuple[int, str]:
    return invitation.poll_id, polls.link_token(invitation)


def test_poll_emails_each_member_a_personal_link_without_patient_data(poll):
    emails = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "availability")).all()
    assert sorted(e.to_address for e in emails) == [
        "mo@nhs.net",
        "sam@medway.gov.uk",
    ]  # not nhs.net is fine: no patient data
    assert all(not e.contains_patient_data for e in emails)
    with_app_links = [e for e in emails if "/availability/" in e.body_text]
    assert len(with_app_links) == 2
    assert (
        emails[0].body_text.split("/availability/")[1].split()[0]
        != emails[1].body_text.split("/availability/")[1].split()[0]
    )


def test_member_answers_through_the_link_without_signing_in(poll, client):
    invitation = poll.invitations[0]
    poll_id, token = _link_parts(invitation)
    page = client.get(f"/availability/{poll_id}/{token}")
    assert page.status_code == 200 and invitation.contact.name in page_text(page)
    slot_ids = [poll.slots[0].id, poll.slots[2].id]
    saved = client.submit(f"/availability/{poll_id}/{token}", {"slot": slot_ids})
    assert "your answer is saved" in page_text(saved)
    db.session.refresh(invitation)
    assert invitation.slot_ids == set(slot_ids) and invitation.answered_at is not None


def test_answer_needs_the_csrf_token(poll, client):
    poll_id, token = _link_parts(poll.invitations[0])
    assert client.http.post(f"/availability/{poll_id}/{token}", data={"slot": [poll.slots[0].id]}).status_code == 400


def test_tampered_link_is_refused(poll, client):
    poll_id, token = _link_parts(poll.invitations[0])
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/availability/{poll_id}/{tampered}")
    assert response.status_code == 404 and "not valid" in page_text(response)


def test_link_reused_for_another_poll_is_refused(poll, locality, make_user, client):
    other = polls.create_poll(locality, [_in(15), _in(16)], _in(12), make_user("coordinator"))
    db.session.commit()
    _, token = _link_parts(poll.invitations[0])
    response = client.get(f"/availability/{other.id}/{token}")
    assert response.status_code == 404 and "different meeting poll" in page_text(response)
    assert polls.invitation_for_link(poll.id, token).id == poll.invitations[0].id


def test_expired_link_is_refused(poll, client):
    poll_id, token = _link_parts(poll.invitations[0])
    poll.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.get(f"/availability/{poll_id}/{token}")
    assert response.status_code == 410 and "expired" in page_text(response)


def test_answers_only_count_the_polls_own_slots(poll):
    invitation = poll.invitations[0]
    polls.answer_poll(invitation, [poll.slots[1].id, 999999, "x"])
    assert invitation.slot_ids == {poll.slots[1].id}


def test_grid_shows_who_can_make_which_slot(poll, signed_in):
    sam = next(i for i in poll.invitations if i.contact.name == "Sam Social")
    polls.answer_poll(sam, [poll.slots[1].id])
    db.session.commit()
    rows, counts = polls.poll_grid(poll)
    assert counts == {poll.slots[0].id: 0, poll.slots[1].id: 1, poll.slots[2].id: 0}
    page = page_text(signed_in("coordinator").get(f"/admin/scheduling/polls/{poll.id}/"))
    assert "Sam Social" in page and "Medway Social Services" in page and "no answer" in page and "(most)" in page


def test_link_can_be_resent(poll, signed_in):
    invitation = poll.invitations[0]
    coordinator = signed_in("coordinator")
    coordinator.submit(f"/admin/scheduling/polls/{poll.id}/resend/{invitation.id}")
    db.session.refresh(invitation)
    assert invitation.sent_count == 2
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.to_address == invitation.contact.email)
        )
        == 2
    )


def _ics(email: OutboxEmail):
    calendar = Calendar.from_ical(email.ics)
    event = calendar.walk("VEVENT")[0]
    return calendar, event


def test_booking_sends_an_ics_request_to_every_member(poll, signed_in):
    coordinator = signed_in("coordinator")
    response = coordinator.submit(
        f"/admin/scheduling/polls/{poll.id}/book/{poll.slots[1].id}", {"teams_link": "https://teams.example/meet/1"}
    )
    assert response.status_code == 302
    meeting = db.session.scalars(db.select(Meeting)).one()
    assert meeting.status == MeetingStatus.booked and meeting.starts_at == poll.slots[1].starts_at
    db.session.refresh(poll)
    assert poll.status == PollStatus.booked
    invitations = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.purpose == "invitation")).all()
    assert sorted(e.to_address for e in invitations) == ["mo@nhs.net", "sam@medway.gov.uk"]
    calendar, event = _ics(invitations[0])
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["ORGANIZER"]).startswith("mailto:")
    attendees = sorted(str(a) for a in event["ATTENDEE"])
    assert attendees == ["mailto:mo@nhs.net", "mailto:sam@medway.gov.uk"]
    assert (
        event["LOCATION"] == "https://teams.example/meet/1" and "https://teams.example/meet/1" in event["DESCRIPTION"]
    )
    assert event.decoded("DTSTART").tzinfo.key == "Europe/London"
    assert event.decoded("DTSTART") == poll.slots[1].starts_at
    assert int(event["SEQUENCE"]) == 0
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"


def test_moving_resends_with_a_higher_sequence_and_cancelling_sends_cancel(locality, make_user):
    user = make_user("coordinator")
    meeting = scheduling.book_meeting(locality, _in(20), user, teams_link="https://teams.example/m")
    scheduling.move_meeting(meeting, _in(21), user)
    scheduling.cancel_meeting(meeting, user, "Bank holiday")
    db.session.commit()
    sam_emails = db.session.scalars(
        db.select(OutboxEmail).where(OutboxEmail.to_address == "sam@medway.gov.uk").order_by(OutboxEmail.id)
    ).all()
    parsed = [_ics(e) for e in sam_emails]
    assert [(c["METHOD"], int(e["SEQUENCE"])) for c, e in parsed] == [("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)]
    assert parsed[1][1].decoded("DTSTART") == _in(21)
    assert str(parsed[2][1]["STATUS"]) == "CANCELLED"
    assert len({str(e["UID"]) for _, e in parsed}) == 1
    assert meeting.status == MeetingStatus.cancelled


def test_weekly_series_keeps_the_london_time_across_the_clock_change(locality, make_user):
    # 20/10/2027 10:00 BST then weekly past 31/10/2027 (clocks go back): still 10:00 London time.
    first = datetime(2027, 10, 20, 10, 0, tzinfo=LONDON)
    series = scheduling.book_weekly_series(locality, first, 3, make_user("coordinator"))
    assert [m.starts_at.astimezone(LONDON).strftime("%d/%m/%Y %H:%M") for m in series] == [
        "20/10/2027 10:00",
        "27/10/2027 10:00",
        "03/11/2027 10:00",
    ]
    assert [m.starts_at.astimezone(UTC).hour for m in series] == [9, 9, 10]


def test_poll_needs_future_times_and_members(locality, make_user):
    from models import DomainError

    user = make_user("coordinator")
    with pytest.raises(DomainError, match="at least two"):
        polls.create_poll(locality, [_in(8)], _in(5), user)
    with pytest.raises(DomainError, match="in the future"):
        polls.create_poll(locality, [_in(-1), _in(8)], _in(5), user)
    empty = Locality(name="Empty")
    db.session.add(empty)
    db.session.flush()
    with pytest.raises(DomainError, match="no meeting members"):
        polls.create_poll(empty, [_in(8), _in(9)], _in(5), user)


def test_poll_form_through_the_screen(locality, signed_in):
    coordinator = signed_in("coordinator")
    fmt = "%Y-%m-%dT%H:%M"
    response = coordinator.submit(
        "/admin/scheduling/polls/",
        {
            "locality_id": locality.id,
            "slot_0": _in(8).strftime(fmt),
            "slot_1": _in(9).strftime(fmt),
            "closes_at": _in(4).strftime(fmt),
        },
    )
    poll = db.session.scalars(db.select(AvailabilityPoll)).one()
    assert response.headers["Location"].endswith(f"/admin/scheduling/polls/{poll.id}/")
    assert [s.starts_at for s in poll.slots] == [_in(8), _in(9)]
    bad = coordinator.submit(
        "/admin/scheduling/polls/",
        {"locality_id": locality.id, "slot_0": _in(8).strftime(fmt), "closes_at": _in(4).strftime(fmt)},
    )
    assert bad.status_code == 200 and "Offer at least two times" in page_text(bad)


class _Inputs(HTMLParser):
    """A page's form controls as the browser would fill them: each input's value, each select's chosen option."""

    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and "id" in attrs:
            self.values[attrs["id"]] = attrs.get("value") or ""
        elif tag == "select":
            self._select = attrs.get("id")
            self.values[self._select] = ""
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _typed(response) -> dict[str, str]:
    return _Inputs(page_text(response)).values


def test_a_refused_poll_comes_back_with_everything_typed(locality, signed_in):
    coordinator = signed_in("coordinator")
    typed = {
        "locality_id": str(locality.id),
        "slot_0": _in(8).strftime(TYPED),  # one time only: refused
        "closes_at": _in(4, 17).strftime(TYPED),
        "duration_minutes": "90",
    }
    response = coordinator.submit("/admin/scheduling/polls/", typed)
    assert response.status_code == 200 and "Offer at least two times." in page_text(response)
    values = _typed(response)
    assert values["poll-locality"] == str(locality.id)
    assert values["slot_0"] == _in(8).strftime(TYPED) and values["slot_1"] == ""
    assert values["closes_at"] == _in(4, 17).strftime(TYPED)
    assert values["duration_minutes"] == "90"
    assert values["series-locality"] == "" and values["weeks"] == "6"  # the other form is untouched
    assert db.session.scalar(db.select(db.func.count()).select_from(AvailabilityPoll)) == 0

    blank_locality = coordinator.submit("/admin/scheduling/polls/", {**typed, "locality_id": ""})
    assert "Choose the locality." in page_text(blank_locality)
    assert _typed(blank_locality)["slot_0"] == _in(8).strftime(TYPED)


def test_a_refused_series_comes_back_with_everything_typed(locality, signed_in):
    coordinator = signed_in("coordinator")
    typed = {
        "locality_id": str(locality.id),
        "first_starts_at": _in(-1).strftime(TYPED),
        "weeks": "4",
        "teams_link": "https://teams.example/series",
    }
    response = coordinator.submit("/admin/scheduling/series/", typed)
    assert response.status_code == 200 and "only be booked for a time in the future" in page_text(response)
    values = _typed(response)
    assert values["series-locality"] == str(locality.id)
    assert values["first_starts_at"] == _in(-1).strftime(TYPED)
    assert values["weeks"] == "4" and values["series-teams"] == "https://teams.example/series"
    assert values["poll-locality"] == "" and values["duration_minutes"] == "120"
    assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == 0

    # (a bank holiday among the four weeks is confirmed: test_scheduling_days.py)
    typed.update(first_starts_at=_in(7).strftime(TYPED), day_off_confirmed="y")
    booked = coordinator.submit("/admin/scheduling/series/", typed)
    assert booked.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == 4


@pytest.fixture
def meeting(locality, make_user):
    booked = scheduling.book_meeting(locality, _in(20), make_user("coordinator"), teams_link="https://teams.example/m")
    db.session.commit()
    return booked


def test_a_refused_move_keeps_the_time_typed(meeting, signed_in):
    response = signed_in("coordinator").submit(
        f"/admin/scheduling/meetings/{meeting.id}/move", {"starts_at": _in(-2).strftime(TYPED)}
    )
    assert response.status_code == 200 and "only be moved to a time in the future" in page_text(response)
    assert _typed(response)["starts_at"] == _in(-2).strftime(TYPED)
    db.session.refresh(meeting)
    assert meeting.starts_at == _in(20) and meeting.ics_sequence == 0


def test_the_invitation_downloads_from_the_meeting_page(app, meeting, signed_in):
    app.config["MEETING_ORGANISER"] = "medway.ilr@nhs.net"
    coordinator = signed_in("coordinator")
    scheduling.move_meeting(meeting, _in(22), coordinator.user)
    db.session.commit()
    url = f"/admin/scheduling/meetings/{meeting.id}/invitation.ics"
    assert f'href="{url}"' in page_text(coordinator.get(f"/admin/scheduling/meetings/{meeting.id}/"))
    response = coordinator.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f"attachment; filename=ilr-meeting-{meeting.id}.ics"
    calendar = Calendar.from_ical(response.get_data())
    event = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "REQUEST" and str(event["ORGANIZER"]) == "mailto:medway.ilr@nhs.net"
    assert int(event["SEQUENCE"]) == 1 and event.decoded("DTSTART") == _in(22)
    assert sorted(str(a) for a in event["ATTENDEE"]) == ["mailto:mo@nhs.net", "mailto:sam@medway.gov.uk"]

    scheduling.cancel_meeting(meeting, coordinator.user, "Bank holiday")
    db.session.commit()
    cancelled = Calendar.from_ical(coordinator.get(url).get_data())
    assert cancelled["METHOD"] == "CANCEL" and int(cancelled.walk("VEVENT")[0]["SEQUENCE"]) == 2
    page = page_text(coordinator.get(f"/admin/scheduling/meetings/{meeting.id}/"))
    assert f"Cancellation sent on {today().strftime('%d/%m/%Y')} (update 2)." in page


def test_the_meeting_page_says_when_the_invitation_went(meeting, locality, signed_in):
    coordinator = signed_in("coordinator")
    page = f"/admin/scheduling/meetings/{meeting.id}/"
    sent_today = today().strftime("%d/%m/%Y")
    assert f"Invitation sent on {sent_today}." in page_text(coordinator.get(page))
    for days in (21, 22):
        scheduling.move_meeting(meeting, _in(days), coordinator.user)
    db.session.commit()
    assert f"Invitation sent on {sent_today} (update 2)." in page_text(coordinator.get(page))
    assert scheduling.invitation_sent_on(meeting) == today()

    planned = Meeting(locality=locality, starts_at=_in(30), status=MeetingStatus.planned)
    db.session.add(planned)
    db.session.commit()
    assert scheduling.invitation_sent_on(planned) is None
    assert "Not yet sent." in page_text(coordinator.get(f"/admin/scheduling/meetings/{planned.id}/"))


@pytest.mark.parametrize("role", ["partner", "read_only"])
def test_scheduling_is_for_staff(signed_in, role):
    assert signed_in(role).get("/admin/scheduling/").status_code == 403


def test_invitation_tokens_are_unique_and_long(poll):
    tokens = [i.token for i in db.session.scalars(db.select(PollInvitation))]
    assert len(set(tokens)) == len(tokens) and all(len(t) >= 32 for t in tokens)


@pytest.mark.parametrize("garbled", [["abc"], ["abc", "{first}"], ["0"], ["-1"], ["²"]])
def test_an_unreadable_answer_is_refused_in_words_and_the_earlier_answer_kept(poll, client, garbled):
    invitation = poll.invitations[0]
    poll_id, token = _link_parts(invitation)
    first = poll.slots[0].id
    client.submit(f"/availability/{poll_id}/{token}", {"slot": [first, poll.slots[1].id]})
    answered_at = db.session.get(PollInvitation, invitation.id).answered_at
    sent = [value.format(first=first) for value in garbled]
    refused = client.submit(f"/availability/{poll_id}/{token}", {"slot": sent})
    assert refused.status_code == 200
    assert "could not be read, so nothing was saved" in page_text(refused)
    assert "your answer is saved" not in page_text(refused)
    db.session.expire_all()
    kept = db.session.get(PollInvitation, invitation.id)
    assert kept.slot_ids == {first, poll.slots[1].id} and kept.answered_at == answered_at
