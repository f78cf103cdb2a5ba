"""Referrals between agencies (初期対応／他機関紹介) and the organisation directory.

A case may have several referrals open at once, but at most one *live* (pending or accepted) referral to
the same organisation: a partial unique index enforces it in the database, so two simultaneous requests
cannot both create one (caseflow.referrals.rules turns the violation into a 409).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.cases.models import URGENCIES
from caseflow.core.db import Base, Edited, UTCDateTime, new_id, one_of, utcnow

REFERRAL_STATES = ("pending", "accepted", "declined", "withdrawn", "completed")
LIVE = "state IN ('pending', 'accepted')"


class Referral(Edited, Base):
    __tablename__ = "referrals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    from_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    to_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)             # why this agency (shown de-identified)
    requested_support: Mapped[str] = mapped_column(Text)  # the request text (shown de-identified)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    reply_due: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    state_reason: Mapped[str | None] = mapped_column(Text)  # decline / withdraw reason
    responded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        one_of("state", REFERRAL_STATES), one_of("urgency", URGENCIES),
        Index("ix_referrals_to_state_due", "to_org_id", "state", "reply_due"),
        Index("ix_referrals_from_state", "from_org_id", "state"),
        # The answered and the accepted part of an inbox / outbox in list order, newest change first
        # (migration 0008; caseflow.referrals.rules._boxed_statement).
        Index("ix_referrals_to_updated", "to_org_id", text("updated_at DESC"), "id"),
        Index("ix_referrals_from_updated", "from_org_id", text("updated_at DESC"), "id"),
        Index("ix_referrals_to_state_updated", "to_org_id", "state", text("updated_at DESC"), "id"),
        Index("ix_referrals_from_state_updated", "from_org_id", "state", text("updated_at DESC"), "id"),
        # One live (pending or accepted) referral per (case, receiving organisation); SQLite and PostgreSQL
        # both support partial indexes (migration 0021).
        Index("uq_referrals_live_case_to_org", "case_id", "to_org_id", unique=True,
              sqlite_where=text(LIVE), postgresql_where=text(LIVE)),
    )


class ReferralEvent(Base):
    """Every state change of a referral: who, when, why."""

    __tablename__ = "referral_events"
    __table_args__ = (one_of("from_state", REFERRAL_STATES, nullable=True), one_of("to_state", REFERRAL_STATES),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


