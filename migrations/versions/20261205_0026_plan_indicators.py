"""plan indicators: 地域福祉計画の成果指標 -- a municipality's indicators with target and actual per fiscal year
(caseflow.indicators).

New table plan_indicators, one row per municipality, indicator code and fiscal year.

Revision ID: 0026
Revises: 0021
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

UTCDateTime = lambda: sa.DateTime(timezone=True)  # noqa: E731  (as caseflow.core.db.UTCDateTime stores it)

revision = '0026'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plan_indicators',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('municipality_id', sa.Uuid(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('unit', sa.String(length=16), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('target', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('actual', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('source', sa.String(length=300), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("direction IN ('higher', 'lower')", name=op.f('ck_plan_indicators_direction')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_plan_indicators_municipality_id_municipalities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_indicators')),
        sa.UniqueConstraint('municipality_id', 'code', 'fiscal_year',
                            name=op.f('uq_plan_indicators_municipality_id_code_fiscal_year')),
    )


def downgrade():
    op.drop_table('plan_indicators')
