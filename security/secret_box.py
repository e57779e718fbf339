"""Secrets kept encrypted at rest (the second factor's TOTP secrets): Fernet from `cryptography`, with MultiFernet so
several keys read while the first one writes (a key rotation: add the new key in front, run
`flask rotate-secret-keys`, then drop the old one).

The keys come from ILR_SECRET_KEYS (comma-separated Fernet keys); in development and tests, when it is not set, from a
key kept in instance/ (like the development SECRET_KEY); anywhere else the app refuses to start without it.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context

#: The environment variable holding the keys, newest first.
KEYS_VARIABLE = "ILR_SECRET_KEYS"
#: Where development and tests keep a key of their own when ILR_SECRET_KEYS is not set.
DEV_KEY_FILE = "dev_secret_keys"


class SecretUnreadable(RuntimeError):
    """A stored secret none of the configured keys opens: ILR_SECRET_KEYS lacks the key it was written with."""


def parse_keys(given: str | None) -> list[str]:
    """The keys in a comma-separated list (blanks ignored), each checked to be a Fernet key."""
    keys = [key.strip() for key in (given or "").split(",") if key.strip()]
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise RuntimeError(
                f"Key {number} in {KEYS_VARIABLE} is not a Fernet key (32 bytes, url-safe base64): make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
            ) from None
    return keys


def development_keys(instance: Path) -> list[str]:
    """A key kept in instance/ for development and tests (made on first use, readable by its owner only)."""
    key_file = instance / DEV_KEY_FILE
    if not key_file.exists():
        key_file.write_text(Fernet.generate_key().decode())
        key_file.chmod(0o600)
    return parse_keys(key_file.read_text())


def configured_keys(environment_is_development: bool, instance: Path) -> list[str]:
    """The keys for this app: ILR_SECRET_KEYS, else (development and tests only) the key in instance/."""
    keys = parse_keys(os.environ.get(KEYS_VARIABLE))
    if keys:
        return keys
    if not environment_is_development:
        raise RuntimeError(
            f"{KEYS_VARIABLE} must be set (ILR_ENV is not development or test): the second factor's secrets are "
            "encrypted with it. See README, Security model."
        )
    return development_keys(instance)


@cache
def _box(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def box() -> MultiFernet:
    """The keys of the running app (the first writes, all read)."""
    if not has_app_context():
        raise RuntimeError("Secrets are encrypted with the app's keys: use them inside an app context.")
    return _box(tuple(current_app.config["ILR_SECRET_KEYS"]))


def encrypt(plain: str) -> str:
    return box().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return box().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            f"A stored secret cannot be opened with the keys in {KEYS_VARIABLE}: the key it was written with is "
            "missing (restore it, first or after the new one)."
        ) from None
