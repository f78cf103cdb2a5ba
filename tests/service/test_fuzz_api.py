"""Fuzzing the whole HTTP API from its own OpenAPI document (schemathesis), issue 11.

Every operation in /api/openapi.json is called with generated valid and invalid input, as a user whose role
may perform it (bearer token), against real records of one organisation (the path parameters are real ids,
see tests/support.py), so the fuzzer reaches the views rather than bouncing off 404s. Each
response must be no 5xx and must conform to the document (status, content type, headers, body schema), and
data that violates the document must be rejected with a 4xx.

Bounded for CI by CASEFLOW_FUZZ_EXAMPLES (default 6 per operation, for valid and again for invalid input: with
"valid request rejected" on, more valid input reaches the views, and the run is kept within its former time);
docs/reliability.md has the long run (more examples, other seeds). Operations added later are fuzzed
automatically: the operations come from the document, the acting role from the casbin policy.

All checks run, "valid request rejected" (positive data acceptance) included, as a client generated from the
document sees the service: the managed code lists (`x-code-list`) are read from GET /api/v1/codes/{list_name}
first, as the document tells a client to, and a 422 on valid input counts as a failure unless every field it
names is under one of the operation's `x-rules` -- the checks the document states beyond the schemas
(fields that go together, date orders and windows, ids and codes naming records the caller may use).
"""
from __future__ import annotations

import copy
import hashlib
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from support import (
    api_routes,
    guard,
    openapi_path,
    roles_allowed,
    seed_records,
)

MAX_EXAMPLES = int(os.environ.get("CASEFLOW_FUZZ_EXAMPLES", "6"))
SEED = int(os.environ.get("CASEFLOW_FUZZ_SEED", "20260411"))
# The role that acts, in order of preference, when several may (case work first: it reaches the most code).
PREFERENCE = ("coordinator", "supervisor", "staff", "npo_staff", "admin", "auditor")
STATS: Counter = Counter()
# Document gaps found by this test in other people's endpoints and reported to the lead (issue 11 report):
# only these checks, only on these operations, are not counted. Remove an entry once it is fixed.
# Shrinking a failure is slow; the long run (docs/reliability.md) turns it on with CASEFLOW_FUZZ_SHRINK=1.
PHASES = [Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("CASEFLOW_FUZZ_SHRINK") else [])


@pytest.fixture
def fuzz_world(app, basic):
    seeded = seed_records(basic)
    # Targets the fuzzer may edit, deactivate or revoke without locking itself out.
    basic.org("zz-fuzz-target", "npo")
    basic.user("target@example.jp", "zz-fuzz-target", "npo_staff")
    ids = dict(seeded["ids"], user_id=str(basic.users["target@example.jp"]),
               org_id=str(basic.orgs["zz-fuzz-target"]))
    tokens = {}
    for role, email in seeded["users"].items():
        r = basic.client(email).post("/api/v1/auth/tokens", json={"name": "fuzz"})
        assert r.status_code == 201, r.get_json()
        tokens[role] = r.get_json()["token"]
    actors = {}
    for rule, method, endpoint in api_routes(app):
        g = guard(app, endpoint)
        role = None
        if g is not None:
            allowed = roles_allowed(app, *g)
            role = next((r for r in PREFERENCE if r in allowed), "coordinator")
        actors[(openapi_path(rule), method)] = role
    return {"ids": ids, "tokens": tokens, "actors": actors}


def _with_code_lists(app, spec: dict, token: str) -> dict:
    """The document as a client uses it: each `x-code-list` field takes the list's active codes as its enum."""
    spec = copy.deepcopy(spec)
    cache: dict[str, list[str]] = {}

    def codes(list_name):
        if list_name not in cache:
            r = app.test_client().get(f"/api/v1/codes/{list_name}", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.get_json()
            cache[list_name] = [c["code"] for c in r.get_json() if c["active"]]
        return cache[list_name]

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("x-code-list"), str) and node.get("type") == "string" and "enum" not in node:
                node["enum"] = codes(node["x-code-list"])
                node.pop("minLength", None)
                node.pop("maxLength", None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return spec


def _tolerated(spec: dict) -> dict:
    """(path, METHOD) -> the fields the operation's `x-rules` name (first and last segments of nested names)."""
    out = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                names = [f for r in op.get("x-rules", []) for f in r["fields"]]
                out[(path, method.upper())] = {n.split(".")[0] for n in names} | {n.split(".")[-1] for n in names}
    return out


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()  # an operation the loader cannot read is itself a failure of the document


def test_api_conforms_to_its_document(app, fuzz_world):
    STATS.clear()
    config = schemathesis.Config.from_dict({"seed": SEED})
    served = app.test_client().get("/api/openapi.json").get_json()
    spec = _with_code_lists(app, served, fuzz_world["tokens"]["coordinator"])
    schema = schemathesis.openapi.from_dict(spec, config=config)
    schema.app = app
    tolerated = _tolerated(spec)
    failures = []
    operations = list(_operations(schema))
    assert len(operations) >= 50
    for operation in operations:
        key = (operation.path, operation.method.upper())
        role = fuzz_world["actors"].get(key)
        headers = {"Authorization": f"Bearer {fuzz_world['tokens'][role]}"} if role else {}
        real = {p.name: fuzz_world["ids"][p.name] for p in operation.path_parameters if p.name in fuzz_world["ids"]}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(mode, path_parameters=real if mode == GenerationMode.POSITIVE else None)
            try:
                _fuzz(app, strategy, headers, key, mode, seed_for=f"{SEED}:{key}:{mode.value}",
                      tolerated=tolerated.get(key, set()))
            except Unsatisfiable:
                STATS["no_negative_input"] += 1  # nothing to violate: the operation takes no input
            except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports every failing operation
                failures.append(f"{key[1]} {key[0]} ({mode.value}): {exc}")
    summary = ", ".join(f"{k}={v}" for k, v in sorted(STATS.items()) if k.startswith(("positive", "negative")))
    print(f"fuzz: {STATS['examples']} examples over {len(operations)} operations ({summary})")
    assert not failures, "\n\n".join(failures)


def _fuzz(app, strategy, headers, key, mode, seed_for: str, tolerated: set[str]):
    @seed(int(hashlib.sha256(seed_for.encode()).hexdigest()[:12], 16))  # reproducible, different per operation
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=PHASES)
    @given(case=strategy)
    def run(case):
        h = dict(headers)
        if case.method.upper() in ("PATCH", "PUT") and mode == GenerationMode.POSITIVE:
            # Optimistic concurrency: send the current ETag, as a client does after reading.
            current = app.test_client().get(case.formatted_path, headers=h)
            if current.headers.get("ETag"):
                h["If-Match"] = current.headers["ETag"]
        STATS["examples"] += 1
        response = case.call_and_validate(headers=h, excluded_checks=[positive_data_acceptance])
        STATS[f"{mode.value}_{response.status_code // 100}xx"] += 1
        if mode == GenerationMode.POSITIVE and response.status_code in (400, 422):
            _accepted_or_ruled(case, response, tolerated, key)

    run()


def _accepted_or_ruled(case, response, tolerated: set[str], key) -> None:
    """Valid input must be accepted, unless the 422 names only fields under the operation's `x-rules`."""
    errors = (response.json() or {}).get("errors") or {}
    parts = [str(k).split(".") for k in errors]  # members.0.person_id: a nested field
    if errors and all(p[0] in tolerated or p[-1] in tolerated for p in parts):
        STATS["positive_422_by_rule"] += 1
        return
    raise AssertionError(f"valid request rejected ({response.status_code}): {errors} -- "
                         f"query={case.query!r} body={case.body!r}")
