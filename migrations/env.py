"""Alembic environment. The engine comes from caseflow (`caseflow db upgrade`) or, when run as
plain `alembic -c migrations/alembic.ini`, from CASEFLOW_DATABASE_URL."""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

import caseflow.models  # noqa: F401  (every model registered on Base.metadata)
from caseflow.core.db import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    """Render caseflow's column types as plain SQLAlchemy ones: migrations must not import the app."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


# Expression indexes created by hand in 0002 (engine-specific SQL); autogenerate cannot see them in the
# models and would otherwise propose dropping them.
HAND_MADE_INDEXES = {"ix_audit_events_area_seq", "ix_audit_events_area_time", "ix_audit_events_basis_kind_seq",
                     "ix_audit_events_basis_kind_time", "ix_audit_events_detail_case"}


def include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in HAND_MADE_INDEXES)


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(os.environ["CASEFLOW_DATABASE_URL"])
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies a table and drops the original; with foreign keys enforced, dropping a
            # table other tables refer to fails (or empties them). The pragma only takes effect outside a
            # transaction, so it is set before the migration's transaction and checked and restored after it.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        # Batch mode: SQLite cannot ALTER most things; Alembic copies the table instead.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True, render_item=render_item, include_object=include_object)
        try:
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
        if sqlite and broken:
            raise RuntimeError(f"the migration left {len(broken)} rows with a broken foreign key: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
