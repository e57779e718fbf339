"""Who may see which rows: role groups and row scopes, shared by every view and look-up."""

from __future__ import annotations

from sqlalchemy.sql import ColumnElement

from models import Role

#: ILR staff: everything operational.
STAFF = frozenset({Role.coordinator, Role.team_lead})
#: Staff plus observers: may read, never change or export.
READERS = STAFF | {Role.read_only}
TEAM_LEAD = frozenset({Role.team_lead})
ALL_ROLES = frozenset(Role)
NOBODY: frozenset = frozenset()


def row_filters(model, user, include_archived: bool = False) -> list[ColumnElement]:
    """The WHERE clauses limiting `model` to the rows `user` may see.

    Archived rows are out of scope unless asked for, and only the team lead may ask.
    """
    clauses: list[ColumnElement] = []
    if hasattr(model, "archived_at"):
        if not (include_archived and user.role == Role.team_lead):
            clauses.append(model.archived_at.is_(None))
    return clauses
