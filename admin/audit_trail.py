"""The team lead's audit screen: every change, record opened, list, export and sign-in, in words. Read only.

Entries are put in words by `services.audit_trail` (a page's records are named together, in a fixed number of
queries); a changed column is called what the record's own screen calls it. Opening the trail is itself audited,
like any list of patients: it names them.
"""

from __future__ import annotations

from flask import g
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from markupsafe import Markup
from sqlalchemy import select

from access import TEAM_LEAD
from admin.base import SecureModelView, WrittenByWorkflow
from admin.filters import TIME_FILTERS
from admin.forms import FromDatabase
from formats.numbers import record_id
from models import AuditAction, AuditEntry, Patient, User, db
from services import audit_trail, patients


class PatientNamed(BaseSQLAFilter):
    """Entries about the patients whose name or NHS number matches what is typed ("Ashdown", "999 777 1230")."""

    def __init__(self):
        super().__init__(AuditEntry.patient_id, "Patient")

    def apply(self, query, value, alias=None):
        return query.filter(AuditEntry.patient_id.in_(select(Patient.id).where(patients.named(value))))

    def operation(self):
        return "name or NHS number"


class Chosen(BaseSQLAFilter):
    """One of a pick-list's values; any other value names nothing (refused before the query)."""

    def apply(self, query, value, alias=None):
        return query.filter(self.column == value)

    def validate(self, value) -> bool:
        return value in {key for key, _ in self.get_options(None) or ()}

    def operation(self):
        return "is"


class PersonChosen(Chosen):
    """Entries of one member of the team (the list of people is read when the page is shown)."""

    def __init__(self):
        super().__init__(AuditEntry.user_id, "Person", options=FromDatabase(_team))

    def clean(self, value):
        return record_id(value)


def _team() -> list[tuple[str, str]]:
    return [(str(u.id), f"{u.name} ({u.role.label})") for u in db.session.scalars(select(User).order_by(User.name))]


def _plain(words: audit_trail.Entry, entry: AuditEntry, name: str) -> str:
    if name == "changes":
        return "; ".join(f"{c.label}: {c.before} -> {c.after}" for c in words.changes)
    return {"at": words.when, "user": words.who, "action": words.what, "record": words.record,
            "reason": words.why, "detail": words.detail}.get(name) or str(getattr(entry, name, "") or "")  # fmt: skip


def _change_list(changes: list[audit_trail.Change]) -> Markup:
    items = [Markup("<li><strong>{}:</strong> {} &rarr; {}</li>").format(c.label, c.before, c.after) for c in changes]
    return Markup("<ul class='audit-changes'>{}</ul>").format(Markup("").join(items)) if items else Markup("")


def _formatter(part: str, short: bool = True):
    def formatter(view, context, model, name):
        words = view.words(model, short)
        return _change_list(words.changes) if part == "changes" else getattr(words, part)

    return formatter


#: Each column of the screen and the part of an entry in words it shows.
_PARTS = {"at": "when", "user": "who", "action": "what", "record": "record", "changes": "changes", "detail": "detail"}


class AuditView(WrittenByWorkflow, SecureModelView):
    """Nobody may change or delete an entry: the screen only lists, filters and exports."""

    roles_view = TEAM_LEAD
    roles_export = TEAM_LEAD
    can_view_details = True
    column_list = ["at", "user", "action", "record", "changes", "reason", "detail"]
    column_details_list = ["at", "user", "action", "record", "changes", "reason", "detail", "client_address"]
    column_export_list = column_list
    column_labels = {
        "at": "When",
        "user": "Who",
        "action": "What",
        "record": "Record",
        "changes": "Changes",
        "reason": "Why",
        "detail": "Detail",
        "client_address": "From (network address)",
    }
    column_sortable_list = ["at"]
    column_select_related_list = [AuditEntry.user]
    column_filters = [
        PatientNamed(),
        PersonChosen(),
        Chosen(AuditEntry.table_name, "Kind of record", options=audit_trail.kind_choices()),
        Chosen(AuditEntry.action, "Kind of event", options=AuditAction.choices()),
        *(dated(AuditEntry.at, "When") for dated in TIME_FILTERS),  # British dates, London times (admin/filters.py)
    ]
    column_searchable_list = ["detail", "reason"]
    column_default_sort = ("at", True)
    column_formatters = {name: _formatter(part) for name, part in _PARTS.items()}
    column_formatters_detail = {name: _formatter(part, short=False) for name, part in _PARTS.items()}

    @property
    def holds_patient_data(self) -> bool:
        return True  # the trail names patients: opening it is audited like any list of them

    def with_facts(self, rows: list) -> None:
        """The page's entries, put in words together (their records named in a fixed number of queries)."""
        g.audit_words = audit_trail.in_words(rows, self.column_label)

    def words(self, entry: AuditEntry, short: bool = True) -> audit_trail.Entry:
        """The entry in words: from the page's batch, or alone (its own page shows changes in full)."""
        cached = g.get("audit_words", {}) if short else {}
        if entry.id not in cached:
            return audit_trail.in_words([entry], self.column_label, short=short)[entry.id]
        return cached[entry.id]

    def column_label(self, table: str, name: str) -> str:
        """A changed column as the record's own screen labels it ("Received"), else its name in words."""
        labels = self._labels_by_table().get(table, {})
        return str(labels.get(name) or labels.get(name.removesuffix("_id")) or audit_trail.humanised(name))

    def _labels_by_table(self) -> dict[str, dict]:
        if not hasattr(self, "_column_labels_by_table"):
            found: dict[str, dict] = {}
            for view in self.admin._views:
                table = getattr(getattr(view, "model", None), "__tablename__", None)
                if table and isinstance(getattr(view, "column_labels", None), dict):
                    found[table] = view.column_labels | found.get(table, {})
            self._column_labels_by_table = found
        return self._column_labels_by_table

    def _export_cells(self, batch: list) -> list[list]:
        """Exports carry the same words, in full, a batch at a time."""
        words = audit_trail.in_words(batch, self.column_label, short=False)
        return [[_plain(words[r.id], r, name) for name, _ in self._export_columns] for r in batch]


def register(admin) -> None:
    admin.add_view(AuditView(AuditEntry, db, name="Audit trail", category="Administration", endpoint="audit"))
