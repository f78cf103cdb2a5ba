from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from caseflow.access import tenancy
from caseflow.codes import rules as codes
from caseflow.codes.imports import import_codes
from caseflow.codes.models import CODE_LISTS
from caseflow.core import db
from caseflow.core.cli import fail_on_problem, finish_import, no_my_number


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


@codes_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--list", "list_name", required=True, help="district, issue_category, intake_channel, closure_reason …")
@click.option("--municipality", "municipality_code", default=None, help="Municipality code (for districts)")
@click.option("--dry-run", is_flag=True, help="Check every row and report; store nothing")
@with_appcontext
@fail_on_problem
def codes_import(path, list_name, municipality_code, dry_run):
    """Import a list's entries from a CSV (UTF-8 or Shift_JIS) or .xlsx file: columns コード, 名称. All or
    nothing; an existing code takes the file's label; re-importing the same file changes nothing."""

    m = tenancy.get_by_code(municipality_code) if municipality_code else None
    if list_name in codes.MUNICIPAL_LISTS and m is None:
        raise click.BadParameter("地区などの自治体別リストには --municipality が必要です。", param_hint="--municipality")
    report = import_codes(list_name, path, m, dry_run=dry_run)
    finish_import(report, dry_run=dry_run, what=list_name)
