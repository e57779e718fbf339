"""Second-factor secrets encrypted at rest: the column holds Fernet tokens, code reads the secret as given; the
migration encrypts what was stored before; production refuses to run without the keys; keys rotate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from models import AuditEntry, User, db
from security.secret_box import SecretUnreadable
from tests.conftest import TOTP_SECRET, Client, base_config

FLASK = Path(sys.executable).with_name("flask")
ROOT = Path(__file__).resolve().parent.parent


def _stored(user_id: int) -> str:
    """The column's value as the database holds it."""
    return db.session.execute(text("SELECT totp_secret FROM user_account WHERE id = :id"), {"id": user_id}).scalar()


def _opens(token: str, *keys: str) -> str:
    return MultiFernet([Fernet(key) for key in keys]).decrypt(token.encode()).decode()


def test_the_secret_is_stored_encrypted_and_read_as_given(app, make_user):
    user = make_user()
    stored = _stored(user.id)
    assert TOTP_SECRET not in stored and len(stored) > 100
    assert _opens(stored, *app.config["ILR_SECRET_KEYS"]) == TOTP_SECRET
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == TOTP_SECRET
    Client(app.test_client()).sign_in(user)  # the code the app checks is made from the decrypted secret


def test_the_migration_encrypts_the_secrets_stored_before_it(app, make_user):
    user_id = make_user().id
    db.session.remove()  # the migration takes its own connection
    downgrade(revision="0015")
    try:
        assert _stored(user_id) == TOTP_SECRET  # as it was before: plain
        db.session.execute(text("UPDATE user_account SET totp_secret = 'KRUGS4ZANFZSAYJAONSWG4TFOQ' WHERE id = :id"),
                           {"id": user_id})  # fmt: skip
        db.session.commit()
    finally:
        db.session.remove()
        upgrade()
    assert _opens(_stored(user_id), *app.config["ILR_SECRET_KEYS"]) == "KRUGS4ZANFZSAYJAONSWG4TFOQ"
    assert db.session.get(User, user_id).totp_secret == "KRUGS4ZANFZSAYJAONSWG4TFOQ"


def test_rotation_writes_every_secret_with_the_new_key_and_the_old_one_can_go(app, make_user):
    users = [make_user(), make_user()]
    old = app.config["ILR_SECRET_KEYS"][0]
    new = Fernet.generate_key().decode()
    app.config["ILR_SECRET_KEYS"] = [new, old]
    result = app.test_cli_runner().invoke(args=["rotate-secret-keys"])
    assert result.exit_code == 0, result.output
    assert "2 second-factor secrets are now encrypted with the first key" in result.output
    for user in users:
        assert _opens(_stored(user.id), new) == TOTP_SECRET  # the new key alone opens it
    app.config["ILR_SECRET_KEYS"] = [new]
    db.session.expire_all()
    assert db.session.get(User, users[0].id).totp_secret == TOTP_SECRET
    Client(app.test_client()).sign_in(users[1])
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.table_name == "user_account")).all()
    rotated = [e for e in entries if e.reason and "rotate-secret-keys" in e.reason]
    assert sorted(e.record_id for e in rotated) == sorted(u.id for u in users)
    assert all(TOTP_SECRET not in (e.changes or "") and new not in (e.changes or "") for e in entries)


def test_a_missing_key_is_said_in_words(app, make_user):
    user = make_user()
    app.config["ILR_SECRET_KEYS"] = [Fernet.generate_key().decode()]
    db.session.expire_all()
    with pytest.raises(SecretUnreadable, match="the key it was written with is missing"):
        db.session.get(User, user.id).totp_secret  # noqa: B018 - reading it is the point


def _production_environment(tmp_path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "ILR_SECRET_KEYS"}
    return env | {"ILR_ENV": "production", "SECRET_KEY": "k", "MAIL_FROM": "ilr@nhs.net", "FLASK_APP": "app",
                  "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite'}"} | extra  # fmt: skip


@pytest.mark.parametrize("command", [["db", "upgrade"], ["create-user", "--help"], ["routes"]])
def test_production_refuses_to_run_without_the_keys(tmp_path, command):
    refused = subprocess.run([str(FLASK), *command], cwd=ROOT, env=_production_environment(tmp_path),
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode != 0 and "ILR_SECRET_KEYS must be set" in refused.stderr
    assert not (tmp_path / "production.sqlite").exists() or command != ["db", "upgrade"]


def test_production_runs_with_the_keys_and_refuses_a_malformed_one(app, another_app):
    config = base_config(app.config["SQLALCHEMY_DATABASE_URI"]) | {"ILR_ENV": "production", "MAIL_FROM": "x@nhs.net"}
    config.pop("TESTING")
    config["MEETING_ORGANISER"] = "ilr@nhs.net"
    with pytest.raises(RuntimeError, match="ILR_SECRET_KEYS must be set"):
        another_app(config)
    assert another_app(config | {"ILR_SECRET_KEYS": app.config["ILR_SECRET_KEYS"]}).config["ILR_SECRET_KEYS"]
    os.environ["ILR_SECRET_KEYS"] = "not-a-key"
    try:
        with pytest.raises(RuntimeError, match="Key 1 in ILR_SECRET_KEYS is not a Fernet key"):
            another_app(config)
    finally:
        del os.environ["ILR_SECRET_KEYS"]
