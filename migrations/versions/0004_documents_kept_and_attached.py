"""documents kept and attached to emails

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 05:27:10.700129

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('generated_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f('ix_generated_document_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_generated_document_organisation_id_organisation'), 'organisation', ['organisation_id'], ['id'])

    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_email_document_id'), ['document_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_email_document_id_generated_document'), 'generated_document', ['document_id'], ['id'])



def downgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_email_document_id_generated_document'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_email_document_id'))
        batch_op.drop_column('document_id')

    with op.batch_alter_table('generated_document', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_generated_document_organisation_id_organisation'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_generated_document_organisation_id'))
        batch_op.drop_column('content')
        batch_op.drop_column('organisation_id')

