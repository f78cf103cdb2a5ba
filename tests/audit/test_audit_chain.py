"""The audit trail: written with the action, hash-chained, append-only, verified by the CLI."""
import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from support import run_audit_verify

ENV_IS_PG = bool(os.environ.get("CASEFLOW_TEST_DATABASE_URL"))


def _make_events(basic):
    admin = basic.client("admin@example.jp")
    for i in range(3):
        assert admin.post("/api/v1/organizations", json={"code": f"org-{i}", "name": f"団体{i}", "kind": "npo"}).status_code == 201


def _raw_sql(db_url, *statements):
    """An operator with database access (and DDL rights to drop the append-only triggers)."""
    eng = create_engine(db_url)
    with eng.begin() as conn:
        if eng.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_subjects_no_delete"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for stmt in statements:
            conn.execute(text(stmt))
    eng.dispose()


def test_intact_chain_verifies(basic, db_url):
    _make_events(basic)
    code, out = run_audit_verify(db_url)
    assert code == 0, out
    assert "intact" in out


def test_edited_event_is_named(basic, db_url):
    _make_events(basic)
    _raw_sql(db_url, "UPDATE audit_events SET action = 'organizations.read' WHERE seq = 3")
    code, out = run_audit_verify(db_url)
    assert code == 1
    assert "event 3" in out and "altered" in out


def test_deleted_event_is_named(basic, db_url):
    _make_events(basic)
    _raw_sql(db_url, "DELETE FROM audit_events WHERE seq = 2")
    code, out = run_audit_verify(db_url)
    assert code == 1 and "event 2 is missing" in out


def test_deleted_last_event_is_named(basic, db_url):
    _make_events(basic)
    eng = create_engine(db_url)
    with eng.connect() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_events")).scalar()
    eng.dispose()
    _raw_sql(db_url, f"DELETE FROM audit_events WHERE seq = {last}")
    code, out = run_audit_verify(db_url)
    assert code == 1 and f"event {last} is missing" in out


def test_inserted_event_is_named(basic, db_url):
    _make_events(basic)
    _raw_sql(db_url,
             "UPDATE audit_events SET seq = seq + 100 WHERE seq >= 3",
             "INSERT INTO audit_events (seq, occurred_at, action, resource_type, outcome, disclosures, detail, flagged, prev_hash, hash) "
             "SELECT 3, occurred_at, 'fake', 'x', 'allowed', '[]', '{}', false, hash, hash FROM audit_events WHERE seq = 2",
             "UPDATE audit_events SET seq = seq - 99 WHERE seq >= 103")
    code, out = run_audit_verify(db_url)
    assert code == 1 and "event 3" in out


def test_the_database_refuses_edits_to_the_trail(basic, db_url):
    _make_events(basic)
    eng = create_engine(db_url)
    with pytest.raises(Exception, match="append-only"):
        with eng.begin() as conn:
            conn.execute(text("UPDATE audit_events SET action = 'x' WHERE seq = 1"))
    with pytest.raises(Exception, match="append-only"):
        with eng.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
    eng.dispose()


def test_the_real_console_command_exits_nonzero(basic, db_url):
    _make_events(basic)
    env = {**os.environ, "CASEFLOW_DATABASE_URL": db_url}
    ok = subprocess.run([sys.executable, "-m", "caseflow", "audit", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    _raw_sql(db_url, "UPDATE audit_events SET outcome = 'denied' WHERE seq = 1")
    bad = subprocess.run([sys.executable, "-m", "caseflow", "audit", "verify"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "event 1" in bad.stderr


def test_events_are_written_with_their_action_or_not_at_all(basic, app):
    """A failed write leaves neither the change nor its audit event."""
    admin = basic.client("admin@example.jp")
    auditor = basic.client("auditor@example.jp")
    before = auditor.get("/api/v1/audit-events?action=organizations.create").get_json()["items"]
    r = admin.post("/api/v1/organizations", json={"code": "kmm-npo", "name": "dup", "kind": "npo"})
    assert r.status_code == 409
    after = auditor.get("/api/v1/audit-events?action=organizations.create").get_json()["items"]
    assert len(after) == len(before)


def test_event_fields(basic):
    admin = basic.client("admin@example.jp", )
    r = admin.post("/api/v1/organizations", json={"code": "org-x", "name": "団体X", "kind": "npo"},
                   headers={"X-Request-ID": "req-12345678"})
    org_id = r.get_json()["id"]
    events = basic.client("auditor@example.jp").get(f"/api/v1/audit-events?resource_id={org_id}").get_json()["items"]
    assert len(events) == 1
    ev = events[0]
    assert ev["action"] == "organizations.create" and ev["outcome"] == "allowed"
    assert ev["actor_user_id"] == str(basic.users["admin@example.jp"])
    assert ev["actor_org_id"] == str(basic.orgs["kvoad"])
    assert ev["request_id"] == "req-12345678"
    assert ev["occurred_at"].endswith("+00:00")


def test_audit_search_pages_with_a_cursor_and_exports_csv(basic):
    _make_events(basic)
    auditor = basic.client("auditor@example.jp")
    seen, after = [], None
    while True:
        url = "/api/v1/audit-events?limit=2" + (f"&after_seq={after}" if after else "")
        page = auditor.get(url).get_json()
        seen += [e["seq"] for e in page["items"]]
        after = page["next_after_seq"]
        if after is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) >= 8
    r = auditor.get("/api/v1/audit-events/export.csv?action=organizations.create")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    body = r.get_data()
    assert body.startswith("\ufeff".encode())
    lines = body.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("連番,日時（日本時間）,操作者,操作者の所属") and len(lines) == 1 + 4 + 3  # header, basic orgs, new orgs


def test_only_auditors_read_the_trail(basic):
    for email in ("coord@example.jp", "npo@example.jp", "admin@example.jp", "super@example.jp"):
        assert basic.client(email).get("/api/v1/audit-events").status_code == 403
        assert basic.client(email).get("/api/v1/audit-events/export.csv").status_code == 403
