"""the eFI keeps its date: `patient.efi_on`, the day the Electronic Frailty Index was calculated (from the GP record)

A frailty update from the patient's page records the eFI with its date, so the page says how current it is. Existing
scores have no date (blank: not recorded). A nullable column added: no table is rebuilt, so the search triggers of
migration 0022 stay.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 17:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("patient", sa.Column("efi_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("patient", "efi_on")  # SQLite 3.35 drops a column in place: the search triggers stay
