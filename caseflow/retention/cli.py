"""`caseflow retention plan|purge|hold|release`: what the schedule makes due, the purge, legal holds."""
from __future__ import annotations

import getpass

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from caseflow.access import tenancy
from caseflow.core.cli import fail_on_problem, no_my_number
from caseflow.core.db import utcnow
from caseflow.retention import rules
from caseflow.retention.models import HOLD_REASONS


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "operator"


@click.group("retention", cls=AppGroup)
def retention_group():
    """保存年限: the retention schedule, legal holds, and the purge of personal data past it."""


def _municipality_id(code):
    return tenancy.get_by_code(code).id if code else None


@retention_group.command("plan")
@click.option("--municipality", "municipality_code", default=None, help="Only this municipality's cases")
@with_appcontext
@fail_on_problem
def retention_plan(municipality_code):
    """Print what a purge now would remove: counts by rule, persons, households, cases on hold (no personal data,
    no case numbers)."""
    sched = rules.schedule(current_app.config)
    p = rules.plan(utcnow(), sched, municipality_id=_municipality_id(municipality_code))
    click.echo("schedule (years after closure): " + ", ".join(f"{k}={v}" for k, v in sorted(sched.items())))
    click.echo(f"cases due: {p['cases']}")
    for rule, n in p["by_rule"].items():
        click.echo(f"  {rule}: {n}")
    click.echo(f"persons to purge: {p['persons']}")
    click.echo(f"households to scrub: {p['households']}")
    click.echo(f"on legal hold (not purged): {p['on_hold']}")
    click.echo(f"approved deletion requests (消去請求): {p['requests']}")


@retention_group.command("purge")
@click.option("--municipality", "municipality_code", default=None, help="Only this municipality's cases")
@click.option("--batch", type=click.IntRange(1, 500), default=100, show_default=True,
              help="Cases per transaction")
@click.option("--limit", type=click.IntRange(1), default=None, help="Purge at most N cases (the oldest closures)")
@click.option("--by", "by", default=None, callback=no_my_number,
              help="Who runs the purge (recorded in the tombstones and the audit trail; default: the login name)")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation")
@click.option("--quiet", is_flag=True, help="no progress lines")
@with_appcontext
@fail_on_problem
def retention_purge(municipality_code, batch, limit, by, yes, quiet):
    """Purge the personal data of every case past its retention (see `retention plan`), in batches; each batch
    commits whole, so an interrupted purge is finished by running it again, and a second run does nothing."""
    sched = rules.schedule(current_app.config)
    muni = _municipality_id(municipality_code)
    now = utcnow()
    planned = rules.plan(now, sched, municipality_id=muni)
    if not planned["cases"] and not planned["requests"]:
        click.echo("nothing is due")
        return
    if not yes:
        click.confirm(f"purge {planned['cases']} case(s), {planned['persons']} person(s) and {planned['requests']} "
                      f"deletion request(s)?", abort=True)

    def progress(done, total, _result):
        if not quiet:
            click.echo(f"purging: {done}/{total} cases", err=True)

    result = rules.purge(now, sched, by=by or _operator(), batch=batch, municipality_id=muni, limit=limit,
                         progress=progress)
    click.echo(f"purged {result.cases} case(s), {result.persons} person(s), {result.households} household "
               f"address(es) in {result.batches} batch(es); {result.requests} deletion request(s) carried out; "
               f"{result.on_hold} on legal hold")


@retention_group.command("hold")
@click.argument("case_number")
@click.option("--municipality", "municipality_code", required=True, help="The case's municipality (code)")
@click.option("--reason", type=click.Choice(HOLD_REASONS), required=True,
              help="litigation (訴訟), disclosure_request (開示請求), audit, other")
@click.option("--reference", default=None, callback=no_my_number,
              help="A file number of the matter (no personal data)")
@click.option("--by", "by", default=None, callback=no_my_number, help="Who places the hold (default: login name)")
@with_appcontext
@fail_on_problem
def retention_hold(case_number, municipality_code, reason, reference, by):
    """Place a legal hold (訴訟・開示請求対応) on a case: it is not purged until the hold is released."""
    case = rules.case_by_number(_municipality_id(municipality_code), case_number)
    hold = rules.place_hold(case, reason=reason, reference=reference, by=by or _operator())
    click.echo(f"hold {hold.id} placed on {case.case_number}")


@retention_group.command("release")
@click.argument("case_number")
@click.option("--municipality", "municipality_code", required=True, help="The case's municipality (code)")
@click.option("--by", "by", default=None, callback=no_my_number, help="Who releases the hold (default: login name)")
@with_appcontext
@fail_on_problem
def retention_release(case_number, municipality_code, by):
    """Release the open legal holds of a case: its retention runs again from its closure."""
    case = rules.case_by_number(_municipality_id(municipality_code), case_number)
    n = rules.release_holds(case, by=by or _operator())
    click.echo(f"{n} hold(s) released on {case.case_number}")
