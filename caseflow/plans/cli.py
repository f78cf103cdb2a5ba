from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from caseflow.access import tenancy
from caseflow.accounts.models import User
from caseflow.core import db
from caseflow.core.cli import fail_on_problem
from caseflow.core.errors import validation_problem
from caseflow.organizations import rules as org_rules
from caseflow.plans import followup


@click.group("followup", cls=AppGroup)
def followup_group():
    """Follow-up lists: overdue tasks, cases without progress, cases without an owner."""


@followup_group.command("digest")
@click.option("--org", "org_code", default=None, help="Only the cases this organisation works on (default: all)")
@click.option("--days", type=click.IntRange(0, 3650), default=None,
              help="Cases with no progress record for N days (default: CASEFLOW_FOLLOWUP_STALE_DAYS or 30)")
@click.option("--lead", "lead_email", default=None, help="Only the cases whose lead worker (coordinator) is EMAIL")
@click.option("--municipality", "municipality_code", default=None, help="Only this municipality's cases")
@with_appcontext
@fail_on_problem
def followup_digest(org_code, days, lead_email, municipality_code):
    """Print the daily follow-up digest (no personal data: case numbers, organisations, dates)."""
    org = org_rules.get_organization_by_code(org_code) if org_code else None
    lead = None
    if lead_email:
        lead = db.session().scalar(select(User).where(User.email == lead_email.strip().lower()))
        if lead is None:
            raise validation_problem({"lead": [f"利用者 {lead_email} は登録されていません。"]})

    municipality = tenancy.get_by_code(municipality_code) if municipality_code else None
    days = followup.default_stale_days(current_app.config) if days is None else days
    for line in followup.digest(org=org, days=days, lead=lead, municipality_id=municipality.id if municipality else None):
        click.echo(line)
