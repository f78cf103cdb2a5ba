"""Meeting rules (issue 24): a meeting is held only once it has started; a fiscal-year pledge counts only for
meetings that take one (a meeting that requires a per-meeting pledge is never covered by it); a sharing window
that has closed re-opens only with a reason, from the change on, never for the gap. Through the HTTP API, on
SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.core import db

from support import HANAKO, YAMADA, council_for, open_case


def now():
    return datetime.now(timezone.utc)


@pytest.fixture
def w(basic):
    basic.user("chair@example.jp", "kmk-chiiki", "supervisor", name="高橋 恵子")
    basic.user("pledged@example.jp", "kmm-npo", "npo_staff", name="中村 修")
    return basic


def create_meeting(w, council_id, starts, **extra):
    chair = w.client("chair@example.jp")
    r = chair.post("/api/v1/meetings", json={
        "council_id": council_id, "title": "鎌倉市支援会議", "starts_at": starts.isoformat(), "place": "第1会議室",
        "chair_user_id": str(w.users["chair@example.jp"]), "attendee_user_ids": [str(w.users["pledged@example.jp"])],
        **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def patch(client, url, body):
    return client.patch(url, json=body, headers={"If-Match": client.get(url).headers["ETag"]})


def names(client, meeting_id) -> set[str]:
    agenda = client.get(f"/api/v1/meetings/{meeting_id}/agenda").get_json()
    return {p["name"] for i in agenda["items"] for p in i.get("persons", []) if p.get("name")}


def test_a_meeting_is_held_only_once_it_has_started(w):
    chair = w.client("chair@example.jp")
    council = council_for(chair, [w.orgs["kmm-npo"]])
    soon = create_meeting(w, council, now() + timedelta(minutes=10))
    r = chair.post(f"/api/v1/meetings/{soon['id']}/transitions", json={"to": "held"})
    assert r.status_code == 409 and r.get_json()["type"].endswith("meeting-not-started")
    assert r.mimetype == "application/problem+json" and r.get_json()["starts_at"]
    assert chair.get(f"/api/v1/meetings/{soon['id']}").get_json()["status"] == "planned"
    started = create_meeting(w, council, now() - timedelta(minutes=1))
    r = chair.post(f"/api/v1/meetings/{started['id']}/transitions", json={"to": "held"})
    assert r.status_code == 200 and r.get_json()["status"] == "held"


def test_a_fiscal_year_pledge_never_covers_a_meeting_that_requires_its_own(w):
    chair, npo = w.client("chair@example.jp"), w.client("pledged@example.jp")
    case = open_case(w.client("coord@example.jp"))
    council = council_for(chair, [w.orgs["kmm-npo"]], pledge_scope="fiscal_year")
    starts = now() + timedelta(days=1)
    yearly = create_meeting(w, council, starts)
    r = npo.post(f"/api/v1/meetings/{yearly['id']}/pledge")
    assert r.status_code == 201 and r.get_json()["pledge"]["scope"] == "fiscal_year"
    # The council's 要綱 changes: from now on each meeting takes its own pledge.
    url = f"/api/v1/councils/{council}"
    assert patch(chair, url, {"pledge_scope": "meeting"}).status_code == 200
    per_meeting = create_meeting(w, council, starts + timedelta(hours=2))
    assert per_meeting["fiscal_year"] == yearly["fiscal_year"]
    for m in (yearly, per_meeting):
        assert chair.post(f"/api/v1/meetings/{m['id']}/agenda", json={"case_id": case["id"]}).status_code == 201
    pledge = npo.get(f"/api/v1/meetings/{per_meeting['id']}/pledge").get_json()
    assert pledge["scope"] == "meeting" and pledge["signed"] is False
    assert npo.get(f"/api/v1/meetings/{per_meeting['id']}").get_json()["my_pledge"]["signed"] is False
    assert names(npo, per_meeting["id"]) == set()  # the yearly pledge opens nothing here
    assert names(npo, yearly["id"]) == {YAMADA["name"], HANAKO["name"]}  # ... and still covers its own
    r = npo.post(f"/api/v1/meetings/{per_meeting['id']}/pledge")
    assert r.status_code == 201 and r.get_json()["pledge"]["scope"] == "meeting"
    assert names(npo, per_meeting["id"]) == {YAMADA["name"], HANAKO["name"]}


def test_a_closed_window_reopens_with_a_reason_from_the_change_on(w, app):
    chair, npo = w.client("chair@example.jp"), w.client("pledged@example.jp")
    case = open_case(w.client("coord@example.jp"))
    council = council_for(chair, [w.orgs["kmm-npo"]])
    starts = now() - timedelta(days=20)
    m = create_meeting(w, council, starts, window_start=(starts - timedelta(days=3)).isoformat(),
                       sharing_days_after=14)
    url = f"/api/v1/meetings/{m['id']}"
    assert chair.post(f"{url}/agenda", json={"case_id": case["id"]}).status_code == 201
    assert npo.post(f"{url}/pledge").status_code == 201
    assert m["window_open"] is False and names(npo, m["id"]) == set()  # closed six days ago

    r = patch(chair, url, {"sharing_days_after": 30})
    assert r.status_code == 422 and "window_reason" in r.get_json()["errors"]
    r = patch(chair, url, {"sharing_days_after": 30, "window_reason": "継続協議のため",
                           "window_start": (starts - timedelta(days=3)).isoformat()})
    assert r.status_code == 422 and "window_start" in r.get_json()["errors"]  # never reaching back
    assert chair.get(url).get_json()["window_open"] is False
    before = now()
    r = patch(chair, url, {"sharing_days_after": 30, "window_reason": "次回会議まで継続協議のため"})
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    # the window now runs from the change, not from before the gap
    assert datetime.fromisoformat(got["window_start"]) >= before - timedelta(seconds=1)
    assert datetime.fromisoformat(got["window_end"]) - datetime.fromisoformat(got["starts_at"]) == timedelta(days=30)
    assert got["window_open"] is True and names(npo, m["id"]) == {YAMADA["name"], HANAKO["name"]}
    with app.app_context():
        detail = json.loads(db.session().scalars(select(AuditEvent.detail).where(AuditEvent.action == "meetings.update")
                                                 .order_by(AuditEvent.seq.desc())).first())
    window = detail["window"]
    assert window["reopened"] is True and window["reason"] == "次回会議まで継続協議のため"
    assert datetime.fromisoformat(window["before"][1]) < before <= datetime.fromisoformat(window["after"][0]) + \
        timedelta(seconds=1)
    # an open window may be changed (tightened) without a reason
    assert patch(chair, url, {"sharing_days_after": 21}).status_code == 200
