"""immutable records: database guards on every record the domain never edits

Stage history, referral events, consents (revoked once, never otherwise changed) with their recipients and
categories, pledges, audit reviews, assessment versions, role agreements, minutes corrections, meeting
decisions, and an approved meeting with its agenda and minutes: the database refuses UPDATE and DELETE on
them (and TRUNCATE on PostgreSQL), as it does for the audit trail since 0001. The triggers come from
caseflow.core.dbguards, which documents the pitfalls (SQLite triggers list columns; Alembic batch mode drops a
SQLite table's triggers: a later migration that alters one of these tables calls dbguards.install again).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from alembic import op

from caseflow.core import dbguards

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The tables this revision guards (a later revision that guards another table names it itself).
TABLES = (
    'case_stage_changes', 'referral_events', 'consents', 'consent_recipients', 'consent_categories', 'pledges',
    'audit_reviews', 'assessments', 'assessment_domains', 'plan_agreements', 'minutes_corrections',
    'meeting_decisions', 'meetings', 'agenda_items', 'meeting_minutes',
)


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        dbguards.install(bind, table)


def downgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        dbguards.uninstall(bind, table)
    dbguards.drop_functions(bind)
