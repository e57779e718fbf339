"""bank holidays: the weekdays the KPIs' working-day counts skip (filled from the holidays package when needed)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bank_holiday",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_bank_holiday")),
    )


def downgrade():
    op.drop_table("bank_holiday")
