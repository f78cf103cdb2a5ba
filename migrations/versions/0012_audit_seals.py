"""audit seals; verification checkpoints and seals are insert-only

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-28

`audit_seals` holds checkpoints of the audit chain signed with the auditor's Ed25519 key (the private
key never reaches the application; see docs/audit-sealing.md). A verification or a seal must never
overwrite an earlier one, so the database refuses UPDATE and DELETE on `audit_verifications` and
`audit_seals`, as migration 0001 does for `audit_events`.

(Revises 0009 on this branch; to be re-chained after the 0010 and 0011 of other branches.)
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
INSERT_ONLY = ('audit_verifications', 'audit_seals')


def upgrade() -> None:
    op.create_table('audit_seals',
    sa.Column('seal_no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('from_seq', SEQ, nullable=False),
    sa.Column('to_seq', SEQ, nullable=False),
    sa.Column('to_hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_fingerprint', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('leaves', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('seal_no', name=op.f('pk_audit_seals'))
    )
    _make_insert_only()


def _make_insert_only() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table in INSERT_ONLY:
            for verb in ('UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    else:
        # caseflow_append_only() is the trigger function of migration 0001.
        for table in INSERT_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION caseflow_append_only()")


def _drop_insert_only() -> None:
    for table in INSERT_ONLY:
        if op.get_bind().dialect.name == 'sqlite':
            for verb in ('update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")


def downgrade() -> None:
    _drop_insert_only()
    op.drop_table('audit_seals')
