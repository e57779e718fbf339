"""Sign-in and sign-out: Flask-Login with Flask-WTF forms, over server-side sessions (services/sessions.py).

Signing in takes two steps. The first proves who someone says they are: their email and password, or their
organisation's account (OpenID Connect, services/organisation_sign_in.py). The second is the second factor
(services/second_factor.py): a code from their authenticator app or a recovery code, or setting one up at
the first sign-in. Between the two, the (signed) cookie holds only a pending sign-in: which account, its
session token (a password reset in between voids it) and when; no session exists until the second step.
The organisation's own MFA stands in for the second step only when OIDC_TRUSTS_MFA is set.

The cookie carries only a session's random key; each request looks the session up, so ending it on the
server (sign-out, a password change, deactivation, the time-outs) signs that browser out at once.
"""

from __future__ import annotations

import time
import unicodedata
from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from joserfc.errors import JoseError
from requests import RequestException
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from formats.numbers import record_id
from models import DomainError, SignInMethod, User, db
from services.accounts import (
    check_dummy_password,
    record_failed_sign_in,
    record_first_step,
    record_sign_in,
    record_sign_out,
    upgrade_password_hash,
)
from services.organisation_sign_in import (
    ProviderSettings,
    account_for_identity,
    link_identity,
    record_refused_identity,
)
from services.second_factor import (
    begin_enrolment,
    confirm_enrolment,
    grouped_secret,
    qr_code,
    remaining_recovery_codes,
    verify_second_factor,
)
from services.sessions import end_session, live_session, seconds_until_allowed, start_session
from services.unit_of_work import perform

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "strong"
#: One sentence for an organisation sign-in that could not be completed, whatever the technical reason.
UNAVAILABLE = "Your organisation's sign-in did not complete. Please try again, or sign in with your password."
#: Authlib's name for the organisation's identity provider (one OAuth registry per app, in app.extensions).
PROVIDER = "organisation"


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


class CodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        validators=[
            DataRequired(message="Enter the six-digit code from your authenticator app, or a recovery code."),
            Length(max=40),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "text",
            "autocapitalize": "off",
            "spellcheck": "false",
        },
    )


#: Unicode categories never allowed in `next`: controls (ASCII 0-31 and 127, C1 such as U+0085), line and paragraph
#: separators (U+2028, U+2029).
UNSAFE_IN_NEXT = frozenset({"Cc", "Zl", "Zp"})
#: The cookie's record of a first step passed, waiting for the second factor.
PENDING_KEY = "pending_sign_in"
#: How long the second step may wait after the first.
PENDING_SECONDS = 10 * 60


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another host, and never one holding a control
    character or a line or paragraph separator (a redirect header cannot carry them: a 500, or a split header)."""
    default = url_for("admin.index")
    if not target or any(unicodedata.category(character) in UNSAFE_IN_NEXT for character in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def init_app(app) -> None:
    """Flask-Login, the sign-in pages, and the organisation's identity provider when one is configured."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
    oauth = OAuth(app)
    with app.app_context():
        settings = ProviderSettings.current()
    if settings is not None:
        if not settings.client_id or not settings.allowed_domains:
            raise RuntimeError("OIDC_ISSUER is set: set OIDC_CLIENT_ID and OIDC_ALLOWED_DOMAINS too.")
        oauth.register(
            PROVIDER,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile"},
        )

    @app.context_processor
    def organisation_sign_in():
        found = ProviderSettings.current() if request.blueprint == "auth" else None
        return {"organisation_sign_in": found.label if found else None}


def _provider():
    """Authlib's client for the configured identity provider (404 when organisation sign-in is off)."""
    if ProviderSettings.current() is None:
        abort(404)
    return current_app.extensions["authlib.integrations.flask_client"].create_client(PROVIDER)


def _await_second_factor(user: User, method: SignInMethod, next_url: str, identity: tuple | None = None):
    """The first step is passed: remember it in the cookie and ask for the second factor (or its set-up).
    `identity` is the provider's (issuer, subject), bound to the account only when the sign-in finishes."""
    session.clear()  # nothing from before signing in carries over, the CSRF token included
    session[PENDING_KEY] = {
        "user": user.id,
        "token": user.session_token,
        "at": time.time(),
        "method": method.value,
        "next": next_url,
        "identity": list(identity) if identity else None,
    }
    return redirect(url_for("auth.second_factor" if user.has_second_factor else "auth.enrol"))


def _pending() -> tuple[User, dict] | None:
    """The account whose first step was passed in this browser, within the time allowed, still as it was."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user_id = record_id(str(pending.get("user")))
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active or user.session_token != pending.get("token"):
        return None
    if user.last_sign_in_at is not None and user.last_sign_in_at.timestamp() > pending.get("at", 0):
        return None  # the account has signed in since: a copy of this half-done sign-in is worth nothing
    return user, pending


def _start_again():
    session.pop(PENDING_KEY, None)
    flash("Please sign in again: the sign-in was not finished in time, or the account has changed.", "error")
    return redirect(url_for("auth.login"))


def _finish_sign_in(user: User, method: SignInMethod, then=None, identity=None):
    """Both steps passed (or the provider's MFA trusted): a server-side session, the trail, the cookie.
    `then` runs first in the same unit of work (the code's check, or confirming enrolment), and the provider's
    `identity` is bound to the account with them. Returns the outcome."""
    address, agent = request.remote_addr, request.headers.get("User-Agent")

    def sign_in():
        extra = then() if then else None
        if identity:
            link_identity(user, *identity)
        key = start_session(user, address=address, user_agent=agent, method=method)
        record_sign_in(user)
        return key, extra

    done = perform(sign_in, say=False)
    if done:
        session.clear()  # the half-done sign-in and its CSRF token go: the signed-in session starts afresh
        session[SESSION_KEY] = done.value[0]
        login_user(user)
    return done


def _finish_pending(user: User, pending: dict, then):
    """Finish the sign-in the cookie's pending first step began (its method, and the provider's identity)."""
    return _finish_sign_in(user, SignInMethod(pending["method"]), then=then, identity=pending.get("identity"))


def _throttled(user: User | None, email: str):
    """The "too many attempts" answer when failures have piled up for this account or address, else None."""
    wait = seconds_until_allowed(user, email, request.remote_addr)
    if not wait:
        return None
    minutes = max(1, round(wait / 60))
    return render_template("auth/throttled.html", minutes=minutes), 429, {"Retry-After": str(wait)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalars(select(User).where(func.lower(User.email) == email)).first()
        refused = _throttled(user, email)
        if refused:
            return refused
        # The same work (a hash check) whether or not the account exists, so timing does not tell which do.
        right = user.check_password(form.password.data) if user else check_dummy_password(form.password.data)
        if user is None or not user.is_active or not right:
            # One message for every failure, so the page does not reveal which accounts exist.
            flash("The email address or password is not right, or the account is not active.", "error")
            perform(lambda: record_failed_sign_in(email, user), say=False)
        else:

            def first_step_passed():
                upgrade_password_hash(user, form.password.data)
                if not user.has_second_factor:
                    begin_enrolment(user)
                record_first_step(user, "password")

            done = perform(first_step_passed, say=False)
            if done:
                return _await_second_factor(user, SignInMethod.password, safe_next(request.args.get("next")))
            flash(done.message, "error")
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor():
    """The second step for an account with a second factor: a code from the app, or a recovery code."""
    if current_user.is_authenticated:  # back or reload after signing in
        return redirect(safe_next(None))
    found = _pending()
    if found is None:
        return _start_again()
    user, pending = found
    if not user.has_second_factor:
        return redirect(url_for("auth.enrol"))
    form = CodeForm()
    if form.validate_on_submit():
        refused = _throttled(user, user.email)
        if refused:
            return refused
        done = _finish_pending(user, pending, then=lambda: verify_second_factor(user, form.code.data))
        if done:
            if done.value[1] == "recovery code":
                flash(
                    f"You signed in with a recovery code; {remaining_recovery_codes(user)} of them are left. If your "
                    "phone is lost, ask the team lead to reset your second factor.",
                    "warning",
                )
            return redirect(pending["next"])
        form.code.errors.append(done.message)
        perform(lambda: record_failed_sign_in(user.email, user, why="Wrong or reused second-factor code"), say=False)
    return render_template("auth/second_factor.html", form=form, user=user)


@bp.route("/login/set-up", methods=["GET", "POST"])
def enrol():
    """The second step at the first sign-in: scan the QR code, type the first code, keep the recovery codes."""
    if current_user.is_authenticated:
        return redirect(safe_next(None))
    found = _pending()
    if found is None:
        return _start_again()
    user, pending = found
    if user.has_second_factor:
        return redirect(url_for("auth.second_factor"))
    if not user.totp_secret:  # reset between the two steps: begin again
        return _start_again()
    form = CodeForm()
    if form.validate_on_submit():
        done = _finish_pending(user, pending, then=lambda: confirm_enrolment(user, form.code.data))
        if done:
            return render_template("auth/recovery_codes.html", codes=done.value[1], next_url=pending["next"])
        form.code.errors.append(done.message)
    return render_template("auth/enrol.html", form=form, user=user, qr_code=qr_code(user), secret=grouped_secret(user))


@bp.route("/login/organisation")
def organisation_login():
    """Off to the organisation's identity provider (it returns to the callback below)."""
    client = _provider()
    session["after_sign_in"] = safe_next(request.args.get("next"))
    try:
        return client.authorize_redirect(url_for("auth.organisation_callback", _external=True))
    except RequestException as error:  # the provider's address (its metadata) cannot be reached
        current_app.logger.warning("organisation sign-in unavailable: %s", error)
        flash(UNAVAILABLE, "error")
        return redirect(url_for("auth.login"))


@bp.route("/login/organisation/callback")
def organisation_callback():
    """The provider's answer: a verified ID token names the person; the account is matched, then the second
    factor is asked for (unless the provider's MFA is trusted)."""
    client, settings = _provider(), ProviderSettings.current()
    next_url = session.pop("after_sign_in", None) or url_for("admin.index")
    try:
        token = client.authorize_access_token()
    except (OAuthError, JoseError, RequestException) as error:  # refused, forged or replayed; or unreachable
        current_app.logger.warning("organisation sign-in did not complete: %s", getattr(error, "error", error))
        flash(UNAVAILABLE, "error")
        return redirect(url_for("auth.login"))
    claims = dict(token.get("userinfo") or {})
    try:
        user, identity = account_for_identity(settings, claims)  # reads only
    except DomainError as refusal:
        why = str(refusal)
        perform(lambda: record_refused_identity(claims, why), say=False)
        flash(why, "error")
        return redirect(url_for("auth.login"))
    if settings.trusts_mfa:
        done = _finish_sign_in(user, SignInMethod.identity_provider, identity=identity)
        if done:
            return redirect(next_url)
    else:

        def first_step_passed():
            if not user.has_second_factor:
                begin_enrolment(user)
            record_first_step(user, "organisation")

        done = perform(first_step_passed, say=False)
        if done:
            return _await_second_factor(user, SignInMethod.identity_provider, next_url, identity)
    flash(done.message, "error")
    return redirect(url_for("auth.login"))


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
