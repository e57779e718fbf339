"""indexes for the long lists

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 06:20:00.513419

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index('ix_action_live_due', ['archived_at', 'due_on', 'id'], unique=False)

    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_item_live_meeting', ['archived_at', 'meeting_id', 'position'], unique=False)



def downgrade():
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index('ix_agenda_item_live_meeting')

    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index('ix_action_live_due')

