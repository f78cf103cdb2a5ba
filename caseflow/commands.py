"""The top-level commands that belong to no feature: the database schema (Alembic), the development server
(refusing a schema that is behind) and the 個人番号 scan. Loaded by caseflow.cli only when one of them runs."""
from __future__ import annotations

import click
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from flask.cli import run_command as flask_run

from caseflow import migrate
from caseflow.core import db, mynumber

# --- database -------------------------------------------------------------------------------

@click.group("db", cls=AppGroup)
def db_group():
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision):
    """Apply migrations up to REVISION (default: every head)."""

    migrate.upgrade(revision)
    click.echo(f"database at {migrate.current() or 'base'}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Revert migrations down to REVISION."""

    migrate.downgrade(revision)
    click.echo(f"database at {migrate.current() or 'base'}")


@db_group.command("current")
@with_appcontext
def db_current():
    """Print the applied migration revision."""

    click.echo(migrate.current() or "base")


# --- 個人番号 -----------------------------------------------------------------------------------

@click.group("mynumber", cls=AppGroup)
def mynumber_group():
    """個人番号 (My Number): this system must not keep any (番号法); find those stored anyway."""


@mynumber_group.command("scan")
@click.option("--quiet", is_flag=True, help="no progress lines")
@with_appcontext
def mynumber_scan(quiet):
    """Read every text column of every table for a valid 個人番号; print table, column, how many rows and
    their ids (never the value). Exit 0 when none is found, 1 when some are (remove them, then scan again);
    2 on a usage error; a database error also ends non-zero."""

    def progress(table, index, total, rows):
        if not quiet:
            click.echo(f"scanning: {index}/{total} {table} ({rows:,} rows)", err=True)

    findings = mynumber.scan(db.engine(), progress=progress)
    if not findings:
        click.echo("no 個人番号 found")
        return
    for f in findings:
        shown = ", ".join(f.row_ids[:20]) + (f" … and {len(f.row_ids) - 20} more" if len(f.row_ids) > 20 else "")
        click.echo(f"{f.table}.{f.column}: {len(f.row_ids)} row(s): {shown}")
    click.echo(f"個人番号 found in {sum(len(f.row_ids) for f in findings)} value(s) of {len(findings)} column(s); "
               "remove them (番号法) and scan again", err=True)
    click.get_current_context().exit(1)


# --- the development server ----------------------------------------------------------------------

@click.command("run", params=list(flask_run.params), short_help="Run the development server.")
@click.pass_context
def run(ctx, **options):
    """Run the development server (not for production: use gunicorn, README). Refuses, exit 2, while the
    database schema is behind this release: run `caseflow db upgrade` first."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        behind = migrate.behind()
    if behind:
        click.echo(f"caseflow: error: {behind}", err=True)
        ctx.exit(2)
    ctx.invoke(flask_run, **options)
