"""Referral rules (issue 24): one live (pending or accepted) referral per case and receiving organisation, in the
application (409 naming the existing referral) and in the database (a partial unique index); the referral takes
the case's urgency and its reply due date follows the urgency. Through the HTTP API, on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import holidays
import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from caseflow.cases.rules import today_tokyo
from caseflow.core import db
from caseflow.referrals.models import Referral
from caseflow.referrals.rules import reply_due_for

from support import open_case

REASON = "世帯全体への継続的な見守りが必要なため"
REQUEST = "月1回程度の訪問をお願いしたい"


def refer(client, case_id, to_org_id, expect=201, **extra):
    r = client.post("/api/v1/referrals", json={"case_id": case_id, "to_org_id": str(to_org_id), "reason": REASON,
                                               "requested_support": REQUEST, **extra})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def act(client, referral_id, action, reason=None):
    r = client.post(f"/api/v1/referrals/{referral_id}/{action}", json={"reason": reason} if reason else None)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@pytest.fixture
def w(basic):
    basic.org("kmm-other", "npo", "NPO法人 ほかの会")
    basic.user("other@example.jp", "kmm-other", "npo_staff")
    return basic


def test_one_live_referral_per_case_and_organisation(w, app):
    coord, npo = w.client("coord@example.jp"), w.client("npo@example.jp")
    case = open_case(coord, with_parent=False)
    first = refer(coord, case["id"], w.orgs["kmm-npo"])
    again = refer(coord, case["id"], w.orgs["kmm-npo"], expect=409)
    assert again["type"].endswith("duplicate-referral") and again["existing_referral_id"] == first["id"]
    assert again["existing_state"] == "pending" and first["id"] in again["detail"]
    act(npo, first["id"], "accept")
    # accepted is still live: the organisation already works on the case
    again = refer(coord, case["id"], w.orgs["kmm-npo"], expect=409)
    assert again["existing_referral_id"] == first["id"] and again["existing_state"] == "accepted"
    # another organisation may be referred to at the same time
    refer(coord, case["id"], w.orgs["kmm-other"])
    assert len(coord.get(f"/api/v1/referrals?case_id={case['id']}").get_json()["items"]) == 2
    act(npo, first["id"], "complete", reason="支援完了")
    second = refer(coord, case["id"], w.orgs["kmm-npo"])  # once finished, the case may be referred again
    act(npo, second["id"], "decline", reason="受入枠がありません")
    refer(coord, case["id"], w.orgs["kmm-npo"])


@pytest.mark.parametrize("live", ["pending", "accepted"])
def test_the_database_refuses_a_second_live_referral(w, app, live):
    """The partial unique index holds when the application check is bypassed (both engines)."""
    coord = w.client("coord@example.jp")
    case = open_case(coord, with_parent=False)
    first = refer(coord, case["id"], w.orgs["kmm-npo"])

    def row(state):
        return Referral(case_id=uuid.UUID(case["id"]), from_org_id=w.orgs["kmk-chiiki"], to_org_id=w.orgs["kmm-npo"],
                        created_by_user_id=w.users["coord@example.jp"], reason="x", requested_support="x", state=state)

    with app.app_context():
        s = db.session()
        s.execute(update(Referral).where(Referral.id == uuid.UUID(first["id"])).values(state=live))
        for state in ("pending", "accepted"):
            s.add(row(state))
            with pytest.raises(IntegrityError):
                s.flush()
            s.rollback()
            s.execute(update(Referral).where(Referral.id == uuid.UUID(first["id"])).values(state=live))
        # answered referrals: any number beside the live one
        for state in ("declined", "withdrawn", "completed", "completed"):
            s.add(row(state))
            s.flush()
        s.rollback()


def next_business_day(day):
    day += timedelta(days=1)
    while day.weekday() >= 5 or day in holidays.Japan(years=day.year):
        day += timedelta(days=1)
    return day


def test_the_next_business_day_skips_weekends_and_national_holidays():
    # Friday 2027-01-08: Saturday, Sunday, then Monday 11 January is 成人の日
    assert reply_due_for("high", date(2027, 1, 8)) == date(2027, 1, 12)
    assert reply_due_for("high", date(2027, 1, 12)) == date(2027, 1, 13)
    assert reply_due_for("critical", date(2027, 1, 8)) == date(2027, 1, 8)


def test_urgency_is_inherited_and_sets_the_reply_due_date(w):
    coord = w.client("coord@example.jp")
    today = today_tokyo()
    expected = {"critical": today, "high": next_business_day(today), "normal": today + timedelta(days=7),
                "low": today + timedelta(days=14)}
    cases = {u: open_case(coord, urgency=u, with_parent=False) for u in expected}
    for urgency, due in expected.items():
        ref = refer(coord, cases[urgency]["id"], w.orgs["kmm-npo"])  # no urgency given: the case's
        assert (ref["urgency"], ref["reply_due"]) == (urgency, due.isoformat()), urgency
    # The sender may raise the urgency (and so the due date), never lower it below the case's.
    raised = refer(coord, cases["normal"]["id"], w.orgs["kmm-other"], urgency="critical")
    assert (raised["urgency"], raised["reply_due"]) == ("critical", today.isoformat())
    lowered = refer(coord, cases["high"]["id"], w.orgs["kmm-other"], urgency="normal", expect=422)
    assert "urgency" in lowered["errors"]
    # A reply date sooner than the urgency's is fine; a later one is refused, naming the field.
    late = refer(coord, cases["high"]["id"], w.orgs["kmm-other"], reply_due=(today + timedelta(days=7)).isoformat(),
                 expect=422)
    assert list(late["errors"]) == ["reply_due"]
    soon = refer(coord, cases["low"]["id"], w.orgs["kmm-other"], reply_due=(today + timedelta(days=2)).isoformat())
    assert (soon["urgency"], soon["reply_due"]) == ("low", (today + timedelta(days=2)).isoformat())
