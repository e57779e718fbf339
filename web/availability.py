"""Members answer an availability poll through their personal link: no sign-in, no patient data."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from wtforms import SelectMultipleField
from wtforms.validators import StopValidation

from formats.numbers import record_id
from services.polls import LinkRefused, answer_poll, invitation_for_link
from services.unit_of_work import perform
from web.forms import AppForm

bp = Blueprint("availability", __name__, url_prefix="/availability")

#: The refusal of a posted time that is not one of the poll's (a tampered or garbled form).
UNREADABLE_SLOT = "One of the times sent could not be read, so nothing was saved: tick your times again and save."


def every_slot_readable(form, field):
    """A time the id parser could not read comes through as None: refuse the answer rather than save a part of it."""
    if any(value is None for value in field.data or []):
        raise StopValidation(UNREADABLE_SLOT)


class AvailabilityForm(AppForm):
    """The times a member ticked (CSRF-protected like every form)."""

    slot = SelectMultipleField(coerce=record_id, validate_choice=False, validators=[every_slot_readable])


@bp.route("/<int:poll_id>/<token>", methods=["GET", "POST"])
def answer(poll_id: int, token: str):
    """Show the poll's times with the member's ticks; save a new answer on POST (an unreadable one is refused in words
    and the earlier answer kept)."""
    try:
        invitation = invitation_for_link(poll_id, token)
    except LinkRefused as refused:
        return render_template("availability.html", refused=str(refused)), refused.status
    saved, problem = False, None
    if request.method == "POST":
        form = AvailabilityForm()
        if form.validate():
            saved = perform(lambda: answer_poll(invitation, form.slot.data or [])).ok
        else:
            problem = form.slot.errors[0] if form.slot.errors else form.first_error()
    return render_template(
        "availability.html", invitation=invitation, poll=invitation.poll, saved=saved, problem=problem
    )
