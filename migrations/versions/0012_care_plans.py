"""care plans: agreed versions frozen by triggers, dated goal updates, letters to the GP with attachments, letterhead

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 02:00:00

An agreed care plan's content, and its goals' words, domain, target date and status, are refused any change by
the database itself (SQLite and PostgreSQL); only the lifecycle columns (archived_at, updated_at, version) still
change. SQLite's batch migrations rebuild a table (dropping its triggers) when they alter it: a later migration
that batch-alters care_plan or goal must create them again (tests/test_migrations.py lists them at head).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PLAN_REFUSAL = "an agreed care plan cannot change: start a new draft from it"
GOAL_REFUSAL = "the goals of an agreed care plan cannot change: record progress as an update"
#: Every column of an agreed plan that is content (all but archived_at, updated_at, version).
PLAN_CONTENT = (
    "id", "patient_id", "episode_id", "number", "state", "about_me", "what_matters", "support_by_agency",
    "contingency_plan", "carers_and_contacts", "involved", "notes_for_professionals", "review_on", "agreed_on",
    "agreed_by_id", "agreed_with", "created_at",
)  # fmt: skip
GOAL_CONTENT = ("id", "care_plan_id", "description", "domain", "target_on", "status", "created_at")
PLAN_AGREED = "(SELECT state FROM care_plan WHERE id = {}.care_plan_id) = 'agreed'"
TRIGGERS = (
    "care_plan_agreed_no_update", "care_plan_agreed_no_delete",
    "goal_agreed_no_update", "goal_agreed_no_delete",
)  # fmt: skip


def create_care_plan_triggers() -> None:
    """Changes to an agreed plan's content or its goals refused by the database (SQLite and PostgreSQL)."""
    if op.get_bind().dialect.name == "sqlite":
        plan_changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in PLAN_CONTENT)
        goal_changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in GOAL_CONTENT)
        for sql in (
            f"CREATE TRIGGER care_plan_agreed_no_update BEFORE UPDATE ON care_plan "
            f"WHEN OLD.state = 'agreed' AND ({plan_changed}) BEGIN SELECT RAISE(ABORT, '{PLAN_REFUSAL}'); END",
            f"CREATE TRIGGER care_plan_agreed_no_delete BEFORE DELETE ON care_plan "
            f"WHEN OLD.state = 'agreed' BEGIN SELECT RAISE(ABORT, '{PLAN_REFUSAL}'); END",
            f"CREATE TRIGGER goal_agreed_no_update BEFORE UPDATE ON goal "
            f"WHEN ({PLAN_AGREED.format('OLD')} OR {PLAN_AGREED.format('NEW')}) AND ({goal_changed}) "
            f"BEGIN SELECT RAISE(ABORT, '{GOAL_REFUSAL}'); END",
            f"CREATE TRIGGER goal_agreed_no_delete BEFORE DELETE ON goal WHEN {PLAN_AGREED.format('OLD')} "
            f"BEGIN SELECT RAISE(ABORT, '{GOAL_REFUSAL}'); END",
        ):
            op.execute(sql)
        return
    old_plan, new_plan = (", ".join(f"{side}.{c}" for c in PLAN_CONTENT) for side in ("OLD", "NEW"))
    old_goal, new_goal = (", ".join(f"{side}.{c}" for c in GOAL_CONTENT) for side in ("OLD", "NEW"))
    op.execute(
        "CREATE OR REPLACE FUNCTION care_plan_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF OLD.state = 'agreed' AND (TG_OP = 'DELETE' OR "
        f"ROW({old_plan}) IS DISTINCT FROM ROW({new_plan})) THEN RAISE EXCEPTION '{PLAN_REFUSAL}'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION goal_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') AND {PLAN_AGREED.format('OLD')} AND (TG_OP = 'DELETE' OR "
        f"ROW({old_goal}) IS DISTINCT FROM ROW({new_goal})) THEN RAISE EXCEPTION '{GOAL_REFUSAL}'; END IF; "
        f"IF TG_OP = 'UPDATE' AND {PLAN_AGREED.format('NEW')} AND ("
        f"ROW({old_goal}) IS DISTINCT FROM ROW({new_goal})) THEN RAISE EXCEPTION '{GOAL_REFUSAL}'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
    )
    for name, table, function in (
        ("care_plan_agreed_no_update", "care_plan", "care_plan_frozen"),
        ("care_plan_agreed_no_delete", "care_plan", "care_plan_frozen"),
        ("goal_agreed_no_update", "goal", "goal_frozen"),
        ("goal_agreed_no_delete", "goal", "goal_frozen"),
    ):
        event = name.rsplit("_", 1)[-1].upper()
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")


def drop_care_plan_triggers() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {name.split('_agreed')[0]}"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS care_plan_frozen()")
        op.execute("DROP FUNCTION IF EXISTS goal_frozen()")


def upgrade():
    op.create_table(
        "base_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user_account.id"], name=op.f("fk_base_document_uploaded_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_base_document")),
    )
    with op.batch_alter_table("base_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_base_document_uploaded_by_id"), ["uploaded_by_id"], unique=False)

    op.create_table(
        "goal_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("fk_goal_update_goal_id_goal")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user_account.id"], name=op.f("fk_goal_update_recorded_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_update")),
    )
    with op.batch_alter_table("goal_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_update_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_update_recorded_by_id"), ["recorded_by_id"], unique=False)

    op.create_table(
        "outbox_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["generated_document.id"], name=op.f("fk_outbox_attachment_document_id_generated_document")
        ),
        sa.ForeignKeyConstraint(
            ["email_id"], ["outbox_email.id"], name=op.f("fk_outbox_attachment_email_id_outbox_email")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attachment")),
        sa.UniqueConstraint("email_id", "document_id", name="uq_outbox_attachment_email_document"),
    )
    with op.batch_alter_table("outbox_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_attachment_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_attachment_email_id"), ["email_id"], unique=False)

    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("involved", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("notes_for_professionals", sa.String(length=4000), nullable=True))
        batch_op.add_column(sa.Column("agreed_with", sa.String(length=300), nullable=True))

    with op.batch_alter_table("care_plan_share", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbox_email_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_care_plan_share_outbox_email_id"), ["outbox_email_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_care_plan_share_outbox_email_id_outbox_email"), "outbox_email", ["outbox_email_id"], ["id"]
        )

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("postal_address", sa.String(length=500), nullable=True))
    create_care_plan_triggers()  # after the batch operations above, which may rebuild care_plan


def downgrade():
    drop_care_plan_triggers()
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("postal_address")

    with op.batch_alter_table("care_plan_share", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_care_plan_share_outbox_email_id_outbox_email"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_care_plan_share_outbox_email_id"))
        batch_op.drop_column("outbox_email_id")

    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.drop_column("agreed_with")
        batch_op.drop_column("notes_for_professionals")
        batch_op.drop_column("involved")

    with op.batch_alter_table("outbox_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_attachment_email_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_attachment_document_id"))

    op.drop_table("outbox_attachment")
    with op.batch_alter_table("goal_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_update_recorded_by_id"))
        batch_op.drop_index(batch_op.f("ix_goal_update_goal_id"))

    op.drop_table("goal_update")
    with op.batch_alter_table("base_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_base_document_uploaded_by_id"))

    op.drop_table("base_document")
