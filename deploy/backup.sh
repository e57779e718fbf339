#!/usr/bin/env bash
# Back up ILR Coordinator's database and check the copy (ilr-backup.service runs it nightly).
#   PostgreSQL: pg_dump in its custom format, then pg_restore --list proves the copy reads back.
#   SQLite:     flask backup (SQLite's online backup API), then flask verify-backup.
# A copy is named ilr-<UTC time>.dump (or .sqlite) and appears only once checked; copies older than
# ILR_BACKUP_KEEP_DAYS days (default 35) are deleted. The copies are patient data: keep ILR_BACKUP_DIR (default
# /var/backups/ilr) on encrypted storage, readable by the ilr user alone, and copy them off the machine.
# Rehearse a restore with deploy/restore-drill.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ] && [ -r /etc/ilr/ilr.env ]; then
  set -a; . /etc/ilr/ilr.env; [ -r /etc/ilr/owner.env ] && . /etc/ilr/owner.env; set +a
fi
: "${DATABASE_URL:?DATABASE_URL is not set}"
export FLASK_APP=app
flask="${ILR_FLASK:-.venv/bin/flask}"
dir="${ILR_BACKUP_DIR:-/var/backups/ilr}"
keep="${ILR_BACKUP_KEEP_DAYS:-35}"
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
umask 077
mkdir -p "$dir"

case "$DATABASE_URL" in
  postgres://* | postgresql://* | postgresql+psycopg://*)
    copy="$dir/ilr-$stamp.dump"
    # libpq takes postgresql://, not SQLAlchemy's postgresql+psycopg://
    pg_dump --format=custom --no-owner --dbname="postgresql://${DATABASE_URL#*://}" --file="$copy.partial"
    pg_restore --list "$copy.partial" >/dev/null
    ;;
  sqlite:*)
    copy="$dir/ilr-$stamp.sqlite"
    "$flask" backup "$copy.partial" >/dev/null
    "$flask" verify-backup "$copy.partial" >/dev/null
    rm -f "$copy.partial-wal" "$copy.partial-shm"  # left empty by the check (the copy keeps WAL mode)
    ;;
  *)
    echo "backup.sh: DATABASE_URL is neither PostgreSQL nor SQLite" >&2
    exit 2
    ;;
esac
mv "$copy.partial" "$copy"
find "$dir" -maxdepth 1 -type f -name 'ilr-*' -mtime "+$keep" -delete
echo "Backed up to $copy ($(du -h "$copy" | cut -f1))."
