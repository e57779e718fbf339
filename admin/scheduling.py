"""Scheduling: availability polls and their answers, booking, moving and cancelling meetings, weekly series."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from access import STAFF
from admin.base import SecureView
from models import (
    AvailabilityPoll,
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
from timefmt import LONDON, today

#: Candidate times offered on the new-poll form.
SLOT_INPUTS = 5


def _london(value: str | None) -> datetime | None:
    """A datetime-local input ("2026-12-01T10:00") as an aware London time; None when blank or unreadable."""
    try:
        return datetime.strptime(value or "", "%Y-%m-%dT%H:%M").replace(tzinfo=LONDON)
    except ValueError:
        return None


class SchedulingView(SecureView):
    """`/admin/scheduling/`: the coordinator's replacement for the round of "are you free?" emails."""

    roles = STAFF

    def _localities(self):
        return db.session.scalars(select(Locality).where(Locality.archived_at.is_(None)).order_by(Locality.name)).all()

    def _locality(self) -> Locality:
        locality = (
            db.session.get(Locality, int(request.form["locality_id"]))
            if request.form.get("locality_id", "").isdigit()
            else None
        )
        if locality is None:
            raise DomainError("Choose the locality.")
        return locality

    @expose("/")
    def index(self):
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
            localities=self._localities(),
            open_polls=open_polls,
            upcoming=upcoming,
            slot_inputs=SLOT_INPUTS,
            today=today(),
        )

    def _run(self, operation, success: str):
        """Run a service: commit and say so, or roll back and show its message (then None)."""
        try:
            result = operation()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return None
        db.session.commit()
        flash(success, "success")
        return result

    @expose("/polls/", methods=("POST",))
    def create_poll(self):
        starts = [_london(request.form.get(f"slot_{n}")) for n in range(SLOT_INPUTS)]
        closes_at = _london(request.form.get("closes_at"))
        if closes_at is None:
            flash("Enter when the poll closes.", "error")
            return redirect(url_for(".index"))

        def create():
            return polls.create_poll(
                self._locality(),
                [s for s in starts if s],
                closes_at,
                current_user,
                duration_minutes=int(request.form.get("duration_minutes") or 120),
            )

        poll = self._run(create, "Poll created: each member has been emailed their own link (see the outbox).")
        return redirect(url_for(".poll", poll_id=poll.id) if poll else url_for(".index"))

    @expose("/polls/<int:poll_id>/")
    def poll(self, poll_id: int):
        poll = db.session.get(AvailabilityPoll, poll_id) or abort(404)
        rows, counts = polls.poll_grid(poll)
        best = max(counts.values(), default=0)
        return self.render("admin/scheduling/poll.html", poll=poll, rows=rows, counts=counts, best=best)

    @expose("/polls/<int:poll_id>/resend/<int:invitation_id>", methods=("POST",))
    def resend(self, poll_id: int, invitation_id: int):
        invitation = db.session.get(PollInvitation, invitation_id)
        if invitation is None or invitation.poll_id != poll_id:
            abort(404)
        self._run(lambda: polls.resend_link(invitation, current_user), f"Link re-sent to {invitation.contact.name}.")
        return redirect(url_for(".poll", poll_id=poll_id))

    @expose("/polls/<int:poll_id>/book/<int:slot_id>", methods=("POST",))
    def book(self, poll_id: int, slot_id: int):
        poll = db.session.get(AvailabilityPoll, poll_id) or abort(404)
        slot = db.session.get(PollSlot, slot_id) or abort(404)
        meeting = self._run(
            lambda: polls.book_from_poll(poll, slot, current_user, teams_link=request.form.get("teams_link") or None),
            "Meeting booked: every member has been sent an invitation.",
        )
        return redirect(url_for(".meeting", meeting_id=meeting.id) if meeting else url_for(".poll", poll_id=poll_id))

    @expose("/series/", methods=("POST",))
    def series(self):
        first = _london(request.form.get("first_starts_at"))
        if first is None:
            flash("Enter the date and time of the first meeting.", "error")
            return redirect(url_for(".index"))
        weeks = int(request.form["weeks"]) if request.form.get("weeks", "").isdigit() else 0
        self._run(
            lambda: scheduling.book_weekly_series(
                self._locality(), first, weeks, current_user, teams_link=request.form.get("teams_link") or None
            ),
            f"{weeks} weekly meetings booked and invitations sent.",
        )
        return redirect(url_for(".index"))

    @expose("/meetings/<int:meeting_id>/")
    def meeting(self, meeting_id: int):
        meeting = db.session.get(Meeting, meeting_id) or abort(404)
        return self.render(
            "admin/scheduling/meeting.html", meeting=meeting, members=scheduling.members_of(meeting.locality)
        )

    @expose("/meetings/<int:meeting_id>/move", methods=("POST",))
    def move(self, meeting_id: int):
        meeting = db.session.get(Meeting, meeting_id) or abort(404)
        starts_at = _london(request.form.get("starts_at"))
        back = url_for(".meeting", meeting_id=meeting_id)
        if starts_at is None:
            flash("Enter the new date and time.", "error")
            return redirect(back)
        self._run(
            lambda: scheduling.move_meeting(meeting, starts_at, current_user), "Meeting moved: updated invitations sent."
        )
        return redirect(back)

    @expose("/meetings/<int:meeting_id>/cancel", methods=("POST",))
    def cancel(self, meeting_id: int):
        meeting = db.session.get(Meeting, meeting_id) or abort(404)
        back = url_for(".meeting", meeting_id=meeting_id)
        self._run(
            lambda: scheduling.cancel_meeting(meeting, current_user, request.form.get("why") or None),
            "Meeting cancelled: members have been sent the cancellation.",
        )
        return redirect(back)


def register(admin) -> None:
    admin.add_view(
        SchedulingView(name="Scheduling", category="Meetings", endpoint="scheduling", url="/admin/scheduling")
    )
