"""break-glass reviews and referral rules: supervisors' reviews of emergency accesses (append-only), one live
(pending or accepted) referral per case and receiving organisation.

New table emergency_access_reviews (guarded append-only, caseflow.core.dbguards); the referrals' partial unique
index widens from pending to pending-or-accepted. A database that already holds two live referrals of one case
to one organisation stops here with the pairs named: answer (complete, decline or withdraw) one of them first.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

from caseflow.core import dbguards

UTCDateTime = lambda: sa.DateTime(timezone=True)  # noqa: E731  (as caseflow.core.db.UTCDateTime stores it)

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

PENDING = "state = 'pending'"
LIVE = "state IN ('pending', 'accepted')"


def upgrade():
    bind = op.get_bind()
    twice = bind.execute(sa.text(
        f"SELECT case_id, to_org_id, count(*) FROM referrals WHERE {LIVE} GROUP BY case_id, to_org_id "
        "HAVING count(*) > 1")).all()
    if twice:
        pairs = ", ".join(f"case {c} -> organisation {o} ({n})" for c, o, n in twice[:20])
        raise RuntimeError(f"0021: {len(twice)} case/organisation pairs have more than one live referral; answer "
                           f"the extra ones (complete, decline or withdraw) and upgrade again: {pairs}")
    op.drop_index('uq_referrals_pending_case_to_org', table_name='referrals')
    op.create_index('uq_referrals_live_case_to_org', 'referrals', ['case_id', 'to_org_id'], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    op.create_table(
        'emergency_access_reviews',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('access_id', sa.Uuid(), nullable=False),
        sa.Column('reviewer_user_id', sa.Uuid(), nullable=False),
        sa.Column('reviewer_org_id', sa.Uuid(), nullable=False),
        sa.Column('reason_confirmed', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('reviewed_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['access_id'], ['emergency_accesses.id'],
                                name=op.f('fk_emergency_access_reviews_access_id_emergency_accesses')),
        sa.ForeignKeyConstraint(['reviewer_user_id'], ['users.id'],
                                name=op.f('fk_emergency_access_reviews_reviewer_user_id_users')),
        sa.ForeignKeyConstraint(['reviewer_org_id'], ['organizations.id'],
                                name=op.f('fk_emergency_access_reviews_reviewer_org_id_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_access_reviews')),
    )
    op.create_index('ix_emergency_access_reviews_access', 'emergency_access_reviews', ['access_id', 'reviewed_at'])
    dbguards.install(bind, 'emergency_access_reviews')


def downgrade():
    bind = op.get_bind()
    dbguards.uninstall(bind, 'emergency_access_reviews')
    op.drop_index('ix_emergency_access_reviews_access', table_name='emergency_access_reviews')
    op.drop_table('emergency_access_reviews')
    op.drop_index('uq_referrals_live_case_to_org', table_name='referrals')
    op.create_index('uq_referrals_pending_case_to_org', 'referrals', ['case_id', 'to_org_id'], unique=True,
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
