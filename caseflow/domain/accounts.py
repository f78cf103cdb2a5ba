"""Organisations and users: creation, roles, deactivation. Used by the API and the CLI alike."""
from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy import select

from caseflow import audit, db
from caseflow.db import utcnow
from caseflow.errors import Problem, validation_problem
from caseflow.models import ORG_KINDS, ROLES, LoginSession, Organization, User, UserRole
from caseflow.security import check_password_policy, hash_password
from caseflow.text import unsafe_characters

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_organization(*, code: str, name: str, kind: str, parent_code: str | None = None,
                        actor=None) -> Organization:
    s = db.session()
    errors = {}
    if not CODE_RE.match(code or ""):
        errors["code"] = ["英小文字・数字・ハイフンで2〜64文字にしてください。"]
    if kind not in ORG_KINDS:
        errors["kind"] = [f"次のいずれかを指定してください: {', '.join(ORG_KINDS)}"]
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        errors["name"] = ["名称は必須です。"]
    elif unsafe_characters(name):
        errors["name"] = [unsafe_characters(name)]
    parent = None
    if parent_code:
        parent = s.scalar(select(Organization).where(Organization.code == parent_code))
        if parent is None:
            errors["parent"] = ["指定された上位組織が見つかりません。"]
    if errors:
        raise validation_problem(errors)
    if s.scalar(select(Organization.id).where(Organization.code == code)):
        raise Problem(409, detail="このコードの組織はすでに登録されています。", type_="duplicate",
                      errors={"code": ["すでに使われています。"]})
    org = Organization(code=code, name=name, kind=kind, parent=parent)
    s.add(org)
    s.flush()
    audit.record(s, action="organizations.create", resource_type="organizations", resource_id=org.id,
                 actor=actor, detail={"code": code, "kind": kind})
    return org


def get_organization_by_code(code: str) -> Organization:
    org = db.session().scalar(select(Organization).where(Organization.code == code))
    if org is None:
        raise validation_problem({"org": [f"組織コード {code} は登録されていません。"]})
    return org


def create_user(*, org: Organization, email: str, password: str, display_name: str,
                roles: list[str], actor=None) -> User:
    s = db.session()
    email = (email or "").strip().lower()
    errors = {}
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors["email"] = ["メールアドレスの形式が正しくありません。"]
    bad_roles = [r for r in roles if r not in ROLES]
    if not roles or bad_roles:
        errors["roles"] = [f"次のいずれかを指定してください: {', '.join(ROLES)}"]
    pw_problems = check_password_policy(password or "", email)
    if pw_problems:
        errors["password"] = pw_problems
    display_name = unicodedata.normalize("NFKC", display_name or "").strip()
    if unsafe_characters(display_name):
        errors["display_name"] = [unsafe_characters(display_name)]
    if errors:
        raise validation_problem(errors)
    if s.scalar(select(User.id).where(User.email == email)):
        raise Problem(409, detail="このメールアドレスはすでに登録されています。", type_="duplicate",
                      errors={"email": ["すでに使われています。"]})
    user = User(org_id=org.id, org=org, email=email, display_name=display_name or email.split("@")[0],
                password_hash=hash_password(password),
                role_rows=[UserRole(role=r) for r in sorted(set(roles))])
    s.add(user)
    s.flush()
    audit.record(s, action="users.create", resource_type="users", resource_id=user.id, actor=actor,
                 detail={"org": org.code, "roles": sorted(set(roles))})
    return user


def update_user(user: User, *, actor, display_name: str | None = None, roles: list[str] | None = None,
                active: bool | None = None, password: str | None = None) -> User:
    s = db.session()
    changed = []
    if display_name is not None:
        display_name = unicodedata.normalize("NFKC", display_name).strip()
        if not display_name or unsafe_characters(display_name):
            raise validation_problem({"display_name": [unsafe_characters(display_name) or "表示名は必須です。"]})
        user.display_name = display_name
        changed.append("display_name")
    if roles is not None:
        bad = [r for r in roles if r not in ROLES]
        if not roles or bad:
            raise validation_problem({"roles": [f"次のいずれかを指定してください: {', '.join(ROLES)}"]})
        user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
        changed.append("roles")
    if password is not None:
        problems = check_password_policy(password, user.email)
        if problems:
            raise validation_problem({"password": problems})
        user.password_hash = hash_password(password)
        changed.append("password")
    if active is not None and active != user.active:
        if not active and actor is not None and user.id == actor.id:
            raise Problem(409, detail="自分自身を無効にすることはできません。")
        user.active = active
        user.deactivated_at = None if active else utcnow()
        changed.append("active")
    if "active" in changed or "password" in changed:
        _end_sessions(user)
    audit.record(s, action="users.update", resource_type="users", resource_id=user.id, actor=actor,
                 detail={"changed": changed})
    return user


def _end_sessions(user: User) -> None:
    now = utcnow()
    for ls in db.session().scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
    ):
        ls.revoked_at = now


def get_user(user_id: uuid.UUID) -> User | None:
    return db.session().get(User, user_id)
