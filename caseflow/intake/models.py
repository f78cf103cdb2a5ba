"""Intake clients (an external app's credential), duty workers and notifications."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base, Created, UTCDateTime, new_id, utcnow


class IntakeClient(Created, Base):
    """An external consultation app registered by a municipality's secretariat. Its token (shown once, stored as
    a SHA-256 hash) may only open anonymous consultations for `org_id` in `municipality_id`; revocable."""

    __tablename__ = "intake_clients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))  # receives the cases
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IntakeConsultation(Created, Base):
    """Which case an intake client opened (the weekly summary counts these; the case itself holds the content)."""

    __tablename__ = "intake_consultations"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_clients.id"))
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))

    __table_args__ = (Index("ix_intake_consultations_municipality_created", "municipality_id", "created_at"),)


class DutyAssignment(Base):
    """The organisation's duty worker (当番): who is notified at once of a critical case. One per organisation."""

    __tablename__ = "duty_assignments"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    set_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Created, Base):
    """A notice to one user about one case: why, when, and when it was delivered by e-mail (NULL: not yet;
    `caseflow notifications retry` tries again). Holds no personal data: the case id and a reason code."""

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    recipient_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # "critical"
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_notifications_recipient_created", "recipient_user_id", "created_at"),
                      Index("ix_notifications_undelivered", "delivered_at", "created_at"))
