"""platform events (市原市: 勉強会, 交流会 … with participation counts by organisation).

New tables events and event_participations (one participation per event and organisation, headcount not
negative). The directory import (caseflow.organizations.directory_import) needs no table: it matches
organisations by their normalised name within the municipality and writes the existing directory entries. The
event_kind code list is seeded with the standard lists after the upgrade (caseflow.codes.standard.EVENT_KINDS).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

UTCDateTime = lambda: sa.DateTime(timezone=True)  # noqa: E731  (as caseflow.core.db.UTCDateTime stores it)

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'events',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('organiser_org_id', sa.Uuid(), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('created_by_org_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_org_id'], ['organizations.id'],
                                name=op.f('fk_events_created_by_org_id_organizations')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_events_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['organiser_org_id'], ['organizations.id'],
                                name=op.f('fk_events_organiser_org_id_organizations')),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_events_created_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    )
    op.create_index('ix_events_municipality_held_on', 'events', ['municipality_id', 'held_on'])
    op.create_table(
        'event_participations',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('org_id', sa.Uuid(), nullable=False),
        sa.Column('headcount', sa.Integer(), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('headcount >= 0', name=op.f('ck_event_participations_headcount_not_negative')),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_participations_event_id_events')),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_event_participations_org_id_organizations')),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'],
                                name=op.f('fk_event_participations_created_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_participations')),
    )
    op.create_index('uq_event_participations_event_org', 'event_participations', ['event_id', 'org_id'], unique=True)
    op.create_index(op.f('ix_event_participations_org_id'), 'event_participations', ['org_id'])


def downgrade():
    op.drop_index(op.f('ix_event_participations_org_id'), table_name='event_participations')
    op.drop_index('uq_event_participations_event_org', table_name='event_participations')
    op.drop_table('event_participations')
    op.drop_index('ix_events_municipality_held_on', table_name='events')
    op.drop_table('events')
