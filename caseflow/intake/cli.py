"""`caseflow notifications retry|list`: send again what could not be delivered (no personal data printed)."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from caseflow.core.cli import fail_on_problem
from caseflow.intake import escalation


@click.group("notifications", cls=AppGroup)
def notifications_group():
    """Notifications of critical cases: send again what could not be delivered."""


@notifications_group.command("retry")
@with_appcontext
@fail_on_problem
def notifications_retry():
    """E-mail every undelivered notification again; exit 1 while some stay undelivered."""
    pending = escalation.undelivered()
    sent = escalation.deliver(pending)
    click.echo(f"delivered: {sent}, still undelivered: {len(pending) - sent}")
    if sent < len(pending):
        raise SystemExit(1)


@notifications_group.command("list")
@with_appcontext
@fail_on_problem
def notifications_list():
    """The undelivered notifications: id, case id, attempts, last error."""
    for n in escalation.undelivered():
        click.echo(f"{n.id} case={n.case_id} attempts={n.attempts} error={n.last_error or '-'}")
