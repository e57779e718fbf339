"""What the servers log about requests: the path, never a query string's values (a search by surname or NHS number
would land in the log); and one warning when a proxy's X-Forwarded-For is ignored because PROXY_COUNT is 0.

`flask run` (werkzeug) and gunicorn's access log both write the request line with its query string. The filter here
is put on both loggers by the app factory, so whatever format gunicorn is given the values are dropped; the
gunicorn configuration should still use `ACCESS_LOG_FORMAT`, which names no atom that holds a query.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, current_app, request

#: gunicorn's access-log format for this app (gunicorn.conf.py: `access_log_format = ACCESS_LOG_FORMAT`): the
#: client, the user (always "-": the app sets none), the time, method, path without its query (`U`), protocol,
#: status, bytes and milliseconds. Not `r` (the request line), `q` (the query), `f` (the referrer: another page's
#: address with its query), nor `{...}e` or `{...}i` atoms, which can hold either.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
#: The loggers that write request lines: werkzeug's (`flask run`) and gunicorn's access log.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access")
#: A query string in a logged value (a request line, a referrer): from "?" up to the next space (a space in a value
#: stays percent-encoded in both servers' lines; a quote may not).
_QUERY = re.compile(r"\?(\S*)")
#: A parameter name worth keeping (Flask-Admin's `flt0_3`, `search`, `page`); anything else is dropped too.
_NAME = re.compile(r"[A-Za-z_][\w.\-\[\]]{0,40}")
#: The once-per-app flag of the X-Forwarded-For warning (a test fixture clears it).
WARNED_KEY = "ilr_forwarded_for_warned"


def _names_only(match: re.Match) -> str:
    """`?search=Smith&page=2` becomes `?search=&page=`: which parameters were sent, none of their values."""
    names = (part.partition("=")[0] for part in match.group(1).split("&") if part)
    return "?" + "&".join(f"{name}=" if _NAME.fullmatch(name) else "-" for name in names)


def without_query_values(value):
    """A logged value with the values of any query string in it removed (other values as they are)."""
    return _QUERY.sub(_names_only, value) if isinstance(value, str) else value


class QueryValuesHidden(logging.Filter):
    """Drops query-string values from a request line: werkzeug's arguments (a tuple) or gunicorn's atoms (a dict)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            for key, value in list(record.args.items()):
                record.args[key] = "-" if key in ("q", "{query_string}e") else without_query_values(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(without_query_values(value) for value in record.args)
        return True


def hide_query_values() -> None:
    """Put the filter on the request loggers (once: building a second app adds no second copy)."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(found, QueryValuesHidden) for found in logger.filters):
            logger.addFilter(QueryValuesHidden())


def warn_about_ignored_proxy() -> None:
    """A request carrying X-Forwarded-For while PROXY_COUNT is 0: a proxy is in front but not believed, so every
    sign-in is counted against the proxy's address. Said once per app, as a warning."""
    if current_app.config["PROXY_COUNT"] or "X-Forwarded-For" not in request.headers:
        return
    if current_app.extensions.get(WARNED_KEY):
        return
    current_app.extensions[WARNED_KEY] = True
    current_app.logger.warning(
        "A request came with X-Forwarded-For but PROXY_COUNT is 0, so the proxy's own address is taken as the "
        "client's (sign-in throttling and the audit trail then see one address for everyone). Behind nginx or a "
        "load balancer set PROXY_COUNT to the number of proxies in front of the app."
    )


def init_app(app: Flask) -> None:
    """Request lines logged without query values, and the X-Forwarded-For warning."""
    hide_query_values()
    app.before_request(warn_about_ignored_proxy)
