"""Signposting: advice given to the patient or their carer about a service they contact themselves, recorded as given
(to whom, what, when). It waits for nothing, so it has no outcome and no place in the onward referrals waiting."""

from __future__ import annotations

from flask_login import current_user
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from access import in_scope
from admin.base import SecureModelView
from admin.formatters import patient_link, short_text
from admin.lookups import PATIENT, ByPatientLoader
from admin.onward import live_directory
from models import DirectoryService, Episode, SignpostedTo, Signposting, db
from services.signposting import add_signposting, update_signposting
from web.forms import AppForm, DateField, MaxLength, not_in_future, same_patient

SIGNPOSTING_LABELS = {
    "patient": "Patient",
    "episode": "Episode",
    "directory_service": "Service from the directory",
    "directory_service.name": "Service from the directory",
    "service": "Service",
    "given_on": "Given on",
    "given_to": "Given to",
    "what": "What was advised",
    "given_by": "Given by",
    "agenda_item": "Agreed at",
    "notes": "Notes",
    "patient.family_name": "Patient surname",
    "patient.nhs_number": "Patient NHS number",
}


class SignpostingView(SecureModelView):
    """Signposting given, newest first: a record of advice, never waiting for an answer."""

    column_list = ["patient", "service", "given_on", "given_to", "what"]
    column_labels = SIGNPOSTING_LABELS
    column_descriptions = {
        "service": "Filled from the directory when a service is chosen there; else type its name.",
        "what": "What the service offers them and how to contact it.",
    }
    column_formatters = {"patient": patient_link, "what": short_text()}
    column_formatters_detail = column_formatters_export = {}
    column_searchable_list = ["service", "patient.family_name", "patient.nhs_number"]
    column_filters = ["given_on", "given_to", "service"]
    column_sortable_list = ["service", "given_on"]
    column_default_sort = [("given_on", True), ("id", True)]
    column_details_extra = ("given_by", "agenda_item")
    form_columns = ["patient", "episode", "directory_service", "service", "given_on", "given_to", "what", "notes"]
    form_args = {
        "episode": {"validators": [same_patient("episode")]},
        "directory_service": {"query_factory": live_directory},
        "given_on": {"validators": [not_in_future]},
    }
    form_ajax_refs = {"patient": PATIENT, "episode": ByPatientLoader("episode", Episode)}

    def validate_form(self, form):
        """A service chosen from the directory names the signposting: its name need not be typed as well."""
        chosen = getattr(form, "directory_service", None)
        if chosen is not None and chosen.data is not None and not (form.service.data or "").strip():
            form.service.data, form.service.raw_data = chosen.data.name, [chosen.data.name]
        return super().validate_form(form)

    def on_model_change(self, form, model, is_created):
        """Recorded and edited through the signposting service (the directory's name, to whom and what, the audit)."""
        if is_created:
            add_signposting(model, current_user)
        else:
            update_signposting(model, current_user)


class SignpostingForm(AppForm):
    """Signposting given, from the patient's page or a case in the live minutes."""

    directory_service_id = SelectField("Service from the directory", coerce=str, validate_choice=False)
    service_name = StringField("Or a service not in the directory", validators=[Optional(), MaxLength(200)])
    given_on = DateField("Given on (today unless given)", validators=[Optional(), not_in_future])
    given_to = SelectField("Given to", choices=SignpostedTo.choices(blank="Choose"), validate_choice=False)
    what = TextAreaField("What was advised", validators=[Optional(), MaxLength(2000)])

    def directory_service(self) -> DirectoryService | None:
        """The service chosen from the directory (live ones only), or None."""
        return in_scope(DirectoryService, self.directory_service_id.data)


def register(admin) -> None:
    admin.add_view(SignpostingView(Signposting, db, name="Signposting", category="Patients", endpoint="signposting"))
