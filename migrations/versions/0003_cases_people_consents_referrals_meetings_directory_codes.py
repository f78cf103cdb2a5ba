"""Households, persons, cases, managed lists, consents, emergency access, referrals, directory, meetings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_counters',
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('fiscal_year', name=op.f('pk_case_counters'))
    )
    op.create_table('managed_codes',
    sa.Column('list_name', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('list_name', 'code', name=op.f('pk_managed_codes'))
    )
    op.create_table('directory_entries',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('fields', sa.String(length=500), nullable=False),
    sa.Column('languages', sa.String(length=100), nullable=False),
    sa.Column('lgbtq', sa.Boolean(), nullable=False),
    sa.Column('eligibility', sa.String(length=300), nullable=True),
    sa.Column('age_min', sa.SmallInteger(), nullable=True),
    sa.Column('age_max', sa.SmallInteger(), nullable=True),
    sa.Column('service_area', sa.String(length=500), nullable=False),
    sa.Column('hours', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('line', sa.String(length=100), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('takes_consultations', sa.Boolean(), nullable=False),
    sa.Column('joint_support', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_directory_entries_org_id_organizations')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_directory_entries'))
    )
    op.create_table('households',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('district_code', sa.String(length=64), nullable=True),
    sa.Column('collected_by_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['collected_by_org_id'], ['organizations.id'], name=op.f('fk_households_collected_by_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_households_district_code'), ['district_code'], unique=False)

    op.create_table('persons',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('name_kana', sa.String(length=100), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('line_id', sa.String(length=100), nullable=True),
    sa.Column('contact_preferences', sa.String(length=200), nullable=False),
    sa.Column('sensitive', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('birth_year', sa.SmallInteger(), nullable=True),
    sa.Column('languages', sa.String(length=100), nullable=False),
    sa.Column('search_key', sa.String(length=200), nullable=False),
    sa.Column('collected_by_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['collected_by_org_id'], ['organizations.id'], name=op.f('fk_persons_collected_by_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_collected_by_org_id'), ['collected_by_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_search_key'), ['search_key'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_number', sa.String(length=20), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('lead_worker_id', sa.Uuid(), nullable=True),
    sa.Column('household_id', sa.Uuid(), nullable=True),
    sa.Column('primary_person_id', sa.Uuid(), nullable=True),
    sa.Column('anonymous_label', sa.String(length=100), nullable=True),
    sa.Column('intake_channel', sa.String(length=32), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('closure_reason', sa.String(length=64), nullable=True),
    sa.Column('district_code', sa.String(length=64), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_cases_household_id_households')),
    sa.ForeignKeyConstraint(['lead_worker_id'], ['users.id'], name=op.f('fk_cases_lead_worker_id_users')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organizations.id'], name=op.f('fk_cases_owner_org_id_organizations')),
    sa.ForeignKeyConstraint(['primary_person_id'], ['persons.id'], name=op.f('fk_cases_primary_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('case_number', name=op.f('uq_cases_case_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_district_stage', ['district_code', 'stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_lead_worker_id'), ['lead_worker_id'], unique=False)
        batch_op.create_index('ix_cases_opened', ['opened_on', 'id'], unique=False)
        batch_op.create_index('ix_cases_owner_stage_opened', ['owner_org_id', 'stage', 'opened_on', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_primary_person_id'), ['primary_person_id'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('given_by', sa.String(length=16), nullable=False),
    sa.Column('representative_relationship', sa.String(length=50), nullable=True),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('obtained_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('obtained_by_org_id', sa.Uuid(), nullable=False),
    sa.Column('obtained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('form_reference', sa.String(length=200), nullable=True),
    sa.Column('supersedes_id', sa.Uuid(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['obtained_by_org_id'], ['organizations.id'], name=op.f('fk_consents_obtained_by_org_id_organizations')),
    sa.ForeignKeyConstraint(['obtained_by_user_id'], ['users.id'], name=op.f('fk_consents_obtained_by_user_id_users')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_consents_person_id_persons')),
    sa.ForeignKeyConstraint(['revoked_by_user_id'], ['users.id'], name=op.f('fk_consents_revoked_by_user_id_users')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['consents.id'], name=op.f('fk_consents_supersedes_id_consents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_person_id'), ['person_id'], unique=False)

    op.create_table('household_members',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('relationship', sa.String(length=16), nullable=False),
    sa.Column('in_need', sa.Boolean(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_members_household_id_households')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_household_members_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_members'))
    )
    with op.batch_alter_table('household_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_members_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_members_person_id'), ['person_id'], unique=False)

    op.create_table('meetings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('online_url', sa.String(length=300), nullable=True),
    sa.Column('chair_user_id', sa.Uuid(), nullable=False),
    sa.Column('organizer_org_id', sa.Uuid(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['chair_user_id'], ['users.id'], name=op.f('fk_meetings_chair_user_id_users')),
    sa.ForeignKeyConstraint(['organizer_org_id'], ['organizations.id'], name=op.f('fk_meetings_organizer_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_starts', ['starts_at'], unique=False)

    op.create_table('agenda_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('topic', sa.String(length=200), nullable=True),
    sa.Column('presenting_org_id', sa.Uuid(), nullable=True),
    sa.Column('points', sa.Text(), nullable=True),
    sa.Column('minutes_allotted', sa.SmallInteger(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_agenda_items_case_id_cases')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_agenda_items_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['presenting_org_id'], ['organizations.id'], name=op.f('fk_agenda_items_presenting_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_items_case', ['case_id', 'meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_items_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('case_involvements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_involvements_case_id_cases')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_case_involvements_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_involvements'))
    )
    with op.batch_alter_table('case_involvements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_involvements_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_case_involvements_org_case', ['org_id', 'case_id'], unique=False)

    op.create_table('case_issues',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('issue_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_issues_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'issue_code', name=op.f('pk_case_issues'))
    )
    with op.batch_alter_table('case_issues', schema=None) as batch_op:
        batch_op.create_index('ix_case_issues_code', ['issue_code', 'case_id'], unique=False)

    op.create_table('case_stage_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('from_stage', sa.String(length=16), nullable=True),
    sa.Column('to_stage', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('closure_reason', sa.String(length=64), nullable=True),
    sa.Column('actor_user_id', sa.Uuid(), nullable=True),
    sa.Column('actor_org_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_org_id'], ['organizations.id'], name=op.f('fk_case_stage_changes_actor_org_id_organizations')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_case_stage_changes_actor_user_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_stage_changes_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_stage_changes'))
    )
    with op.batch_alter_table('case_stage_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_stage_changes_case_id'), ['case_id'], unique=False)

    op.create_table('consent_categories',
    sa.Column('consent_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_consent_categories_consent_id_consents')),
    sa.PrimaryKeyConstraint('consent_id', 'category', name=op.f('pk_consent_categories'))
    )
    op.create_table('consent_recipients',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('consent_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=True),
    sa.Column('org_kind', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_consent_recipients_consent_id_consents')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_consent_recipients_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_recipients'))
    )
    with op.batch_alter_table('consent_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_recipients_consent_id'), ['consent_id'], unique=False)

    op.create_table('emergency_accesses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_emergency_accesses_case_id_cases')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_emergency_accesses_org_id_organizations')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_emergency_accesses_person_id_persons')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_emergency_accesses_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_accesses'))
    )
    with op.batch_alter_table('emergency_accesses', schema=None) as batch_op:
        batch_op.create_index('ix_emergency_accesses_case', ['case_id'], unique=False)
        batch_op.create_index('ix_emergency_accesses_user_person', ['user_id', 'person_id'], unique=False)

    op.create_table('meeting_attendees',
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_attendees_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_attendees_user_id_users')),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_meeting_attendees'))
    )
    op.create_table('meeting_members',
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_members_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_meeting_members_org_id_organizations')),
    sa.PrimaryKeyConstraint('meeting_id', 'org_id', name=op.f('pk_meeting_members'))
    )
    with op.batch_alter_table('meeting_members', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_members_org', ['org_id', 'meeting_id'], unique=False)

    op.create_table('pledges',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=True),
    sa.Column('fiscal_year', sa.Integer(), nullable=True),
    sa.Column('pledge_text_version', sa.String(length=32), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_pledges_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pledges_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges')),
    sa.UniqueConstraint('user_id', 'meeting_id', 'fiscal_year', name=op.f('uq_pledges_user_id_meeting_id_fiscal_year'))
    )
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledges_user_id'), ['user_id'], unique=False)

    op.create_table('progress_records',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('author_user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_progress_records_author_user_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_progress_records_case_id_cases')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_progress_records_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_records'))
    )
    with op.batch_alter_table('progress_records', schema=None) as batch_op:
        batch_op.create_index('ix_progress_records_case', ['case_id', 'occurred_on'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('from_org_id', sa.Uuid(), nullable=False),
    sa.Column('to_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_support', sa.Text(), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('reply_due', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_reason', sa.Text(), nullable=True),
    sa.Column('responded_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_referrals_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['from_org_id'], ['organizations.id'], name=op.f('fk_referrals_from_org_id_organizations')),
    sa.ForeignKeyConstraint(['responded_by_user_id'], ['users.id'], name=op.f('fk_referrals_responded_by_user_id_users')),
    sa.ForeignKeyConstraint(['to_org_id'], ['organizations.id'], name=op.f('fk_referrals_to_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_referrals_from_state', ['from_org_id', 'state'], unique=False)
        batch_op.create_index('ix_referrals_to_state_due', ['to_org_id', 'state', 'reply_due'], unique=False)

    op.create_table('referral_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_user_id', sa.Uuid(), nullable=False),
    sa.Column('actor_org_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_org_id'], ['organizations.id'], name=op.f('fk_referral_events_actor_org_id_organizations')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_referral_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_events_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_events'))
    )
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_events_referral_id'), ['referral_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_events_referral_id'))

    op.drop_table('referral_events')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_to_state_due')
        batch_op.drop_index('ix_referrals_from_state')
        batch_op.drop_index(batch_op.f('ix_referrals_case_id'))

    op.drop_table('referrals')
    with op.batch_alter_table('progress_records', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_records_case')

    op.drop_table('progress_records')
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledges_user_id'))

    op.drop_table('pledges')
    with op.batch_alter_table('meeting_members', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_members_org')

    op.drop_table('meeting_members')
    op.drop_table('meeting_attendees')
    with op.batch_alter_table('emergency_accesses', schema=None) as batch_op:
        batch_op.drop_index('ix_emergency_accesses_user_person')
        batch_op.drop_index('ix_emergency_accesses_case')

    op.drop_table('emergency_accesses')
    with op.batch_alter_table('consent_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_recipients_consent_id'))

    op.drop_table('consent_recipients')
    op.drop_table('consent_categories')
    with op.batch_alter_table('case_stage_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_stage_changes_case_id'))

    op.drop_table('case_stage_changes')
    with op.batch_alter_table('case_issues', schema=None) as batch_op:
        batch_op.drop_index('ix_case_issues_code')

    op.drop_table('case_issues')
    with op.batch_alter_table('case_involvements', schema=None) as batch_op:
        batch_op.drop_index('ix_case_involvements_org_case')
        batch_op.drop_index(batch_op.f('ix_case_involvements_case_id'))

    op.drop_table('case_involvements')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_meeting_id'))
        batch_op.drop_index('ix_agenda_items_case')

    op.drop_table('agenda_items')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_starts')

    op.drop_table('meetings')
    with op.batch_alter_table('household_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_members_person_id'))
        batch_op.drop_index(batch_op.f('ix_household_members_household_id'))

    op.drop_table('household_members')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_person_id'))

    op.drop_table('consents')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_primary_person_id'))
        batch_op.drop_index('ix_cases_owner_stage_opened')
        batch_op.drop_index('ix_cases_opened')
        batch_op.drop_index(batch_op.f('ix_cases_lead_worker_id'))
        batch_op.drop_index(batch_op.f('ix_cases_household_id'))
        batch_op.drop_index('ix_cases_district_stage')

    op.drop_table('cases')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_search_key'))
        batch_op.drop_index(batch_op.f('ix_persons_collected_by_org_id'))

    op.drop_table('persons')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_district_code'))

    op.drop_table('households')
    op.drop_table('directory_entries')
    op.drop_table('managed_codes')
    op.drop_table('case_counters')
