"""Screens for patients, their hospital events and the notes collated from other systems."""

from __future__ import annotations

from flask_login import current_user
from wtforms.validators import NumberRange

from admin.base import SecureModelView
from admin.formatters import nhs_number, patient_link, short_text
from admin.lookups import PATIENT, STAFF_USER, lookup
from formats.nhs import CFS_LABELS
from models import CollatedNote, HospitalEvent, OrganisationType, Patient, db, value_before
from services.patient_facts import check_collated_note, check_hospital_event
from services.patients import known_gps, record_death, withdraw_consent
from web.forms import (
    NamedGpField,
    NhsNumberField,
    field_filled,
    not_before,
    not_in_future,
    plausible_date_of_birth,
    required_when,
    unique_nhs_number,
    valid_nhs_number,
)

CFS_SCALE = "; ".join(f"{score} {label.lower()}" for score, label in CFS_LABELS.items())


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


class PatientView(SecureModelView):
    """Everyone referred to the ILR. Dying or withdrawing consent goes through the services that act on it."""

    column_list = [
        "nhs_number",
        "family_name",
        "given_name",
        "date_of_birth",
        "gp_practice",
        "cfs",
        "risk_band",
        "risk_score",
        "postcode",
    ]
    column_labels = {
        "nhs_number": "NHS number",
        "nhs_number_status": "NHS number status",
        "given_name": "First name",
        "family_name": "Surname",
        "date_of_birth": "Date of birth",
        "sex": "Sex",
        "address": "Address",
        "postcode": "Postcode",
        "phone": "Phone",
        "gp_practice": "GP practice",
        "gp_practice.name": "GP practice",
        "named_gp": "Named GP",
        "carer_details": "Carer",
        "next_of_kin": "Next of kin",
        "communication_needs": "Communication needs",
        "interpreter_language": "Interpreter needed (language)",
        "long_term_conditions": "Long-term conditions",
        "cfs": "Clinical Frailty Scale",
        "efi": "eFI",
        "efi_on": "eFI calculated on",
        "date_of_death": "Date of death",
        "consent_withdrawn_on": "Consent withdrawn on",
        "risk_score": "Risk score",
        "risk_band": "Priority band",
        "risk_reasons": "Risk reasons",
    }
    column_descriptions = {
        "nhs_number": "With or without spaces, e.g. 999 123 4567. Leave blank if not known.",
        "long_term_conditions": "One condition per line.",
        "cfs": f"Clinical Frailty Scale 2.0, 1 to 9: {CFS_SCALE}.",
        "efi": "Electronic Frailty Index, 0 to 1 (e.g. 0.27).",
        "interpreter_language": "Leave blank when no interpreter is needed.",
        "date_of_death": "Recording a death closes the patient's open episodes and takes them off future agendas.",
        "consent_withdrawn_on": "Recording this takes the patient off future agendas and stops sharing.",
    }
    column_formatters = {"nhs_number": nhs_number, "family_name": patient_link}
    column_formatters_detail = {"nhs_number": nhs_number}
    column_formatters_export = {"nhs_number": nhs_number}
    column_searchable_list = ["family_name", "given_name", "nhs_number", "postcode"]
    column_filters = [
        "risk_band",
        "gp_practice.name",
        "cfs",
        "nhs_number_status",
        "sex",
        "date_of_birth",
        "postcode",
        "date_of_death",
    ]
    column_sortable_list = [
        "family_name",
        "given_name",
        "date_of_birth",
        "cfs",
        "risk_score",
        "postcode",
        ("gp_practice", "gp_practice.name"),
    ]
    column_default_sort = [("family_name", False), ("given_name", False)]
    column_details_extra = ("risk_band", "risk_score", "risk_reasons")
    column_export_list = [
        "nhs_number",
        "nhs_number_status",
        "family_name",
        "given_name",
        "date_of_birth",
        "sex",
        "postcode",
        "gp_practice",
        "named_gp",
        "cfs",
        "efi",
        "risk_band",
        "risk_score",
        "date_of_death",
        "consent_withdrawn_on",
    ]

    form_columns = [
        "nhs_number",
        "nhs_number_status",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "address",
        "postcode",
        "phone",
        "gp_practice",
        "named_gp",
        "carer_details",
        "next_of_kin",
        "communication_needs",
        "interpreter_language",
        "long_term_conditions",
        "cfs",
        "efi",
        "efi_on",
        "date_of_death",
        "consent_withdrawn_on",
    ]
    form_textareas = ("address", "next_of_kin")
    form_overrides = {"nhs_number": NhsNumberField, "named_gp": NamedGpField}
    form_args = {
        "nhs_number": {"validators": [valid_nhs_number, unique_nhs_number]},
        "nhs_number_status": {
            "validators": [
                required_when(field_filled("nhs_number"), "Choose the NHS number's verification status."),
            ]
        },
        "date_of_birth": {"validators": [plausible_date_of_birth]},
        "postcode": {"filters": [_upper]},
        "cfs": {
            "validators": [
                NumberRange(
                    min=1, max=9, message="The Clinical Frailty Scale runs from 1 (very fit) to 9 (terminally ill)."
                )
            ]
        },
        "efi": {
            "validators": [NumberRange(min=0, max=1, message="The eFI is a number from 0 to 1, for example 0.27.")]
        },
        "date_of_death": {
            "validators": [
                not_in_future,
                not_before("date_of_birth", "The date of death cannot be before the date of birth."),
            ]
        },
        "consent_withdrawn_on": {"validators": [not_in_future]},
        "efi_on": {"validators": [not_in_future]},
        "named_gp": {
            "known": known_gps,
            "practice_field": "gp_practice",
            "description": "Pick from the practice's GPs, or type the name, e.g. Dr Anika Shah. The GP letter is "
            "addressed to them.",
        },
    }
    form_ajax_refs = {
        "gp_practice": lookup("name", "ods_code", filters=[f"type = '{OrganisationType.gp_practice.value}'"])
    }

    def on_model_change(self, form, model, is_created):
        """A death or consent withdrawal newly recorded runs its service (episodes close, agendas clear)."""
        if is_created:
            return
        for attribute, service in (
            ("date_of_death", record_death),
            ("consent_withdrawn_on", withdraw_consent),
        ):
            on = getattr(model, attribute)
            if on is not None and value_before(model, attribute) is None:
                setattr(model, attribute, None)
                service(model, on, current_user)


class HospitalEventView(SecureModelView):
    """Non-elective admissions and A&E attendances, dated, for the risk rule and before/after counts."""

    column_list = ["patient", "kind", "occurred_on", "discharged_on", "hospital"]
    column_labels = {
        "patient": "Patient",
        "kind": "Type",
        "occurred_on": "Date",
        "discharged_on": "Discharged",
        "hospital": "Hospital",
        "notes": "Notes",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
    }
    column_formatters = {"patient": patient_link}
    column_searchable_list = ["patient.family_name", "patient.nhs_number", "hospital"]
    column_filters = ["kind", "occurred_on", "hospital"]
    column_default_sort = ("occurred_on", True)
    form_columns = ["patient", "kind", "occurred_on", "discharged_on", "hospital", "notes"]
    form_args = {
        "occurred_on": {"validators": [not_in_future]},
        "discharged_on": {
            "validators": [not_in_future, not_before("occurred_on", "The discharge cannot be before the admission.")]
        },
    }
    form_ajax_refs = {"patient": PATIENT}

    def on_model_change(self, form, model, is_created):
        """The rules the patient's page keeps (services/patient_facts.py), for a record added or edited here."""
        with db.session.no_autoflush:
            check_hospital_event(model, model.patient)


class CollatedNoteView(SecureModelView):
    """Summaries gathered from RIO, EMIS, IBIS and the shared care record, with who checked them and when."""

    column_list = ["patient", "source", "summary", "checked_by", "checked_on"]
    column_labels = {
        "patient": "Patient",
        "source": "Source",
        "summary": "Summary",
        "checked_by": "Checked by",
        "checked_on": "Checked on",
        "checked_by.name": "Checked by",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
    }
    column_formatters = {"patient": patient_link, "summary": short_text()}
    column_formatters_detail = {"patient": patient_link}
    column_searchable_list = ["patient.family_name", "patient.nhs_number", "summary"]
    column_filters = ["source", "checked_on", "checked_by.name"]
    column_default_sort = ("created_at", True)
    form_columns = ["patient", "source", "summary", "checked_by", "checked_on"]
    column_descriptions = {"checked_by": "Left blank with a date, it is you."}
    form_args = {
        "checked_on": {
            "validators": [not_in_future, required_when(field_filled("checked_by"), "Enter the date it was checked.")]
        }
    }
    form_ajax_refs = {"patient": PATIENT, "checked_by": STAFF_USER}

    def on_model_change(self, form, model, is_created):
        """The rules the patient's page keeps (services/patient_facts.py): a note checked without naming who checked
        it was checked by the person recording it."""
        with db.session.no_autoflush:
            check_collated_note(model, current_user)


def register(admin) -> None:
    admin.add_view(PatientView(Patient, db, name="Find a patient", category="Patients", endpoint="patient"))
    admin.add_view(
        HospitalEventView(HospitalEvent, db, name="Hospital events", category="Patients", endpoint="hospital_event")
    )
    admin.add_view(
        CollatedNoteView(CollatedNote, db, name="Collated notes", category="Patients", endpoint="collated_note")
    )
