"""triage queue index: the live referrals still to be triaged, read from a partial index

The triage queue lists about a thousand of 125,000 referrals. Filtered to high priority, SQLite (which keeps only an
average count of rows per status) read every high-priority patient's referrals instead (87-107 ms at 100,000
patients); a partial index over the untriaged referrals tells it how few they are, and holds every column their
counts read.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 21:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

#: As `models.referrals.UNTRIAGED_AND_LIVE` when written.
UNTRIAGED_AND_LIVE = sa.text("status IN ('awaiting_triage', 'more_information') AND archived_at IS NULL")


def upgrade():
    op.create_index(
        "ix_referral_untriaged",
        "referral",
        ["received_on", "id", "patient_id", "status", "archived_at"],
        sqlite_where=UNTRIAGED_AND_LIVE,
        postgresql_where=UNTRIAGED_AND_LIVE,
    )


def downgrade():
    op.drop_index("ix_referral_untriaged", table_name="referral")
