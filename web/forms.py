"""What every form shares: the form base, our fields and the validators, for admin screens and web pages alike.

Custom pages declare a small `AppForm` per POST (`AddActionForm`, `NewPollForm`, ...); record screens get
theirs from Flask-Admin through `admin.forms.RecordConverter`. No view reads `request.form` itself.
"""

from __future__ import annotations

import re
import unicodedata

import wtforms
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from markupsafe import Markup
from sqlalchemy import inspect
from wtforms import DateTimeLocalField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

from formats.dates import LONDON, to_london, today
from formats.nhs import format_nhs_number, nhs_number_is_valid, normalise_nhs_number
from formats.numbers import MAX_ID, whole_number
from models import Patient, db
from services.date_checks import birth_date_problem, due_before_meeting_problem, received_before_birth_problem

NOT_IN_FUTURE = "The date cannot be in the future."
INVALID_NHS_NUMBER = "This is not a valid NHS number: it must be 10 digits and pass the check-digit test."
DUPLICATE_NHS_NUMBER = "Another patient already has this NHS number."


class AppForm(FlaskForm):
    """Flask-WTF's form (its CSRF token, checked by CSRFProtect) as the base of every form in the app.

    Flask-Admin's own SecureForm is not used: its token and CSRFProtect's reject each other.
    `_obj` is kept as Flask-Admin's BaseForm does, for its Unique validator to skip the row
    being edited; formdata keeps Flask-WTF's default of reading the request.
    """

    def __init__(self, formdata=_Auto, obj=None, prefix="", **kwargs):
        self._obj = obj
        super().__init__(formdata=formdata, obj=obj, prefix=prefix, **kwargs)

    def validate(self, extra_validators=None):
        """Every text field is checked as plain text first (see `plain_text`), whatever form it is on."""
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for field in self:
            if isinstance(field, StringField) and not isinstance(field, PasswordField):  # a password is as typed
                extra.setdefault(field.name, []).insert(0, plain_text(single_line=not isinstance(field, TextAreaField)))
        return super().validate(extra_validators=extra)

    def first_error(self) -> str | None:
        """The first field error in words, for a page that answers with a flash message rather than the form."""
        for field in self:
            if field.errors:
                return f"{field.label.text}: {field.errors[0]}"
        return None


#: Control characters (C0 and DEL) other than tab and line breaks: invisible, and Word and Excel cannot hold them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(single_line: bool):
    """Text a person typed, refused with a message when it holds control characters (or, in a one-line field such
    as a name or a code, a line break); kept in NFC, so "é" typed two ways is one name. Right-to-left text and
    marks are kept (DESIGN.md §4)."""

    def check(form, field):
        if not isinstance(field.data, str):
            return
        if _CONTROL.search(field.data):
            raise StopValidation("Remove the invisible control characters from this text: they cannot be saved.")
        if single_line and ("\n" in field.data or "\r" in field.data):
            raise StopValidation("Keep this on one line (no line breaks).")
        field.data = unicodedata.normalize("NFC", field.data.strip() if single_line else field.data)
        if single_line and not field.data and field.flags.required:
            raise StopValidation("This field is required.")

    return check


# --- fields -------------------------------------------------------------------------------------


class MaxLength:
    """A length limit that says what it is: "Enter at most 200 characters (this has 214)."."""

    def __init__(self, limit: int):
        self.limit = limit
        self.field_flags = {"maxlength": limit}

    def __call__(self, form, field):
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(f"Enter at most {self.limit:,} characters (this has {length:,}).")


def one_character_line_breaks(value):
    """Browsers send line breaks as CRLF but count them as one character against maxlength."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class YesNoField(SelectField):
    """A yes-or-no question whose answer may not be known yet (a nullable true/false column).

    `unknown` names the blank answer: "Not known" unless the question reads better with another ("Not recorded").
    """

    ANSWERS = {"": None, "yes": True, "no": False}

    def __init__(self, label=None, validators=None, unknown: str = "Not known", **kwargs):
        kwargs.pop("coerce", None)
        super().__init__(label, validators, choices=[("", unknown), ("yes", "Yes"), ("no", "No")], **kwargs)

    def process_data(self, value):
        self.data = value

    def process_formdata(self, valuelist):
        self.data = self.ANSWERS.get(valuelist[0]) if valuelist else None

    def iter_choices(self):
        chosen = {None: "", True: "yes", False: "no"}.get(self.data, "")
        for value, label in self.choices:
            yield value, label, value == chosen, {}

    def pre_validate(self, form):
        """Anything but yes or no means not known."""


class DateField(wtforms.DateField):
    """A date in a native date input, written back with its four-digit year: WTForms writes the year 1 as "1-01-01",
    which its own parser then refuses, so a stored value would not survive its own form."""

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.isoformat() if self.data else ""


class LondonDateTimeField(DateTimeLocalField):
    """A date and time typed and shown in Europe/London, stored as UTC."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and self.data.tzinfo is None:
            self.data = self.data.replace(tzinfo=LONDON)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return to_london(self.data).strftime("%Y-%m-%dT%H:%M") if self.data else ""


class WholeNumberField(IntegerField):
    """A whole number typed in a form, read by the one parser (`formats.numbers.whole_number`) within its bounds;
    anything else is refused in words and comes back as typed. Blank is no number (None)."""

    def __init__(self, label=None, validators=None, minimum: int = 0, maximum: int = MAX_ID, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            self.data = whole_number(valuelist[0], minimum=self.minimum, maximum=self.maximum)
            if self.data is None:
                raise ValueError(f"Enter a whole number from {self.minimum:,} to {self.maximum:,}.")


class IdField(WholeNumberField):
    """A record's id posted by a page (a hidden field, a select box's value): from 1 to the largest id."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, minimum=1, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Choose one from the list.") from None


class KnownNamesInput(TextInput):
    """A text input with a list of suggestions (an HTML datalist): picked from the list, or typed. Each suggestion
    carries its practice's id and ODS code, so the page offers only the GPs of the practice chosen (static/ilr.js)."""

    def __call__(self, field, **kwargs):
        list_id = f"{field.id}-known"
        kwargs.setdefault("list", list_id)
        kwargs.setdefault("autocomplete", "off")
        if field.practice_field:
            kwargs.setdefault("data-gp-practice", field.practice_field)
        options = Markup("").join(
            Markup('<option value="{}" data-practice-id="{}" data-practice-ods="{}">{}</option>').format(
                gp.name, gp.practice_id, gp.practice_ods, gp.practice
            )
            for gp in field.known(field.practice_id)
        )
        return super().__call__(field, **kwargs) + Markup('<datalist id="{}">{}</datalist>').format(list_id, options)


class NamedGpField(StringField):
    """A patient's named GP: picked from the GPs known at their practice (`known(practice_id)`, e.g.
    services.patients.known_gps), or typed. `practice_field` names the form's practice input the list follows;
    `practice_id`, set by a view, narrows the list to one practice."""

    widget = KnownNamesInput()

    def __init__(self, label=None, validators=None, *, known, practice_field: str | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.known, self.practice_field, self.practice_id = known, practice_field, None


class NhsNumberField(StringField):
    """Typed with or without spaces, kept as ten digits, shown 3-3-4; a mistyped number comes back as typed."""

    def process_formdata(self, valuelist):
        self.data = normalise_nhs_number(valuelist[0]) if valuelist else None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_nhs_number(self.data)


# --- validators: each is given in a view's `form_args` or a form's field ------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def not_in_future(form, field):
    """Dates of things that have happened: not after today in London."""
    if field.data and field.data > today():
        raise ValidationError(NOT_IN_FUTURE)


def _refuse(problem: str | None) -> None:
    if problem:
        raise ValidationError(problem)


def plausible_date_of_birth(form, field):
    """Within the last 120 years and not in the future (services/date_checks.py)."""
    _refuse(birth_date_problem(field.data))


def _related(form, name: str):
    """The row a form's field `name` chooses, or the edited record's own when the form does not offer it."""
    return form[name].data if name in form else getattr(getattr(form, "_obj", None), name, None)


def received_after_birth(form, field):
    """A referral is not received before the patient's date of birth."""
    _refuse(received_before_birth_problem(field.data, _related(form, "patient")))


def due_on_or_after_its_meeting(form, field):
    """An action agreed at a meeting is not due before it, checked when the date is typed (a due date saved before
    its meeting moved is not refused on an unrelated save)."""
    editing = getattr(form, "_obj", None)
    if editing is not None and field.data == editing.due_on:
        return
    _refuse(due_before_meeting_problem(field.data, _related(form, "agenda_item")))


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
    """Ten digits passing the Modulus 11 check (typed with or without spaces)."""
    digits = normalise_nhs_number(field.data)
    if digits and not nhs_number_is_valid(digits):
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
