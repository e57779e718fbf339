"""Every offered or booked meeting time shows its weekday ("Tuesday 14/01/2027 10:00"), and a time on a weekend or a
bank holiday is offered, booked or moved to only once the person ticks that it is meant (issue 27)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from formats.dates import LONDON, format_slot, today
from models import (
    AvailabilityPoll,
    BankHoliday,
    Contact,
    Meeting,
    MeetingMember,
    Organisation,
    OrganisationType,
    OutboxEmail,
    db,
)
from services import polls, scheduling
from services.calendar import DAY_OFF_CONFIRMATION, DayOffNotConfirmed
from tests.factories import shown, working_day

TYPED = "%Y-%m-%dT%H:%M"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON)


def _next(weekday: int, after_days: int = 14) -> date:
    """The first `weekday` (Monday 0) at least `after_days` from today."""
    day = today() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _next_bank_holiday() -> BankHoliday:
    return db.session.scalars(
        select(BankHoliday).where(BankHoliday.day > today() + timedelta(days=14)).order_by(BankHoliday.day)
    ).first()


@pytest.fixture
def locality(create_locality):
    loc = create_locality(name="Medway North")
    social = Organisation(name="Medway Social Services", type=OrganisationType.social_services)
    contact = Contact(name="Sam Social", email="sam@medway.gov.uk", organisation=social)
    db.session.add_all([social, contact, MeetingMember(locality=loc, contact=contact)])
    db.session.commit()
    return loc


def test_a_slot_is_shown_with_its_weekday_in_london_time():
    assert format_slot(datetime(2027, 1, 14, 10, 0, tzinfo=LONDON)) == "Thursday 14/01/2027 10:00"
    # 23:30 UTC on a summer Saturday is 00:30 on Sunday in London: the weekday is London's.
    assert format_slot(datetime(2027, 7, 10, 23, 30, tzinfo=UTC)) == "Sunday 11/07/2027 00:30"
    assert format_slot(None) == ""


def test_polls_emails_the_availability_page_and_the_grid_name_each_weekday(locality, make_user, signed_in, client):
    times = [working_day(8), working_day(9, 14)]
    poll = polls.create_poll(locality, times, working_day(5), make_user("coordinator"))
    db.session.commit()
    words = [format_slot(t) for t in times]
    assert all(w.split()[0] in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday") for w in words)
    email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.purpose == "availability")).one()
    assert all(f"  - {w}\n" in email.body_text for w in words)
    member_page = shown(client.get(polls.poll_link(poll.invitations[0]).split("127.0.0.1:5000")[1]))
    assert all(f"{w} (120 minutes)" in member_page for w in words)
    grid = shown(signed_in("coordinator").get(f"/admin/scheduling/polls/{poll.id}/"))
    assert all(f'<th scope="col">{w}</th>' in grid for w in words)
    assert DAY_OFF_CONFIRMATION not in grid  # no slot on a day off: nothing to confirm when booking


def test_an_invitation_and_the_meeting_pages_name_the_weekday(locality, make_user, signed_in):
    when = working_day(12)
    meeting = scheduling.book_meeting(locality, when, make_user("coordinator"))
    db.session.commit()
    email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.purpose == "invitation")).one()
    assert email.subject == f"Invitation: Medway North ILR, {format_slot(when)}"
    assert f"When: {format_slot(when)} (UK time), 120 minutes" in email.body_text
    coordinator = signed_in("coordinator")
    assert f"{format_slot(when)}, 120 minutes" in shown(coordinator.get(f"/admin/scheduling/meetings/{meeting.id}/"))
    assert f'<h1 class="h4 mb-3">Medway North ILR {format_slot(when)}</h1>' in shown(
        coordinator.get(f"/admin/meeting-room/{meeting.id}/")
    )
    assert format_slot(when) in shown(coordinator.get("/admin/meeting/"))


def test_a_saturday_in_a_poll_is_refused_until_confirmed(locality, make_user):
    saturday, user = _at(_next(5)), make_user("coordinator")
    with pytest.raises(DayOffNotConfirmed, match=f"{format_slot(saturday)} \\(a weekend\\): that is not a working"):
        polls.create_poll(locality, [working_day(6), saturday], working_day(5), user)
    poll = polls.create_poll(locality, [working_day(6), saturday], working_day(5), user,
                             day_off_confirmed=True)  # fmt: skip
    assert [s.starts_at for s in poll.slots][-1] == saturday


def test_the_poll_form_asks_for_the_box_then_offers_the_saturday(locality, signed_in):
    coordinator = signed_in("coordinator")
    saturday = _at(_next(5))
    typed = {"locality_id": str(locality.id), "slot_0": working_day(6).strftime(TYPED),
             "slot_1": saturday.strftime(TYPED), "closes_at": working_day(5, 17).strftime(TYPED)}  # fmt: skip
    assert DAY_OFF_CONFIRMATION not in shown(coordinator.get("/admin/scheduling/"))
    refused = coordinator.submit("/admin/scheduling/polls/", typed)
    page = shown(refused)
    assert refused.status_code == 200 and f"{format_slot(saturday)} (a weekend)" in page
    assert f'<label class="form-check-label" for="day_off_confirmed">{DAY_OFF_CONFIRMATION}</label>' in page
    assert saturday.strftime(TYPED) in page  # the times typed are still there
    assert db.session.scalar(select(db.func.count()).select_from(AvailabilityPoll)) == 0
    offered = coordinator.submit("/admin/scheduling/polls/", {**typed, "day_off_confirmed": "y"})
    assert offered.status_code == 302
    poll = db.session.scalars(select(AvailabilityPoll)).one()
    # Booking that Saturday asks again: its own box, required.
    grid = shown(coordinator.get(f"/admin/scheduling/polls/{poll.id}/"))
    saturday_slot = poll.slots[1]
    assert f'id="day-off-{saturday_slot.id}" name="day_off_confirmed" value="y" required' in grid
    assert f'id="day-off-{poll.slots[0].id}"' not in grid
    url = f"/admin/scheduling/polls/{poll.id}/book/{saturday_slot.id}"
    coordinator.submit(url, {"teams_link": ""})
    assert db.session.scalar(select(db.func.count()).select_from(Meeting)) == 0
    assert coordinator.submit(url, {"day_off_confirmed": "y"}).status_code == 302
    assert db.session.scalars(select(Meeting)).one().starts_at == saturday


def test_a_series_names_the_bank_holiday_it_would_land_on(locality, make_user, signed_in):
    holiday = _next_bank_holiday()
    first = _at(holiday.day - timedelta(weeks=1))
    with pytest.raises(DayOffNotConfirmed, match=f"{format_slot(_at(holiday.day))} \\({holiday.name}\\)"):
        scheduling.book_weekly_series(locality, first, 3, make_user("coordinator"))
    coordinator = signed_in("coordinator")
    typed = {"locality_id": str(locality.id), "first_starts_at": first.strftime(TYPED), "weeks": "3"}
    refused = coordinator.submit("/admin/scheduling/series/", typed)
    assert refused.status_code == 200 and f"({holiday.name})" in shown(refused)
    assert 'for="series-day-off"' in shown(refused)
    assert db.session.scalar(select(db.func.count()).select_from(Meeting)) == 0
    assert coordinator.submit("/admin/scheduling/series/", {**typed, "day_off_confirmed": "y"}).status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(Meeting)) == 3


def test_moving_a_meeting_to_a_sunday_asks_first(locality, make_user, signed_in):
    meeting = scheduling.book_meeting(locality, working_day(10), make_user("coordinator"))
    db.session.commit()
    sunday = _at(_next(6), 11)
    coordinator = signed_in("coordinator")
    url = f"/admin/scheduling/meetings/{meeting.id}/move"
    refused = coordinator.submit(url, {"starts_at": sunday.strftime(TYPED)})
    page = shown(refused)
    assert refused.status_code == 200 and f"{format_slot(sunday)} (a weekend)" in page
    assert DAY_OFF_CONFIRMATION in page and sunday.strftime(TYPED) in page
    db.session.refresh(meeting)
    assert meeting.ics_sequence == 0
    assert coordinator.submit(url, {"starts_at": sunday.strftime(TYPED), "day_off_confirmed": "y"}).status_code == 302
    db.session.refresh(meeting)
    assert meeting.starts_at == sunday and meeting.ics_sequence == 1
