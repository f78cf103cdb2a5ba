"""person_search_grams: the n-gram index of persons' search keys (kana name search; benchmarks/README.md)

The name search is a substring match on persons.search_key (LIKE '%…%'), which no B-tree can seek: every
search read the (search_key, id) index of all persons. This table holds each person's trigrams
(caseflow.core.text.search_grams); a search looks its key's grams up by the primary key. The application writes
the rows with the key (caseflow.cases.people.set_search_key); this migration fills them in for the
persons that already exist, in batches, with progress on stdout.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""
import sys
import time

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 5000  # persons per statement batch

# Migrations must not import the application; these are caseflow.core.text.GRAM_END and search_grams as of this
# revision (tests/test_search.py checks that they still agree -- if the application's grams change,
# a new migration must rebuild the table).
GRAM_END = "\x03"


def search_grams(key: str) -> set:
    grams = set()
    for part in key.split("\n"):
        padded = part + GRAM_END
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def upgrade() -> None:
    op.create_table(
        'person_search_grams',
        # COLLATE "C" on PostgreSQL: code point order, for the prefix ranges of 2-character keys.
        sa.Column('gram', sa.String(length=3).with_variant(sa.String(length=3, collation='C'), 'postgresql'),
                  nullable=False),
        sa.Column('person_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_search_grams_person_id_persons'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('gram', 'person_id', name=op.f('pk_person_search_grams')),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f('ix_person_search_grams_person_id'), 'person_search_grams', ['person_id'], unique=False)
    _backfill()


def _backfill() -> None:
    """The grams of every existing person, keyset-paged over persons.id (each batch one executemany)."""
    conn = op.get_bind()
    persons = sa.table('persons', sa.column('id', sa.Uuid()), sa.column('search_key', sa.String()))
    grams = sa.table('person_search_grams', sa.column('gram', sa.String()), sa.column('person_id', sa.Uuid()))
    total = conn.scalar(sa.select(sa.func.count()).select_from(persons))
    if not total:
        return
    done = written = 0
    last = None
    started = time.monotonic()
    while True:
        page = sa.select(persons.c.id, persons.c.search_key).order_by(persons.c.id).limit(BATCH)
        if last is not None:
            page = page.where(persons.c.id > last)
        batch = conn.execute(page).all()
        if not batch:
            break
        rows = [{"gram": g, "person_id": pid} for pid, key in batch for g in search_grams(key or "")]
        if rows:
            conn.execute(grams.insert(), rows)
        done += len(batch)
        written += len(rows)
        last = batch[-1][0]
        elapsed = time.monotonic() - started
        print(f"  person_search_grams: {done:,}/{total:,} persons, {written:,} grams, {elapsed:.1f} s",
              file=sys.stdout, flush=True)
    if conn.dialect.name == "postgresql":  # statistics now, not at the next autovacuum (a sample: quick)
        op.execute("ANALYZE person_search_grams")


def downgrade() -> None:
    op.drop_index(op.f('ix_person_search_grams_person_id'), table_name='person_search_grams')
    op.drop_table('person_search_grams')
