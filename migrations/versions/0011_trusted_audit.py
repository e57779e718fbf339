"""a trusted audit trail: the user's organisation on each entry, seals, and triggers refusing UPDATE and DELETE

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:50:00

The triggers live in the database, so even raw SQL cannot change or delete an audit entry. SQLite's batch
migrations rebuild a table (and drop its triggers) when they alter it: a later migration that batch-alters
audit_entry must create them again (tests/test_migrations.py lists every trigger the app relies on at head).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

REFUSAL = "audit entries cannot be changed or deleted"


def create_audit_triggers() -> None:
    """UPDATE and DELETE on audit_entry refused by the database itself (SQLite and PostgreSQL)."""
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entry_no_{event.lower()} BEFORE {event} ON audit_entry "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_entry_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entry_no_{event.lower()} BEFORE {event} ON audit_entry "
                "FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse()"
            )


def drop_audit_triggers() -> None:
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_entry_no_{event}" + ("" if op.get_bind().dialect.name == "sqlite" else " ON audit_entry"))
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS audit_entry_refuse()")


def upgrade():
    op.create_table(
        "audit_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_entry_id", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seal")),
        sa.UniqueConstraint("last_entry_id", name=op.f("uq_audit_seal_last_entry_id")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_entry_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_entry_organisation_id_organisation"), "organisation", ["organisation_id"], ["id"]
        )
    create_audit_triggers()  # after the batch rebuild above, which would have dropped them


def downgrade():
    drop_audit_triggers()
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_entry_organisation_id_organisation"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_audit_entry_organisation_id"))
        batch_op.drop_column("organisation_id")
    op.drop_table("audit_seal")
