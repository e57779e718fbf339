"""open actions index: the open actions in due order, read from a partial index

The action list opens on the open actions in due order, and the overdue filter and the daily chase read them the
same way. At 100,000 patients 53,000 of 980,000 actions are open; walking every live action in due order to find
25 open ones (the old `ix_action_live_due`) took 0.6 s on PostgreSQL and 0.7 s on SQLite, as most old actions are
done. A partial index over the open, live actions alone answers a page in milliseconds. The old index goes: SQLite
preferred it to the partial one, and `ix_action_due_on` keeps the order of the whole list.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 17:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

#: As `models.meetings.OPEN_AND_LIVE` when written (a migration keeps its own copy: the model may change later).
OPEN_AND_LIVE = sa.text("status IN ('open', 'in_progress') AND archived_at IS NULL")


def upgrade():
    op.drop_index("ix_action_live_due", table_name="action")
    op.create_index(
        "ix_action_open_due",
        "action",
        ["due_on", "id"],
        sqlite_where=OPEN_AND_LIVE,
        postgresql_where=OPEN_AND_LIVE,
    )


def downgrade():
    op.drop_index("ix_action_open_due", table_name="action")
    op.create_index("ix_action_live_due", "action", ["archived_at", "due_on", "id"])
