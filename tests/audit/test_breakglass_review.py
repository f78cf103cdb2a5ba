"""Break-glass that someone reviews (issue 24): a supervisor of the case's owner organisation reviews an emergency
access (reason confirmed or not, with a note), beside -- never instead of -- the auditor's review of the audit
event; repeated openings by one worker or for one person are one pattern in the anomaly report. Through the
HTTP API, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from caseflow.access import trail
from caseflow.audit.anomalies import PATTERN_DAYS, PATTERN_MIN
from caseflow.audit.models import AuditEvent
from caseflow.core import db, dbguards

from support import open_case

SATO = {"name": "佐藤 一郎", "name_kana": "サトウ イチロウ", "birth_date": "1990-06-01"}
WHY = "本人から「もう限界」とのメールがあり電話がつながらないため、安否確認に必要"
NOTE = "当日の記録と電話の着信履歴で緊急性を確認した。"
URL = "/api/v1/emergency-accesses"


@pytest.fixture
def w(basic):
    basic.user("coord2@example.jp", "kmk-chiiki", "coordinator")
    basic.user("super2@example.jp", "kmk-chiiki", "supervisor")
    basic.org("kmk-kodomo", "department", "鎌倉市 こども支援課")
    basic.user("kodomo-sv@example.jp", "kmk-kodomo", "supervisor")
    basic.municipality("zushi", "逗子市")
    basic.org("zsh-chiiki", "department", "逗子市 福祉課", municipality="zushi")
    basic.user("zushi-sv@example.jp", "zsh-chiiki", "supervisor")
    return basic


def primary(case):
    return next(p["id"] for p in case["persons"] if p["is_primary"])


def open_access(client, case, person=None):
    r = client.post(f"/api/v1/cases/{case['id']}/emergency-access",
                    json={"person_id": person or primary(case), "justification": WHY, "hours": 2})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def review(client, access_id, confirmed=True, note=NOTE, expect=201):
    r = client.post(f"{URL}/{access_id}/reviews", json={"reason_confirmed": confirmed, "note": note})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def events(app, action):
    with app.app_context():
        rows = db.session().execute(select(AuditEvent.seq, AuditEvent.resource_id, AuditEvent.detail)
                                    .where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()
        return [SimpleNamespace(seq=r.seq, resource_id=r.resource_id, detail=r.detail) for r in rows]


def test_a_supervisor_reviews_beside_the_auditor_append_only(w, app, db_url):
    coord, sup, sup2 = (w.client(e) for e in ("coord@example.jp", "super@example.jp", "super2@example.jp"))
    case = open_case(coord)
    access = open_access(coord, case)
    assert sup.get(f"{URL}/{access['id']}").get_json()["review"] == {
        "state": "unreviewed", "reviews": 0, "last_reviewed_at": None, "audit_reviewed": False}

    first = review(sup, access["id"])
    assert first["reason_confirmed"] is True and first["note"] == NOTE and first["access_id"] == access["id"]
    assert first["reviewer"]["id"] == str(w.users["super@example.jp"])
    # The auditor reviews the opening's audit event: its own record, the supervisor's review stays.
    seq = next(e.seq for e in events(app, "emergency.open") if e.resource_id == access["id"])
    auditor = w.client("auditor@example.jp")
    assert auditor.post(f"/api/v1/audit-events/{seq}/reviews", json={"comment": "監査で確認"}).status_code == 201
    got = sup.get(f"{URL}/{access['id']}").get_json()
    assert got["review"]["state"] == "confirmed" and got["review"]["audit_reviewed"] is True
    assert [r["id"] for r in got["reviews"]] == [first["id"]]
    assert len(auditor.get(f"/api/v1/audit-events/{seq}/reviews").get_json()["items"]) == 1
    # A second supervisor looks again: a new record; the latest decides the state, the first is kept.
    second = review(sup2, access["id"], confirmed=False, note="理由の記載と実際の連絡状況が合わない。")
    got = coord.get(f"{URL}/{access['id']}").get_json()  # the worker reads the state of their own access
    assert got["review"]["state"] == "not_confirmed" and got["review"]["reviews"] == 2
    assert [(r["id"], r["reason_confirmed"]) for r in got["reviews"]] == [(first["id"], True), (second["id"], False)]
    listed = sup.get(f"{URL}?include_closed=true&review_state=not_confirmed").get_json()["items"]
    assert [a["id"] for a in listed] == [access["id"]] and listed[0]["review"]["state"] == "not_confirmed"
    assert sup.get(f"{URL}?include_closed=true&review_state=unreviewed").get_json()["items"] == []
    assert sup.get(f"{URL}?review_state=maybe").status_code == 422
    # Audited with the note's hash, never its text.
    recorded = [json.loads(e.detail) for e in events(app, "emergency.review")]
    assert [d["reason_confirmed"] for d in recorded] == [True, False]
    assert all("note" not in d and len(d["note_sha256"]) == 64 for d in recorded)
    # Append-only in the database itself.
    engine = create_engine(db_url)
    try:
        for stmt in ("UPDATE emergency_access_reviews SET reason_confirmed = NOT reason_confirmed",
                     "DELETE FROM emergency_access_reviews"):
            with engine.connect() as conn:
                with pytest.raises(DBAPIError) as caught:
                    conn.execute(text(stmt))
                conn.rollback()
            assert dbguards.refused(caught.value)
    finally:
        engine.dispose()
    assert len(sup.get(f"{URL}/{access['id']}").get_json()["reviews"]) == 2


def test_who_may_not_review(w):
    coord, sup = w.client("coord@example.jp"), w.client("super@example.jp")
    case = open_case(coord)
    access = open_access(coord, case)
    # not a supervisor (even of the owner organisation), not an auditor: casbin refuses
    assert review(w.client("coord2@example.jp"), access["id"], expect=403)["type"].endswith("forbidden")
    review(w.client("auditor@example.jp"), access["id"], expect=403)
    # another organisation's or municipality's supervisor: the access does not exist for them
    review(w.client("kodomo-sv@example.jp"), access["id"], expect=404)
    review(w.client("zushi-sv@example.jp"), access["id"], expect=404)
    assert w.client("kodomo-sv@example.jp").get(f"{URL}/{access['id']}").status_code == 404
    review(sup, str(uuid.uuid4()), expect=404)
    # the worker who opened it never reviews it, supervisor or not
    own = open_access(sup, case)
    assert review(sup, own["id"], expect=403)["type"].endswith("self-review")
    # a review says something
    errors = review(sup, access["id"], note="", expect=422)["errors"]
    assert "note" in errors
    r = sup.post(f"{URL}/{access['id']}/reviews", json={"note": NOTE})
    assert r.status_code == 422 and "reason_confirmed" in r.get_json()["errors"]
    assert sup.get(f"{URL}/{access['id']}").get_json()["reviews"] == []
    assert sup.get(f"{URL}/{own['id']}").get_json()["review"]["state"] == "unreviewed"


def test_repeated_openings_are_one_pattern_with_their_openings(w, app):
    coord, coord2, sup = (w.client(e) for e in ("coord@example.jp", "coord2@example.jp", "super@example.jp"))
    case1, case2, case3 = open_case(coord), open_case(coord, person=SATO, with_parent=False), open_case(coord)
    mine = [open_access(coord, c) for c in (case1, case2, case3)]  # one worker, three persons
    others = [open_access(coord2, case1), open_access(sup, case1)]  # one person, three workers with mine[0]
    lone = open_access(coord2, case2)  # coord2 has two openings: no pattern of its own
    review(sup, mine[1]["id"], confirmed=False, note="理由が具体的でない。")
    rep = w.client("auditor@example.jp").get("/api/v1/audit-events/anomalies/emergency").get_json()
    assert rep["pattern_rule"] == {"min_openings": PATTERN_MIN, "window_days": PATTERN_DAYS} == \
        {"min_openings": 3, "window_days": 7}
    by_kind = {p["kind"]: p for p in rep["patterns"]}
    assert len(rep["patterns"]) == 2 and rep["summary"]["patterns"] == 2
    worker = by_kind["worker"]
    assert worker["user_id"] == str(w.users["coord@example.jp"]) and worker["count"] == 3
    assert [o["access_id"] for o in worker["openings"]] == [a["id"] for a in mine]
    assert [o["supervisor_review"]["state"] for o in worker["openings"]] == ["unreviewed", "not_confirmed",
                                                                            "unreviewed"]
    person = by_kind["person"]
    assert person["person_id"] == primary(case1) and person["count"] == 3
    assert {o["access_id"] for o in person["openings"]} == {mine[0]["id"], *(a["id"] for a in others)}
    # each flagged event names the patterns its access belongs to: linked, not unrelated flags
    opened = {i["access_id"]: i for i in rep["items"] if i["action"] == "emergency.open"}
    assert set(opened[mine[0]["id"]]["patterns"]) == {worker["id"], person["id"]}
    assert opened[mine[1]["id"]]["patterns"] == [worker["id"]]
    assert opened[mine[1]["id"]]["supervisor_review"]["state"] == "not_confirmed"
    assert opened[lone["id"]]["patterns"] == []


def test_the_pattern_window(w, app):
    """3 openings within 7 days are a pattern; spread wider they are not; overlapping windows merge."""
    jst = timezone(timedelta(hours=9))
    t0 = datetime(2026, 6, 1, 10, 0, tzinfo=jst)
    actor = SimpleNamespace(id=w.users["coord@example.jp"], org_id=w.orgs["kmk-chiiki"],
                            municipality_id=w.municipalities["kamakura"])
    person_a, person_b = str(uuid.uuid4()), str(uuid.uuid4())
    # one worker on days 0, 3, 6 (3 within 7 days), 9 and 12 (the windows from day 3 and day 6 overlap the
    # first): one pattern of five; day 20 stands alone. Person A (days 0, 6, 20) and person B (3, 9, 12) never
    # have 3 openings within 7 days.
    days = [(0, person_a), (3, person_b), (6, person_a), (9, person_b), (12, person_b), (20, person_a)]
    with app.app_context():
        s = db.session()
        for d, person in days:
            access = uuid.uuid4()
            trail.record(s, action="emergency.open", resource_type="emergency_accesses", resource_id=access,
                         actor=actor, legal_basis=f"emergency:{access}", flagged=True,
                         detail={"case": str(uuid.uuid4()), "person": person, "hours": 2},
                         occurred_at=t0 + timedelta(days=d))
        s.commit()
    period = "since=2026-05-01T00:00:00%2B09:00&until=2026-07-01T00:00:00%2B09:00"
    rep = w.client("auditor@example.jp").get(f"/api/v1/audit-events/anomalies/emergency?{period}").get_json()
    assert [p["kind"] for p in rep["patterns"]] == ["worker"]
    worker = rep["patterns"][0]
    assert worker["count"] == 5 and [o["occurred_at"][:10] for o in worker["openings"]] == [
        "2026-06-01", "2026-06-04", "2026-06-07", "2026-06-10", "2026-06-13"]
    alone = [i for i in rep["items"] if i["occurred_at"].startswith("2026-06-21")]
    assert len(alone) == 1 and alone[0]["patterns"] == []
