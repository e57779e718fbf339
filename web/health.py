"""`/health` for the load balancer: 200 when the database answers `SELECT 1`, 503 when it does not.

Open to anyone and deliberately empty: no sign-in, no session, no audit entry, no patient data (the answer is
one word). It borrows a raw connection from the pool rather than the request's session, so on SQLite it never
begins a transaction (every transaction there takes the write lock: models/base.py) and never waits behind one.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from models import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def database_answers() -> bool:
    """True when the database returns `SELECT 1` on a connection from the pool."""
    refusals = (SQLAlchemyError, db.engine.dialect.loaded_dbapi.Error)  # the pool's and the driver's own errors
    try:
        connection = db.engine.raw_connection()
    except refusals as exc:
        log.warning("Health check: no connection to the database (%s)", type(exc).__name__)
        return False
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1
    except refusals as exc:
        log.warning("Health check: the database did not answer (%s)", type(exc).__name__)
        connection.invalidate()  # a connection that failed is not handed to the next request
        return False
    finally:
        connection.close()


@bp.route("/health")
def health():
    """ "ok" (200) or "unavailable" (503), as plain text, never cached."""
    if database_answers():
        return Response("ok\n", status=200, mimetype="text/plain")
    return Response("unavailable\n", status=503, mimetype="text/plain")
