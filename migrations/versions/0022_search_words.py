"""search words: every searched record keeps its words (case-folded, accents removed) in `search_words`, indexed by
each database its own way (SQLite FTS5 tables kept by triggers; PostgreSQL GIN over to_tsvector('simple', ...))

Searches of the long lists scanned every row with LIKE '%term%' (an action search 1 s at 100,000 patients). The
words of existing rows are made here, in batches, by this migration's own copy of services/search.py `words`.

A later migration that rebuilds one of these tables on SQLite (a batch operation that recreates it) drops its
triggers: it calls `search_triggers(table)` from this module to make them again.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 16:30:00
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

#: services/search.py WORDS when this migration was written: each table and the columns its words are made of.
TABLES = {
    "patient": ("family_name", "given_name", "nhs_number", "postcode"),
    "referral": ("referrer_name", "reason"),
    "triage_decision": ("reason_text", "redirected_to"),
    "agenda_item": ("outcome",),
    "action": ("description",),
    "action_chase": ("note", "sent_to"),
    "goal": ("description",),
    "onward_referral": ("service",),
    "safeguarding_concern": ("concern", "reference", "referred_to"),
    "hospital_event": ("hospital",),
    "collated_note": ("summary",),
    "contact_log": ("with_name", "summary"),
}
_WORD = re.compile(r"[^\W_]+")
BATCH = 5000


def words(*texts) -> str:
    plain = unicodedata.normalize("NFKD", " ".join(str(t) for t in texts if t))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return " ".join(_WORD.findall(plain))


def search_triggers(table: str) -> list[str]:
    """SQLite: the statements that keep `<table>_words` (an FTS5 table over `search_words`) in step with the table."""
    fts = f"{table}_words"
    return [
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_words) VALUES (new.id, new.search_words); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_words) VALUES ('delete', old.id, old.search_words); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_words ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_words) VALUES ('delete', old.id, old.search_words); "
        f"INSERT INTO {fts}(rowid, search_words) VALUES (new.id, new.search_words); END",
    ]


def _fill(bind, table: str, columns: tuple[str, ...]) -> None:
    """Each row's words, made in batches by id."""
    source = sa.table(table, sa.column("id"), sa.column("search_words"), *(sa.column(c) for c in columns))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(source.c.id, *(source.c[c] for c in columns))
            .where(source.c.id > last)
            .order_by(source.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            sa.update(source).where(source.c.id == sa.bindparam("key")).values(search_words=sa.bindparam("made")),
            [{"key": row[0], "made": words(*row[1:])} for row in rows],
        )
        last = rows[-1][0]


def upgrade():
    bind = op.get_bind()
    for table, columns in TABLES.items():
        op.add_column(table, sa.Column("search_words", sa.Text(), server_default="", nullable=False))
        _fill(bind, table, columns)
        if bind.dialect.name == "postgresql":
            op.execute(
                f"CREATE INDEX ix_{table}_words ON {table} USING gin (to_tsvector('simple'::regconfig, search_words))"
            )
        else:
            op.execute(
                f"CREATE VIRTUAL TABLE {table}_words USING fts5(search_words, content='{table}', content_rowid='id', "
                "tokenize='unicode61 remove_diacritics 0')"
            )
            op.execute(f"INSERT INTO {table}_words({table}_words) VALUES ('rebuild')")
            for statement in search_triggers(table):
                op.execute(statement)


def downgrade():
    bind = op.get_bind()
    for table in TABLES:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP INDEX ix_{table}_words")
        else:
            for kind in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {table}_words_{kind}")
            op.execute(f"DROP TABLE {table}_words")
        if bind.dialect.name == "postgresql":
            op.drop_column(table, "search_words")
        else:  # not a batch operation: recreating the table would drop its other triggers (the agreed goals')
            op.execute(f"ALTER TABLE {table} DROP COLUMN search_words")
