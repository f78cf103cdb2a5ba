"""The `caseflow` command: bootstrap commands and migrations against a real database."""
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from caseflow.cli import main

from conftest import PASSWORD


def run(db_url, *args):
    return CliRunner().invoke(main, list(args), env={"CASEFLOW_DATABASE_URL": db_url})


def test_orgs_and_users_create_then_login(db_url, app):
    r = run(db_url, "orgs", "create", "--code", "kmk-fukushi", "--name", "鎌倉市 福祉総務課", "--kind", "department")
    assert r.exit_code == 0, r.output
    assert "created organisation kmk-fukushi" in r.output
    r = run(db_url, "users", "create", "--org", "kmk-fukushi", "--role", "supervisor", "--role", "coordinator",
            "--email", "chief@example.jp", "--password", PASSWORD, "--name", "鈴木 一郎")
    assert r.exit_code == 0, r.output
    login = app.test_client().post("/api/v1/auth/login", json={"email": "chief@example.jp", "password": PASSWORD})
    assert login.status_code == 200
    assert login.get_json()["roles"] == ["coordinator", "supervisor"]


def test_bad_input_is_a_clear_error_naming_the_field(db_url):
    r = run(db_url, "orgs", "create", "--code", "x1", "--name", "名前", "--kind", "castle")
    assert r.exit_code != 0 and "kind" in r.output
    r = run(db_url, "users", "create", "--org", "missing", "--role", "staff", "--email", "a@b.jp", "--password", PASSWORD)
    assert r.exit_code != 0 and "org" in r.output
    run(db_url, "orgs", "create", "--code", "o1", "--name", "名前", "--kind", "npo")
    r = run(db_url, "users", "create", "--org", "o1", "--role", "wizard", "--email", "a@b.jp", "--password", PASSWORD)
    assert r.exit_code != 0 and "roles" in r.output
    r = run(db_url, "users", "create", "--org", "o1", "--role", "staff", "--email", "a@b.jp", "--password", "short")
    assert r.exit_code != 0 and "password" in r.output


def test_db_upgrade_is_idempotent_and_downgrade_works(db_url):
    r = run(db_url, "db", "upgrade")
    assert r.exit_code == 0, r.output
    r = run(db_url, "db", "current")
    assert r.exit_code == 0 and r.output.strip() != "base"
    assert run(db_url, "db", "downgrade", "base").exit_code == 0
    eng = create_engine(db_url)
    assert "audit_events" not in inspect(eng).get_table_names()
    eng.dispose()
    assert run(db_url, "db", "upgrade").exit_code == 0
    eng = create_engine(db_url)
    assert "audit_events" in inspect(eng).get_table_names()
    eng.dispose()
