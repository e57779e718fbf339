"""The patient record on one page: who they are, frailty and risk, and a timeline of everything known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

import audit
import services
from access import READERS, STAFF, row_filters
from admin.base import SecureView
from models import (
    Action,
    ActionStatus,
    AgendaItem,
    AuditAction,
    CarePlan,
    CollatedNote,
    DomainError,
    Episode,
    GeneratedDocument,
    HospitalEvent,
    Meeting,
    OnwardReferral,
    Patient,
    Referral,
    SafeguardingConcern,
    db,
)
from nhs import CFS_LABELS, efi_category, format_nhs_number
from timefmt import LONDON, today


@dataclass
class Event:
    """One line of the timeline."""

    on: date
    kind: str
    title: str
    detail: str = ""
    link: str | None = None
    flag: str | None = None


def _day(value) -> date:
    return value.astimezone(LONDON).date() if isinstance(value, datetime) else value


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def timeline(patient: Patient) -> list[Event]:
    """Everything known about the patient, newest first (a handful of queries, none per row)."""
    pid = patient.id
    live = lambda model: [model.patient_id == pid, model.archived_at.is_(None)]  # noqa: E731
    events: list[Event] = []
    for referral in db.session.scalars(
        select(Referral).where(*live(Referral)).options(selectinload(Referral.decisions))
    ):
        events.append(
            Event(
                referral.received_on,
                "Referral",
                f"Referral from {referral.referrer_name}",
                referral.reason,
                url_for("triage.details_view", id=referral.id)
                if referral.status.value in ("awaiting_triage", "more_information")
                else None,
            )
        )
        for decision in referral.decisions:
            detail = "; ".join(
                filter(
                    None,
                    [
                        decision.decline_reason.label if decision.decline_reason else None,
                        decision.reason_text,
                        decision.missing_information,
                        decision.redirected_to,
                    ],
                )
            )
            events.append(
                Event(decision.decided_on, "Triage", f"{decision.outcome.label} by {decision.decided_by.name}", detail)
            )
    for episode in db.session.scalars(select(Episode).where(*live(Episode))):
        events.append(
            Event(
                episode.opened_on,
                "Episode",
                f"Opened to the ILR ({episode.locality})",
                f"Coordinator: {episode.coordinator.name}" if episode.coordinator else "",
            )
        )
        if episode.closed_on:
            events.append(
                Event(
                    episode.closed_on,
                    "Episode",
                    f"Closed: {episode.closure_reason.label}",
                    episode.goal_attainment or "",
                )
            )
    items = db.session.scalars(
        select(AgendaItem).where(*live(AgendaItem)).join(Meeting).options(selectinload(AgendaItem.meeting))
    )
    for item in items:
        events.append(
            Event(
                _day(item.meeting.starts_at),
                "Discussion",
                f"{item.status.label} at {item.meeting}",
                " ".join(filter(None, [item.outcome, item.decisions])),
            )
        )
    for plan in db.session.scalars(select(CarePlan).where(*live(CarePlan)).options(selectinload(CarePlan.shares))):
        events.append(
            Event(
                _day(plan.agreed_on or plan.created_at),
                "Care plan",
                f"Care plan version {plan.number} ({plan.state.label.lower()})",
            )
        )
        for share in plan.shares:
            events.append(
                Event(share.shared_on, "Care plan", f"Version {plan.number} shared with {share.shared_with.name}")
            )
    for onward in db.session.scalars(select(OnwardReferral).where(*live(OnwardReferral))):
        events.append(
            Event(
                onward.referred_on,
                "Onward referral",
                f"Referred to {onward.service}: {onward.outcome.label.lower()}",
                onward.reason or "",
            )
        )
    for concern in db.session.scalars(select(SafeguardingConcern).where(*live(SafeguardingConcern))):
        status = "closed" if concern.closed_on else "open"
        events.append(
            Event(
                concern.raised_on,
                "Safeguarding",
                f"{concern.category.label} concern ({status})",
                "; ".join(
                    filter(
                        None,
                        [
                            concern.referred_to and f"referred to {concern.referred_to}",
                            concern.reference,
                            concern.outcome,
                        ],
                    )
                ),
                flag=None if concern.closed_on else "open",
            )
        )
    for event in db.session.scalars(select(HospitalEvent).where(*live(HospitalEvent))):
        events.append(Event(event.occurred_on, "Hospital", event.kind.label, event.hospital or ""))
    for note in db.session.scalars(
        select(CollatedNote).where(*live(CollatedNote)).options(selectinload(CollatedNote.checked_by))
    ):
        checked = (
            f"checked by {note.checked_by.name} on {note.checked_on:%d/%m/%Y}"
            if note.checked_by and note.checked_on
            else "not yet checked"
        )
        events.append(
            Event(
                note.checked_on or _day(note.created_at),
                "Collated note",
                f"{note.source.label} ({checked})",
                note.summary,
            )
        )
    for doc in db.session.scalars(select(GeneratedDocument).where(GeneratedDocument.patient_id == pid)):
        events.append(Event(_day(doc.created_at), "Document", f"{doc.kind.label}: {doc.filename}"))
    return sorted(events, key=lambda e: e.on, reverse=True)


def actions_for(patient: Patient) -> list[Action]:
    """Open actions first (earliest due first), then the rest, newest first."""
    rows = db.session.scalars(
        select(Action)
        .where(Action.patient_id == patient.id, Action.archived_at.is_(None))
        .options(selectinload(Action.owner_organisation), selectinload(Action.owner_contact))
    ).all()
    still_open = (ActionStatus.open, ActionStatus.in_progress)
    return sorted([a for a in rows if a.status in still_open], key=lambda a: a.due_on) + sorted(
        [a for a in rows if a.status not in still_open], key=lambda a: a.due_on, reverse=True
    )


class PatientRecordView(SecureView):
    """`/admin/record/<id>/`: opening it is audited; staff record a death or consent withdrawn here."""

    roles = READERS

    def is_visible(self) -> bool:
        return False  # reached from lists and the queue, not the menu

    def _patient(self, patient_id: int) -> Patient:
        patient = db.session.scalars(
            select(Patient).where(Patient.id == patient_id, *row_filters(Patient, current_user, include_archived=True))
        ).first()
        if patient is None:
            abort(404)
        return patient

    @expose("/")
    def index(self):
        """No patient chosen: back to the home page."""
        return redirect(url_for("admin.index"))

    @expose("/<int:patient_id>/")
    def patient(self, patient_id: int):
        patient = self._patient(patient_id)
        audit.record(
            AuditAction.view, table="patient", record_id=patient.id, patient_id=patient.id, detail="patient record page"
        )
        on = today()
        return self.render(
            "admin/patient_record.html",
            patient=patient,
            nhs_number=format_nhs_number(patient.nhs_number),
            age=_age(patient.date_of_birth, patient.date_of_death or on),
            cfs_label=CFS_LABELS.get(patient.cfs),
            efi_band=efi_category(patient.efi),
            events=timeline(patient),
            actions=actions_for(patient),
            today=on,
            can_change=current_user.role in STAFF,
        )

    @expose("/<int:patient_id>/death/", methods=("POST",))
    def record_death(self, patient_id: int):
        return self._life_event(patient_id, services.record_death, "died_on", "The death has been recorded.")

    @expose("/<int:patient_id>/consent-withdrawn/", methods=("POST",))
    def withdraw_consent(self, patient_id: int):
        return self._life_event(
            patient_id, services.withdraw_consent, "withdrawn_on", "Consent withdrawal has been recorded."
        )

    def _life_event(self, patient_id: int, operation, field: str, done: str):
        if current_user.role not in STAFF:
            abort(403)
        patient = self._patient(patient_id)
        try:
            when = date.fromisoformat(request.form.get(field, ""))
        except ValueError:
            flash("Enter the date as day, month and year.", "error")
            return redirect(url_for(".patient", patient_id=patient.id))
        try:
            operation(patient, when, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(done, "success")
        return redirect(url_for(".patient", patient_id=patient.id))


def register(admin) -> None:
    admin.add_view(PatientRecordView(name="Patient record", endpoint="record", url="/admin/record"))
