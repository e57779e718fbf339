"""Sign-in alerts (failed sign-ins far past a person's mistakes, for the team lead); the second factor's secrets
encrypted at rest: the column widened and every stored secret encrypted with the first of ILR_SECRET_KEYS

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 14:00:00
"""

import sqlalchemy as sa
from alembic import op

from security import secret_box

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

#: The column without the app's type: the values as stored, plain before and encrypted after.
_users = sa.table("user_account", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _rewrite_secrets(change) -> None:
    """Every stored second-factor secret through `change` (encrypt on the way up, decrypt on the way down)."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None)))
    for user_id, secret in rows.all():
        connection.execute(_users.update().where(_users.c.id == user_id).values(totp_secret=change(secret)))


def upgrade():
    op.create_table(
        "sign_in_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("addresses", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["closed_by_id"], ["user_account.id"], name=op.f("fk_sign_in_alert_closed_by_id_user_account")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_sign_in_alert_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_alert")),
    )  # fmt: skip
    with op.batch_alter_table("sign_in_alert") as batch:
        batch.create_index(batch.f("ix_sign_in_alert_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("user_account") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=255))
    _rewrite_secrets(secret_box.encrypt)


def downgrade():
    _rewrite_secrets(secret_box.decrypt)
    with op.batch_alter_table("user_account") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64))
    with op.batch_alter_table("sign_in_alert") as batch:
        batch.drop_index(batch.f("ix_sign_in_alert_user_id"))
    op.drop_table("sign_in_alert")
