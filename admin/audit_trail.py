"""The team lead's audit screen: every change, record opened, list, export and sign-in. Read only."""

from __future__ import annotations

import json

from markupsafe import Markup

from access import TEAM_LEAD
from admin.base import SecureModelView, WrittenByWorkflow
from models import AuditEntry, db


def _changed_fields(model) -> list[tuple[str, str, str]]:
    """(field, before, after) for each field an entry changed, blanks said as "(blank)"."""
    if not model.changes:
        return []
    blank = lambda value: "(blank)" if value is None else value
    return [(field, blank(before), blank(after)) for field, (before, after) in json.loads(model.changes).items()]


def _changes(view, context, model, name):
    """Before → after, one line per field."""
    lines = [Markup("<li><strong>{}</strong>: {} &rarr; {}</li>").format(*change) for change in _changed_fields(model)]
    return Markup("<ul class='list-unstyled mb-0'>") + Markup("").join(lines) + Markup("</ul>") if lines else ""


def _changes_as_text(view, context, model, name):
    """The same, as one line of plain text for a spreadsheet cell."""
    return "; ".join(f"{field}: {before} -> {after}" for field, before, after in _changed_fields(model))


class AuditView(WrittenByWorkflow, SecureModelView):
    """Nobody may change or delete an entry: the screen only lists, filters and exports."""

    roles_view = TEAM_LEAD
    roles_export = TEAM_LEAD
    can_view_details = True
    column_list = ["at", "user", "action", "table_name", "record_id", "patient_id", "reason", "detail", "changes"]
    column_labels = {
        "at": "When",
        "user": "Who",
        "action": "What",
        "table_name": "Record type",
        "record_id": "Record",
        "patient_id": "Patient",
        "reason": "Why",
        "detail": "Detail",
        "changes": "Before → after",
    }
    column_filters = ["user.name", "user.email", "action", "table_name", "record_id", "patient_id", "at"]
    column_searchable_list = ["detail", "reason"]
    column_default_sort = ("at", True)
    column_formatters = {"changes": _changes}
    column_formatters_detail = {"changes": _changes}
    column_formatters_export = {"changes": _changes_as_text}
    column_export_list = [
        "at",
        "user",
        "action",
        "table_name",
        "record_id",
        "patient_id",
        "reason",
        "detail",
        "changes",
    ]

    @property
    def holds_patient_data(self) -> bool:
        return False  # reading the trail is not itself a patient list


def register(admin) -> None:
    admin.add_view(AuditView(AuditEntry, db, name="Audit trail", category="Settings", endpoint="audit"))
