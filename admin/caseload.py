"""The caseload: patients open to the ILR, highest priority first, with the reasons for their priority."""

from __future__ import annotations

from markupsafe import Markup

from access import NOBODY
from admin.base import SecureModelView, WrittenByWorkflow
from admin.formatters import patient_column, priority_column
from models import Episode, Patient, db
from timefmt import today


def _review(view, context, model, name):
    if model.review_on is None:
        return ""
    text = model.review_on.strftime("%d/%m/%Y")
    return Markup('<span class="ilr-flag">{} overdue</span>').format(text) if model.review_on < today() else text


class CaseloadView(WrittenByWorkflow, SecureModelView):
    """Open episodes; closed ones are on the patient's record."""

    roles_restore = NOBODY
    can_view_details = False
    column_list = ["patient", "priority", "locality", "coordinator", "opened_on", "review_on"]
    column_labels = {
        "patient": "Patient",
        "priority": "Priority",
        "locality": "Locality",
        "coordinator": "Coordinator",
        "opened_on": "Open since",
        "review_on": "Review",
        "patient.risk_band": "Priority band",
        "locality.name": "Locality",
        "coordinator.name": "Coordinator",
        "patient.family_name": "Surname",
        "patient.nhs_number": "NHS number",
    }
    column_formatters = {"patient": patient_column, "priority": priority_column, "review_on": _review}
    column_formatters_export = {
        "patient": lambda v, c, m, n: str(m.patient),
        "priority": lambda v, c, m, n: m.patient.risk_score,
        "review_on": lambda v, c, m, n: m.review_on.strftime("%d/%m/%Y") if m.review_on else "",
    }
    column_sortable_list = [("priority", "patient.risk_score"), "opened_on", "review_on"]
    column_filters = ["patient.risk_band", "locality.name", "coordinator.name", "review_on", "opened_on"]
    column_searchable_list = ["patient.family_name", "patient.nhs_number"]

    def get_query(self):
        return super().get_query().join(Episode.patient).filter(Episode.closed_on.is_(None))

    def get_count_query(self):
        return super().get_count_query().join(Episode.patient).filter(Episode.closed_on.is_(None))

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is None:
            return query.order_by(Patient.risk_score.desc(), Episode.opened_on, Episode.id), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)


def register(admin) -> None:
    admin.add_view(
        CaseloadView(Episode, db, name="Caseload", category="Referrals", endpoint="caseload", url="/admin/caseload")
    )
