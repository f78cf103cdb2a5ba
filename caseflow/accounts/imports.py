"""Users created from a list (CSV or .xlsx): e-mail, name, organisation code, roles.

Nobody types a password into a spreadsheet: each new user gets a random initial password, written only to a
file the operator names (mode 0600, never overwritten) to hand over and have changed at first login
(`POST /auth/password`). An existing e-mail is unchanged when organisation and roles match, and a bad row
otherwise: moving a person or changing roles is a deliberate act (`caseflow users` / the API), not a side
effect of re-importing a file.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path

from sqlalchemy import select

from caseflow.accounts import rules as accounts
from caseflow.accounts.models import User
from caseflow.core import db
from caseflow.core.errors import validation_problem
from caseflow.core.imports import CREATED, UNCHANGED, ImportReport, apply_rows
from caseflow.core.tabular import Row, read_table
from caseflow.organizations import rules as org_rules

COLUMNS = {
    "email": ("メールアドレス", "メール", "e-mail"),
    "name": ("氏名", "表示名", "名前"),
    "org": ("組織コード", "所属", "所属コード"),
    "roles": ("役割", "ロール"),
}
ROLE_SEPARATORS = re.compile(r"[\s,、;/]+")


def new_password() -> str:
    return secrets.token_urlsafe(18)


def import_users(path: Path, *, dry_run: bool, progress=None) -> tuple[ImportReport, list[tuple[str, str]]]:
    """Returns the report and, for the users created, (email, initial password)."""
    rows = read_table(path, COLUMNS, ("email", "org", "roles"))
    passwords: list[tuple[str, str]] = []

    def apply(row: Row) -> str:
        v = row.values
        roles = sorted({r for r in ROLE_SEPARATORS.split(v.get("roles", "")) if r})
        org = org_rules.get_organization_by_code(v.get("org", ""))
        email = v.get("email", "").lower()
        user = db.session().scalar(select(User).where(User.email == email))
        if user is not None:
            if user.org_id == org.id and sorted(user.roles) == roles:
                return UNCHANGED
            raise validation_problem({"email": ["登録済みの利用者です。所属・役割の変更は users コマンドか API で行ってください。"]})
        password = new_password()
        accounts.create_user(org=org, email=email, password=password, display_name=v.get("name", ""), roles=roles)
        passwords.append((email, password))
        return CREATED

    report = apply_rows(rows, apply, dry_run=dry_run, progress=progress)
    return report, passwords if report.ok and not dry_run else []
