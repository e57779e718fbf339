"""caseload order for PostgreSQL: `ix_episode_caseload_open`, partial over the live open cases, their order leading

`ix_episode_caseload` (0027) begins with `closed_on` and `archived_at`, both asked to be NULL. SQLite reads such an
index in the columns' order after them; PostgreSQL does not (an `IS NULL` is not an equality for it), so it read all
19,000 open cases at 100,000 patients and sorted them for each page of the caseload board (22 ms of the page). This
index holds only the live open cases, with the board's order first and the columns its filters read after. SQLite
keeps to the first (its statistics would not lead it here).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 00:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

#: As `models.referrals.OPEN_AND_LIVE` when written.
OPEN_AND_LIVE = sa.text("closed_on IS NULL AND archived_at IS NULL")


def upgrade():
    op.create_index(
        "ix_episode_caseload_open",
        "episode",
        [sa.text("risk_score DESC"), "opened_on", "id", "risk_band", "coordinator_id", "locality_id"],
        sqlite_where=OPEN_AND_LIVE,
        postgresql_where=OPEN_AND_LIVE,
    )


def downgrade():
    op.drop_index("ix_episode_caseload_open", table_name="episode")
