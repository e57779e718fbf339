"""Screens for the team lead: organisations and user accounts."""

from __future__ import annotations

import re
import secrets

from flask import flash
from flask_admin.actions import action
from flask_login import current_user
from wtforms import PasswordField, ValidationError
from wtforms.validators import Email, Length, Optional

import services
from access import TEAM_LEAD
from admin.base import SecureModelView
from models import Organisation, User, db

ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")


def _ods_code(form, field):
    if field.data:
        field.data = field.data.strip().upper()
        if not ODS_CODE.match(field.data):
            raise ValidationError("An ODS code is 3 to 10 letters and digits, for example G82001.")


class OrganisationView(SecureModelView):
    """Agencies, GP practices and the ILR team, by ODS code."""

    roles_archive = TEAM_LEAD
    column_list = ["name", "type", "ods_code", "secure_email", "updated_at"]
    column_labels = {"ods_code": "ODS code", "secure_email": "Secure email", "updated_at": "Last changed"}
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
    column_details_list = ["name", "type", "ods_code", "secure_email", "created_at", "updated_at", "archived_at"]


class UserView(SecureModelView):
    """Sign-in accounts: create, change role, deactivate, reset password."""

    roles_view = TEAM_LEAD
    roles_create = TEAM_LEAD
    roles_edit = TEAM_LEAD
    roles_export = TEAM_LEAD
    column_list = ["name", "email", "role", "organisation", "active", "last_sign_in_at"]
    column_labels = {"active": "Active", "last_sign_in_at": "Last signed in", "email": "Email"}
    column_searchable_list = ["name", "email"]
    column_filters = ["role", "active", "organisation.name"]
    column_default_sort = "name"
    column_details_list = ["name", "email", "role", "organisation", "active", "last_sign_in_at", "created_at"]
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
        model.email = model.email.strip().lower()
        password = form.new_password.data
        if is_created and not password:
            raise services.DomainError("Set a password for the new account (at least 12 characters).")
        if password:
            services.reset_password(model, password)
        if not is_created and model.id == current_user.id and not model.active:
            raise services.DomainError("You cannot deactivate your own account.")
        if not model.active:
            model.session_token = secrets.token_hex(16)

    @action("deactivate", "Deactivate", "Deactivate the selected accounts? They will not be able to sign in.")
    def action_deactivate(self, ids):
        users = self._rows_for_action(ids, False)
        try:
            for user in users:
                services.deactivate_user(user, by=current_user)
        except services.DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return
        db.session.commit()
        flash(f"{len(users)} account(s) deactivated.", "success")

    def is_action_allowed(self, name):
        if name == "deactivate":
            return self._allowed(TEAM_LEAD)
        return super().is_action_allowed(name)


def register(admin) -> None:
    admin.add_view(
        OrganisationView(Organisation, db, name="Organisations", category="Settings", endpoint="organisation")
    )
    admin.add_view(UserView(User, db, name="User accounts", category="Settings", endpoint="user"))
