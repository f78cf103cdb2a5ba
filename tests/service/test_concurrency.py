"""Real parallel clients against a live server (issue 11): no lost update, no impossible state, the audit
chain intact afterwards.

The server is gunicorn in its own process (2 workers x 4 threads) on 127.0.0.1, against the test database
(SQLite file, or PostgreSQL when CASEFLOW_TEST_DATABASE_URL is set). Each contender is a thread with its own
logged-in session, released together by a barrier. Referral accept/decline races are in
tests/test_referral_races.py.
"""
from __future__ import annotations

import os
from collections import Counter

import pytest

from support import Http, ServerProcess, audit_verify, make_plan, move, open_anonymous_case, open_case, race

ROUNDS = int(os.environ.get("CASEFLOW_RACE_ROUNDS", "20"))
TALLY: Counter = Counter()  # races tried, by kind (docs/reliability.md has the figures)


@pytest.fixture
def server(db_url, basic, tmp_path):
    proc = ServerProcess(db_url, log_path=tmp_path / "gunicorn.log")
    try:
        proc.start()
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def crowd(basic, server):
    """Four workers of the owner department, two of the NPO the case goes to: each its own session."""
    for i in range(2, 5):
        basic.user(f"coord{i}@example.jp", "kmk-chiiki", "coordinator")
    basic.user("npo2@example.jp", "kmm-npo", "npo_staff")
    emails = ["coord@example.jp"] + [f"coord{i}@example.jp" for i in range(2, 5)] + ["npo@example.jp", "npo2@example.jp"]
    return {e: Http(server.base, e) for e in emails}


def _coords(crowd):
    return [c for e, c in crowd.items() if e.startswith("coord")]


def _is_problem(r, status, *types):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers["Content-Type"]
    if types:
        assert r.json()["type"].rsplit("/", 1)[1] in types, r.json()


def _history_is_a_chain(history):
    """Each stage change starts where the previous one ended: no two moves from the same stage."""
    assert history[0]["from_stage"] is None
    for before, after in zip(history, history[1:]):
        assert after["from_stage"] == before["to_stage"], history


def test_simultaneous_transitions_of_one_case(basic, crowd, db_url):
    """Four owners move the same case at once. To the same stage: exactly one wins, three get 409. To different
    stages: the successful moves form one legal chain from intake (never two moves out of the same stage)."""
    coords = _coords(crowd)
    lead = coords[0]
    same = [{"to": "assessment", "reason": f"合同アセスメントへ{i}"} for i in range(4)]
    mixed = [{"to": "referral", "reason": "紹介へ"}, {"to": "assessment", "reason": "合同アセスメントへ"},
             {"to": "closed", "reason": "終結", "closure_reason": "goal_achieved"}, {"to": "intake", "reason": "戻す"}]
    for n in range(ROUNDS):
        targets = same if n % 2 == 0 else mixed
        case = lead.post("/api/v1/cases", {"intake_channel": "chat", "anonymous_label": "同時遷移テスト"}).json()
        url = f"/api/v1/cases/{case['id']}"
        responses = race([lambda c=c, b=b, url=url: c.post(url + "/transitions", b) for c, b in zip(coords, targets)])
        TALLY["case transitions"] += 1
        assert all(not isinstance(r, Exception) for r in responses), responses
        assert all(r.status_code in (200, 409) for r in responses), [(r.status_code, r.text[:300]) for r in responses]
        for r in responses:
            if r.status_code == 409:
                _is_problem(r, 409, "illegal-transition", "stale-version")
        won = [b["to"] for b, r in zip(targets, responses) if r.status_code == 200]
        assert won, [r.text[:300] for r in responses]
        if targets is same:
            assert len(won) == 1, [(r.status_code, r.text[:300]) for r in responses]
        history = lead.get(url + "/history").json()
        _history_is_a_chain(history)
        # exactly the acknowledged moves happened, each once, and the case shows the last of them
        assert sorted(h["to_stage"] for h in history[1:]) == sorted(won), (history, won)
        final = lead.get(url).json()
        assert final["stage"] == history[-1]["to_stage"] and final["version"] == case["version"] + len(won)
    audit_verify(db_url)


def test_simultaneous_patch_with_the_same_etag(basic, crowd, db_url):
    """Four editors send PATCH with the same If-Match: exactly one 200, three 412, nothing half-applied."""
    coords = _coords(crowd)
    lead = coords[0]
    case = open_anonymous_case(basic.client("coord@example.jp"))
    url = f"/api/v1/cases/{case['id']}"
    for n in range(ROUNDS):
        current = lead.get(url)
        tag, version = current.headers["ETag"], current.json()["version"]
        bodies = [{"summary": f"第{n}回 編集者{i}の要約", "urgency": u} for i, u in enumerate(("low", "normal", "high", "low"))]
        responses = race([lambda c=c, b=b, tag=tag: c.patch(url, b, headers={"If-Match": tag}) for c, b in zip(coords, bodies)])
        TALLY["PATCH with one If-Match"] += 1
        assert all(not isinstance(r, Exception) for r in responses), responses
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 412, 412, 412], [(r.status_code, r.text[:300]) for r in responses]
        won = next(b for b, r in zip(bodies, responses) if r.status_code == 200)
        for r in responses:
            if r.status_code != 200:
                _is_problem(r, 412, "stale-version")
        after = lead.get(url)
        body = after.json()
        # The winner's whole edit and nothing of any loser's.
        assert (body["summary"], body["urgency"]) == (won["summary"], won["urgency"])
        assert body["version"] == version + 1 and after.headers["ETag"] == f'"{version + 1}"'
    audit_verify(db_url)


def test_simultaneous_progress_records_are_all_kept(basic, crowd, db_url, app):
    """Six workers of two organisations record support on the same case at once: every 201 is stored once."""
    lead = crowd["coord@example.jp"]
    case = open_case(basic.client("coord@example.jp"))
    r = lead.post("/api/v1/referrals", {"case_id": case["id"], "to_org_id": str(basic.orgs["kmm-npo"]),
                                        "reason": "就労に向けた伴走支援のため", "requested_support": "居場所活動",
                                        "urgency": "normal"})
    assert r.status_code == 201, r.text
    assert crowd["npo@example.jp"].post(f"/api/v1/referrals/{r.json()['id']}/accept").status_code == 200
    url = f"/api/v1/cases/{case['id']}/progress"
    clients = list(crowd.items())
    acknowledged = []
    rounds = max(ROUNDS // 2, 1)
    for n in range(rounds):
        bodies = [{"kind": "visit", "occurred_on": "2026-04-10", "body": f"第{n}回 {e} の訪問記録"} for e, _ in clients]
        responses = race([lambda c=c, b=b: c.post(url, b) for (_, c), b in zip(clients, bodies)])
        TALLY["progress records at once"] += 1
        assert all(not isinstance(x, Exception) for x in responses), responses
        # Appending records never conflicts (case activity is a plain UPDATE, not a version bump).
        refused = [x for x in responses if x.status_code != 201]
        assert refused == [], [x.text[:300] for x in refused]
        acknowledged += [(x.json()["id"], b["body"]) for x, b in zip(responses, bodies) if x.status_code == 201]
    stored = lead.get(url).json()
    assert sorted((s["id"], s["body"]) for s in stored) == sorted(acknowledged)
    from sqlalchemy import func, select

    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    with app.app_context():
        n_events = db.session().scalar(select(func.count()).select_from(AuditEvent)
                                       .where(AuditEvent.action == "progress.create"))
    assert n_events == len(acknowledged)
    audit_verify(db_url)


def test_simultaneous_task_transitions_and_edits(basic, crowd, db_url):
    """The task's owner organisation and the case owner change one task at once: one change per step."""
    lead = crowd["coord@example.jp"]
    case = open_anonymous_case(basic.client("coord@example.jp"))
    assert move(basic.client("coord@example.jp"), case["id"], "assessment", reason="合同アセスメントへ").status_code == 200
    contenders = _coords(crowd)[:2] + [crowd["npo@example.jp"], crowd["npo2@example.jp"]]
    for n in range(max(ROUNDS // 2, 1)):
        task = make_plan(basic.client("coord@example.jp"), case["id"], basic.orgs["kmm-npo"], title=f"タスク{n}")
        url = f"/api/v1/tasks/{task['id']}"
        # open -> in_progress, four times at once
        responses = race([lambda c=c, url=url: c.post(url + "/transitions", {"to": "in_progress"}) for c in contenders])
        TALLY["task transitions"] += 1
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409, 409, 409], [(r.status_code, r.text[:300]) for r in responses]
        # in_progress -> done (two) or cancelled (two), at once
        bodies = [{"to": "done", "result_note": "完了"}, {"to": "cancelled", "result_note": "取消"}] * 2
        responses = race([lambda c=c, b=b, url=url: c.post(url + "/transitions", b) for c, b in zip(contenders, bodies)])
        TALLY["task transitions"] += 1
        statuses = [r.status_code for r in responses]
        assert sorted(statuses).count(200) == 1, [(r.status_code, r.text[:300]) for r in responses]
        won = next(b for b, r in zip(bodies, responses) if r.status_code == 200)
        for i, r in enumerate(responses):
            if r.status_code == 404:
                # a cancelled task ends the NPO's only role in the case: it may no longer see the task at all
                assert won["to"] == "cancelled" and contenders[i] in (crowd["npo@example.jp"], crowd["npo2@example.jp"])
            elif r.status_code != 200:
                _is_problem(r, 409, "illegal-transition", "stale-version")
        final = lead.get(url).json()
        assert final["status"] == won["to"] and final["result_note"] == won["result_note"]
    # Simultaneous edits of one live task by the case owner's workers, all from the same ETag.
    task = make_plan(basic.client("coord@example.jp"), case["id"], basic.orgs["kmm-npo"], title="編集競合")
    url = f"/api/v1/tasks/{task['id']}"
    for n in range(max(ROUNDS // 2, 1)):
        current = lead.get(url)
        tag = current.headers.get("ETag")
        headers = {"If-Match": tag} if tag else {}
        titles = [f"第{n}回 題名{i}" for i in range(4)]
        responses = race([lambda c=c, t=t, headers=headers: c.patch(url, {"title": t}, headers=headers)
                          for c, t in zip(_coords(crowd), titles)])
        TALLY["task edits from one version"] += 1
        statuses = sorted(r.status_code for r in responses)
        assert statuses[0] == 200 and statuses.count(200) == 1, [(r.status_code, r.text[:300]) for r in responses]
        assert set(statuses[1:]) <= {409, 412}, [(r.status_code, r.text[:300]) for r in responses]
        won = next(t for t, r in zip(titles, responses) if r.status_code == 200)
        assert lead.get(url).json()["title"] == won
    audit_verify(db_url)

