"""secrecy of one member (住所秘匿) and third-party reporters (情報元は言いません)

* persons.address: a person's own address; NULL means the address of the person's household (the shared
  default). Added in place (no batch rebuild of persons on SQLite).
* secrecy_decisions / secrecy_recipients: 秘匿決定 -- a person's address, contact, household and moves are
  withheld from every organisation the decision does not name. At most one decision in force per person.
* case_reporters: who reported a household (a neighbour, 民生委員 …), kept apart from the case and readable
  only by the receiving organisation.

The three new tables get the record guards of caseflow.core.dbguards (as 0011 gave the older never-edited
records): a decision may only be ended (once), the recipients and reporters never change.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from caseflow.core import dbguards

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

GUARDED = ('secrecy_decisions', 'secrecy_recipients', 'case_reporters')


def upgrade() -> None:
    op.add_column('persons', sa.Column('address', sa.String(length=300), nullable=True))
    op.create_table(
        'secrecy_decisions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('person_id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('decided_by_user_id', sa.Uuid(), nullable=False),
        sa.Column('decided_by_org_id', sa.Uuid(), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('end_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_secrecy_decisions_person_id_persons')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_secrecy_decisions_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'],
                                name=op.f('fk_secrecy_decisions_decided_by_user_id_users')),
        sa.ForeignKeyConstraint(['decided_by_org_id'], ['organizations.id'],
                                name=op.f('fk_secrecy_decisions_decided_by_org_id_organizations')),
        sa.ForeignKeyConstraint(['ended_by_user_id'], ['users.id'],
                                name=op.f('fk_secrecy_decisions_ended_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_secrecy_decisions')),
    )
    op.create_index(op.f('ix_secrecy_decisions_person_id'), 'secrecy_decisions', ['person_id'], unique=False)
    op.create_index('uq_secrecy_decisions_active', 'secrecy_decisions', ['person_id'], unique=True,
                    sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
    op.create_table(
        'secrecy_recipients',
        sa.Column('decision_id', sa.Uuid(), nullable=False),
        sa.Column('org_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['decision_id'], ['secrecy_decisions.id'],
                                name=op.f('fk_secrecy_recipients_decision_id_secrecy_decisions')),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_secrecy_recipients_org_id_organizations')),
        sa.PrimaryKeyConstraint('decision_id', 'org_id', name=op.f('pk_secrecy_recipients')),
    )
    op.create_table(
        'case_reporters',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('received_by_org_id', sa.Uuid(), nullable=False),
        sa.Column('recorded_by_user_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=True),
        sa.Column('contact', sa.String(length=300), nullable=True),
        sa.Column('relationship_to_household', sa.String(length=100), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('wishes_anonymity', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_reporters_case_id_cases')),
        sa.ForeignKeyConstraint(['received_by_org_id'], ['organizations.id'],
                                name=op.f('fk_case_reporters_received_by_org_id_organizations')),
        sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'],
                                name=op.f('fk_case_reporters_recorded_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_reporters')),
    )
    op.create_index(op.f('ix_case_reporters_case_id'), 'case_reporters', ['case_id'], unique=False)
    bind = op.get_bind()
    for table in GUARDED:
        dbguards.install(bind, table)


def downgrade() -> None:
    bind = op.get_bind()
    for table in GUARDED:
        dbguards.uninstall(bind, table)
    op.drop_table('case_reporters')
    op.drop_table('secrecy_recipients')
    op.drop_table('secrecy_decisions')
    with op.batch_alter_table('persons') as batch:
        batch.drop_column('address')
