"""Organisations and users: who may create and change them, and the second approver for privileged roles.

Used by the API and the CLI. The CLI is the platform operator's tool and acts with `actor=None`: it may create
any organisation and grant any role at once (CONTRACT.md). Through the API:

* an organisation's `admin` manages its own organisation's users, with the roles coordinator, staff and
  npo_staff only, and never a user who holds a role it could not grant (a peer admin, an auditor, a
  supervisor);
* a municipality's secretariat (`secretariat` role, in the organisation the municipality names as its
  secretariat) creates and edits the organisations at home there and manages their users with any role;
  `secretariat` itself only inside the secretariat organisation;
* nobody changes their own roles or deactivates themselves;
* granting a privileged role (admin, auditor, secretariat) opens a RoleRequest that another secretariat user
  of the same municipality approves -- neither the requester nor the user concerned;
* a password is set by an administrator only for users who hold basic roles only; holders of other roles
  change their own (`POST /auth/password`) or the operator resets it;
* every change of roles is its own audit event (`users.roles`, `roles.*`), listed in the role-change
  anomaly report.
"""
from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy import false, or_, select
from sqlalchemy.sql import ColumnElement, Select

from caseflow.access import tenancy, trail
from caseflow.access.sessions import check_password_policy, hash_password, password_matches
from caseflow.accounts.models import PRIVILEGED_ROLES, ROLES, LoginSession, RoleRequest, User, UserRole
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.text import unsafe_characters
from caseflow.organizations.models import Municipality, Organization

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BASIC_ROLES = ("coordinator", "staff", "npo_staff")
NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"
FORBIDDEN = "この操作を行う権限がありません。"


# --- organisations ---------------------------------------------------------------------------


# --- who administers whom ----------------------------------------------------------------------

def _managed_orgs(actor) -> ColumnElement[bool]:
    """SQL on Organization: the organisations whose users the actor manages."""
    conds = []
    if "admin" in actor.roles:
        conds.append(Organization.id == actor.org_id)
    administered = tenancy.administered_municipality_id(actor)
    if administered is not None:
        conds.append(Organization.municipality_id == administered)
    return or_(*conds) if conds else false()


def manages_org(actor, org: Organization) -> bool:
    return actor is None or db.session().scalar(
        select(Organization.id).where(Organization.id == org.id, _managed_orgs(actor))) is not None


def _secretariat_over(actor, org: Organization) -> bool:
    return actor is not None and org.municipality_id == tenancy.administered_municipality_id(actor)


def grantable_roles(actor, org: Organization) -> set[str]:
    """The roles `actor` may give (directly, or through a second approver) to a user of `org`."""
    if actor is None:
        return set(ROLES)
    roles: set[str] = set()
    if "admin" in actor.roles and actor.org_id == org.id:
        roles |= set(BASIC_ROLES)
    if _secretariat_over(actor, org):
        roles |= set(ROLES) - {"secretariat"}
        if db.session().get(Municipality, org.municipality_id).secretariat_org_id == org.id:
            roles.add("secretariat")
    return roles


def visible_users_query(actor) -> Select:
    """Users the actor may read: those it manages; a supervisor also reads its own organisation's."""
    cond = _managed_orgs(actor)
    if "supervisor" in actor.roles:
        cond = or_(cond, Organization.id == actor.org_id)
    return select(User).join(Organization, Organization.id == User.org_id).where(cond)


def get_visible_user(actor, user_id: uuid.UUID) -> User:
    user = db.session().scalar(visible_users_query(actor).where(User.id == user_id))
    if user is None:
        raise Problem(404, detail=NOT_FOUND)
    return user


def _require_manageable(actor, user: User, what: str) -> None:
    """The actor manages the user's organisation, is not the user, and could grant every role the user holds."""
    if actor is None:
        return
    if user.id == actor.id:
        raise Problem(403, detail=f"自分自身の{what}は変更できません。", type_="forbidden")
    if not manages_org(actor, user.org):
        raise Problem(403, detail=FORBIDDEN, type_="forbidden")
    beyond = set(user.roles) - grantable_roles(actor, user.org)
    if beyond:
        raise Problem(403, detail="この利用者はあなたが付与できない役割を持っているため、変更できません。",
                      type_="forbidden")


# --- users ------------------------------------------------------------------------------------

def _validate_roles(roles: list[str]) -> None:
    bad = [r for r in roles if r not in ROLES]
    if not roles or bad:
        raise validation_problem({"roles": [f"次のいずれかを指定してください: {', '.join(ROLES)}"]})


def create_user(*, org: Organization, email: str, password: str, display_name: str,
                roles: list[str], actor=None) -> User:
    """Create a user. With an actor (the API), the actor must manage `org`; basic and supervisor roles take
    effect at once, privileged ones (admin, auditor, secretariat) wait for a second approver."""
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
    roles = sorted(set(roles))
    if actor is not None:
        if not manages_org(actor, org):
            raise Problem(403, detail="この組織の利用者は登録できません。", type_="forbidden")
        refused = set(roles) - grantable_roles(actor, org)
        if refused:
            raise Problem(403, detail=f"付与できない役割です: {', '.join(sorted(refused))}", type_="forbidden",
                          errors={"roles": ["付与できない役割が含まれています。"]})
    if s.scalar(select(User.id).where(User.email == email)):
        raise Problem(409, detail="このメールアドレスはすでに登録されています。", type_="duplicate",
                      errors={"email": ["すでに使われています。"]})
    waiting = [r for r in roles if r in PRIVILEGED_ROLES] if actor is not None else []
    now_roles = [r for r in roles if r not in waiting]
    user = User(org_id=org.id, org=org, email=email, display_name=display_name or email.split("@")[0],
                password_hash=hash_password(password), role_rows=[UserRole(role=r) for r in now_roles])
    s.add(user)
    s.flush()
    trail.record(s, action="users.create", resource_type="users", resource_id=user.id, actor=actor,
                 municipality_id=org.municipality_id if actor is None else None,
                 detail={"org": org.code, "roles": now_roles, "requested": waiting, "via": "api" if actor else "cli"})
    for role in waiting:
        _request_role(user, role, actor)
    return user


def update_user(user: User, *, actor, display_name: str | None = None, roles: list[str] | None = None,
                active: bool | None = None, password: str | None = None) -> User:
    s = db.session()
    changed = []
    if roles is not None:
        _validate_roles(roles)
        set_roles(user, roles, actor=actor)
    if active is not None and active != user.active:
        if not active and actor is not None and user.id == actor.id:
            raise Problem(409, detail="自分自身を無効にすることはできません。")
        _require_manageable(actor, user, "有効・無効")
    if password is not None:
        _require_manageable(actor, user, "パスワード")
        if actor is not None and set(user.roles) - set(BASIC_ROLES):
            raise Problem(403, detail="基本の役割以外を持つ利用者のパスワードは、本人が変更します（運用者はCLIで再設定できます）。",
                          type_="forbidden")
    if display_name is not None:
        if actor is not None and user.id != actor.id and not manages_org(actor, user.org):
            raise Problem(403, detail=FORBIDDEN, type_="forbidden")
        display_name = unicodedata.normalize("NFKC", display_name).strip()
        if not display_name or unsafe_characters(display_name):
            raise validation_problem({"display_name": [unsafe_characters(display_name) or "表示名は必須です。"]})
        user.display_name = display_name
        changed.append("display_name")
    if password is not None:
        problems = check_password_policy(password, user.email)
        if problems:
            raise validation_problem({"password": problems})
        user.password_hash = hash_password(password)
        changed.append("password")
    if active is not None and active != user.active:
        user.active = active
        user.deactivated_at = None if active else utcnow()
        changed.append("active")
    if "active" in changed or "password" in changed:
        _end_sessions(user)
    if changed:
        trail.record(s, action="users.update", resource_type="users", resource_id=user.id, actor=actor,
                     municipality_id=user.org.municipality_id, detail={"changed": changed})
    return user


def change_own_password(user: User, current: str, new: str) -> None:
    """Self-service: the current password proves it is the user (a stolen session alone cannot)."""

    if not password_matches(user, current):
        raise validation_problem({"current_password": ["現在のパスワードが正しくありません。"]})
    problems = check_password_policy(new, user.email)
    if problems:
        raise validation_problem({"new_password": problems})
    user.password_hash = hash_password(new)
    _end_sessions(user)
    trail.record(db.session(), action="users.password", resource_type="users", resource_id=user.id, actor=user)


def set_roles(user: User, roles: list[str], *, actor) -> None:
    """Give the user exactly `roles`: removals and basic additions at once, privileged additions through a
    second approver. Audited as `users.roles` (before, after, requested)."""
    _require_manageable(actor, user, "役割")
    wanted = set(roles)
    before = set(user.roles)
    refused = (wanted - before) - grantable_roles(actor, user.org)
    if refused:
        raise Problem(403, detail=f"付与できない役割です: {', '.join(sorted(refused))}", type_="forbidden",
                      errors={"roles": ["付与できない役割が含まれています。"]})
    waiting = sorted(r for r in wanted - before if r in PRIVILEGED_ROLES) if actor is not None else []
    now = sorted(wanted - set(waiting))
    if set(now) != before:
        user.role_rows = [UserRole(role=r) for r in now]  # roles are read on every request: effective at once
    trail.record(db.session(), action="users.roles", resource_type="users", resource_id=user.id, actor=actor,
                 municipality_id=user.org.municipality_id,
                 detail={"before": sorted(before), "after": now, "requested": waiting})
    for role in waiting:
        _request_role(user, role, actor)


def _request_role(user: User, role: str, actor) -> RoleRequest:
    s = db.session()
    existing = s.scalar(select(RoleRequest).where(RoleRequest.user_id == user.id, RoleRequest.role == role,
                                                  RoleRequest.state == "pending"))
    if existing is not None:
        return existing
    req = RoleRequest(user_id=user.id, role=role, requested_by_user_id=actor.id, state="pending")
    s.add(req)
    s.flush()
    trail.record(s, action="roles.request", resource_type="role_requests", resource_id=req.id, actor=actor,
                 municipality_id=user.org.municipality_id, detail={"user_id": str(user.id), "role": role})
    return req


def role_requests_query(actor, *, state: str | None = "pending") -> Select:
    """Role requests for users of the organisations the actor administers as secretariat."""
    administered = tenancy.administered_municipality_id(actor)
    stmt = (select(RoleRequest).join(User, User.id == RoleRequest.user_id)
            .join(Organization, Organization.id == User.org_id)
            .where(Organization.municipality_id == administered if administered else false()))
    if state:
        stmt = stmt.where(RoleRequest.state == state)
    return stmt.order_by(RoleRequest.requested_at.desc(), RoleRequest.id)


def get_role_request(actor, request_id: uuid.UUID) -> RoleRequest:
    req = db.session().scalar(role_requests_query(actor, state=None).where(RoleRequest.id == request_id))
    if req is None:
        raise Problem(404, detail=NOT_FOUND)
    return req


def decide_role_request(req: RoleRequest, decision: str, *, actor, note: str | None = None) -> RoleRequest:
    """approve | reject (a second secretariat user) or withdraw (the requester)."""
    if req.state != "pending":
        raise Problem(409, detail="この申請はすでに処理されています。", type_="already-decided", current_state=req.state)
    user = db.session().get(User, req.user_id)
    if decision == "withdraw":
        if actor.id != req.requested_by_user_id:
            raise Problem(403, detail="取り下げは申請者のみ行えます。", type_="forbidden")
    else:
        if actor.id in (req.requested_by_user_id, req.user_id):
            raise Problem(403, detail="申請者本人・対象者本人は承認・却下できません（別の事務局職員が行います）。",
                          type_="forbidden")
        if req.role not in grantable_roles(actor, user.org):
            raise Problem(403, detail=FORBIDDEN, type_="forbidden")
    req.state = {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn"}[decision]
    req.decided_by_user_id = actor.id
    req.decided_at = utcnow()
    req.note = note
    if decision == "approve" and req.role not in user.roles:
        user.role_rows = [*user.role_rows, UserRole(role=req.role)]
    trail.record(db.session(), action=f"roles.{decision}", resource_type="role_requests", resource_id=req.id,
                 actor=actor, municipality_id=user.org.municipality_id,
                 detail={"user_id": str(user.id), "role": req.role, "requested_by": str(req.requested_by_user_id)})
    return req


def _end_sessions(user: User) -> None:
    now = utcnow()
    for ls in db.session().scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
    ):
        ls.revoked_at = now


def get_user(user_id: uuid.UUID) -> User | None:
    return db.session().get(User, user_id)
