"""Backups of the embedded SQLite database: a consistent copy while it is written, and a check of a copy.

(PostgreSQL is backed up with pg_dump; see README.md.)
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app

from models import db


def _sqlite_path() -> str:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise ValueError("flask backup copies the SQLite database; for PostgreSQL use pg_dump (see README.md).")
    return url.database


def backup_sqlite(target: str, progress=None) -> int:
    """Copy the live database with SQLite's online backup API (a consistent snapshot, writers carry on).
    `progress(done, total)` hears of the pages copied (the command's progress bar)."""
    source = sqlite3.connect(_sqlite_path(), timeout=30)
    destination = sqlite3.connect(target)
    copied = (lambda _status, remaining, total: progress(total - remaining, total)) if progress else None
    try:
        source.backup(destination, pages=1024, progress=copied)
        return destination.execute("PRAGMA page_count").fetchone()[0]
    finally:
        destination.close()
        source.close()


@dataclass(frozen=True)
class BackupReport:
    ok: bool
    message: str
    counts: dict[str, int]


def head_revision() -> str:
    """The schema revision this app's migrations end at."""
    config = Config()
    config.set_main_option("script_location", str(Path(current_app.extensions["migrate"].directory)))
    return ScriptDirectory.from_config(config).get_current_head()


def verify_backup(path: str) -> BackupReport:
    """SQLite's integrity check, the schema at this app's revision, and the row count of every table."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        listed = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        tables = [row[0] for row in connection.execute(listed)]
        counts = {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # nosec B608
    except sqlite3.DatabaseError as exc:
        return BackupReport(False, f"Not a usable backup: {exc}.", {})
    finally:
        connection.close()
    head = head_revision()
    problems = []
    if integrity != "ok":
        problems.append(f"integrity check says {integrity!r}")
    if revision is None or revision[0] != head:
        problems.append(f"schema revision {revision[0] if revision else 'none'}, this app is at {head}")
    if problems:
        return BackupReport(False, "The backup is NOT usable: " + "; ".join(problems) + ".", counts)
    return BackupReport(
        True, f"The backup is usable: integrity ok, schema revision {head}, {sum(counts.values()):,} rows.", counts
    )
