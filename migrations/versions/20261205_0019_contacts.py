"""contacts (相談者): pseudonymous contacts, their cases, and the append-only history of linking them to a person

* contacts: channel (intake_channel code), handle, first/last contact, owner organisation, the link in force.
* contact_cases: the cases a contact belongs to (a case at most one contact).
* contact_links: every link and unlink act (who, when, why); guarded append-only (caseflow.core.dbguards).

Backfill: every case still anonymous (an anonymous_label, no primary person) gets a contact of its own, with
the case's channel and label and its opening as first and last contact, created by whoever opened the case.
Anonymous cases already given a person by the old edit keep that person and get no contact: when and why they
were linked was never recorded, and a link history must not claim more than is known.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""
import uuid

import sqlalchemy as sa
from alembic import op

from caseflow.core import dbguards

UTCDateTime = lambda: sa.DateTime(timezone=True)  # noqa: E731  (as caseflow.core.db.UTCDateTime stores it)

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contacts',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('owner_org_id', sa.Uuid(), nullable=False),
        sa.Column('channel', sa.String(32), nullable=False),
        sa.Column('handle', sa.String(100), nullable=False),
        sa.Column('first_contact_at', UTCDateTime(), nullable=False),
        sa.Column('last_contact_at', UTCDateTime(), nullable=False),
        sa.Column('contact_count', sa.Integer(), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('linked_person_id', sa.Uuid(), nullable=True),
        sa.Column('linked_at', UTCDateTime(), nullable=True),
        sa.Column('linked_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_contacts_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['owner_org_id'], ['organizations.id'], name=op.f('fk_contacts_owner_org_id_organizations')),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_contacts_created_by_user_id_users')),
        sa.ForeignKeyConstraint(['linked_person_id'], ['persons.id'], name=op.f('fk_contacts_linked_person_id_persons')),
        sa.ForeignKeyConstraint(['linked_by_user_id'], ['users.id'], name=op.f('fk_contacts_linked_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    )
    op.create_index('ix_contacts_owner_last', 'contacts', ['owner_org_id', 'municipality_id', 'last_contact_at', 'id'])
    op.create_index(op.f('ix_contacts_linked_person_id'), 'contacts', ['linked_person_id'])
    op.create_table(
        'contact_cases',
        sa.Column('contact_id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_cases_contact_id_contacts')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_contact_cases_case_id_cases')),
        sa.PrimaryKeyConstraint('contact_id', 'case_id', name=op.f('pk_contact_cases')),
        sa.UniqueConstraint('case_id', name=op.f('uq_contact_cases_case_id')),
    )
    op.create_table(
        'contact_links',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('contact_id', sa.Uuid(), nullable=False),
        sa.Column('act', sa.String(8), nullable=False),
        sa.Column('person_id', sa.Uuid(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('actor_user_id', sa.Uuid(), nullable=False),
        sa.Column('actor_org_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("act IN ('link', 'unlink')", name=op.f('ck_contact_links_act')),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_links_contact_id_contacts')),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_contact_links_person_id_persons')),
        sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_contact_links_actor_user_id_users')),
        sa.ForeignKeyConstraint(['actor_org_id'], ['organizations.id'],
                                name=op.f('fk_contact_links_actor_org_id_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_links')),
    )
    op.create_index(op.f('ix_contact_links_contact_id'), 'contact_links', ['contact_id'])
    op.create_index(op.f('ix_contact_links_person_id'), 'contact_links', ['person_id'])
    _backfill(op.get_bind())
    dbguards.install(op.get_bind(), 'contact_links')


def _backfill(conn):
    cases = sa.table('cases', sa.column('id', sa.Uuid()), sa.column('municipality_id', sa.Uuid()),
                     sa.column('owner_org_id', sa.Uuid()), sa.column('intake_channel', sa.String()),
                     sa.column('anonymous_label', sa.String()), sa.column('primary_person_id', sa.Uuid()),
                     sa.column('created_at', UTCDateTime()))
    changes = sa.table('case_stage_changes', sa.column('case_id', sa.Uuid()), sa.column('from_stage', sa.String()),
                       sa.column('actor_user_id', sa.Uuid()))
    types = {'channel': sa.String(), 'handle': sa.String(), 'contact_count': sa.Integer(), 'version': sa.Integer(),
             **{c: UTCDateTime() for c in ('first_contact_at', 'last_contact_at', 'created_at', 'updated_at')}}
    contacts = sa.table('contacts', *(sa.column(c, types.get(c, sa.Uuid())) for c in (
        'id', 'municipality_id', 'owner_org_id', 'channel', 'handle', 'first_contact_at', 'last_contact_at',
        'contact_count', 'created_by_user_id', 'created_at', 'updated_at', 'version')))
    links = sa.table('contact_cases', sa.column('contact_id', sa.Uuid()), sa.column('case_id', sa.Uuid()))
    opener = sa.select(changes.c.actor_user_id).where(changes.c.case_id == cases.c.id, changes.c.from_stage.is_(None)) \
        .limit(1).scalar_subquery()
    rows = conn.execute(sa.select(cases.c.id, cases.c.municipality_id, cases.c.owner_org_id, cases.c.intake_channel,
                                  cases.c.anonymous_label, cases.c.created_at, opener)
                        .where(cases.c.anonymous_label.is_not(None), cases.c.primary_person_id.is_(None))).all()
    for case_id, municipality_id, owner, channel, label, created, user in rows:
        contact_id = uuid.uuid4()
        conn.execute(contacts.insert().values(
            id=contact_id, municipality_id=municipality_id, owner_org_id=owner, channel=channel, handle=label,
            first_contact_at=created, last_contact_at=created, contact_count=1, created_by_user_id=user,
            created_at=created, updated_at=created, version=1))
        conn.execute(links.insert().values(contact_id=contact_id, case_id=case_id))


def downgrade():
    dbguards.uninstall(op.get_bind(), 'contact_links')
    op.drop_table('contact_links')
    op.drop_table('contact_cases')
    op.drop_table('contacts')
