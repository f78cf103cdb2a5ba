"""CHECK constraints on every state column: stages, urgencies, referral/transfer/role-request states,
task and goal statuses, meeting status and pledge scope, consent method and giver, directory capacity and
assessment risk levels. The application already refuses other values; the database now does too, so a
script or an operator writing to the tables directly cannot leave a record in a state no rule knows.

On SQLite each table is rebuilt (Alembic batch mode). A rebuild drops the table's triggers, and renaming
the rebuilt table re-parses every trigger that names it, so the record guards of 0011 are taken off first
and put back after (the same tables 0011 guards; the audit tables of 0001 and 0012 are not touched).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
from alembic import op

from caseflow.core import dbguards

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

STAGES = ('intake', 'referral', 'assessment', 'support', 'closed')
URGENCIES = ('low', 'normal', 'high', 'critical')
REFERRAL_STATES = ('pending', 'accepted', 'declined', 'withdrawn', 'completed')

# table -> [(column, allowed values, NULL allowed)]
CHECKS = {
    'cases': [('stage', STAGES, False), ('urgency', URGENCIES, False)],
    'case_stage_changes': [('from_stage', STAGES, True), ('to_stage', STAGES, False)],
    'case_transfers': [('state', ('pending', 'accepted', 'declined', 'withdrawn'), False)],
    'referrals': [('state', REFERRAL_STATES, False), ('urgency', URGENCIES, False)],
    'referral_events': [('from_state', REFERRAL_STATES, True), ('to_state', REFERRAL_STATES, False)],
    'role_requests': [('state', ('pending', 'approved', 'rejected', 'withdrawn'), False)],
    'consents': [('given_by', ('self', 'representative'), False), ('method', ('written', 'oral', 'electronic'), False)],
    'meetings': [('status', ('planned', 'held', 'minutes_approved'), False),
                 ('pledge_scope', ('meeting', 'fiscal_year'), False)],
    'directory_entries': [('capacity', ('accepting', 'full', 'paused'), False)],
    'assessment_domains': [('risk_level', ('unknown', 'none', 'low', 'medium', 'high', 'urgent'), False)],
    'plan_goals': [('status', ('active', 'achieved', 'dropped'), False)],
    'plan_tasks': [('status', ('open', 'in_progress', 'done', 'cancelled'), False)],
}

# The tables 0011 guards (dbguards.GUARDS may grow in later revisions; this revision knows these).
GUARDED = (
    'case_stage_changes', 'referral_events', 'consents', 'consent_recipients', 'consent_categories', 'pledges',
    'audit_reviews', 'assessments', 'assessment_domains', 'plan_agreements', 'minutes_corrections',
    'meeting_decisions', 'meetings', 'agenda_items', 'meeting_minutes',
)


def condition(column: str, values: tuple, nullable: bool) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IS NULL OR {column} IN ({listed})" if nullable else f"{column} IN ({listed})"


def _alter(add: bool) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        for table in GUARDED:
            dbguards.uninstall(bind, table)
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, values, nullable in checks:
                name = op.f(f'ck_{table}_{column}')
                if add:
                    batch_op.create_check_constraint(name, condition(column, values, nullable))
                else:
                    batch_op.drop_constraint(name, type_='check')
    if sqlite:
        for table in GUARDED:
            dbguards.install(bind, table)


def upgrade() -> None:
    _alter(add=True)


def downgrade() -> None:
    _alter(add=False)
