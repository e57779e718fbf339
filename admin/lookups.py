"""Select-box look-ups (Flask-Admin's ajax loaders), limited to the rows the signed-in user may see."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_admin.contrib.sqla.ajax import DEFAULT_PAGE_SIZE, QueryAjaxModelLoader
from flask_login import current_user
from sqlalchemy import or_

from access import STAFF, row_filters
from formats.dates import LONDON
from formats.nhs import nhs_number_digits
from formats.numbers import record_id
from models import Locality, Meeting, Patient, db


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Select-box look-ups limited to the rows the signed-in user may see."""

    def get_query(self):
        return super().get_query().filter(*row_filters(self.model, current_user))

    def get_one(self, pk):
        key = record_id(pk)
        if key is None:
            return None  # our keys are integers: anything else names no record
        with db.session.no_autoflush:
            return self.get_query().filter(getattr(self.model, self.pk) == key).one_or_none()


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
    """Look up a patient's records (referrals, episodes, care plans, agenda items) by their name or NHS number."""

    def __init__(self, name: str, model):
        super().__init__(name, db.session, model, fields=["id"], page_size=20)

    def format(self, model):
        if model is None:
            return None
        label = str(model)
        return model.id, label if str(model.patient) in label else f"{model.patient}: {label}"

    def get_list(self, term, offset=0, limit=DEFAULT_PAGE_SIZE):
        term = term.strip()
        digits = nhs_number_digits(term)
        query = self.get_query().join(self.model.patient).filter(*row_filters(Patient, current_user))
        matches = [Patient.family_name.ilike(f"%{term}%"), Patient.given_name.ilike(f"%{term}%")]
        if digits:
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
