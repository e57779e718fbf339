"""Who may see which rows: role groups and row scopes, shared by every view and look-up."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.sql import ColumnElement

from models import Contact, MeetingMember, Role, db

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
    if hasattr(model, "archived_at") and not (include_archived and user.role == Role.team_lead):
        clauses.append(model.archived_at.is_(None))
    return clauses


def sits_on_locality(user, locality_id: int) -> bool:
    """Whether the user's contact is a live member of the locality's meeting (a partner's way in to it)."""

    member = db.session.scalar(
        select(MeetingMember.id)
        .join(Contact)
        .where(
            MeetingMember.locality_id == locality_id, Contact.user_id == user.id, MeetingMember.archived_at.is_(None)
        )
    )
    return member is not None
