"""Sign-in and sign-out: Flask-Login with a Flask-WTF form, over server-side sessions (services/sessions.py).

The cookie carries only a session's random key; each request looks the session up, so ending it on the
server (sign-out, a password change, deactivation, the time-outs) signs that browser out at once.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from access import record_id
from models import User, db
from services.accounts import (
    check_dummy_password,
    record_failed_sign_in,
    record_sign_in,
    record_sign_out,
    upgrade_password_hash,
)
from services.sessions import end_session, live_session, seconds_until_allowed, start_session
from unit_of_work import perform

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The signed-in user, or None when the account is deactivated, or the cookie's session ended or timed out."""
    user_id, _, token = identity.partition(":")
    if record_id(user_id) is None:
        return None
    user = db.session.get(User, record_id(user_id))
    if user is None or not user.is_active or user.session_token != token:
        return None
    if live_session(session.get(SESSION_KEY), user.id) is None:
        return None
    return user


#: Where the server-side session's key is kept in the (signed) cookie.
SESSION_KEY = "sid"


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
        wait = seconds_until_allowed(user, email, request.remote_addr)
        if wait:
            minutes = max(1, round(wait / 60))
            return render_template("auth/throttled.html", minutes=minutes), 429, {"Retry-After": str(wait)}
        # The same work (a hash check) whether or not the account exists, so timing does not tell which do.
        right = user.check_password(form.password.data) if user else check_dummy_password(form.password.data)
        if user is None or not user.is_active or not right:
            # One message for every failure, so the page does not reveal which accounts exist.
            flash("The email address or password is not right, or the account is not active.", "error")
            perform(lambda: record_failed_sign_in(email, user), say=False)
        else:
            session.clear()  # nothing from before signing in carries over, the CSRF token included
            address, agent = request.remote_addr, request.headers.get("User-Agent")

            def sign_in():
                key = start_session(user, address=address, user_agent=agent)
                upgrade_password_hash(user, form.password.data)
                record_sign_in(user)
                return key

            done = perform(sign_in, say=False)
            if done:
                session[SESSION_KEY] = done.value
                login_user(user)
                return redirect(safe_next(request.args.get("next")))
            flash(done.message, "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    found = live_session(session.get(SESSION_KEY), current_user.id)

    def sign_out():
        if found is not None:
            end_session(found, "signed out")
        record_sign_out(current_user)

    perform(sign_out, say=False)
    logout_user()
    session.clear()  # a new CSRF token for whoever signs in next
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))
