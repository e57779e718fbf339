#!/usr/bin/env bash
# The restore drill (each quarter, and after any change to backups): restore a backup into a scratch database and
# prove it is the app's: the schema at the head revision, every audit seal still matching, rows in each main table.
# The live database is never touched.
#   deploy/restore-drill.sh /var/backups/ilr/ilr-2026-12-01T020000Z.dump
# PostgreSQL: the scratch database is ILR_DRILL_DATABASE_URL (default: database ilr_restore_drill on DATABASE_URL's
# server), made afresh and dropped at the end (the role needs CREATEDB: run it with owner.env's DATABASE_URL).
# SQLite: the copy is checked (flask verify-backup) and opened from a scratch file.
# Exits non-zero, saying why, when the backup is not usable.
set -euo pipefail
cd "$(dirname "$0")/.."
backup="${1:?usage: deploy/restore-drill.sh BACKUP_FILE}"
[ -r "$backup" ] || { echo "restore-drill.sh: cannot read $backup" >&2; exit 2; }
if [ -z "${DATABASE_URL:-}" ] && [ -r /etc/ilr/ilr.env ]; then
  set -a; . /etc/ilr/ilr.env; [ -r /etc/ilr/owner.env ] && . /etc/ilr/owner.env; set +a
fi
export FLASK_APP=app
flask="${ILR_FLASK:-.venv/bin/flask}"
python="$(dirname "$flask")/python"
scratch_dir="$(mktemp -d)"
cleanup() { rm -rf "$scratch_dir"; }
trap cleanup EXIT

case "$backup" in
  *.dump)
    : "${DATABASE_URL:?DATABASE_URL is not set (the server to restore on)}"
    live="postgresql://${DATABASE_URL#*://}"
    drill="${ILR_DRILL_DATABASE_URL:-${live%/*}/ilr_restore_drill}"
    drill="postgresql://${drill#*://}"
    name="${drill##*/}"
    maintenance="${drill%/*}/postgres"
    [ "$drill" != "$live" ] || { echo "restore-drill.sh: the scratch database is the live one" >&2; exit 2; }
    dropdb --if-exists --maintenance-db="$maintenance" "$name"
    createdb --maintenance-db="$maintenance" "$name"
    cleanup() { rm -rf "$scratch_dir"; dropdb --if-exists --maintenance-db="$maintenance" "$name"; }
    pg_restore --no-owner --exit-on-error --dbname="$drill" "$backup"
    export DATABASE_URL="$drill"
    ;;
  *.sqlite)
    "$flask" verify-backup "$backup"
    cp "$backup" "$scratch_dir/drill.sqlite"
    export DATABASE_URL="sqlite:///$scratch_dir/drill.sqlite"
    ;;
  *)
    echo "restore-drill.sh: a backup is ilr-*.dump (PostgreSQL) or ilr-*.sqlite" >&2
    exit 2
    ;;
esac

revision="$("$flask" db current 2>/dev/null | tail -n 1)"
case "$revision" in
  *"(head)"*) echo "Schema: $revision" ;;
  *) echo "restore-drill.sh: the restored schema is not at the app's head revision ($revision)" >&2; exit 1 ;;
esac
"$flask" verify-audit
"$python" - <<'PY'
import os

from sqlalchemy import create_engine, text

from app import database_url

engine = create_engine(database_url(os.environ["DATABASE_URL"]))
with engine.connect() as connection:
    for table in ("patient", "referral", "meeting", "action", "audit_entry", "user_account"):
        rows = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        print(f"  {table:<14} {rows:>10,} rows")
engine.dispose()
PY
echo "Restore drill passed: $backup restores, at the head revision, with its audit seals intact."
