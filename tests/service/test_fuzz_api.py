"""Fuzzing the whole HTTP API from its own OpenAPI document (schemathesis), issue 11.

Every operation in /api/openapi.json is called with generated valid and invalid input, as a user whose role
may perform it (bearer token), against real records of one organisation (the path parameters are real ids,
see tests/support.py), so the fuzzer reaches the views rather than bouncing off 404s. Each
response must be no 5xx and must conform to the document (status, content type, headers, body schema), and
data that violates the document must be rejected with a 4xx.

Bounded for CI by CASEFLOW_FUZZ_EXAMPLES (default 10 per operation, for valid and again for invalid input);
docs/reliability.md has the long run (more examples, other seeds). Operations added later are fuzzed
automatically: the operations come from the document, the acting role from the casbin policy.

One check is left out: positive_data_acceptance ("schema-valid input must be accepted"). caseflow refuses
with 422 input that an OpenAPI 3.0 schema cannot describe — codes outside the managed lists, control
characters, dates in the future, periods longer than a year, ids of records the caller may not use — so that
check measures how much of the validation the document spells out, not whether the service is right.
"""
from __future__ import annotations

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

MAX_EXAMPLES = int(os.environ.get("CASEFLOW_FUZZ_EXAMPLES", "10"))
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


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()  # an operation the loader cannot read is itself a failure of the document


def test_api_conforms_to_its_document(app, fuzz_world):
    STATS.clear()
    config = schemathesis.Config.from_dict({"seed": SEED})
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)
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
                _fuzz(app, strategy, headers, key, mode, seed_for=f"{SEED}:{key}:{mode.value}")
            except Unsatisfiable:
                STATS["no_negative_input"] += 1  # nothing to violate: the operation takes no input
            except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports every failing operation
                failures.append(f"{key[1]} {key[0]} ({mode.value}): {exc}")
    summary = ", ".join(f"{k}={v}" for k, v in sorted(STATS.items()) if k.startswith(("positive", "negative")))
    print(f"fuzz: {STATS['examples']} examples over {len(operations)} operations ({summary})")
    assert not failures, "\n\n".join(failures)


def _fuzz(app, strategy, headers, key, mode, seed_for: str):
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

    run()
