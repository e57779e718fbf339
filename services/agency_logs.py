"""The plain context of an agency's action log (its open actions across every meeting), read from the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from exports.word import safe_filename
from formats.dates import format_date, today
from formats.nhs import format_nhs_number
from models import Action, AgendaItem, Organisation, db


@dataclass(frozen=True)
class AgencyLog:
    agency: str
    day: str
    #: One row per action still open, most overdue first: the header's columns, as text and numbers.
    rows: list[list]
    filename_stem: str
    #: Whom the log names (for the audit trail, never printed).
    patient_ids: list[int]


def agency_log(organisation: Organisation, scope: list) -> AgencyLog:
    """The agency's open actions within `scope` (the user's row filters on Action), most overdue first."""
    on = today()
    actions = db.session.scalars(
        select(Action)
        .where(Action.owner_organisation_id == organisation.id, Action.still_open(), *scope)
        .order_by(Action.due_on, Action.id)
        .options(
            selectinload(Action.patient),
            selectinload(Action.owner_contact),
            selectinload(Action.agenda_item).selectinload(AgendaItem.meeting),
        )
    ).all()
    rows = [
        [
            a.patient.display_name,
            format_nhs_number(a.patient.nhs_number),
            format_date(a.patient.date_of_birth),
            a.description,
            a.owner_contact.name if a.owner_contact else "",
            format_date(a.agenda_item.meeting.starts_at) if a.agenda_item else "",
            format_date(a.due_on),
            a.status.label,
            max((on - a.due_on).days, 0),
        ]
        for a in actions
        if a.patient.archived_at is None
    ]
    stem = safe_filename(f"actions-{organisation.ods_code or organisation.id}-{on:%Y-%m-%d}")
    named = [a.patient_id for a in actions if a.patient.archived_at is None]
    return AgencyLog(organisation.name, format_date(on), rows, stem, named)
