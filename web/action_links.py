"""An action's owner answers a chase through the link in the email: no sign-in, only that one action.

Opening the link changes nothing (NHSmail's link scanners open links before the person does); the
update is recorded only when the form is sent, and then the link is used up (services.chasing).
"""

from __future__ import annotations

from flask import Blueprint, render_template
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired

from formats.nhs import format_nhs_number
from services.actions import REPORTABLE
from services.chasing import answer_chase_link, chase_for_link
from services.links import LinkRefused
from services.unit_of_work import perform
from web.forms import AppForm, MaxLength, one_character_line_breaks

bp = Blueprint("action_links", __name__, url_prefix="/action-update")


class ActionUpdateForm(AppForm):
    """The owner's update: in progress or done, with a note (CSRF-protected like every form)."""

    status = RadioField(
        "Status",
        choices=[(status.value, status.label) for status in REPORTABLE],
        validators=[InputRequired("Choose in progress or done.")],
    )
    note = TextAreaField("Note", validators=[MaxLength(2000)], filters=[one_character_line_breaks])


@bp.route("/<int:action_id>/<token>", methods=["GET", "POST"])
def answer(action_id: int, token: str):
    """Show the one action and its patient's identifiers; record the owner's update on POST."""
    try:
        chase = chase_for_link(action_id, token)
    except LinkRefused as refused:
        return render_template("action_update.html", refused=str(refused)), refused.status
    form, refusal = ActionUpdateForm(), None
    if form.validate_on_submit():
        done = perform(lambda: answer_chase_link(chase, form.status.data, form.note.data), say=False)
        if done:
            thanks = f"Thank you: “{chase.action.description}” is recorded as {done.value.status.label.lower()}."
            return render_template("action_update.html", thanks=thanks)
        refusal = done.message
    else:
        refusal = form.first_error() if form.is_submitted() else None
    patient = chase.action.patient
    return render_template(
        "action_update.html",
        action=chase.action,
        patient=patient,
        nhs_number=format_nhs_number(patient.nhs_number) or "not recorded",
        form=form,
        refusal=refusal,
    )
