"""KPI tallies: the drill-downs' rows counted per day and per month, so that a year's dashboard sums a few
thousand rows instead of scanning hundreds of thousands (filled by the next report, or `flask rebuild-kpi-tallies`)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kpi_tally",
        sa.Column("drill", sa.String(length=40), nullable=False),
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("locality_id", sa.Integer(), nullable=False),
        sa.Column("part_1", sa.String(length=40), nullable=False),
        sa.Column("part_2", sa.String(length=40), nullable=False),
        sa.Column("part_3", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.CheckConstraint("grain IN ('day', 'month')", name=op.f("ck_kpi_tally_grain_is_day_or_month")),
        sa.PrimaryKeyConstraint(
            "drill",
            "grain",
            "practice_id",
            "on",
            "locality_id",
            "part_1",
            "part_2",
            "part_3",
            "value",
            name=op.f("pk_kpi_tally"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "kpi_tally_build",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_tally_build")),
    )


def downgrade():
    op.drop_table("kpi_tally_build")
    op.drop_table("kpi_tally")
