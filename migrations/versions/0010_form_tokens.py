"""one-time tokens on create forms (a form posted twice makes one row)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_token")),
        sa.UniqueConstraint("token", name=op.f("uq_form_token_token")),
    )


def downgrade():
    op.drop_table("form_token")
