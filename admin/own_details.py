"""Your details: the job title, team, telephone and secure email each person keeps for the letters they sign."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms import EmailField, StringField
from wtforms.validators import Email, Optional

from access import ALL_ROLES
from admin.base import SecureView
from models import User, db
from services.accounts import missing_details, signatory, update_own_details
from web.forms import AppForm, MaxLength


class OwnDetailsForm(AppForm):
    job_title = StringField(
        "Job title", validators=[MaxLength(200)], description="As it goes under your name, e.g. ILR coordinator."
    )
    team = StringField(
        "Team",
        validators=[MaxLength(200)],
        description="E.g. Medway North Integrated Locality Review team. Left blank: your organisation's name.",
    )
    phone = StringField(
        "Telephone", validators=[MaxLength(40)], description="A number a GP can reach you on, e.g. 01634 123456."
    )
    secure_email = EmailField(
        "Secure email",
        validators=[Optional(), Email(message="Enter a valid email address."), MaxLength(254)],
        description="Your nhs.net address, or another on a domain accredited for patient details.",
    )


class OwnDetailsView(SecureView):
    """`/admin/account/`: every signed-in person keeps their own details; letters they make are signed with them."""

    roles = ALL_ROLES

    @expose("/", methods=("GET", "POST"))
    def index(self):
        user = db.session.get(User, current_user.id)
        form = OwnDetailsForm(obj=user)
        if form.validate_on_submit():
            details = {name: form[name].data for name in ("job_title", "team", "phone", "secure_email")}
            if self.perform(lambda: update_own_details(user, details), "Your details are saved."):
                return redirect(url_for(".index"))
        elif form.is_submitted():
            flash("Your details were not saved: please correct the fields marked below.", "error")
        return self.render(
            "admin/own_details.html", form=form, user=user, signature=signatory(user), missing=missing_details(user)
        )


def register(admin) -> None:
    admin.add_view(
        OwnDetailsView(name="Your details", category="Your account", endpoint="account", url="/admin/account")
    )
