"""The team lead's settings: the risk rule's points and bands, and the agenda cut-off."""

from __future__ import annotations

import json

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

import audit
import risk
from access import TEAM_LEAD
from admin.base import AdminForm, SecureView
from models import DomainError, Setting, db
from services.meeting_room import CUTOFF_SETTING, DEFAULT_CUTOFF_WORKING_DAYS


def settings_form():
    """A form with one whole-number field per risk setting, plus the cut-off, labelled from `risk.LABELS`."""

    class SettingsForm(AdminForm):
        cutoff_days = IntegerField(
            "Agenda cut-off (working days before the meeting)",
            validators=[
                InputRequired(message="Enter a number."),
                NumberRange(0, 10, message="Between 0 and 10 working days."),
            ],
        )

    for key, label in risk.LABELS.items():
        setattr(
            SettingsForm,
            key,
            IntegerField(
                label,
                validators=[InputRequired(message="Enter a number."), NumberRange(0, 50, message="Between 0 and 50.")],
            ),
        )
    return SettingsForm


class SettingsView(SecureView):
    """`/admin/settings/`: changing the points recomputes every patient's priority at once."""

    roles = TEAM_LEAD

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = settings_form()()
        if request.method == "GET":
            for key, value in risk.current_points().items():
                getattr(form, key).data = value
            setting = db.session.get(Setting, CUTOFF_SETTING)
            form.cutoff_days.data = int(json.loads(setting.value)) if setting else DEFAULT_CUTOFF_WORKING_DAYS
        elif form.validate_on_submit():
            try:
                with audit.reason(f"Settings changed by {current_user.name}"):
                    cutoff = db.session.get(Setting, CUTOFF_SETTING) or Setting(key=CUTOFF_SETTING)
                    cutoff.value, cutoff.updated_by_id = json.dumps(form.cutoff_days.data), current_user.id
                    db.session.add(cutoff)
                    moved = risk.save_points({key: getattr(form, key).data for key in risk.DEFAULTS}, current_user.id)
            except DomainError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(f"Settings saved. {moved} patient(s) changed priority.", "success")
                return redirect(url_for(".index"))
        else:
            flash("Nothing was saved: please correct the fields marked below.", "error")
        return self.render("admin/settings.html", form=form, risk_keys=list(risk.LABELS))


def register(admin) -> None:
    admin.add_view(
        SettingsView(name="Risk and agenda settings", category="Settings", endpoint="settings", url="/admin/settings")
    )
