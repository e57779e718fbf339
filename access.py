"""Who may see which rows: role groups and row scopes, shared by every view, look-up, document and export.

A partner (DESIGN.md §2) is a user linked to a contact at their organisation. They see the meetings of the
localities where that contact is a live member, every action their organisation owns, and the patients on
those meetings' agendas or those actions, with only the minimum fields. `row_filters` is the one clause:
lists, record pages, select-box look-ups, bulk actions, documents and exports all apply it.
"""

from __future__ import annotations

import re

from sqlalchemy import exists, false, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from werkzeug.routing import IntegerConverter

from models import Action, AgendaItem, Contact, Meeting, MeetingMember, Patient, Role, db

#: ILR staff: everything operational.
STAFF = frozenset({Role.coordinator, Role.team_lead})
#: Staff plus observers: may read, never change or export.
READERS = STAFF | {Role.read_only}
TEAM_LEAD = frozenset({Role.team_lead})
PARTNER = frozenset({Role.partner})
ALL_ROLES = frozenset(Role)
NOBODY: frozenset = frozenset()


def partner_locality_ids(user):
    """The localities whose meeting the partner's contact sits on (a subquery)."""
    return (
        select(MeetingMember.locality_id)
        .join(Contact, MeetingMember.contact_id == Contact.id)
        .where(Contact.user_id == user.id, MeetingMember.archived_at.is_(None), Contact.archived_at.is_(None))
    )


def partner_meeting_ids(user):
    """The partner's meetings, upcoming and held (a subquery)."""
    return select(Meeting.id).where(Meeting.locality_id.in_(partner_locality_ids(user)))


def partner_patient_ids(user):
    """The patients on the partner's meetings' agendas and those their organisation's actions are about."""
    on_agendas = select(AgendaItem.patient_id).where(
        AgendaItem.meeting_id.in_(partner_meeting_ids(user)), AgendaItem.archived_at.is_(None)
    )
    owned = select(Action.patient_id).where(
        Action.owner_organisation_id == user.organisation_id, Action.archived_at.is_(None)
    )
    return on_agendas.union(owned)


def _partner_clauses(model, user) -> list[ColumnElement]:
    """What a partner may see of `model`: their meetings, their organisation's actions, those patients; nothing else."""
    if model is Action:
        return [Action.owner_organisation_id == user.organisation_id]
    if model is Meeting:
        return [Meeting.locality_id.in_(partner_locality_ids(user))]
    if model is AgendaItem:
        return [AgendaItem.meeting_id.in_(partner_meeting_ids(user))]
    if model is Patient:
        return [Patient.id.in_(partner_patient_ids(user))]
    return [false()]


def row_filters(model, user, include_archived: bool = False) -> list[ColumnElement]:
    """The WHERE clauses limiting `model` to the rows `user` may see.

    Archived rows are out of scope unless asked for, and only the team lead may ask.
    """
    clauses: list[ColumnElement] = []
    if hasattr(model, "archived_at") and not (include_archived and user.role == Role.team_lead):
        clauses.append(model.archived_at.is_(None))
        if model is not Patient and hasattr(model, "patient_id"):
            # A record about an archived patient leaves lists, look-ups and exports with them.
            own = aliased(Patient)  # its own alias: a list that already joins Patient must not correlate it away
            live_patient = exists().where(own.id == model.patient_id, own.archived_at.is_(None)).correlate_except(own)
            clauses.append(or_(model.patient_id.is_(None), live_patient))
    if user.role == Role.partner:
        clauses += _partner_clauses(model, user)
    return clauses


#: The largest id a row can have (a signed 32-bit integer on PostgreSQL): a bigger number names no record.
MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: an id within the database's integer range, else 404 before the view runs
    (PostgreSQL refuses 3000000000 for an integer column; SQLite would look it up and find nothing)."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits, min, max, signed)


def record_id(value) -> int | None:
    """An id as typed in a URL or form: ASCII digits within the database's integer range, else None.

    One parser for every view, filter and page number, so "²", "1e9", "-1" or 99999999999999999999 name
    no record rather than reach the database (or Python's int(), which accepts "²").
    """
    text = str(value).strip() if value is not None else ""
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def may_see(model, row_id: int, user) -> bool:
    """Whether one row is within the user's scope (a custom page's id checked like a list's)."""
    return db.session.scalar(select(model.id).where(model.id == row_id, *row_filters(model, user))) is not None
