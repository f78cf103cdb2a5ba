"""audit reviews, verification checkpoints, auditor search indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Reviews of audit events and chain-verification results live in their own tables (the audit tables
are append-only). The indexes serve the auditor's keyset searches over millions of events.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# Events about a case that is not their resource carry the case id in detail.case_id.
CASE_INDEX = 'ix_audit_events_detail_case'


def upgrade() -> None:
    op.create_table('audit_reviews',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_seq', SEQ, nullable=False),
    sa.Column('reviewer_user_id', sa.Uuid(), nullable=False),
    sa.Column('reviewer_org_id', sa.Uuid(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_seq'], ['audit_events.seq'], name=op.f('fk_audit_reviews_event_seq_audit_events')),
    sa.ForeignKeyConstraint(['reviewer_org_id'], ['organizations.id'], name=op.f('fk_audit_reviews_reviewer_org_id_organizations')),
    sa.ForeignKeyConstraint(['reviewer_user_id'], ['users.id'], name=op.f('fk_audit_reviews_reviewer_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_reviews'))
    )
    with op.batch_alter_table('audit_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_audit_reviews_event', ['event_seq', 'reviewed_at'], unique=False)

    op.create_table('audit_verifications',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_seq', SEQ, nullable=False),
    sa.Column('to_seq', SEQ, nullable=False),
    sa.Column('to_hash', sa.String(length=64), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('checked', SEQ, nullable=False),
    sa.Column('first_bad_seq', SEQ, nullable=True),
    sa.Column('problem', sa.String(length=300), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('events_per_second', sa.Float(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_verifications'))
    )
    with op.batch_alter_table('audit_verifications', schema=None) as batch_op:
        batch_op.create_index('ix_audit_verifications_ok_to_seq', ['ok', 'to_seq'], unique=False)

    # Plain CREATE INDEX (no batch): SQLite adds indexes in place; a batch copy of audit_events
    # would drop its append-only triggers.
    op.create_index('ix_audit_events_action_seq', 'audit_events', ['action', 'seq'], unique=False)
    op.create_index('ix_audit_events_basis_seq', 'audit_events', ['legal_basis', 'seq'], unique=False)
    op.create_index('ix_audit_events_outcome_seq', 'audit_events', ['outcome', 'seq'], unique=False)
    op.create_index('ix_audit_events_flagged_seq', 'audit_events', ['flagged', 'seq'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"CREATE INDEX {CASE_INDEX} ON audit_events (json_extract(detail, '$.case_id'))")
    else:
        op.execute(f"CREATE INDEX {CASE_INDEX} ON audit_events (((detail::jsonb) ->> 'case_id'))")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {CASE_INDEX}")
    op.drop_index('ix_audit_events_flagged_seq', table_name='audit_events')
    op.drop_index('ix_audit_events_outcome_seq', table_name='audit_events')
    op.drop_index('ix_audit_events_basis_seq', table_name='audit_events')
    op.drop_index('ix_audit_events_action_seq', table_name='audit_events')
    with op.batch_alter_table('audit_verifications', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_verifications_ok_to_seq')

    op.drop_table('audit_verifications')
    with op.batch_alter_table('audit_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_reviews_event')

    op.drop_table('audit_reviews')
