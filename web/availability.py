"""Members answer an availability poll through their personal link: no sign-in, no patient data."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from wtforms import SelectMultipleField

from formats.numbers import record_id
from services.polls import LinkRefused, answer_poll, invitation_for_link
from services.unit_of_work import perform
from web.forms import AppForm

bp = Blueprint("availability", __name__, url_prefix="/availability")


class AvailabilityForm(AppForm):
    """The times a member ticked (CSRF-protected like every form)."""

    slot = SelectMultipleField(coerce=record_id, validate_choice=False)


@bp.route("/<int:poll_id>/<token>", methods=["GET", "POST"])
def answer(poll_id: int, token: str):
    """Show the poll's times with the member's ticks; save a new answer on POST."""
    try:
        invitation = invitation_for_link(poll_id, token)
    except LinkRefused as refused:
        return render_template("availability.html", refused=str(refused)), refused.status
    saved = False
    if request.method == "POST":
        ticked = AvailabilityForm().slot.data or []
        saved = perform(lambda: answer_poll(invitation, ticked)).ok
    return render_template("availability.html", invitation=invitation, poll=invitation.poll, saved=saved)
