"""Alembic, driven from the app's configuration; `migrations/` is found at run time."""
from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.resources import find_dir


def alembic_config() -> Config:
    folder = find_dir("migrations")
    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    cfg.attributes["engine"] = db.engine()
    cfg.attributes["configure_logging"] = False
    cfg.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"].replace("%", "%%"))
    return cfg


def upgrade(revision: str = "heads") -> None:
    """Migrate, then add any missing entries of the standard managed lists (idempotent)."""
    command.upgrade(alembic_config(), revision)
    if revision in ("head", "heads"):

        codes.seed_standard_lists()
        db.session().commit()


def downgrade(revision: str) -> None:
    command.downgrade(alembic_config(), revision)


def current() -> str | None:
    with db.engine().connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ", ".join(sorted(heads)) or None


@functools.lru_cache(maxsize=1)
def heads() -> frozenset[str]:
    """The revisions this release's migrations end at (read once per process)."""
    return frozenset(ScriptDirectory(str(find_dir("migrations"))).get_heads())


def behind() -> str | None:
    """None when the database is at this release's head(s); else one line saying where it is and what to run.
    Connection errors propagate."""
    with db.engine().connect() as conn:
        have = set(MigrationContext.configure(conn).get_current_heads())
    want = heads()
    if have == want:
        return None
    if not have:
        return "the database has no schema yet: run `caseflow db upgrade` first"
    return (f"the database schema is at {', '.join(sorted(have))}, this release needs {', '.join(sorted(want))}: "
            "run `caseflow db upgrade` first")
