"""Running the service without surprises: each bad setting is one line and exit 2, the readiness probe and the
requests refuse a schema that is behind (503, not 500), `caseflow run` says so, logs are JSON with time and level,
`caseflow --help` builds no app, validation messages are Japanese, `audit verify` shows its progress."""
from __future__ import annotations

import importlib
import json
import logging
import os
import re
import subprocess
import sys
from datetime import datetime

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from caseflow import create_app, migrate
from caseflow.access import trail
from caseflow.cli import COMMANDS, main
from caseflow.core import db
from caseflow.core.resources import find_dir

from conftest import TEST_CONFIG

SECRET = "sekret-pw-9f3a"
UNREACHABLE = f"postgresql+psycopg://caseflow:{SECRET}@127.0.0.1:1/caseflow"

# setting -> what the one line on stderr must say (a regular expression)
MISCONFIGURATIONS = [
    ({"CASEFLOW_PASSWORD_TIME_COST": "abc"}, r"CASEFLOW_PASSWORD_TIME_COST='abc': .*integer"),
    ({"CASEFLOW_PASSWORD_MEMORY_COST": "4"}, r"CASEFLOW_PASSWORD_MEMORY_COST='4': .*greater than or equal to 8"),
    ({"CASEFLOW_MAX_CONTENT_LENGTH": "1MB"}, r"CASEFLOW_MAX_CONTENT_LENGTH='1MB': .*integer"),
    ({"CASEFLOW_REPORT_SUPPRESS_BELOW": "-1"}, r"CASEFLOW_REPORT_SUPPRESS_BELOW='-1'"),
    ({"CASEFLOW_ENV": "prod"}, r"CASEFLOW_ENV='prod': .*'development' or 'production'"),
    ({"CASEFLOW_ENV": "production"}, r"CASEFLOW_SECRET_KEY must be set when CASEFLOW_ENV=production"),
    ({"CASEFLOW_LOG_LEVEL": "LOUD"}, r"CASEFLOW_LOG_LEVEL='LOUD'"),
    ({"CASEFLOW_AUDIT_WORK_START": "8am"}, r"CASEFLOW_AUDIT_WORK_START: '8am' is not a time of day \(HH:MM"),
    ({"CASEFLOW_AUDIT_HOLIDAYS": "2026-02-30"}, r"CASEFLOW_AUDIT_HOLIDAYS: '2026-02-30' is not a date"),
    ({"CASEFLOW_AUDIT_WEEKENDS_OFF": "maybe"}, r"CASEFLOW_AUDIT_WEEKENDS_OFF='maybe': .*boolean"),
    ({"CASEFLOW_AUDIT_PUBLIC_KEYS": "not-a-key"}, r"CASEFLOW_AUDIT_PUBLIC_KEYS: 'not-a-key' is not an Ed25519"),
    ({"CASEFLOW_DATABASE_URL": f"postgres://caseflow:{SECRET}@db/caseflow"},
     r"CASEFLOW_DATABASE_URL: 'postgres://' cannot be used: write postgresql\+psycopg://"),
    ({"CASEFLOW_DATABASE_URL": f"mysql://caseflow:{SECRET}@db/caseflow"},
     r"CASEFLOW_DATABASE_URL: not a database URL this service supports"),
    ({"CASEFLOW_DATABASE_URL": UNREACHABLE}, r"cannot use the database \(CASEFLOW_DATABASE_URL\): .*127\.0\.0\.1"),
    ({"CASEFLOW_DATABASE_URL": "sqlite:////nonexistent-folder/caseflow.sqlite3"},
     r"cannot use the database \(CASEFLOW_DATABASE_URL\): unable to open database file"),
]


@pytest.mark.parametrize("setting, says", MISCONFIGURATIONS, ids=[
    "-".join(f"{k.removeprefix('CASEFLOW_')}={v[:12]}" for k, v in s.items()) for s, _ in MISCONFIGURATIONS])
def test_each_bad_setting_is_one_line_on_stderr_and_exit_2(setting, says):
    result = CliRunner().invoke(main, ["db", "current"], env=setting)
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stdout == "", result.output
    assert lines[0].startswith("caseflow: error: ") and re.search(says, lines[0]), lines[0]
    assert "Traceback" not in result.output and SECRET not in result.output


def _caseflow(*args, env=None, timeout=120):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    return subprocess.run([sys.executable, "-m", "caseflow", *args], env={**environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def test_the_real_command_reports_a_bad_setting_in_one_line():
    r = _caseflow("users", "create", "--org", "x", "--role", "staff", "--email", "a@example.jp", "--password", "x",
                  env={"CASEFLOW_ENV": "production", "CASEFLOW_SECRET_KEY": SECRET, "CASEFLOW_DATABASE_URL": UNREACHABLE})
    assert r.returncode == 2 and r.stdout == "", r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("caseflow: error: cannot use the database"), r.stderr
    assert SECRET not in r.stderr


def test_help_builds_no_app_and_shows_only_our_options():
    probe = ("import sys; from caseflow.cli import main; main(['--help'], standalone_mode=False); "
             "print('LOADED', 'caseflow.app' in sys.modules, 'sqlalchemy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "CASEFLOW_ENV": "nonsense"})  # the settings are not even read
    assert r.returncode == 0, r.stderr
    assert "LOADED False False" in r.stdout
    assert "--app" not in r.stdout and "--env-file" not in r.stdout and "--debug" not in r.stdout
    for name, (module, attribute, short_help) in COMMANDS.items():
        command = getattr(importlib.import_module(module), attribute)
        assert command.get_short_help_str(200) == short_help, name  # the table says what the command says
        assert re.search(rf"^  {name} +\S", r.stdout, re.M), name
    assert re.search(r"^  demo +see `caseflow demo --help`", r.stdout, re.M)


# --- readiness ------------------------------------------------------------------------------------

def _problem(r, status, type_):
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["type"].endswith("/" + type_) and body["status"] == status
    assert re.search(r"[ぁ-んァ-ン一-龥]", body["detail"])
    return body


def test_ready_when_the_schema_is_at_head_and_503_when_behind(app, db_url, tmp_path):
    c = app.test_client()
    r = c.get("/api/v1/health/ready")
    assert r.status_code == 200 and r.get_json() == {"status": "ready", "schema": ", ".join(sorted(migrate.heads()))}
    engine = create_engine(db_url)
    with engine.begin() as conn:
        head = conn.scalar(text("SELECT version_num FROM alembic_version"))
        older = ScriptDirectory(str(find_dir("migrations"))).get_revision(head).down_revision
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
    try:
        _problem(c.get("/api/v1/health/ready"), 503, "schema-behind")
        assert c.get("/api/v1/health").status_code == 200  # liveness: the process and the database are up
        run = CliRunner().invoke(main, ["run", "--port", "1"], env={"CASEFLOW_DATABASE_URL": db_url})
        assert run.exit_code == 2 and run.stdout == ""
        assert run.stderr == (f"caseflow: error: the database schema is at {older}, this release needs {head}: "
                              "run `caseflow db upgrade` first\n")
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": head})
        engine.dispose()
    assert c.get("/api/v1/health/ready").status_code == 200


def test_a_database_without_schema_answers_503_and_says_why_in_the_log(tmp_path, caplog):
    empty = "sqlite:///" + str(tmp_path / "empty.sqlite3")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": empty})
    c = app.test_client()
    caplog.set_level(logging.INFO, logger="caseflow")
    login = c.post("/api/v1/auth/login", json={"email": "coord@example.jp", "password": "x" * 12})
    _problem(login, 503, "schema-behind")
    assert login.headers["Retry-After"] == "30"
    assert "not ready: the database has no schema yet: run `caseflow db upgrade` first" in caplog.text
    _problem(c.get("/api/v1/health/ready"), 503, "schema-behind")
    run = CliRunner().invoke(main, ["run"], env={"CASEFLOW_DATABASE_URL": empty})
    assert run.exit_code == 2
    assert run.stderr == "caseflow: error: the database has no schema yet: run `caseflow db upgrade` first\n"
    with app.app_context():
        db.engine().dispose()


def test_an_unreachable_database_answers_503(caplog):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": UNREACHABLE})
    c = app.test_client()
    _problem(c.get("/api/v1/health/ready"), 503, "database-unavailable")
    _problem(c.get("/api/v1/health"), 503, "database-unavailable")
    assert SECRET not in caplog.text


# --- logs -----------------------------------------------------------------------------------------

def test_logs_are_json_lines_with_time_level_and_request_id(tmp_path):
    probe = ("import logging; from caseflow import create_app; "
             f"app = create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/x.sqlite3'}}); "
             "c = app.test_client(); c.get('/api/v1/health/ready', headers={'X-Request-ID': 'req-12345678'}); "
             "logging.getLogger('caseflow').warning('plain %s', 'line')")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=environ)
    assert r.returncode == 0, r.stderr
    records = [json.loads(line) for line in r.stderr.splitlines()]
    assert [(x["level"], x["message"]) for x in records] == [
        ("ERROR", "not ready: the database has no schema yet: run `caseflow db upgrade` first"),
        ("WARNING", "plain line")]
    assert records[0]["request_id"] == "req-12345678" and "request_id" not in records[1]
    for x in records:
        assert x["logger"] == "caseflow"
        when = datetime.fromisoformat(x["time"])
        assert when.tzinfo is not None and abs((datetime.now(when.tzinfo) - when).total_seconds()) < 120


# --- Japanese validation messages -----------------------------------------------------------------

JAPANESE = re.compile(r"[ぁ-んァ-ン一-龥]")


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):
        return [m for v in errors.values() for m in _messages(v)]
    if isinstance(errors, list):
        return [m for v in errors for m in _messages(v)]
    return [errors]


def test_validation_messages_are_japanese_throughout(basic):
    coord = basic.client("coord@example.jp")
    r = coord.post("/api/v1/consents", json={
        "person_id": "not-a-uuid", "recipients": [{"org_id": 7, "org_kind": "alien"}], "categories": [],
        "method": 3, "obtained_at": "yesterday", "valid_until": "2026-01-01T00:00:00", "surprise": True})
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert errors["person_id"] == ["UUID の形式で指定してください。"]
    assert errors["purpose"] == ["必須の項目です。"]
    assert errors["surprise"] == ["この項目は受け付けていません。"]
    assert errors["method"] == ["文字列で指定してください。"]
    assert set(errors) >= {"recipients", "categories", "obtained_at", "valid_until"}
    query = coord.get("/api/v1/cases?limit=abc&status=nonsense")
    assert query.status_code == 422
    every = _messages(errors) + _messages(query.get_json()["errors"])
    assert every and all(JAPANESE.search(m) for m in every), every
    assert not [m for m in every if re.search(r"\b(Not a valid|Missing data|Unknown field|Must be|Longer than)", m)]


# --- progress -------------------------------------------------------------------------------------

def test_audit_verify_reports_progress_and_honest_counts(app, db_url, basic):
    with app.app_context():
        s = db.session()
        before = s.scalar(text("SELECT count(*) FROM audit_events"))
        for i in range(5001 - before):
            trail.record(s, action="cases.list", resource_type="cases", actor=None)
        s.commit()
        total = s.scalar(text("SELECT count(*) FROM audit_events"))
    result = CliRunner().invoke(main, ["audit", "verify"], env={"CASEFLOW_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert result.stderr == f"verifying the audit chain: 5,000 of {total:,} events\n"
    assert re.match(rf"audit chain intact: {total} events verified in", result.stdout)
    quiet = CliRunner().invoke(main, ["audit", "verify", "--quiet"], env={"CASEFLOW_DATABASE_URL": db_url})
    assert quiet.exit_code == 0 and quiet.stderr == ""


# --- the image and the pinned dependencies ------------------------------------------------------------

def _requirement_names(text_: str) -> set[str]:
    return {re.split(r"[<>=!\[; ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
            for line in text_.splitlines() if line.strip() and not line.strip().startswith(("#", "%", "["))}


def test_constraints_pin_every_dependency_and_the_image_has_its_tools():
    root = find_dir("migrations").parent
    cfg = (root / "setup.cfg").read_text()
    wanted = cfg.split("install_requires =", 1)[1].split("\n[", 1)[0] + cfg.split("test =", 1)[1].split("dev =")[0]
    pinned = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
              for line in (root / "constraints.txt").read_text().splitlines() if "==" in line}
    assert _requirement_names(wanted) - set(pinned) == set()
    assert "caseflow" not in pinned
    docker = (root / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -c constraints.txt ." in docker
    assert re.search(r"apt-get install .*postgresql-client sqlite3", docker.replace("\\\n", " "))
    assert "HEALTHCHECK" in docker and "/api/v1/health/ready" in docker
    assert "-c constraints.txt -e" in (root / "scripts" / "bootstrap").read_text()
