"""The `caseflow` command: Flask's CLI group, the database commands, and each feature's commands (its cli.py)."""
from __future__ import annotations


import click
from flask.cli import FlaskGroup, with_appcontext

from caseflow import create_app
from caseflow.accounts.cli import users_group
from caseflow.audit.cli import audit_group
from caseflow.codes.cli import codes_group
from caseflow.demo.cli import demo
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
    from caseflow.core import migrate

    migrate.upgrade(revision)
    click.echo(f"database at {migrate.current() or 'base'}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Revert migrations down to REVISION."""
    from caseflow.core import migrate

    migrate.downgrade(revision)
    click.echo(f"database at {migrate.current() or 'base'}")


@db_group.command("current")
@with_appcontext
def db_current():
    """Print the applied migration revision."""
    from caseflow.core import migrate

    click.echo(migrate.current() or "base")


from caseflow.bench import bench_group  # noqa: E402  (benchmark data: `caseflow bench seed`)

main.add_command(bench_group)


for command in (orgs_group, municipalities_group, codes_group, users_group, audit_group, followup_group, demo):
    main.add_command(command)
