"""the short-term caseload: the services directory, onward referrals from it (chased like actions), safeguarding
concerns with what the concern is and the three s42 criteria, the contact log, goal attainment at closure

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:27:37.472221

Safeguarding concerns recorded before this revision had one answer for all three Care Act s42 criteria: their three
new answers start as not recorded, and the old answer is written into the new `notes` column before the old column
goes. The downgrade puts it back (from the note, else from the three answers when they agree) and drops the chases of
onward referrals, which the old `action_chase` table cannot hold.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: The old single s42 answer, kept in the concern's notes ({} is Yes or No).
OLD_S42_NOTE = "Care Act s42 criteria met (the one answer recorded before the three criteria were asked separately): {}."

concerns = sa.table(
    "safeguarding_concern",
    sa.column("s42_criteria_met", sa.Boolean),
    sa.column("s42_care_needs", sa.Boolean),
    sa.column("s42_at_risk", sa.Boolean),
    sa.column("s42_unable_to_protect", sa.Boolean),
    sa.column("notes", sa.String),
)


def upgrade():
    op.create_table(
        "directory_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("offers", sa.String(length=2000), nullable=True),
        sa.Column("who_for", sa.String(length=1000), nullable=True),
        sa.Column("how_to_refer", sa.String(length=20), nullable=True),
        sa.Column("referral_form_url", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("secure_email", sa.String(length=254), nullable=True),
        sa.Column("area", sa.String(length=300), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_directory_service_name_not_empty")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_directory_service_organisation_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_service")),
    )
    with op.batch_alter_table("directory_service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_service_archived_at"), ["archived_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_directory_service_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_directory_service_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "contact_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("party", sa.String(length=20), nullable=False),
        sa.Column("with_name", sa.String(length=200), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=4000), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("followed_up_on", sa.Date(), nullable=True),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "party = 'patient' OR length(with_name) > 0", name=op.f("ck_contact_log_named_unless_patient")
        ),
        sa.CheckConstraint(
            "followed_up_on IS NULL OR follow_up_on IS NOT NULL", name=op.f("ck_contact_log_followed_up_was_due")
        ),
        sa.ForeignKeyConstraint(["by_id"], ["user_account.id"], name=op.f("fk_contact_log_by_id_user_account")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_contact_log_patient_id_patient")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_log")),
    )
    with op.batch_alter_table("contact_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_log_archived_at"), ["archived_at"], unique=False)
        batch_op.create_index("ix_contact_log_awaiting", ["followed_up_on", "follow_up_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_log_by_id"), ["by_id"], unique=False)
        batch_op.create_index("ix_contact_log_patient_at", ["patient_id", "contacted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_log_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "closure_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("attainment", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.CheckConstraint(
            "attainment IN ('achieved', 'partly_achieved', 'not_achieved', 'no_longer_relevant')",
            name=op.f("ck_closure_goal_attainment_is_an_end_state"),
        ),
        sa.ForeignKeyConstraint(["episode_id"], ["episode.id"], name=op.f("fk_closure_goal_episode_id_episode")),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("fk_closure_goal_goal_id_goal")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_goal")),
        sa.UniqueConstraint("episode_id", "goal_id", name="uq_closure_goal_episode_goal"),
    )
    with op.batch_alter_table("closure_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closure_goal_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_closure_goal_goal_id"), ["goal_id"], unique=False)

    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closure_note", sa.String(length=2000), nullable=True))

    with op.batch_alter_table("onward_referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("directory_service_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("method", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("referred_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("agenda_item_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_onward_referral_agenda_item_id"), ["agenda_item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_onward_referral_directory_service_id"), ["directory_service_id"], unique=False
        )
        batch_op.create_index("ix_onward_referral_outcome_referred", ["outcome", "referred_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_onward_referral_referred_by_id"), ["referred_by_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_onward_referral_directory_service_id_directory_service"),
            "directory_service",
            ["directory_service_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_onward_referral_agenda_item_id_agenda_item"), "agenda_item", ["agenda_item_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_onward_referral_referred_by_id_user_account"), "user_account", ["referred_by_id"], ["id"]
        )

    # A chase belongs to an action or to an onward referral: exactly one of the two.
    with op.batch_alter_table("action_chase", schema=None) as batch_op:
        batch_op.add_column(sa.Column("onward_referral_id", sa.Integer(), nullable=True))
        batch_op.alter_column("action_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_action_chase_onward_referral_id"), ["onward_referral_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_action_chase_onward_referral_id_onward_referral"),
            "onward_referral",
            ["onward_referral_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_action_chase_one_parent"),
            "(action_id IS NOT NULL AND onward_referral_id IS NULL)"
            " OR (action_id IS NULL AND onward_referral_id IS NOT NULL)",
        )

    # Safeguarding: what the concern is, the three s42 criteria (not recorded on existing concerns), and notes that
    # keep the old single answer.
    with op.batch_alter_table("safeguarding_concern", schema=None) as batch_op:
        batch_op.add_column(sa.Column("concern", sa.String(length=4000), nullable=True))
        batch_op.add_column(sa.Column("s42_care_needs", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("s42_at_risk", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("s42_unable_to_protect", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("notes", sa.String(length=2000), nullable=True))
    for answer, word in ((True, "Yes"), (False, "No")):
        op.execute(
            concerns.update().where(concerns.c.s42_criteria_met.is_(answer)).values(notes=OLD_S42_NOTE.format(word))
        )
    with op.batch_alter_table("safeguarding_concern", schema=None) as batch_op:
        batch_op.drop_column("s42_criteria_met")


def downgrade():
    with op.batch_alter_table("safeguarding_concern", schema=None) as batch_op:
        batch_op.add_column(sa.Column("s42_criteria_met", sa.BOOLEAN(), nullable=True))
    three = (concerns.c.s42_care_needs, concerns.c.s42_at_risk, concerns.c.s42_unable_to_protect)
    op.execute(concerns.update().where(*(answer.is_(True) for answer in three)).values(s42_criteria_met=True))
    op.execute(concerns.update().where(sa.or_(*(answer.is_(False) for answer in three))).values(s42_criteria_met=False))
    for answer, word in ((True, "Yes"), (False, "No")):
        op.execute(
            concerns.update()
            .where(concerns.c.notes.like(OLD_S42_NOTE.format(word) + "%"))
            .values(s42_criteria_met=answer)
        )
    with op.batch_alter_table("safeguarding_concern", schema=None) as batch_op:
        batch_op.drop_column("notes")
        batch_op.drop_column("s42_unable_to_protect")
        batch_op.drop_column("s42_at_risk")
        batch_op.drop_column("s42_care_needs")
        batch_op.drop_column("concern")

    op.execute("DELETE FROM action_chase WHERE action_id IS NULL")
    with op.batch_alter_table("action_chase", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_action_chase_one_parent"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_action_chase_onward_referral_id_onward_referral"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_action_chase_onward_referral_id"))
        batch_op.alter_column("action_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("onward_referral_id")

    with op.batch_alter_table("onward_referral", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_onward_referral_referred_by_id_user_account"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_onward_referral_agenda_item_id_agenda_item"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_onward_referral_directory_service_id_directory_service"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_onward_referral_referred_by_id"))
        batch_op.drop_index("ix_onward_referral_outcome_referred")
        batch_op.drop_index(batch_op.f("ix_onward_referral_directory_service_id"))
        batch_op.drop_index(batch_op.f("ix_onward_referral_agenda_item_id"))
        batch_op.drop_column("agenda_item_id")
        batch_op.drop_column("referred_by_id")
        batch_op.drop_column("method")
        batch_op.drop_column("directory_service_id")

    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.drop_column("closure_note")

    with op.batch_alter_table("closure_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closure_goal_goal_id"))
        batch_op.drop_index(batch_op.f("ix_closure_goal_episode_id"))
    op.drop_table("closure_goal")

    with op.batch_alter_table("contact_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_log_patient_id"))
        batch_op.drop_index("ix_contact_log_patient_at")
        batch_op.drop_index(batch_op.f("ix_contact_log_by_id"))
        batch_op.drop_index("ix_contact_log_awaiting")
        batch_op.drop_index(batch_op.f("ix_contact_log_archived_at"))
    op.drop_table("contact_log")

    with op.batch_alter_table("directory_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_service_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_directory_service_name"))
        batch_op.drop_index(batch_op.f("ix_directory_service_archived_at"))
    op.drop_table("directory_service")
