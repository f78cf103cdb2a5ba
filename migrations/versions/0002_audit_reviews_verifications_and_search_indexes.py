"""audit reviews, verification checkpoints, auditor search indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Reviews of audit events and chain-verification results live in their own tables (the audit tables
are append-only). The indexes serve the auditor's keyset searches over millions of events.
"""
import sqlalchemy as sa
from alembic import op

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
    # Refusals are rare: with the actor columns in the index, "denied by this organisation/user"
    # filters inside the index instead of visiting every refused event's row.
    op.create_index('ix_audit_events_outcome_seq', 'audit_events', ['outcome', 'seq', 'actor_org_id', 'actor_user_id'],
                    unique=False)
    op.create_index('ix_audit_events_flagged_seq', 'audit_events', ['flagged', 'seq'], unique=False)
    # Expression indexes, written exactly as caseflow.audit.queries builds them: the action's
    # area ("cases" of "cases.read"), the legal basis's kind ("consent" of "consent:<id>"), and
    # detail.case_id. Range or LIKE prefixes are not used: under a non-C collation they are wrong.
    for name, sql in _expression_indexes(op.get_bind().dialect.name).items():
        op.execute(f"CREATE INDEX {name} ON audit_events {sql}")


def _expression_indexes(dialect: str) -> dict:
    # (x, seq) serves keyset pages over all time; (x, occurred_at) the same filter within a period.
    if dialect == 'sqlite':
        area = "substr(action, 1, instr(action || '.', '.') - 1)"
        kind = "substr(legal_basis, 1, instr(legal_basis || ':', ':') - 1)"
        case_id = "json_extract(detail, '$.case_id')"
    else:
        area = "split_part(action, '.', 1)"
        kind = "split_part(legal_basis, ':', 1)"
        case_id = "((detail::jsonb) ->> 'case_id')"
    return {
        'ix_audit_events_area_seq': f"({area}, seq)",
        'ix_audit_events_area_time': f"({area}, occurred_at)",
        'ix_audit_events_basis_kind_seq': f"({kind}, seq)",
        'ix_audit_events_basis_kind_time': f"({kind}, occurred_at)",
        CASE_INDEX: f"({case_id})",
    }


def downgrade() -> None:
    for name in _expression_indexes(op.get_bind().dialect.name):
        op.execute(f"DROP INDEX IF EXISTS {name}")
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
