"""How values look on the screens: British dates, London times, enum labels, NHS numbers 3-3-4, patient links."""

from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from flask_admin.model import typefmt
from markupsafe import Markup

from formats.dates import format_date, format_datetime
from formats.nhs import format_nhs_number
from models import LabelledEnum, Patient

#: A yes-or-no question not (yet) answered.
NOT_RECORDED = "Not recorded"


def _enum_label(view, value, name=None):
    return value.label


def _date_uk(view, value, name=None):
    return format_date(value)


def _datetime_uk(view, value, name=None):
    return format_datetime(value)


def _bool_yes_no(view, value, name=None):
    return "Yes" if value else "No"


def _formatters(base: dict) -> dict:
    """Ours first: Flask-Admin takes the first isinstance match (LabelledEnum before Enum, datetime before date)."""
    ours = {LabelledEnum: _enum_label, datetime: _datetime_uk, date: _date_uk, bool: _bool_yes_no}
    return ours | {k: v for k, v in base.items() if k not in ours}


#: How values look in lists, record pages and exports: British dates, London times, enum labels.
TYPE_FORMATTERS = _formatters(typefmt.BASE_FORMATTERS)
DETAIL_TYPE_FORMATTERS = _formatters(typefmt.DETAIL_FORMATTERS)
EXPORT_TYPE_FORMATTERS = _formatters(typefmt.EXPORT_FORMATTERS)


def nhs_number(view, context, model, name):
    """3-3-4, as the NHS number is always shown."""
    return format_nhs_number(getattr(model, name))


def patient_link(view, context, model, name):
    """The patient (name and NHS number), linked to their record page."""
    patient = model if isinstance(model, Patient) else getattr(model, name)
    if patient is None:
        return ""
    label = str(patient) if name == "patient" else getattr(patient, name)
    return Markup('<a href="{}">{}</a>').format(url_for("record.patient", patient_id=patient.id), label)


def patient_column(view, context, model, name):
    """The patient's name (to their record) and NHS number: for lists of rows with a `patient` (queue, caseload)."""
    patient = model.patient
    return Markup('<a href="{}">{}</a><br><small>{}</small>').format(
        url_for("record.patient", patient_id=patient.id),
        patient.display_name,
        format_nhs_number(patient.nhs_number) or "No NHS number",
    )


def priority_column(view, context, model, name):
    """The patient's band and score, with the rule's reasons."""
    patient = model.patient
    reasons = (patient.risk_reasons or "No risk factors recorded").replace("\n", "; ")
    return Markup('<strong class="risk-{}">{} ({})</strong><br><small>{}</small>').format(
        patient.risk_band.value, patient.risk_band.label, patient.risk_score, reasons
    )


def answer(view, context, model, name):
    """A yes-or-no answer that may not be recorded yet (a nullable true/false column)."""
    value = getattr(model, name)
    return NOT_RECORDED if value is None else "Yes" if value else "No"


def short_text(limit: int = 80):
    """Long free text cut short for a list column (the record page shows it whole)."""

    def formatter(view, context, model, name):
        text = getattr(model, name) or ""
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    return formatter
