"""councils (会議体): standing bodies with a legal basis, members, chair, 要綱 and quorum; meetings belong to one.

Also: invited non-members per agenda item (meeting_guests), attendance and quorum of a held meeting,
decisions marked carried or not, fiscal-year pledges scoped to one council.

Existing meetings are gathered into councils, one per (municipality, organising organisation, kind), named after
the kind and the organiser; their members are the union of those meetings' members. An existing fiscal-year
pledge is given to the council(s) whose fiscal-year-pledge meetings of that year its signer attended; one that
matches none keeps no council and so covers nothing (it stays as a record).

On SQLite, making meetings.council_id NOT NULL rebuilds the table (batch mode): the record guards of 0011 are
taken off first and put back after, as in 0013; so are the guards of the tables whose rows are backfilled.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from caseflow.core import dbguards

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# The tables 0011 guards (as in 0013), and the two this revision adds.
GUARDED = (
    'case_stage_changes', 'referral_events', 'consents', 'consent_recipients', 'consent_categories', 'pledges',
    'audit_reviews', 'assessments', 'assessment_domains', 'plan_agreements', 'minutes_corrections',
    'meeting_decisions', 'meetings', 'agenda_items', 'meeting_minutes',
)
NEW_GUARDED = ('meeting_guests', 'council_members')

KINDS = {  # kind -> (label, legal basis), as caseflow.meetings.models.COUNCIL_KINDS says at this revision
    'support_meeting': ('支援会議', '社会福祉法第106条の6'),
    'isolation_council': ('孤独・孤立対策地域協議会', '孤独・孤立対策推進法第15条'),
    'child_protection_council': ('要保護児童対策地域協議会', '児童福祉法第25条の2'),
    'youth_support_council': ('子ども・若者支援地域協議会', '子ども・若者育成支援推進法第19条'),
    'multilayer_meeting': ('重層的支援会議', '社会福祉法第106条の4（本人同意による情報共有）'),
    'case_conference': ('ケース会議', '本人同意による情報共有'),
    'regular': ('定例会', '個人情報を扱わない連絡調整'),
}


def _backfill(bind) -> None:
    # typed by hand, not reflected: a reflected SQLite id is CHAR(32), which binds no uuid.UUID
    U, T, S = sa.Uuid(), sa.DateTime(timezone=True), sa.String()
    meetings = sa.table('meetings', sa.column('id', U), sa.column('municipality_id', U),
                        sa.column('organizer_org_id', U), sa.column('kind', S), sa.column('chair_user_id', U),
                        sa.column('pledge_scope', S), sa.column('created_by_user_id', U), sa.column('created_at', T),
                        sa.column('starts_at', T), sa.column('council_id', U), sa.column('fiscal_year', sa.Integer()))
    members = sa.table('meeting_members', sa.column('meeting_id', U), sa.column('org_id', U))
    attendees = sa.table('meeting_attendees', sa.column('meeting_id', U), sa.column('user_id', U))
    pledges = sa.table('pledges', sa.column('id', U), sa.column('user_id', U), sa.column('meeting_id', U),
                       sa.column('council_id', U), sa.column('fiscal_year', sa.Integer()),
                       sa.column('pledge_text_version', S), sa.column('signed_at', T))
    orgs = sa.table('organizations', sa.column('id', U), sa.column('name', S))
    councils = sa.table('councils', *(sa.column(c, U) for c in ('id', 'municipality_id', 'secretariat_org_id',
                                                                 'chair_user_id', 'created_by_user_id')),
                        *(sa.column(c, S) for c in ('kind', 'name', 'legal_basis', 'pledge_scope')),
                        sa.column('quorum_percent', sa.SmallInteger()), sa.column('invites_non_members', sa.Boolean()),
                        sa.column('active', sa.Boolean()), sa.column('created_at', T), sa.column('updated_at', T),
                        sa.column('version', sa.Integer()))
    council_members = sa.table('council_members', sa.column('id', U), sa.column('council_id', U),
                               sa.column('org_id', U), sa.column('since', T), sa.column('until', T))
    now = datetime.now(timezone.utc)
    rows = bind.execute(sa.select(meetings.c.id, meetings.c.municipality_id, meetings.c.organizer_org_id,
                                  meetings.c.kind, meetings.c.chair_user_id, meetings.c.pledge_scope,
                                  meetings.c.created_by_user_id, meetings.c.created_at)
                        .order_by(meetings.c.starts_at, meetings.c.id)).all()
    groups: dict = {}
    for m in rows:
        groups.setdefault((m.municipality_id, m.organizer_org_id, m.kind), []).append(m)
    org_names = dict(bind.execute(sa.select(orgs.c.id, orgs.c.name)).all())
    for (municipality_id, organizer, kind), ms in groups.items():
        label, basis = KINDS.get(kind, (kind, ''))
        council_id = uuid.uuid4()
        latest = ms[-1]
        bind.execute(councils.insert().values(
            id=council_id, municipality_id=municipality_id, kind=kind, name=f"{label}（{org_names.get(organizer, '')}）",
            legal_basis=basis, secretariat_org_id=organizer, chair_user_id=latest.chair_user_id,
            quorum_percent=None, invites_non_members=False, pledge_scope=latest.pledge_scope, active=True,
            created_by_user_id=latest.created_by_user_id, created_at=ms[0].created_at or now, updated_at=now, version=1))
        ids = [m.id for m in ms]
        org_ids = sorted({o for o in bind.execute(sa.select(members.c.org_id)
                                                  .where(members.c.meeting_id.in_(ids))).scalars()} | {organizer},
                         key=str)
        for org_id in org_ids:
            bind.execute(council_members.insert().values(id=uuid.uuid4(), council_id=council_id, org_id=org_id,
                                                         since=ms[0].created_at or now, until=None))
        bind.execute(meetings.update().where(meetings.c.id.in_(ids)).values(council_id=council_id))
    # fiscal-year pledges: to the councils of the fiscal-year-pledge meetings their signer attended that year
    for p in bind.execute(sa.select(pledges.c.id, pledges.c.user_id, pledges.c.fiscal_year,
                                    pledges.c.pledge_text_version, pledges.c.signed_at)
                          .where(pledges.c.meeting_id.is_(None))).all():
        found = sorted({c for c in bind.execute(
            sa.select(meetings.c.council_id).join(attendees, attendees.c.meeting_id == meetings.c.id)
            .where(attendees.c.user_id == p.user_id, meetings.c.fiscal_year == p.fiscal_year,
                   meetings.c.pledge_scope == 'fiscal_year')).scalars()}, key=str)
        for i, council_id in enumerate(found):
            if i == 0:
                bind.execute(pledges.update().where(pledges.c.id == p.id).values(council_id=council_id))
            else:
                bind.execute(pledges.insert().values(
                    id=uuid.uuid4(), user_id=p.user_id, meeting_id=None, council_id=council_id,
                    fiscal_year=p.fiscal_year, pledge_text_version=p.pledge_text_version, signed_at=p.signed_at))


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    op.create_table(
        'councils',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('legal_basis', sa.String(length=200), nullable=False),
        sa.Column('secretariat_org_id', sa.Uuid(), nullable=False),
        sa.Column('chair_user_id', sa.Uuid(), nullable=False),
        sa.Column('bylaws_title', sa.String(length=200), nullable=True),
        sa.Column('bylaws_text', sa.Text(), nullable=True),
        sa.Column('quorum_percent', sa.SmallInteger(), nullable=True),
        sa.Column('invites_non_members', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('schedule', sa.String(length=200), nullable=True),
        sa.Column('pledge_scope', sa.String(length=16), server_default='fiscal_year', nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('support_meeting', 'isolation_council', 'child_protection_council', "
                           "'youth_support_council', 'multilayer_meeting', 'case_conference', 'regular')",
                           name=op.f('ck_councils_kind')),
        sa.CheckConstraint("pledge_scope IN ('meeting', 'fiscal_year')", name=op.f('ck_councils_pledge_scope')),
        sa.CheckConstraint('quorum_percent IS NULL OR (quorum_percent > 0 AND quorum_percent <= 100)',
                           name=op.f('ck_councils_quorum_percent')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_councils_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['secretariat_org_id'], ['organizations.id'],
                                name=op.f('fk_councils_secretariat_org_id_organizations')),
        sa.ForeignKeyConstraint(['chair_user_id'], ['users.id'], name=op.f('fk_councils_chair_user_id_users')),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'],
                                name=op.f('fk_councils_created_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_councils')),
        sa.UniqueConstraint('municipality_id', 'name', name=op.f('uq_councils_municipality_id')),
    )
    op.create_index(op.f('ix_councils_municipality_id'), 'councils', ['municipality_id'], unique=False)
    op.create_table(
        'council_members',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('council_id', sa.Uuid(), nullable=False),
        sa.Column('org_id', sa.Uuid(), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_council_members_council_id_councils')),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_council_members_org_id_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_council_members')),
    )
    op.create_index(op.f('ix_council_members_council_id'), 'council_members', ['council_id'], unique=False)
    op.create_index('ix_council_members_org', 'council_members', ['org_id', 'council_id'], unique=False)
    op.create_index('uq_council_members_open', 'council_members', ['council_id', 'org_id'], unique=True,
                    sqlite_where=sa.text('until IS NULL'), postgresql_where=sa.text('until IS NULL'))
    op.create_table(
        'meeting_guests',
        sa.Column('agenda_item_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('meeting_id', sa.Uuid(), nullable=False),
        sa.Column('invited_by_user_id', sa.Uuid(), nullable=False),
        sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'],
                                name=op.f('fk_meeting_guests_agenda_item_id_agenda_items')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_guests_user_id_users')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_guests_meeting_id_meetings')),
        sa.ForeignKeyConstraint(['invited_by_user_id'], ['users.id'],
                                name=op.f('fk_meeting_guests_invited_by_user_id_users')),
        sa.PrimaryKeyConstraint('agenda_item_id', 'user_id', name=op.f('pk_meeting_guests')),
    )
    op.create_index('ix_meeting_guests_user', 'meeting_guests', ['user_id', 'meeting_id'], unique=False)

    if sqlite:
        for table in GUARDED:
            dbguards.uninstall(bind, table)
    else:
        for table in ('meetings', 'pledges'):
            dbguards.uninstall(bind, table)
    op.add_column('meetings', sa.Column('council_id', sa.Uuid(), nullable=True))
    op.add_column('meetings', sa.Column('quorum_required', sa.SmallInteger(), nullable=True))
    op.add_column('meetings', sa.Column('members_present', sa.SmallInteger(), nullable=True))
    op.add_column('meetings', sa.Column('quorum_met', sa.Boolean(), nullable=True))
    op.add_column('meeting_attendees', sa.Column('present', sa.Boolean(), nullable=True))
    op.add_column('pledges', sa.Column('council_id', sa.Uuid(), nullable=True))
    op.add_column('meeting_decisions', sa.Column('carried', sa.Boolean(), server_default=sa.text('true'),
                                                 nullable=False))
    _backfill(bind)
    with op.batch_alter_table('meetings') as batch_op:
        batch_op.alter_column('council_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(op.f('fk_meetings_council_id_councils'), 'councils', ['council_id'], ['id'])
        batch_op.create_index(op.f('ix_meetings_council_id'), ['council_id'], unique=False)
    with op.batch_alter_table('pledges') as batch_op:
        batch_op.create_foreign_key(op.f('fk_pledges_council_id_councils'), 'councils', ['council_id'], ['id'])
        batch_op.create_index('uq_pledges_council_year', ['user_id', 'council_id', 'fiscal_year'], unique=True,
                              sqlite_where=sa.text('meeting_id IS NULL'),
                              postgresql_where=sa.text('meeting_id IS NULL'))
    for table in (GUARDED if sqlite else ('meetings', 'pledges')) + NEW_GUARDED:
        dbguards.install(bind, table)


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    for table in NEW_GUARDED:
        dbguards.uninstall(bind, table)
    if sqlite:
        for table in GUARDED:
            dbguards.uninstall(bind, table)
    else:
        for table in ('meetings', 'pledges', 'meeting_decisions'):
            dbguards.uninstall(bind, table)
    op.execute("DELETE FROM pledges WHERE meeting_id IS NULL AND id NOT IN "
               "(SELECT MIN(id) FROM pledges WHERE meeting_id IS NULL GROUP BY user_id, fiscal_year)"
               if sqlite else
               "DELETE FROM pledges p USING pledges q WHERE p.meeting_id IS NULL AND q.meeting_id IS NULL "
               "AND p.user_id = q.user_id AND p.fiscal_year = q.fiscal_year AND p.id > q.id")
    with op.batch_alter_table('pledges') as batch_op:
        batch_op.drop_index('uq_pledges_council_year')
        batch_op.drop_constraint(op.f('fk_pledges_council_id_councils'), type_='foreignkey')
        batch_op.drop_column('council_id')
    with op.batch_alter_table('meetings') as batch_op:
        batch_op.drop_index(op.f('ix_meetings_council_id'))
        batch_op.drop_constraint(op.f('fk_meetings_council_id_councils'), type_='foreignkey')
        for column in ('council_id', 'quorum_required', 'members_present', 'quorum_met'):
            batch_op.drop_column(column)
    with op.batch_alter_table('meeting_attendees') as batch_op:
        batch_op.drop_column('present')
    with op.batch_alter_table('meeting_decisions') as batch_op:
        batch_op.drop_column('carried')
    for table in (GUARDED if sqlite else ('meetings', 'pledges', 'meeting_decisions')):
        dbguards.install(bind, table)
    op.drop_table('meeting_guests')
    op.drop_table('council_members')
    op.drop_table('councils')
