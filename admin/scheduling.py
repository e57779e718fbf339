"""Scheduling: availability polls and their answers, booking, moving and cancelling meetings, weekly series."""

from __future__ import annotations

import io

from flask import abort, redirect, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Optional

from access import STAFF, get_or_404, in_scope
from admin.base import SecureView
from formats.dates import today
from formats.numbers import record_id
from formats.words import plural
from models import (
    AvailabilityPoll,
    Contact,
    DomainError,
    Locality,
    Meeting,
    MeetingStatus,
    PollInvitation,
    PollSlot,
    PollStatus,
    db,
)
from services import polls, scheduling
from services.calendar import DAY_OFF_CONFIRMATION, DayOffNotConfirmed, why_not_working
from web.forms import AppForm, IdField, LondonDateTimeField, WholeNumberField

#: Candidate times offered on the new-poll form.
SLOT_INPUTS = 5
#: The series form's number of weeks before anything is typed.
SERIES_WEEKS = 6


def live_localities() -> list[tuple]:
    """The locality select's options: a prompt, then every live locality by name."""
    localities = db.session.scalars(select(Locality).where(Locality.archived_at.is_(None)).order_by(Locality.name))
    return [("", "Choose a locality"), *((locality.id, locality.name) for locality in localities)]


def locality_field(element_id: str) -> SelectField:
    """The locality select; each form on the page gives it its own id."""
    return SelectField("Locality", id=element_id, coerce=record_id, choices=live_localities, validate_choice=False)


class LocalityChoice(AppForm):
    """A form that names a locality by id (its subclass declares the `locality_id` select)."""

    def locality(self) -> Locality:
        locality = in_scope(Locality, self.locality_id.data)
        if locality is None:
            raise DomainError("Choose the locality.")
        return locality


def day_off_field() -> BooleanField:
    """The box that says a weekend or bank-holiday time is meant (shown once a time on such a day is refused)."""
    return BooleanField(DAY_OFF_CONFIRMATION)


def asked_day_off(outcome) -> bool:
    """Whether a refused save was a time on a day off not yet confirmed: the form then shows the box to tick."""
    return isinstance(outcome.error, DayOffNotConfirmed)


def when(field) -> object:
    """A date-and-time input's value, or a sentence when it is blank or unreadable."""
    if field.data is None:
        raise DomainError(field.description)
    return field.data


class NewPollForm(LocalityChoice):
    """Candidate times for a locality's meeting, and when the poll closes."""

    locality_id = locality_field("poll-locality")
    closes_at = LondonDateTimeField("Answers by", validators=[Optional()], description="Enter when the poll closes.")
    duration_minutes = WholeNumberField("Length (minutes)", validators=[Optional()], default=120)
    day_off_confirmed = day_off_field()

    def starts(self):
        return [self[f"slot_{n}"].data for n in range(SLOT_INPUTS) if self[f"slot_{n}"].data]

    def slots(self) -> list:
        """The candidate-time inputs, in order."""
        return [self[f"slot_{n}"] for n in range(SLOT_INPUTS)]


for _n in range(SLOT_INPUTS):
    setattr(NewPollForm, f"slot_{_n}", LondonDateTimeField(f"Time {_n + 1}", validators=[Optional()]))


class SeriesForm(LocalityChoice):
    locality_id = locality_field("series-locality")
    first_starts_at = LondonDateTimeField(
        "First meeting", validators=[Optional()], description="Enter the date and time of the first meeting."
    )
    weeks = WholeNumberField("Number of weeks", validators=[Optional()])
    teams_link = StringField("Teams link", id="series-teams")
    #: One of the locality's members; blank: the locality's usual chair. Every meeting of the series keeps it.
    chair_id = IdField("Chair", id="series-chair", validators=[Optional()])
    day_off_confirmed = BooleanField(DAY_OFF_CONFIRMATION, id="series-day-off")


class BookForm(AppForm):
    teams_link = StringField()
    #: One of the locality's members; blank: the locality's usual chair.
    chair_id = IdField(validators=[Optional()])
    day_off_confirmed = day_off_field()


def chosen_chair(form) -> Contact | None:
    """The contact the form's chair select names (None when blank: the service takes the locality's usual chair)."""
    return in_scope(Contact, form.chair_id.data)


class MoveForm(AppForm):
    starts_at = LondonDateTimeField(
        "New date and time", validators=[Optional()], description="Enter the new date and time."
    )
    day_off_confirmed = day_off_field()


class CancelForm(AppForm):
    why = StringField()


class SchedulingView(SecureView):
    """`/admin/scheduling/`: the coordinator's replacement for the round of "are you free?" emails."""

    roles = STAFF

    @expose("/")
    def index(self):
        return self._index()

    def _index(
        self, poll_form: NewPollForm | None = None, series_form: SeriesForm | None = None, ask_day_off: str = ""
    ):
        """The page; a refused form comes back as typed (status 200), the other one blank, with the box confirming a
        weekend or bank-holiday time when that is what was refused (`ask_day_off`: "poll" or "series")."""
        open_polls = db.session.scalars(
            select(AvailabilityPoll)
            .where(AvailabilityPoll.status == PollStatus.open)
            .order_by(AvailabilityPoll.closes_at)
        ).all()
        upcoming = db.session.scalars(
            select(Meeting)
            .where(Meeting.status.in_([MeetingStatus.planned, MeetingStatus.booked]), Meeting.archived_at.is_(None))
            .order_by(Meeting.starts_at)
            .limit(30)
        ).all()
        return self.render(
            "admin/scheduling/index.html",
            poll_form=poll_form or NewPollForm(formdata=None),
            series_form=series_form or SeriesForm(formdata=None, weeks=SERIES_WEEKS),
            chairs=scheduling.members_by_locality(),
            open_polls=open_polls,
            upcoming=upcoming,
            today=today(),
            ask_day_off=ask_day_off,
        )

    @expose("/polls/", methods=("POST",))
    def create_poll(self):
        form = NewPollForm()

        def create():
            closes_at = when(form.closes_at)
            duration = form.duration_minutes.data or 120
            return polls.create_poll(
                form.locality(), form.starts(), closes_at, current_user, duration_minutes=duration,
                day_off_confirmed=form.day_off_confirmed.data,
            )  # fmt: skip

        poll = self.perform(create, "Poll created: each member has been emailed their own link (see the outbox).")
        if poll:
            return redirect(url_for(".poll", poll_id=poll.value.id))
        return self._index(poll_form=form, ask_day_off="poll" if asked_day_off(poll) else "")

    @expose("/polls/<int:poll_id>/")
    def poll(self, poll_id: int):
        poll = get_or_404(AvailabilityPoll, poll_id)
        rows, counts = polls.poll_grid(poll)
        best = max(counts.values(), default=0)
        off = why_not_working([slot.starts_at for slot in poll.slots])
        return self.render(
            "admin/scheduling/poll.html", poll=poll, rows=rows, counts=counts, best=best,
            members=scheduling.members_of(poll.locality), usual_chair=scheduling.standing_chair(poll.locality),
            day_off={slot.id: off.get(slot.starts_at) for slot in poll.slots},
            day_off_confirmation=DAY_OFF_CONFIRMATION,
        )  # fmt: skip

    @expose("/polls/<int:poll_id>/resend/<int:invitation_id>", methods=("POST",))
    def resend(self, poll_id: int, invitation_id: int):
        invitation = get_or_404(PollInvitation, invitation_id)
        if invitation.poll_id != poll_id:
            abort(404)
        self.perform(lambda: polls.resend_link(invitation, current_user), f"Link re-sent to {invitation.contact.name}.")
        return redirect(url_for(".poll", poll_id=poll_id))

    @expose("/polls/<int:poll_id>/book/<int:slot_id>", methods=("POST",))
    def book(self, poll_id: int, slot_id: int):
        poll = get_or_404(AvailabilityPoll, poll_id)
        slot = get_or_404(PollSlot, slot_id)
        form = BookForm()
        link, chair, day_off = form.teams_link.data or None, chosen_chair(form), form.day_off_confirmed.data
        meeting = self.perform(
            lambda: polls.book_from_poll(
                poll, slot, current_user, teams_link=link, chair=chair, day_off_confirmed=day_off
            ),  # fmt: skip
            "Meeting booked: every member has been sent an invitation.",
        )
        return redirect(
            url_for(".meeting", meeting_id=meeting.value.id) if meeting else url_for(".poll", poll_id=poll_id)
        )

    @expose("/series/", methods=("POST",))
    def series(self):
        form = SeriesForm()
        weeks = form.weeks.data or 0

        def book():
            first, link = when(form.first_starts_at), form.teams_link.data or None
            return scheduling.book_weekly_series(
                form.locality(), first, weeks, current_user, teams_link=link, chair=chosen_chair(form),
                day_off_confirmed=form.day_off_confirmed.data,
            )  # fmt: skip

        booked = self.perform(book, f"{plural(weeks, 'weekly meeting')} booked and invitations sent.")
        if booked:
            return redirect(url_for(".index"))
        return self._index(series_form=form, ask_day_off="series" if asked_day_off(booked) else "")

    @expose("/meetings/<int:meeting_id>/")
    def meeting(self, meeting_id: int):
        return self._meeting(get_or_404(Meeting, meeting_id))

    def _meeting(self, meeting: Meeting, move_form: MoveForm | None = None, ask_day_off: bool = False):
        """The meeting page; a refused move comes back with the time as typed (and the box confirming a weekend or
        bank-holiday time, when that is what was refused)."""
        return self.render(
            "admin/scheduling/meeting.html",
            meeting=meeting,
            members=scheduling.members_of(meeting.locality),
            invitation_sent_on=scheduling.invitation_sent_on(meeting),
            move_form=move_form or MoveForm(formdata=None),
            ask_day_off=ask_day_off,
        )

    @expose("/meetings/<int:meeting_id>/invitation.ics")
    def invitation(self, meeting_id: int):
        """The invitation members' calendars now hold, for anyone to add by hand (no patient data in it)."""
        meeting = get_or_404(Meeting, meeting_id)
        ics = scheduling.current_invitation(meeting).encode()
        name = f"ilr-meeting-{meeting.id}.ics"
        return send_file(io.BytesIO(ics), mimetype="text/calendar", as_attachment=True, download_name=name)

    @expose("/meetings/<int:meeting_id>/move", methods=("POST",))
    def move(self, meeting_id: int):
        meeting = get_or_404(Meeting, meeting_id)
        form = MoveForm()
        day_off = form.day_off_confirmed.data
        move = lambda: scheduling.move_meeting(meeting, when(form.starts_at), current_user, day_off_confirmed=day_off)
        moved = self.perform(move, "Meeting moved: updated invitations sent.")
        if moved:
            return redirect(url_for(".meeting", meeting_id=meeting_id))
        return self._meeting(meeting, form, ask_day_off=asked_day_off(moved))

    @expose("/meetings/<int:meeting_id>/cancel", methods=("POST",))
    def cancel(self, meeting_id: int):
        meeting = get_or_404(Meeting, meeting_id)
        why = CancelForm().why.data or None
        self.perform(
            lambda: scheduling.cancel_meeting(meeting, current_user, why),
            "Meeting cancelled: members have been sent the cancellation.",
        )
        return redirect(url_for(".meeting", meeting_id=meeting_id))


def register(admin) -> None:
    admin.add_view(
        SchedulingView(name="Scheduling", category="Meetings", endpoint="scheduling", url="/admin/scheduling")
    )
