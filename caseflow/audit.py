"""The audit trail: append-only, hash-chained events written in the action's own transaction.

`record()` stages an event on the session; a `before_commit` hook appends staged events to
the chain. Appending first updates the single `audit_chain_head` row, which takes a row lock
(PostgreSQL) or the write lock (SQLite), so concurrent transactions extend the chain one at a
time and `seq` stays gapless. Each event's hash covers its content and the previous hash, so
`verify()` finds an edited, deleted or inserted row.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from caseflow.db import utcnow
from caseflow.models import AuditChainHead, AuditEvent, AuditSubject

GENESIS_HASH = "0" * 64
_PENDING = "caseflow.pending_audit"


@dataclass
class Disclosure:
    """Personal data of one person shown to the actor, and the legal basis for it."""

    person_id: uuid.UUID
    basis: str
    categories: list[str]

    def as_json(self) -> dict:
        return {"person": str(self.person_id), "basis": self.basis, "categories": sorted(self.categories)}


@dataclass
class StagedEvent:
    occurred_at: datetime
    actor_user_id: uuid.UUID | None
    actor_org_id: uuid.UUID | None
    action: str
    resource_type: str
    resource_id: str | None
    outcome: str
    legal_basis: str | None
    request_id: str | None
    disclosures: list[Disclosure] = field(default_factory=list)
    detail: dict = field(default_factory=dict)
    flagged: bool = False


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record(
    session: Session,
    *,
    action: str,
    resource_type: str,
    resource_id=None,
    actor=None,
    outcome: str = "allowed",
    legal_basis: str | None = None,
    disclosures: Iterable[Disclosure] = (),
    detail: dict | None = None,
    flagged: bool = False,
    request_id: str | None = None,
) -> None:
    """Stage an audit event; it is written when (and only if) the session commits.

    `detail` must never hold personal data: ids, codes and counts only.
    """
    if request_id is None:
        request_id = _current_request_id()
    session.info.setdefault(_PENDING, []).append(
        StagedEvent(
            occurred_at=utcnow(),
            actor_user_id=getattr(actor, "id", None),
            actor_org_id=getattr(actor, "org_id", None),
            action=action,
            resource_type=resource_type,
            resource_id=None if resource_id is None else str(resource_id),
            outcome=outcome,
            legal_basis=legal_basis,
            request_id=request_id,
            disclosures=list(disclosures),
            detail=detail or {},
            flagged=flagged,
        )
    )


def _current_request_id() -> str | None:
    from flask import g, has_request_context

    return g.get("request_id") if has_request_context() else None


def event_hash(row: AuditEvent | dict, prev_hash: str) -> str:
    get = (lambda k: row[k]) if isinstance(row, dict) else (lambda k: getattr(row, k))
    occurred = get("occurred_at")
    body = canonical_json(
        {
            "seq": get("seq"),
            "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_user_id": _s(get("actor_user_id")),
            "actor_org_id": _s(get("actor_org_id")),
            "action": get("action"),
            "resource_type": get("resource_type"),
            "resource_id": get("resource_id"),
            "outcome": get("outcome"),
            "legal_basis": get("legal_basis"),
            "request_id": get("request_id"),
            "disclosures": get("disclosures"),
            "detail": get("detail"),
            "flagged": bool(get("flagged")),
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _s(value) -> str | None:
    return None if value is None else str(value)


def _normalize_time(dt: datetime) -> datetime:
    # Stored with microsecond precision on both engines; hash exactly what is stored.
    from datetime import timezone

    return dt.astimezone(timezone.utc)


@event.listens_for(Session, "before_commit")
def _append_staged_events(session: Session) -> None:
    staged: list[StagedEvent] = session.info.pop(_PENDING, [])
    if not staged:
        return
    session.flush()
    n = len(staged)
    head = session.execute(
        text("UPDATE audit_chain_head SET seq = seq + :n WHERE id = 1 RETURNING seq, last_hash"), {"n": n}
    ).one()
    seq = head.seq - n
    prev = head.last_hash
    events, subjects = [], []
    for ev in staged:
        seq += 1
        disclosures = [d.as_json() for d in ev.disclosures]
        row = {
            "seq": seq,
            "occurred_at": _normalize_time(ev.occurred_at),
            "actor_user_id": ev.actor_user_id,
            "actor_org_id": ev.actor_org_id,
            "action": ev.action,
            "resource_type": ev.resource_type,
            "resource_id": ev.resource_id,
            "outcome": ev.outcome,
            "legal_basis": ev.legal_basis,
            "request_id": ev.request_id,
            "disclosures": canonical_json(disclosures),
            "detail": canonical_json(ev.detail),
            "flagged": ev.flagged,
        }
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(row, prev)
        events.append(row)
        for d in disclosures:
            subjects.append(
                {"event_seq": seq, "person_id": uuid.UUID(d["person"]), "basis": d["basis"],
                 "categories": ",".join(d["categories"])}
            )
    session.execute(AuditEvent.__table__.insert(), events)
    if subjects:
        session.execute(AuditSubject.__table__.insert(), subjects)
    session.execute(
        text("UPDATE audit_chain_head SET last_hash = :h WHERE id = 1"), {"h": prev}
    )


@event.listens_for(Session, "after_soft_rollback")
def _drop_staged_events(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in order; report the first event that does not fit."""
    head = session.get(AuditChainHead, 1)
    expected_seq, prev, checked = 1, GENESIS_HASH, 0
    for row in _iter_events(session, batch):
        if row.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq if row.seq > expected_seq else row.seq,
                                f"event {expected_seq} is missing (next present is {row.seq})"
                                if row.seq > expected_seq else f"event {row.seq} is out of order or duplicated")
        if row.prev_hash != prev:
            return VerifyResult(False, checked, row.seq, f"event {row.seq} does not link to event {row.seq - 1}")
        if event_hash(row, prev) != row.hash:
            return VerifyResult(False, checked, row.seq, f"event {row.seq} was altered (hash mismatch)")
        prev = row.hash
        expected_seq += 1
        checked += 1
    last = expected_seq - 1
    if head is None:
        return VerifyResult(False, checked, None, "the audit chain head row is missing")
    if head.seq != last:
        return VerifyResult(False, checked, last + 1, f"event {last + 1} is missing (chain head says {head.seq})")
    if head.last_hash != prev:
        return VerifyResult(False, checked, last, f"event {last} does not match the chain head hash")
    return VerifyResult(True, checked)


def _iter_events(session: Session, batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()
