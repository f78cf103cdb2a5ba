"""Seals: checkpoints of the audit chain signed with the auditor's Ed25519 key.

The database owner can rewrite the hash chain (drop the triggers, edit an event, recompute every later
hash and the head) and the HMAC checkpoints (the application, and so its operator, holds their key).
A seal is signed with a private key that only the auditor holds, outside the database and the
application's configuration; the application holds public keys only. So a rewrite that contradicts
a seal cannot be covered up by re-signing, and a seal cannot be forged.

One seal covers the events after the previous seal up to the verified head:

    payload = canonical JSON {type, v, seal, from_seq, to_seq, to_hash, leaves_sha256, prev, sealed_at, key}

signed as UTF-8 bytes. `leaves` (stored beside the payload, and in the log) are the 32-byte hashes of
events from_seq..to_seq; the payload signs their SHA-256, so a verifier compares every sealed event
with the chain and names the first one that differs. `prev` is the SHA-256 of the previous seal's
payload (zeros for the first): the seals form a chain of their own, and a removed seal breaks it.

Each seal is also appended, one JSON line, to a seal log file the auditor keeps and hands to third
parties (witnesses); `caseflow audit verify --seal-log` compares that copy with the database.

Everything here is ids, sequence numbers, hashes and times: no personal data.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import select, text

from caseflow.audit.models import AuditSeal
from caseflow.core import db
from caseflow.core.db import utcnow

PAYLOAD_TYPE = "caseflow.audit.seal"
PAYLOAD_VERSION = 1
GENESIS_DIGEST = "0" * 64
LEAF = 32  # bytes per event hash
MAX_EVENTS_PER_SEAL = 100_000  # 3.2 MB of leaves per seal row / log line
_BATCH = 20_000


class SealError(Exception):
    """A refusal the CLI shows as it is (exit 1)."""


# --- keys -----------------------------------------------------------------------------------------

def _ed25519():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def fingerprint(public_raw: bytes) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def public_raw(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    pub = key.public_key() if hasattr(key, "public_key") else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def generate_key_file(path: str | os.PathLike, passphrase: bytes | None = None) -> bytes:
    """Write a new Ed25519 private key (PEM, PKCS8, encrypted when a passphrase is given) to a new
    file of mode 0600; refuse an existing file. Returns the raw public key."""
    from cryptography.hazmat.primitives import serialization

    key = _ed25519().Ed25519PrivateKey.generate()
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SealError(f"{path} already exists; a key file is never overwritten") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    return public_raw(key)


def load_private_key(path: str | os.PathLike, passphrase: bytes | None = None):
    from cryptography.hazmat.primitives import serialization

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SealError(f"cannot read the private key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=passphrase or None)
    except TypeError:
        raise SealError(f"the private key {path} is encrypted: give its passphrase with --passphrase-env VAR"
                        if not passphrase else f"the private key {path} is not encrypted: omit --passphrase-env") \
            from None
    except ValueError:
        raise SealError(f"cannot load the private key {path} (wrong passphrase, or not a PEM private key)") from None
    if not isinstance(key, _ed25519().Ed25519PrivateKey):
        raise SealError(f"{path} is not an Ed25519 private key")
    return key


def key_file_too_open(path: str | os.PathLike) -> bool:
    return bool(os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def parse_public_key(value: str) -> bytes:
    """A trusted public key: base64 of the raw 32 bytes, or a file holding that (or a PEM public key)."""
    value = value.strip()
    raw = _b64_key(value)
    if raw is not None:
        return raw
    path = Path(value)
    if not path.is_file():
        raise SealError(f"{value[:60]}: not an Ed25519 public key (base64 of 32 bytes, or a file holding one)")
    content = path.read_text("utf-8").strip()
    if content.startswith("-----BEGIN PUBLIC KEY-----"):
        from cryptography.hazmat.primitives import serialization

        try:
            key = serialization.load_pem_public_key(content.encode())
        except ValueError:
            key = None
        if not isinstance(key, _ed25519().Ed25519PublicKey):
            raise SealError(f"{value}: not an Ed25519 public key")
        return public_raw(key)
    raw = _b64_key(content)
    if raw is None:
        raise SealError(f"{value}: holds no Ed25519 public key (base64 of 32 bytes)")
    return raw


def _b64_key(value: str) -> bytes | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


@dataclass
class TrustedKeys:
    """Public keys whose seals are accepted, by fingerprint."""

    keys: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Iterable[str | bytes]) -> TrustedKeys:
        out = cls()
        for v in values:
            out.add(v if isinstance(v, bytes) else parse_public_key(v))
        return out

    def add(self, raw: bytes) -> None:
        self.keys[fingerprint(raw)] = _ed25519().Ed25519PublicKey.from_public_bytes(raw)

    def __bool__(self) -> bool:
        return bool(self.keys)


# --- seals ----------------------------------------------------------------------------------------

def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def _time_text(dt: datetime) -> str:
    from datetime import timezone

    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Seal:
    seal_no: int
    from_seq: int
    to_seq: int
    to_hash: str
    leaves_sha256: str
    prev: str
    sealed_at: str
    key: str
    payload: str
    signature: str
    source: str = "database"  # or "log line N"
    leaves: bytes | None = None

    @classmethod
    def parse(cls, payload: str, signature: str, *, source: str = "database", leaves: bytes | None = None) -> Seal:
        """Read a signed payload; ValueError when it is not one."""
        try:
            p = json.loads(payload)
        except (TypeError, ValueError):
            raise ValueError("its payload is not JSON") from None
        if not isinstance(p, dict) or p.get("type") != PAYLOAD_TYPE or p.get("v") != PAYLOAD_VERSION:
            raise ValueError("its payload is not a caseflow audit seal (v1)")
        try:
            seal = cls(seal_no=int(p["seal"]), from_seq=int(p["from_seq"]), to_seq=int(p["to_seq"]),
                       to_hash=str(p["to_hash"]), leaves_sha256=str(p["leaves_sha256"]), prev=str(p["prev"]),
                       sealed_at=str(p["sealed_at"]), key=str(p["key"]), payload=payload, signature=signature,
                       source=source, leaves=leaves)
        except (KeyError, TypeError, ValueError):
            raise ValueError("its payload lacks a field") from None
        if canonical(p) != payload:
            raise ValueError("its payload is not in canonical form")
        if seal.seal_no < 1 or seal.from_seq < 1 or seal.to_seq < seal.from_seq:
            raise ValueError("its payload has an impossible range")
        return seal

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.payload.encode("utf-8")).hexdigest()

    @property
    def count(self) -> int:
        return self.to_seq - self.from_seq + 1

    def leaf(self, seq: int) -> str:
        i = (seq - self.from_seq) * LEAF
        return self.leaves[i:i + LEAF].hex()

    def name(self) -> str:
        return f"sealed checkpoint #{self.seal_no} (sealed {self.sealed_at} by key {self.key})"

    def log_line(self) -> str:
        # Payload first, the long leaves last, for a human reading the file.
        return json.dumps({"seal": self.seal_no, "payload": self.payload, "signature": self.signature,
                           "leaves": base64.b64encode(self.leaves or b"").decode("ascii")},
                          separators=(",", ":")) + "\n"


def make_seal(private_key, *, seal_no: int, from_seq: int, leaves: bytes, prev: str, sealed_at: datetime) -> Seal:
    to_seq = from_seq + len(leaves) // LEAF - 1
    payload = canonical({
        "type": PAYLOAD_TYPE, "v": PAYLOAD_VERSION, "seal": seal_no, "from_seq": from_seq, "to_seq": to_seq,
        "to_hash": leaves[-LEAF:].hex(), "leaves_sha256": hashlib.sha256(leaves).hexdigest(), "prev": prev,
        "sealed_at": _time_text(sealed_at), "key": fingerprint(public_raw(private_key)),
    })
    signature = base64.b64encode(private_key.sign(payload.encode("utf-8"))).decode("ascii")
    return Seal.parse(payload, signature, leaves=leaves)


def signature_problem(seal: Seal, trusted: TrustedKeys) -> str | None:
    """None when a trusted key signed this payload; else what is wrong."""
    from cryptography.exceptions import InvalidSignature

    key = trusted.keys.get(seal.key)
    if key is None:
        return f"seal #{seal.seal_no} (events {seal.from_seq}..{seal.to_seq}) is signed by key {seal.key}, " \
               "which is not a trusted key"
    try:
        key.verify(base64.b64decode(seal.signature, validate=True), seal.payload.encode("utf-8"))
    except (InvalidSignature, binascii.Error, ValueError):
        return f"seal #{seal.seal_no} (events {seal.from_seq}..{seal.to_seq}) has an invalid signature"
    return None


def leaves_problem(seal: Seal) -> str | None:
    if seal.leaves is None:
        return None
    if len(seal.leaves) != seal.count * LEAF or hashlib.sha256(seal.leaves).hexdigest() != seal.leaves_sha256 \
            or seal.leaves[-LEAF:].hex() != seal.to_hash:
        return f"seal #{seal.seal_no} ({seal.source}): its event hashes do not match the digest it signs"
    return None


# --- the database and the log ---------------------------------------------------------------------

_ROW_COLUMNS = (AuditSeal.seal_no, AuditSeal.from_seq, AuditSeal.to_seq, AuditSeal.to_hash, AuditSeal.sealed_at,
                AuditSeal.key_fingerprint, AuditSeal.payload, AuditSeal.signature)


def db_seals() -> tuple[list[Seal], list[str]]:
    """Every seal in the database, in order (without leaves), and the rows that are not valid seals."""
    session = db.session()
    seals, bad = [], []
    for no, f, t, h, at, key, payload, sig in session.execute(select(*_ROW_COLUMNS).order_by(AuditSeal.seal_no)):
        try:
            s = Seal.parse(payload, sig)
        except ValueError as exc:
            bad.append(f"seal row #{no} is not a valid seal: {exc}")
            continue
        if (s.seal_no, s.from_seq, s.to_seq, s.to_hash, s.sealed_at, s.key) != (no, f, t, h, _time_text(at), key):
            bad.append(f"seal row #{no}: its columns differ from the payload it signs")
            continue
        seals.append(s)
    return seals, bad


def load_leaves(seal: Seal) -> Seal:
    session = db.session()
    if seal.leaves is None and seal.source == "database":
        seal.leaves = bytes(session.execute(select(AuditSeal.leaves).where(AuditSeal.seal_no == seal.seal_no))
                            .scalar() or b"")
    return seal


def latest_db_seal() -> AuditSeal | None:
    session = db.session()
    return session.scalars(select(AuditSeal).order_by(AuditSeal.seal_no.desc()).limit(1)).first()


def read_log(path: str | os.PathLike) -> tuple[list[Seal], list[str]]:
    """The seals of a seal log file, and the lines that are not valid seals."""
    seals, bad = [], []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                leaves = base64.b64decode(obj["leaves"], validate=True)
                s = Seal.parse(obj["payload"], obj["signature"], source=f"log line {n}", leaves=leaves)
                if obj.get("seal") != s.seal_no:
                    raise ValueError("its seal number differs from its payload")
            except (ValueError, KeyError, TypeError, binascii.Error) as exc:
                bad.append(f"seal log line {n} is not a valid seal: {exc}")
                continue
            seals.append(s)
    return seals, bad


def append_to_log(path: str | os.PathLike, seals: list[Seal]) -> None:
    """Append one line per seal. The file is only ever opened for appending: never rewritten."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise SealError(f"cannot append to the seal log {path}: {exc.strerror}; nothing was sealed") from None
    try:
        with os.fdopen(fd, "a", encoding="utf-8", closefd=False) as fh:
            for s in seals:
                fh.write(s.log_line())
            fh.flush()
        os.fsync(fd)
    finally:
        os.close(fd)


# --- checking seals and comparing them with the chain ---------------------------------------------

@dataclass
class Finding:
    """Something verification cannot accept; `seq` is the event it names (None: not one event)."""

    seq: int | None
    text: str
    rank: int = 1  # among findings about one event: 0 the chain itself, 1 a seal, 2 an HMAC checkpoint


@dataclass
class SealCheck:
    seals: list[Seal] = field(default_factory=list)  # the database's, in order
    extra: list[Seal] = field(default_factory=list)  # log seals missing from or different in the database
    problems: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signatures_checked: bool = False
    trusted: list[Seal] = field(default_factory=list)  # database seals verified under a trusted key
    log_seals: int | None = None


def _check_chain_of_seals(seals: list[Seal], where: str) -> list[Finding]:
    out, prev = [], None
    for s in seals:
        if prev is None:
            if s.seal_no != 1 or s.prev != GENESIS_DIGEST:
                out.append(Finding(s.from_seq, f"seals #1..#{s.seal_no - 1} are missing from {where}"
                                   if s.seal_no > 1 else f"seal #1 ({where}) does not start the chain of seals"))
        elif s.seal_no != prev.seal_no + 1:
            out.append(Finding(prev.to_seq + 1, f"seal #{prev.seal_no + 1} is missing from {where} "
                                                f"(#{s.seal_no} follows #{prev.seal_no})"))
        elif s.prev != prev.digest or s.from_seq != prev.to_seq + 1:
            out.append(Finding(s.from_seq, f"the chain of seals is broken at seal #{s.seal_no} ({where}): "
                                           f"it does not follow seal #{prev.seal_no}"))
        prev = s
    return out


def check_seals(trusted: TrustedKeys, log_path: str | None, *, with_leaves: bool) -> SealCheck:
    """Signatures, the chain of seals, stored leaves, and the seal log against the database."""
    out = SealCheck()
    out.seals, bad = db_seals()
    out.problems += [Finding(None, b) for b in bad]
    out.signatures_checked = bool(trusted)
    if out.seals and not trusted:
        out.warnings.append(f"{len(out.seals)} seal(s) were compared with the chain but their signatures were NOT "
                            "checked: no trusted public key (pass --public-key or set CASEFLOW_AUDIT_PUBLIC_KEYS)")
    out.problems += _check_chain_of_seals(out.seals, "the database")
    for s in out.seals:
        problem = signature_problem(s, trusted) if trusted else None
        if with_leaves:
            problem = problem or leaves_problem(load_leaves(s))
        if problem:
            out.problems.append(Finding(s.from_seq, problem))
        elif trusted:
            out.trusted.append(s)
    if log_path is not None:
        _check_log(out, log_path, trusted)
    return out


def _check_log(out: SealCheck, log_path: str, trusted: TrustedKeys) -> None:
    log, bad = read_log(log_path)
    out.log_seals = len(log)
    out.problems += [Finding(None, b) for b in bad]
    out.problems += _check_chain_of_seals(log, "the seal log")
    in_db = {s.seal_no: s for s in out.seals}
    for s in log:
        problem = (signature_problem(s, trusted) if trusted else None) or leaves_problem(s)
        if problem:
            out.problems.append(Finding(s.from_seq, problem))
        mine = in_db.get(s.seal_no)
        if mine is None:
            out.problems.append(Finding(s.from_seq, f"seal #{s.seal_no} (events {s.from_seq}..{s.to_seq}, sealed "
                                                    f"{s.sealed_at}) of the seal log is missing from the database"))
        elif (mine.payload, mine.signature) != (s.payload, s.signature):
            out.problems.append(Finding(s.from_seq, f"seal #{s.seal_no} differs between the seal log and the "
                                                    "database"))
        else:
            continue
        if not problem:
            out.extra.append(s)  # the auditor's copy still tells what the chain must hold
    if log and out.seals and out.seals[-1].seal_no > log[-1].seal_no:
        out.notes.append(f"the seal log ends at seal #{log[-1].seal_no}; the database also has "
                         f"#{log[-1].seal_no + 1}..#{out.seals[-1].seal_no} (not in this copy of the log)")


def compare_with_chain(seals: list[Seal], *, first_present: int | None, full: bool) -> list[Finding]:
    """The first stored event hash that differs from a seal's, and the first sealed event missing.

    Full: every sealed event. Incremental: each seal's last event, which a rewrite of any earlier
    event changes too (every later hash covers it); only when one differs are the leaves compared,
    to name the first event that does. Events before `first_present` were archived (the chain walk
    answers for that boundary) and are not compared.
    """
    seals = [s for s in seals if s.to_seq >= (first_present or 1)]
    if not seals:
        return []
    if not full and _boundaries_agree(seals):
        return []
    first_bad = first_missing = None
    altered, where, found = 0, [], []
    for s in seals:
        problem = leaves_problem(load_leaves(s))
        if problem:
            found.append(Finding(s.from_seq, problem))  # its leaves say nothing reliable
            continue
        expected = max(s.from_seq, first_present or 1)
        bad_here = 0
        for seq, h in _stored_hashes(expected, s.to_seq):
            if seq != expected:
                missing_from = expected
                if first_missing is None or missing_from < first_missing[0]:
                    first_missing = (missing_from, s, seq)
                expected = seq
            if h != s.leaf(seq):
                bad_here += 1
                if first_bad is None or seq < first_bad[0]:
                    first_bad = (seq, s)
            expected += 1
        if expected <= s.to_seq and (first_missing is None or expected < first_missing[0]):
            first_missing = (expected, s, None)
        if bad_here:
            altered += bad_here
            where.append(s.seal_no)
    if first_bad:
        seq, s = first_bad
        more = f"; {altered - 1} later sealed events differ too (seals #{', #'.join(map(str, where))})" \
            if altered > 1 else ""
        found.append(Finding(seq, f"event {seq} contradicts {s.name()}: its hash is not the sealed one{more}"))
    if first_missing:
        seq, s, nxt = first_missing
        tail = "the chain now ends before it" if nxt is None else f"the next present event is {nxt}"
        found.append(Finding(seq, f"sealed event {seq} is missing: {s.name()} covers events "
                                  f"{s.from_seq}..{s.to_seq}; {tail}"))
    return found


def _boundaries_agree(seals: list[Seal]) -> bool:
    session = db.session()
    want = {s.to_seq: s.to_hash for s in seals}
    seqs = sorted(want)
    got = {}
    for i in range(0, len(seqs), 500):
        chunk = seqs[i:i + 500]
        got.update(session.execute(text("SELECT seq, hash FROM audit_events WHERE seq IN "
                                        f"({', '.join(str(int(q)) for q in chunk)})")).all())
    return all(got.get(q) == h for q, h in want.items())


def _stored_hashes(lo: int, hi: int):
    session = db.session()
    last = lo - 1
    while True:
        rows = session.execute(text("SELECT seq, hash FROM audit_events WHERE seq > :a AND seq <= :b "
                                    "ORDER BY seq LIMIT :n"), {"a": last, "b": hi, "n": _BATCH}).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


# --- sealing --------------------------------------------------------------------------------------

def check_log_tip(log_path: str, last: Seal | None) -> None:
    """The log must end with the database's latest seal; else seals were removed or forged."""
    log, bad = read_log(log_path) if Path(log_path).exists() else ([], [])
    if bad:
        raise SealError(f"the seal log {log_path} is damaged: {bad[0]}")
    tip = log[-1] if log else None
    if last is None and tip is None:
        return
    if tip is None:
        raise SealError(f"the seal log {log_path} holds no seals but the database holds #1..#{last.seal_no}: "
                        "append to the log that holds them")
    if last is None:
        raise SealError(f"the seal log {log_path} holds seals #1..#{tip.seal_no} but the database holds none: "
                        "seals were removed from the database")
    if (tip.seal_no, tip.payload, tip.signature) != (last.seal_no, last.payload, last.signature):
        raise SealError(f"the seal log {log_path} ends at seal #{tip.seal_no} but the database's latest seal is "
                        f"#{last.seal_no}" + ("" if tip.seal_no != last.seal_no else " (they differ)")
                        + ": seals were removed or forged, or this is not the log of this database")


def build_seals(private_key, *, prev: Seal | None, upto_seq: int, upto_hash: str,
                max_events: int = MAX_EVENTS_PER_SEAL,
                progress: Callable[[int, int], None] | None = None) -> list[Seal]:
    """Seal events after `prev` up to `upto_seq` (verified, with hash `upto_hash`); add them to the session."""
    session = db.session()
    first_present = session.execute(text("SELECT min(seq) FROM audit_events")).scalar()
    start = prev.to_seq + 1 if prev else max(1, first_present or 1)
    if start > upto_seq:
        return []
    if first_present and first_present > start:
        raise SealError(f"events {start}..{first_present - 1} were archived before they were sealed")
    total, done = upto_seq - start + 1, 0
    seals: list[Seal] = []
    chunk, chunk_from = bytearray(), start
    no, prev_digest = (prev.seal_no + 1, prev.digest) if prev else (1, GENESIS_DIGEST)
    sealed_at = utcnow()
    expected = start

    def close():
        nonlocal chunk, chunk_from, no, prev_digest
        s = make_seal(private_key, seal_no=no, from_seq=chunk_from, leaves=bytes(chunk), prev=prev_digest,
                      sealed_at=sealed_at)
        seals.append(s)
        no, prev_digest, chunk_from, chunk = no + 1, s.digest, s.to_seq + 1, bytearray()

    for seq, h in _stored_hashes(start, upto_seq):
        if seq != expected:
            raise SealError(f"event {expected} is missing; nothing was sealed")
        chunk += bytes.fromhex(h)
        expected += 1
        done += 1
        if len(chunk) == max_events * LEAF:
            close()
        if progress and (done % _BATCH == 0 or done == total):
            progress(done, total)
    if expected != upto_seq + 1:
        raise SealError(f"event {expected} is missing; nothing was sealed")
    if chunk:
        close()
    if seals[-1].to_hash != upto_hash:
        raise SealError(f"event {upto_seq} changed while it was being sealed; nothing was sealed")
    for s in seals:
        session.add(AuditSeal(seal_no=s.seal_no, from_seq=s.from_seq, to_seq=s.to_seq, to_hash=s.to_hash,
                              sealed_at=sealed_at, key_fingerprint=s.key, payload=s.payload, signature=s.signature,
                              leaves=s.leaves))
    session.flush()  # a concurrent seal with the same number fails here, before the log is touched
    return seals


def latest_seal_status(trusted: TrustedKeys, head_seq: int) -> dict | None:
    """The latest seal for the status page: numbers, time and key only."""
    row = latest_db_seal()
    if row is None:
        return None
    status = {"seal_no": row.seal_no, "from_seq": row.from_seq, "to_seq": row.to_seq, "sealed_at": row.sealed_at,
              "key_fingerprint": row.key_fingerprint, "unsealed_events": max(0, head_seq - row.to_seq),
              "signature_valid": None}
    if trusted:
        try:
            seal = Seal.parse(row.payload, row.signature)
            status["signature_valid"] = signature_problem(seal, trusted) is None and seal.to_seq == row.to_seq
        except ValueError:
            status["signature_valid"] = False
    return status
