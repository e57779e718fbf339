"""The triage queue: referrals awaiting a decision, highest priority first, decided one by one or in bulk."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectField, StringField, TextAreaField

from access import NOBODY, STAFF
from admin.base import SecureModelView, WrittenByWorkflow
from admin.formatters import patient_column, priority_column
from formats.dates import today
from formats.words import plural
from models import DeclineReason, DomainError, Patient, Referral, RiskBand, TriageOutcome, db
from services.referrals import OPEN_STATUSES, acceptance_gaps, triage_referral
from web.forms import AppForm


class TriageForm(AppForm):
    """A triage decision, from a referral's page or with the queue's bulk actions (whose outcome is the action)."""

    outcome = SelectField(choices=TriageOutcome.choices(), validate_choice=False)
    decline_reason = StringField()
    triage_text = TextAreaField()


def _days_waiting(view, context, model, name):
    return (today() - model.received_on).days


def _gaps(view, context, model, name):
    gaps = acceptance_gaps(model)
    if not gaps:
        return Markup('<span class="text-success">Ready to accept</span>')
    return (
        Markup('<ul class="ilr-flag list-unstyled mb-0">')
        + Markup("").join(Markup("<li>{}</li>").format(g) for g in gaps)
        + Markup("</ul>")
    )


class TriageQueueView(WrittenByWorkflow, SecureModelView):
    """Referrals awaiting triage or more information, by risk priority then age."""

    roles_restore = NOBODY  # archived referrals are the referral screen's business, not the queue's
    list_template = "admin/triage/queue.html"
    details_template = "admin/triage/referral.html"
    column_list = ["patient", "priority", "received_on", "days_waiting", "locality", "referrer_name", "reason", "gaps"]
    column_labels = {
        "patient.family_name": "Surname",
        "patient.nhs_number": "NHS number",
        "patient.risk_band": "Priority band",
        "locality.name": "Locality",
        "patient": "Patient",
        "priority": "Priority",
        "received_on": "Received",
        "days_waiting": "Days waiting",
        "locality": "Locality",
        "referrer_name": "Referrer",
        "reason": "Reason",
        "gaps": "Before acceptance",
    }
    column_formatters = {
        "patient": patient_column,
        "priority": priority_column,
        "days_waiting": _days_waiting,
        "gaps": _gaps,
    }
    column_sortable_list = [("priority", "patient.risk_score"), "received_on"]
    column_filters = ["patient.risk_band", "locality.name", "status", "received_on", "referrer_name"]
    column_searchable_list = ["referrer_name", "patient.family_name", "patient.nhs_number"]
    column_export_list = ["id", "received_on", "locality", "referrer_name", "status"]
    column_details_list = []

    def get_query(self):
        # Flask-Admin eager-loads patient and locality (they are list columns); this join is for ordering.
        return super().get_query().join(Referral.patient).filter(Referral.untriaged())

    def get_count_query(self):  # counted in the queue's own index (`ix_referral_untriaged`), no patient joined
        return super().get_count_query().filter(Referral.untriaged())

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is None:  # the default: highest priority, then longest waiting
            return query.order_by(Patient.risk_score.desc(), Referral.received_on, Referral.id), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)

    def get_one(self, id):
        row = super().get_one(id)
        if row is not None and row.status not in OPEN_STATUSES:
            return None  # decided referrals leave the queue; their record page shows them
        return row

    # --- decisions -----------------------------------------------------------------------------

    @property
    def can_triage(self) -> bool:
        return self._allowed(STAFF)

    def is_action_allowed(self, name: str) -> bool:
        if name.startswith("triage_"):
            return self.can_triage
        return super().is_action_allowed(name)

    def _bulk(self, ids, outcome: TriageOutcome):
        """Apply one decision to each selected referral; stop at the first refusal, saving none."""
        form = TriageForm()
        referrals = self.rows(ids)

        def decide_all():
            for referral in referrals:
                try:
                    triage_referral(
                        referral, current_user, outcome, reason=form.decline_reason.data, text=form.triage_text.data
                    )
                except DomainError as exc:
                    raise DomainError(f"Nothing was changed. Referral for {referral.patient}: {exc}") from None

        self.perform(decide_all, f"{plural(len(referrals), 'referral')}: {outcome.label.lower()}.")

    @action("triage_accept", "Accept", "Accept the selected referrals? Each opens an episode.")
    def action_accept(self, ids):
        self._bulk(ids, TriageOutcome.accept)

    @action("triage_decline", "Decline (reason below)", "Decline the selected referrals with the reason chosen?")
    def action_decline(self, ids):
        self._bulk(ids, TriageOutcome.decline)

    @action("triage_more_information", "Return for more information (say what below)")
    def action_more_information(self, ids):
        self._bulk(ids, TriageOutcome.more_information)

    @action("triage_advice_only", "Advice only (advice below)")
    def action_advice_only(self, ids):
        self._bulk(ids, TriageOutcome.advice_only)

    @action("triage_redirect", "Redirect (service below)")
    def action_redirect(self, ids):
        self._bulk(ids, TriageOutcome.redirect)

    @expose("/decide/", methods=("POST",))
    def decide(self):
        """One referral's decision, from its page."""
        if not self.can_triage:
            return self.inaccessible_callback("decide")
        referral = self.get_one(request.args.get("id", ""))
        if referral is None:
            flash("That referral is no longer awaiting triage.", "error")
            return redirect(url_for(".index_view"))
        form = TriageForm()
        if not form.validate() or form.outcome.data not in TriageOutcome._value2member_map_:
            flash("Choose a decision.", "error")
            return redirect(url_for(".details_view", id=referral.id))

        def decide():
            reason, text = form.decline_reason.data, form.triage_text.data
            triage_referral(referral, current_user, form.outcome.data, reason=reason, text=text)

        if self.perform(decide, lambda _: f"Referral for {referral.patient}: {referral.status.label.lower()}."):
            return redirect(url_for(".index_view"))
        return redirect(url_for(".details_view", id=referral.id))

    def render(self, template, **kwargs):
        kwargs.update(outcomes=TriageOutcome, decline_reasons=DeclineReason, bands=RiskBand, gaps_for=acceptance_gaps)
        return super().render(template, **kwargs)


def register(admin) -> None:
    admin.add_view(
        TriageQueueView(Referral, db, name="Triage queue", category="Referrals", endpoint="triage", url="/admin/triage")
    )
