"""Auditors review who saw what; they never read case content, persons or notes themselves.

The walk covers every route the app has, so routes added later are checked without editing this test.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import UTC

from caseflow.access import authz

# Where an auditor legitimately goes: the trail itself, their own login, the organisation directory,
# statistics, and the liveness probe.
AUDITOR_PREFIXES = ("/api/v1/audit-events", "/api/v1/auth", "/api/v1/organizations", "/api/v1/reports",
                    "/api/v1/municipalities",  # where the caller may act: names and codes only
                    "/api/v1/health",
                    "/api/v1/codes",  # managed reference lists (issue categories, districts …): no personal data
                    "/api/v1/events")  # 勉強会/交流会 and which organisations took part: organisational data only
# Permissions an auditor may hold: none of them reaches case content or personal data.
AUDITOR_RESOURCES = {"audit", "account", "tokens", "organizations", "reports",
                     "events"}  # the yearly event report: counts per kind and per organisation, no persons
# The API description (public by design, no data; tests/test_routes.py keeps this set closed).
DOCS_ENDPOINTS = {"api-docs.openapi_json", "api-docs.openapi_redoc", "api-docs.redoc_script", "static"}

_PARAM = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>[a-z_]+)>")


def _concrete(rule: str, ids: dict) -> str:
    def value(m):
        conv, name = m.group("conv"), m.group("name")
        if conv in ("int", "float"):
            return "1"
        return str(ids.get(name, uuid.uuid4())) if conv == "uuid" or name.endswith("id") else "1"

    return _PARAM.sub(value, rule)


def _walk(app, client, ids):
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in DOCS_ENDPOINTS or rule.rule.startswith(AUDITOR_PREFIXES):
            continue
        url = _concrete(rule.rule, ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.http.open(url, method=method, json={}, headers={"X-CSRF-Token": client.csrf})
            yield rule, method, r
            checked.append((rule.rule, method))
    assert checked, "no routes outside the auditor's area were walked"


def test_an_auditor_is_refused_everywhere_outside_the_audit_area(app, basic):
    auditor = basic.client("auditor@example.jp")
    # Real ids where the app has them, so a view that looked a record up before deciding would show it.
    ids = {"org_id": basic.orgs["kmk-chiiki"], "user_id": basic.users["coord@example.jp"]}
    leaks = []
    for rule, method, r in _walk(app, auditor, ids):
        if r.status_code not in (403, 404, 405):
            leaks.append((method, rule.rule, r.status_code))
        elif r.status_code == 403:
            assert r.mimetype == "application/problem+json"
    assert leaks == []


def test_no_route_grants_auditors_a_content_permission(app):
    """Static check alongside the walk: whatever guards a route, if the policy lets an auditor through,
    it is one of the non-content permissions (a policy row like "auditor, cases, read" fails here)."""
    enforcer = app.extensions["caseflow.enforcer"]
    granted = set()
    for rule in app.url_map.iter_rules():
        if authz.endpoint_is_public(app, rule.endpoint):
            continue
        resource, action = getattr(app.view_functions[rule.endpoint], authz.GUARD_ATTR)
        if enforcer.enforce("auditor", "any-org", resource, action):
            granted.add(resource)
    assert "audit" in granted
    assert granted <= AUDITOR_RESOURCES, granted - AUDITOR_RESOURCES


def test_what_the_audit_area_shows_is_metadata_only(app, basic):
    """Seeded with a disclosure whose categories and detail are codes, the auditor's views return ids,
    bases and counts; no field carries a person's name or free text of a case."""
    from datetime import datetime
    from types import SimpleNamespace

    from caseflow.access import trail
    from caseflow.access.trail import Disclosure
    from caseflow.core import db

    person, case_id = uuid.uuid4(), uuid.uuid4()
    actor = SimpleNamespace(id=basic.users["npo@example.jp"], org_id=basic.orgs["kmm-npo"],
                            municipality_id=basic.municipalities["kamakura"])
    with app.app_context():
        trail.record(db.session(), action="cases.read", resource_type="cases", resource_id=case_id, actor=actor,
                     legal_basis="own_collection", disclosures=[Disclosure(person, "own_collection", ["identity"])],
                     occurred_at=datetime(2026, 6, 1, 1, 0, tzinfo=UTC))
        db.session().commit()
    auditor = basic.client("auditor@example.jp")
    bodies = [auditor.get(f"/api/v1/audit-events?person_id={person}").get_json(),
              auditor.get(f"/api/v1/audit-events/persons/{person}/report").get_json()]

    staff = {"actor", "reviewer"}  # references to staff (display name, organisation): who acted, not whom it was about

    def keys_of(value) -> set:
        if isinstance(value, dict):
            return set(value).union(*(keys_of(v) for k, v in value.items() if k not in staff))
        if isinstance(value, list):
            return set().union(*(keys_of(v) for v in value))
        return set()

    for body in bodies:
        keys = keys_of(body)
        forbidden = {"name", "name_kana", "birth_date", "address", "phone", "notes", "summary", "content", "text"}
        assert not keys & forbidden, keys & forbidden
        assert str(person) in json.dumps(body)  # ids are how an auditor follows up
    (event,) = bodies[0]["items"]
    assert event["actor"]["id"] == str(basic.users["npo@example.jp"]) and event["actor"]["display_name"]
    assert set(event["actor"]) == {"id", "display_name", "org_id", "organization", "active"}
