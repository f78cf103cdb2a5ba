"""indexes for the KPI report and the referral inbox and outbox (benchmarks/README.md)

* case_stage_changes (case_id, at, to_stage): the KPI report's "stage at the end of the period" -- the
  last change of each case before the end and its stage -- reads this narrow index only, never the
  table (caseflow.reports.rules).
* case_stage_changes (to_stage, at, case_id, closure_reason): the closures of a period are a range of
  this index (read without the table), not a scan of every stage change.
* referrals (to_org_id, updated_at DESC, id) and (from_org_id, updated_at DESC, id): the answered
  referrals (declined, withdrawn, completed) of an inbox / outbox in the list's order, newest change
  first, so a page stops after its rows instead of sorting the organisation's whole history; and
  (to_org_id, state, updated_at DESC, id), (from_org_id, state, updated_at DESC, id): the accepted ones
  in the same order (caseflow.referrals.rules._boxed_statement).

All are also declared on their models (CaseStageChange, Referral), so that autogenerate keeps them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain CREATE INDEX (no batch copy): SQLite adds indexes in place.
    op.create_index('ix_case_stage_changes_case_at_stage', 'case_stage_changes', ['case_id', 'at', 'to_stage'],
                    unique=False)
    op.create_index('ix_case_stage_changes_stage_at', 'case_stage_changes',
                    ['to_stage', 'at', 'case_id', 'closure_reason'], unique=False)
    op.create_index('ix_referrals_to_updated', 'referrals', ['to_org_id', sa.text('updated_at DESC'), 'id'],
                    unique=False)
    op.create_index('ix_referrals_from_updated', 'referrals', ['from_org_id', sa.text('updated_at DESC'), 'id'],
                    unique=False)
    op.create_index('ix_referrals_to_state_updated', 'referrals',
                    ['to_org_id', 'state', sa.text('updated_at DESC'), 'id'], unique=False)
    op.create_index('ix_referrals_from_state_updated', 'referrals',
                    ['from_org_id', 'state', sa.text('updated_at DESC'), 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_referrals_from_state_updated', table_name='referrals')
    op.drop_index('ix_referrals_to_state_updated', table_name='referrals')
    op.drop_index('ix_referrals_from_updated', table_name='referrals')
    op.drop_index('ix_referrals_to_updated', table_name='referrals')
    op.drop_index('ix_case_stage_changes_stage_at', table_name='case_stage_changes')
    op.drop_index('ix_case_stage_changes_case_at_stage', table_name='case_stage_changes')
