"""Joint assessments (versioned, with contributions) and support plans: goals, tasks, role agreements

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('strengths', sa.Text(), nullable=True),
    sa.Column('wishes', sa.Text(), nullable=True),
    sa.Column('issues_note', sa.Text(), nullable=True),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('issue_codes', sa.String(length=1000), nullable=False),
    sa.Column('created_by_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_assessments_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_org_id'], ['organizations.id'], name=op.f('fk_assessments_created_by_org_id_organizations')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_assessments_created_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('case_id', 'version_no', name=op.f('uq_assessments_case_id_version_no'))
    )
    op.create_table('assessment_domains',
    sa.Column('assessment_id', sa.Uuid(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('risk_level', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_domains_assessment_id_assessments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assessment_id', 'domain', name=op.f('pk_assessment_domains'))
    )
    op.create_table('assessment_contributions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('assessment_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=True),
    sa.Column('risk_level', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_contributions_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_assessment_contributions_org_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assessment_contributions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_contributions'))
    )
    with op.batch_alter_table('assessment_contributions', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_contributions_assessment', ['assessment_id', 'created_at'], unique=False)

    op.create_table('support_plans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('assessment_id', sa.Uuid(), nullable=True),
    sa.Column('policy', sa.Text(), nullable=True),
    sa.Column('policy_by_org_id', sa.Uuid(), nullable=True),
    sa.Column('review_on', sa.Date(), nullable=True),
    sa.Column('created_by_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_support_plans_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_support_plans_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_org_id'], ['organizations.id'], name=op.f('fk_support_plans_created_by_org_id_organizations')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_support_plans_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['policy_by_org_id'], ['organizations.id'], name=op.f('fk_support_plans_policy_by_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_plans')),
    sa.UniqueConstraint('case_id', name=op.f('uq_support_plans_case_id'))
    )
    op.create_table('plan_goals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assessment_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_plan_goals_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['created_by_org_id'], ['organizations.id'], name=op.f('fk_plan_goals_created_by_org_id_organizations')),
    sa.ForeignKeyConstraint(['plan_id'], ['support_plans.id'], name=op.f('fk_plan_goals_plan_id_support_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_goals'))
    )
    with op.batch_alter_table('plan_goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_goals_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_tasks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('goal_id', sa.Uuid(), nullable=True),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result_note', sa.Text(), nullable=True),
    sa.Column('result_by_org_id', sa.Uuid(), nullable=True),
    sa.Column('result_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('created_by_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_plan_tasks_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_org_id'], ['organizations.id'], name=op.f('fk_plan_tasks_created_by_org_id_organizations')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_plan_tasks_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['goal_id'], ['plan_goals.id'], name=op.f('fk_plan_tasks_goal_id_plan_goals')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organizations.id'], name=op.f('fk_plan_tasks_owner_org_id_organizations')),
    sa.ForeignKeyConstraint(['plan_id'], ['support_plans.id'], name=op.f('fk_plan_tasks_plan_id_support_plans')),
    sa.ForeignKeyConstraint(['result_by_org_id'], ['organizations.id'], name=op.f('fk_plan_tasks_result_by_org_id_organizations')),
    sa.ForeignKeyConstraint(['result_by_user_id'], ['users.id'], name=op.f('fk_plan_tasks_result_by_user_id_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_plan_tasks_worker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_tasks'))
    )
    with op.batch_alter_table('plan_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_tasks_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_tasks_worker_id'), ['worker_id'], unique=False)
        batch_op.create_index('ix_plan_tasks_owner_status_due', ['owner_org_id', 'status', 'due_on'], unique=False)
        batch_op.create_index('ix_plan_tasks_status_due', ['status', 'due_on'], unique=False)
        batch_op.create_index('ix_plan_tasks_case_status', ['case_id', 'status'], unique=False)

    op.create_table('plan_agreements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('task_count', sa.Integer(), nullable=False),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_plan_agreements_org_id_organizations')),
    sa.ForeignKeyConstraint(['plan_id'], ['support_plans.id'], name=op.f('fk_plan_agreements_plan_id_support_plans')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_plan_agreements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_agreements'))
    )
    with op.batch_alter_table('plan_agreements', schema=None) as batch_op:
        batch_op.create_index('ix_plan_agreements_plan_org', ['plan_id', 'org_id', 'agreed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plan_agreements', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_agreements_plan_org')
    op.drop_table('plan_agreements')
    with op.batch_alter_table('plan_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_tasks_case_status')
        batch_op.drop_index('ix_plan_tasks_status_due')
        batch_op.drop_index('ix_plan_tasks_owner_status_due')
        batch_op.drop_index(batch_op.f('ix_plan_tasks_worker_id'))
        batch_op.drop_index(batch_op.f('ix_plan_tasks_plan_id'))
    op.drop_table('plan_tasks')
    with op.batch_alter_table('plan_goals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_goals_plan_id'))
    op.drop_table('plan_goals')
    op.drop_table('support_plans')
    with op.batch_alter_table('assessment_contributions', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_contributions_assessment')
    op.drop_table('assessment_contributions')
    op.drop_table('assessment_domains')
    op.drop_table('assessments')
