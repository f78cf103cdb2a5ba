"""The audit trail's tables (written only by caseflow.access.trail) and what auditors add to it: reviews of events, the results of chain verification, and seals.

All live beside the append-only audit tables, never in them: the trail stays exactly as written.
Each review is itself recorded as an `audit.review` event carrying the hash of its comment, so an
edit to a review row shows against the chain. Verification checkpoints and seals are insert-only
(the database refuses UPDATE and DELETE on them, migration 0012): a later run adds, never overwrites.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base, UTCDateTime, new_id, utcnow

_SEQ = BigInteger().with_variant(Integer, "sqlite")


# --- the tables: append-only (database triggers, migration 0001) ---------------------------------

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


class AuditReview(Base):
    """An auditor's review of one event (e.g. a break-glass access): who, when, what they concluded."""

    __tablename__ = "audit_reviews"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_seq: Mapped[int] = mapped_column(_SEQ, ForeignKey("audit_events.seq"))
    reviewer_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    reviewer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    comment: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_audit_reviews_event", "event_seq", "reviewed_at"),)


class AuditVerification(Base):
    """One run of chain verification. A successful run is a checkpoint: (to_seq, to_hash), signed
    with HMAC so that a row forged in the database is not trusted as a starting point."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))  # full | incremental
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_seq: Mapped[int] = mapped_column(_SEQ)  # verification began after this event (0 = genesis)
    to_seq: Mapped[int] = mapped_column(_SEQ)  # the last event that fitted the chain
    to_hash: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)
    checked: Mapped[int] = mapped_column(_SEQ)
    first_bad_seq: Mapped[int | None] = mapped_column(_SEQ)
    problem: Mapped[str | None] = mapped_column(String(300))
    seconds: Mapped[float] = mapped_column(Float)
    events_per_second: Mapped[float] = mapped_column(Float)
    signature: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_verifications_ok_to_seq", "ok", "to_seq"),)


class AuditSeal(Base):
    """A checkpoint signed with the auditor's Ed25519 key (caseflow.audit.seals).

    `payload` is the canonical JSON that was signed, kept byte for byte; the other columns repeat its
    fields for queries and are checked against it. `leaves` holds the 32-byte hashes of events
    from_seq..to_seq (the payload signs their SHA-256), so verification can name the first event that
    differs. Seals chain: the payload carries the SHA-256 of the previous seal's payload.
    """

    __tablename__ = "audit_seals"

    seal_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    from_seq: Mapped[int] = mapped_column(_SEQ)
    to_seq: Mapped[int] = mapped_column(_SEQ)
    to_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_fingerprint: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))  # base64 of the 64-byte Ed25519 signature
    leaves: Mapped[bytes] = mapped_column(LargeBinary)


# Indexes on audit_events that serve the auditor's searches (keyset pages in seq order under one
# equality filter). Declared here, with the queries that need them, so that autogenerate sees them;
# created by migration 0002. The case-id expression index of 0002 is engine-specific SQL and is
# deliberately not declared here.
_events = AuditEvent.__table__
Index("ix_audit_events_action_seq", _events.c.action, _events.c.seq)
Index("ix_audit_events_basis_seq", _events.c.legal_basis, _events.c.seq)
Index("ix_audit_events_outcome_seq", _events.c.outcome, _events.c.seq, _events.c.actor_org_id,
      _events.c.actor_user_id)
Index("ix_audit_events_flagged_seq", _events.c.flagged, _events.c.seq)
