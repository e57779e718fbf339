"""meeting logistics: polls, email attempts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 05:19:33.867307

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('availability_poll',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), server_default='120', nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_availability_poll_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_availability_poll_locality_id_locality')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_availability_poll_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_poll'))
    )
    with op.batch_alter_table('availability_poll', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_poll_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_availability_poll_locality_id'), ['locality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_availability_poll_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('email_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['email_id'], ['outbox_email.id'], name=op.f('fk_email_attempt_email_id_outbox_email')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_attempt'))
    )
    with op.batch_alter_table('email_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_attempt_email_id'), ['email_id'], unique=False)

    op.create_table('poll_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('available_slot_ids', sa.String(length=500), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_poll_invitation_contact_id_contact')),
    sa.ForeignKeyConstraint(['poll_id'], ['availability_poll.id'], name=op.f('fk_poll_invitation_poll_id_availability_poll')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_invitation')),
    sa.UniqueConstraint('poll_id', 'contact_id', name='uq_poll_invitation_poll_contact'),
    sa.UniqueConstraint('token', name=op.f('uq_poll_invitation_token'))
    )
    with op.batch_alter_table('poll_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_invitation_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poll_invitation_poll_id'), ['poll_id'], unique=False)

    op.create_table('poll_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['availability_poll.id'], name=op.f('fk_poll_slot_poll_id_availability_poll')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_slot'))
    )
    with op.batch_alter_table('poll_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_slot_poll_id'), ['poll_id'], unique=False)

    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_email_purpose'), ['purpose'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_email_purpose'))
        batch_op.drop_column('purpose')

    with op.batch_alter_table('poll_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_slot_poll_id'))

    op.drop_table('poll_slot')
    with op.batch_alter_table('poll_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_invitation_poll_id'))
        batch_op.drop_index(batch_op.f('ix_poll_invitation_contact_id'))

    op.drop_table('poll_invitation')
    with op.batch_alter_table('email_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_attempt_email_id'))

    op.drop_table('email_attempt')
    with op.batch_alter_table('availability_poll', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_poll_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_availability_poll_locality_id'))
        batch_op.drop_index(batch_op.f('ix_availability_poll_created_by_id'))

    op.drop_table('availability_poll')
