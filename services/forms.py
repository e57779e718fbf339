"""One-time tokens on create forms: a form sent twice (a double click, a resent page) saves once and says so."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from models import DomainError, FormToken, db

ALREADY_SAVED = "This form was already sent and saved once (a double click or a resent page): nothing more was added."
EXPIRED = "This form is out of date: reload the page, then fill it in again."


def new_form_token() -> str:
    """A fresh token for a create form (nothing is stored until the form is saved)."""
    return secrets.token_urlsafe(24)


def form_token_used(token: str | None) -> bool:
    """Whether a create form's token has already been used (a second send of a saved form)."""
    token = (token or "").strip()
    return bool(token) and db.session.scalar(select(FormToken.id).where(FormToken.token == token)) is not None


def use_form_token(token: str | None) -> None:
    """Use up a create form's token in the save's own transaction; refused when missing or already used.

    The unique constraint stops two saves racing past the look-up: the second fails at flush, and is refused.
    """
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise DomainError(EXPIRED)
    if form_token_used(token):
        raise DomainError(ALREADY_SAVED)
    db.session.add(FormToken(token=token))
    db.session.flush()
