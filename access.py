"""Who may see which rows: role groups and row scopes, shared by every view, look-up, document and export.

A partner (DESIGN.md §2) is a user linked to a contact at their organisation. They see the meetings of the
localities where that contact is a live member, every action their organisation owns, and the patients on
those meetings' agendas or those actions, with only the minimum fields. `row_filters` is the one clause:
lists, record pages, select-box look-ups, bulk actions, documents and exports all apply it; `get_or_404` is the
one getter of a row a page names, through that clause.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from formats.numbers import record_id
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


_ARCHIVED = aliased(Patient, name="archived_patient")
_ARCHIVED_PATIENT_IDS = select(_ARCHIVED.id).where(_ARCHIVED.archived_at.is_not(None)).correlate(None)


def about_a_live_patient(model) -> ColumnElement:
    """A record about an archived patient leaves lists, look-ups and exports with them.

    Said as "not one of the archived patients" (a short list, read once per query and hashed), not as a live
    patient's EXISTS per row: over a million actions the list's count took 320 ms that way, 9 ms this way
    (bench/results.md). The subquery has its own alias and correlates nothing, so a list that already joins
    Patient keeps both. Built once: an alias of Patient made afresh for every list copied its forty columns (9 ms of
    the team lead's home page, which names it fifty times)."""
    not_archived = model.patient_id.not_in(_ARCHIVED_PATIENT_IDS)
    return or_(model.patient_id.is_(None), not_archived) if model.__table__.c.patient_id.nullable else not_archived


def row_filters(model, user, include_archived: bool = False) -> list[ColumnElement]:
    """The WHERE clauses limiting `model` to the rows `user` may see.

    Archived rows are out of scope unless asked for, and only the team lead may ask. A model with a
    `scope_parent` (a goal's care plan, a chase's action) is seen only where its parent is.
    """
    clauses: list[ColumnElement] = []
    if hasattr(model, "archived_at") and not (include_archived and user.role == Role.team_lead):
        clauses.append(model.archived_at.is_(None))
        if model is not Patient and hasattr(model, "patient_id"):
            clauses.append(about_a_live_patient(model))
    if user.role == Role.partner:
        clauses += _partner_clauses(model, user)
    parent = getattr(model, "scope_parent", None)
    if parent is not None:
        relationship = getattr(model, parent)
        through = row_filters(relationship.property.mapper.class_, user, include_archived)
        if through:
            clauses.append(relationship.has(and_(*through)))
    return clauses


def get_or_404(model, row_id, *, include_archived: bool = False):
    """The row of `model` with id `row_id` within the signed-in user's scope (the lists' `row_filters`), else 404.

    The one getter for a record a page names: `row_id` may be the request's text (read by `record_id`), and an id
    out of scope answers exactly as one that does not exist. `include_archived` lets the team lead reach archived
    rows (the same rule as the lists' archived view).
    """
    found = in_scope(model, row_id, include_archived=include_archived)
    if found is None:
        abort(404)
    return found


def in_scope(model, row_id, *, include_archived: bool = False):
    """`get_or_404` for a choice that may be empty (a form's select box, a link's `?patient=`): the row, or None."""
    key = record_id(row_id)
    if key is None:
        return None
    query = select(model).where(model.id == key, *row_filters(model, current_user, include_archived))
    return db.session.scalars(query).first()
