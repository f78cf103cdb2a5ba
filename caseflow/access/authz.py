"""What a role may do in its organisation: one decision function, backed by casbin.

`policies/model.conf` is RBAC with the organisation (its code) as the domain; `policies/policy.csv`
holds a few dozen shared rules (domain `*`). Which *records* a caller sees is decided elsewhere
(caseflow.access.sharing, in SQL); this module answers "may this user do ACTION on RESOURCE at all".

Every view is either `@public` (login, docs) or `@requires(resource, action)`; a request to a view
with neither is refused (fail closed), and tests walk `app.url_map` to prove it.
"""
from __future__ import annotations

import functools
from pathlib import Path

import casbin
from flask import current_app, g, request
from flask_login import current_user

from caseflow.access import tenancy, trail
from caseflow.core import db
from caseflow.core.errors import Problem
from caseflow.core.resources import find_dir

PUBLIC_ATTR = "_caseflow_public"
GUARD_ATTR = "_caseflow_guard"


def _domain_match(request_domain: str, policy_domain: str) -> bool:
    return policy_domain == "*" or request_domain == policy_domain


def load_enforcer(policy_dir: str | None = None) -> casbin.Enforcer:
    folder = find_dir("policies", policy_dir)
    enforcer = casbin.Enforcer(str(Path(folder) / "model.conf"), str(Path(folder) / "policy.csv"))
    # Role inheritance rules written for domain "*" apply in every organisation.
    enforcer.add_named_domain_matching_func("g", _domain_match)
    enforcer.build_role_links()
    return enforcer


def init_app(app) -> None:
    app.extensions["caseflow.enforcer"] = load_enforcer(app.config.get("POLICY_DIR"))
    app.extensions["caseflow.on_refusal"] = _record_refusal


def _record_refusal() -> None:
    """A 403 decided by a rule (not by `deny`): record it as a denied attempt, named after the view."""
    if not current_user.is_authenticated:
        return
    guard = getattr(current_app.view_functions.get(request.endpoint), GUARD_ATTR, None)
    resource, action = guard if guard else ("request", request.endpoint or "unknown")
    resource_id = next((str(v) for k, v in (request.view_args or {}).items() if k.endswith("_id")), None)
    _record_denial(action, resource, resource_id)


def can(action: str, resource: str, user=None) -> bool:
    """May `user` (default: the caller) do `action` on `resource` in its organisation?

    Decisions are cached for the request: the enforcer walks every policy row per call.
    """
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return False
    cache = g.setdefault("authz_cache", {})
    key = (user.id, resource, action)
    if key not in cache:
        enforcer = current_app.extensions["caseflow.enforcer"]
        domain = user.org.code
        cache[key] = user.org.active and any(
            enforcer.enforce(role, domain, resource, action) for role in user.roles
        )
    return cache[key]


def deny(action: str, resource: str, resource_id=None, status: int = 403) -> Problem:
    """Audit a refused attempt in its own transaction and build the problem to raise (a view may raise it or,
    when it re-raises a domain Problem instead, mark that one `audited` -- caseflow.referrals.api does)."""
    _record_denial(action, resource, resource_id)
    if status == 404:
        return Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    problem = Problem(403, detail="この操作を行う権限がありません。", type_="forbidden")
    problem.audited = True
    return problem


def _record_denial(action: str, resource: str, resource_id) -> None:
    s = db.session()
    s.rollback()
    trail.record(s, action=f"{resource}.{action}", resource_type=resource, resource_id=resource_id,
                 actor=current_user if current_user.is_authenticated else None, outcome="denied")
    s.commit()


def authorize(action: str, resource: str, resource_id=None) -> None:
    """Raise 401/403 (audited) unless the caller may do it, in the municipality the request acts in."""
    if not current_user.is_authenticated:
        raise Problem(401, detail="この操作には認証が必要です。", type_="unauthenticated")
    g.authz_checked = True
    _choose_municipality(current_user._get_current_object())
    if not can(action, resource):
        raise deny(action, resource, resource_id)


def _choose_municipality(user) -> None:
    """Fix the municipality this request acts in (caseflow.access.tenancy): the X-Caseflow-Municipality
    header, when the caller's organisation belongs to it; its home otherwise. Naming one it does not belong
    to is refused and audited, whatever the route."""
    if user.acting_municipality_id is not None:
        return
    requested = request.headers.get(tenancy.HEADER, "")[:64]
    chosen = tenancy.choose_acting(user, requested)
    if chosen is None:
        raise deny("act", "municipalities")
    user.acting_municipality_id = chosen


def requires(resource: str, action: str):
    """Guard a view: the caller must be logged in and allowed `action` on `resource`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            authorize(action, resource)
            return view(*args, **kwargs)

        setattr(wrapper, GUARD_ATTR, (resource, action))
        return wrapper

    return decorator


def public(view):
    """Mark a view as reachable without an authorization decision (login, health, docs)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


# flask-smorest's own documentation endpoints are public by design.
PUBLIC_ENDPOINTS = {"api-docs.openapi_json", "api-docs.openapi_redoc", "api-docs.redoc_script"}


def endpoint_is_public(app, endpoint: str) -> bool:
    return endpoint in PUBLIC_ENDPOINTS or getattr(app.view_functions.get(endpoint), PUBLIC_ATTR, False)


def endpoint_is_declared(app, endpoint: str) -> bool:
    return endpoint_is_public(app, endpoint) or hasattr(app.view_functions.get(endpoint), GUARD_ATTR)
