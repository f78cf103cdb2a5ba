"""The `caseflow` command: Flask's CLI group, the database commands, and each feature's commands (its cli.py)."""
from __future__ import annotations

from importlib.metadata import entry_points

import click
from flask.cli import FlaskGroup, with_appcontext

from caseflow import create_app, migrate
from caseflow.accounts.cli import users_group
from caseflow.audit.cli import audit_group
from caseflow.codes.cli import codes_group
from caseflow.organizations.cli import municipalities_group, orgs_group
from caseflow.plans.cli import followup_group


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


for command in (orgs_group, municipalities_group, codes_group, users_group, audit_group, followup_group):
    main.add_command(command)
# Commands that ship beside the product without it depending on them (the demo world): entry points of the
# group "caseflow.commands" (setup.cfg).
for entry in entry_points(group="caseflow.commands"):
    main.add_command(entry.load(), entry.name)
