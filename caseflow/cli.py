"""The `caseflow` command. Each command's module is imported only when that command runs, so that
`caseflow --help` is quick and builds no app; a bad setting or an unusable database is one line on stderr and
exit 2, never a traceback."""
from __future__ import annotations

import importlib
import sys
from importlib.metadata import entry_points

import click
from flask.cli import ScriptInfo

import caseflow

# name -> (module, attribute, the one-line help shown by `caseflow --help`; tests/service/test_operations.py
# checks it against the command's own).
COMMANDS = {
    "db": ("caseflow.commands", "db_group", "Database schema (Alembic migrations)."),
    "run": ("caseflow.commands", "run", "Run the development server."),
    "municipalities": ("caseflow.organizations.cli", "municipalities_group", "Municipalities (the tenants), their "
                       "secretariat and memberships (the platform operator's tool)."),
    "orgs": ("caseflow.organizations.cli", "orgs_group", "Organisations."),
    "codes": ("caseflow.codes.cli", "codes_group", "Managed code lists (issue categories, channels, districts …)."),
    "users": ("caseflow.accounts.cli", "users_group", "Users."),
    "audit": ("caseflow.audit.cli", "audit_group", "The audit trail."),
    "followup": ("caseflow.plans.cli", "followup_group",
                 "Follow-up lists: overdue tasks, cases without progress, cases without an owner."),
    "retention": ("caseflow.retention.cli", "retention_group",
                  "保存年限: the retention schedule, legal holds, and the purge of personal data past it."),
    "notifications": ("caseflow.intake.cli", "notifications_group",
                      "Notifications of critical cases: send again what could not be delivered."),
    "mynumber": ("caseflow.commands", "mynumber_group",
                 "個人番号 (My Number): this system must not keep any (番号法); find those stored anyway."),
}


class Commands(click.Group):
    """Commands loaded on use: ours (COMMANDS) and those that ship beside the product without it depending on
    them (the demo world), the entry points of the group "caseflow.commands" (setup.cfg)."""

    def _plugins(self) -> dict:
        return {e.name: e for e in entry_points(group="caseflow.commands")}

    def list_commands(self, ctx):
        return sorted({*COMMANDS, *self._plugins()})

    def get_command(self, ctx, name):
        if name in COMMANDS:
            module, attribute, _help = COMMANDS[name]
            return getattr(importlib.import_module(module), attribute)
        plugin = self._plugins().get(name)
        return plugin.load() if plugin else None

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][2] if name in COMMANDS else f"see `caseflow {name} --help`")
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, *args, **kwargs):
        try:
            return super().main(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 -- only what an operator can fix becomes one line
            message = operator_error(exc)
            if message is None:
                raise
            click.echo(f"caseflow: error: {message}", err=True)
            sys.exit(2)


def operator_error(exc: BaseException) -> str | None:
    """One line for a misconfiguration or an unusable database; None for a bug (its traceback is wanted)."""
    config = sys.modules.get("caseflow.core.config")
    if config is not None and isinstance(exc, config.ConfigError):
        return str(exc).replace("\n", "; ")
    sa = sys.modules.get("sqlalchemy.exc")
    if sa is not None and isinstance(exc, (sa.OperationalError, sa.InterfaceError)):
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if "no such table" in detail or ("relation" in detail and "does not exist" in detail):
            return f"the database has no schema or an old one ({detail}): run `caseflow db upgrade` first"
        return f"cannot use the database (CASEFLOW_DATABASE_URL): {detail}"
    return None


def _create_app():
    # The settings first: a bad value is reported before the whole app is imported (seconds).
    importlib.import_module("caseflow.core.config").read_settings()
    return caseflow.create_app()


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx):
    """caseflow — case coordination for 重層的支援 and 孤独・孤立 platforms."""
    ctx.obj = ScriptInfo(create_app=_create_app, set_debug_flag=False, load_dotenv_defaults=False)
