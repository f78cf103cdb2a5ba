"""The `caseflow` command: Flask's CLI group, the database commands, and each feature's commands (its cli.py)."""
from __future__ import annotations

from importlib.metadata import entry_points

import click
from flask.cli import FlaskGroup, with_appcontext

from caseflow import create_app, migrate
from caseflow.accounts.cli import users_group
from caseflow.audit.cli import audit_group
from caseflow.codes.cli import codes_group
from caseflow.core import db, mynumber
from caseflow.organizations.cli import municipalities_group, orgs_group
from caseflow.plans.cli import followup_group
from caseflow.retention.cli import retention_group


def _create_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False,
             set_debug_flag=False)
def main():
    """caseflow — case coordination for 重層的支援 and 孤独・孤立 platforms."""


# --- database -------------------------------------------------------------------------------

@main.group("db")
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


for command in (orgs_group, municipalities_group, codes_group, users_group, audit_group, followup_group,
                retention_group):
    main.add_command(command)
# Commands that ship beside the product without it depending on them (the demo world): entry points of the
# group "caseflow.commands" (setup.cfg).
for entry in entry_points(group="caseflow.commands"):
    main.add_command(entry.load(), entry.name)


# --- 個人番号 -----------------------------------------------------------------------------------

@main.group("mynumber")
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
