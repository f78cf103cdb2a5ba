"""retention: legal holds and the tombstones of purged cases and persons (caseflow.retention).

New tables only (legal_holds, retention_case_purges, retention_person_purges, deletion_requests); no guarded
table is altered.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

UTCDateTime = lambda: sa.DateTime(timezone=True)  # noqa: E731  (as caseflow.core.db.UTCDateTime stores it)

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'legal_holds',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('case_id', sa.Uuid(), sa.ForeignKey('cases.id'), nullable=False),
        sa.Column('reason', sa.String(32), nullable=False),
        sa.Column('reference', sa.String(100)),
        sa.Column('placed_by', sa.String(100), nullable=False),
        sa.Column('placed_at', UTCDateTime(), nullable=False),
        sa.Column('released_by', sa.String(100)),
        sa.Column('released_at', UTCDateTime()),
    )
    op.create_index('ix_legal_holds_case_id', 'legal_holds', ['case_id'])
    op.create_table(
        'retention_case_purges',
        sa.Column('case_id', sa.Uuid(), sa.ForeignKey('cases.id'), primary_key=True),
        sa.Column('municipality_id', sa.Uuid(), sa.ForeignKey('municipalities.id'), nullable=False),
        sa.Column('case_number', sa.String(20), nullable=False),
        sa.Column('rule', sa.String(64), nullable=False),
        sa.Column('years', sa.SmallInteger(), nullable=False),
        sa.Column('closed_at', UTCDateTime()),
        sa.Column('purged_at', UTCDateTime(), nullable=False),
        sa.Column('purged_by', sa.String(100), nullable=False),
    )
    op.create_index('ix_retention_case_purges_municipality', 'retention_case_purges', ['municipality_id', 'purged_at'])
    op.create_table(
        'retention_person_purges',
        sa.Column('person_id', sa.Uuid(), sa.ForeignKey('persons.id'), primary_key=True),
        sa.Column('case_id', sa.Uuid(), sa.ForeignKey('cases.id')),
        sa.Column('purged_at', UTCDateTime(), nullable=False),
    )
    op.create_table(
        'deletion_requests',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('municipality_id', sa.Uuid(), sa.ForeignKey('municipalities.id'), nullable=False),
        sa.Column('person_id', sa.Uuid(), sa.ForeignKey('persons.id'), nullable=False),
        sa.Column('ground', sa.String(32), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('requested_by_user_id', sa.Uuid(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('requested_by_org_id', sa.Uuid(), sa.ForeignKey('organizations.id'), nullable=False),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
        sa.Column('reviewed_by_user_id', sa.Uuid(), sa.ForeignKey('users.id')),
        sa.Column('reviewed_at', UTCDateTime()),
        sa.Column('decline_ground', sa.String(32)),
        sa.Column('purged_at', UTCDateTime()),
    )
    op.create_index('ix_deletion_requests_person_id', 'deletion_requests', ['person_id'])
    op.create_index('ix_deletion_requests_municipality_state', 'deletion_requests',
                    ['municipality_id', 'state', 'requested_at'])


def downgrade():
    op.drop_index('ix_deletion_requests_municipality_state', 'deletion_requests')
    op.drop_index('ix_deletion_requests_person_id', 'deletion_requests')
    op.drop_table('deletion_requests')
    op.drop_table('retention_person_purges')
    op.drop_index('ix_retention_case_purges_municipality', 'retention_case_purges')
    op.drop_table('retention_case_purges')
    op.drop_index('ix_legal_holds_case_id', 'legal_holds')
    op.drop_table('legal_holds')
