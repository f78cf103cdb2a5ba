from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from caseflow.accounts import rules as accounts
from caseflow.core import db
from caseflow.core.cli import fail_on_problem, no_my_number
from caseflow.organizations import rules as org_rules


@click.group("users", cls=AppGroup)
def users_group():
    """Users."""


@users_group.command("create")
@click.option("--org", "org_code", required=True, help="Organisation code")
@click.option("--role", "roles", required=True, multiple=True, help="coordinator, staff, npo_staff, supervisor, auditor, admin (repeatable)")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 12 characters")
@click.option("--name", "display_name", default="", help="Display name", callback=no_my_number)
@with_appcontext
@fail_on_problem
def users_create(org_code, roles, email, password, display_name):
    """Create a user."""

    org = org_rules.get_organization_by_code(org_code)
    user = accounts.create_user(org=org, email=email, password=password, display_name=display_name,
                                roles=list(roles))
    db.session().commit()
    click.echo(f"created user {user.email} ({user.id}) in {org.code} with roles {', '.join(user.roles)}")
