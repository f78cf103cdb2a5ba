"""lead hand-overs (主担当の交代): offers of a case's lead to another organisation of its municipality.

Co-leads (副担当) need no table of their own: they are case involvements with relation 'co_lead'.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lead_handovers',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('from_org_id', sa.Uuid(), nullable=False),
        sa.Column('to_org_id', sa.Uuid(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('previous_lead_stays', sa.Boolean(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('state_reason', sa.Text(), nullable=True),
        sa.Column('requested_by_user_id', sa.Uuid(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'accepted', 'declined', 'withdrawn', 'lapsed')",
                           name=op.f('ck_lead_handovers_state')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_lead_handovers_case_id_cases')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_lead_handovers_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['from_org_id'], ['organizations.id'],
                                name=op.f('fk_lead_handovers_from_org_id_organizations')),
        sa.ForeignKeyConstraint(['to_org_id'], ['organizations.id'],
                                name=op.f('fk_lead_handovers_to_org_id_organizations')),
        sa.ForeignKeyConstraint(['requested_by_user_id'], ['users.id'],
                                name=op.f('fk_lead_handovers_requested_by_user_id_users')),
        sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'],
                                name=op.f('fk_lead_handovers_decided_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_handovers')),
    )
    op.create_index(op.f('ix_lead_handovers_case_id'), 'lead_handovers', ['case_id'], unique=False)
    op.create_index('ix_lead_handovers_to', 'lead_handovers', ['to_org_id', 'state', 'requested_at'], unique=False)
    op.create_index('ix_lead_handovers_from', 'lead_handovers', ['from_org_id', 'state', 'requested_at'], unique=False)
    op.create_index('uq_lead_handovers_pending', 'lead_handovers', ['case_id', 'to_org_id'], unique=True,
                    sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))


def downgrade() -> None:
    op.drop_table('lead_handovers')
