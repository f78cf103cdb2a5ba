from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import (
    and_,
    func,
    or_,
    select,
    text,
    true,
)

from caseflow.access import trail
from caseflow.audit import seals as audit_seals
from caseflow.audit.models import AuditChainHead, AuditVerification
from caseflow.audit.queries import E
from caseflow.core import db
from caseflow.core.db import utcnow


def checkpoint_key(config) -> bytes:
    if config.get("AUDIT_CHECKPOINT_KEY"):
        return config["AUDIT_CHECKPOINT_KEY"].encode("utf-8")
    return hmac.new(str(config["SECRET_KEY"]).encode("utf-8"), b"caseflow audit checkpoint", hashlib.sha256).digest()


def trusted_public_keys(config):
    """The auditors' Ed25519 public keys the application accepts seals from (CASEFLOW_AUDIT_PUBLIC_KEYS)."""

    return audit_seals.TrustedKeys.of(config.get("AUDIT_PUBLIC_KEYS") or [])


def sign(key: bytes, to_seq: int, to_hash: str, ok: bool) -> str:
    return hmac.new(key, f"{to_seq}:{to_hash}:{'ok' if ok else 'bad'}".encode(), hashlib.sha256).hexdigest()


def signature_valid(key: bytes, row: AuditVerification) -> bool:
    return hmac.compare_digest(row.signature, sign(key, row.to_seq, row.to_hash, row.ok))


def _trusted_checkpoints(key: bytes):
    """Successful verifications with a valid signature, latest first."""
    session = db.session()
    for row in session.scalars(select(AuditVerification).where(AuditVerification.ok == true())
                               .order_by(AuditVerification.to_seq.desc(), AuditVerification.id.desc()).limit(50)):
        if signature_valid(key, row):
            yield row


@dataclass
class Verification:
    """One verification run: the chain walk, every earlier checkpoint and every seal compared with it."""

    ok: bool
    mode: str
    from_seq: int
    to_seq: int
    to_hash: str
    checked: int
    first_bad_seq: int | None
    problem: str | None
    findings: list  # audit_seals.Finding, first event first
    warnings: list[str]
    notes: list[str]
    seconds: float
    events_per_second: float
    seals: object  # audit_seals.SealCheck
    row: AuditVerification | None


def run_verification(key: bytes, *, incremental: bool = False, trusted_keys=None,
                     seal_log: str | None = None, record: bool = True,
                     progress: Callable[[int, int], None] | None = None) -> Verification:
    """Verify the chain and store the result (the caller commits).

    Full: from the genesis, or, when older events were archived away, from the signed checkpoint
    (or trusted seal) that ends the archived range. Incremental: from the latest checkpoint or trusted
    seal that the chain still agrees with. Either way the chain is then compared with every earlier
    successful checkpoint (whatever its HMAC says: a contradiction is a contradiction) and every seal
    (the database's, and the seal log's when given); a run is ok only when nothing contradicts it. The
    run is stored as a new row once every check is done; rows are never updated. `progress(checked, total)`
    follows the walk along the chain (caseflow.access.trail.verify).
    """
    session = db.session()

    started, t0 = utcnow(), time.perf_counter()
    trusted_keys = trusted_keys or audit_seals.TrustedKeys()
    first_present = session.execute(select(func.min(E.seq))).scalar()
    seals = audit_seals.check_seals(trusted_keys, seal_log, with_leaves=not incremental)
    hmac_ok = _checkpoint_signatures(key)
    warnings = list(seals.warnings)
    bad_hmac = sorted(i for i, valid in hmac_ok.items() if not valid)
    if bad_hmac:
        shown = ", ".join(f"#{i}" for i in bad_hmac[:5]) + (" …" if len(bad_hmac) > 5 else "")
        warnings.append(f"{len(bad_hmac)} checkpoints have an invalid HMAC ({shown}): forged in the database, or "
                        "signed under an earlier key; they are still compared with the chain")
    start_seq, start_hash = 0, trail.GENESIS_HASH
    if first_present is not None and first_present > 1:
        # Archived range: only a signed checkpoint or a trusted seal at its end lets verification start after it.
        base = _archive_base(key, seals, first_present - 1)
        if base is not None:
            start_seq, start_hash = base
    mode = "incremental" if incremental else "full"
    if incremental:
        point = _latest_agreeing_point(key, seals, after=start_seq)
        if point is not None:
            start_seq, start_hash = point
    result = trail.verify(session, start_seq=start_seq, start_hash=start_hash, progress=progress)
    findings = [] if result.ok else [audit_seals.Finding(result.first_bad_seq, result.problem, rank=0)]
    findings += _contradicted_checkpoints(hmac_ok, first_present)
    findings += seals.problems
    findings += audit_seals.compare_with_chain(seals.seals + seals.extra, first_present=first_present,
                                               full=not incremental)
    findings = _first_event_first(findings)
    seconds = time.perf_counter() - t0
    ok = not findings
    first = findings[0] if findings else None
    run = Verification(
        ok=ok, mode=mode, from_seq=start_seq, to_seq=result.last_seq, to_hash=result.last_hash,
        checked=result.checked, first_bad_seq=first.seq if first else None,
        problem=first.text if first else None, findings=findings, warnings=warnings, notes=seals.notes,
        seconds=round(seconds, 3), events_per_second=round(result.checked / seconds, 1) if seconds > 0 else 0.0,
        seals=seals, row=None)
    if record:
        run.row = AuditVerification(
            mode=mode, started_at=started, finished_at=utcnow(), from_seq=start_seq, to_seq=result.last_seq,
            to_hash=result.last_hash, ok=ok, checked=result.checked, first_bad_seq=run.first_bad_seq,
            problem=(run.problem or None) and run.problem[:300], seconds=run.seconds,
            events_per_second=run.events_per_second, signature=sign(key, result.last_seq, result.last_hash, ok))
        session.add(run.row)
    return run


def _first_event_first(findings: list) -> list:
    seen, out = set(), []
    for f in sorted(findings, key=lambda f: (f.seq is None, f.seq or 0, f.rank)):
        if f.text not in seen:
            seen.add(f.text)
            out.append(f)
    return out


def _checkpoint_signatures(key: bytes) -> dict[int, bool]:
    """id -> HMAC valid, for every successful run (the checkpoints)."""
    session = db.session()
    rows = session.execute(select(AuditVerification.id, AuditVerification.to_seq, AuditVerification.to_hash,
                                  AuditVerification.signature).where(AuditVerification.ok == true()))
    return {i: hmac.compare_digest(sig, sign(key, to_seq, to_hash, True)) for i, to_seq, to_hash, sig in rows}


def _archive_base(key: bytes, seals, boundary: int) -> tuple[int, str] | None:
    session = db.session()
    cp = next((c for c in _trusted_checkpoints(key) if c.to_seq == boundary), None)
    if cp is None:
        cp = session.scalars(select(AuditVerification).where(AuditVerification.ok == true(),
                                                             AuditVerification.to_seq == boundary)
                             .order_by(AuditVerification.id.desc())).first()
        cp = cp if cp is not None and signature_valid(key, cp) else None
    if cp is not None:
        return cp.to_seq, cp.to_hash

    for s in seals.trusted:
        if s.from_seq <= boundary <= s.to_seq:
            audit_seals.load_leaves(s)
            if audit_seals.leaves_problem(s) is None:
                return boundary, s.leaf(boundary)
    return None


def _latest_agreeing_point(key: bytes, seals, after: int) -> tuple[int, str] | None:
    """The latest signed checkpoint or trusted seal after `after` whose event still carries its hash."""
    session = db.session()
    points = {(c.to_seq, c.to_hash) for c in _trusted_checkpoints(key) if c.to_seq > after}
    points |= {(s.to_seq, s.to_hash) for s in seals.trusted if s.to_seq > after}
    for seq, h in sorted(points, reverse=True):
        if session.execute(select(E.hash).where(E.seq == seq)).scalar() == h:
            return seq, h
    return None


def _contradicted_checkpoints(hmac_ok: dict[int, bool], first_present: int | None) -> list:
    """Earlier successful runs whose event is gone or carries another hash now."""
    session = db.session()

    V = AuditVerification
    lo = first_present or 1  # events before the first present one were archived (the walk answers for that)
    rows = session.execute(
        select(V.id, V.to_seq, V.to_hash, V.finished_at, E.hash).outerjoin(E, E.seq == V.to_seq)
        .where(V.ok == true(), V.to_seq >= lo, or_(E.hash.is_(None), E.hash != V.to_hash))
        .order_by(V.to_seq, V.id).limit(1000)).all()
    if not rows:
        return []
    cp_id, to_seq, _, finished, stored = rows[0]
    name = f"checkpoint #{cp_id} (verified {finished:%Y-%m-%dT%H:%M:%SZ}" + \
           ("" if hmac_ok.get(cp_id) else ", its HMAC is invalid") + ")"
    more = f"; {len(rows) - 1} later checkpoints are contradicted too" if len(rows) > 1 else ""
    if stored is None:
        last = session.execute(select(func.max(E.seq))).scalar() or 0
        missing = last + 1 if last < to_seq else to_seq
        return [audit_seals.Finding(missing, f"event {missing} is missing: {name} verified the chain up to event "
                                             f"{to_seq}{more}", rank=2)]
    agree = session.execute(
        select(func.max(V.to_seq)).join(E, and_(E.seq == V.to_seq, E.hash == V.to_hash))
        .where(V.ok == true(), V.to_seq < to_seq)).scalar()
    since = f" and after event {agree} (the latest earlier checkpoint that still agrees)" if agree else ""
    return [audit_seals.Finding(to_seq, f"event {to_seq} contradicts {name}: the chain was rewritten at or before "
                                        f"event {to_seq}{since}{more}", rank=2)]


def verification_status(key: bytes, trusted_keys=None) -> dict:

    session = db.session()
    def latest(*where):
        return session.scalars(select(AuditVerification).where(*where)
                               .order_by(AuditVerification.id.desc()).limit(1)).first()

    def view(row):
        if row is None:
            return None
        return {"id": row.id, "mode": row.mode, "ok": row.ok, "started_at": row.started_at,
                "finished_at": row.finished_at, "from_seq": row.from_seq, "to_seq": row.to_seq,
                "to_hash": row.to_hash, "checked": row.checked, "first_bad_seq": row.first_bad_seq,
                "problem": row.problem, "seconds": row.seconds, "events_per_second": row.events_per_second,
                "signature_valid": signature_valid(key, row)}

    head = session.get(AuditChainHead, 1)
    checkpoint = next(_trusted_checkpoints(key), None)
    head_seq = head.seq if head else 0
    return {"head_seq": head_seq, "last": view(latest()), "last_full": view(latest(AuditVerification.mode == "full")),
            "checkpoint": view(checkpoint),
            "unverified_events": head_seq - (checkpoint.to_seq if checkpoint else 0),
            "seal": audit_seals.latest_seal_status(trusted_keys or audit_seals.TrustedKeys(), head_seq)}


def verify_and_seal(*, hmac_key: bytes, private_key, log_path: str,
                    trusted: audit_seals.TrustedKeys, incremental: bool = False,
                    max_events: int = audit_seals.MAX_EVENTS_PER_SEAL,
                    progress: Callable[[int, int], None] | None = None,
                    say: Callable[[str], None] | None = None):
    """Verify the chain, every checkpoint, every earlier seal and the log; then seal what was verified.

    Returns (the verification, the new seals); no seal when the verification failed. The new seals
    are added to the session (flushed) and appended to the log; the caller commits. The signer's own
    key is trusted, so seals it made earlier need no --public-key.
    """
    session = db.session()
    trusted.add(audit_seals.public_raw(private_key))
    log_exists = Path(log_path).exists()
    folder = Path(log_path).resolve().parent
    if not os.access(folder, os.W_OK) or (log_exists and not os.access(log_path, os.W_OK)):
        raise audit_seals.SealError(f"cannot append to the seal log {log_path}")
    if say:
        n = session.execute(text("SELECT seq FROM audit_chain_head WHERE id = 1")).scalar() or 0
        say(f"verifying the chain first ({'incremental' if incremental else 'full'}; the head is event {n:,})")
    run = run_verification(hmac_key, incremental=incremental, trusted_keys=trusted,
                                         seal_log=log_path if log_exists else None)
    if not run.ok:
        return run, []
    if say:
        say(f"verified: {run.checked:,} events recomputed, {len(run.seals.seals)} earlier seals compared "
            f"in {run.seconds:.1f}s")
    last = run.seals.seals[-1] if run.seals.seals else None
    audit_seals.check_log_tip(log_path, last)
    new = audit_seals.build_seals(private_key, prev=last, upto_seq=run.to_seq, upto_hash=run.to_hash,
                      max_events=max_events, progress=progress)
    if new:
        audit_seals.append_to_log(log_path, new)
    return run, new
