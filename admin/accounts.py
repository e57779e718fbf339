"""Screens for the team lead: organisations, the secure email domains, user accounts and sign-in alerts."""

from __future__ import annotations

import re

from flask import current_app
from flask_admin.actions import action
from flask_login import current_user
from wtforms import PasswordField, ValidationError
from wtforms.validators import Email, Length, Optional, StopValidation

from access import NOBODY, TEAM_LEAD
from admin.base import SecureModelView, WrittenByWorkflow
from admin.work_filters import RuleFilter
from formats.words import plural
from models import Organisation, SecureDomain, SignInAlert, User, db
from services.accounts import awaiting_set_up, deactivate_user, update_account
from services.organisation_sign_in import unlink_identity
from services.second_factor import reset_second_factor
from services.sign_in_alerts import close_sign_in_alert, not_closed
from web.forms import unique

ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")
#: Labels of letters, digits and hyphens between dots: what an email address may end with.
DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
#: What the team lead must know before adding a domain (DESIGN.md §2).
BY_DOMAIN = (
    "Accreditation to the NHS secure email standard (DCB1596) is by domain, never by organisation: "
    "a personal address at an accredited organisation on another domain does not pass."
)


def _ods_code(form, field):
    if field.data:
        field.data = field.data.strip().upper()
        if not ODS_CODE.match(field.data):
            raise ValidationError("An ODS code is 3 to 10 letters and digits, for example G82001.")


def _lower_stripped(value):
    return value.strip().lower() if isinstance(value, str) else value


def _email_domain(form, field):
    """What follows the "@" of an address, and not already passing through the configured allow-list."""
    domain = field.data or ""
    if not domain:
        raise StopValidation("Enter a domain, for example medway.gov.uk.")
    if "@" in domain:
        raise StopValidation('Enter the domain only, without "@" or anything before it: for example medway.gov.uk.')
    if any(character.isspace() for character in domain):
        raise StopValidation("A domain has no spaces.")
    if "." not in domain:
        raise StopValidation("A domain has at least one dot, for example medway.gov.uk.")
    if not DOMAIN.match(domain):
        raise StopValidation("A domain is letters, digits and hyphens between dots, for example medway.gov.uk.")
    if domain in current_app.config.get("SECURE_EMAIL_DOMAINS", ()):
        raise StopValidation(f"{domain} is on the configured allow-list already: its addresses pass.")


class OrganisationView(SecureModelView):
    """Agencies, GP practices and the ILR team, by ODS code."""

    roles_archive = TEAM_LEAD
    column_list = ["name", "type", "ods_code", "secure_email", "updated_at"]
    column_labels = {"ods_code": "ODS code", "secure_email": "Secure email"}
    column_searchable_list = ["name", "ods_code"]
    column_filters = ["type", "name", "ods_code"]
    column_default_sort = "name"
    form_columns = ["name", "type", "ods_code", "secure_email"]
    form_args = {
        "name": {"validators": [Length(min=1, max=200)]},
        "ods_code": {"label": "ODS code", "validators": [Optional(), _ods_code]},
        "secure_email": {
            "label": "Secure email",
            "description": "The agency's secure mailbox (for example an nhs.net address).",
            "validators": [Optional(), Email(message="Enter a valid email address."), Length(max=254)],
        },
    }


class SecureDomainView(SecureModelView):
    """The email domains the team lead has recorded as accredited for patient data, with their subdomains."""

    roles_create = TEAM_LEAD
    roles_edit = TEAM_LEAD
    roles_archive = TEAM_LEAD
    column_list = ["domain", "note", "updated_at"]
    column_labels = {"domain": "Domain", "note": "Whose domain, and how accreditation was checked"}
    column_descriptions = {
        "domain": f"As email addresses end, for example medway.gov.uk (its subdomains pass too). {BY_DOMAIN}",
        "note": "The organisation whose domain it is, and how its DCB1596 accreditation was checked: where, by whom.",
    }
    column_searchable_list = ["domain", "note"]
    column_filters = ["domain"]
    column_default_sort = "domain"
    form_columns = ["domain", "note"]
    form_textareas = ("note",)
    form_args = {
        "domain": {
            "filters": [_lower_stripped],
            "validators": [
                _email_domain,
                unique(SecureDomain, "domain", "This domain is already listed (if archived, restore it instead)."),
            ],
        }
    }


class UserView(SecureModelView):
    """Sign-in accounts: create, change role, deactivate, reset password."""

    roles_view = TEAM_LEAD
    roles_create = TEAM_LEAD
    roles_edit = TEAM_LEAD
    roles_export = TEAM_LEAD
    column_list = ["name", "email", "role", "organisation", "active", "totp_enrolled_at", "last_sign_in_at"]
    column_labels = {
        "active": "Active",
        "last_sign_in_at": "Last signed in",
        "email": "Email",
        "totp_enrolled_at": "Second factor set up",
        "oidc_subject": "Organisation sign-in linked",
    }
    column_formatters = {"oidc_subject": lambda view, context, model, name: "Yes" if model.oidc_subject else "No"}
    column_searchable_list = ["name", "email"]
    column_filters = [
        "role",
        "active",
        "organisation.name",
        RuleFilter(User.last_sign_in_at, "Awaiting set-up", awaiting_set_up),
    ]
    column_default_sort = "name"
    column_details_list = [
        "name", "email", "role", "organisation", "active", "totp_enrolled_at", "oidc_subject", "last_sign_in_at",
        "created_at",
    ]  # fmt: skip
    column_export_list = ["name", "email", "role", "organisation", "active", "last_sign_in_at"]
    form_columns = ["name", "email", "role", "organisation", "active", "new_password"]
    form_extra_fields = {
        "new_password": PasswordField(
            "New password",
            description="At least 12 characters. Leave blank to keep the current password.",
            render_kw={"autocomplete": "new-password"},
        )
    }
    form_args = {
        "email": {"validators": [Email(message="Enter a valid email address."), Length(max=254)]},
        "name": {"validators": [Length(min=1, max=200)]},
    }
    form_ajax_refs = {"organisation": {"fields": ["name", "ods_code"], "page_size": 20}}

    def on_model_change(self, form, model, is_created):
        update_account(model, current_user, is_new=is_created, new_password=form.new_password.data)

    @action("deactivate", "Deactivate", "Deactivate the selected accounts? They will not be able to sign in.")
    def action_deactivate(self, ids):
        users = self.rows(ids)

        def deactivate_all():
            for user in users:
                deactivate_user(user, by=current_user)
            return len(users)

        self.perform(deactivate_all, lambda n: f"{plural(n, 'account')} deactivated.")

    @action(
        "reset_second_factor",
        "Reset second factor",
        "Reset the second factor of the selected accounts? They are signed out and set up a new authenticator app "
        "at their next sign-in.",
    )
    def action_reset_second_factor(self, ids):
        users = self.rows(ids)

        def reset_all():
            with_factor = [user for user in users if user.totp_secret]
            for user in with_factor:
                reset_second_factor(user, by=current_user)
            return len(with_factor), len(users) - len(with_factor)

        self.perform(
            reset_all,
            lambda n: (
                f"Second factor reset for {plural(n[0], 'account')}: they set up a new one at next sign-in."
                + (f" {n[1]} had none to reset." if n[1] else "")
            ),
        )

    @action(
        "unlink_organisation_sign_in",
        "Unlink organisation sign-in",
        "Unlink the organisation sign-in of the selected accounts? They are signed out; the next sign-in through "
        "the organisation matches them by email again.",
    )
    def action_unlink_organisation_sign_in(self, ids):
        users = self.rows(ids)

        def unlink_all():
            for user in users:
                unlink_identity(user, by=current_user)
            return len(users)

        self.perform(unlink_all, lambda n: f"Organisation sign-in unlinked for {plural(n, 'account')}.")

    def is_action_allowed(self, name):
        if name in ("deactivate", "reset_second_factor", "unlink_organisation_sign_in"):
            return self._allowed(TEAM_LEAD)
        return super().is_action_allowed(name)


class SignInAlertView(WrittenByWorkflow, SecureModelView):
    """Failed sign-ins far past a person's mistakes, for one account (services/sign_in_alerts.py): the team lead
    looks into each (speaks to the account's holder, resets what needs resetting) and closes it."""

    roles_view = TEAM_LEAD
    roles_export = NOBODY

    column_list = ["created_at", "user", "failures", "addresses", "closed_at", "closed_by"]
    column_labels = {
        "created_at": "Raised",
        "user": "Account",
        "user.name": "Account",
        "failures": "Failed sign-ins in 15 minutes",
        "addresses": "From how many addresses",
        "closed_at": "Closed",
        "closed_by": "Closed by",
    }
    column_filters = ["created_at", "closed_at", "user.name", RuleFilter(SignInAlert.closed_at, "Open", not_closed)]
    column_default_sort = [("created_at", True), ("id", True)]
    column_details_list = column_list

    @action("close", "Close", "Close the selected sign-in alerts? Say so only once you have looked into them.")
    def action_close(self, ids):
        alerts = [alert for alert in self.rows(ids) if alert.closed_at is None]

        def close_all():
            for alert in alerts:
                close_sign_in_alert(alert, by=current_user)
            return len(alerts)

        self.perform(close_all, lambda n: f"{plural(n, 'sign-in alert')} closed.")

    def is_action_allowed(self, name):
        if name == "close":
            return self._allowed(TEAM_LEAD)
        return super().is_action_allowed(name)


def register(admin) -> None:
    admin.add_view(
        OrganisationView(Organisation, db, name="Organisations", category="Administration", endpoint="organisation")
    )
    admin.add_view(
        SecureDomainView(
            SecureDomain, db, name="Secure email domains", category="Administration", endpoint="secure_domain"
        )
    )
    admin.add_view(UserView(User, db, name="User accounts", category="Administration", endpoint="user"))
    admin.add_view(
        SignInAlertView(SignInAlert, db, name="Sign-in alerts", category="Administration", endpoint="sign_in_alert")
    )
