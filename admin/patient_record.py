"""The patient record on one page: who they are, frailty and risk, and a timeline of everything known."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_login import current_user

from access import PARTNER, READERS, STAFF, get_or_404
from admin.base import SecureView
from admin.contacts import ContactForm
from admin.onward import OnwardReferralForm
from admin.patient_hub import PatientHub, blank_hub_forms
from admin.signposting import SignpostingForm
from formats.dates import today
from formats.nhs import CFS_LABELS, efi_category, format_nhs_number
from models import AuditAction, ContactLogEntry, Patient, Role, SignpostedTo
from services import audit
from services.accounts import missing_details
from services.contacts import complete_follow_up, log_contact
from services.documents import gp_shares
from services.onward import REFERRAL_METHODS, find_services, refer_onward
from services.patient_record import (
    actions_for,
    age_on,
    case_now,
    facts,
    hub_lists,
    next_agenda,
    partner_view,
    timeline,
)
from services.patients import record_death, withdraw_consent
from services.signposting import signpost
from web.forms import AppForm, DateField


class LifeEventForm(AppForm):
    """The date of a death, or of consent withdrawn (the field names the posting form gives them)."""

    died_on = DateField()
    withdrawn_on = DateField()


class PatientRecordView(PatientHub, SecureView):
    """`/admin/record/<id>/`: opening it is audited; staff record a death or consent withdrawn here, and add what the
    week brings (admin/patient_hub.py)."""

    roles = READERS | PARTNER  # a partner sees only the minimum (access.py scopes which patients)

    def is_visible(self) -> bool:
        return False  # reached from lists and the queue, not the menu

    def _patient(self, patient_id: int) -> Patient:
        return get_or_404(Patient, patient_id, include_archived=True)

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
        if current_user.role == Role.partner:
            cases, actions = partner_view(patient, current_user)
            return self.render(
                "admin/partner_patient.html", patient=patient, nhs_number=format_nhs_number(patient.nhs_number),
                cases=cases, actions=actions, today=today(),
            )  # fmt: skip
        return self._page(patient)

    def _page(self, patient: Patient, typed: dict | None = None):
        """The staff's and observers' page; `typed` is a refused hub form by name, shown open with what was typed."""
        on = today()
        now = case_now(patient)
        can_change = current_user.role in STAFF
        return self.render(
            "admin/patient_record.html",
            patient=patient,
            nhs_number=format_nhs_number(patient.nhs_number),
            age=age_on(patient.date_of_birth, patient.date_of_death or on),
            cfs_label=CFS_LABELS.get(patient.cfs),
            efi_band=efi_category(patient.efi),
            events=timeline(patient),
            actions=actions_for(patient),
            now=now,
            facts=facts(patient),
            next_agenda=next_agenda(now.episode),
            services=find_services(),
            methods=REFERRAL_METHODS,
            given_to=SignpostedTo,
            onward_form=OnwardReferralForm(formdata=None),
            contact_form=ContactForm(formdata=None),
            today=on,
            can_change=can_change,
            lists=hub_lists() if can_change else None,
            refused=set(typed or {}),
            gp_shares=gp_shares(patient),
            signature_missing=missing_details(current_user),
            **(blank_hub_forms(patient, current_user) | (typed or {})),
        )

    @expose("/<int:patient_id>/death/", methods=("POST",))
    def record_death(self, patient_id: int):
        return self._life_event(patient_id, record_death, "died_on", "The death has been recorded.")

    @expose("/<int:patient_id>/consent-withdrawn/", methods=("POST",))
    def withdraw_consent(self, patient_id: int):
        done = "Consent withdrawal has been recorded."
        return self._life_event(patient_id, withdraw_consent, "withdrawn_on", done)

    @expose("/<int:patient_id>/onward/", methods=("POST",))
    def refer_onward(self, patient_id: int):
        """Refer the patient on to a service from the directory or one typed."""
        self.require(STAFF)
        patient = self._patient(patient_id)
        form = OnwardReferralForm()
        if not form.validate():
            flash(form.first_error(), "error")
        else:

            def refer():
                return refer_onward(
                    patient, current_user, on=form.referred_on.data, directory_service=form.directory_service(),
                    service_name=form.service_name.data, reason=form.reason.data, method=form.method.data,
                )  # fmt: skip

            self.perform(refer, lambda referral: f"Onward referral to {referral.service} recorded.")
        return redirect(url_for(".patient", patient_id=patient.id) + "#onward-heading")

    @expose("/<int:patient_id>/signpost/", methods=("POST",))
    def signpost(self, patient_id: int):
        """Signposting given to the patient or their carer: a service from the directory or one typed, and what was
        advised."""
        self.require(STAFF)
        patient = self._patient(patient_id)
        form = SignpostingForm()
        if not form.validate():
            flash(form.first_error(), "error")
        else:

            def give():
                return signpost(
                    patient, current_user, on=form.given_on.data, given_to=form.given_to.data, what=form.what.data,
                    directory_service=form.directory_service(), service_name=form.service_name.data,
                )  # fmt: skip

            self.perform(give, lambda given: f"Signposting to {given.service} recorded.")
        return redirect(url_for(".patient", patient_id=patient.id) + "#signposting-heading")

    @expose("/<int:patient_id>/contact/", methods=("POST",))
    def log_contact(self, patient_id: int):
        """Log a call, email, Teams message, visit or letter about the patient."""
        self.require(STAFF)
        patient = self._patient(patient_id)
        form = ContactForm()
        if not form.validate():
            flash(form.first_error(), "error")
        else:
            self.perform(lambda: log_contact(form.entry(patient), current_user), "Contact logged.")
        return redirect(url_for(".patient", patient_id=patient.id) + "#contacts-heading")

    @expose("/<int:patient_id>/contact/<int:entry_id>/followed-up/", methods=("POST",))
    def followed_up(self, patient_id: int, entry_id: int):
        """A contact's follow-up done today."""
        self.require(STAFF)
        patient = self._patient(patient_id)
        entry = get_or_404(ContactLogEntry, entry_id)
        if entry.patient_id != patient.id:
            abort(404)
        self.perform(lambda: complete_follow_up(entry, current_user), "Follow-up done.")
        return redirect(url_for(".patient", patient_id=patient.id) + "#contacts-heading")

    def _life_event(self, patient_id: int, operation, field: str, done: str):
        self.require(STAFF)
        patient = self._patient(patient_id)
        when = LifeEventForm()[field].data
        if when is None:
            flash("Enter the date as day, month and year.", "error")
        else:
            self.perform(lambda: operation(patient, when, current_user), done)
        return redirect(url_for(".patient", patient_id=patient.id))


def register(admin) -> None:
    admin.add_view(PatientRecordView(name="Patient record", endpoint="record", url="/admin/record"))
