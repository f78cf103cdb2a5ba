from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from caseflow.access import tenancy
from caseflow.codes import rules as codes
from caseflow.codes.models import CODE_LISTS
from caseflow.core import db
from caseflow.core.cli import fail_on_problem, no_my_number


@click.group("codes", cls=AppGroup)
def codes_group():
    """Managed code lists (issue categories, channels, districts …)."""


@codes_group.command("add")
@click.option("--list", "list_name", required=True, help="issue_category, intake_channel, closure_reason, district …")
@click.option("--code", required=True)
@click.option("--label", required=True, help="Japanese label", callback=no_my_number)
@click.option("--municipality", "municipality_code", default=None, help="Municipality code (for districts)")
@with_appcontext
@fail_on_problem
def codes_add(list_name, code, label, municipality_code):
    """Add an entry to a managed list."""

    if list_name not in CODE_LISTS:
        raise click.ClickException(f"unknown list {list_name}: {', '.join(CODE_LISTS)}")
    m = tenancy.get_by_code(municipality_code) if municipality_code else None
    codes.add(list_name, code, label, municipality=m)
    db.session().commit()
    click.echo(f"added {list_name}:{code}")
