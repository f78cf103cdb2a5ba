from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base, UTCDateTime


class AuditEvent(Base):
    """Append-only, hash-chained record of an action. `seq` is gapless; see caseflow.access.trail."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # allowed | denied
    legal_basis: Mapped[str | None] = mapped_column(String(80))
    request_id: Mapped[str | None] = mapped_column(String(64))
    # Canonical JSON text (sorted keys) so the hash is reproducible on every engine.
    disclosures: Mapped[str] = mapped_column(Text, default="[]")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    flagged: Mapped[bool] = mapped_column(default=False)
    # the tenant the action happened in; None for platform events (unknown-account logins, the operator's
    # CLI) and for events written before municipalities existed. Hashed when present.
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_actor_time", "actor_user_id", "occurred_at"),
        Index("ix_audit_events_org_time", "actor_org_id", "occurred_at"),
        Index("ix_audit_events_time", "occurred_at"),
        Index("ix_audit_events_resource", "resource_type", "resource_id"),
        Index("ix_audit_events_municipality_seq", "municipality_id", "seq"),
    )


class AuditSubject(Base):
    """One person whose data an event touched: the index behind "who saw this person"."""

    __tablename__ = "audit_subjects"

    event_seq: Mapped[int] = mapped_column(ForeignKey("audit_events.seq"), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    basis: Mapped[str] = mapped_column(String(80), primary_key=True)  # one person may be shown on two bases
    categories: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_audit_subjects_person", "person_id", "event_seq"),)


class AuditChainHead(Base):
    """Single row: the last sequence number and hash. Updating it first serialises appenders."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))
