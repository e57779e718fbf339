"""The team lead's settings: the risk rule's points and bands, the agenda cut-off, the chase interval, signing out
and the KPI thresholds."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms.validators import InputRequired, NumberRange

from access import TEAM_LEAD
from admin.base import SecureView
from formats.words import plural
from services import risk
from services.settings import (
    ABSOLUTE_HOURS,
    AGENDA_CUTOFF,
    ATTENDANCE_THRESHOLD,
    CARE_PLAN_SHARE_DAYS,
    CHASE_INTERVAL,
    IDLE_MINUTES,
    LABELS,
    get_setting,
    set_setting,
)
from web.forms import AppForm, WholeNumberField


def settings_form():
    """A form with one whole-number field per risk setting (labelled from `risk.LABELS`), the cut-off and the chase."""

    class SettingsForm(AppForm):
        cutoff_days = WholeNumberField(
            LABELS[AGENDA_CUTOFF],
            validators=[
                InputRequired(message="Enter a number."),
                NumberRange(0, 10, message="Between 0 and 10 working days."),
            ],
        )
        chase_days = WholeNumberField(
            LABELS[CHASE_INTERVAL],
            description="The daily chase emails an overdue action's owner at most once in this many days.",
            validators=[InputRequired(message="Enter a number."), NumberRange(1, 90, message="Between 1 and 90 days.")],
        )
        idle_minutes = WholeNumberField(
            LABELS[IDLE_MINUTES],
            description="A page warns a minute before, with a button to stay signed in; typed text stays on it.",
            validators=[InputRequired(message="Enter a number."), NumberRange(5, 240, message="Between 5 and 240.")],
        )
        attendance_threshold = WholeNumberField(
            LABELS[ATTENDANCE_THRESHOLD],
            description="On the KPI dashboard, agencies attending less than this are highlighted.",
            validators=[InputRequired(message="Enter a number."), NumberRange(0, 100, message="Between 0 and 100.")],
        )
        share_days = WholeNumberField(
            LABELS[CARE_PLAN_SHARE_DAYS],
            validators=[InputRequired(message="Enter a number."), NumberRange(1, 60, message="Between 1 and 60.")],
        )
        absolute_hours = WholeNumberField(
            LABELS[ABSOLUTE_HOURS],
            validators=[InputRequired(message="Enter a number."), NumberRange(1, 24, message="Between 1 and 24.")],
        )

    for key, label in risk.LABELS.items():
        setattr(
            SettingsForm,
            key,
            WholeNumberField(
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
            form.cutoff_days.data = get_setting(AGENDA_CUTOFF)
            form.chase_days.data = get_setting(CHASE_INTERVAL)
            form.idle_minutes.data, form.absolute_hours.data = get_setting(IDLE_MINUTES), get_setting(ABSOLUTE_HOURS)
            form.attendance_threshold.data = get_setting(ATTENDANCE_THRESHOLD)
            form.share_days.data = get_setting(CARE_PLAN_SHARE_DAYS)
        elif form.validate_on_submit():

            def save():
                set_setting(AGENDA_CUTOFF, form.cutoff_days.data, current_user)
                set_setting(CHASE_INTERVAL, form.chase_days.data, current_user)
                set_setting(IDLE_MINUTES, form.idle_minutes.data, current_user)
                set_setting(ABSOLUTE_HOURS, form.absolute_hours.data, current_user)
                set_setting(ATTENDANCE_THRESHOLD, form.attendance_threshold.data, current_user)
                set_setting(CARE_PLAN_SHARE_DAYS, form.share_days.data, current_user)
                return risk.save_points({key: getattr(form, key).data for key in risk.DEFAULTS}, current_user)

            if self.perform(save, lambda moved: f"Settings saved. {plural(moved, 'patient')} changed priority."):
                return redirect(url_for(".index"))
        else:
            flash("Nothing was saved: please correct the fields marked below.", "error")
        return self.render("admin/settings.html", form=form, risk_keys=list(risk.LABELS))


def register(admin) -> None:
    admin.add_view(
        SettingsView(
            name="Risk and agenda settings", category="Administration", endpoint="settings", url="/admin/settings"
        )
    )
