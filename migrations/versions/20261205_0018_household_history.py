"""households over time: why a member left, and relationships between two members

* household_members: `since`/`until` already are the joined/left dates of a membership (existing rows keep
  them: joined = their start, left = their end); new `left_reason_code` (CHECK: the known reasons) and
  `left_reason` (free text). On SQLite the table is rebuilt (batch mode; it carries no record guard).
* household_relationships: a directed edge between two persons of one household (from_person is the
  `relation` of to_person: mother, father, child, spouse, grandparent, grandchild, sibling, other), since/until,
  who recorded and who ended it. At most one in force per household, pair and relation; never to oneself.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

LEAVE_REASONS = ('moved_out', 'marriage', 'separation', 'institution', 'hospital', 'refuge', 'deceased', 'other')
MEMBER_RELATIONS = ('mother', 'father', 'child', 'spouse', 'grandparent', 'grandchild', 'sibling', 'other')


def _listed(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    with op.batch_alter_table('household_members') as batch_op:
        batch_op.add_column(sa.Column('left_reason_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('left_reason', sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_household_members_left_reason_code'),
            f"left_reason_code IS NULL OR left_reason_code IN ({_listed(LEAVE_REASONS)})")
    op.create_table(
        'household_relationships',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('household_id', sa.Uuid(), nullable=False),
        sa.Column('from_person_id', sa.Uuid(), nullable=False),
        sa.Column('to_person_id', sa.Uuid(), nullable=False),
        sa.Column('relation', sa.String(length=16), nullable=False),
        sa.Column('since', sa.Date(), nullable=True),
        sa.Column('until', sa.Date(), nullable=True),
        sa.Column('end_reason', sa.Text(), nullable=True),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
        sa.Column('created_by_org_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"relation IN ({_listed(MEMBER_RELATIONS)})",
                           name=op.f('ck_household_relationships_relation')),
        sa.CheckConstraint('from_person_id <> to_person_id', name=op.f('ck_household_relationships_not_self')),
        sa.ForeignKeyConstraint(['household_id'], ['households.id'],
                                name=op.f('fk_household_relationships_household_id_households')),
        sa.ForeignKeyConstraint(['from_person_id'], ['persons.id'],
                                name=op.f('fk_household_relationships_from_person_id_persons')),
        sa.ForeignKeyConstraint(['to_person_id'], ['persons.id'],
                                name=op.f('fk_household_relationships_to_person_id_persons')),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'],
                                name=op.f('fk_household_relationships_created_by_user_id_users')),
        sa.ForeignKeyConstraint(['created_by_org_id'], ['organizations.id'],
                                name=op.f('fk_household_relationships_created_by_org_id_organizations')),
        sa.ForeignKeyConstraint(['ended_by_user_id'], ['users.id'],
                                name=op.f('fk_household_relationships_ended_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_household_relationships')),
    )
    for column in ('household_id', 'from_person_id', 'to_person_id'):
        op.create_index(op.f(f'ix_household_relationships_{column}'), 'household_relationships', [column],
                        unique=False)
    op.create_index('uq_household_relationships_open', 'household_relationships',
                    ['household_id', 'from_person_id', 'to_person_id', 'relation'], unique=True,
                    sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))


def downgrade() -> None:
    op.drop_table('household_relationships')
    with op.batch_alter_table('household_members') as batch_op:
        batch_op.drop_constraint(op.f('ck_household_members_left_reason_code'), type_='check')
        batch_op.drop_column('left_reason')
        batch_op.drop_column('left_reason_code')
