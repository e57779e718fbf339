"""The safeguarding concerns screen (Care Act 2014 s42): staff only; partners see nothing of it (access.py)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from wtforms.validators import InputRequired

from access import in_scope
from admin.base import SecureModelView
from admin.formatters import NOT_RECORDED, answer, patient_link, short_text
from admin.lookups import PATIENT, STAFF_USER
from formats.dates import today
from models import Patient, SafeguardingConcern, db
from services.safeguarding import raise_concern, update_concern
from web.forms import not_before, not_in_future

#: The three questions of Care Act 2014 s42(1), asked one by one.
S42_QUESTIONS = {
    "s42_care_needs": "s42(1)(a): has needs for care and support",
    "s42_at_risk": "s42(1)(b): is experiencing, or at risk of, abuse or neglect",
    "s42_unable_to_protect": "s42(1)(c): because of those needs, cannot protect themselves",
}


def _open(view, context, model, name):
    return "Open" if model.is_open else f"Closed {model.closed_on:%d/%m/%Y}"


class SafeguardingConcernView(SecureModelView):
    """Concerns raised about a patient; an open one flags them everywhere and counts in the risk rule."""

    column_list = ["patient", "raised_on", "category", "concern", "referred_to", "referred_on", "state"]
    column_labels = {
        "patient": "Patient",
        "concern": "What the concern is",
        "raised_on": "Raised on",
        "raised_by": "Raised by",
        "raised_by.name": "Raised by",
        "category": "Category",
        **S42_QUESTIONS,
        "referred_to": "Referred to",
        "referred_on": "Referred on",
        "reference": "Reference",
        "outcome": "Outcome",
        "closed_on": "Closed on",
        "state": "Open or closed",
        "notes": "Notes",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
    }
    column_descriptions = {
        "concern": "What has happened or is feared, and who is involved.",
        "raised_by": "Left blank, it is you.",
        "closed_on": "Leave blank while the concern is open. Closing needs the outcome.",
        "notes": "Concerns recorded before the three s42 questions were asked keep their single answer here.",
    }
    column_formatters = {
        "patient": patient_link,
        "concern": short_text(),
        "state": _open,
        **dict.fromkeys(S42_QUESTIONS, answer),
    }
    column_formatters_detail = {"patient": patient_link, "state": _open, **dict.fromkeys(S42_QUESTIONS, answer)}
    column_formatters_export = {"state": _open, **dict.fromkeys(S42_QUESTIONS, answer)}
    column_searchable_list = ["patient.family_name", "patient.nhs_number", "concern", "reference", "referred_to"]
    column_filters = ["category", "raised_on", "closed_on", "referred_on", *S42_QUESTIONS, "raised_by.name"]
    column_sortable_list = ["raised_on", "category", "referred_on", "closed_on"]
    column_default_sort = [("raised_on", True), ("id", True)]
    form_columns = [
        "patient",
        "concern",
        "raised_on",
        "raised_by",
        "category",
        *S42_QUESTIONS,
        "referred_to",
        "referred_on",
        "reference",
        "outcome",
        "closed_on",
        "notes",
    ]
    form_args = {
        "concern": {"validators": [InputRequired(message="Say what the concern is.")]},
        "raised_on": {"validators": [not_in_future]},
        **{name: {"unknown": NOT_RECORDED} for name in S42_QUESTIONS},
        "referred_on": {
            "validators": [
                not_in_future,
                not_before("raised_on", "The referral cannot be before the concern was raised."),
            ]
        },
        "closed_on": {
            "validators": [not_in_future, not_before("raised_on", "A concern cannot close before it was raised.")]
        },
    }
    form_ajax_refs = {"patient": PATIENT, "raised_by": STAFF_USER}

    def create_form(self, obj=None):
        """Opened from a patient's page (`?patient=<id>`), the form starts with that patient chosen."""
        form = super().create_form(obj)
        if request.method == "GET" and form.raised_on.data is None:
            form.raised_on.data = today()
        if request.method == "GET" and request.args.get("patient"):
            form.patient.data = in_scope(Patient, request.args["patient"])
        return form

    def on_model_change(self, form, model, is_created):
        """Raised and edited through the safeguarding service (what the concern is, dates in order, the audit)."""
        if is_created:
            raise_concern(model, current_user)
        else:
            update_concern(model, current_user)


def register(admin) -> None:
    admin.add_view(
        SafeguardingConcernView(
            SafeguardingConcern, db, name="Safeguarding concerns", category="Patients", endpoint="safeguarding_concern"
        )
    )
