"""Every route is either public by design or guarded by the authorization decision."""
import re

from caseflow.access import authz

PUBLIC_BY_DESIGN = {
    "auth.login",            # you cannot be authorised before you log in
    "health.health",          # liveness probe, no data
    "health.ready",           # readiness probe (database and schema), no data
    "api-docs.openapi_json",  # the API description
    "api-docs.openapi_redoc", # the human docs page
    "api-docs.redoc_script",  # its script (the vendored Redoc bundle)
}


def _concrete(rule) -> str:
    """A URL the rule matches: a UUID for each id, the first of an `any(...)` converter's values."""
    url = re.sub(r"<any\(([a-z_]+)[^)]*\):[a-z_]+>", r"\1", rule.rule)
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "00000000-0000-4000-8000-000000000000", url)


def test_every_route_is_public_by_design_or_guarded(app):
    undeclared, unexpected_public = [], []
    for rule in app.url_map.iter_rules():
        if not authz.endpoint_is_declared(app, rule.endpoint):
            undeclared.append(rule.endpoint)
        elif authz.endpoint_is_public(app, rule.endpoint) and rule.endpoint not in PUBLIC_BY_DESIGN:
            unexpected_public.append(rule.endpoint)
    assert undeclared == []
    assert unexpected_public == []


def test_every_guarded_route_refuses_anonymous_callers(app):
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if authz.endpoint_is_public(app, rule.endpoint):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(_concrete(rule), method=method, json={})
            assert r.status_code == 401, (rule.rule, method, r.status_code)
            assert r.mimetype == "application/problem+json"
            checked += 1
    assert checked >= 10


def test_guarded_routes_make_an_authorization_decision(app, basic):
    """Calling each guarded route as a user with no permissions at all is refused by the decision."""
    basic.org("nobody-org")
    basic.user("norole@example.jp", "nobody-org", "auditor")
    c = basic.client("norole@example.jp")
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if authz.endpoint_is_public(app, endpoint):
            continue
        resource, action = getattr(app.view_functions[endpoint], authz.GUARD_ATTR)
        if action in ("read", "review") and resource == "audit" or resource in ("account", "tokens", "organizations") and action in ("read", "manage"):
            continue  # auditors may do these
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = c.http.open(_concrete(rule), method=method, json={}, headers={"X-CSRF-Token": c.csrf})
            assert r.status_code in (403, 422), (rule.rule, method, r.status_code)


def test_an_undeclared_route_is_refused_at_run_time(app, basic):
    @app.route("/api/v1/forgotten")
    def forgotten():  # no @public, no @requires
        return {"secret": True}

    c = basic.client("admin@example.jp")
    r = c.get("/api/v1/forgotten")
    assert r.status_code == 403
    assert "secret" not in r.get_data(as_text=True)


def test_the_decision_is_cached_per_request(app, basic):
    calls = []
    enforcer = app.extensions["caseflow.enforcer"]
    original = enforcer.enforce

    def counting(*args):
        calls.append(args)
        return original(*args)

    enforcer.enforce = counting
    with app.test_request_context():
        from caseflow.accounts.models import User
        from caseflow.core import db

        user = db.session().get(User, basic.users["coord@example.jp"])
        for _ in range(50):
            assert authz.can("read", "cases", user)
    assert len(calls) == 1
