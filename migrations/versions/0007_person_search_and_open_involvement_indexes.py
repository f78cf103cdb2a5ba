"""indexes for city-scale list pages and name search (benchmarks/README.md)

* case_involvements (org_id, case_id) WHERE until IS NULL: an organisation's open involvements,
  index-only -- the first branch of the visible-case set, and the bounded count that decides how a
  case list is planned (caseflow.access.sharing.has_large_caseload).
* persons (search_key, id): the kana-insensitive name search is a substring match (LIKE '%…%'), which
  no B-tree can seek; with the id in the index the scan reads the narrow index, not the persons table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain CREATE INDEX (no batch copy): SQLite adds indexes in place.
    op.create_index('ix_case_involvements_open_org_case', 'case_involvements', ['org_id', 'case_id'], unique=False,
                    sqlite_where=sa.text('until IS NULL'), postgresql_where=sa.text('until IS NULL'))
    op.create_index('ix_persons_search_key_id', 'persons', ['search_key', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_persons_search_key_id', table_name='persons')
    op.drop_index('ix_case_involvements_open_org_case', table_name='case_involvements')
