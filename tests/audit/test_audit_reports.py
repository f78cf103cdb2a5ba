"""Auditor queries, anomaly reports, reviews, exports and verification checkpoints, on seeded events."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import uuid
import zipfile
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from sqlalchemy import Uuid, create_engine, literal, select, text, union_all

from caseflow.access import trail
from caseflow.access.trail import Disclosure
from caseflow.cli import main
from caseflow.core import db

from support import run_audit_verify

JST = timezone(timedelta(hours=9))
# Monday 1 June 2026, 10:00 in Tokyo: inside working hours.
MONDAY_10 = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
SINCE = "2026-05-01T00:00:00%2B09:00"
UNTIL = "2026-07-01T00:00:00%2B09:00"
PERIOD = f"since={SINCE}&until={UNTIL}"


def _actor(world, email, org):
    """An actor for seeded events: a user of an organisation acting in 鎌倉市 (the events' tenant)."""
    return SimpleNamespace(id=world.users[email], org_id=world.orgs[org],
                           municipality_id=world.municipalities["kamakura"])


def seed(app, *events):
    """Write events through the real audit hook (same chain, same hashes)."""
    with app.app_context():
        s = db.session()
        for ev in events:
            trail.record(s, **{"resource_type": "cases", **ev})
        s.commit()


def read(app, *persons, basis="own_collection", cats=("basic",)):
    return [Disclosure(p, basis, list(cats)) for p in persons]


def seqs(items):
    return [i["seq"] for i in items]


@pytest.fixture
def auditor(basic):
    return basic.client("auditor@example.jp")


@pytest.fixture
def people(basic):
    coord = _actor(basic, "coord@example.jp", "kmk-chiiki")
    npo = _actor(basic, "npo@example.jp", "kmm-npo")
    return SimpleNamespace(coord=coord, npo=npo, p1=uuid.uuid4(), p2=uuid.uuid4(), case1=uuid.uuid4(),
                           case2=uuid.uuid4(), consent=uuid.uuid4(), grant=uuid.uuid4())


def _search(client, query=""):
    r = client.get(f"/api/v1/audit-events?{PERIOD}&{query}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


# --- search -------------------------------------------------------------------------------------

def test_search_filters(app, basic, auditor, people):
    p = people
    t = MONDAY_10
    seed(app,
         dict(action="cases.read", resource_id=p.case1, actor=p.coord, legal_basis="own_collection",
              disclosures=read(app, p.p1), occurred_at=t),
         dict(action="cases.read", resource_id=p.case1, actor=p.npo, legal_basis=f"consent:{p.consent}",
              disclosures=read(app, p.p1, basis=f"consent:{p.consent}"), occurred_at=t + timedelta(minutes=1)),
         dict(action="referrals.create", resource_type="referrals", resource_id=uuid.uuid4(), actor=p.coord,
              detail={"case_id": str(p.case1)}, occurred_at=t + timedelta(minutes=2)),
         dict(action="cases.update", resource_id=p.case2, actor=p.npo, outcome="denied",
              occurred_at=t + timedelta(minutes=3)),
         dict(action="persons.read", resource_type="persons", resource_id=p.p2, actor=p.npo,
              legal_basis=f"emergency:{p.grant}", disclosures=read(app, p.p2, basis=f"emergency:{p.grant}"),
              flagged=True, detail={"case_id": str(p.case2)}, occurred_at=t + timedelta(days=1)),
         )
    everything = _search(auditor)["items"]
    assert len(everything) == 5
    first = everything[0]["seq"]
    s = lambda *offsets: [first + o for o in offsets]

    assert seqs(_search(auditor, f"actor_user_id={p.npo.id}")["items"]) == s(1, 3, 4)
    assert seqs(_search(auditor, f"actor_org_id={p.coord.org_id}")["items"]) == s(0, 2)
    assert seqs(_search(auditor, f"person_id={p.p1}")["items"]) == s(0, 1)
    assert seqs(_search(auditor, f"case_id={p.case1}")["items"]) == s(0, 1, 2)  # resource or detail.case_id
    assert seqs(_search(auditor, f"case_id={p.case2}")["items"]) == s(3, 4)
    assert seqs(_search(auditor, "action=cases.read")["items"]) == s(0, 1)
    assert seqs(_search(auditor, "action=cases.*")["items"]) == s(0, 1, 3)
    assert seqs(_search(auditor, "action=cases.")["items"]) == s(0, 1, 3)
    assert seqs(_search(auditor, "legal_basis=consent")["items"]) == s(1)
    assert seqs(_search(auditor, f"legal_basis=consent:{p.consent}")["items"]) == s(1)
    assert seqs(_search(auditor, "legal_basis=emergency:*")["items"]) == s(4)
    assert seqs(_search(auditor, "legal_basis=own_collection")["items"]) == s(0)
    assert seqs(_search(auditor, "outcome=denied")["items"]) == s(3)
    assert seqs(_search(auditor, "flagged=true")["items"]) == s(4)
    assert seqs(_search(auditor, "flagged=true&reviewed=false")["items"]) == s(4)
    assert _search(auditor, "flagged=true&reviewed=true")["items"] == []
    day2 = "since=2026-06-02T00:00:00%2B09:00&until=2026-06-03T00:00:00%2B09:00"
    assert seqs(auditor.get(f"/api/v1/audit-events?{day2}").get_json()["items"]) == s(4)
    # Combined filters narrow each other.
    assert seqs(_search(auditor, f"case_id={p.case1}&actor_org_id={p.npo.org_id}&action=cases.*")["items"]) == s(1)
    # The disclosures carry ids and bases only.
    assert everything[0]["disclosures"] == [{"person": str(p.p1), "basis": "own_collection", "categories": ["basic"]}]
    assert everything[4]["flagged"] is True and everything[4]["reviewed"] is False


def test_search_pages_both_ways_with_a_stable_cursor(app, basic, auditor, people):
    seed(app, *[dict(action="cases.read", resource_id=people.case1, actor=people.coord,
                     occurred_at=MONDAY_10 + timedelta(seconds=i)) for i in range(7)])
    for order in ("asc", "desc"):
        seen, cursor = [], None
        while True:
            page = _search(auditor, f"order={order}&limit=3" + (f"&after_seq={cursor}" if cursor else ""))
            seen += seqs(page["items"])
            cursor = page["next_after_seq"]
            if cursor is None:
                break
        assert len(seen) == 7 and len(set(seen)) == 7
        assert seen == sorted(seen, reverse=order == "desc")


def test_search_rejects_bad_filters(auditor):
    for query in ("action=ca*es", "action=cases.re*", "legal_basis=friendship", "outcome=maybe",
                  "person_id=not-a-uuid", "limit=100000"):
        r = auditor.get(f"/api/v1/audit-events?{query}")
        assert r.status_code == 422, query
        assert r.mimetype == "application/problem+json"


def test_searching_is_itself_audited(basic, auditor, people):
    auditor.get(f"/api/v1/audit-events?person_id={people.p1}")
    mine = auditor.get(f"/api/v1/audit-events?actor_user_id={basic.users['auditor@example.jp']}&action=audit.*")
    actions = [e["action"] for e in mine.get_json()["items"]]
    assert "audit.search" in actions
    ev = next(e for e in mine.get_json()["items"] if e["action"] == "audit.search")
    assert ev["detail"] == {"filters": ["person_id"]}  # names of the filters, not their values


# --- per-person report -----------------------------------------------------------------------------

def test_person_report_groups_disclosures_by_organisation_and_basis(app, basic, auditor, people):
    p = people
    t = MONDAY_10
    consent = f"consent:{p.consent}"
    seed(app,
         dict(action="persons.read", resource_type="persons", resource_id=p.p1, actor=p.coord,
              legal_basis="own_collection", disclosures=read(app, p.p1, cats=("basic", "contact")), occurred_at=t),
         dict(action="cases.read", resource_id=p.case1, actor=p.coord, legal_basis="own_collection",
              disclosures=read(app, p.p1, p.p2, cats=("case_notes",)), occurred_at=t + timedelta(hours=1)),
         dict(action="cases.read", resource_id=p.case1, actor=p.npo, legal_basis=consent,
              disclosures=read(app, p.p1, basis=consent, cats=("basic",)), occurred_at=t + timedelta(days=2)),
         dict(action="cases.read", resource_id=p.case1, actor=p.npo, legal_basis=consent,
              disclosures=read(app, p.p1, basis=consent, cats=("health",)), occurred_at=t + timedelta(days=3)),
         # A refused attempt disclosed nothing and is not in the report.
         dict(action="cases.read", resource_id=p.case1, actor=p.npo, outcome="denied", occurred_at=t),
         )
    r = auditor.get(f"/api/v1/audit-events/persons/{p.p1}/report")
    assert r.status_code == 200, r.get_json()
    rep = r.get_json()
    assert rep["total_disclosures"] == 4
    orgs = {o["org_name"]: o for o in rep["organisations"]}
    assert set(orgs) == {"鎌倉市 地域共生課", "NPO法人 テスト支援会"}
    own = orgs["鎌倉市 地域共生課"]
    assert own["disclosures"] == 2 and len(own["bases"]) == 1
    b = own["bases"][0]
    assert b["basis"] == "own_collection" and b["basis_label"] == "自機関収集"
    assert b["categories"] == ["basic", "case_notes", "contact"]
    assert b["actions"] == {"cases.read": 1, "persons.read": 1}
    assert b["first_at"].startswith("2026-06-01T01:00:00") and b["last_at"].startswith("2026-06-01T02:00:00")
    npo = orgs["NPO法人 テスト支援会"]["bases"][0]
    assert npo["basis"] == consent and npo["basis_kind"] == "consent" and npo["disclosures"] == 2
    assert npo["categories"] == ["basic", "health"] and npo["users"] == 1
    assert {k["basis_kind"]: k["disclosures"] for k in rep["by_basis_kind"]} == {"consent": 2, "own_collection": 2}
    # The other person's report holds only their own disclosure; a period narrows it.
    assert auditor.get(f"/api/v1/audit-events/persons/{p.p2}/report").get_json()["total_disclosures"] == 1
    narrowed = auditor.get(f"/api/v1/audit-events/persons/{p.p1}/report?since=2026-06-02T00:00:00%2B09:00")
    assert narrowed.get_json()["total_disclosures"] == 2
    # Who asked is on record, against the person's id.
    trail = auditor.get(f"/api/v1/audit-events?action=audit.person_report&resource_id={p.p1}").get_json()
    assert len(trail["items"]) == 2


# --- anomalies ------------------------------------------------------------------------------------

def test_emergency_uses_and_their_review(app, basic, auditor, people):
    p = people
    t = MONDAY_10
    basis = f"emergency:{p.grant}"
    seed(app,
         dict(action="emergency.open", resource_type="emergency_accesses", resource_id=p.grant, actor=p.npo,
              legal_basis=basis, flagged=True, detail={"case_id": str(p.case1)}, occurred_at=t),
         dict(action="persons.read", resource_type="persons", resource_id=p.p1, actor=p.npo, legal_basis=basis,
              disclosures=read(app, p.p1, basis=basis), flagged=True, occurred_at=t + timedelta(minutes=5)),
         dict(action="cases.read", resource_id=p.case1, actor=p.coord, occurred_at=t))
    rep = auditor.get(f"/api/v1/audit-events/anomalies/emergency?{PERIOD}").get_json()
    assert rep["summary"] == {"flagged_events": 2, "users": 1, "reviewed": 0, "unreviewed": 2, "patterns": 0}
    opened = rep["items"][0]
    assert opened["action"] == "emergency.open" and opened["reviewed"] is False
    assert opened["actor_org_name"] == "NPO法人 テスト支援会" and opened["actor_name"] == "テスト 利用者"
    assert opened["grant_use"] == {"events": 2, "persons": 1}

    r = auditor.post(f"/api/v1/audit-events/{opened['seq']}/reviews", json={"comment": "正当な理由を確認した。"})
    assert r.status_code == 201, r.get_json()
    rep = auditor.get(f"/api/v1/audit-events/anomalies/emergency?{PERIOD}").get_json()
    assert rep["summary"]["reviewed"] == 1 and rep["summary"]["unreviewed"] == 1
    assert rep["items"][0]["reviewed"] is True and rep["items"][0]["reviews"] == 1
    unreviewed = auditor.get(f"/api/v1/audit-events/anomalies/emergency?{PERIOD}&reviewed=false").get_json()
    assert [i["action"] for i in unreviewed["items"]] == ["persons.read"]


def test_denied_attempts_by_user(app, basic, auditor, people):
    p = people
    seed(app, *[dict(action=a, actor=p.npo, outcome="denied", resource_id=p.case1,
                     occurred_at=MONDAY_10 + timedelta(minutes=i))
                for i, a in enumerate(["cases.read", "cases.read", "cases.update", "persons.read"])],
         dict(action="cases.read", actor=p.coord, outcome="denied", occurred_at=MONDAY_10),
         *[dict(action="auth.login", resource_type="users", resource_id=p.coord.id, outcome="denied",
                municipality_id=p.coord.municipality_id,  # a failed login counts where the account is at home
                detail={"reason": "bad_password"}, occurred_at=MONDAY_10 + timedelta(seconds=i)) for i in range(3)])
    rep = auditor.get(f"/api/v1/audit-events/anomalies/denied?{PERIOD}").get_json()
    assert rep["min_count"] == 3
    assert [(i["actor_email"], i["denied"]) for i in rep["items"]] == [("npo@example.jp", 4)]
    assert rep["items"][0]["actions"] == {"cases.read": 2, "cases.update": 1, "persons.read": 1}
    assert rep["items"][0]["distinct_actions"] == 3
    assert [(f["email"], f["failures"]) for f in rep["failed_logins"]] == [("coord@example.jp", 3)]
    assert rep["summary"]["denied_events"] == 8
    everyone = auditor.get(f"/api/v1/audit-events/anomalies/denied?{PERIOD}&min_count=1").get_json()
    assert [i["actor_email"] for i in everyone["items"]] == ["npo@example.jp", "coord@example.jp"]


def test_bulk_access_pattern_is_found_and_a_steady_pace_is_not(app, basic, auditor, people):
    p = people
    bulk_people = [uuid.uuid4() for _ in range(40)]
    steady_people = [uuid.uuid4() for _ in range(40)]
    start = MONDAY_10
    seed(app,
         # npo: 40 different persons in 4 minutes (one every 6 seconds), some read twice.
         *[dict(action="persons.read", resource_type="persons", resource_id=x, actor=p.npo,
                disclosures=read(app, x), occurred_at=start + timedelta(seconds=6 * i))
           for i, x in enumerate(bulk_people + bulk_people[:5])],
         # coord: 40 different persons at one every 15 minutes: never more than 1 within 10 minutes.
         *[dict(action="persons.read", resource_type="persons", resource_id=x, actor=p.coord,
                disclosures=read(app, x), occurred_at=start + timedelta(minutes=15 * i))
           for i, x in enumerate(steady_people)])
    rep = auditor.get(f"/api/v1/audit-events/anomalies/bulk?{PERIOD}").get_json()
    assert rep["threshold"] == {"persons": 30, "minutes": 10}
    assert len(rep["items"]) == 1, rep
    inc = rep["items"][0]
    assert inc["actor_email"] == "npo@example.jp" and inc["actor_org_name"] == "NPO法人 テスト支援会"
    assert inc["peak_persons"] == 40 and inc["persons"] == 40 and inc["events"] == 45
    assert inc["since"].startswith("2026-06-01T01:00:00")
    # Thresholds from the query: a wider window catches the steady reader too; a higher bar, nobody.
    wide = auditor.get(f"/api/v1/audit-events/anomalies/bulk?{PERIOD}&persons=30&minutes=600").get_json()
    assert sorted(i["actor_email"] for i in wide["items"]) == ["coord@example.jp", "npo@example.jp"]
    assert auditor.get(f"/api/v1/audit-events/anomalies/bulk?{PERIOD}&persons=40").get_json()["items"] == []


def test_bulk_threshold_comes_from_configuration(app, basic, auditor, people):
    app.config.update(AUDIT_BULK_PERSONS=3, AUDIT_BULK_MINUTES=1)
    seed(app, *[dict(action="persons.read", resource_type="persons", actor=people.coord,
                     disclosures=read(app, uuid.uuid4()), occurred_at=MONDAY_10 + timedelta(seconds=i))
                for i in range(4)])
    rep = auditor.get(f"/api/v1/audit-events/anomalies/bulk?{PERIOD}").get_json()
    assert rep["threshold"] == {"persons": 3, "minutes": 1}
    assert [i["peak_persons"] for i in rep["items"]] == [4]


def test_after_hours_pattern(app, basic, auditor, people):
    p = people
    late = datetime(2026, 6, 2, 23, 30, tzinfo=JST)  # Tuesday night
    saturday = datetime(2026, 6, 6, 10, 0, tzinfo=JST)
    early = datetime(2026, 6, 3, 7, 59, tzinfo=JST)  # Wednesday, a minute before opening
    seed(app,
         dict(action="persons.read", resource_type="persons", actor=p.npo, disclosures=read(app, p.p1), occurred_at=late),
         dict(action="persons.read", resource_type="persons", actor=p.npo, disclosures=read(app, p.p2),
              occurred_at=late + timedelta(minutes=5)),
         dict(action="persons.read", resource_type="persons", actor=p.coord, disclosures=read(app, p.p1),
              occurred_at=saturday),
         dict(action="persons.read", resource_type="persons", actor=p.coord, disclosures=read(app, p.p1),
              occurred_at=early),
         dict(action="persons.read", resource_type="persons", actor=p.coord, disclosures=read(app, p.p2),
              occurred_at=MONDAY_10),
         # After hours, but no personal data: only with scope=all.
         dict(action="cases.update", actor=p.coord, occurred_at=late),
         # Refused attempts are the denied report's business.
         dict(action="persons.read", resource_type="persons", actor=p.coord, outcome="denied", occurred_at=late))
    url = f"/api/v1/audit-events/anomalies/after-hours?{PERIOD}"
    rep = auditor.get(url).get_json()
    assert rep["working_hours"] == {"start": "08:00", "end": "20:00", "timezone": "Asia/Tokyo", "weekends_off": True,
                                    "national_holidays": True,  # the closed days of the period (ゴールデンウィーク)
                                    "holidays": ["2026-05-03", "2026-05-04", "2026-05-05", "2026-05-06"]}
    assert rep["summary"] == {"events": 4, "users": 2}
    by_user = {u["actor_email"]: u for u in rep["by_user"]}
    assert by_user["npo@example.jp"]["events"] == 2 and by_user["npo@example.jp"]["persons"] == 2
    assert by_user["coord@example.jp"]["events"] == 2
    assert [i["occurred_at"][:16] for i in rep["items"]] == ["2026-06-02T14:30", "2026-06-02T14:35",
                                                              "2026-06-06T01:00", "2026-06-02T22:59"]
    # Overrides: weekdays only 07:00-23:00, weekends working, Monday 1 June a holiday.
    rep = auditor.get(url + "&work_start=07:00&work_end=23:00&weekends_off=false&holidays=2026-06-01").get_json()
    assert [i["occurred_at"][:16] for i in rep["items"]] == ["2026-06-02T14:30", "2026-06-02T14:35",
                                                              "2026-06-01T01:00"]
    assert auditor.get(url + "&scope=all").get_json()["summary"]["events"] == 5
    paged = auditor.get(url + "&limit=3").get_json()
    assert len(paged["items"]) == 3 and paged["next_after_seq"] == paged["items"][-1]["seq"]
    rest = auditor.get(url + f"&limit=3&after_seq={paged['next_after_seq']}").get_json()
    assert len(rest["items"]) == 1 and rest["next_after_seq"] is None
    assert auditor.get(url + "&work_start=20:00&work_end=08:00").status_code == 422


def test_national_holidays_are_closed_days_from_the_holidays_library(app, basic, auditor, people):
    """海の日 (Monday 20 July 2026) and the 振替休日 of Wednesday 6 May 2026 (憲法記念日 fell on a Sunday) come
    from the `holidays` library, not from a hand-typed list; an operator can turn them off or add days."""
    marine_day = datetime(2026, 7, 20, 10, 0, tzinfo=JST)
    substitute = datetime(2026, 5, 6, 10, 0, tzinfo=JST)
    ordinary = datetime(2026, 7, 21, 10, 0, tzinfo=JST)
    seed(app, *[dict(action="persons.read", resource_type="persons", actor=people.coord,
                     disclosures=read(app, people.p1), occurred_at=t) for t in (marine_day, substitute, ordinary)])
    url = "/api/v1/audit-events/anomalies/after-hours?since=2026-05-01T00:00:00%2B09:00&until=2026-08-01T00:00:00%2B09:00"
    rep = auditor.get(url).get_json()
    assert [i["occurred_at"][:10] for i in rep["items"]] == ["2026-07-20", "2026-05-06"]
    assert {"2026-05-03", "2026-05-04", "2026-05-05", "2026-05-06", "2026-07-20"} <= set(rep["working_hours"]["holidays"])
    off = auditor.get(url + "&national_holidays=false&holidays=2026-07-21").get_json()
    assert off["working_hours"]["national_holidays"] is False and off["working_hours"]["holidays"] == ["2026-07-21"]
    assert [i["occurred_at"][:10] for i in off["items"]] == ["2026-07-21"]
    app.config.update(AUDIT_NATIONAL_HOLIDAYS=False)
    assert auditor.get(url).get_json()["items"] == []


def test_anomaly_periods_are_bounded(auditor):
    r = auditor.get("/api/v1/audit-events/anomalies/denied?since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z")
    assert r.status_code == 422 and "since" in r.get_json()["errors"]
    r = auditor.get("/api/v1/audit-events/anomalies/denied?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z")
    assert r.status_code == 422
    assert auditor.get("/api/v1/audit-events/anomalies/nonsense").status_code == 404
    # Dates the reports cannot print (和暦 starts in 1873) and cursors beyond 64 bits are input errors.
    assert auditor.get("/api/v1/audit-events/report.pdf?until=1131-03-28T13:29:19Z").status_code == 422
    assert auditor.get(f"/api/v1/audit-events?after_seq={10**30}").status_code == 422


def _periods(rows):
    """A stand-in for caseflow.access.sharing.involvement_periods(): (case_id, org_id, from, until)."""
    from caseflow.core.db import UTCDateTime

    return union_all(*[select(literal(c, Uuid).label("case_id"), literal(o, Uuid).label("org_id"),
                              literal(f, UTCDateTime).label("involved_from"),
                              literal(u, UTCDateTime).label("involved_until")) for c, o, f, u in rows])


def _uninvolved_world(app, people):
    p = people
    ended = MONDAY_10 + timedelta(days=1)
    seed(app,
         # Before the NPO's involvement ended: fine.
         dict(action="cases.read", resource_id=p.case1, actor=p.npo, disclosures=read(app, p.p1), occurred_at=MONDAY_10),
         # After it ended: reported (through the resource, and through detail.case_id).
         dict(action="cases.read", resource_id=p.case1, actor=p.npo, disclosures=read(app, p.p1),
              occurred_at=ended + timedelta(hours=2)),
         dict(action="progress.read", resource_type="progress_records", resource_id=uuid.uuid4(), actor=p.npo,
              detail={"case_id": str(p.case1)}, occurred_at=ended + timedelta(hours=3)),
         # The coordinator's department is still involved.
         dict(action="cases.read", resource_id=p.case1, actor=p.coord, occurred_at=ended + timedelta(hours=3)),
         # An organisation never involved in case2 (its own rules decide; not "no longer involved").
         dict(action="cases.read", resource_id=p.case2, actor=p.npo, occurred_at=ended + timedelta(hours=3)),
         # Refused attempts are not accesses.
         dict(action="cases.read", resource_id=p.case1, actor=p.npo, outcome="denied",
              occurred_at=ended + timedelta(hours=4)))
    start = MONDAY_10 - timedelta(days=10)
    return _periods([(p.case1, p.coord.org_id, start, None), (p.case1, p.npo.org_id, start, ended),
                     (p.case2, p.coord.org_id, start, None)])


def test_access_after_involvement_ended(app, basic, people):
    from caseflow.audit import anomalies as audit_anomalies
    from caseflow.audit import queries as audit_queries

    periods = _uninvolved_world(app, people)
    with app.app_context():
        rep = audit_anomalies.uninvolved_access(MONDAY_10 - timedelta(days=30),
                                                MONDAY_10 + timedelta(days=30), periods=periods,
                                                tenant=audit_queries.Tenant(basic.municipalities["kamakura"]))
    assert [(i["action"], i["case_id"], i["personal_data"]) for i in rep["items"]] == [
        ("cases.read", str(people.case1), True), ("progress.read", str(people.case1), False)]
    assert all(i["actor_org_name"] == "NPO法人 テスト支援会" for i in rep["items"])
    assert rep["items"][0]["involved_until"] == MONDAY_10 + timedelta(days=1)


def test_the_uninvolved_endpoint_reads_the_involvement_periods(app, basic, auditor, people, monkeypatch):
    """The endpoint takes its periods from the sharing engine (caseflow.access.sharing.involvement_periods);
    here a seeded set of periods stands in for them."""
    from caseflow.access import sharing

    url = f"/api/v1/audit-events/anomalies/uninvolved?{PERIOD}"
    periods = _uninvolved_world(app, people)
    monkeypatch.setattr(sharing, "involvement_periods", lambda: periods)
    r = auditor.get(url)
    assert r.status_code == 200, r.get_json()
    assert [i["action"] for i in r.get_json()["items"]] == ["cases.read", "progress.read"]


# --- reviews --------------------------------------------------------------------------------------

def test_review_workflow(app, basic, auditor, people):
    seed(app, dict(action="emergency.open", resource_type="emergency_accesses", resource_id=people.grant,
                   actor=people.npo, legal_basis=f"emergency:{people.grant}", flagged=True, occurred_at=MONDAY_10))
    seq = _search(auditor, "flagged=true")["items"][0]["seq"]
    comment = "本人の生命保護のため必要と判断。記録は妥当。"
    r = auditor.post(f"/api/v1/audit-events/{seq}/reviews", json={"comment": comment})
    assert r.status_code == 201
    review = r.get_json()
    assert review["event_seq"] == seq and review["comment"] == comment
    assert review["reviewer_user_id"] == str(basic.users["auditor@example.jp"])
    # The review is on the trail, with a hash of its comment (an edited review shows) and no text.
    trail = auditor.get(f"/api/v1/audit-events?action=audit.review&resource_id={seq}").get_json()["items"]
    assert len(trail) == 1
    assert trail[0]["detail"] == {"review_id": review["id"], "flagged_event": True,
                                  "comment_sha256": hashlib.sha256(comment.encode()).hexdigest()}
    one = auditor.get(f"/api/v1/audit-events/{seq}").get_json()
    assert one["reviewed"] is True and [x["comment"] for x in one["review_items"]] == [comment]
    assert [x["id"] for x in auditor.get(f"/api/v1/audit-events/{seq}/reviews").get_json()["items"]] == [review["id"]]
    assert _search(auditor, "flagged=true&reviewed=true")["items"][0]["seq"] == seq


def test_review_rules(app, basic, auditor, people):
    seed(app, dict(action="emergency.open", resource_type="emergency_accesses", actor=people.npo, flagged=True,
                   occurred_at=MONDAY_10))
    seq = _search(auditor, "flagged=true")["items"][0]["seq"]
    assert auditor.post(f"/api/v1/audit-events/{seq}/reviews", json={"comment": ""}).status_code == 422
    assert auditor.post(f"/api/v1/audit-events/{seq}/reviews", json={}).status_code == 422
    assert auditor.post("/api/v1/audit-events/999999/reviews", json={"comment": "x"}).status_code == 404
    assert auditor.post("/api/v1/audit-events/abc/reviews", json={"comment": "x"}).status_code == 404
    assert auditor.get("/api/v1/audit-events/999999").status_code == 404
    for email in ("coord@example.jp", "npo@example.jp", "admin@example.jp", "super@example.jp"):
        r = basic.client(email).post(f"/api/v1/audit-events/{seq}/reviews", json={"comment": "ok"})
        assert r.status_code == 403, email
    # Nobody reviews their own actions.
    own = auditor.get(f"/api/v1/audit-events?actor_user_id={basic.users['auditor@example.jp']}").get_json()
    own = own["items"][0]["seq"]
    r = auditor.post(f"/api/v1/audit-events/{own}/reviews", json={"comment": "自分の検索"})
    assert r.status_code == 409


def test_only_auditors_reach_the_reports(basic, people):
    urls = [f"/api/v1/audit-events/persons/{people.p1}/report", "/api/v1/audit-events/anomalies/emergency",
            "/api/v1/audit-events/anomalies/denied", "/api/v1/audit-events/anomalies/bulk",
            "/api/v1/audit-events/anomalies/after-hours", "/api/v1/audit-events/anomalies/uninvolved",
            "/api/v1/audit-events/report.pdf", "/api/v1/audit-events/verification", "/api/v1/audit-events/1"]
    for email in ("coord@example.jp", "npo@example.jp", "admin@example.jp", "super@example.jp"):
        c = basic.client(email)
        for url in urls:
            assert c.get(url).status_code == 403, (email, url)


# --- exports ---------------------------------------------------------------------------------------

JAPANESE = "鎌倉市 地域共生課・ｶﾀｶﾅ・𠮷野家・①"


def _csv_export(app, basic, auditor, people, n=1200):
    seed(app, *[dict(action="cases.read", resource_id=people.case1, actor=people.coord,
                     disclosures=read(app, people.p1, cats=("基本情報",)), detail={"note_code": JAPANESE, "i": i},
                     occurred_at=MONDAY_10 + timedelta(seconds=i)) for i in range(n)])
    r = auditor.get(f"/api/v1/audit-events/export.csv?{PERIOD}&case_id={people.case1}&header=en")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.is_streamed
    return r.get_data()


def test_csv_export_streams_with_a_bom_and_decodes(app, basic, auditor, people):
    body = _csv_export(app, basic, auditor, people)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 1200
    assert JAPANESE in rows[0]["detail"] and rows[0]["disclosure_categories"] == "基本情報"
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    assert rows[0]["flagged"] == "false" and len(rows[0]["hash"]) == 64
    trail = auditor.get("/api/v1/audit-events?action=audit.export").get_json()["items"]
    assert trail and trail[-1]["detail"]["format"] == "csv"


def test_csv_opens_in_libreoffice_with_japanese_intact(app, basic, auditor, people, tmp_path):
    """Open the CSV in LibreOffice Calc (headless) as UTF-8, comma-separated, and save it as .xlsx: the
    workbook holds the Japanese text unchanged and the BOM does not leak into the first header.

    Headless conversion shows no import dialog and does not sniff the BOM (it would read the system
    charset), so the import options say UTF-8 (76), as the dialog does for a file with a BOM."""
    src = tmp_path / "audit-events.csv"
    src.write_bytes(_csv_export(app, basic, auditor, people, n=20))
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=300, env={**os.environ, "HOME": str(tmp_path)})
    import html
    import re

    with zipfile.ZipFile(tmp_path / "audit-events.xlsx") as xlsx:
        strings = [html.unescape(t) for t in
                   re.findall(r"<t[^>]*>(.*?)</t>", xlsx.read("xl/sharedStrings.xml").decode("utf-8"), re.DOTALL)]
    assert strings[0] == "seq"  # the BOM was taken as a BOM, not as part of the first cell
    assert any(JAPANESE in s for s in strings) and any("基本情報" in s for s in strings)
    assert "cases.read" in strings
    assert not any("\ufffd" in s or "éŽŒ" in s for s in strings)  # no replacement characters, no mojibake


def test_period_pdf_report(app, basic, auditor, people, tmp_path):
    p = people
    seed(app,
         *[dict(action="persons.read", resource_type="persons", actor=p.npo, disclosures=read(app, uuid.uuid4()),
                occurred_at=MONDAY_10 + timedelta(seconds=i)) for i in range(35)],
         dict(action="emergency.open", resource_type="emergency_accesses", actor=p.npo, flagged=True,
              legal_basis=f"emergency:{p.grant}", occurred_at=MONDAY_10),
         *[dict(action="cases.update", actor=p.coord, outcome="denied", occurred_at=MONDAY_10) for _ in range(3)],
         dict(action="cases.read", resource_id=p.case1, actor=p.coord, legal_basis=f"consent:{p.consent}",
              disclosures=read(app, p.p1, basis=f"consent:{p.consent}"),
              occurred_at=datetime(2026, 6, 2, 23, 0, tzinfo=JST)))
    r = auditor.get(f"/api/v1/audit-events/report.pdf?{PERIOD}")
    assert r.status_code == 200, r.get_data()[:300]
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(r.data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                         text=True).stdout
    squeezed = "".join(out.split())
    for expected in ("監査報告書", "対象期間", "操作の区分別件数", "法的根拠別の開示件数", "組織別件数",
                     "緊急アクセス", "未レビュー1件", "拒否された操作", "大量アクセス", "業務時間外",
                     "ハッシュチェーンの検証", "NPO法人テスト支援会", "鎌倉市地域共生課", "本人同意",
                     "監査担当", "ページ"):
        assert expected in squeezed, expected
    assert str(p.p1) not in out  # person ids are not in the summary
    trail = auditor.get("/api/v1/audit-events?action=audit.report_pdf").get_json()["items"]
    assert len(trail) == 1 and trail[0]["detail"]["since"].startswith("2026-04-30T15:00:00")


# --- verification checkpoints ------------------------------------------------------------------------

def _raw_sql(db_url, *statements):
    eng = create_engine(db_url)
    with eng.begin() as conn:
        if eng.dialect.name == "sqlite":
            for trig in ("audit_events_no_update", "audit_events_no_delete", "audit_subjects_no_delete",
                         "audit_verifications_no_delete", "audit_reviews_guard_no_delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trig}"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for stmt in statements:
            conn.execute(text(stmt))
    eng.dispose()


def _head(db_url) -> int:
    eng = create_engine(db_url)
    with eng.connect() as conn:
        n = conn.execute(text("SELECT seq FROM audit_chain_head")).scalar()
    eng.dispose()
    return n


def _more_events(app, people, n=5):
    seed(app, *[dict(action="cases.read", resource_id=people.case1, actor=people.coord) for _ in range(n)])


def test_incremental_verification_from_checkpoints(app, basic, auditor, people, db_url):
    _more_events(app, people)
    code, out = run_audit_verify(db_url)
    head = _head(db_url)
    assert code == 0 and f"{head} events verified" in out and "events/s" in out and "full" in out
    status = auditor.get("/api/v1/audit-events/verification").get_json()
    assert status["last"]["ok"] and status["last"]["signature_valid"] and status["last"]["to_seq"] == head
    assert status["checkpoint"]["to_seq"] == head and status["last_full"]["mode"] == "full"
    assert status["unverified_events"] == status["head_seq"] - head == 0

    _more_events(app, people, 3)
    code, out = run_audit_verify(db_url, "--incremental")
    new_head = _head(db_url)
    assert code == 0 and f"{new_head - head} events verified" in out and "incremental" in out

    # A change after the checkpoint is found by the next incremental run.
    _more_events(app, people, 2)
    _raw_sql(db_url, f"UPDATE audit_events SET action = 'cases.list' WHERE seq = {new_head + 1}")
    code, out = run_audit_verify(db_url, "--incremental")
    assert code == 1 and f"event {new_head + 1}" in out and "altered" in out
    status = auditor.get("/api/v1/audit-events/verification").get_json()
    assert status["last"]["ok"] is False and status["last"]["first_bad_seq"] == new_head + 1
    assert status["checkpoint"]["to_seq"] == new_head  # failures are no checkpoint


def test_incremental_run_notices_a_rewritten_checkpoint_event(app, basic, people, db_url):
    _more_events(app, people)
    assert run_audit_verify(db_url)[0] == 0
    head = _head(db_url)
    _raw_sql(db_url, f"UPDATE audit_events SET hash = '{'f' * 64}' WHERE seq = {head}")
    code, out = run_audit_verify(db_url, "--incremental")
    assert code == 1 and f"event {head}" in out


def test_full_verification_finds_what_incremental_cannot(app, basic, people, db_url):
    _more_events(app, people)
    assert run_audit_verify(db_url)[0] == 0
    _raw_sql(db_url, "UPDATE audit_events SET outcome = 'denied' WHERE seq = 2")
    assert run_audit_verify(db_url, "--incremental")[0] == 0  # before the checkpoint: by design
    code, out = run_audit_verify(db_url, "--full")
    assert code == 1 and "event 2" in out


def test_forged_checkpoints_are_not_trusted(app, basic, people, db_url):
    _more_events(app, people)
    head = _head(db_url)
    eng = create_engine(db_url)
    with eng.connect() as conn:
        head_hash = conn.execute(text(f"SELECT hash FROM audit_events WHERE seq = {head}")).scalar()
    eng.dispose()

    def forge(to_hash):
        _raw_sql(db_url, "INSERT INTO audit_verifications (mode, started_at, finished_at, from_seq, to_seq, to_hash, "
                         "ok, checked, seconds, events_per_second, signature) VALUES ('full', "
                         f"'2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 0, {head}, '{to_hash}', true, "
                         f"{head}, 0, 0, '{'0' * 64}')")

    # A forged row that agrees with the chain is no starting point: verification starts from the genesis,
    # and the row is reported.
    forge(head_hash)
    result = CliRunner().invoke(main, ["audit", "verify", "--incremental"], env={"CASEFLOW_DATABASE_URL": db_url})
    assert result.exit_code == 0 and f"{head} events verified" in result.stdout
    assert "1 checkpoints have an invalid HMAC (#1)" in result.stderr
    # One that contradicts the chain is a contradiction, whatever its HMAC says.
    forge("a" * 64)
    code, out = run_audit_verify(db_url, "--incremental")
    assert code == 1 and f"event {head} contradicts checkpoint #3" in out and "its HMAC is invalid" in out


def test_archived_range_verifies_from_its_signed_checkpoint(app, basic, people, db_url):
    _more_events(app, people)
    assert run_audit_verify(db_url)[0] == 0
    archived = _head(db_url)
    _more_events(app, people, 4)
    # The operator archives events 1..archived (see docs/audit-retention.md) and removes them.
    _raw_sql(db_url, f"DELETE FROM audit_subjects WHERE event_seq <= {archived}",
             f"DELETE FROM audit_reviews WHERE event_seq <= {archived}",
             f"DELETE FROM audit_events WHERE seq <= {archived}")
    code, out = run_audit_verify(db_url, "--full")
    assert code == 0, out
    assert f"events {archived + 1}..{_head(db_url)}" in out
    # Without the signed checkpoint the gap is an error.
    _raw_sql(db_url, "DELETE FROM audit_verifications")
    code, out = run_audit_verify(db_url, "--full")
    assert code == 1 and "event 1 is missing" in out


def test_xlsx_export_has_jst_date_cells_names_and_basis_columns(app, basic, auditor, people):
    """The .xlsx: Japanese headers, the time a real date cell in Japan time (23:40 JST stays 23:40), the
    actor's name and organisation, the basis and categories in columns of their own."""
    import openpyxl

    seed(app, dict(action="cases.read", resource_id=people.case1, actor=people.coord,
                   disclosures=read(app, people.p1, cats=("基本情報", "連絡先")),
                   occurred_at=datetime(2026, 6, 1, 23, 40, 5, 123456, tzinfo=JST)))
    r = auditor.get(f"/api/v1/audit-events/export.xlsx?{PERIOD}&case_id={people.case1}")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    head, row = [c.value for c in ws[1]], {h: c for h, c in zip([c.value for c in ws[1]], ws[2])}
    assert head[:4] == ["連番", "日時（日本時間）", "操作者", "操作者の所属"]
    assert row["日時（日本時間）"].value == datetime(2026, 6, 1, 23, 40, 5) and row["日時（日本時間）"].is_date
    assert row["操作者"].value and row["操作者の所属"].value
    assert row["開示の根拠"].value == "own_collection" and row["開示した項目"].value == "基本情報、連絡先"
    body = auditor.get(f"/api/v1/audit-events/export.csv?{PERIOD}&case_id={people.case1}").get_data(as_text=True)
    assert "2026-06-01T23:40:05+09:00" in body and ".123456" not in body
    assert auditor.get("/api/v1/audit-events/export.xlsx?header=fr").status_code == 422
