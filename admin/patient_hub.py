"""The patient's page as the hub of the week's work: what is added there, with the patient already chosen.

A collated note, a hospital event, a frailty update, an action outside a meeting and "put on the next agenda" are
each one small form read by its class, one service (which flushes and audits) and one commit (`perform`). A save goes
back to the patient's page; a refusal answers with the page, the message and what was typed.
`PatientHub` is mixed into the patient record's view (admin/patient_record.py), so its routes are `record.*`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import flash, redirect, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from access import STAFF, in_scope
from formats.dates import today
from formats.nhs import CFS_LABELS
from formats.numbers import whole_number
from models import Contact, DomainError, HospitalEventKind, NoteSource, Organisation, User
from services import actions, meeting_room, patient_facts
from web.forms import AppForm, DateField, IdField, MaxLength, not_in_future, one_character_line_breaks

EFI_REFUSAL = "The eFI is a number from 0 to 1, for example 0.27."


class EfiField(StringField):
    """The eFI as typed ("0.27"), read as a number; anything else is refused in words and comes back as typed."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if text:
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise ValueError(EFI_REFUSAL) from None
            if not number.is_finite():
                raise ValueError(EFI_REFUSAL)
            self.data = number

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data.normalize())


class CollatedNoteForm(AppForm):
    """A summary collated from another system, who checked it and when."""

    source = SelectField("Source", choices=NoteSource.choices(blank="Choose"), validate_choice=False)
    summary = TextAreaField(
        "Summary", validators=[Optional(), MaxLength(patient_facts.SUMMARY_LENGTH)], filters=[one_character_line_breaks]
    )
    checked_by_id = IdField("Checked by", validators=[Optional()])
    checked_on = DateField("Checked on", validators=[Optional(), not_in_future])


class HospitalEventForm(AppForm):
    """A non-elective admission or an A&E attendance."""

    kind = SelectField("Type", choices=HospitalEventKind.choices(blank="Choose"), validate_choice=False)
    occurred_on = DateField("Date", validators=[Optional(), not_in_future])
    discharged_on = DateField("Discharged (if admitted)", validators=[Optional(), not_in_future])
    hospital = StringField("Hospital", validators=[Optional(), MaxLength(patient_facts.HOSPITAL_LENGTH)])
    notes = TextAreaField(
        "Notes", validators=[Optional(), MaxLength(patient_facts.NOTES_LENGTH)], filters=[one_character_line_breaks]
    )


class FrailtyForm(AppForm):
    """The Clinical Frailty Scale and the eFI with the day it was calculated; blank clears a score."""

    cfs = SelectField(
        "Clinical Frailty Scale",
        choices=[("", "Not recorded")] + [(str(n), f"{n} {label.lower()}") for n, label in CFS_LABELS.items()],
        validate_choice=False,
    )
    efi = EfiField("eFI (0 to 1)")
    efi_on = DateField("eFI calculated on", validators=[Optional(), not_in_future])

    def cfs_score(self) -> int | None:
        if not self.cfs.data:
            return None
        score = whole_number(self.cfs.data, minimum=1, maximum=9)
        if score is None:
            raise DomainError("Choose a score from the Clinical Frailty Scale, 1 to 9.")
        return score


class HubActionForm(AppForm):
    """An action agreed outside a meeting: owned by an agency (and a person there), with its due date."""

    description = TextAreaField(
        "Action", validators=[Optional(), MaxLength(actions.DESCRIPTION_LENGTH)], filters=[one_character_line_breaks]
    )
    owner_organisation_id = IdField("Agency", validators=[Optional()])
    owner_contact_id = IdField("Person (optional)", validators=[Optional()])
    due_on = DateField("Due", validators=[Optional()])


class NextAgendaForm(AppForm):
    """The button "Put on the next agenda": nothing to read but the CSRF token."""


#: Each form of the hub by its name on the page, with the section it sits in (where a save lands).
HUB_FORMS = {
    "note_form": (CollatedNoteForm, "#notes-heading"),
    "hospital_form": (HospitalEventForm, "#hospital-heading"),
    "frailty_form": (FrailtyForm, "#frailty"),
    "action_form": (HubActionForm, "#actions-heading"),
    "agenda_form": (NextAgendaForm, "#episode-heading"),
}


def blank_hub_forms(patient, user) -> dict[str, AppForm]:
    """Every hub form as the page first shows it: the frailty scores held, a note checked today by the person
    recording it, the rest empty."""
    start = {
        "frailty_form": {"cfs": str(patient.cfs or ""), "efi": patient.efi, "efi_on": patient.efi_on},
        "note_form": {"checked_by_id": user.id, "checked_on": today()},
    }
    return {
        name: form_class(formdata=None, data=start.get(name, {})) for name, (form_class, _anchor) in HUB_FORMS.items()
    }


class PatientHub:
    """The hub's routes, mixed into PatientRecordView (which gives `_patient`, `_page`, `require` and `perform`)."""

    def _hub_save(self, patient_id: int, name: str, operation, success):
        """Read the form `name`, run `operation(patient, form)` in one unit of work, then back to the page's section;
        refused (a field, or the service in words): the page again with the message and what was typed."""
        self.require(STAFF)
        patient = self._patient(patient_id)
        form_class, anchor = HUB_FORMS[name]
        form = form_class()
        if not form.validate():
            flash(form.first_error(), "error")
            return self._page(patient, {name: form})
        if self.perform(lambda: operation(patient, form), success):
            return redirect(url_for(".patient", patient_id=patient.id) + anchor)
        return self._page(patient, {name: form})

    @expose("/<int:patient_id>/collated-note/", methods=("POST",))
    def add_collated_note(self, patient_id: int):
        """A note collated from RIO, EMIS, IBIS or the shared care record."""

        def add(patient, form):
            checked_by = in_scope(User, form.checked_by_id.data) if form.checked_by_id.data else None
            if form.checked_by_id.data and (checked_by is None or checked_by.role not in STAFF):
                raise DomainError("Choose who checked the note from the team's list.")
            return patient_facts.add_collated_note(
                patient, current_user, source=form.source.data or None, summary=form.summary.data,
                checked_on=form.checked_on.data, checked_by=checked_by,
            )  # fmt: skip

        return self._hub_save(patient_id, "note_form", add, lambda note: f"{note.source.label} note added.")

    @expose("/<int:patient_id>/hospital-event/", methods=("POST",))
    def record_hospital_event(self, patient_id: int):
        """A non-elective admission or an A&E attendance: the priority follows."""

        def add(patient, form):
            return patient_facts.record_hospital_event(
                patient, current_user, kind=form.kind.data or None, occurred_on=form.occurred_on.data,
                discharged_on=form.discharged_on.data, hospital=form.hospital.data, notes=form.notes.data,
            )  # fmt: skip

        return self._hub_save(patient_id, "hospital_form", add, lambda event: f"{event} recorded.")

    @expose("/<int:patient_id>/frailty/", methods=("POST",))
    def update_frailty(self, patient_id: int):
        """The CFS and the eFI with its date: the priority is recomputed at the save."""

        def update(patient, form):
            return patient_facts.update_frailty(
                patient, current_user, cfs=form.cfs_score(), efi=form.efi.data, efi_on=form.efi_on.data
            )

        return self._hub_save(
            patient_id, "frailty_form", update, lambda changed: "Frailty updated: " + "; ".join(changed) + "."
        )

    @expose("/<int:patient_id>/action/", methods=("POST",))
    def add_action(self, patient_id: int):
        """An action agreed outside a meeting (a call, a visit): chased like any other."""

        def add(patient, form):
            owner = in_scope(Organisation, form.owner_organisation_id.data)
            person = in_scope(Contact, form.owner_contact_id.data) if form.owner_contact_id.data else None
            return actions.add_action(
                patient, form.description.data, owner, form.due_on.data, current_user, owner_contact=person
            )

        return self._hub_save(
            patient_id, "action_form", add, lambda action: f"Action added for {action.owner_organisation.name}."
        )

    @expose("/<int:patient_id>/next-agenda/", methods=("POST",))
    def list_on_next_agenda(self, patient_id: int):
        """The patient's case on the next meeting of their locality."""

        def listed(item):
            late = " as a late addition (after the cut-off)" if item.late_addition else ""
            return f"Added to the agenda of {item.meeting}{late}."

        return self._hub_save(
            patient_id, "agenda_form", lambda patient, _form: meeting_room.list_on_next_agenda(patient, current_user),
            listed,
        )  # fmt: skip
