from __future__ import annotations

import click
from flask.cli import with_appcontext

from caseflow.core.cli import fail_on_problem
from caseflow.demo import loader


@click.command("demo")
@click.option("--reset", is_flag=True, help="Delete all data first (never in production).")
@click.option("--password", envvar="CASEFLOW_DEMO_PASSWORD", default=None,
              help="Give every demo user this password instead of random ones.")
@click.option("--households", default=200, show_default=True, type=click.IntRange(1, 5000),
              help="How many demo households (each with a case).")
@with_appcontext
@fail_on_problem
def demo(reset, password, households):
    """Load the demo world (organisations, users with printed passwords, cases …). Idempotent."""

    try:
        loader.load(reset=reset, password=password, households=households, echo=click.echo)
    except loader.DemoRefused as exc:
        raise click.ClickException(str(exc)) from None
