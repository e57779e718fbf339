"""home page indexes: the open cases, open actions, contacts awaiting follow-up and onward referrals waiting read
from covering indexes; the agreed care plans waiting to go to the GP kept in care_plan_for_gp

At 100,000 patients a coordinator's home page took 204 ms on SQLite and 349 ms on PostgreSQL, the team lead's 269 and
589 ms (issue 31 asks under 100). Counting a coordinator's overdue actions read each of 14,000 overdue actions from
its table for the patient, every count of open cases each of 19,000 open episodes, and the contacts awaiting
follow-up each contact and its patient; each now reads an index holding every column it needs. The care plans waiting for the GP were found by checking each of 88,000 agreed
plans (75-105 ms); `care_plan_for_gp` holds the few thousand that wait, kept at every flush
(services/plans_for_the_gp.py) and filled here from the same rule.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

#: As `models.meetings.OPEN_AND_LIVE` when written (a migration keeps its own copy: the model may change later).
OPEN_AND_LIVE = sa.text("status IN ('open', 'in_progress') AND archived_at IS NULL")
#: As `models.patients.AWAITING_AND_LIVE` when written.
AWAITING_AND_LIVE = sa.text("follow_up_on IS NOT NULL AND followed_up_on IS NULL AND archived_at IS NULL")
#: As `models.care.WAITING_AND_LIVE` when written.
WAITING_AND_LIVE = sa.text("outcome = 'waiting' AND archived_at IS NULL")
#: As `services.plans_for_the_gp.waiting_for_gp` when written.
WAITING_FOR_GP = """
INSERT INTO care_plan_for_gp (care_plan_id, patient_id, agreed_on)
SELECT plan.id, plan.patient_id, plan.agreed_on FROM care_plan AS plan
WHERE plan.state = 'agreed' AND plan.archived_at IS NULL
AND plan.patient_id NOT IN (SELECT id FROM patient WHERE archived_at IS NOT NULL)
AND plan.patient_id IN (SELECT patient_id FROM episode WHERE closed_on IS NULL AND archived_at IS NULL)
AND NOT EXISTS (SELECT 1 FROM care_plan_share AS share WHERE share.care_plan_id = plan.id
                AND share.shared_with_id = (SELECT gp_practice_id FROM patient WHERE patient.id = plan.patient_id))
AND NOT EXISTS (SELECT 1 FROM care_plan AS newer WHERE newer.patient_id = plan.patient_id
                AND newer.number > plan.number AND newer.state = 'agreed' AND newer.archived_at IS NULL)
"""


def upgrade():
    op.drop_index("ix_action_open_due", table_name="action")
    op.create_index(
        "ix_action_open_due",
        "action",
        ["due_on", "id", "patient_id", "status", "archived_at"],
        sqlite_where=OPEN_AND_LIVE,
        postgresql_where=OPEN_AND_LIVE,
    )
    op.drop_index("ix_episode_open_review", table_name="episode")
    op.create_index(
        "ix_episode_open",
        "episode",
        ["closed_on", "archived_at", "review_on", "coordinator_id", "locality_id", "patient_id"],
    )
    op.drop_index("ix_contact_log_awaiting", table_name="contact_log")
    op.create_index(
        "ix_contact_log_awaiting",
        "contact_log",
        ["follow_up_on", "id", "patient_id", "followed_up_on", "archived_at"],
        sqlite_where=AWAITING_AND_LIVE,
        postgresql_where=AWAITING_AND_LIVE,
    )
    op.create_index(
        "ix_onward_referral_waiting",
        "onward_referral",
        ["referred_on", "id", "patient_id", "outcome", "archived_at"],
        sqlite_where=WAITING_AND_LIVE,
        postgresql_where=WAITING_AND_LIVE,
    )
    op.create_table(
        "care_plan_for_gp",
        sa.Column("care_plan_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["care_plan_id"], ["care_plan.id"], name=op.f("fk_care_plan_for_gp_care_plan_id_care_plan")
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_care_plan_for_gp_patient_id_patient")),
        sa.PrimaryKeyConstraint("care_plan_id", name=op.f("pk_care_plan_for_gp")),
    )
    op.create_index(op.f("ix_care_plan_for_gp_patient_id"), "care_plan_for_gp", ["patient_id"], unique=False)
    op.execute(WAITING_FOR_GP)


def downgrade():
    op.drop_index(op.f("ix_care_plan_for_gp_patient_id"), table_name="care_plan_for_gp")
    op.drop_table("care_plan_for_gp")
    op.drop_index("ix_onward_referral_waiting", table_name="onward_referral")
    op.drop_index("ix_contact_log_awaiting", table_name="contact_log")
    op.create_index("ix_contact_log_awaiting", "contact_log", ["followed_up_on", "follow_up_on"])
    op.drop_index("ix_episode_open", table_name="episode")
    op.create_index("ix_episode_open_review", "episode", ["closed_on", "review_on"])
    op.drop_index("ix_action_open_due", table_name="action")
    op.create_index(
        "ix_action_open_due", "action", ["due_on", "id"], sqlite_where=OPEN_AND_LIVE, postgresql_where=OPEN_AND_LIVE
    )
