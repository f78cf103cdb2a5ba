"""Crash safety (issue 11): SIGKILL the server in the middle of a write load; every write that was acknowledged
with a 2xx is there after the restart, nothing is half-written, and the audit chain verifies.

The server runs in its own process on 127.0.0.1 against the test database (a SQLite file, or PostgreSQL when
CASEFLOW_TEST_DATABASE_URL is set), alternately as `gunicorn caseflow.wsgi:app` and as `caseflow run`. Writer
threads, each with its own session, open cases and record support as fast as the server answers; after a short
random time the whole process group gets SIGKILL (no shutdown, no flush), the server is started again, and the
writers carry on. CASEFLOW_CRASH_KILLS sets the number of kills (docs/reliability.md has the long run).
"""
from __future__ import annotations

import os
import random
import threading
import time
import uuid

import requests
from sqlalchemy import func, select

from support import Http, ServerProcess, audit_verify, open_case

KILLS = int(os.environ.get("CASEFLOW_CRASH_KILLS", "3"))
WRITERS = 4
LOAD_SECONDS = (0.8, 1.6)  # how long each server lives under load before the kill (random in this range)
SEED = int(os.environ.get("CASEFLOW_CRASH_SEED", "11"))


class Writer(threading.Thread):
    """Writes until told to stop; remembers exactly what the server acknowledged (2xx) and what it refused."""

    def __init__(self, base: str, email: str, case_id: str, n: int, acknowledged: list, lock: threading.Lock):
        super().__init__(daemon=True)
        self.http = Http(base, email)
        self.case_id, self.n = case_id, n
        self.acknowledged, self.lock = acknowledged, lock
        self.stop = threading.Event()
        self.sent = self.failed = 0
        self.server_errors: list[str] = []

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            tag = f"w{self.n}-{uuid.uuid4().hex[:8]}"
            try:
                if i % 2:
                    r = self.http.post("/api/v1/cases", {"intake_channel": "chat", "anonymous_label": tag,
                                                         "summary": f"耐障害テスト {tag}"}, timeout=10)
                    kind = "case"
                else:
                    r = self.http.post(f"/api/v1/cases/{self.case_id}/progress",
                                       {"kind": "phone", "occurred_on": "2026-04-10", "body": f"電話連絡 {tag}"},
                                       timeout=10)
                    kind = "progress"
            except requests.RequestException:
                self.failed += 1  # the server died under this request: not acknowledged, may or may not exist
                time.sleep(0.02)
                continue
            self.sent += 1
            if 200 <= r.status_code < 300:
                with self.lock:
                    self.acknowledged.append((kind, r.json()["id"], tag))
            elif r.status_code >= 500:
                self.server_errors.append(f"{r.status_code} {r.text[:200]}")


def _run_under_load(server: ServerProcess, emails, case_id, acknowledged, lock, seconds: float, kill: bool):
    base = server.start()
    writers = [Writer(base, e, case_id, n, acknowledged, lock) for n, e in enumerate(emails)]
    before = len(acknowledged)
    for w in writers:
        w.start()
    time.sleep(seconds)
    if kill:
        server.kill()  # mid-way: the writers are in the middle of requests
    for w in writers:
        w.stop.set()
    for w in writers:
        w.join(timeout=30)
    if not kill:
        server.stop()
    errors = [e for w in writers for e in w.server_errors]
    assert errors == [], errors
    return len(acknowledged) - before, sum(w.failed for w in writers)


def test_acknowledged_writes_survive_sigkill(basic, db_url, app, tmp_path):
    rng = random.Random(SEED)
    emails = [f"writer{i}@example.jp" for i in range(WRITERS)]
    for e in emails:
        basic.user(e, "kmk-chiiki", "coordinator")
    base_case = open_case(basic.client("coord@example.jp"))
    acknowledged: list = []
    lock = threading.Lock()
    kills, interrupted, per_life = 0, 0, []
    for life in range(KILLS + 1):
        kind = "gunicorn" if life % 2 == 0 else "caseflow-run"
        server = ServerProcess(db_url, kind=kind, log_path=tmp_path / f"server-{life}.log")
        try:
            acked, failed = _run_under_load(server, emails, base_case["id"], acknowledged, lock,
                                            rng.uniform(*LOAD_SECONDS), kill=life < KILLS)
        finally:
            server.stop()
        kills += life < KILLS
        interrupted += failed
        per_life.append((kind, acked))
        assert acked > 0, f"no write acknowledged while {kind} was up ({per_life})"

    # After the last restart: everything acknowledged is there, exactly once.
    server = ServerProcess(db_url, log_path=tmp_path / "server-final.log")
    try:
        base = server.start()
        reader = Http(base, "coord@example.jp")
        progress = {p["id"]: p["body"] for p in reader.get(f"/api/v1/cases/{base_case['id']}/progress").json()}
        for kind, rid, tag in acknowledged:
            if kind == "case":
                r = reader.get(f"/api/v1/cases/{rid}")
                assert r.status_code == 200, (rid, r.status_code)
                assert r.json()["anonymous_label"] == tag
            else:
                assert progress.get(rid) == f"電話連絡 {tag}", (rid, tag)
    finally:
        server.stop()

    # Nothing half-written: every case (acknowledged or not) has its first stage and its audit event, written in
    # the same transaction; the acknowledged ones are each stored once.
    from caseflow.audit.models import AuditEvent
    from caseflow.cases.models import Case, CaseStageChange, ProgressRecord
    from caseflow.core import db

    with app.app_context():
        s = db.session()
        case_ids = set(s.scalars(select(Case.id)))
        with_stage = set(s.scalars(select(CaseStageChange.case_id).where(CaseStageChange.from_stage.is_(None))))
        audited = set(s.scalars(select(AuditEvent.resource_id).where(AuditEvent.action == "cases.create")))
        assert case_ids == with_stage
        assert {str(c) for c in case_ids} == audited
        labels = s.scalars(select(Case.anonymous_label).where(Case.anonymous_label.is_not(None))).all()
        acked_cases = [t for k, _, t in acknowledged if k == "case"]
        assert all(labels.count(t) == 1 for t in acked_cases)
        n_progress = s.scalar(select(func.count()).select_from(ProgressRecord))
        assert n_progress >= sum(1 for k, _, _ in acknowledged if k == "progress")
    audit_verify(db_url)
    assert kills == KILLS
    print(f"crash safety: {kills} kills survived, {len(acknowledged)} acknowledged writes all present, "
          f"{interrupted} requests cut off by the kills, per server life {per_life}")
