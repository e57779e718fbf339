"""The upkeep jobs as an operator runs them: deploy/backup.sh makes a checked copy, deploy/restore-drill.sh restores
it into a scratch database and finds it whole (head revision, seals intact), and `flask optimise-db` refreshes the
planner's statistics; on the test's own database, SQLite or PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from cli import SQLITE_OPTIMIZE_ALL_TABLES, optimise_statement
from models import db
from services.audit_seal import seal_audit
from services.unit_of_work import perform
from tests.conftest import USE_POSTGRES

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    environment = os.environ | {"ILR_ENV": "test", "SECRET_KEY": "upkeep-test", "FLASK_APP": "app",
                                "ILR_FLASK": str(Path(sys.executable).with_name("flask")), **env}  # fmt: skip
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / name), *args], env=environment, capture_output=True, text=True, check=False
    )


def _live_url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


def _drill_url(app) -> str:
    """A scratch database beside the test's own (PostgreSQL): ilr_load_drill_<the test database's name>."""
    server, _, name = _live_url(app).replace("+psycopg", "").rpartition("/")
    return f"{server}/ilr_load_drill_{name}"


def test_a_nightly_backup_restores_whole_in_the_drill(app, make_user, create_patient, tmp_path):
    create_patient(family_name="Nightingale")
    make_user()
    assert perform(seal_audit, say=False).ok
    db.session.commit()
    db.session.remove()  # the scripts see everything committed, and no lock of this session's is held

    backup = _script("backup.sh", env={"DATABASE_URL": _live_url(app), "ILR_BACKUP_DIR": str(tmp_path)})
    assert backup.returncode == 0, backup.stderr
    (copy,) = tmp_path.glob("ilr-*")
    assert copy.suffix == (".dump" if USE_POSTGRES else ".sqlite") and f"Backed up to {copy}" in backup.stdout
    assert oct(copy.stat().st_mode & 0o777) == oct(0o600)  # patient data: the owner alone

    drill = _script("restore-drill.sh", str(copy), env={"DATABASE_URL": _live_url(app),
                                                        "ILR_DRILL_DATABASE_URL": _drill_url(app)})  # fmt: skip
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "(head)" in drill.stdout and "sealed entries match their seals" in drill.stdout
    assert "  patient                 1 rows" in drill.stdout
    assert f"Restore drill passed: {copy} restores" in drill.stdout


def test_the_drill_refuses_a_copy_that_is_not_a_backup(app, tmp_path):
    broken = tmp_path / ("ilr-broken.dump" if USE_POSTGRES else "ilr-broken.sqlite")
    broken.write_bytes(b"not a database")
    drill = _script("restore-drill.sh", str(broken), env={"DATABASE_URL": _live_url(app),
                                                          "ILR_DRILL_DATABASE_URL": _drill_url(app)})  # fmt: skip
    assert drill.returncode != 0 and "Restore drill passed" not in drill.stdout


def test_optimise_db_refreshes_the_planner_statistics(app, create_patient):
    create_patient()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["optimise-db"])
    assert result.exit_code == 0, result.output
    if USE_POSTGRES:
        assert result.output == "Planner statistics refreshed (ANALYZE).\n"
        analysed = "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'patient'"
        assert db.session.scalar(text(analysed)) is not None
    else:
        assert "Planner statistics refreshed" in result.output
        assert db.session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'patient'")) > 0


def test_sqlite_346_and_later_weigh_every_table_from_a_fresh_connection():
    assert optimise_statement("postgresql", (3, 40, 1)) == "ANALYZE"
    assert optimise_statement("sqlite", (3, 40, 1)) == "ANALYZE"  # PRAGMA optimize would look at no table
    assert optimise_statement("sqlite", SQLITE_OPTIMIZE_ALL_TABLES) == "PRAGMA optimize=0x10002"
