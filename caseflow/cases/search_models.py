"""The n-gram index of persons' search keys (caseflow.core.text.search_grams), for the kana name search.

The name search is a substring match on `persons.search_key`, which no B-tree can seek. This table holds,
for each person, the trigrams of the key (`search_grams`): a search looks its key's grams up by the
primary key and checks only the persons that have them, so its cost follows the number of matching
persons, not the number of persons. Portable (SQLite and PostgreSQL, no extension), and written in the
same transaction as the key (`caseflow.cases.people.set_search_key`; the bench generator; migration 0009
for persons that existed before).
"""
from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from caseflow.core.db import Base
from caseflow.cases.models import Person

# Code point order for the prefix ranges of 2-character keys (caseflow.core.text.gram_prefix_range); SQLite's
# default BINARY collation already compares that way.
GRAM_TYPE = String(3).with_variant(String(3, collation="C"), "postgresql")


class PersonSearchGram(Base):
    __tablename__ = "person_search_grams"
    __table_args__ = {"sqlite_with_rowid": False}  # the primary key is the table: stored once

    gram: Mapped[str] = mapped_column(GRAM_TYPE, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)

    # Person.search_grams: kept in step with Person.search_key by caseflow.cases.people.set_search_key.
    person: Mapped[Person] = relationship(backref=backref("search_grams", cascade="all, delete-orphan",
                                                         passive_deletes=True))
