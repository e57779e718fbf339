"""The team lead's audit screen: every change, record opened, list, export and sign-in. Read only."""

from __future__ import annotations

import json

from markupsafe import Markup

from access import NOBODY, TEAM_LEAD
from admin.base import SecureModelView
from models import AuditEntry, db


def _changes(view, context, model, name):
    """Before → after, one line per field."""
    if not model.changes:
        return ""
    lines = [
        Markup("<li><strong>{}</strong>: {} &rarr; {}</li>").format(
            field, before if before is not None else "(blank)", after if after is not None else "(blank)"
        )
        for field, (before, after) in json.loads(model.changes).items()
    ]
    return Markup("<ul class='list-unstyled mb-0'>") + Markup("").join(lines) + Markup("</ul>")


class AuditView(SecureModelView):
    """Nobody may change or delete an entry: the screen only lists, filters and exports."""

    roles_view = TEAM_LEAD
    roles_create = NOBODY
    roles_edit = NOBODY
    roles_archive = NOBODY
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
