"""Sign-in and sign-out (Flask-Login with a Flask-WTF form)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from models import User, db
from services.accounts import record_failed_sign_in, record_sign_in, record_sign_out
from unit_of_work import perform

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The signed-in user, or None when the account is deactivated or its sessions were revoked."""
    user_id, _, token = identity.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another host."""
    default = url_for("admin.index")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalars(select(User).where(func.lower(User.email) == email)).first()
        if user is None or not user.is_active or not user.check_password(form.password.data):
            # One message for every failure, so the page does not reveal which accounts exist.
            flash("The email address or password is not right, or the account is not active.", "error")
            perform(lambda: record_failed_sign_in(email, user), say=False)
        else:
            login_user(user)
            perform(lambda: record_sign_in(user), say=False)
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    perform(lambda: record_sign_out(current_user), say=False)
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))
