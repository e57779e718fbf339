"""One-time tokens on create forms: a form sent twice (a double click, a browser's retry) saves once, and the second
send is shown what the first one saved, calmly: it is not an error.

A screen's save uses the token up in its own transaction (`use_form_token`) and, once the new record has its id,
notes it on the token (`remember_saved`). A send whose token was used raises `FormAlreadyUsed`, carrying what was
saved; the screen answers with that record (`admin.forms.GuardedForms`, the New referral page).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import DomainError, FormToken, db

#: Said when the first send's record is not known (a token used before tokens noted what they saved).
ALREADY_SAVED = "Already saved: this form was sent twice (a double click or a resent page), and nothing more was added."
EXPIRED = "This form is out of date: reload the page, then fill it in again."


@dataclass(frozen=True)
class Saved:
    """What a form's first send saved: the record's table and id."""

    table: str
    record_id: int


class FormAlreadyUsed(Exception):
    """This create form was sent before, and its first send saved `saved` (None when that is not known).

    Not a refusal (no DomainError): the screen shows the saved record instead of the form.
    """

    def __init__(self, saved: Saved | None):
        super().__init__(ALREADY_SAVED)
        self.saved = saved


def new_form_token() -> str:
    """A fresh token for a create form (nothing is stored until the form is saved)."""
    return secrets.token_urlsafe(24)


def _used(token: str) -> FormToken | None:
    return db.session.scalars(select(FormToken).where(FormToken.token == token)).first()


def _already_used(found: FormToken | None) -> FormAlreadyUsed:
    known = found is not None and found.saved_table is not None and found.saved_id is not None
    return FormAlreadyUsed(Saved(found.saved_table, found.saved_id) if known else None)


def check_form_token(token: str | None) -> None:
    """Before a create form's fields are checked: FormAlreadyUsed when its token has been used (a second send)."""
    token = (token or "").strip()
    found = _used(token) if token else None
    if found is not None:
        raise _already_used(found)


def use_form_token(token: str | None) -> FormToken:
    """Use up a create form's token in the save's own transaction: refused (DomainError) when missing;
    FormAlreadyUsed when a send before this one used it.

    Two sends racing past the look-up meet the unique constraint: the second's insert, in a savepoint so its
    transaction lives on, waits for the first to commit and then fails, and is shown what the first one saved.
    """
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise DomainError(EXPIRED)
    check_form_token(token)
    used = FormToken(token=token)
    try:
        with db.session.begin_nested():
            db.session.add(used)
    except IntegrityError:
        raise _already_used(_used(token)) from None
    return used


def remember_saved(used: FormToken, record) -> None:
    """Note on the used token what its save made, so that a second send can be shown it."""
    db.session.flush()  # the record's id
    used.saved_table, used.saved_id = record.__tablename__, record.id


def kept_text_owner(user) -> str:
    """Whom a browser tab files kept text under (static/forms.js): the same person at every sign-in, and not their
    id (an HMAC of it under the app's secret key), so another person signing in on that tab cannot claim it."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"kept-text:{user.id}".encode(), hashlib.sha256).hexdigest()[:24]
