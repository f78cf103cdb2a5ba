"""Test harness: a real database (SQLite file, or PostgreSQL when CASEFLOW_TEST_DATABASE_URL is set),
created by the migrations once per session and emptied between tests."""
from __future__ import annotations

import contextlib
import os
import shutil

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from caseflow import create_app
from caseflow.organizations import rules as org_rules

PG_URL = os.environ.get("CASEFLOW_TEST_DATABASE_URL")
ENGINE_NAME = "postgresql" if PG_URL else "sqlite"
PASSWORD = "correct-horse-battery-staple"

TEST_CONFIG = {
    "PASSWORD_TIME_COST": 1,
    "PASSWORD_MEMORY_COST": 1024,
    "TESTING": True,
}


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """Run the migrations once; each test starts from a copy (SQLite) or a truncated schema (PostgreSQL)."""
    if PG_URL:
        url = _worker_database(PG_URL)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "template.sqlite3")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        from caseflow import migrate

        if PG_URL:
            _drop_everything(url)
        migrate.upgrade()
        from caseflow.core import db

        if PG_URL:  # what the migrations seeded; restored after each truncation
            with db.engine().connect() as conn:
                _SEEDED_CODES.extend(dict(r._mapping) for r in conn.execute(text("SELECT * FROM managed_codes")))
        db.engine().dispose()
    return url


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (created on the same server)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_everything(url: str) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


_TABLES: list[str] = []
_SEEDED_CODES: list[dict] = []


def _empty_postgres(url: str) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        if not _TABLES:
            _TABLES.extend(t for t in inspect(conn).get_table_names() if t != "alembic_version")
        # Triggers keep audit tables append-only; the test superuser switches them off to reset.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("TRUNCATE " + ", ".join(_TABLES) + " RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
        if _SEEDED_CODES:
            cols = list(_SEEDED_CODES[0])
            conn.execute(text(f"INSERT INTO managed_codes ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"),
                         _SEEDED_CODES)
    eng.dispose()


@pytest.fixture
def db_url(template_db, tmp_path):
    if PG_URL:
        _empty_postgres(template_db)
        return template_db
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(template_db.removeprefix("sqlite:///"), path)
    return "sqlite:///" + str(path)


@contextlib.contextmanager
def fresh_database(template_db, tmp_path_factory):
    """An empty migrated database inside one test (hypothesis examples each need their own)."""
    if PG_URL:
        _empty_postgres(template_db)
        yield template_db
        return
    path = tmp_path_factory.mktemp("example") / "db.sqlite3"
    shutil.copyfile(template_db.removeprefix("sqlite:///"), path)
    yield "sqlite:///" + str(path)


@pytest.fixture
def app(db_url, monkeypatch):
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", db_url)
    application = create_app({**TEST_CONFIG, "DATABASE_URL": db_url})
    yield application
    from caseflow.core import db

    with application.app_context():
        db.engine().dispose()


class ApiClient:
    """A logged-in (or anonymous) JSON client that sends the CSRF header like a browser app would."""

    def __init__(self, app, user_email: str | None = None):
        self.app = app
        self.http = app.test_client()
        self.csrf = None
        self.me = None
        if user_email:
            self.login(user_email)

    def login(self, email: str, password: str = PASSWORD):
        r = self.http.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.get_json()
        self.me = r.get_json()
        self.csrf = self.me["csrf_token"]
        return r

    def act_in(self, municipality_code: str | None):
        """Send X-Caseflow-Municipality on every request (None: act at home)."""
        self.municipality = municipality_code
        return self

    def _headers(self, headers):
        h = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        if getattr(self, "municipality", None):
            h["X-Caseflow-Municipality"] = self.municipality
        h.update(headers or {})
        return h

    def get(self, url, **kw):
        return self.http.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url, json=None, **kw):
        return self.http.post(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url, json=None, **kw):
        return self.http.patch(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url, **kw):
        return self.http.delete(url, headers=self._headers(kw.pop("headers", None)), **kw)


class World:
    """Builds municipalities, organisations and users through the domain layer (the same code the CLI uses)."""

    def __init__(self, app):
        self.app = app
        self.orgs = {}
        self.users = {}
        self.municipalities = {}

    def municipality(self, code: str, name: str | None = None, *, districts=()):
        from caseflow.codes import rules as codes
        from caseflow.core import db

        with self.app.app_context():
            m = org_rules.create_municipality(code=code, name=name or f"{code}市")
            if districts:
                codes.ensure("district", list(districts), scope=code)
            db.session().commit()
            self.municipalities[code] = m.id
        return m.id

    def org(self, code: str, kind: str = "department", name: str | None = None, *, municipality: str = "kamakura"):
        from caseflow.core import db

        with self.app.app_context():
            org = org_rules.create_organization(code=code, name=name or f"組織{code}", kind=kind,
                                               municipality=org_rules.get_by_code(municipality))
            db.session().commit()
            self.orgs[code] = org.id
        return org.id

    def secretariat(self, municipality: str, org_code: str):
        """Name the municipality's secretariat organisation (the operator's act)."""
        from caseflow.core import db

        with self.app.app_context():
            org_rules.set_secretariat(org_rules.get_by_code(municipality), org_rules.get_organization_by_code(org_code))
            db.session().commit()

    def membership(self, municipality: str, org_code: str):
        from caseflow.core import db

        with self.app.app_context():
            ms = org_rules.grant_membership(org_rules.get_by_code(municipality), org_rules.get_organization_by_code(org_code),
                                          reason="テスト")
            db.session().commit()
            return ms.id

    def user(self, email: str, org_code: str, *roles: str, name: str = "テスト 利用者"):
        from caseflow.accounts import rules as accounts
        from caseflow.core import db

        if org_code not in self.orgs:
            self.org(org_code)
        with self.app.app_context():
            org = org_rules.get_organization_by_code(org_code)
            user = accounts.create_user(org=org, email=email, password=PASSWORD, display_name=name,
                                        roles=list(roles))
            db.session().commit()
            self.users[email] = user.id
        return user.id

    def client(self, email: str | None = None, municipality: str | None = None) -> ApiClient:
        c = ApiClient(self.app, email)
        if municipality:
            c.act_in(municipality)
        return c


DISTRICTS = [("kamakura", "鎌倉"), ("koshigoe", "腰越"), ("fukasawa", "深沢"), ("ofuna", "大船"), ("tamanawa", "玉縄")]


@pytest.fixture
def world(app) -> World:
    """One municipality, 鎌倉市 (code kamakura), with its five districts; more with `world.municipality()`."""
    w = World(app)
    w.municipality("kamakura", "鎌倉市", districts=DISTRICTS)
    return w


@pytest.fixture
def basic(world):
    """A small platform: a coordinator's department, an NPO, an auditor, the secretariat (KVOAD), a supervisor."""
    world.org("kmk-chiiki", "department", "鎌倉市 地域共生課")
    world.org("kmm-npo", "npo", "NPO法人 テスト支援会")
    world.org("kmk-audit", "department", "鎌倉市 監査担当")
    world.org("kvoad", "npo", "KVOAD")
    world.secretariat("kamakura", "kvoad")
    world.user("coord@example.jp", "kmk-chiiki", "coordinator")
    world.user("npo@example.jp", "kmm-npo", "npo_staff")
    world.user("auditor@example.jp", "kmk-audit", "auditor")
    world.user("admin@example.jp", "kvoad", "secretariat")
    world.user("super@example.jp", "kmk-chiiki", "supervisor")
    return world
