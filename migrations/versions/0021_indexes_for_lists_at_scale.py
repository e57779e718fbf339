"""indexes for lists at scale: each list's default order (newest first) walked in an index, not sorted

At 100,000 patients the hospital events, collated notes, contact log, care plans, goals, chases and referrals
lists sorted every live row for each page (a temporary B-tree over up to 300,000 rows): with these, a page reads
its 25 rows from the index, in order.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 16:00:00
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

#: (table, index, columns)
INDEXES = (
    ("hospital_event", "ix_hospital_event_occurred", ["occurred_on", "id"]),
    ("collated_note", "ix_collated_note_created", ["created_at", "id"]),
    ("contact_log", "ix_contact_log_contacted", ["contacted_at", "id"]),
    ("care_plan", "ix_care_plan_updated", ["updated_at", "id"]),
    ("goal", "ix_goal_plan_order", ["care_plan_id", "id"]),
    ("action_chase", "ix_action_chase_chased", ["chased_at", "id"]),
    ("referral", "ix_referral_received", ["received_on", "id"]),
)


def upgrade():
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for table, name, _columns in INDEXES:
        op.drop_index(name, table_name=table)
