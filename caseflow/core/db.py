"""Database plumbing: declarative base, engine, one session per app context, column types."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from flask import current_app, g
from sqlalchemy import CheckConstraint, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

# Alembic batch mode on SQLite needs every constraint named from the first migration.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored as UTC on every engine (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def one_of(column: str, values, *, nullable: bool = False) -> CheckConstraint:
    """CHECK that a state column holds one of its known values; named ck_<table>_<column> by the naming
    convention (migration 0013 creates the same constraints)."""
    listed = ", ".join(f"'{v}'" for v in values)
    condition = f"{column} IN ({listed})"
    return CheckConstraint(f"{column} IS NULL OR {condition}" if nullable else condition, name=column)


class Created:
    """Mixin: when the row was written (records that are never edited: notes, stage changes, pledges)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Edited(Created):
    """Mixin for records people edit: timestamps and a version that the ORM checks and bumps on every
    UPDATE, so two editors never overwrite each other silently (the API's ETag / If-Match carry it)."""

    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


def make_engine(url: str) -> Engine:
    # hide_parameters: SQL parameters (personal data) never appear in exception messages or logs.
    kwargs: dict = {"future": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["caseflow.engine"] = engine
    app.extensions["caseflow.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def session() -> Session:
    """The unit-of-work session of the current request or CLI command."""
    s = g.get("db_session")
    if s is None:
        s = current_app.extensions["caseflow.sessionmaker"]()
        g.db_session = s
    return s


def engine() -> Engine:
    return current_app.extensions["caseflow.engine"]


def begin_for_savepoints(s: Session) -> None:
    """Open the outer transaction for certain before taking savepoints. Python's sqlite3 begins a transaction
    only at the first INSERT/UPDATE/DELETE, so a SAVEPOINT taken before any write is itself the outermost
    transaction and its RELEASE commits -- a dry run or an all-or-nothing import would then keep the rows it
    meant to roll back. A write that changes nothing makes the driver say BEGIN; on PostgreSQL it is a no-op."""
    from sqlalchemy import text

    s.execute(text("UPDATE municipalities SET active = active WHERE 1 = 0"))
