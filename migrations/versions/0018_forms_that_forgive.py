"""forms that forgive: room for long minutes and care plans, and a form token that remembers what it saved

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 14:00:00

A case's summary, discussion, outcome and decisions, and a care plan's narrative sections, may now hold
50,000 characters (several thousand words: what a complex patient's minutes need). A create form's one-time
token now records the record its save made, so a second send can show it instead of refusing.

SQLite rebuilds a table whose column types change, dropping its triggers: the care plan's freezing triggers
(migration 0012) are made again after. On PostgreSQL a downgrade refuses (rather than cuts) text longer than
the old limits.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: The columns widened, and their limits before.
MINUTES = {"summary": 4000, "discussion": 8000, "outcome": 4000, "decisions": 4000}
PLAN = {"about_me": 4000, "what_matters": 4000, "support_by_agency": 8000, "contingency_plan": 4000,
        "notes_for_professionals": 4000}  # fmt: skip
NARRATIVE = 50_000


def _care_plan_triggers():
    """Migration 0012's trigger helpers (create, drop), which know the triggers' exact definitions."""
    module = op.get_context().script.get_revision("0012").module
    return module.create_care_plan_triggers, module.drop_care_plan_triggers


def _resize(table: str, columns: dict[str, int], wider: bool) -> None:
    with op.batch_alter_table(table) as batch_op:
        for name, before in columns.items():
            old, new = (before, NARRATIVE) if wider else (NARRATIVE, before)
            batch_op.alter_column(name, existing_type=sa.String(length=old), type_=sa.String(length=new),
                                  existing_nullable=True)  # fmt: skip


def upgrade():
    create_triggers, drop_triggers = _care_plan_triggers()
    drop_triggers()
    _resize("agenda_item", MINUTES, wider=True)
    _resize("care_plan", PLAN, wider=True)
    create_triggers()
    with op.batch_alter_table("form_token") as batch_op:
        batch_op.add_column(sa.Column("saved_table", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("saved_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("form_token") as batch_op:
        batch_op.drop_column("saved_id")
        batch_op.drop_column("saved_table")
    create_triggers, drop_triggers = _care_plan_triggers()
    drop_triggers()
    _resize("care_plan", PLAN, wider=False)
    _resize("agenda_item", MINUTES, wider=False)
    create_triggers()
