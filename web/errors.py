"""Error pages in the app's own layout (never Werkzeug's bare ones), and JSON for the pages' own scripts."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from models import db

log = logging.getLogger(__name__)

#: What each refusal says to a person: a title and what to do next.
PAGES: dict[int, tuple[str, str]] = {
    400: ("That request could not be read", "Something in what was sent was not right or the form had expired. "
          "Go back, reload the page and try again: nothing was saved."),
    403: ("Not available to your account", "Your role does not give access to this page or record. If you need "
          "it for your work, ask the ILR team lead."),
    404: ("Not found", "There is no such page or record, or it is not one your account can see. Check the link, "
          "or go back and search for it."),
    405: ("That cannot be done from here", "This address does not take that kind of request. Use the buttons on "
          "the page rather than typing the address."),
    413: ("Too large", "What was sent is larger than the tool accepts. Send a smaller file or less text."),
    429: ("Too many attempts", "Please wait a few minutes and try again."),
    500: ("Something went wrong", "The tool could not finish what you asked and nothing was saved. Please try "
          "again; the team has a record of the error."),
}  # fmt: skip


def error_page(error: HTTPException):
    """The app's page for an HTTP error; the pages' scripts (which ask for JSON) get JSON."""
    code = error.code or 500
    title, explanation = PAGES.get(code, (error.name, error.description or ""))
    if request.accept_mimetypes.best == "application/json":
        return jsonify(saved=False, message=f"{title}. {explanation}"), code
    return render_template("error.html", code=code, title=title, explanation=explanation), code


def crash_page(error: Exception):
    """An unexpected failure: rolled back, logged (without the request's data), and a plain page."""
    db.session.rollback()
    log.exception("Unexpected error on %s %s", request.method, request.path)
    return error_page(InternalServerError())


def init_app(app: Flask) -> None:
    for code in PAGES:
        app.register_error_handler(code, error_page)
    if not app.config.get("PROPAGATE_EXCEPTIONS") and not app.testing:
        app.register_error_handler(Exception, crash_page)
