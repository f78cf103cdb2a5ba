"""The `caseflow` command: Flask's CLI group plus database, bootstrap, audit and demo commands."""
from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from caseflow import create_app


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
    from caseflow import migrate

    migrate.upgrade(revision)
    click.echo(f"database at {migrate.current() or 'base'}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Revert migrations down to REVISION."""
    from caseflow import migrate

    migrate.downgrade(revision)
    click.echo(f"database at {migrate.current() or 'base'}")


@db_group.command("current")
@with_appcontext
def db_current():
    """Print the applied migration revision."""
    from caseflow import migrate

    click.echo(migrate.current() or "base")


# --- bootstrap ------------------------------------------------------------------------------

def _fail_on_problem(fn):
    """Turn a domain Problem into a clear CLI error (exit 2) naming the fields."""
    import functools

    from caseflow.errors import Problem

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Problem as exc:
            lines = [exc.detail or exc.title]
            for field, msgs in (exc.errors or {}).items():
                lines.append(f"  {field}: {' '.join(msgs) if isinstance(msgs, list) else msgs}")
            raise click.ClickException("\n".join(lines)) from None

    return wrapper


@main.group("orgs")
def orgs_group():
    """Organisations."""


@orgs_group.command("create")
@click.option("--code", required=True, help="Short ASCII code, e.g. kmk-chiiki-kyosei")
@click.option("--name", required=True, help="Japanese name, e.g. 鎌倉市 地域共生課")
@click.option("--kind", required=True, help="department, shakyo, npo, association, welfare_corporation, care_center, other")
@click.option("--municipality", "municipality_code", default=None,
              help="Code of its home municipality (needed when the deployment has several)")
@click.option("--parent", "parent_code", default=None, help="Code of the parent organisation (a bureau)")
@with_appcontext
@_fail_on_problem
def orgs_create(code, name, kind, municipality_code, parent_code):
    """Register an organisation (in the deployment's only municipality unless --municipality names one)."""
    from caseflow import db
    from caseflow.domain import accounts, tenancy

    municipality = tenancy.default_for_new_organization(municipality_code, echo=click.echo)
    org = accounts.create_organization(code=code, name=name, kind=kind, parent_code=parent_code,
                                       municipality=municipality)
    db.session().commit()
    click.echo(f"created organisation {org.code} ({org.id}) in {municipality.code}")


# --- municipalities (the operator's) -------------------------------------------------------------

@main.group("municipalities")
def municipalities_group():
    """Municipalities (the tenants), their secretariat and memberships (the platform operator's tool)."""


@municipalities_group.command("create")
@click.option("--code", required=True, help="Short ASCII code, e.g. kamakura")
@click.option("--name", required=True, help="Japanese name, e.g. 鎌倉市")
@with_appcontext
@_fail_on_problem
def municipalities_create(code, name):
    """Create a municipality."""
    from caseflow import db
    from caseflow.domain import tenancy

    m = tenancy.create_municipality(code=code, name=name)
    db.session().commit()
    click.echo(f"created municipality {m.code} ({m.id})")


@municipalities_group.command("list")
@with_appcontext
def municipalities_list():
    """Every municipality with its secretariat."""
    from sqlalchemy import select

    from caseflow import db
    from caseflow.models import Municipality, Organization

    s = db.session()
    for m in s.scalars(select(Municipality).order_by(Municipality.code)):
        secretariat = s.get(Organization, m.secretariat_org_id) if m.secretariat_org_id else None
        click.echo(f"{m.code}\t{m.name}\tsecretariat={secretariat.code if secretariat else '-'}")


@municipalities_group.command("rename")
@click.option("--code", required=True, help="Current code")
@click.option("--new-code", default=None)
@click.option("--name", default=None)
@with_appcontext
@_fail_on_problem
def municipalities_rename(code, new_code, name):
    """Change a municipality's code or name (its district lists follow)."""
    from caseflow import db
    from caseflow.domain import tenancy

    m = tenancy.rename_municipality(tenancy.get_by_code(code), code=new_code, name=name)
    db.session().commit()
    click.echo(f"municipality {m.code}: {m.name}")


@municipalities_group.command("secretariat")
@click.option("--code", required=True, help="Municipality code")
@click.option("--org", "org_code", required=True, help="Code of the organisation that runs the platform (事務局)")
@with_appcontext
@_fail_on_problem
def municipalities_secretariat(code, org_code):
    """Name the municipality's secretariat organisation (its `secretariat` users administer the municipality)."""
    from caseflow import db
    from caseflow.domain import accounts, tenancy

    m = tenancy.set_secretariat(tenancy.get_by_code(code), accounts.get_organization_by_code(org_code))
    db.session().commit()
    click.echo(f"secretariat of {m.code}: {org_code}")


@municipalities_group.command("grant-membership")
@click.option("--code", required=True, help="Municipality code")
@click.option("--org", "org_code", required=True, help="Code of an organisation at home elsewhere")
@click.option("--reason", default=None)
@with_appcontext
@_fail_on_problem
def municipalities_grant(code, org_code, reason):
    """Let an organisation of another municipality take part in this one."""
    from caseflow import db
    from caseflow.domain import accounts, tenancy

    ms = tenancy.grant_membership(tenancy.get_by_code(code), accounts.get_organization_by_code(org_code), reason=reason)
    db.session().commit()
    click.echo(f"{org_code} is a member of {code} ({ms.id})")


# --- managed lists ------------------------------------------------------------------------------

@main.group("codes")
def codes_group():
    """Managed code lists (issue categories, channels, districts …)."""


@codes_group.command("add")
@click.option("--list", "list_name", required=True, help="issue_category, intake_channel, closure_reason, district …")
@click.option("--code", required=True)
@click.option("--label", required=True, help="Japanese label")
@click.option("--municipality", "municipality_code", default=None, help="Municipality code (for districts)")
@with_appcontext
@_fail_on_problem
def codes_add(list_name, code, label, municipality_code):
    """Add an entry to a managed list."""
    from caseflow import db
    from caseflow.domain import codes, tenancy
    from caseflow.models import CODE_LISTS

    if list_name not in CODE_LISTS:
        raise click.ClickException(f"unknown list {list_name}: {', '.join(CODE_LISTS)}")
    m = tenancy.get_by_code(municipality_code) if municipality_code else None
    codes.add(list_name, code, label, municipality=m)
    db.session().commit()
    click.echo(f"added {list_name}:{code}")


@main.group("users")
def users_group():
    """Users."""


@users_group.command("create")
@click.option("--org", "org_code", required=True, help="Organisation code")
@click.option("--role", "roles", required=True, multiple=True, help="coordinator, staff, npo_staff, supervisor, auditor, admin (repeatable)")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 12 characters")
@click.option("--name", "display_name", default="", help="Display name")
@with_appcontext
@_fail_on_problem
def users_create(org_code, roles, email, password, display_name):
    """Create a user."""
    from caseflow import db
    from caseflow.domain import accounts

    org = accounts.get_organization_by_code(org_code)
    user = accounts.create_user(org=org, email=email, password=password, display_name=display_name,
                                roles=list(roles))
    db.session().commit()
    click.echo(f"created user {user.email} ({user.id}) in {org.code} with roles {', '.join(user.roles)}")


# --- audit ----------------------------------------------------------------------------------

@main.group("audit")
def audit_group():
    """The audit trail."""


@audit_group.command("verify")
@click.option("--incremental/--full", default=False,
              help="--full (default): the whole chain, or from the signed checkpoint ending an archived range. "
                   "--incremental: only events after the latest signed checkpoint (fast; for frequent runs).")
@with_appcontext
def audit_verify(incremental):
    """Check the hash chain; exit 1 naming the first bad event. Each run is stored as a checkpoint."""
    from flask import current_app

    from caseflow import db
    from caseflow.domain import audit_reports

    s = db.session()
    run = audit_reports.run_verification(s, audit_reports.checkpoint_key(current_app.config),
                                         incremental=incremental)
    s.commit()
    if run.checked == 0 and run.ok:
        scope = f"nothing new after checkpoint {run.from_seq}"
    else:
        scope = f"events {run.from_seq + 1}..{run.to_seq}" if run.from_seq else "from the genesis"
    speed = f"{run.events_per_second:,.0f} events/s"
    if run.ok:
        click.echo(f"audit chain intact: {run.checked} events verified in {run.seconds:.2f}s ({speed}; "
                   f"{run.mode}, {scope}); checkpoint {run.to_seq}")
        return
    click.echo(f"audit chain BROKEN at event {run.first_bad_seq}: {run.problem} "
               f"({run.checked} events verified before it; {run.mode}, {speed})", err=True)
    sys.exit(1)


# --- follow-up ------------------------------------------------------------------------------

@main.group("followup")
def followup_group():
    """Follow-up lists: overdue tasks, cases without progress, cases without an owner."""


@followup_group.command("digest")
@click.option("--org", "org_code", default=None, help="Only the cases this organisation works on (default: all)")
@click.option("--days", type=click.IntRange(0, 3650), default=None,
              help="Cases with no progress record for N days (default: CASEFLOW_FOLLOWUP_STALE_DAYS or 30)")
@click.option("--lead", "lead_email", default=None, help="Only the cases whose lead worker (coordinator) is EMAIL")
@click.option("--municipality", "municipality_code", default=None, help="Only this municipality's cases")
@with_appcontext
@_fail_on_problem
def followup_digest(org_code, days, lead_email, municipality_code):
    """Print the daily follow-up digest (no personal data: case numbers, organisations, dates)."""
    from sqlalchemy import select

    from caseflow import db
    from caseflow.domain import accounts, followup
    from caseflow.errors import validation_problem
    from caseflow.models import User

    org = accounts.get_organization_by_code(org_code) if org_code else None
    lead = None
    if lead_email:
        lead = db.session().scalar(select(User).where(User.email == lead_email.strip().lower()))
        if lead is None:
            raise validation_problem({"lead": [f"利用者 {lead_email} は登録されていません。"]})
    from caseflow.domain import tenancy

    municipality = tenancy.get_by_code(municipality_code) if municipality_code else None
    for line in followup.digest(org=org, days=days, lead=lead, municipality_id=municipality.id if municipality else None):
        click.echo(line)


# --- demo -----------------------------------------------------------------------------------

@main.command("demo")
@click.option("--reset", is_flag=True, help="Delete all data first (never in production).")
@click.option("--password", envvar="CASEFLOW_DEMO_PASSWORD", default=None,
              help="Give every demo user this password instead of random ones.")
@click.option("--households", default=200, show_default=True, type=click.IntRange(1, 5000),
              help="How many demo households (each with a case).")
@with_appcontext
@_fail_on_problem
def demo(reset, password, households):
    """Load the demo world (organisations, users with printed passwords, cases …). Idempotent."""
    from caseflow.demo import loader

    try:
        loader.load(reset=reset, password=password, households=households, echo=click.echo)
    except loader.DemoRefused as exc:
        raise click.ClickException(str(exc)) from None


# --- benchmarks -------------------------------------------------------------------------------

from caseflow.bench import bench_group  # noqa: E402  (benchmark data: `caseflow bench seed`)

main.add_command(bench_group)
