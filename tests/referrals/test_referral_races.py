"""Simultaneous answers to one referral (issue 4): exactly one wins, every other caller gets 409.

Real parallel requests: the app runs in a threaded werkzeug server on 127.0.0.1 against the test database
(SQLite file or PostgreSQL), and each contender is its own thread with its own logged-in HTTP session,
released together by a barrier. Runs on both engines (CASEFLOW_TEST_DATABASE_URL selects PostgreSQL).
"""
from __future__ import annotations

import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from support import Http, audit_verify, live_server, open_case
from support import race as race_calls

ROUNDS = 20
RESULT = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn", "complete": "completed"}


@pytest.fixture
def live(app):
    with live_server(app) as base:
        yield base


def race(calls):
    """Post the (client, path, body) calls at the same moment (support.race); return the responses in order."""
    results = race_calls([lambda client=client, path=path, body=body: client.post(path, body)
                          for client, path, body in calls])
    assert all(not isinstance(r, Exception) and r is not None for r in results), results
    return results


@pytest.fixture
def contenders(basic, live):
    basic.user("npo2@example.jp", "kmm-npo", "npo_staff")
    basic.user("npo3@example.jp", "kmm-npo", "npo_staff")
    basic.user("coord2@example.jp", "kmk-chiiki", "coordinator")
    case = open_case(basic.client("coord@example.jp"))
    clients = {email: Http(live, email) for email in ("coord@example.jp", "coord2@example.jp", "npo@example.jp",
                                                      "npo2@example.jp", "npo3@example.jp")}
    return basic, clients, case


def _referral_body(basic, case):
    return {"case_id": case["id"], "to_org_id": str(basic.orgs["kmm-npo"]), "reason": "就労に向けた伴走支援のため",
            "requested_support": "居場所活動への参加の声かけ", "urgency": "normal"}


def test_simultaneous_accept_decline_and_withdraw(contenders, app, db_url):
    basic, c, case = contenders
    sender, coord2 = c["coord@example.jp"], c["coord2@example.jp"]
    winners = Counter()
    for _ in range(ROUNDS):
        r = sender.post("/api/v1/referrals", _referral_body(basic, case))
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        calls = [(c["npo@example.jp"], f"/api/v1/referrals/{rid}/accept", None),
                 (c["npo2@example.jp"], f"/api/v1/referrals/{rid}/decline", {"reason": "受入枠がありません"}),
                 (c["npo3@example.jp"], f"/api/v1/referrals/{rid}/accept", {"reason": "担当します"}),
                 (coord2, f"/api/v1/referrals/{rid}/withdraw", {"reason": "本人の希望で取り下げ"})]
        responses = race(calls)
        statuses = [x.status_code for x in responses]
        assert sorted(statuses) == [200, 409, 409, 409], [x.text for x in responses]
        won = calls[statuses.index(200)][1].rsplit("/", 1)[1]
        winners[won] += 1
        final = sender.get(f"/api/v1/referrals/{rid}").json()
        assert final["state"] == RESULT[won] == responses[statuses.index(200)].json()["state"]
        # the losers are told what happened
        for x in responses:
            if x.status_code == 409:
                body = x.json()
                assert x.headers["Content-Type"].startswith("application/problem+json")
                assert body["type"].endswith("illegal-transition") and body["current_state"] == final["state"]
        # exactly one recorded change, and an involvement only when accepted
        assert [(e["from_state"], e["to_state"]) for e in final["events"]] == [(None, "pending"),
                                                                               ("pending", final["state"])]
        with app.app_context():
            from caseflow.cases.models import CaseInvolvement
            from caseflow.core import db

            n = db.session().scalar(select(func.count()).select_from(CaseInvolvement)
                                    .where(CaseInvolvement.source_id == uuid.UUID(rid)))
        assert n == (1 if won == "accept" else 0)
        if won == "accept":  # one live referral per case and organisation: finish it before the next round
            assert c["npo@example.jp"].post(f"/api/v1/referrals/{rid}/complete").status_code == 200
    assert sum(winners.values()) == ROUNDS
    audit_verify(db_url)


def test_simultaneous_completion(contenders, db_url):
    basic, c, case = contenders
    sender = c["coord@example.jp"]
    for _ in range(5):
        rid = sender.post("/api/v1/referrals", _referral_body(basic, case)).json()["id"]
        assert c["npo@example.jp"].post(f"/api/v1/referrals/{rid}/accept").status_code == 200
        responses = race([(c[e], f"/api/v1/referrals/{rid}/complete", {"reason": "支援完了"})
                          for e in ("npo@example.jp", "npo2@example.jp", "npo3@example.jp")])
        assert sorted(x.status_code for x in responses) == [200, 409, 409]
        events = sender.get(f"/api/v1/referrals/{rid}").json()["events"]
        assert [e["to_state"] for e in events] == ["pending", "accepted", "completed"]
    audit_verify(db_url)


def test_simultaneous_duplicate_referrals(contenders, app, db_url):
    """Two coordinators refer the same case to the same organisation at once: one referral, one 409."""
    basic, c, case = contenders
    body = _referral_body(basic, case)
    for _ in range(10):
        responses = race([(c["coord@example.jp"], "/api/v1/referrals", body),
                          (c["coord2@example.jp"], "/api/v1/referrals", body),
                          (c["coord@example.jp"], "/api/v1/referrals", body)])
        statuses = sorted(x.status_code for x in responses)
        assert statuses == [201, 409, 409], [x.text for x in responses]
        created = next(x.json() for x in responses if x.status_code == 201)
        for x in responses:
            if x.status_code == 409:
                assert x.json()["type"].endswith("duplicate-referral")
        with app.app_context():
            from caseflow.core import db
            from caseflow.referrals.models import Referral

            pending = db.session().scalars(select(Referral.id).where(
                Referral.case_id == uuid.UUID(case["id"]), Referral.state == "pending")).all()
        assert pending == [uuid.UUID(created["id"])]
        assert c["coord@example.jp"].post(f"/api/v1/referrals/{created['id']}/withdraw").status_code == 200
    audit_verify(db_url)
