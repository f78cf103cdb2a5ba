"""Database guards: triggers that keep never-edited records as they were written, on SQLite and PostgreSQL.

The domain never edits a stage change, a referral event, a pledge, an audit review, an assessment version, a
role agreement, a minutes correction or a meeting decision; a consent is closed (revoked) once and never
otherwise changed; an approved meeting's agenda, minutes and decisions are locked. The application keeps to
that, and the database refuses anything else -- a bug, a console session or an attacker with the
application's database login cannot quietly rewrite the record. (`audit_events` and `audit_subjects` are
guarded the same way by migration 0001.) An edit then needs DDL rights: dropping a trigger.

`GUARDS` says which table gets which guard; `install(conn, table)` (re)creates a table's guard triggers and
`uninstall(conn, table)` drops them. `conn` is a SQLAlchemy connection (`op.get_bind()` in a migration).
Each guard raises an error whose message starts with `MARKER` (`refused(exc)` recognises it): SQLite's
RAISE(ABORT) and PostgreSQL's SQLSTATE 23000 both arrive as `sqlalchemy.exc.IntegrityError`.

Guard kinds:

- `AppendOnly`: UPDATE and DELETE refused (and TRUNCATE on PostgreSQL).
- `RevokeOnce(flag, columns)`: DELETE refused; an UPDATE must set `flag` on a row where it was NULL and may
  change nothing but `columns` (the revocation columns); once `flag` is set, no UPDATE at all.
- `FrozenWhen(column, value, mutable)`: once `column = value` (a meeting whose minutes are approved), only the
  `mutable` columns may change and DELETE is refused.
- `LockedBy(fk, parent, condition)`: INSERT, UPDATE and DELETE refused while the parent row (`parent.id =
  fk`, aliased `p`) meets `condition`, e.g. the agenda of a meeting whose minutes are approved.

Pitfalls -- read before writing a migration that touches a guarded table:

- **SQLite triggers list columns.** A guard that compares columns (`RevokeOnce`, `FrozenWhen`) is generated
  from the table's columns *at the time `install` runs*. A migration that adds a column to such a table must
  call `install(op.get_bind(), table)` again, or the new column is unguarded.
- **Alembic batch mode drops SQLite triggers.** `op.batch_alter_table` (and `render_as_batch`
  autogenerate output) copies a SQLite table to `_alembic_tmp_<table>`, drops the original and renames the
  copy: every trigger of the table is gone, silently. Prefer in-place operations (`op.add_column`,
  `op.create_index`); where batch mode is unavoidable, call `install(op.get_bind(), table)` after the batch
  block. The audit tables' triggers of 0001 are not in `GUARDS`: recreate those as 0001 does.
- **PostgreSQL functions are generic.** They compare `to_jsonb(NEW)` with `to_jsonb(OLD)` minus the allowed
  columns, so columns added later are covered without reinstalling. TRUNCATE fires no row trigger, so every
  guarded table also refuses TRUNCATE by a statement trigger. `SET session_replication_role = replica`
  (superuser) switches all of these triggers off: the test harness and the demo command's --reset use it to
  empty the database; nothing else should.
- **Data migrations.** A later migration that must rewrite guarded rows (a backfill of a new column, say)
  uninstalls the table's guard, writes, and installs it again, in the same transaction.
- **This module is imported by migrations.** It imports nothing from caseflow, and what a function creates
  for a given spec must not change: change a table's guard by a new migration that calls `install` again.
  (Migration 0011 installs the guards of the tables it names, from `GUARDS` as it is when it runs; a fresh
  database and an upgraded one end the same once every later migration has re-installed what it changed.)
- PostgreSQL's check of a parent row (`LockedBy`) reads the parent as committed when the statement starts
  (no row lock, to keep the lock order of the domain's own updates free of deadlocks): a write racing the
  approval itself can slip in. The domain refuses such writes first; the guard stops everything later.
"""
from __future__ import annotations

from dataclasses import dataclass

MARKER = "caseflow guard:"
PREFIX = "_guard_"  # every guard trigger is named <table>_guard_<what>

REVOCATION_COLUMNS = ("revoked_at", "revoked_by_user_id", "revoke_reason", "revoked_by_org_id")
# What may still change on a meeting whose minutes are approved: its sharing window (access control may be
# tightened at any time; caseflow.meetings.rules.update_meeting) and the row's bookkeeping.
# How a secrecy decision (秘匿決定) ends: the only change it ever takes (migration 0016).
SECRECY_END_COLUMNS = ("ended_at", "ended_by_user_id", "end_reason")
MEETING_WINDOW_COLUMNS = ("window_start", "window_end", "sharing_days_after", "updated_at", "version")
MINUTES_APPROVED = "p.status = 'minutes_approved'"


@dataclass(frozen=True)
class AppendOnly:
    pass


@dataclass(frozen=True)
class RevokeOnce:
    flag: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class FrozenWhen:
    column: str
    value: str
    mutable: tuple[str, ...]


@dataclass(frozen=True)
class LockedBy:
    fk: str
    parent: str
    condition: str


_MEETING_LOCK = LockedBy("meeting_id", "meetings", MINUTES_APPROVED)

GUARDS: dict[str, tuple] = {
    "case_stage_changes": (AppendOnly(),),        # "Immutable history of a case's stage"
    "referral_events": (AppendOnly(),),           # every state change of a referral: who, when, why
    "consents": (RevokeOnce("revoked_at", REVOCATION_COLUMNS),),  # "never edited in place"; revoked once
    "consent_recipients": (AppendOnly(),),        # part of the consent record
    "consent_categories": (AppendOnly(),),        # part of the consent record
    "pledges": (AppendOnly(),),                   # 守秘義務の誓約, signed once
    "audit_reviews": (AppendOnly(),),             # beside the append-only trail
    "assessments": (AppendOnly(),),               # "immutable, numbered versions"
    "assessment_domains": (AppendOnly(),),        # part of an assessment version
    "plan_agreements": (AppendOnly(),),           # "Appended, never edited"
    "minutes_corrections": (AppendOnly(),),       # corrections are new records
    "meeting_decisions": (AppendOnly(), _MEETING_LOCK),  # the record of what the meeting decided
    "meetings": (FrozenWhen("status", "minutes_approved", MEETING_WINDOW_COLUMNS),),
    "agenda_items": (_MEETING_LOCK,),
    "meeting_minutes": (_MEETING_LOCK,),          # editable while held, locked by the chair's approval
    "meeting_guests": (_MEETING_LOCK,),           # who was invited to an approved meeting stays (0015)
    "council_members": (RevokeOnce("until", ("until",)),),  # a membership ends once, never rewritten (0015)
    # migration 0016 (住所秘匿): a secrecy decision is ended once, never otherwise changed; its named organisations
    # and a third-party reporter record are never edited
    "secrecy_decisions": (RevokeOnce("ended_at", SECRECY_END_COLUMNS),),
    "secrecy_recipients": (AppendOnly(),),
    "case_reporters": (AppendOnly(),),
    "assessment_results": (AppendOnly(),),        # the plan results a version cited: part of the version (0020)
    # migration 0021: a supervisor's review of a break-glass opening; a second look is a new row
    "emergency_access_reviews": (AppendOnly(),),
    "contact_links": (AppendOnly(),),            # linking a contact to a person and undoing it (0019)
}


def refused(exc: BaseException) -> bool:
    """Whether a database error is one of these guards refusing a change."""
    return MARKER in str(getattr(exc, "orig", None) or exc)


# --- installing ------------------------------------------------------------------------------

def install(conn, table: str) -> list[str]:
    """(Re)create the guard triggers of `table` from `GUARDS`; returns their names."""
    uninstall(conn, table)
    if _dialect(conn) == "sqlite":
        triggers = _sqlite_triggers(conn, table)
    else:
        _pg_functions(conn)
        triggers = _pg_triggers(table)
    for sql in triggers.values():
        _run(conn, sql)
    return sorted(triggers)


def uninstall(conn, table: str) -> None:
    for name in installed(conn, table):
        if _dialect(conn) == "sqlite":
            _run(conn, f'DROP TRIGGER IF EXISTS "{name}"')
        else:
            _run(conn, f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')


def installed(conn, table: str) -> list[str]:
    """Names of the guard triggers `table` has now."""
    if _dialect(conn) == "sqlite":
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                    (table,)).scalars()
    else:
        rows = conn.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                                    "AND tgrelid = to_regclass(%(t)s)", {"t": table}).scalars()
    return sorted(n for n in rows if n.startswith(table + PREFIX))


def drop_functions(conn) -> None:
    """PostgreSQL: drop the guard functions (after every table's guards are uninstalled)."""
    if _dialect(conn) != "sqlite":
        for name in _PG_FUNCTIONS:
            _run(conn, f"DROP FUNCTION IF EXISTS {name}()")


def _run(conn, sql: str) -> None:
    # No parameters: the driver must not read the `%` of the PostgreSQL function bodies as placeholders.
    conn.exec_driver_sql(sql, execution_options={"no_parameters": True})


def _dialect(conn) -> str:
    return conn.dialect.name


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- SQLite: one trigger per refused statement, WHEN conditions generated from the columns -------------

def _columns(conn, table: str) -> list[str]:
    return [row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')]


def _sqlite_trigger(name: str, when_verb: str, table: str, message: str, condition: str | None = None) -> str:
    when = f" WHEN {condition}" if condition else ""
    return (f'CREATE TRIGGER "{name}" BEFORE {when_verb} ON "{table}" FOR EACH ROW{when} '
            f"BEGIN SELECT RAISE(ABORT, {_q(f'{MARKER} {message}')}); END")


def _changed(columns, skip=()) -> str:
    return " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns if c not in skip) or "0"


def _sqlite_triggers(conn, table: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for guard in GUARDS[table]:
        if isinstance(guard, AppendOnly):
            for verb in ("UPDATE", "DELETE"):
                name = f"{table}{PREFIX}no_{verb.lower()}"
                out[name] = _sqlite_trigger(name, verb, table, f"{verb} on {table} refused (never edited)")
        elif isinstance(guard, RevokeOnce):
            columns = _columns(conn, table)
            condition = (f'OLD."{guard.flag}" IS NOT NULL OR NEW."{guard.flag}" IS NULL OR '
                         + _changed(columns, guard.columns))
            name = f"{table}{PREFIX}revoke_once"
            out[name] = _sqlite_trigger(name, "UPDATE", table,
                                        f"{table}: only the revocation of an open record may be written, once",
                                        condition)
            name = f"{table}{PREFIX}no_delete"
            out[name] = _sqlite_trigger(name, "DELETE", table, f"DELETE on {table} refused (never deleted)")
        elif isinstance(guard, FrozenWhen):
            frozen = f'OLD."{guard.column}" = {_q(guard.value)}'
            columns = _columns(conn, table)
            name = f"{table}{PREFIX}frozen_update"
            out[name] = _sqlite_trigger(name, "UPDATE", table, f"{table}: the row is {guard.value}",
                                        f"{frozen} AND ({_changed(columns, guard.mutable)})")
            name = f"{table}{PREFIX}frozen_delete"
            out[name] = _sqlite_trigger(name, "DELETE", table, f"{table}: the row is {guard.value}", frozen)
        elif isinstance(guard, LockedBy):
            for verb, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
                locked = " OR ".join(f'EXISTS (SELECT 1 FROM "{guard.parent}" p WHERE p.id = {row}."{guard.fk}" '
                                     f"AND ({guard.condition}))" for row in rows)
                name = f"{table}{PREFIX}locked_{verb.lower()}"
                out[name] = _sqlite_trigger(name, verb, table, f"{table}: locked by its {guard.parent} row",
                                            locked)
        else:  # pragma: no cover
            raise TypeError(guard)
    return out


# --- PostgreSQL: generic trigger functions, arguments in TG_ARGV -----------------------------------

_PG_FUNCTIONS = {
    "caseflow_guard_refuse": f"""
        BEGIN
          RAISE EXCEPTION '{MARKER} % on % refused (never edited)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
        END""",
    # TG_ARGV[0]: the flag column (revoked_at); TG_ARGV: every column an update may set (the flag included).
    "caseflow_guard_revoke_once": f"""
        DECLARE
          old_row jsonb := to_jsonb(OLD);
          new_row jsonb := to_jsonb(NEW);
        BEGIN
          IF old_row ->> TG_ARGV[0] IS NOT NULL OR new_row ->> TG_ARGV[0] IS NULL
             OR (new_row - TG_ARGV) IS DISTINCT FROM (old_row - TG_ARGV) THEN
            RAISE EXCEPTION '{MARKER} %: only the revocation of an open record may be written, once', TG_TABLE_NAME
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END""",
    # TG_ARGV[0]: column, TG_ARGV[1]: the value that freezes the row, TG_ARGV[2:]: columns that stay mutable.
    "caseflow_guard_frozen_when": f"""
        BEGIN
          IF to_jsonb(OLD) ->> TG_ARGV[0] IS NOT DISTINCT FROM TG_ARGV[1] AND (TG_OP = 'DELETE'
             OR (to_jsonb(NEW) - TG_ARGV[2:]) IS DISTINCT FROM (to_jsonb(OLD) - TG_ARGV[2:])) THEN
            RAISE EXCEPTION '{MARKER} % on %: the row is %', TG_OP, TG_TABLE_NAME, TG_ARGV[1]
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF TG_OP = 'DELETE' THEN
            RETURN OLD;
          END IF;
          RETURN NEW;
        END""",
    # TG_ARGV[0]: the foreign key column, TG_ARGV[1]: the parent table (primary key id), TG_ARGV[2]: the
    # condition on the parent row p that locks its children.
    "caseflow_guard_locked_by": f"""
        DECLARE
          probe text := format('SELECT EXISTS (SELECT 1 FROM %I p WHERE p.id = ($1).%I AND (%s))',
                               TG_ARGV[1], TG_ARGV[0], TG_ARGV[2]);
          locked boolean := false;
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            EXECUTE probe INTO locked USING OLD;
          END IF;
          IF NOT locked AND TG_OP IN ('INSERT', 'UPDATE') THEN
            EXECUTE probe INTO locked USING NEW;
          END IF;
          IF locked THEN
            RAISE EXCEPTION '{MARKER} % on %: locked by its % row', TG_OP, TG_TABLE_NAME, TG_ARGV[1]
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF TG_OP = 'DELETE' THEN
            RETURN OLD;
          END IF;
          RETURN NEW;
        END""",
}


def _pg_functions(conn) -> None:
    for name, body in _PG_FUNCTIONS.items():
        _run(conn, f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $guard${body}\n$guard$")


def _pg_args(*values: str) -> str:
    return ", ".join(_q(v) for v in values)


def _pg_triggers(table: str) -> dict[str, str]:
    out: dict[str, str] = {}
    t = f'"{table}"'
    for guard in GUARDS[table]:
        if isinstance(guard, AppendOnly):
            out[f"{table}{PREFIX}append_only"] = (
                f'CREATE TRIGGER "{table}{PREFIX}append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON {t} '
                "FOR EACH STATEMENT EXECUTE FUNCTION caseflow_guard_refuse()")
            continue
        if isinstance(guard, RevokeOnce):
            out[f"{table}{PREFIX}revoke_once"] = (
                f'CREATE TRIGGER "{table}{PREFIX}revoke_once" BEFORE UPDATE ON {t} FOR EACH ROW '
                f"EXECUTE FUNCTION caseflow_guard_revoke_once({_pg_args(guard.flag, *guard.columns)})")
            out[f"{table}{PREFIX}no_delete"] = (
                f'CREATE TRIGGER "{table}{PREFIX}no_delete" BEFORE DELETE ON {t} '
                "FOR EACH STATEMENT EXECUTE FUNCTION caseflow_guard_refuse()")
        elif isinstance(guard, FrozenWhen):
            out[f"{table}{PREFIX}frozen"] = (
                f'CREATE TRIGGER "{table}{PREFIX}frozen" BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW '
                f"EXECUTE FUNCTION caseflow_guard_frozen_when({_pg_args(guard.column, guard.value, *guard.mutable)})")
        elif isinstance(guard, LockedBy):
            out[f"{table}{PREFIX}locked"] = (
                f'CREATE TRIGGER "{table}{PREFIX}locked" BEFORE INSERT OR UPDATE OR DELETE ON {t} FOR EACH ROW '
                f"EXECUTE FUNCTION caseflow_guard_locked_by({_pg_args(guard.fk, guard.parent, guard.condition)})")
        else:  # pragma: no cover
            raise TypeError(guard)
        # TRUNCATE fires no row trigger: refuse it outright.
        out[f"{table}{PREFIX}no_truncate"] = (
            f'CREATE TRIGGER "{table}{PREFIX}no_truncate" BEFORE TRUNCATE ON {t} '
            "FOR EACH STATEMENT EXECUTE FUNCTION caseflow_guard_refuse()")
    if f"{table}{PREFIX}append_only" in out:
        out.pop(f"{table}{PREFIX}no_truncate", None)  # append_only refuses TRUNCATE already
    return out
