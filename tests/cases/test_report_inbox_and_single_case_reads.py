"""Behaviour pinned down for the KPI report's stage-at-period-end, the referral inbox / outbox order across
pages, and the single-record visibility checks (household, person, consents, agenda), through the HTTP
API against the real database (benchmarks/README.md, "Hot spots left in other modules")."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from caseflow.cases.models import Case, CaseInvolvement, CaseStageChange
from caseflow.consents.models import EmergencyAccess
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember
from caseflow.referrals.models import Referral

from support import council_for, council_row, open_case, today_jst

TOKYO = timezone(timedelta(hours=9))


# --- KPI: stage at the end of the period ---------------------------------------------------------

def _at(d: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(d, datetime.min.time(), TOKYO).replace(hour=hour, minute=minute)


@pytest.fixture
def stage_history(app, basic):
    """Cases with hand-written stage histories (times in Asia/Tokyo):

      A  opened 2025-05-01 intake; support 2026-05-10 (after FY2025 ended)
      B  opened 2024-06-01 intake; closed 2024-12-01 (before FY2025 began: still "closed" at its end)
      C  opened 2024-06-01 intake; closed 2024-10-01; reopened to assessment 2025-07-01
      D  opened 2025-04-10 intake; closed 2026-03-31 23:00 (the last hour of FY2025)
      E  opened 2025-04-10 intake; support at 2026-04-01 00:00 exactly (the first instant of FY2026)
      F  opened 2025-06-01 intake; referral and assessment at the same instant 2025-08-01 10:00
      G  opened 2026-04-05 intake (after FY2025)
      H  koshigoe, owned by the NPO: opened 2025-05-01 intake; support 2025-09-01
    """
    owner, npo = basic.orgs["kmk-chiiki"], basic.orgs["kmm-npo"]
    spec = {
        "A": (owner, "ofuna", date(2025, 5, 1), [("support", _at(date(2026, 5, 10)), None)]),
        "B": (owner, "ofuna", date(2024, 6, 1), [("closed", _at(date(2024, 12, 1)), "moved")]),
        "C": (owner, "ofuna", date(2024, 6, 1), [("closed", _at(date(2024, 10, 1)), "handed_over"),
                                                 ("assessment", _at(date(2025, 7, 1)), None)]),
        "D": (owner, "ofuna", date(2025, 4, 10), [("closed", _at(date(2026, 3, 31), 23), "goal_achieved")]),
        "E": (owner, "ofuna", date(2025, 4, 10), [("support", _at(date(2026, 4, 1), 0), None)]),
        "F": (owner, "ofuna", date(2025, 6, 1), [("referral", _at(date(2025, 8, 1)), None),
                                                ("assessment", _at(date(2025, 8, 1)), None)]),
        "G": (owner, "ofuna", date(2026, 4, 5), []),
        "H": (npo, "koshigoe", date(2025, 5, 1), [("support", _at(date(2025, 9, 1)), None)]),
    }
    with app.app_context():
        s = db.session()
        for n, (name, (org, district, opened, changes)) in enumerate(spec.items(), 1):
            stage = changes[-1][0] if changes else "intake"
            case = Case(case_number=f"S-{n:06d}", municipality_id=basic.municipalities["kamakura"], owner_org_id=org,
                        intake_channel="counter", district_code=district,
                        opened_on=opened, anonymous_label=name, stage=stage)
            s.add(case)
            s.flush()
            s.add(CaseStageChange(case_id=case.id, to_stage="intake", at=_at(opened, 9)))
            previous = "intake"
            for to, at, closure in changes:
                s.add(CaseStageChange(case_id=case.id, from_stage=previous, to_stage=to, closure_reason=closure, at=at))
                previous = to
        s.commit()


def _kpi(app, basic, query: str) -> dict:
    app.config["REPORT_LEAD_ORGS"] = ["kmk-chiiki"]
    r = basic.client("coord@example.jp").get(f"/api/v1/reports/kpi?{query}&audience=internal")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_stage_at_period_end_uses_the_last_change_before_the_end(app, basic, stage_history):
    k = _kpi(app, basic, "fiscal_year=2025")
    # A and E changed only after the end; C was reopened; B closed before the start still counts as closed;
    # F's two changes at one instant count once under each stage; G did not exist yet.
    assert k["cases_by_stage_at_end"] == {"intake": 2, "closed": 2, "assessment": 2, "referral": 1, "support": 1}
    assert k["closures_by_reason"] == {"goal_achieved": 1}
    k = _kpi(app, basic, "fiscal_year=2026")
    assert k["cases_by_stage_at_end"] == {"support": 3, "closed": 2, "assessment": 2, "referral": 1, "intake": 1}
    assert k["closures_by_reason"] == {}
    k = _kpi(app, basic, "fiscal_year=2024")
    assert k["cases_by_stage_at_end"] == {"closed": 2}
    assert k["closures_by_reason"] == {"moved": 1, "handed_over": 1}
    k = _kpi(app, basic, "month=2025-07")
    assert k["cases_by_stage_at_end"] == {"intake": 5, "closed": 1, "assessment": 1}
    assert _kpi(app, basic, "fiscal_year=2023")["cases_by_stage_at_end"] == {}


def test_stage_at_period_end_with_filters(app, basic, stage_history):
    assert _kpi(app, basic, "fiscal_year=2025&district=koshigoe")["cases_by_stage_at_end"] == {"support": 1}
    npo = basic.orgs["kmm-npo"]
    assert _kpi(app, basic, f"fiscal_year=2025&org_id={npo}")["cases_by_stage_at_end"] == {"support": 1}
    owner = basic.orgs["kmk-chiiki"]
    k = _kpi(app, basic, f"fiscal_year=2025&org_id={owner}&district=ofuna")
    assert k["cases_by_stage_at_end"] == {"intake": 2, "closed": 2, "assessment": 2, "referral": 1}


# --- referral inbox / outbox: order across pages ---------------------------------------------------

URGENCY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}


def _expected_order(rows: list[dict], today: date) -> list[str]:
    """The documented order, computed here from the rows: pending first (overdue ones first), by urgency
    and due date (missing due date last); then accepted, then the rest, most recently changed first; id."""
    def key(r):
        pending = r["state"] == "pending"
        overdue = pending and r["reply_due"] is not None and r["reply_due"] < today
        group = 0 if overdue else 1 if pending else 2 if r["state"] == "accepted" else 3
        urgency = URGENCY_RANK.get(r["urgency"], 9) if pending else 9
        due_missing = 0 if pending and r["reply_due"] is not None else 1
        due = r["reply_due"] if pending and r["reply_due"] is not None else date.min
        return (group, urgency, due_missing, due, -r["updated_at"].timestamp(), uuid.UUID(r["id"]).hex)
    return [r["id"] for r in sorted(rows, key=key)]


def _pages(client, query: str, limit: int) -> list[str]:
    out, offset = [], 0
    while True:
        page = client.get(f"/api/v1/referrals?{query}&limit={limit}&offset={offset}").get_json()
        out += [x["id"] for x in page["items"]]
        assert len(page["items"]) <= limit
        if not page["has_more"]:
            return out
        offset += limit


@pytest.fixture
def many_referrals(app, basic):
    """13 referrals from the coordinator's department to the NPO in every state, urgency and due date,
    with changes spread in time (two answered ones changed at the same instant: the id decides)."""
    coord, npo = basic.client("coord@example.jp"), basic.client("npo@example.jp")
    npo_org = basic.orgs["kmm-npo"]
    plan = [("pending", "normal"), ("pending", "critical"), ("pending", "low"), ("pending", "high"),
            ("pending", "normal"), ("pending", "normal"), ("accepted", "high"), ("accepted", "normal"),
            ("declined", "critical"), ("withdrawn", "normal"), ("completed", "low"), ("completed", "normal"),
            ("declined", "normal")]
    ids = []
    for i, (state, urgency) in enumerate(plan):
        # the case carries the urgency: a referral takes it and may not lower it
        case = open_case(coord, person={"name": f"紹介 太郎{i}", "name_kana": "ショウカイ タロウ"}, urgency=urgency)
        r = coord.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(npo_org), "reason": "理由",
                                                  "requested_support": "依頼", "urgency": urgency})
        assert r.status_code == 201, r.get_json()
        ref_id = r.get_json()["id"]
        steps = {"accepted": [(npo, "accept")], "declined": [(npo, "decline")], "withdrawn": [(coord, "withdraw")],
                 "completed": [(npo, "accept"), (npo, "complete")]}.get(state, [])
        for client, action in steps:
            assert client.post(f"/api/v1/referrals/{ref_id}/{action}", json={"reason": "理由"}).status_code == 200
        ids.append(ref_id)
    today = today_jst()
    base = utcnow() - timedelta(days=40)
    # due dates: two overdue (set directly: the API refuses past dates), one without a due date, ties on
    # urgency decided by the due date, and answered ones whose own due date must not matter
    dues = [today - timedelta(days=3), today + timedelta(days=5), None, today - timedelta(days=10),
            today + timedelta(days=2), today + timedelta(days=2), today - timedelta(days=30), None,
            today + timedelta(days=1), None, today - timedelta(days=5), today + timedelta(days=9), None]
    changed = [base + timedelta(days=d) for d in (1, 2, 3, 4, 5, 6, 7, 30, 9, 10, 20, 20, 11)]
    with app.app_context():
        s = db.session()
        for ref_id, due, at in zip(ids, dues, changed):
            s.execute(update(Referral).where(Referral.id == uuid.UUID(ref_id)).values(reply_due=due, updated_at=at)
                      .execution_options(synchronize_session=False))
        s.commit()
    return coord, npo, ids


def _rows(app, ids) -> list[dict]:
    with app.app_context():
        refs = db.session().query(Referral).filter(Referral.id.in_([uuid.UUID(i) for i in ids])).all()
        return [{"id": str(r.id), "state": r.state, "urgency": r.urgency, "reply_due": r.reply_due,
                 "updated_at": r.updated_at} for r in refs]


def test_inbox_and_outbox_order_is_the_same_on_every_page(app, basic, many_referrals):
    coord, npo, ids = many_referrals
    from caseflow.cases.rules import today_tokyo

    rows = _rows(app, ids)
    want = _expected_order(rows, today_tokyo())
    assert len(want) == 13
    for limit in (1, 2, 3, 5, 50):
        assert _pages(npo, "box=inbox", limit) == want, limit
        assert _pages(coord, "box=outbox", limit) == want, limit
    assert _pages(npo, "box=all", 4) == want  # the single sorted query agrees
    # filters keep the order of what they select
    for query, keep in [("state=accepted&state=completed", lambda r: r["state"] in ("accepted", "completed")),
                        ("state=pending", lambda r: r["state"] == "pending"),
                        ("urgency=normal&urgency=low", lambda r: r["urgency"] in ("normal", "low")),
                        ("overdue=true", lambda r: r["state"] == "pending" and r["reply_due"] is not None
                         and r["reply_due"] < today_tokyo()),
                        # SQL's NOT on an unknown: a pending referral without a due date is in neither list
                        ("overdue=false", lambda r: not (r["state"] == "pending" and (r["reply_due"] is None
                                                                                      or r["reply_due"] < today_tokyo())))]:
        subset = _expected_order([r for r in rows if keep(r)], today_tokyo())
        assert _pages(npo, f"box=inbox&{query}", 2) == subset, query
        assert _pages(coord, f"box=outbox&{query}", 3) == subset, query
    case_id = npo.get(f"/api/v1/referrals/{want[-1]}").get_json()["case"]["id"]
    assert _pages(npo, f"box=inbox&case_id={case_id}", 1) == [want[-1]]
    # the other side of each box is empty
    assert _pages(npo, "box=outbox", 2) == [] and _pages(coord, "box=inbox", 2) == []
    page = npo.get("/api/v1/referrals?box=inbox&limit=4&offset=12").get_json()
    assert [x["id"] for x in page["items"]] == want[12:] and page["has_more"] is False


# --- one record: household, person, consents, agenda ----------------------------------------------

BASES = ["task", "accepted_referral", "pending_referral", "meeting", "emergency"]
NO_BASIS = ["none", "ended_involvement", "declined_referral", "meeting_after_window", "emergency_expired"]


def _grant(app, basic, case_id: uuid.UUID, person_id: uuid.UUID, how: str) -> None:
    """Give the second department (kmk-fukushi) a relation to the case, set up with the domain models."""
    now = utcnow()
    dept, dept_user = basic.orgs["kmk-fukushi"], basic.users["fukushi@example.jp"]
    owner, owner_user = basic.orgs["kmk-chiiki"], basic.users["coord@example.jp"]
    with app.app_context():
        s = db.session()
        if how in ("task", "ended_involvement"):
            s.add(CaseInvolvement(case_id=case_id, org_id=dept, relation="task", since=now - timedelta(days=3),
                                  until=now - timedelta(days=1) if how == "ended_involvement" else None))
        if how.endswith("_referral"):
            state = how.split("_")[0]
            ref = Referral(case_id=case_id, from_org_id=owner, to_org_id=dept, created_by_user_id=owner_user,
                           reason="専門的支援", requested_support="訪問支援", state=state)
            s.add(ref)
            s.flush()
            if state == "accepted":
                s.add(CaseInvolvement(case_id=case_id, org_id=dept, relation="referral", source_id=ref.id))
        if how.startswith("meeting"):
            after = how == "meeting_after_window"
            council = council_row(s, municipality_id=basic.municipalities["kamakura"], kind="support_meeting",
                                  secretariat_org_id=owner, chair_user_id=owner_user, member_org_ids=[dept])
            m = Meeting(municipality_id=basic.municipalities["kamakura"], kind="support_meeting", title="支援会議",
                        council_id=council.id,
                        starts_at=now - timedelta(days=30 if after else 0),
                        chair_user_id=owner_user, organizer_org_id=owner, fiscal_year=2026,
                        window_start=now - timedelta(days=40 if after else 1),
                        window_end=now - timedelta(days=16) if after else now + timedelta(days=14))
            s.add(m)
            s.flush()
            s.add_all([MeetingMember(meeting_id=m.id, org_id=dept), MeetingMember(meeting_id=m.id, org_id=owner),
                       AgendaItem(meeting_id=m.id, position=1, case_id=case_id, presenting_org_id=owner)])
        if how.startswith("emergency"):
            expired = how == "emergency_expired"
            s.add(EmergencyAccess(user_id=dept_user, org_id=dept, person_id=person_id, case_id=case_id,
                                  justification="生命の危険があり本人の同意を得られないため",
                                  opened_at=now - timedelta(hours=30 if expired else 1),
                                  expires_at=now - timedelta(hours=6) if expired else now + timedelta(hours=23)))
        s.commit()


@pytest.mark.parametrize("how", BASES + NO_BASIS)
def test_a_department_reads_a_household_and_its_persons_only_through_a_basis(app, basic, how):
    basic.org("kmk-fukushi", "department", "鎌倉市 福祉課")
    basic.user("fukushi@example.jp", "kmk-fukushi", "coordinator")
    coord, dept = basic.client("coord@example.jp"), basic.client("fukushi@example.jp")
    # the household has two cases; only the second one is shared (the check must find it among several)
    first = open_case(coord)
    household_id = first["household"]["id"]
    second = coord.post("/api/v1/cases", json={"household_id": household_id, "intake_channel": "counter",
                                               "issues": ["isolation"], "district": "ofuna"})
    assert second.status_code == 201, second.get_json()
    second = second.get_json()
    primary = next(p for p in first["persons"] if p["is_primary"])
    member = next(p for p in first["persons"] if not p["is_primary"])  # a household member, not primary
    _grant(app, basic, uuid.UUID(second["id"]), uuid.UUID(primary["id"]), how)
    visible = how in BASES
    want = 200 if visible else 404
    assert dept.get(f"/api/v1/households/{household_id}").status_code == want
    assert dept.get(f"/api/v1/persons/{primary['id']}").status_code == want
    assert dept.get(f"/api/v1/persons/{member['id']}").status_code == want
    consents = dept.get(f"/api/v1/consents?person_id={primary['id']}")
    assert consents.status_code == want
    if visible:
        assert consents.get_json()["items"] == []
        assert dept.get(f"/api/v1/households/{household_id}").get_json()["id"] == household_id
    # the owner always reads its own household and persons
    assert coord.get(f"/api/v1/households/{household_id}").status_code == 200
    assert coord.get(f"/api/v1/persons/{member['id']}").status_code == 200


def test_an_agenda_takes_only_cases_the_organiser_can_see(app, basic):
    basic.org("kmk-fukushi", "department", "鎌倉市 福祉課")
    basic.user("fukushi@example.jp", "kmk-fukushi", "coordinator")
    basic.user("fukushi-sv@example.jp", "kmk-fukushi", "supervisor")
    coord, dept = basic.client("coord@example.jp"), basic.client("fukushi-sv@example.jp")
    hidden, shared = open_case(coord), open_case(coord, person={"name": "共有 花子", "name_kana": "キョウユウ ハナコ"})
    primary = next(p for p in shared["persons"] if p["is_primary"])
    _grant(app, basic, uuid.UUID(shared["id"]), uuid.UUID(primary["id"]), "pending_referral")
    start = (utcnow() + timedelta(days=7)).astimezone(TOKYO).replace(microsecond=0)
    r = dept.post("/api/v1/meetings", json={"council_id": council_for(dept, kind="case_conference"), "title": "ケース会議",
                                             "starts_at": start.isoformat(), "place": "福祉課 会議室"})
    assert r.status_code == 201, r.get_json().get("errors")
    meeting_id = r.get_json()["id"]
    refused = dept.post(f"/api/v1/meetings/{meeting_id}/agenda", json={"case_id": hidden["id"]})
    assert refused.status_code == 422 and "case_id" in refused.get_json()["errors"]
    assert dept.post(f"/api/v1/meetings/{meeting_id}/agenda", json={"case_id": shared["id"]}).status_code == 201
