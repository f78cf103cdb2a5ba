from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from caseflow.accounts import rules as accounts
from caseflow.accounts.imports import import_users
from caseflow.core import db
from caseflow.core.cli import fail_on_problem, finish_import, no_my_number
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


@users_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--passwords-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="New file (mode 0600) that receives each new user's initial password; required unless --dry-run")
@click.option("--dry-run", is_flag=True, help="Check every row and report; store nothing")
@with_appcontext
@fail_on_problem
def users_import(path, passwords_out, dry_run):
    """Import users from a CSV (UTF-8 or Shift_JIS) or .xlsx file: columns メールアドレス, 氏名, 組織コード, 役割
    (several separated by spaces or 、). All or nothing; each new user gets a random initial password, written
    only to --passwords-out."""

    out = None
    if not dry_run:
        if passwords_out is None:
            raise click.BadParameter("初期パスワードの出力先を指定してください。", param_hint="--passwords-out")
        try:  # created now, before anything is stored: an unwritable path fails first, an existing file is kept
            out = os.open(passwords_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise click.BadParameter(f"作成できません ({exc.strerror})。", param_hint="--passwords-out") from None
    try:
        report, passwords = import_users(path, dry_run=dry_run)
    except BaseException:
        if out is not None:
            os.close(out)
            passwords_out.unlink()
        raise
    if out is not None:
        with os.fdopen(out, "w", encoding="utf-8") as f:
            f.writelines(f"{email},{password}\n" for email, password in passwords)
        if not report.ok:
            passwords_out.unlink()
    finish_import(report, dry_run=dry_run, what="利用者")
