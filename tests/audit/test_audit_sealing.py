"""Seals: the audit trail cannot be rewritten by whoever owns the database (docs/audit-sealing.md).

The attacker here is the database owner: they lift the append-only triggers, edit or delete events,
recompute every later hash, prev_hash and the chain head with caseflow's own `event_hash` (a perfect
forgery: the plain chain walk accepts it), and may delete checkpoint and seal rows too. They do not
hold the auditor's private key, and they cannot change the seal log the auditor keeps.
"""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from caseflow.access import trail
from caseflow.audit.models import AuditEvent
from caseflow.cli import main

PASSPHRASE_ENV = "CASEFLOW_TEST_SEAL_PASSPHRASE"
_OWNER_TRIGGERS = ("audit_events_no_update", "audit_events_no_delete", "audit_subjects_no_delete",
                   "audit_verifications_no_delete", "audit_seals_no_delete", "audit_seals_no_update")


# --- helpers ----------------------------------------------------------------------------------------

def cli(db_url, *args, **env):
    result = CliRunner().invoke(main, [str(a) for a in args], env={"CASEFLOW_DATABASE_URL": db_url, **env})
    return result.exit_code, result.output


def add_events(app, n):
    """n events written the way the application writes them."""
    from caseflow.core import db

    with app.app_context():
        s = db.session()
        for i in range(n):
            trail.record(s, action="tests.read", resource_type="tests", resource_id=i, detail={"i": i})
        s.commit()
    return head(app)


def head(app) -> int:
    eng = create_engine(app.config["DATABASE_URL"])
    with eng.connect() as conn:
        n = conn.execute(text("SELECT seq FROM audit_chain_head")).scalar()
    eng.dispose()
    return n


@pytest.fixture
def keys(tmp_path, db_url):
    """Two auditors' keys: (path, public key) each; the first encrypted with a passphrase."""
    out = []
    for name, env in (("auditor.pem", {PASSPHRASE_ENV: "correct horse battery"}), ("other.pem", {})):
        path = tmp_path / name
        args = ["audit", "keygen", "--private-key", path] + (["--passphrase-env", PASSPHRASE_ENV] if env else [])
        code, out_text = cli(db_url, *args, **env)
        assert code == 0, out_text
        public = next(line.split()[-1] for line in out_text.splitlines() if line.startswith("public key:"))
        out.append((path, public))
    return out


def seal(db_url, key, log, *extra):
    path, _ = key
    args = ["audit", "seal", "--private-key", path, "--log", log, *extra]
    if path.name == "auditor.pem":
        args += ["--passphrase-env", PASSPHRASE_ENV]
    return cli(db_url, *args, **{PASSPHRASE_ENV: "correct horse battery"})


def as_owner(db_url, fn):
    """Run fn(connection) as the database owner with the append-only triggers lifted."""
    eng = create_engine(db_url)
    with eng.begin() as conn:
        if eng.dialect.name == "sqlite":
            for trig in _OWNER_TRIGGERS:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trig}"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        fn(conn)
    eng.dispose()


def rehash_from(conn, k):
    """Recompute prev_hash and hash of every event from k on, and the chain head, with caseflow's own hash."""
    s = Session(bind=conn)
    prev = s.get(AuditEvent, k - 1).hash if k > 1 else trail.GENESIS_HASH
    last = conn.execute(text("SELECT seq FROM audit_chain_head")).scalar()
    for ev in s.query(AuditEvent).filter(AuditEvent.seq >= k).order_by(AuditEvent.seq):
        h = trail.event_hash(ev, prev)
        conn.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s"),
                     {"p": prev, "h": h, "s": ev.seq})
        prev, last = h, ev.seq
    conn.execute(text("UPDATE audit_chain_head SET seq = :n, last_hash = :h WHERE id = 1"), {"n": last, "h": prev})
    s.close()


def forge_edit(db_url, k, *, drop_checkpoints=True):
    """Edit event k and rehash everything after it; optionally delete every HMAC checkpoint too."""
    def go(conn):
        conn.execute(text("UPDATE audit_events SET action = 'tests.nothing_to_see' WHERE seq = :k"), {"k": k})
        rehash_from(conn, k)
        if drop_checkpoints:
            conn.execute(text("DELETE FROM audit_verifications"))
    as_owner(db_url, go)


def forge_truncate(db_url, keep, *, drop_checkpoints=True):
    """Delete every event after `keep` and point the chain head at the new last event."""
    def go(conn):
        conn.execute(text("DELETE FROM audit_subjects WHERE event_seq > :k"), {"k": keep})
        conn.execute(text("DELETE FROM audit_reviews WHERE event_seq > :k"), {"k": keep})
        conn.execute(text("DELETE FROM audit_events WHERE seq > :k"), {"k": keep})
        h = conn.execute(text("SELECT hash FROM audit_events WHERE seq = :k"), {"k": keep}).scalar()
        conn.execute(text("UPDATE audit_chain_head SET seq = :k, last_hash = :h WHERE id = 1"), {"k": keep, "h": h})
        if drop_checkpoints:
            conn.execute(text("DELETE FROM audit_verifications"))
    as_owner(db_url, go)


def plain_walk_accepts(app) -> bool:
    """The forgery is perfect: the hash chain alone (no checkpoints, no seals) finds nothing."""
    from caseflow.core import db

    with app.app_context():
        ok = trail.verify(db.session()).ok
        db.engine().dispose()
    return ok


def ok_checkpoints(db_url) -> int:
    eng = create_engine(db_url)
    with eng.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM audit_verifications WHERE ok = :t"), {"t": True}).scalar()
    eng.dispose()
    return n


def scalar(db_url, sql):
    eng = create_engine(db_url)
    with eng.connect() as conn:
        v = conn.execute(text(sql)).scalar()
    eng.dispose()
    return v


# --- rewriting the sealed trail -----------------------------------------------------------------------

@pytest.mark.parametrize("mode", [[], ["--full"], ["--incremental"]])
@pytest.mark.parametrize("trusted", [True, False])
def test_a_rewritten_and_rehashed_event_is_named(app, db_url, keys, tmp_path, mode, trusted):
    add_events(app, 12)
    log = tmp_path / "seals.jsonl"
    code, out = seal(db_url, keys[0], log)
    assert code == 0, out
    add_events(app, 3)  # after the seal: protected by the chain only
    forge_edit(db_url, 5)
    assert plain_walk_accepts(app)
    before = ok_checkpoints(db_url)
    args = ["audit", "verify", *mode] + (["--public-key", keys[0][1]] if trusted else [])
    code, out = cli(db_url, *args)
    assert code == 1, out
    assert "audit chain BROKEN at event 5: event 5 contradicts sealed checkpoint #1 (sealed " in out
    assert f"by key {_fingerprint(keys[0][1])}" in out
    assert ok_checkpoints(db_url) == before  # no checkpoint over the forged state
    if not trusted:
        assert "1 seal(s) were compared with the chain but their signatures were NOT checked" in out


def test_a_truncated_tail_is_named(app, db_url, keys, tmp_path):
    last = add_events(app, 10)
    log = tmp_path / "seals.jsonl"
    assert seal(db_url, keys[0], log)[0] == 0
    forge_truncate(db_url, last - 3)
    assert plain_walk_accepts(app)
    for mode in ("--full", "--incremental"):
        code, out = cli(db_url, "audit", "verify", mode, "--public-key", keys[0][1])
        assert code == 1, out
        assert f"audit chain BROKEN at event {last - 2}: sealed event {last - 2} is missing" in out
    # Growing the chain again over the cut does not hide it either: the new events carry other hashes.
    add_events(app, 5)
    code, out = cli(db_url, "audit", "verify", "--public-key", keys[0][1])
    assert code == 1 and f"event {last - 2} contradicts sealed checkpoint #1" in out


def test_several_seals_name_the_seal_and_the_event(app, db_url, keys, tmp_path):
    add_events(app, 10)
    log = tmp_path / "seals.jsonl"
    code, out = seal(db_url, keys[0], log, "--max-events", 4)
    assert code == 0, out
    n = head(app)
    assert f"sealed {n} events in {-(-n // 4)} seal(s)" in out and "sealing:" in out
    add_events(app, 2)
    code, out = seal(db_url, keys[0], log)
    assert code == 0 and f"seal #{-(-n // 4) + 1}: events {n + 1}..{n + 2} (2 events)" in out
    forge_edit(db_url, 6)
    code, out = cli(db_url, "audit", "verify", "--incremental", "--public-key", keys[0][1], "--seal-log", log)
    assert code == 1 and "event 6 contradicts sealed checkpoint #2" in out


def test_checkpoints_alone_refuse_a_rehashed_chain(app, db_url):
    """Without any seal, an earlier verification's checkpoint still contradicts a rewrite."""
    add_events(app, 8)
    code, out = cli(db_url, "audit", "verify")
    assert code == 0 and "checkpoint" in out
    forge_edit(db_url, 3, drop_checkpoints=False)
    assert plain_walk_accepts(app)
    for mode in ("--full", "--incremental"):
        code, out = cli(db_url, "audit", "verify", mode)
        assert code == 1, out
        assert "contradicts checkpoint #1" in out and "rewritten at or before event" in out
    assert ok_checkpoints(db_url) == 1  # the failed runs are stored, never as checkpoints
    # A truncation too.
    forge_truncate(db_url, 4, drop_checkpoints=False)
    code, out = cli(db_url, "audit", "verify", "--incremental")
    assert code == 1 and "event 5 is missing: checkpoint #1" in out


# --- the database keeps checkpoints and seals ---------------------------------------------------------

def test_the_database_refuses_to_change_checkpoints_and_seals(app, db_url, keys, tmp_path):
    add_events(app, 3)
    assert seal(db_url, keys[0], tmp_path / "seals.jsonl")[0] == 0
    eng = create_engine(db_url)
    for stmt in ("UPDATE audit_verifications SET ok = false", "DELETE FROM audit_verifications",
                 "UPDATE audit_seals SET to_seq = 1", "DELETE FROM audit_seals"):
        with pytest.raises(Exception, match="append-only"):
            with eng.begin() as conn:
                conn.execute(text(stmt))
    eng.dispose()


def test_sealing_refuses_a_broken_chain(app, db_url, keys, tmp_path):
    add_events(app, 5)
    log = tmp_path / "seals.jsonl"
    as_owner(db_url, lambda c: c.execute(text("UPDATE audit_events SET outcome = 'denied' WHERE seq = 2")))
    code, out = seal(db_url, keys[0], log)
    assert code == 1 and "event 2 was altered" in out and "nothing was sealed" in out
    assert not log.exists() and scalar(db_url, "SELECT count(*) FROM audit_seals") == 0


def test_sealing_refuses_when_earlier_seals_do_not_verify(app, db_url, keys, tmp_path):
    add_events(app, 5)
    log = tmp_path / "seals.jsonl"
    assert seal(db_url, keys[1], log)[0] == 0  # sealed by the other key
    add_events(app, 2)
    code, out = seal(db_url, keys[0], log)  # the auditor's key does not trust it
    assert code == 1 and "signed by key" in out and "not a trusted key" in out
    code, out = seal(db_url, keys[0], log, "--public-key", keys[1][1])  # after a rotation: both trusted
    assert code == 0, out
    assert f"key {_fingerprint(keys[0][1])}" in out


# --- signatures and keys ------------------------------------------------------------------------------

def test_a_seal_by_another_key_is_rejected(app, db_url, keys, tmp_path):
    add_events(app, 5)
    assert seal(db_url, keys[1], tmp_path / "seals.jsonl")[0] == 0
    code, out = cli(db_url, "audit", "verify", "--public-key", keys[0][1])
    assert code == 1 and f"signed by key {_fingerprint(keys[1][1])}, which is not a trusted key" in out
    code, out = cli(db_url, "audit", "verify", CASEFLOW_AUDIT_PUBLIC_KEYS=keys[0][1])  # from the configuration
    assert code == 1 and "not a trusted key" in out
    code, out = cli(db_url, "audit", "verify", "--public-key", keys[1][1])
    assert code == 0 and "signatures checked with 1 trusted key" in out


def test_a_forged_seal_row_is_rejected(app, db_url, keys, tmp_path):
    """The owner rewrites a seal row to fit a rewritten chain: the signature no longer matches."""
    add_events(app, 6)
    assert seal(db_url, keys[0], tmp_path / "seals.jsonl")[0] == 0
    forge_edit(db_url, 2)
    payload = json.loads(scalar(db_url, "SELECT payload FROM audit_seals WHERE seal_no = 1"))
    new_hash = scalar(db_url, f"SELECT hash FROM audit_events WHERE seq = {payload['to_seq']}")
    payload["to_hash"] = new_hash
    forged = json.dumps(payload, sort_keys=True, separators=(",", ":"))

    def go(conn):
        conn.execute(text("UPDATE audit_seals SET payload = :p, to_hash = :h WHERE seal_no = 1"),
                     {"p": forged, "h": new_hash})
    as_owner(db_url, go)
    code, out = cli(db_url, "audit", "verify", "--incremental", "--public-key", keys[0][1])
    assert code == 1 and "seal #1 (events 1.." in out and "invalid signature" in out


def test_a_seal_removed_from_the_database_is_found_in_the_log(app, db_url, keys, tmp_path):
    add_events(app, 4)
    log = tmp_path / "seals.jsonl"
    assert seal(db_url, keys[0], log)[0] == 0
    first_end = head(app)
    add_events(app, 4)
    assert seal(db_url, keys[0], log)[0] == 0
    # The owner rewrites an event of seal #2 and deletes seal #2 (and the checkpoints).
    forge_edit(db_url, first_end + 2)
    as_owner(db_url, lambda c: c.execute(text("DELETE FROM audit_seals WHERE seal_no = 2")))
    code, out = cli(db_url, "audit", "verify", "--public-key", keys[0][1])
    assert code == 0, out  # without the log the newest seals' removal cannot be seen (docs: limits)
    code, out = cli(db_url, "audit", "verify", "--public-key", keys[0][1], "--seal-log", log)
    assert code == 1
    assert "seal #2 (events" in out and "of the seal log is missing from the database" in out
    assert f"event {first_end + 2} contradicts sealed checkpoint #2" in out  # named from the log's copy
    code, out = seal(db_url, keys[0], log)
    assert code == 1 and "nothing was sealed" in out


def test_a_seal_removed_from_the_middle_breaks_the_chain_of_seals(app, db_url, keys, tmp_path):
    log = tmp_path / "seals.jsonl"
    for _ in range(3):
        add_events(app, 2)
        assert seal(db_url, keys[0], log)[0] == 0
    as_owner(db_url, lambda c: c.execute(text("DELETE FROM audit_seals WHERE seal_no = 2")))
    code, out = cli(db_url, "audit", "verify", "--incremental")
    assert code == 1 and "seal #2 is missing from the database (#3 follows #1)" in out


def test_the_log_must_end_with_the_databases_latest_seal(app, db_url, keys, tmp_path):
    add_events(app, 3)
    log = tmp_path / "seals.jsonl"
    assert seal(db_url, keys[0], log)[0] == 0
    add_events(app, 2)
    code, out = seal(db_url, keys[0], tmp_path / "another.jsonl")
    assert code == 1 and "holds no seals but the database holds #1..#1" in out
    assert not (tmp_path / "another.jsonl").exists()


def test_the_log_is_appended_never_rewritten(app, db_url, keys, tmp_path):
    add_events(app, 3)
    log = tmp_path / "seals.jsonl"
    assert seal(db_url, keys[0], log)[0] == 0
    first, inode = log.read_bytes(), log.stat().st_ino
    code, out = seal(db_url, keys[0], log)
    assert code == 0 and "nothing to seal" in out and log.read_bytes() == first
    add_events(app, 3)
    assert seal(db_url, keys[0], log)[0] == 0
    data = log.read_bytes()
    assert data.startswith(first) and log.stat().st_ino == inode
    lines = data.decode().splitlines()
    assert [json.loads(line)["seal"] for line in lines] == list(range(1, len(lines) + 1))
    line = json.loads(lines[-1])
    payload = json.loads(line["payload"])
    leaves = base64.b64decode(line["leaves"])
    assert len(leaves) == 32 * (payload["to_seq"] - payload["from_seq"] + 1)
    assert leaves[-32:].hex() == payload["to_hash"]
    code, out = cli(db_url, "audit", "verify", "--public-key", keys[0][1], "--seal-log", log)
    assert code == 0 and f"seal log: {len(lines)} seals, each in the database unchanged" in out


def test_keygen_writes_a_private_file_once(db_url, keys, tmp_path):
    path, public = keys[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert b"PRIVATE KEY" in keys[1][0].read_bytes() and b"ENCRYPTED" not in keys[1][0].read_bytes()
    before = path.read_bytes()
    code, out = cli(db_url, "audit", "keygen", "--private-key", path)
    assert code != 0 and "never overwritten" in out
    assert path.read_bytes() == before
    assert len(base64.b64decode(public)) == 32
    # The encrypted key needs its passphrase; a wrong one is refused.
    code, out = cli(db_url, "audit", "seal", "--private-key", path, "--log", tmp_path / "l.jsonl")
    assert code == 1 and "encrypted" in out
    code, out = cli(db_url, "audit", "seal", "--private-key", path, "--log", tmp_path / "l.jsonl",
                    "--passphrase-env", PASSPHRASE_ENV, **{PASSPHRASE_ENV: "wrong"})
    assert code == 1 and "wrong passphrase" in out


def test_the_public_key_may_be_given_as_a_file(app, db_url, keys, tmp_path):
    add_events(app, 2)
    assert seal(db_url, keys[0], tmp_path / "seals.jsonl")[0] == 0
    pub = tmp_path / "auditor.pub"
    pub.write_text(keys[0][1] + "\n")
    code, out = cli(db_url, "audit", "verify", "--public-key", pub)
    assert code == 0, out
    code, out = cli(db_url, "audit", "verify", "--public-key", "not-a-key")
    assert code == 1 and "not an Ed25519 public key" in out


# --- archiving still works --------------------------------------------------------------------------

def test_an_archived_range_may_end_inside_a_seal(app, db_url, keys, tmp_path):
    add_events(app, 10)
    assert seal(db_url, keys[0], tmp_path / "seals.jsonl")[0] == 0
    add_events(app, 3)

    def archive(conn):  # docs/audit-retention.md; no checkpoint row ends at 6, the seal's leaves do
        conn.execute(text("DELETE FROM audit_subjects WHERE event_seq <= 6"))
        conn.execute(text("DELETE FROM audit_reviews WHERE event_seq <= 6"))
        conn.execute(text("DELETE FROM audit_events WHERE seq <= 6"))
    as_owner(db_url, archive)
    code, out = cli(db_url, "audit", "verify", "--public-key", keys[0][1])
    assert code == 0 and "events 7.." in out, out
    code, out = cli(db_url, "audit", "verify")  # an unchecked seal is no proof of the boundary
    assert code == 1 and "event 1 is missing" in out


# --- the API ------------------------------------------------------------------------------------------

def test_verification_status_shows_the_latest_seal(app, basic, db_url, keys, tmp_path):
    auditor = basic.client("auditor@example.jp")
    assert auditor.get("/api/v1/audit-events/verification").get_json()["seal"] is None
    assert seal(db_url, keys[0], tmp_path / "seals.jsonl")[0] == 0
    auditor.get("/api/v1/audit-events/verification")  # itself an audit event, after the seal
    status = auditor.get("/api/v1/audit-events/verification").get_json()
    s = status["seal"]
    assert s["seal_no"] == 1 and s["from_seq"] == 1 and s["key_fingerprint"] == _fingerprint(keys[0][1])
    assert s["signature_valid"] is None and s["sealed_at"].endswith("+00:00")
    assert s["unsealed_events"] == status["head_seq"] - s["to_seq"] > 0
    assert set(s) == {"seal_no", "from_seq", "to_seq", "sealed_at", "key_fingerprint", "unsealed_events",
                      "signature_valid"}
    app.config["AUDIT_PUBLIC_KEYS"] = [keys[0][1]]
    assert auditor.get("/api/v1/audit-events/verification").get_json()["seal"]["signature_valid"] is True
    app.config["AUDIT_PUBLIC_KEYS"] = [keys[1][1]]
    assert auditor.get("/api/v1/audit-events/verification").get_json()["seal"]["signature_valid"] is False


def _fingerprint(public_b64: str) -> str:
    import hashlib

    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def test_no_private_key_material_reaches_the_database(app, db_url, keys, tmp_path):
    add_events(app, 2)
    assert seal(db_url, keys[1], tmp_path / "seals.jsonl")[0] == 0
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(keys[1][0].read_bytes(), password=None)
    secret = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                               serialization.NoEncryption())
    eng = create_engine(db_url)
    with eng.connect() as conn:
        rows = conn.execute(text("SELECT payload, signature, leaves FROM audit_seals")).all()
    eng.dispose()
    blob = b"".join(p.encode() + s.encode() + bytes(lv) for p, s, lv in rows)
    assert secret not in blob and base64.b64encode(secret) not in blob and secret.hex().encode() not in blob
    assert os.environ.get("CASEFLOW_AUDIT_PRIVATE_KEY") is None
