"""bank holidays stored for every year from 2000 to 2060, not only those a report had asked for

The KPI tallies' working-day counts read the bank_holiday table; a tally counted before a year's holidays were
stored would disagree with one counted after. Storing every year up front makes the table fixed (raised
TALLY_VERSION: the figures come from the records until `flask rebuild-kpi-tallies` runs).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 14:30:00
"""

import holidays
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: services.calendar.STORED_YEARS when this migration was written (a migration keeps its own copy).
YEARS = range(2000, 2061)


def upgrade():
    table = sa.table("bank_holiday", sa.column("day", sa.Date()), sa.column("name", sa.String(100)))
    stored = {row[0] for row in op.get_bind().execute(sa.select(table.c.day))}
    found = holidays.country_holidays("GB", subdiv="ENG", years=YEARS)
    rows = [
        {"day": day, "name": name[:100]}
        for day, name in sorted(found.items())
        if day.weekday() < 5 and day not in stored
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade():
    """The rows stay: they are true, and a report of the earlier version filled the years it needed itself."""
