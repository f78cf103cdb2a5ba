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
from typing import Callable, Iterable, Iterator

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditChainHead, AuditEvent, AuditSubject
from caseflow.core.db import utcnow

GENESIS_HASH = "0" * 64
_PENDING = "caseflow.pending_audit"


@dataclass
class Disclosure:
    """Personal data of one person shown to the actor, and the legal basis for it."""

    person_id: uuid.UUID
    basis: str
    categories: list[str]
    council_id: uuid.UUID | None = None  # the council (会議体) of a support_meeting basis

    def as_json(self) -> dict:
        out = {"person": str(self.person_id), "basis": self.basis, "categories": sorted(self.categories)}
        if self.council_id is not None:
            out["council"] = str(self.council_id)
        return out


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
    municipality_id: uuid.UUID | None = None


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
    occurred_at: datetime | None = None,
    municipality_id: uuid.UUID | None = None,
) -> None:
    """Stage an audit event; it is written when (and only if) the session commits.

    `detail` must never hold personal data: ids, codes and counts only. `occurred_at` (aware) is
    for seeding tests and imports only; the application always lets it default to now.
    `municipality_id` (the tenant the action happened in) defaults to the actor's acting municipality
    (User.municipality_id); None marks a platform event.
    """
    if request_id is None:
        request_id = _current_request_id()
    if occurred_at is not None and occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    session.info.setdefault(_PENDING, []).append(
        StagedEvent(
            occurred_at=occurred_at or utcnow(),
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
            municipality_id=_municipality_of(actor, municipality_id),
        )
    )


def count_recorded(session: Session, *, action: str, resource_type: str, resource_id) -> int:
    """How many events of one action on one record are in the trail (e.g. the copies of a document issued)."""
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.resource_type == resource_type, AuditEvent.resource_id == str(resource_id),
        AuditEvent.action == action)) or 0


def _municipality_of(actor, explicit: uuid.UUID | None) -> uuid.UUID | None:
    # a User knows the municipality its request acts in (User.municipality_id)
    return explicit if explicit is not None else getattr(actor, "municipality_id", None)


def _current_request_id() -> str | None:
    from flask import g, has_request_context

    return g.get("request_id") if has_request_context() else None


def event_hash(row: AuditEvent | dict, prev_hash: str) -> str:
    get = (lambda k: row[k]) if isinstance(row, dict) else (lambda k: getattr(row, k))
    occurred = get("occurred_at")
    body = {
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
    # The tenant is hashed when present: events written before municipalities existed keep their hashes,
    # and setting or clearing it later changes the hash either way.
    municipality = row.get("municipality_id") if isinstance(row, dict) else row.municipality_id
    if municipality is not None:
        body["municipality_id"] = _s(municipality)
    return hashlib.sha256((prev_hash + canonical_json(body)).encode("utf-8")).hexdigest()


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
            "municipality_id": ev.municipality_id,
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
    # The last event that fitted the chain: a checkpoint the next incremental run can start after.
    last_seq: int = 0
    last_hash: str = GENESIS_HASH


# Only what the hash covers, read without ORM objects or type processing (about 4x faster on a
# million rows); `_raw_hash` turns the driver's values into exactly what `event_hash` hashes.
_HASHED_COLUMNS = ("seq", "occurred_at", "actor_user_id", "actor_org_id", "action", "resource_type",
                   "resource_id", "outcome", "legal_basis", "request_id", "disclosures", "detail", "flagged",
                   "prev_hash", "hash", "municipality_id")
_SELECT_RAW = text(f"SELECT {', '.join(_HASHED_COLUMNS)} FROM audit_events WHERE seq > :after "
                   "ORDER BY seq LIMIT :n")
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _uuid_text(value) -> str | None:
    """A uuid as event_hash writes it: SQLite stores 32 hex digits, PostgreSQL returns uuid.UUID."""
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) == 32:
            return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}".lower()
        return str(uuid.UUID(value))
    return str(value)


def _time_text(value) -> str:
    if isinstance(value, str):  # SQLite: "YYYY-MM-DD HH:MM:SS.ffffff", naive UTC (caseflow.core.db.UTCDateTime)
        if len(value) == 26 and value[10] == " ":
            return value[:10] + "T" + value[11:] + "Z"
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = _normalize_time(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _raw_hash(r, prev_hash: str) -> str:
    fields = {
        "seq": r[0], "occurred_at": _time_text(r[1]), "actor_user_id": _uuid_text(r[2]),
        "actor_org_id": _uuid_text(r[3]), "action": r[4], "resource_type": r[5], "resource_id": r[6],
        "outcome": r[7], "legal_basis": r[8], "request_id": r[9], "disclosures": r[10], "detail": r[11],
        "flagged": bool(r[12]),
    }
    if r[15] is not None:
        fields["municipality_id"] = _uuid_text(r[15])
    body = _ENCODER.encode(fields)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _head(session: Session):
    return session.execute(select(AuditChainHead.seq, AuditChainHead.last_hash).where(AuditChainHead.id == 1)).first()


def verify(session: Session, batch: int = 5000, *, start_seq: int = 0, start_hash: str = GENESIS_HASH,
           progress: Callable[[int, int], None] | None = None) -> VerifyResult:
    """Walk the chain in order; report the first event that does not fit.

    By default from the genesis; `start_seq`/`start_hash` resume after a trusted checkpoint (an
    earlier verified event, or the end of an archived range), so event `start_seq + 1` must link
    to `start_hash`. Events appended while it runs are checked too (it reads until it meets the head).
    `progress(checked, total)` is called every `batch` events, total being the events up to the head as last read.
    """
    expected_seq, prev, checked = start_seq + 1, start_hash, 0
    head = _head(session)
    total = max(head.seq - start_seq, 0) if head is not None else 0
    while True:
        for row in _iter_events(session, batch, after=expected_seq - 1):
            if progress and checked % batch == 0 and checked:
                progress(checked, max(total, checked))
            seq = row[0]
            if seq != expected_seq:
                return VerifyResult(False, checked, expected_seq if seq > expected_seq else seq,
                                    f"event {expected_seq} is missing (next present is {seq})"
                                    if seq > expected_seq else f"event {seq} is out of order or duplicated",
                                    expected_seq - 1, prev)
            if row[13] != prev:
                return VerifyResult(False, checked, seq, f"event {seq} does not link to event {seq - 1}",
                                    expected_seq - 1, prev)
            if _raw_hash(row, prev) != row[14]:
                return VerifyResult(False, checked, seq, f"event {seq} was altered (hash mismatch)",
                                    expected_seq - 1, prev)
            prev = row[14]
            expected_seq += 1
            checked += 1
        head = _head(session)
        total = max(total, head.seq - start_seq) if head is not None else total
        # On PostgreSQL (read committed) appends may land while we read: go on until caught up.
        if head is None or head.seq <= expected_seq - 1:
            break
        if not session.execute(select(AuditEvent.seq).where(AuditEvent.seq >= expected_seq).limit(1)).first():
            break
    last = expected_seq - 1
    if progress:
        progress(checked, max(total, checked))
    if head is None:
        return VerifyResult(False, checked, None, "the audit chain head row is missing", last, prev)
    if head.seq != last:
        return VerifyResult(False, checked, last + 1 if head.seq > last else head.seq + 1,
                            f"event {last + 1} is missing (chain head says {head.seq})" if head.seq > last
                            else f"event {head.seq + 1} is beyond the chain head ({head.seq})", last, prev)
    if head.last_hash != prev:
        return VerifyResult(False, checked, last, f"event {last} does not match the chain head hash", last, prev)
    return VerifyResult(True, checked, last_seq=last, last_hash=prev)


def _iter_events(session: Session, batch: int, after: int = 0) -> Iterator:
    last = after
    while True:
        rows = session.execute(_SELECT_RAW, {"after": last, "n": batch}).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


