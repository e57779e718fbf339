"""ILR Coordinator: the application factory and its configuration from the environment (commands: cli.py)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, redirect, url_for
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from admin import PERSONAL, register_views
from admin.base import SecureIndexView
from admin.listing import counted
from admin.words import own_words
from cli import register_commands
from formats import dates, nhs
from formats.numbers import RecordIdConverter
from formats.words import plural
from models import db, install_sqlite_pragmas
from security import secret_box
from services import audit, forms
from web import action_links, auth, availability, errors, headers, health, request_logs

csrf = CSRFProtect()
migrate = Migrate()

#: Environments where a missing SECRET_KEY may be generated rather than refused.
DEV_ENVIRONMENTS = {"development", "test"}
#: The sending address until MAIL_FROM is set: fine on a laptop, refused in production.
PLACEHOLDER_SENDER = "ilr-coordinator@localhost"


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common `postgres://` forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(app: Flask, config: dict | None) -> None:
    """Configuration from the environment, then `config` (tests) on top."""
    env = os.environ.get("ILR_ENV", "production")
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(
        ILR_ENV=env,
        SQLALCHEMY_DATABASE_URI=database_url(os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'ilr.sqlite'}")),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        #: Proxies in front of the app (a load balancer, nginx): their X-Forwarded-* headers are believed.
        PROXY_COUNT=int(os.environ.get("PROXY_COUNT", "0")),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # A long meeting must not lose a form: the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        SECURE_EMAIL_DOMAINS=[
            d.strip().lower() for d in os.environ.get("SECURE_EMAIL_DOMAINS", "nhs.net").split(",") if d.strip()
        ],
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        #: A refused statement's values (an NHS number, a surname) never reach the log with its SQL.
        SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": True},
        #: Where members reach the tool: links in emails are built on it.
        PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        #: Sign-in with the organisation's account (OpenID Connect: NHSmail, Entra ID); off unless OIDC_ISSUER is set.
        OIDC_ISSUER=os.environ.get("OIDC_ISSUER", ""),
        OIDC_CLIENT_ID=os.environ.get("OIDC_CLIENT_ID", ""),
        OIDC_CLIENT_SECRET=os.environ.get("OIDC_CLIENT_SECRET", ""),
        OIDC_ALLOWED_DOMAINS=[
            d.strip().lower() for d in os.environ.get("OIDC_ALLOWED_DOMAINS", "").split(",") if d.strip()
        ],
        #: The provider's MFA stands in for the local second factor only when this is set (Entra v2 has no `amr`).
        OIDC_TRUSTS_MFA=os.environ.get("OIDC_TRUSTS_MFA") == "1",
        #: Every address the provider gives is its own directory's, so verified (Entra sends no email_verified).
        OIDC_EMAILS_VERIFIED=os.environ.get("OIDC_EMAILS_VERIFIED") == "1",
        OIDC_LABEL=os.environ.get("OIDC_LABEL", ""),
        #: The ORGANIZER of calendar invitations: replies and declines go to it, so by default the sending address.
        MEETING_ORGANISER=os.environ.get("MEETING_ORGANISER") or os.environ.get("MAIL_FROM") or PLACEHOLDER_SENDER,
    )
    if config:
        app.config.update(config)
    _transport(app, config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _dev_secret_key(app, instance)
    _require_organiser(app)
    if not app.config.get("ILR_SECRET_KEYS"):
        # The second factor's secrets are encrypted with these: no app, command or migration runs without them.
        in_development = app.config["ILR_ENV"] in DEV_ENVIRONMENTS or bool(app.config.get("TESTING"))
        app.config["ILR_SECRET_KEYS"] = secret_box.configured_keys(in_development, instance)


def _transport(app: Flask, given: dict) -> None:
    """Over HTTPS, cookies are Secure with the __Host- prefix (this host only, path /) and HSTS is sent.

    `given` (a test's config) may set any of these itself.
    """
    if "ALLOW_HTTP" not in given:
        # Plain http is for development and tests, or when ALLOW_HTTP=1 is set on purpose (`make run` does).
        allowed = app.config["ILR_ENV"] in DEV_ENVIRONMENTS or os.environ.get("ALLOW_HTTP") == "1"
        app.config["ALLOW_HTTP"] = allowed
    secure = not app.config["ALLOW_HTTP"]
    for key, value in (("SESSION_COOKIE_SECURE", secure), ("REMEMBER_COOKIE_SECURE", secure), ("HSTS", secure)):
        if key not in given:
            app.config[key] = value
    if app.config["SESSION_COOKIE_SECURE"] and "SESSION_COOKIE_NAME" not in given:
        app.config["SESSION_COOKIE_NAME"], app.config["SESSION_COOKIE_PATH"] = "__Host-session", "/"


def _require_organiser(app: Flask) -> None:
    """Outside development and tests, refuse to start while invitations would name a placeholder organiser."""
    organiser = app.config.get("MEETING_ORGANISER")
    if app.config["ILR_ENV"] not in DEV_ENVIRONMENTS and is_placeholder_address(organiser):
        raise RuntimeError(
            f"Set MAIL_FROM (or MEETING_ORGANISER) to the mailbox invitations come from: {organiser!r} is a "
            "placeholder that calendars cannot reply to (ILR_ENV is not development or test)."
        )


def is_placeholder_address(address: str | None) -> bool:
    """No mailbox, or one at localhost or an example.* domain: nobody would receive replies to it."""
    mailbox, at, domain = (address or "").strip().rpartition("@")
    domain = domain.lower()
    return not (mailbox and at) or domain in ("", "localhost") or domain.startswith("example.")


def _dev_secret_key(app: Flask, instance: Path) -> str:
    """In development and tests, a random key kept in instance/; anywhere else, refuse to start."""
    if app.config["ILR_ENV"] not in DEV_ENVIRONMENTS and not app.config.get("TESTING"):
        raise RuntimeError("SECRET_KEY must be set (ILR_ENV is not development or test).")
    key_file = instance / "dev_secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def create_app(config: dict | None = None) -> Flask:
    """Build the application: config, extensions, screens, commands."""
    app = Flask(__name__)
    app.url_map.converters["int"] = RecordIdConverter  # before any route is added
    load_config(app, config)

    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)
    db.init_app(app)
    install_sqlite_pragmas()
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    auth.init_app(app)
    app.register_blueprint(availability.bp)
    app.register_blueprint(action_links.bp)
    app.register_blueprint(health.bp)
    app.jinja_env.filters.update(
        ukdate=dates.format_date,
        ukdatetime=dates.format_datetime,
        ukslot=dates.format_slot,
        nhs=nhs.format_nhs_number,
        plural=plural,
        counted=counted,
        own_words=own_words,
    )
    headers.init_app(app)
    app.jinja_env.globals["kept_text_owner"] = forms.kept_text_owner  # <body data-person>: static/forms.js
    app.jinja_env.globals["personal_menu"] = PERSONAL  # the header's menu under the person's name
    request_logs.init_app(app)
    errors.init_app(app)
    audit.init_app(app)

    admin = Admin(
        app,
        name="ILR Coordinator",
        theme=Bootstrap4Theme(swatch="default", base_template="ilr/base.html", fluid=True),
        index_view=SecureIndexView(name="Home", url="/admin"),
        csp_nonce_generator=headers.csp_nonce,
    )
    register_views(admin)

    @app.route("/")
    def home():
        return redirect(url_for("admin.index"))

    register_commands(app)
    return app
