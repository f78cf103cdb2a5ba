"""app intake (府中市): intake clients (an external app's scoped token), the consultations they opened, duty
workers, notifications of critical cases; a child's consent (the subject's age, own assent, guardian's consent).

Consents take three nullable columns (added in place, then the table's guard is installed again so that SQLite's
column-listing trigger covers them too); existing consents have no age recorded and count as before.

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

from caseflow.core import dbguards

UTCDateTime = lambda: sa.DateTime(timezone=True)  # noqa: E731  (as caseflow.core.db.UTCDateTime stores it)

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'intake_clients',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('org_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_intake_clients_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_intake_clients_org_id_organizations')),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'],
                                name=op.f('fk_intake_clients_created_by_user_id_users')),
        sa.ForeignKeyConstraint(['revoked_by_user_id'], ['users.id'],
                                name=op.f('fk_intake_clients_revoked_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_clients')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_intake_clients_token_hash')),
    )
    op.create_index(op.f('ix_intake_clients_municipality_id'), 'intake_clients', ['municipality_id'])
    op.create_table(
        'intake_consultations',
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('client_id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_intake_consultations_case_id_cases')),
        sa.ForeignKeyConstraint(['client_id'], ['intake_clients.id'],
                                name=op.f('fk_intake_consultations_client_id_intake_clients')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_intake_consultations_municipality_id_municipalities')),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_intake_consultations')),
    )
    op.create_index('ix_intake_consultations_municipality_created', 'intake_consultations',
                    ['municipality_id', 'created_at'])
    op.create_table(
        'duty_assignments',
        sa.Column('org_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('set_by_user_id', sa.Uuid(), nullable=False),
        sa.Column('set_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_duty_assignments_org_id_organizations')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_duty_assignments_user_id_users')),
        sa.ForeignKeyConstraint(['set_by_user_id'], ['users.id'], name=op.f('fk_duty_assignments_set_by_user_id_users')),
        sa.PrimaryKeyConstraint('org_id', name=op.f('pk_duty_assignments')),
    )
    op.create_table(
        'notifications',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('recipient_user_id', sa.Uuid(), nullable=False),
        sa.Column('org_id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('delivered_at', UTCDateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_notifications_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['recipient_user_id'], ['users.id'], name=op.f('fk_notifications_recipient_user_id_users')),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_notifications_org_id_organizations')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notifications_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )
    op.create_index(op.f('ix_notifications_case_id'), 'notifications', ['case_id'])
    op.create_index('ix_notifications_recipient_created', 'notifications', ['recipient_user_id', 'created_at'])
    op.create_index('ix_notifications_undelivered', 'notifications', ['delivered_at', 'created_at'])
    # added in place (no batch copy): the consents table keeps its immutability triggers (caseflow.core.dbguards)
    op.add_column('consents', sa.Column('subject_age', sa.Integer(), nullable=True))
    op.add_column('consents', sa.Column('assent_by_subject', sa.Boolean(), nullable=True))
    op.add_column('consents', sa.Column('guardian_consent', sa.Boolean(), nullable=True))
    dbguards.install(op.get_bind(), 'consents')  # SQLite's guard lists the columns: cover the new ones


def downgrade():
    dbguards.uninstall(op.get_bind(), 'consents')  # SQLite refuses to drop a column a trigger names
    with op.batch_alter_table('consents', recreate='never') as batch:
        batch.drop_column('guardian_consent')
        batch.drop_column('assent_by_subject')
        batch.drop_column('subject_age')
    dbguards.install(op.get_bind(), 'consents')
    op.drop_table('notifications')
    op.drop_table('duty_assignments')
    op.drop_index('ix_intake_consultations_municipality_created', table_name='intake_consultations')
    op.drop_table('intake_consultations')
    op.drop_index(op.f('ix_intake_clients_municipality_id'), table_name='intake_clients')
    op.drop_table('intake_clients')
