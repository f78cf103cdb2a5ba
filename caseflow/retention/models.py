"""Retention records: legal holds on cases, and the tombstones of purged cases and persons.

A purge scrubs the personal data of a case and of the persons who belong to no live case; the rows stay (case
number, dates, stage history, issue categories) so that foreign keys and past KPI reports hold. These tables say
what was purged, when, by whom and under which rule. They hold ids, codes and dates only.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base, UTCDateTime, new_id, utcnow

HOLD_REASONS = ("litigation", "disclosure_request", "audit", "other")  # 訴訟・開示請求・監査・その他


class LegalHold(Base):
    """訴訟・開示請求対応: while a hold is open (released_at NULL) the case is never purged."""

    __tablename__ = "legal_holds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))        # one of HOLD_REASONS
    reference: Mapped[str | None] = mapped_column(String(100))  # e.g. the 開示請求's file number; no personal data
    placed_by: Mapped[str] = mapped_column(String(100))     # the operator account that placed it
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(100))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CasePurge(Base):
    """The tombstone of a purged case: the case row itself keeps its number, dates, stage history and issues."""

    __tablename__ = "retention_case_purges"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    case_number: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(64))   # the schedule entry that applied: "default" or an issue code
    years: Mapped[int] = mapped_column(SmallInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: an open case purged on request
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    purged_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index("ix_retention_case_purges_municipality", "municipality_id", "purged_at"),)


class PersonPurge(Base):
    """A purged person: the row stays (ids in the audit trail still point at it), its personal columns are blank."""

    __tablename__ = "retention_person_purges"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))  # the last case whose purge freed it
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


DELETION_STATES = ("requested", "approved", "declined", "purged")
DELETION_GROUNDS = ("consent_withdrawn", "no_longer_needed", "unlawful", "other")  # 個人情報保護法 第98条・第99条


class DeletionRequest(Base):
    """利用停止・消去請求: a person asks the organisation that collected their data to erase it. A second person
    (a supervisor or the municipality's secretariat, never the one who filed it) approves or declines; an
    approved request is carried out by the next `caseflow retention purge` (the same purge, for that person)."""

    __tablename__ = "deletion_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    ground: Mapped[str] = mapped_column(String(32))          # one of DELETION_GROUNDS
    state: Mapped[str] = mapped_column(String(16), default="requested")
    received_on: Mapped[date] = mapped_column(Date)          # when the person's request arrived
    requested_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_ground: Mapped[str | None] = mapped_column(String(32))  # a code, never free text about the person
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_deletion_requests_municipality_state", "municipality_id", "state", "requested_at"),)
