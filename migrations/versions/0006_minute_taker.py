"""who took a meeting's minutes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minute_taker_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_meeting_minute_taker_id"), ["minute_taker_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_meeting_minute_taker_id_user_account"), "user_account", ["minute_taker_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_meeting_minute_taker_id_user_account"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_meeting_minute_taker_id"))
        batch_op.drop_column("minute_taker_id")
