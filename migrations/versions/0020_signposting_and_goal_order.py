"""signposting is its own record, never a referral waiting for an answer; a care plan's goals have an order

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 16:00:00

Signposting (advice to the patient or carer about a service they contact themselves) was recorded as an onward
referral sent by "signposted", waiting for an answer that never comes. It is now a `signposting` row: given to whom,
what, when. Each such onward referral moves there (its reason becomes what was advised; to whom was not asked, so it
stays blank; any chases recorded of it are written into its notes, then removed with it), and the audit trail says
so: a "deleted" entry for the onward referral and a "created" one for the signposting, each naming the other. An
onward referral can no longer be sent by "signposted" (the directory still says a service is reached that way).

A goal now has its place in the plan's list (`position`), numbered in the order the goals were added. An agreed
plan's goals stay frozen, their order included: the goal triggers of migration 0012 are made again with `position`
among the columns they guard. The tallies count onward referrals afresh (`TALLY_VERSION` raised with this change).
A downgrade turns the signposting back into onward referrals waiting (their chases are not made again: the notes
keep them).
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: Migration 0012's goal triggers, remade with `position` among the columns an agreed plan freezes.
GOAL_REFUSAL = "the goals of an agreed care plan cannot change: record progress as an update"
GOAL_CONTENT = ("id", "care_plan_id", "description", "domain", "target_on", "status", "created_at", "position")
PLAN_AGREED = "(SELECT state FROM care_plan WHERE id = {}.care_plan_id) = 'agreed'"
GOAL_TRIGGERS = ("goal_agreed_no_update", "goal_agreed_no_delete")
LONDON = ZoneInfo("Europe/London")
CHASED_BY = {"email": "by email", "phone": "by phone", "meeting": "at the meeting"}

onward = sa.table(
    "onward_referral",
    *(sa.column(name) for name in ("id", "patient_id", "episode_id", "service", "directory_service_id", "reason",
                                   "method", "referred_by_id", "agenda_item_id", "outcome", "outcome_on", "version")),
    sa.column("referred_on", sa.Date()),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("created_at", "updated_at", "archived_at")),
)  # fmt: skip
signposting = sa.table(
    "signposting",
    *(sa.column(name) for name in ("id", "patient_id", "episode_id", "service", "directory_service_id", "what",
                                   "given_by_id", "agenda_item_id", "notes", "version")),
    sa.column("given_on", sa.Date()),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("created_at", "updated_at", "archived_at")),
)  # fmt: skip
chase = sa.table(
    "action_chase", sa.column("id"), sa.column("onward_referral_id"), sa.column("method"), sa.column("note"),
    sa.column("chased_at", sa.DateTime(timezone=True)),
)  # fmt: skip
audit_entry = sa.table(
    "audit_entry", sa.column("at", sa.DateTime(timezone=True)), sa.column("action"), sa.column("table_name"),
    sa.column("record_id"), sa.column("patient_id"), sa.column("reason"),
)  # fmt: skip


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _drop_goal_triggers() -> None:
    for name in GOAL_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if _sqlite() else " ON goal"))


def _create_goal_triggers(columns: tuple[str, ...]) -> None:
    """The goals of an agreed plan refused any change of `columns`, and deletion (SQLite and PostgreSQL)."""
    if _sqlite():
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        op.execute(
            f"CREATE TRIGGER goal_agreed_no_update BEFORE UPDATE ON goal "
            f"WHEN ({PLAN_AGREED.format('OLD')} OR {PLAN_AGREED.format('NEW')}) AND ({changed}) "
            f"BEGIN SELECT RAISE(ABORT, '{GOAL_REFUSAL}'); END"
        )
        op.execute(
            f"CREATE TRIGGER goal_agreed_no_delete BEFORE DELETE ON goal WHEN {PLAN_AGREED.format('OLD')} "
            f"BEGIN SELECT RAISE(ABORT, '{GOAL_REFUSAL}'); END"
        )
        return
    old, new = (", ".join(f"{side}.{c}" for c in columns) for side in ("OLD", "NEW"))
    op.execute(
        "CREATE OR REPLACE FUNCTION goal_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') AND {PLAN_AGREED.format('OLD')} AND (TG_OP = 'DELETE' OR "
        f"ROW({old}) IS DISTINCT FROM ROW({new})) THEN RAISE EXCEPTION '{GOAL_REFUSAL}'; END IF; "
        f"IF TG_OP = 'UPDATE' AND {PLAN_AGREED.format('NEW')} AND ("
        f"ROW({old}) IS DISTINCT FROM ROW({new})) THEN RAISE EXCEPTION '{GOAL_REFUSAL}'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
    )
    for name in GOAL_TRIGGERS:
        event = name.rsplit("_", 1)[-1].upper()
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON goal FOR EACH ROW EXECUTE FUNCTION goal_frozen()")


def _stored(moment: datetime) -> datetime:
    """A UTC time as the app stores it: naive on SQLite (which keeps no zone), aware on PostgreSQL."""
    return moment.replace(tzinfo=None) if _sqlite() else moment


def _london(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


def _chases_in_words(bind, referral_id: int) -> str | None:
    """The chases recorded of a signposting while it was an onward referral, as a note."""
    rows = bind.execute(
        sa.select(chase.c.chased_at, chase.c.method, chase.c.note)
        .where(chase.c.onward_referral_id == referral_id)
        .order_by(chase.c.chased_at, chase.c.id)
    ).all()
    if not rows:
        return None
    said = [f"{_london(at)} {CHASED_BY.get(method, method)}" + (f": {note}" if note else "") for at, method, note in rows]
    return "Chased while recorded as an onward referral: " + "; ".join(said)


def _audit(bind, action: str, table: str, record_id: int, patient_id: int, reason: str) -> None:
    bind.execute(
        sa.insert(audit_entry).values(at=_stored(datetime.now(UTC)), action=action, table_name=table,
                                      record_id=record_id, patient_id=patient_id, reason=reason)  # fmt: skip
    )


def _move_signposting() -> None:
    """Each onward referral sent by "signposted" becomes a signposting row (its chases into its notes), audited."""
    bind = op.get_bind()
    moving = bind.execute(sa.select(onward).where(onward.c.method == "signposted").order_by(onward.c.id)).all()
    for row in moving:
        new_id = bind.execute(
            sa.insert(signposting)
            .values(
                patient_id=row.patient_id, episode_id=row.episode_id, service=row.service,
                directory_service_id=row.directory_service_id, given_on=row.referred_on, what=row.reason,
                given_by_id=row.referred_by_id, agenda_item_id=row.agenda_item_id,
                notes=_chases_in_words(bind, row.id), created_at=row.created_at, updated_at=row.updated_at,
                archived_at=row.archived_at, version=1,
            )  # fmt: skip
            .returning(signposting.c.id)
        ).scalar_one()
        bind.execute(sa.delete(chase).where(chase.c.onward_referral_id == row.id))
        bind.execute(sa.delete(onward).where(onward.c.id == row.id))
        why = "Signposting is its own record, not a referral waiting for an answer (migration 0020)"
        _audit(bind, "delete", "onward_referral", row.id, row.patient_id, f"{why}: now signposting {new_id}")
        _audit(bind, "create", "signposting", new_id, row.patient_id, f"{why}: was onward referral {row.id}")


def upgrade():
    op.create_table(
        "signposting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("directory_service_id", sa.Integer(), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("given_to", sa.String(length=20), nullable=True),
        sa.Column("what", sa.String(length=2000), nullable=True),
        sa.Column("given_by_id", sa.Integer(), nullable=True),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.String(length=4000), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("length(service) > 0", name=op.f("ck_signposting_service_named")),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"], ["agenda_item.id"], name=op.f("fk_signposting_agenda_item_id_agenda_item")
        ),
        sa.ForeignKeyConstraint(
            ["directory_service_id"],
            ["directory_service.id"],
            name=op.f("fk_signposting_directory_service_id_directory_service"),
        ),
        sa.ForeignKeyConstraint(["episode_id"], ["episode.id"], name=op.f("fk_signposting_episode_id_episode")),
        sa.ForeignKeyConstraint(
            ["given_by_id"], ["user_account.id"], name=op.f("fk_signposting_given_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_signposting_patient_id_patient")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signposting")),
    )
    with op.batch_alter_table("signposting", schema=None) as batch_op:
        for column in ("agenda_item_id", "archived_at", "directory_service_id", "episode_id", "given_by_id",
                       "given_on", "patient_id", "service"):  # fmt: skip
            batch_op.create_index(batch_op.f(f"ix_signposting_{column}"), [column], unique=False)

    _drop_goal_triggers()
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), server_default="0", nullable=False))
    # Each plan's goals numbered 1, 2, 3... in the order they were added (their ids).
    op.execute(
        "UPDATE goal SET position = (SELECT count(*) FROM goal AS earlier "
        "WHERE earlier.care_plan_id = goal.care_plan_id AND earlier.id <= goal.id)"
    )
    _create_goal_triggers(GOAL_CONTENT)

    _move_signposting()
    with op.batch_alter_table("onward_referral", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_onward_referral_not_signposting"), "method IS NULL OR method <> 'signposted'"
        )


def _move_back() -> None:
    """Each signposting row back to an onward referral sent by "signposted", waiting (as before this migration)."""
    bind = op.get_bind()
    for row in bind.execute(sa.select(signposting).order_by(signposting.c.id)).all():
        bind.execute(
            sa.insert(onward).values(
                patient_id=row.patient_id, episode_id=row.episode_id, service=row.service,
                directory_service_id=row.directory_service_id, referred_on=row.given_on, reason=row.what,
                method="signposted", referred_by_id=row.given_by_id, agenda_item_id=row.agenda_item_id,
                outcome="waiting", created_at=row.created_at, updated_at=row.updated_at, archived_at=row.archived_at,
                version=1,
            )  # fmt: skip
        )


def downgrade():
    with op.batch_alter_table("onward_referral", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_onward_referral_not_signposting"), type_="check")
    _move_back()

    _drop_goal_triggers()
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_column("position")
    _create_goal_triggers(GOAL_CONTENT[:-1])  # migration 0012's: without position

    with op.batch_alter_table("signposting", schema=None) as batch_op:
        for column in ("service", "patient_id", "given_on", "given_by_id", "episode_id", "directory_service_id",
                       "archived_at", "agenda_item_id"):  # fmt: skip
            batch_op.drop_index(batch_op.f(f"ix_signposting_{column}"))
    op.drop_table("signposting")
