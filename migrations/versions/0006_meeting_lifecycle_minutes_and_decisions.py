"""Support meetings: pledge scope and sharing-window settings, lifecycle stamps, minutes per agenda item,
corrections to approved minutes, decisions that became plan tasks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sharing_days_after', sa.SmallInteger(), server_default='14', nullable=False))
        batch_op.add_column(sa.Column('pledge_scope', sa.String(length=16), server_default='meeting', nullable=False))
        batch_op.add_column(sa.Column('created_by_user_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('held_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('minutes_approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('minutes_approved_by', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_meetings_created_by_user_id_users'), 'users', ['created_by_user_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_meetings_minutes_approved_by_users'), 'users', ['minutes_approved_by'], ['id'])

    op.create_table('meeting_minutes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('agenda_item_id', sa.Uuid(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('recorded_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_meeting_minutes_agenda_item_id_agenda_items')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_minutes_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], name=op.f('fk_meeting_minutes_recorded_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_minutes')),
    sa.UniqueConstraint('agenda_item_id', name=op.f('uq_meeting_minutes_agenda_item_id'))
    )
    with op.batch_alter_table('meeting_minutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_minutes_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('minutes_corrections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('agenda_item_id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=True),
    sa.Column('previous_id', sa.Uuid(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_minutes_corrections_agenda_item_id_agenda_items')),
    sa.ForeignKeyConstraint(['entry_id'], ['meeting_minutes.id'], name=op.f('fk_minutes_corrections_entry_id_meeting_minutes')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_minutes_corrections_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_minutes_corrections_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['previous_id'], ['minutes_corrections.id'], name=op.f('fk_minutes_corrections_previous_id_minutes_corrections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_corrections'))
    )
    with op.batch_alter_table('minutes_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_corrections_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_minutes_corrections_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_decisions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('agenda_item_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('task_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_meeting_decisions_agenda_item_id_agenda_items')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_meeting_decisions_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_meeting_decisions_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_decisions_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organizations.id'], name=op.f('fk_meeting_decisions_owner_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_decisions'))
    )
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_decisions_case', ['case_id', 'meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_decisions_meeting_id'), ['meeting_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_decisions_meeting_id'))
        batch_op.drop_index('ix_meeting_decisions_case')
    op.drop_table('meeting_decisions')

    with op.batch_alter_table('minutes_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_corrections_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_minutes_corrections_agenda_item_id'))
    op.drop_table('minutes_corrections')

    with op.batch_alter_table('meeting_minutes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_minutes_meeting_id'))
    op.drop_table('meeting_minutes')

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_meetings_minutes_approved_by_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_meetings_created_by_user_id_users'), type_='foreignkey')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('minutes_approved_by')
        batch_op.drop_column('minutes_approved_at')
        batch_op.drop_column('held_at')
        batch_op.drop_column('created_by_user_id')
        batch_op.drop_column('pledge_scope')
        batch_op.drop_column('sharing_days_after')
