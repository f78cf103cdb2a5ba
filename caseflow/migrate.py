"""Alembic, driven from the app's configuration; `migrations/` is found at run time."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
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
