"""Select-box look-ups (Flask-Admin's ajax loaders), limited to the rows the signed-in user may see."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_admin.contrib.sqla.ajax import DEFAULT_PAGE_SIZE, QueryAjaxModelLoader
from flask_login import current_user
from sqlalchemy.orm import joinedload

from access import STAFF, row_filters
from formats.dates import LONDON
from formats.nhs import format_nhs_number
from formats.numbers import record_id
from models import Locality, Meeting, Organisation, Patient, db
from services.patients import named

#: What a look-up box says before anything is typed, when its screen does not say more.
TYPE_TO_SEARCH = "Type to search"
PATIENT_HINT = "Type a surname or NHS number"


def patient_label(patient: Patient) -> str:
    """A patient as a person recognises them in a look-up: "ASHDOWN, Margaret · 999 777 1230 · Northdown"."""
    practice = patient.gp_practice
    locality = practice.locality.name if practice is not None and practice.locality is not None else None
    number = format_nhs_number(patient.nhs_number) or "no NHS number"
    return " · ".join(part for part in (patient.display_name, number, locality) if part)


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Select-box look-ups limited to the rows the signed-in user may see; each says what to type."""

    def __init__(self, name, session, model, **options):
        options.setdefault("placeholder", PATIENT_HINT if model is Patient else TYPE_TO_SEARCH)
        super().__init__(name, session, model, **options)

    def format(self, model):
        if isinstance(model, Patient):
            return model.id, patient_label(model)
        return super().format(model)

    def get_list(self, term, offset=0, limit=DEFAULT_PAGE_SIZE):
        """Patients by what a person types (surname, given name, the name as shown, NHS number); others as declared."""
        if self.model is not Patient:
            return super().get_list(term, offset, limit)
        query = self.get_query().filter(named(term)).options(_PRACTICE_AND_LOCALITY)
        return query.order_by(Patient.family_name, Patient.given_name).offset(offset).limit(limit).all()

    def get_query(self):
        return super().get_query().filter(*row_filters(self.model, current_user))

    def get_one(self, pk):
        key = record_id(pk)
        if key is None:
            return None  # our keys are integers: anything else names no record
        with db.session.no_autoflush:
            return self.get_query().filter(getattr(self.model, self.pk) == key).one_or_none()


#: A patient's practice and its locality, loaded with the patient (the look-up's label names the locality).
_PRACTICE_AND_LOCALITY = joinedload(Patient.gp_practice).joinedload(Organisation.locality)


def lookup(*fields: str, **options) -> dict:
    """`form_ajax_refs` options for a table too big for a plain select box; `placeholder` says what to type."""
    return {"fields": list(fields), "page_size": 20, "placeholder": TYPE_TO_SEARCH, **options}


#: Look-ups shared by many screens.
PATIENT = lookup("family_name", "given_name", "nhs_number", placeholder=PATIENT_HINT)
ORGANISATION = lookup("name", "ods_code", placeholder="Type a name or ODS code")
CONTACT = lookup("name", "email", placeholder="Type a name or email address")
USER = lookup("name", "email", placeholder="Type a name or email address")
#: ILR staff only (a coordinator, who checked a note, who agreed a plan).
STAFF_USER = lookup(
    "name",
    "email",
    filters=[f"role IN ({', '.join(repr(role.value) for role in sorted(STAFF))})", "active"],
    placeholder="Type a name from the team",
)


class ByPatientLoader(ScopedAjaxLoader):
    """Look up a patient's records (referrals, episodes, care plans, agenda items) by their name or NHS number."""

    def __init__(self, name: str, model):
        super().__init__(name, db.session, model, fields=["id"], page_size=20, placeholder=PATIENT_HINT)

    def format(self, model):
        if model is None:
            return None
        label = str(model)
        patient = patient_label(model.patient)
        return model.id, label if str(model.patient) in label else f"{patient}: {label}"

    def get_list(self, term, offset=0, limit=DEFAULT_PAGE_SIZE):
        query = self.get_query().join(self.model.patient).filter(*row_filters(Patient, current_user), named(term))
        query = query.options(
            joinedload(self.model.patient).joinedload(Patient.gp_practice).joinedload(Organisation.locality)
        )
        return query.order_by(Patient.family_name, self.model.id.desc()).offset(offset).limit(limit).all()


class MeetingLoader(ScopedAjaxLoader):
    """Look up a meeting by its locality's name or its date (25/11/2026), newest first."""

    def __init__(self, name: str):
        super().__init__(
            name, db.session, Meeting, fields=["id"], page_size=20, placeholder="Type a locality or a date (25/11/2026)"
        )

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
