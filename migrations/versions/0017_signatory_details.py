"""each person's own details for the letters they sign: job title, team, telephone and secure email

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_title", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("team", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("secure_email", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("secure_email")
        batch_op.drop_column("phone")
        batch_op.drop_column("team")
        batch_op.drop_column("job_title")
