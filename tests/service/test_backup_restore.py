"""Backup and restore (issue 11): scripts/backup and scripts/restore on the engine under test (SQLite's online
backup API, or pg_dump/pg_restore in custom format), restored into a new database whose data equals the
original and whose audit chain verifies with `caseflow audit verify`."""
from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from caseflow import create_app

from conftest import PASSWORD, PG_URL, TEST_CONFIG
from support import YAMADA, audit_verify, seed_records

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def run_script(name, *args):
    r = subprocess.run([sys.executable, str(SCRIPTS / name), *map(str, args)], capture_output=True, text=True,
                       timeout=300, stdin=subprocess.DEVNULL)
    return r


@pytest.fixture
def restore_url(db_url, tmp_path):
    """Where to restore: a new SQLite file, or a new database on the same PostgreSQL server (dropped after)."""
    if not PG_URL:
        yield "sqlite:///" + str(tmp_path / "restored" / "caseflow.sqlite3"), False
        return
    name = f"caseflow_restore_{uuid.uuid4().hex[:10]}"
    url = make_url(db_url).set(database=name)
    yield url.render_as_string(hide_password=False), True
    admin = create_engine(make_url(db_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def table_contents(url: str) -> dict:
    """Every row of every table, in primary-key order."""
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        out = {}
        with engine.connect() as conn:
            for table in sorted(insp.get_table_names()):
                pk = insp.get_pk_constraint(table)["constrained_columns"]
                cols = [c["name"] for c in insp.get_columns(table)]
                order = ", ".join(f'"{c}"' for c in (pk or cols))
                out[table] = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}'))]
        return out
    finally:
        engine.dispose()


def test_backup_restore_round_trip(app, basic, db_url, restore_url, tmp_path):
    seeded = seed_records(basic)  # cases with YAMADA, consents, referrals, meetings, plans, audit events …
    url, create = restore_url
    before = table_contents(db_url)
    assert len(before["audit_events"]) > 20 and before["persons"]
    backup = tmp_path / "backups" / "caseflow.backup"
    r = run_script("backup", "--database-url", db_url, backup)
    assert r.returncode == 0, r.stderr
    assert backup.is_file() and backup.stat().st_mode & 0o077 == 0  # personal data: owner-only
    # Written after the backup: not in the restore.
    basic.client("coord@example.jp").post("/api/v1/cases", json={"intake_channel": "chat", "anonymous_label": "後"})

    r = run_script("restore", *(["--create"] if create else []), "--database-url", url, backup)
    assert r.returncode == 0, r.stderr
    restored = table_contents(url)
    assert restored == before
    out = audit_verify(url)
    assert "audit chain intact" in out and f"{len(before['audit_events'])} events" in out

    # The service runs on the restored database: log in, read the case, write to it.
    restored_app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    client = restored_app.test_client()
    login = client.post("/api/v1/auth/login", json={"email": seeded["users"]["coordinator"], "password": PASSWORD})
    assert login.status_code == 200
    case = client.get(f"/api/v1/cases/{seeded['ids']['case_id']}")
    assert case.status_code == 200 and YAMADA["name"] in case.get_data(as_text=True)
    r = client.post(f"/api/v1/cases/{seeded['ids']['case_id']}/progress", headers={"X-CSRF-Token": login.get_json()["csrf_token"]},
                    json={"kind": "phone", "occurred_on": "2026-04-10", "body": "復元後の記録"})
    assert r.status_code == 201, r.get_json()
    from caseflow.core import db

    with restored_app.app_context():
        db.engine().dispose()
    audit_verify(url)  # the chain goes on from the restored head

    # A restore never lands on a database that has data.
    r = run_script("restore", "--database-url", url, backup)
    assert r.returncode != 0 and "already" in r.stderr


def test_online_backup_under_write_load_is_consistent(app, basic, db_url, restore_url, tmp_path):
    """A backup taken while the service writes is one consistent state: the audit chain verifies and every
    case in it has its first stage and its audit event (written in the same transaction)."""
    url, create = restore_url
    coord = basic.client("coord@example.jp")
    stop = threading.Event()
    written = []

    def writer():
        c = basic.client("coord@example.jp")
        while not stop.is_set():
            r = c.post("/api/v1/cases", json={"intake_channel": "chat", "anonymous_label": f"負荷{len(written)}"})
            assert r.status_code == 201
            written.append(r.get_json()["id"])

    coord.post("/api/v1/cases", json={"intake_channel": "chat", "anonymous_label": "最初"})
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        while len(written) < 5:
            stop.wait(0.05)
        backup = tmp_path / "online.backup"
        r = run_script("backup", "--database-url", db_url, backup)
        assert r.returncode == 0, r.stderr
    finally:
        stop.set()
        t.join(timeout=60)
    r = run_script("restore", *(["--create"] if create else []), "--database-url", url, backup)
    assert r.returncode == 0, r.stderr
    audit_verify(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            cases = {str(uuid.UUID(str(x))) for x in conn.execute(text("SELECT id FROM cases")).scalars()}
            staged = {str(uuid.UUID(str(x))) for x in conn.execute(
                text("SELECT case_id FROM case_stage_changes WHERE from_stage IS NULL")).scalars()}
            audited = set(conn.execute(text("SELECT resource_id FROM audit_events WHERE action = 'cases.create'")).scalars())
    finally:
        engine.dispose()
    assert len(cases) >= 6 and cases == staged and cases == audited
