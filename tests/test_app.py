"""The application factory, its configuration and the database set-up (both databases)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from app import create_app, database_url
from models import Organisation, OrganisationType, Role, db
from tests.conftest import USE_POSTGRES


def test_secret_key_is_required_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("ILR_ENV", "production")
    monkeypatch.setenv("ILR_SECRET_KEYS", Fernet.generate_key().decode())
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("MAIL_FROM", "medway.ilr@nhs.net")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"


@pytest.mark.parametrize("placeholder", [None, "ilr-coordinator@localhost", "ilr@example.org", "coordinator"])
def test_production_refuses_a_placeholder_meeting_organiser(monkeypatch, tmp_path, placeholder):
    """Invitations name their organiser: replies to a made-up address would go nowhere."""
    for name in ("MEETING_ORGANISER", "MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)
    config = {"ILR_ENV": "production", "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"}
    if placeholder:
        config["MEETING_ORGANISER"] = placeholder
    with pytest.raises(RuntimeError, match=r"Set MAIL_FROM \(or MEETING_ORGANISER\)"):
        create_app(config)
    assert create_app({**config, "ILR_ENV": "development"}).config["MEETING_ORGANISER"] == (
        placeholder or "ilr-coordinator@localhost"
    )


def test_the_meeting_organiser_defaults_to_the_sending_address(monkeypatch, tmp_path):
    monkeypatch.setenv("ILR_SECRET_KEYS", Fernet.generate_key().decode())
    monkeypatch.delenv("MEETING_ORGANISER", raising=False)
    monkeypatch.setenv("MAIL_FROM", "medway.ilr@nhs.net")
    config = {"ILR_ENV": "production", "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"}
    assert create_app(config).config["MEETING_ORGANISER"] == "medway.ilr@nhs.net"
    monkeypatch.setenv("MEETING_ORGANISER", "ilr.diary@nhs.net")
    assert create_app(config).config["MEETING_ORGANISER"] == "ilr.diary@nhs.net"


def test_database_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ILR_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("DATABASE_URL")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_test_config_overrides(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret-key"


def test_times_come_back_timezone_aware_in_utc(app):
    london = timezone(timedelta(hours=1))
    org = Organisation(name="Tz", type=OrganisationType.other, archived_at=datetime(2026, 6, 1, 12, 0, tzinfo=london))
    db.session.add(org)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Organisation, org.id)
    assert loaded.archived_at == datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    assert loaded.archived_at.utcoffset() == timedelta(0)
    assert loaded.created_at.tzinfo is not None


def test_naive_datetimes_are_london_wall_time(app):
    """What a person types (forms, filters) has no zone: it means London, BST or GMT as the date says."""
    summer = Organisation(name="Summer", type=OrganisationType.other, archived_at=datetime(2026, 7, 1, 9, 0))
    winter = Organisation(name="Winter", type=OrganisationType.other, archived_at=datetime(2026, 12, 1, 9, 0))
    db.session.add_all([summer, winter])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Organisation, summer.id).archived_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert db.session.get(Organisation, winter.id).archived_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_enums_are_stored_as_plain_strings(app, make_user):
    make_user(Role.team_lead)
    stored = db.session.execute(text("SELECT role FROM user_account")).scalar()
    assert stored == "team_lead"
    if USE_POSTGRES:
        column_type = db.session.execute(
            text(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = 'user_account' AND column_name = 'role'"
            )
        ).scalar()
        assert column_type == "character varying"
    else:
        declared = {row.name: row.type for row in db.session.execute(text("PRAGMA table_info(user_account)"))}
        assert declared["role"].startswith("VARCHAR"), declared["role"]


@pytest.mark.skipif(USE_POSTGRES, reason="SQLite settings")
def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(app):
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30_000


@pytest.mark.skipif(USE_POSTGRES, reason="SQLite settings")
def test_sqlite_foreign_keys_are_enforced(app):
    with pytest.raises(Exception, match="FOREIGN KEY"):
        db.session.execute(
            text(
                "INSERT INTO user_account (email, name, role, organisation_id, password_hash, session_token, active) "
                "VALUES ('x@y.z', 'X', 'coordinator', 999, 'h', 't', 1)"
            )
        )
        db.session.commit()
    db.session.rollback()


@pytest.mark.skipif(USE_POSTGRES, reason="SQLite locking")
def test_sqlite_read_then_write_waits_instead_of_failing(app):
    """Two transactions that each read then write: with BEGIN IMMEDIATE the second waits for the
    first rather than failing at once with "database is locked" (a deferred begin fails)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url)
    errors: list[Exception] = []
    first_has_read = threading.Event()

    def writer(name: str, hold: float):
        try:
            with engine.begin() as conn:
                conn.execute(text("SELECT count(*) FROM organisation")).scalar()
                if name == "first":
                    first_has_read.set()
                    threading.Event().wait(hold)
                else:
                    first_has_read.wait()
                conn.execute(text(f"INSERT INTO organisation (name, type) VALUES ('{name}', 'other')"))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=("first", 0.3)),
        threading.Thread(target=writer, args=("second", 0)),
    ]
    threads[0].start()
    first_has_read.wait(5)
    threads[1].start()
    for t in threads:
        t.join(10)
    engine.dispose()
    assert errors == []
    assert db.session.execute(text("SELECT count(*) FROM organisation WHERE name IN ('first', 'second')")).scalar() == 2


def test_home_redirects_to_the_admin(client):
    assert client.get("/").headers["Location"] == "/admin/"


def test_admin_home_requires_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
