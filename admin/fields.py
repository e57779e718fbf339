"""What the record screens share: form conversion, validators, column formatters and select-box look-ups."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from flask_admin.contrib.sqla.ajax import DEFAULT_PAGE_SIZE
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import and_, inspect, or_
from wtforms import StringField
from wtforms.validators import StopValidation, ValidationError

from access import STAFF, row_filters
from admin.base import ScopedAjaxLoader
from models import Locality, Meeting, Patient, db
from nhs import format_nhs_number, nhs_number_is_valid, normalise_nhs_number
from timefmt import LONDON, today


NOT_IN_FUTURE = "The date cannot be in the future."
INVALID_NHS_NUMBER = "This is not a valid NHS number: it must be 10 digits and pass the check-digit test."
DUPLICATE_NHS_NUMBER = "Another patient already has this NHS number."


# --- form conversion --------------------------------------------------------------------------


class NhsNumberField(StringField):
    """Typed with or without spaces, kept as ten digits, shown 3-3-4; a mistyped number comes back as typed."""

    def process_formdata(self, valuelist):
        self.data = normalise_nhs_number(valuelist[0]) if valuelist else None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_nhs_number(self.data)


# --- validators: each is given in a view's `form_args` ------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def not_in_future(form, field):
    """Dates of things that have happened: not after today in London."""
    if field.data and field.data > today():
        raise ValidationError(NOT_IN_FUTURE)


def not_before(other: str, message: str):
    """This date may not fall before the date in field `other` (a discharge before the admission)."""

    def check(form, field):
        earlier = form[other].data
        if field.data and earlier and field.data < earlier:
            raise ValidationError(message)

    return check


def required_when(condition, message: str):
    """The field must be filled in when `condition(form)` holds (a closure date needs its reason).

    Raised as StopValidation so the field's Optional validator, which runs later, cannot clear it.
    """

    def check(form, field):
        if _blank(field.data) and condition(form):
            raise StopValidation(message)

    return check


def field_is(name: str, *values):
    """A condition for `required_when`: field `name` holds one of `values`."""
    return lambda form: form[name].data in values


def field_filled(name: str):
    """A condition for `required_when`: field `name` is not blank."""
    return lambda form: not _blank(form[name].data)


def valid_nhs_number(form, field):
    """Ten digits passing the Modulus 11 check (the field has already dropped spaces)."""
    if field.data and not nhs_number_is_valid(field.data):
        raise StopValidation(INVALID_NHS_NUMBER)


def _others(form, model, *clauses) -> bool:
    """Whether a row other than the one being edited matches `clauses`."""
    key = inspect(model).primary_key[0]
    query = db.session.query(key).filter(*clauses)
    editing = getattr(form, "_obj", None)
    identity = inspect(editing).identity if editing is not None else None
    if identity:
        query = query.filter(key != identity[0])
    with db.session.no_autoflush:
        return query.first() is not None


def unique(model, column: str, message: str):
    """No other row (archived ones too: the database counts them) holds this value."""

    def check(form, field):
        if field.data is None or field.data == "":
            return
        if _others(form, model, getattr(model, column) == field.data):
            raise StopValidation(message)

    return check


unique_nhs_number = unique(Patient, "nhs_number", DUPLICATE_NHS_NUMBER)


def not_taken(model, partner: str, message: str):
    """A pair must be unique (one membership per contact per locality): checks this field with field `partner`."""

    def check(form, field):
        other = form[partner].data
        if field.data is None or other is None:
            return
        if _others(form, model, getattr(model, field.name) == field.data, getattr(model, partner) == other):
            raise ValidationError(message)

    return check


def same_patient(what: str):
    """A related record (referral, episode, agenda item) must be about the patient chosen in the form."""

    def check(form, field):
        patient = form["patient"].data
        if field.data is not None and patient is not None and field.data.patient_id != patient.id:
            raise ValidationError(f"This {what} is about another patient: choose one for {patient}.")

    return check


# --- row scope ------------------------------------------------------------------------------------


def under_live_parent(query, relationship, include_archived: bool = False):
    """Rows whose parent record (a decision's referral, a goal's care plan) is in the user's scope.

    A record without its own archive date leaves lists with its parent.
    """
    clauses = row_filters(relationship.property.mapper.class_, current_user, include_archived)
    return query.filter(relationship.has(and_(*clauses))) if clauses else query


# --- column formatters --------------------------------------------------------------------------


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


def short_text(limit: int = 80):
    """Long free text cut short for a list column (the record page shows it whole)."""

    def formatter(view, context, model, name):
        text = getattr(model, name) or ""
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    return formatter


# --- select-box look-ups ------------------------------------------------------------------------


def lookup(*fields: str, **options) -> dict:
    """`form_ajax_refs` options for a table too big for a plain select box."""
    return {"fields": list(fields), "page_size": 20, **options}


#: Look-ups shared by many screens.
PATIENT = lookup("family_name", "given_name", "nhs_number")
ORGANISATION = lookup("name", "ods_code")
CONTACT = lookup("name", "email")
USER = lookup("name", "email")
#: ILR staff only (a coordinator, who checked a note, who agreed a plan).
STAFF_USER = lookup(
    "name", "email", filters=[f"role IN ({', '.join(repr(role.value) for role in sorted(STAFF))})", "active"]
)


class ByPatientLoader(ScopedAjaxLoader):
    """Look up a patient's records (referrals, episodes, care plans, agenda items) by the patient's name or NHS number."""

    def __init__(self, name: str, model):
        super().__init__(name, db.session, model, fields=["id"], page_size=20)

    def format(self, model):
        if model is None:
            return None
        label = str(model)
        return model.id, label if str(model.patient) in label else f"{model.patient}: {label}"

    def get_list(self, term, offset=0, limit=DEFAULT_PAGE_SIZE):
        term = term.strip()
        digits = normalise_nhs_number(term) or ""
        query = self.get_query().join(self.model.patient).filter(*row_filters(Patient, current_user))
        matches = [Patient.family_name.ilike(f"%{term}%"), Patient.given_name.ilike(f"%{term}%")]
        if digits.isdigit():
            matches.append(Patient.nhs_number.like(f"%{digits}%"))
        return (
            query.filter(or_(*matches))
            .order_by(Patient.family_name, self.model.id.desc())
            .offset(offset)
            .limit(limit)
            .all()
        )


class MeetingLoader(ScopedAjaxLoader):
    """Look up a meeting by its locality's name or its date (25/11/2026), newest first."""

    def __init__(self, name: str):
        super().__init__(name, db.session, Meeting, fields=["id"], page_size=20)

    def get_list(self, term, offset=0, limit=DEFAULT_PAGE_SIZE):
        term = term.strip()
        query = self.get_query().join(Meeting.locality)
        try:
            day = datetime.strptime(term, "%d/%m/%Y").replace(tzinfo=LONDON)
        except ValueError:
            query = query.filter(Locality.name.ilike(f"%{term}%"))
        else:
            query = query.filter(Meeting.starts_at >= day, Meeting.starts_at < day + timedelta(days=1))
        return query.order_by(Meeting.starts_at.desc()).offset(offset).limit(limit).all()


def localities():
    """Localities for a plain select box (there are only a handful), by name."""
    return db.session.query(Locality).order_by(Locality.name)
