"""assessment results: the plan results an assessment version was based on (support → results → assessment)

* assessment_results: one row per task finished (done or cancelled) that a new assessment version cited -- the
  version, the case, the task (cited once), the task's owner organisation, how it ended and when. The result note
  stays on the task (no second copy of the text; the retention purge blanks it there).

The new table gets the AppendOnly record guard of caseflow.core.dbguards (as 0011 gave assessment versions).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

from caseflow.core import dbguards

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'assessment_results',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('assessment_id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('task_id', sa.Uuid(), nullable=False),
        sa.Column('owner_org_id', sa.Uuid(), nullable=False),
        sa.Column('task_status', sa.String(length=16), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("task_status IN ('done', 'cancelled')", name=op.f('ck_assessment_results_task_status')),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'],
                                name=op.f('fk_assessment_results_assessment_id_assessments')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_assessment_results_case_id_cases')),
        sa.ForeignKeyConstraint(['task_id'], ['plan_tasks.id'], name=op.f('fk_assessment_results_task_id_plan_tasks')),
        sa.ForeignKeyConstraint(['owner_org_id'], ['organizations.id'],
                                name=op.f('fk_assessment_results_owner_org_id_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_results')),
        sa.UniqueConstraint('task_id', name=op.f('uq_assessment_results_task_id')),
    )
    op.create_index(op.f('ix_assessment_results_assessment_id'), 'assessment_results', ['assessment_id'], unique=False)
    op.create_index(op.f('ix_assessment_results_case_id'), 'assessment_results', ['case_id'], unique=False)
    dbguards.install(op.get_bind(), 'assessment_results')


def downgrade() -> None:
    dbguards.uninstall(op.get_bind(), 'assessment_results')
    op.drop_index(op.f('ix_assessment_results_case_id'), table_name='assessment_results')
    op.drop_index(op.f('ix_assessment_results_assessment_id'), table_name='assessment_results')
    op.drop_table('assessment_results')
