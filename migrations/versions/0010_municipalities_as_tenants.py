"""municipalities as tenants: municipalities, memberships, role requests, case transfers; the tenant of every
case, household, person, meeting, consent and audit event

* municipalities (secretariat organisation), organisations' home municipality, memberships in others;
* cases, households, persons, meetings, consents carry their municipality; case numbers are unique per
  municipality and counted per (municipality, fiscal year);
* role_requests (a second approver for privileged roles), case_transfers (転居);
* consents: obtained_place, self_recipient, revoked_by_org_id; audit_events.municipality_id (hashed when
  present, so events written before this revision keep their hashes).

An existing database with organisations gets one municipality, code `default`, holding everything that
exists (rename it with `caseflow municipalities rename`); its audit events without a municipality are
attributed to it (holds_legacy_events).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TENANT_TABLES = ('cases', 'households', 'persons', 'meetings', 'consents')


def upgrade() -> None:
    op.create_table(
        'municipalities',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('secretariat_org_id', sa.Uuid(), nullable=True),
        sa.Column('holds_legacy_events', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['secretariat_org_id'], ['organizations.id'],
                                name='fk_municipalities_secretariat_org_id_organizations'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_municipalities')),
        sa.UniqueConstraint('code', name=op.f('uq_municipalities_code')),
    )
    legacy = _legacy_municipality()

    with op.batch_alter_table('organizations') as batch_op:
        batch_op.add_column(sa.Column('municipality_id', sa.Uuid(), nullable=True))
    _fill('organizations', legacy)
    with op.batch_alter_table('organizations') as batch_op:
        batch_op.alter_column('municipality_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(op.f('fk_organizations_municipality_id_municipalities'), 'municipalities',
                                    ['municipality_id'], ['id'])
        batch_op.create_index(op.f('ix_organizations_municipality_id'), ['municipality_id'], unique=False)

    for table in TENANT_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('municipality_id', sa.Uuid(), nullable=True))
        _fill(table, legacy)
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column('municipality_id', existing_type=sa.Uuid(), nullable=False)
            batch_op.create_foreign_key(op.f(f'fk_{table}_municipality_id_municipalities'), 'municipalities',
                                        ['municipality_id'], ['id'])
            if table == 'cases':
                batch_op.drop_constraint('uq_cases_case_number', type_='unique')
                batch_op.create_unique_constraint(op.f('uq_cases_municipality_id_case_number'), ['municipality_id', 'case_number'])
                batch_op.create_index('ix_cases_municipality_opened', ['municipality_id', 'opened_on', 'id'],
                                      unique=False)
            elif table != 'consents':
                batch_op.create_index(op.f(f'ix_{table}_municipality_id'), ['municipality_id'], unique=False)

    with op.batch_alter_table('consents') as batch_op:
        batch_op.add_column(sa.Column('obtained_place', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('self_recipient', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('revoked_by_org_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_consents_revoked_by_org_id_organizations'), 'organizations',
                                    ['revoked_by_org_id'], ['id'])

    # case numbers per (municipality, fiscal year)
    conn = op.get_bind()
    counters = conn.execute(sa.text('SELECT fiscal_year, last_number FROM case_counters')).all()
    op.drop_table('case_counters')
    op.create_table(
        'case_counters',
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_case_counters_municipality_id_municipalities')),
        sa.PrimaryKeyConstraint('municipality_id', 'fiscal_year', name=op.f('pk_case_counters')),
    )
    if counters and legacy is not None:
        table = sa.table('case_counters', sa.column('municipality_id', sa.Uuid()), sa.column('fiscal_year'),
                         sa.column('last_number'))
        conn.execute(table.insert(), [{'municipality_id': legacy, 'fiscal_year': fy, 'last_number': n}
                                      for fy, n in counters])

    op.create_table(
        'municipality_memberships',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('org_id', sa.Uuid(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('granted_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by_user_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_municipality_memberships_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_municipality_memberships_org_id_organizations')),
        sa.ForeignKeyConstraint(['granted_by_user_id'], ['users.id'],
                                name=op.f('fk_municipality_memberships_granted_by_user_id_users')),
        sa.ForeignKeyConstraint(['ended_by_user_id'], ['users.id'],
                                name=op.f('fk_municipality_memberships_ended_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_municipality_memberships')),
    )
    op.create_index('uq_municipality_memberships_live', 'municipality_memberships', ['municipality_id', 'org_id'],
                    unique=True, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
    op.create_index('ix_municipality_memberships_org', 'municipality_memberships', ['org_id', 'municipality_id'],
                    unique=False)

    op.create_table(
        'role_requests',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('requested_by_user_id', sa.Uuid(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('decided_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_requests_user_id_users')),
        sa.ForeignKeyConstraint(['requested_by_user_id'], ['users.id'],
                                name=op.f('fk_role_requests_requested_by_user_id_users')),
        sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'],
                                name=op.f('fk_role_requests_decided_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_role_requests')),
    )
    op.create_index(op.f('ix_role_requests_user_id'), 'role_requests', ['user_id'], unique=False)
    op.create_index('uq_role_requests_pending', 'role_requests', ['user_id', 'role'], unique=True,
                    sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))

    op.create_table(
        'case_transfers',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('from_municipality_id', sa.Uuid(), nullable=False),
        sa.Column('to_municipality_id', sa.Uuid(), nullable=False),
        sa.Column('from_org_id', sa.Uuid(), nullable=False),
        sa.Column('to_org_id', sa.Uuid(), nullable=False),
        sa.Column('from_case_number', sa.String(length=20), nullable=False),
        sa.Column('to_case_number', sa.String(length=20), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('state_reason', sa.Text(), nullable=True),
        sa.Column('requested_by_user_id', sa.Uuid(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_transfers_case_id_cases')),
        sa.ForeignKeyConstraint(['from_municipality_id'], ['municipalities.id'],
                                name=op.f('fk_case_transfers_from_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['to_municipality_id'], ['municipalities.id'],
                                name=op.f('fk_case_transfers_to_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['from_org_id'], ['organizations.id'],
                                name=op.f('fk_case_transfers_from_org_id_organizations')),
        sa.ForeignKeyConstraint(['to_org_id'], ['organizations.id'], name=op.f('fk_case_transfers_to_org_id_organizations')),
        sa.ForeignKeyConstraint(['requested_by_user_id'], ['users.id'],
                                name=op.f('fk_case_transfers_requested_by_user_id_users')),
        sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'],
                                name=op.f('fk_case_transfers_decided_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transfers')),
    )
    op.create_index(op.f('ix_case_transfers_case_id'), 'case_transfers', ['case_id'], unique=False)
    op.create_index('ix_case_transfers_to', 'case_transfers', ['to_org_id', 'state', 'requested_at'], unique=False)
    op.create_index('ix_case_transfers_from', 'case_transfers', ['from_org_id', 'state', 'requested_at'], unique=False)
    op.create_index('uq_case_transfers_pending', 'case_transfers', ['case_id'], unique=True,
                    sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))

    # Not batch: audit_events carries append-only triggers that a SQLite table copy would drop; a nullable
    # column is a plain ALTER TABLE on both engines.
    op.add_column('audit_events', sa.Column('municipality_id', sa.Uuid(), nullable=True))
    op.create_index('ix_audit_events_municipality_seq', 'audit_events', ['municipality_id', 'seq'], unique=False)


def _legacy_municipality():
    """One municipality for what exists already (None on an empty database)."""
    conn = op.get_bind()
    if not conn.execute(sa.text('SELECT 1 FROM organizations LIMIT 1')).first():
        return None
    new_id = uuid.uuid4()
    table = sa.table('municipalities', sa.column('id', sa.Uuid()), sa.column('code'), sa.column('name'),
                     sa.column('holds_legacy_events', sa.Boolean()), sa.column('active', sa.Boolean()),
                     sa.column('created_at', sa.DateTime(timezone=True)))
    created = datetime.now(timezone.utc)
    if conn.dialect.name == 'sqlite':
        created = created.replace(tzinfo=None)
    conn.execute(table.insert().values(id=new_id, code='default', name='既定の自治体', holds_legacy_events=True,
                                       active=True, created_at=created))
    return new_id


def _fill(table: str, municipality_id) -> None:
    if municipality_id is None:
        return
    t = sa.table(table, sa.column('municipality_id', sa.Uuid()))
    op.get_bind().execute(t.update().values(municipality_id=municipality_id))


def downgrade() -> None:
    op.drop_index('ix_audit_events_municipality_seq', table_name='audit_events')
    op.drop_column('audit_events', 'municipality_id')
    op.drop_table('case_transfers')
    op.drop_table('role_requests')
    op.drop_table('municipality_memberships')
    conn = op.get_bind()
    counters = conn.execute(sa.text('SELECT fiscal_year, max(last_number) FROM case_counters GROUP BY fiscal_year')).all()
    op.drop_table('case_counters')
    op.create_table(
        'case_counters',
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('fiscal_year', name=op.f('pk_case_counters')),
    )
    if counters:
        table = sa.table('case_counters', sa.column('fiscal_year'), sa.column('last_number'))
        conn.execute(table.insert(), [{'fiscal_year': fy, 'last_number': n} for fy, n in counters])
    with op.batch_alter_table('consents') as batch_op:
        batch_op.drop_constraint(op.f('fk_consents_revoked_by_org_id_organizations'), type_='foreignkey')
        batch_op.drop_column('revoked_by_org_id')
        batch_op.drop_column('self_recipient')
        batch_op.drop_column('obtained_place')
    for table in reversed(TENANT_TABLES):
        with op.batch_alter_table(table) as batch_op:
            if table == 'cases':
                batch_op.drop_index('ix_cases_municipality_opened')
                batch_op.drop_constraint(op.f('uq_cases_municipality_id_case_number'), type_='unique')
                batch_op.create_unique_constraint('uq_cases_case_number', ['case_number'])
            elif table != 'consents':
                batch_op.drop_index(op.f(f'ix_{table}_municipality_id'))
            batch_op.drop_constraint(op.f(f'fk_{table}_municipality_id_municipalities'), type_='foreignkey')
            batch_op.drop_column('municipality_id')
    with op.batch_alter_table('organizations') as batch_op:
        batch_op.drop_index(op.f('ix_organizations_municipality_id'))
        batch_op.drop_constraint(op.f('fk_organizations_municipality_id_municipalities'), type_='foreignkey')
        batch_op.drop_column('municipality_id')
    op.drop_table('municipalities')
