"""meetings.ended_at: the time the meeting closed (閉会), recorded when it is marked held, for the 議事録.

Added in place (no batch copy), then the meetings guard is installed again so that SQLite's column-listing
trigger (frozen once the minutes are approved) covers the new column.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

from caseflow.core import dbguards

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('meetings', sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
    dbguards.install(op.get_bind(), 'meetings')


def downgrade():
    dbguards.uninstall(op.get_bind(), 'meetings')  # SQLite refuses to drop a column a trigger names
    with op.batch_alter_table('meetings', recreate='never') as batch:
        batch.drop_column('ended_at')
    dbguards.install(op.get_bind(), 'meetings')
