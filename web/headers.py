"""Response hardening: a nonce-based Content-Security-Policy and the other security headers."""

from __future__ import annotations

import secrets

from flask import Flask, abort, current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from services.sessions import Timeouts


def csp_nonce() -> str:
    """This request's CSP nonce (the same value for every script and stylesheet on the page)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def set_security_headers(response):
    """Add the CSP and friends to every response; nothing signed-in is ever cached."""
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # same-origin: the browser sends our own pages as Referer (Flask-WTF's HTTPS check needs it) and Origin on posts.
    response.headers["Referrer-Policy"] = "same-origin"
    if current_app.config.get("HSTS"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint != "static" and not (request.endpoint or "").endswith(".static"):
        response.headers["Cache-Control"] = "no-store"
    return response


def refused_form(error: CSRFError):
    """A form whose token does not match: for an autosave whose session has ended, a plain "signed out" in JSON
    (so the page keeps the text and says why); anything else stays the plain 400 of a refused form."""
    if request.accept_mimetypes.best == "application/json" and not current_user.is_authenticated:
        return jsonify(saved=False, signed_out=True, message="not saved — signed out"), 401
    from web.errors import error_page  # the plain 400 page, in the app's layout

    return error_page(error)


#: Methods that change something: refused when they come from another site.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def refuse_cross_site_posts():
    """A form posted from another site is refused before anything reads it (on top of the CSRF token).

    Browsers say where a request comes from: `Sec-Fetch-Site`, and `Origin` on posts ("null" from some
    privacy settings and sandboxed frames, which the token still guards).
    """
    if request.method not in UNSAFE_METHODS:
        return None
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(403)
    origin = request.headers.get("Origin")
    if origin and origin != "null" and origin.rstrip("/") != request.host_url.rstrip("/"):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(refuse_cross_site_posts)
    app.after_request(set_security_headers)
    app.register_error_handler(CSRFError, refused_form)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["idle_seconds"] = lambda: int(Timeouts.current().idle.total_seconds())
