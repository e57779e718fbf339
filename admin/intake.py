"""A referral in a few minutes: find the patient (or add them), then the referral itself, on one page."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from access import STAFF, in_scope
from admin.base import SecureView
from formats.dates import today
from formats.nhs import CFS_LABELS, format_nhs_number
from formats.numbers import record_id, whole_number
from models import REFERRAL_CRITERIA, AuditAction, Consent, DomainError, Locality, Patient, Referral, Sex, db
from services import audit
from services.forms import (
    ALREADY_SAVED,
    FormAlreadyUsed,
    Saved,
    check_form_token,
    new_form_token,
    remember_saved,
    use_form_token,
)
from services.patients import NAMED_GP_LENGTH, add_patient, find_patients, known_gps, set_named_gp
from services.referrals import CONSENT_DETAILS, REFERRAL_QUESTIONS, organisation_with_ods, record_referral
from web.forms import (
    AppForm,
    DateField,
    NamedGpField,
    YesNoField,
    not_in_future,
    plausible_date_of_birth,
    valid_nhs_number,
)


class ReferralForm(AppForm):
    """The intake form: the patient (chosen, or new) and the referral."""

    patient_id = HiddenField()
    #: One-time: the referral sent twice (a double click) is recorded once.
    form_token = HiddenField()
    nhs_number = StringField(
        "NHS number",
        validators=[Optional(), Length(max=13), valid_nhs_number],
        description="With or without spaces, e.g. 999 123 4567. Leave blank if not known.",
    )
    given_name = StringField("First name", validators=[Optional(), Length(max=100)])
    family_name = StringField("Surname", validators=[Optional(), Length(max=100)])
    date_of_birth = DateField("Date of birth", validators=[Optional(), plausible_date_of_birth])
    sex = SelectField("Sex", choices=Sex.choices(), default=Sex.unknown.value)
    postcode = StringField("Postcode", validators=[Optional(), Length(max=10)])
    gp_practice_ods = StringField("GP practice ODS code", validators=[Optional(), Length(max=10)])
    named_gp = NamedGpField(
        "Named GP",
        validators=[Optional(), Length(max=NAMED_GP_LENGTH)],
        known=known_gps,
        practice_field="gp_practice_ods",
        description="Pick from the practice's GPs, or type the name, e.g. Dr Anika Shah. The GP letter is addressed "
        "to them.",
    )
    cfs = SelectField(
        "Clinical Frailty Scale",
        choices=[("", "Not known")] + [(n, f"{n} {label}") for n, label in CFS_LABELS.items()],
        coerce=lambda value: whole_number(value, minimum=1, maximum=9) if value not in (None, "") else None,
        validate_choice=False,
    )

    def validate_cfs(self, field):
        if field.data is None and field.raw_data and field.raw_data[0]:
            raise ValidationError("Choose a Clinical Frailty Scale score from 1 to 9, or Not known.")

    long_term_conditions = TextAreaField(
        "Long-term conditions (one per line)", validators=[Optional(), Length(max=2000)]
    )

    locality_id = SelectField("Locality", coerce=record_id, validators=[DataRequired(message="Choose the locality.")])
    received_on = DateField("Received", validators=[DataRequired(message="Enter the date received."), not_in_future])
    referrer_name = StringField(
        "Referrer's name", validators=[DataRequired(message="Enter the referrer's name."), Length(max=200)]
    )
    referrer_role = StringField("Referrer's role", validators=[Optional(), Length(max=200)])
    referrer_ods = StringField("Referrer's organisation (ODS code)", validators=[Optional(), Length(max=10)])
    referrer_email = EmailField(
        "Referrer's email", validators=[Optional(), Email(message="Enter a valid email address."), Length(max=254)]
    )
    referrer_phone = StringField("Referrer's phone", validators=[Optional(), Length(max=40)])
    reason = TextAreaField(
        "Reason for referral", validators=[DataRequired(message="Enter the reason for referral."), Length(max=4000)]
    )
    question = TextAreaField("Question for the ILR", validators=[Optional(), Length(max=2000)])
    criteria_multiple_ltcs = BooleanField(REFERRAL_CRITERIA["criteria_multiple_ltcs"])
    criteria_complex_needs = BooleanField(REFERRAL_CRITERIA["criteria_complex_needs"])
    criteria_frailty = BooleanField(REFERRAL_CRITERIA["criteria_frailty"])
    criteria_multi_agency = BooleanField(REFERRAL_CRITERIA["criteria_multi_agency"])
    criteria_urgent_care = BooleanField(REFERRAL_CRITERIA["criteria_urgent_care"])
    consent = RadioField("Consent", choices=Consent.choices(), default=Consent.not_recorded.value)
    consent_by = StringField("Consent given by", validators=[Optional(), Length(max=200)])
    consent_on = DateField("Consent given on", validators=[Optional(), not_in_future])
    best_interests_reason = TextAreaField("Best-interests decision: the reason", validators=[Length(max=2000)])
    signposting_tried = TextAreaField("Signposting already tried", validators=[Optional(), Length(max=2000)])
    patient_aware = YesNoField("Does the patient know about the referral?")

    def validate_best_interests_reason(self, field):
        if self.consent.data == Consent.best_interests.value and not (field.data or "").strip():
            raise ValidationError("A best-interests decision needs its reason.")


class IntakeView(SecureView):
    """`/admin/intake/`: staff record referrals here."""

    roles = STAFF

    def _form(self) -> ReferralForm:
        form = ReferralForm()
        live = select(Locality).where(Locality.archived_at.is_(None)).order_by(Locality.name)
        form.locality_id.choices = [(locality.id, locality.name) for locality in db.session.scalars(live)]
        if not form.is_submitted():
            form.form_token.data = new_form_token()
            form.received_on.data = today()
            form.patient_id.data = request.args.get("patient_id", "")
        return form

    def _matches(self) -> tuple[list[Patient], str | None]:
        """Patients matching the search in the query string, and a message when the search is not usable."""
        number, surname, born = (
            request.args.get("nhs_number", ""),
            request.args.get("family_name", ""),
            request.args.get("date_of_birth", ""),
        )
        if not (number or surname or born):
            return [], None
        try:
            return find_patients(
                nhs_number=number or None,
                family_name=surname or None,
                date_of_birth=date.fromisoformat(born) if born else None,
            ), None
        except ValueError:
            return [], "Enter the date of birth as day, month and year."
        except DomainError as exc:
            return [], str(exc)

    def _chosen_patient(self, form) -> Patient | None:
        return in_scope(Patient, form.patient_id.data)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = self._form()
        try:
            return self._intake(form)
        except FormAlreadyUsed as used:  # sent twice (a double click): the first send's referral, not an error
            db.session.rollback()
            return self._already_saved(used.saved)

    def _intake(self, form: ReferralForm):
        matches, search_error = self._matches()
        if matches:
            detail = f"intake search {audit.describe_request_filters()} rows={len(matches)}"
            audit.record_patients_shown(AuditAction.list, [p.id for p in matches], table="patient", detail=detail)
        chosen = self._chosen_patient(form)
        if chosen is not None:
            form.named_gp.practice_id = chosen.gp_practice_id  # their practice's GPs only
            if not form.is_submitted():
                form.named_gp.data = chosen.named_gp
        if form.is_submitted():
            check_form_token(form.form_token.data)  # before the fields: a second send is answered with the first's
        if form.validate_on_submit():

            def record():
                used = use_form_token(form.form_token.data)
                if chosen is not None:
                    set_named_gp(chosen, form.named_gp.data, current_user)
                patient = chosen or self._new_patient(form)
                referral, others = record_referral(patient, **self._referral_fields(form))
                remember_saved(used, referral)
                return referral, others

            done = self.perform(record)
            if done:
                referral, others = done.value
                flash(f"Referral recorded for {referral.patient}.", "success")
                if others:
                    flash(
                        Markup(
                            "This patient already has an open referral ({}): check this one is not a duplicate."
                        ).format(", ".join(f"received {r.received_on:%d/%m/%Y}" for r in others)),
                        "warning",
                    )
                return redirect(url_for("triage.details_view", id=referral.id))
        elif form.is_submitted():
            flash("The referral was not saved: please correct the fields marked below.", "error")
        return self.render(
            "admin/intake.html",
            form=form,
            matches=matches,
            search_error=search_error,
            chosen=chosen,
            searched=bool(request.args),
            format_nhs_number=format_nhs_number,
        )

    def _already_saved(self, saved: Saved | None):
        """The referral the first send saved, calmly, with its link; else simply that nothing more was added."""
        referral = in_scope(Referral, saved.record_id) if saved and saved.table == Referral.__tablename__ else None
        if referral is None:
            flash(ALREADY_SAVED, "info")
            return redirect(url_for(".index"))
        url = url_for("triage.details_view", id=referral.id)
        flash(
            Markup('Already saved — <a href="{}">here is the referral</a> for {}.').format(url, referral.patient),
            "info",
        )
        return redirect(url)

    def _new_patient(self, form) -> Patient:
        """A new patient from the form (the service refuses one that already exists)."""
        conditions = (form.long_term_conditions.data or "").replace("\r\n", "\n").strip()
        return add_patient(
            given_name=form.given_name.data,
            family_name=form.family_name.data,
            date_of_birth=form.date_of_birth.data,
            by=current_user,
            nhs_number=form.nhs_number.data,
            sex=Sex(form.sex.data),
            postcode=(form.postcode.data or "").upper() or None,
            gp_practice=organisation_with_ods(form.gp_practice_ods.data, "GP practice"),
            named_gp=(form.named_gp.data or "").strip() or None,
            cfs=form.cfs.data,
            long_term_conditions=conditions or None,
        )

    def _referral_fields(self, form) -> dict:
        fields = {
            name: getattr(form, name).data
            for name in (
                "locality_id",
                "received_on",
                "referrer_name",
                "referrer_role",
                "referrer_email",
                "referrer_phone",
                *REFERRAL_QUESTIONS,
                *CONSENT_DETAILS,
            )
        }
        fields = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in fields.items()}
        return fields | {
            "consent": Consent(form.consent.data),
            "referrer_organisation": organisation_with_ods(form.referrer_ods.data, "referrer"),
        }


def register(admin) -> None:
    admin.add_view(IntakeView(name="New referral", category="Referrals", endpoint="intake", url="/admin/intake"))
