"""audit search: the audit trail's words in `audit_search` (one row per entry, made after the entry is written),
indexed as the other searches are (SQLite: the FTS5 table `audit_search_words`; PostgreSQL: a GIN index over
to_tsvector('simple', search_words))

A search of the trail's detail and reason read every entry with LIKE '%word%' (0.5 s over 270,000 entries, and the
trail only grows). The words are not written with each entry: a year's KPI workbook writes a hundred thousand
entries at once, and an FTS5 row each would add about 5 s to it. `services.search.index_trail` makes them for the
entries written since the last ones made: a search does so first (up to its limit), `flask seal-audit` after sealing.
Existing entries are not filled here: the first `flask seal-audit` after the upgrade makes their words.

On SQLite the FTS5 rows are written by `index_trail` with the words, not by an insert trigger as 0022's are: through
a trigger, 2,000 rows took 5 s on the 100,000-patient database (each row's FTS5 insert run as a statement of its
own), and written directly 10,000 took 0.07 s. A delete trigger keeps it in step when a row goes.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


#: As 0022's delete trigger (the rows are never updated).
DELETE_TRIGGER = (
    "CREATE TRIGGER audit_search_words_delete AFTER DELETE ON audit_search BEGIN "
    "INSERT INTO audit_search_words(audit_search_words, rowid, search_words) "
    "VALUES ('delete', old.id, old.search_words); END"
)


def upgrade():
    op.create_table(
        "audit_search",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("search_words", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["id"], ["audit_entry.id"], name=op.f("fk_audit_search_id_audit_entry")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_search")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_audit_search_words ON audit_search "
            "USING gin (to_tsvector('simple'::regconfig, search_words))"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE audit_search_words USING fts5(search_words, content='audit_search', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    op.execute(DELETE_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_audit_search_words")
    else:
        op.execute("DROP TRIGGER audit_search_words_delete")
        op.execute("DROP TABLE audit_search_words")
    op.drop_table("audit_search")
