"""Contacts (相談者): the pseudonymous person behind an anonymous consultation (a LINE handle, a chat name),
kept as a record of its own -- its channel, its handle, when it first and last got in touch, its cases --
and, once known, linked to a person by an audited, reversible act whose history is append-only.

The handle is not personal data of a person; once a contact is linked, the person's data follows the sharing
rules (caseflow.access.sharing) like any other person's.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base, Created, Edited, UTCDateTime, new_id, one_of, utcnow

LINK_ACTS = ("link", "unlink")


class Contact(Edited, Base):
    __tablename__ = "contacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    owner_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    channel: Mapped[str] = mapped_column(String(32))  # a code of the intake_channel list
    handle: Mapped[str] = mapped_column(String(100))  # pseudonymous: "LINE相談 #0042"
    first_contact_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_contact_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    contact_count: Mapped[int] = mapped_column(Integer, default=1)
    # who recorded it (NULL only for contacts migration 0019 made from anonymous cases whose opener is unknown)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # the link in force (its history: contact_links)
    linked_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    linked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        # the owner's list, most recent contact first
        Index("ix_contacts_owner_last", "owner_org_id", "municipality_id", "last_contact_at", "id"),
    )


class ContactCase(Base):
    """The cases a contact belongs to (a case belongs to at most one contact)."""

    __tablename__ = "contact_cases"

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True, unique=True)


class ContactLink(Created, Base):
    """Append-only history of linking a contact to a person and unlinking it again: who, when, why."""

    __tablename__ = "contact_links"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), index=True)
    act: Mapped[str] = mapped_column(String(8))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    actor_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))

    __table_args__ = (one_of("act", LINK_ACTS),)
