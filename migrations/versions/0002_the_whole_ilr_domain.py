"""the whole ILR domain

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:59:13.234164

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('locality',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locality')),
    sa.UniqueConstraint('name', name=op.f('uq_locality_name'))
    )
    with op.batch_alter_table('locality', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locality_archived_at'), ['archived_at'], unique=False)

    op.create_table('patient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nhs_number', sa.String(length=10), nullable=True),
    sa.Column('nhs_number_status', sa.String(length=20), nullable=True),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('postcode', sa.String(length=10), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('gp_practice_id', sa.Integer(), nullable=True),
    sa.Column('named_gp', sa.String(length=200), nullable=True),
    sa.Column('carer_details', sa.String(length=1000), nullable=True),
    sa.Column('next_of_kin', sa.String(length=500), nullable=True),
    sa.Column('communication_needs', sa.String(length=1000), nullable=True),
    sa.Column('interpreter_language', sa.String(length=100), nullable=True),
    sa.Column('long_term_conditions', sa.String(length=2000), nullable=True),
    sa.Column('cfs', sa.Integer(), nullable=True),
    sa.Column('efi', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('date_of_death', sa.Date(), nullable=True),
    sa.Column('consent_withdrawn_on', sa.Date(), nullable=True),
    sa.Column('risk_score', sa.Integer(), server_default='0', nullable=False),
    sa.Column('risk_band', sa.String(length=20), server_default='low', nullable=False),
    sa.Column('risk_reasons', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('cfs IS NULL OR (cfs >= 1 AND cfs <= 9)', name=op.f('ck_patient_cfs_one_to_nine')),
    sa.CheckConstraint('date_of_death IS NULL OR date_of_death >= date_of_birth', name=op.f('ck_patient_death_after_birth')),
    sa.CheckConstraint('efi IS NULL OR (efi >= 0 AND efi <= 1)', name=op.f('ck_patient_efi_zero_to_one')),
    sa.CheckConstraint('nhs_number IS NULL OR length(nhs_number) = 10', name=op.f('ck_patient_nhs_number_ten_digits')),
    sa.ForeignKeyConstraint(['gp_practice_id'], ['organisation.id'], name=op.f('fk_patient_gp_practice_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient')),
    sa.UniqueConstraint('nhs_number', name=op.f('uq_patient_nhs_number'))
    )
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_date_of_birth'), ['date_of_birth'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_gp_practice_id'), ['gp_practice_id'], unique=False)
        batch_op.create_index('ix_patient_names', ['family_name', 'given_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_postcode'), ['postcode'], unique=False)
        batch_op.create_index('ix_patient_risk', ['risk_score', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_risk_band'), ['risk_band'], unique=False)

    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('table_name', sa.String(length=60), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('detail', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_audit_entry_patient_id_patient')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_audit_entry_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index('ix_audit_entry_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_audit_entry_record', ['table_name', 'record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_user_id'), ['user_id'], unique=False)

    op.create_table('collated_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.String(length=4000), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['checked_by_id'], ['user_account.id'], name=op.f('fk_collated_note_checked_by_id_user_account')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_collated_note_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collated_note'))
    )
    with op.batch_alter_table('collated_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collated_note_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_collated_note_checked_by_id'), ['checked_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collated_note_patient_id'), ['patient_id'], unique=False)

    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('job_title', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_contact_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_contact_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact')),
    sa.UniqueConstraint('user_id', name=op.f('uq_contact_user_id'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('hospital_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('discharged_on', sa.Date(), nullable=True),
    sa.Column('hospital', sa.String(length=200), nullable=True),
    sa.Column('notes', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('discharged_on IS NULL OR discharged_on >= occurred_on', name=op.f('ck_hospital_event_discharge_after_admission')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_hospital_event_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hospital_event'))
    )
    with op.batch_alter_table('hospital_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hospital_event_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index('ix_hospital_event_patient_date', ['patient_id', 'occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_hospital_event_patient_id'), ['patient_id'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('referrer_name', sa.String(length=200), nullable=False),
    sa.Column('referrer_role', sa.String(length=200), nullable=True),
    sa.Column('referrer_organisation_id', sa.Integer(), nullable=True),
    sa.Column('referrer_email', sa.String(length=254), nullable=True),
    sa.Column('referrer_phone', sa.String(length=40), nullable=True),
    sa.Column('reason', sa.String(length=4000), nullable=False),
    sa.Column('question', sa.String(length=2000), nullable=True),
    sa.Column('criteria_multiple_ltcs', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('criteria_complex_needs', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('criteria_frailty', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('criteria_multi_agency', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('criteria_urgent_care', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('consent', sa.String(length=20), nullable=False),
    sa.Column('consent_by', sa.String(length=200), nullable=True),
    sa.Column('consent_on', sa.Date(), nullable=True),
    sa.Column('best_interests_reason', sa.String(length=2000), nullable=True),
    sa.Column('signposting_tried', sa.String(length=2000), nullable=True),
    sa.Column('patient_aware', sa.Boolean(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("consent <> 'best_interests' OR best_interests_reason IS NOT NULL", name=op.f('ck_referral_best_interests_has_reason')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_referral_locality_id_locality')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_referral_patient_id_patient')),
    sa.ForeignKeyConstraint(['referrer_organisation_id'], ['organisation.id'], name=op.f('fk_referral_referrer_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_locality_id'), ['locality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_received_on'), ['received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_referrer_organisation_id'), ['referrer_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_status'), ['status'], unique=False)
        batch_op.create_index('ix_referral_status_received', ['status', 'received_on'], unique=False)

    op.create_table('safeguarding_concern',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('s42_criteria_met', sa.Boolean(), nullable=True),
    sa.Column('referred_to', sa.String(length=200), nullable=True),
    sa.Column('referred_on', sa.Date(), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.String(length=2000), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('closed_on IS NULL OR closed_on >= raised_on', name=op.f('ck_safeguarding_concern_closed_after_raised')),
    sa.CheckConstraint('referred_on IS NULL OR referred_on >= raised_on', name=op.f('ck_safeguarding_concern_referred_after_raised')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_safeguarding_concern_patient_id_patient')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['user_account.id'], name=op.f('fk_safeguarding_concern_raised_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safeguarding_concern'))
    )
    with op.batch_alter_table('safeguarding_concern', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safeguarding_concern_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_safeguarding_concern_closed_on'), ['closed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_safeguarding_concern_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safeguarding_concern_raised_by_id'), ['raised_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safeguarding_concern_raised_on'), ['raised_on'], unique=False)

    op.create_table('setting',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_setting_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('episode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closure_reason', sa.String(length=20), nullable=True),
    sa.Column('goal_attainment', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('closed_on IS NULL OR closed_on >= opened_on', name=op.f('ck_episode_closed_after_opened')),
    sa.CheckConstraint('closed_on IS NULL OR closure_reason IS NOT NULL', name=op.f('ck_episode_closure_has_reason')),
    sa.ForeignKeyConstraint(['coordinator_id'], ['user_account.id'], name=op.f('fk_episode_coordinator_id_user_account')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_episode_locality_id_locality')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_episode_patient_id_patient')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_episode_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_episode'))
    )
    with op.batch_alter_table('episode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episode_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_episode_closed_on'), ['closed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_episode_coordinator_id'), ['coordinator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_episode_locality_id'), ['locality_id'], unique=False)
        batch_op.create_index('ix_episode_open_review', ['closed_on', 'review_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_episode_opened_on'), ['opened_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_episode_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_episode_referral_id'), ['referral_id'], unique=False)

    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), server_default='120', nullable=False),
    sa.Column('chair_id', sa.Integer(), nullable=True),
    sa.Column('teams_link', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ics_sequence', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('duration_minutes > 0 AND duration_minutes <= 600', name=op.f('ck_meeting_sensible_duration')),
    sa.ForeignKeyConstraint(['chair_id'], ['contact.id'], name=op.f('fk_meeting_chair_id_contact')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_meeting_locality_id_locality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_chair_id'), ['chair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_locality_id'), ['locality_id'], unique=False)
        batch_op.create_index('ix_meeting_locality_starts', ['locality_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_status'), ['status'], unique=False)

    op.create_table('meeting_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('member_role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_meeting_member_contact_id_contact')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_meeting_member_locality_id_locality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_member')),
    sa.UniqueConstraint('locality_id', 'contact_id', name='uq_meeting_member_locality_contact')
    )
    with op.batch_alter_table('meeting_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_member_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_member_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_member_locality_id'), ['locality_id'], unique=False)

    op.create_table('triage_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('decline_reason', sa.String(length=21), nullable=True),
    sa.Column('reason_text', sa.String(length=2000), nullable=True),
    sa.Column('missing_information', sa.String(length=2000), nullable=True),
    sa.Column('redirected_to', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("decline_reason <> 'other' OR reason_text IS NOT NULL", name=op.f('ck_triage_decision_other_reason_has_text')),
    sa.CheckConstraint("outcome <> 'decline' OR decline_reason IS NOT NULL", name=op.f('ck_triage_decision_decline_has_reason')),
    sa.CheckConstraint("outcome <> 'redirect' OR redirected_to IS NOT NULL", name=op.f('ck_triage_decision_redirect_has_service')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_triage_decision_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_triage_decision_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_decision'))
    )
    with op.batch_alter_table('triage_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triage_decision_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_triage_decision_decided_on'), ['decided_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_triage_decision_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_triage_decision_referral_id'), ['referral_id'], unique=False)

    op.create_table('agenda_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('slot_starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('presenter_id', sa.Integer(), nullable=True),
    sa.Column('late_addition', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.String(length=4000), nullable=True),
    sa.Column('discussion', sa.String(length=8000), nullable=True),
    sa.Column('outcome', sa.String(length=4000), nullable=True),
    sa.Column('decisions', sa.String(length=4000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_agenda_item_episode_id_episode')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_agenda_item_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_agenda_item_patient_id_patient')),
    sa.ForeignKeyConstraint(['presenter_id'], ['contact.id'], name=op.f('fk_agenda_item_presenter_id_contact')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_agenda_item_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item')),
    sa.UniqueConstraint('meeting_id', 'patient_id', name='uq_agenda_item_meeting_patient')
    )
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_item_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_presenter_id'), ['presenter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_status'), ['status'], unique=False)

    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_attendance_contact_id_contact')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_attendance_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('meeting_id', 'contact_id', name='uq_attendance_meeting_contact')
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('care_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('about_me', sa.String(length=4000), nullable=True),
    sa.Column('what_matters', sa.String(length=4000), nullable=True),
    sa.Column('support_by_agency', sa.String(length=8000), nullable=True),
    sa.Column('contingency_plan', sa.String(length=4000), nullable=True),
    sa.Column('carers_and_contacts', sa.String(length=2000), nullable=True),
    sa.Column('review_on', sa.Date(), nullable=True),
    sa.Column('agreed_on', sa.Date(), nullable=True),
    sa.Column('agreed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("state <> 'agreed' OR agreed_on IS NOT NULL", name=op.f('ck_care_plan_agreed_has_date')),
    sa.ForeignKeyConstraint(['agreed_by_id'], ['user_account.id'], name=op.f('fk_care_plan_agreed_by_id_user_account')),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_care_plan_episode_id_episode')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_care_plan_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan')),
    sa.UniqueConstraint('patient_id', 'number', name='uq_care_plan_patient_number')
    )
    with op.batch_alter_table('care_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_agreed_by_id'), ['agreed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_state'), ['state'], unique=False)

    op.create_table('generated_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('generated_by_id', sa.Integer(), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['generated_by_id'], ['user_account.id'], name=op.f('fk_generated_document_generated_by_id_user_account')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_generated_document_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_generated_document_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_generated_document'))
    )
    with op.batch_alter_table('generated_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_generated_document_generated_by_id'), ['generated_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_generated_document_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_generated_document_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_generated_document_patient_id'), ['patient_id'], unique=False)

    op.create_table('onward_referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('service', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('outcome_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("outcome = 'waiting' OR outcome_on IS NOT NULL", name=op.f('ck_onward_referral_outcome_has_date')),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_onward_referral_episode_id_episode')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_onward_referral_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_onward_referral_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onward_referral'))
    )
    with op.batch_alter_table('onward_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onward_referral_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_onward_referral_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onward_referral_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onward_referral_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onward_referral_referred_on'), ['referred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_onward_referral_service'), ['service'], unique=False)

    op.create_table('outbox_email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('ics', sa.Text(), nullable=True),
    sa.Column('contains_patient_data', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_outbox_email_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_outbox_email_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_email'))
    )
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_email_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_email_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_outbox_email_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_email_to_address'), ['to_address'], unique=False)

    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=False),
    sa.Column('owner_organisation_id', sa.Integer(), nullable=False),
    sa.Column('owner_contact_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status <> 'done' OR completed_on IS NOT NULL", name=op.f('ck_action_done_has_completion_date')),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_action_agenda_item_id_agenda_item')),
    sa.ForeignKeyConstraint(['owner_contact_id'], ['contact.id'], name=op.f('fk_action_owner_contact_id_contact')),
    sa.ForeignKeyConstraint(['owner_organisation_id'], ['organisation.id'], name=op.f('fk_action_owner_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_action_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_archived_at'), ['archived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_owner_contact_id'), ['owner_contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_owner_organisation_id'), ['owner_organisation_id'], unique=False)
        batch_op.create_index('ix_action_owner_status', ['owner_organisation_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_action_status_due', ['status', 'due_on'], unique=False)

    op.create_table('care_plan_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('care_plan_id', sa.Integer(), nullable=False),
    sa.Column('shared_on', sa.Date(), nullable=False),
    sa.Column('shared_by_id', sa.Integer(), nullable=False),
    sa.Column('shared_with_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['care_plan_id'], ['care_plan.id'], name=op.f('fk_care_plan_share_care_plan_id_care_plan')),
    sa.ForeignKeyConstraint(['shared_by_id'], ['user_account.id'], name=op.f('fk_care_plan_share_shared_by_id_user_account')),
    sa.ForeignKeyConstraint(['shared_with_id'], ['organisation.id'], name=op.f('fk_care_plan_share_shared_with_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan_share'))
    )
    with op.batch_alter_table('care_plan_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_share_care_plan_id'), ['care_plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_share_shared_by_id'), ['shared_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_share_shared_on'), ['shared_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_share_shared_with_id'), ['shared_with_id'], unique=False)

    op.create_table('goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('care_plan_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('target_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['care_plan_id'], ['care_plan.id'], name=op.f('fk_goal_care_plan_id_care_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal'))
    )
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_care_plan_id'), ['care_plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_status'), ['status'], unique=False)

    op.create_table('action_chase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('chased_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chased_by_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_action_chase_action_id_action')),
    sa.ForeignKeyConstraint(['chased_by_id'], ['user_account.id'], name=op.f('fk_action_chase_chased_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_chase'))
    )
    with op.batch_alter_table('action_chase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_chase_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_chase_chased_by_id'), ['chased_by_id'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locality_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_organisation_locality_id'), ['locality_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_organisation_locality_id_locality'), 'locality', ['locality_id'], ['id'])



def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_organisation_locality_id_locality'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_organisation_locality_id'))
        batch_op.drop_column('locality_id')

    with op.batch_alter_table('action_chase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_chase_chased_by_id'))
        batch_op.drop_index(batch_op.f('ix_action_chase_action_id'))

    op.drop_table('action_chase')
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_status'))
        batch_op.drop_index(batch_op.f('ix_goal_care_plan_id'))

    op.drop_table('goal')
    with op.batch_alter_table('care_plan_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_share_shared_with_id'))
        batch_op.drop_index(batch_op.f('ix_care_plan_share_shared_on'))
        batch_op.drop_index(batch_op.f('ix_care_plan_share_shared_by_id'))
        batch_op.drop_index(batch_op.f('ix_care_plan_share_care_plan_id'))

    op.drop_table('care_plan_share')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index('ix_action_status_due')
        batch_op.drop_index(batch_op.f('ix_action_patient_id'))
        batch_op.drop_index('ix_action_owner_status')
        batch_op.drop_index(batch_op.f('ix_action_owner_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_action_owner_contact_id'))
        batch_op.drop_index(batch_op.f('ix_action_due_on'))
        batch_op.drop_index(batch_op.f('ix_action_archived_at'))
        batch_op.drop_index(batch_op.f('ix_action_agenda_item_id'))

    op.drop_table('action')
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_email_to_address'))
        batch_op.drop_index('ix_outbox_email_status_next')
        batch_op.drop_index(batch_op.f('ix_outbox_email_patient_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_email_meeting_id'))

    op.drop_table('outbox_email')
    with op.batch_alter_table('onward_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onward_referral_service'))
        batch_op.drop_index(batch_op.f('ix_onward_referral_referred_on'))
        batch_op.drop_index(batch_op.f('ix_onward_referral_patient_id'))
        batch_op.drop_index(batch_op.f('ix_onward_referral_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_onward_referral_episode_id'))
        batch_op.drop_index(batch_op.f('ix_onward_referral_archived_at'))

    op.drop_table('onward_referral')
    with op.batch_alter_table('generated_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_generated_document_patient_id'))
        batch_op.drop_index(batch_op.f('ix_generated_document_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_generated_document_kind'))
        batch_op.drop_index(batch_op.f('ix_generated_document_generated_by_id'))

    op.drop_table('generated_document')
    with op.batch_alter_table('care_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_state'))
        batch_op.drop_index(batch_op.f('ix_care_plan_patient_id'))
        batch_op.drop_index(batch_op.f('ix_care_plan_episode_id'))
        batch_op.drop_index(batch_op.f('ix_care_plan_archived_at'))
        batch_op.drop_index(batch_op.f('ix_care_plan_agreed_by_id'))

    op.drop_table('care_plan')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_contact_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_item_status'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_referral_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_presenter_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_patient_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_episode_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_archived_at'))

    op.drop_table('agenda_item')
    with op.batch_alter_table('triage_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_triage_decision_referral_id'))
        batch_op.drop_index(batch_op.f('ix_triage_decision_outcome'))
        batch_op.drop_index(batch_op.f('ix_triage_decision_decided_on'))
        batch_op.drop_index(batch_op.f('ix_triage_decision_decided_by_id'))

    op.drop_table('triage_decision')
    with op.batch_alter_table('meeting_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_member_locality_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_member_contact_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_member_archived_at'))

    op.drop_table('meeting_member')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_status'))
        batch_op.drop_index(batch_op.f('ix_meeting_starts_at'))
        batch_op.drop_index('ix_meeting_locality_starts')
        batch_op.drop_index(batch_op.f('ix_meeting_locality_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_chair_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_archived_at'))

    op.drop_table('meeting')
    with op.batch_alter_table('episode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episode_referral_id'))
        batch_op.drop_index(batch_op.f('ix_episode_patient_id'))
        batch_op.drop_index(batch_op.f('ix_episode_opened_on'))
        batch_op.drop_index('ix_episode_open_review')
        batch_op.drop_index(batch_op.f('ix_episode_locality_id'))
        batch_op.drop_index(batch_op.f('ix_episode_coordinator_id'))
        batch_op.drop_index(batch_op.f('ix_episode_closed_on'))
        batch_op.drop_index(batch_op.f('ix_episode_archived_at'))

    op.drop_table('episode')
    op.drop_table('setting')
    with op.batch_alter_table('safeguarding_concern', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safeguarding_concern_raised_on'))
        batch_op.drop_index(batch_op.f('ix_safeguarding_concern_raised_by_id'))
        batch_op.drop_index(batch_op.f('ix_safeguarding_concern_patient_id'))
        batch_op.drop_index(batch_op.f('ix_safeguarding_concern_closed_on'))
        batch_op.drop_index(batch_op.f('ix_safeguarding_concern_archived_at'))

    op.drop_table('safeguarding_concern')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_status_received')
        batch_op.drop_index(batch_op.f('ix_referral_status'))
        batch_op.drop_index(batch_op.f('ix_referral_referrer_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_referral_received_on'))
        batch_op.drop_index(batch_op.f('ix_referral_patient_id'))
        batch_op.drop_index(batch_op.f('ix_referral_locality_id'))
        batch_op.drop_index(batch_op.f('ix_referral_archived_at'))

    op.drop_table('referral')
    with op.batch_alter_table('hospital_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hospital_event_patient_id'))
        batch_op.drop_index('ix_hospital_event_patient_date')
        batch_op.drop_index(batch_op.f('ix_hospital_event_archived_at'))

    op.drop_table('hospital_event')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_contact_name'))
        batch_op.drop_index(batch_op.f('ix_contact_email'))
        batch_op.drop_index(batch_op.f('ix_contact_archived_at'))

    op.drop_table('contact')
    with op.batch_alter_table('collated_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collated_note_patient_id'))
        batch_op.drop_index(batch_op.f('ix_collated_note_checked_by_id'))
        batch_op.drop_index(batch_op.f('ix_collated_note_archived_at'))

    op.drop_table('collated_note')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_user_id'))
        batch_op.drop_index('ix_audit_entry_record')
        batch_op.drop_index(batch_op.f('ix_audit_entry_patient_id'))
        batch_op.drop_index('ix_audit_entry_at')
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_risk_band'))
        batch_op.drop_index('ix_patient_risk')
        batch_op.drop_index(batch_op.f('ix_patient_postcode'))
        batch_op.drop_index('ix_patient_names')
        batch_op.drop_index(batch_op.f('ix_patient_gp_practice_id'))
        batch_op.drop_index(batch_op.f('ix_patient_date_of_birth'))
        batch_op.drop_index(batch_op.f('ix_patient_archived_at'))

    op.drop_table('patient')
    with op.batch_alter_table('locality', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locality_archived_at'))

    op.drop_table('locality')
