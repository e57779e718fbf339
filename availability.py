"""Members answer an availability poll through their personal link: no sign-in, no patient data."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from models import db
from services.polls import LinkRefused, answer_poll, invitation_for_link

bp = Blueprint("availability", __name__, url_prefix="/availability")


@bp.route("/<int:poll_id>/<token>", methods=["GET", "POST"])
def answer(poll_id: int, token: str):
    """Show the poll's times with the member's ticks; save a new answer on POST (CSRF-protected like every form)."""
    try:
        invitation = invitation_for_link(poll_id, token)
    except LinkRefused as refused:
        return render_template("availability.html", refused=str(refused)), 410 if "expired" in str(
            refused
        ) or "closed" in str(refused) else 404
    saved = False
    if request.method == "POST":
        answer_poll(invitation, request.form.getlist("slot"))
        db.session.commit()
        saved = True
    return render_template("availability.html", invitation=invitation, poll=invitation.poll, saved=saved)
