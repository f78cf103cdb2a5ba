"""Referrals and directory: one pending referral per case and organisation; directory entry versions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PENDING = "state = 'pending'"


def upgrade() -> None:
    # Partial unique index: the database itself refuses a second pending referral of a case to the
    # same organisation, whatever races the application layer loses.
    op.create_index('uq_referrals_pending_case_to_org', 'referrals', ['case_id', 'to_org_id'], unique=True,
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_by_user_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_directory_entries_updated_by_user_id_users'), 'users',
                                    ['updated_by_user_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_directory_entries_updated_by_user_id_users'), type_='foreignkey')
        batch_op.drop_column('version')
        batch_op.drop_column('updated_by_user_id')
    op.drop_index('uq_referrals_pending_case_to_org', table_name='referrals')
