"""Property: in random worlds, no identity/contact/sensitive value reaches a viewer without a basis, and every
disclosure a response makes has a matching audit event (issue 5).

The oracle below is a deliberately simple, independent restatement of the legal bases (DOMAIN.md); the
system's answer comes from SQL. Every example starts from an empty database."""
from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow import create_app, db
from caseflow.db import utcnow
from caseflow.models import (AgendaItem, CaseInvolvement, EmergencyAccess, Meeting, MeetingAttendee, MeetingMember,
                             Pledge, Referral)
from conftest import TEST_CONFIG, ApiClient, World, fresh_database

N_ORGS = 3
CATS = ("identity", "contact", "sensitive", "case_notes")

world_spec = st.fixed_dictionaries({
    "case_owners": st.lists(st.integers(0, N_ORGS - 1), min_size=1, max_size=3),
    "consents": st.lists(st.tuples(st.integers(0, 2), st.integers(0, N_ORGS - 1),
                                   st.sets(st.sampled_from(CATS), min_size=1),
                                   st.sampled_from(["active", "expired", "revoked"])), max_size=4),
    "referrals": st.lists(st.tuples(st.integers(0, 2), st.integers(0, N_ORGS - 1),
                                    st.sampled_from(["pending", "accepted"])), max_size=3),
    "meetings": st.lists(st.tuples(st.sets(st.integers(0, N_ORGS - 1), min_size=1),   # member orgs
                                   st.sets(st.integers(0, 2)),                          # agenda cases
                                   st.sets(st.integers(0, N_ORGS - 1)),                 # pledged users
                                   st.booleans(),                                       # window open
                                   st.sampled_from(["support_meeting", "multilayer_meeting"])), max_size=2),
    "emergencies": st.lists(st.tuples(st.integers(0, N_ORGS - 1), st.integers(0, 2), st.booleans()), max_size=2),
})


def _person(tag: str) -> dict:
    return {"name": f"氏名{tag}", "name_kana": f"カナ{tag}", "phone": f"090-{tag[:4]}-{tag[4:8]}",
            "email": f"{tag}@example.invalid", "sensitive": {"health": f"病歴{tag}"}, "notes": f"メモ{tag}"}


def _markers(tag: str) -> dict[str, list[str]]:
    return {"identity": [f"氏名{tag}", f"カナ{tag}"], "contact": [f"090-{tag[:4]}-{tag[4:8]}", f"{tag}@example.invalid"],
            "sensitive": [f"病歴{tag}"], "case_notes": [f"メモ{tag}", f"要約{tag}"]}


def _with_standing_referrals(spec):
    """Every case is also referred (pending) to the next organisation, so that consents matter often."""
    extra = [(c, (owner + 1) % N_ORGS, "pending") for c, owner in enumerate(spec["case_owners"])]
    # One referral per case and organisation, never to the owner itself (the API refuses both).
    seen, referrals = set(), []
    for c, org, state in spec["referrals"] + extra:
        if c < len(spec["case_owners"]) and org != spec["case_owners"][c] and (c, org) not in seen:
            seen.add((c, org))
            referrals.append((c, org, state))
    return {**spec, "referrals": referrals}


def oracle(spec, n_cases):
    """(viewer org, case) -> visible?, and (viewer org, case) -> set of categories with a basis."""
    owners = [spec["case_owners"][i] for i in range(n_cases)]
    visible, allowed = {}, {}
    for v in range(N_ORGS):
        for c in range(n_cases):
            cats = set()
            seen = owners[c] == v
            if owners[c] == v:
                cats |= set(CATS)
            for (cc, org, state) in spec["referrals"]:
                if cc == c and org == v:
                    seen = True
            for (members, agenda, pledged, open_, kind) in spec["meetings"]:
                if c in agenda and v in members and open_:
                    seen = True
                    if v in pledged and kind == "support_meeting":
                        cats |= set(CATS)
            for (org, cc, active) in spec["emergencies"]:
                if org == v and cc == c and active:
                    seen = True
                    cats |= set(CATS)
            for (cc, org, ccats, state) in spec["consents"]:
                if cc == c and org == v and state == "active":
                    cats |= set(ccats)
            visible[(v, c)] = seen
            allowed[(v, c)] = cats if seen else set()
    return visible, allowed


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=world_spec)
def test_no_value_reaches_a_viewer_without_a_basis(template_db, tmp_path_factory, spec):
    with fresh_database(template_db, tmp_path_factory) as url:
        app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
        try:
            _check_world(app, spec)
        finally:
            with app.app_context():
                db.engine().dispose()


def _check_world(app, spec):
    spec = _with_standing_referrals(spec)
    w = World(app)
    from caseflow.domain import codes

    with app.app_context():
        codes.ensure("district", [("ofuna", "大船")])
        db.session().commit()
    for i in range(N_ORGS):
        w.org(f"org-{i}", "npo" if i else "department")
        w.user(f"u{i}@example.jp", f"org-{i}", "staff")
    clients = [ApiClient(app, f"u{i}@example.jp") for i in range(N_ORGS)]
    owners = spec["case_owners"]
    cases, tags = [], []
    for c, owner in enumerate(owners):
        tag = uuid.uuid4().hex[:10]
        body = {"intake_channel": "counter", "summary": f"要約{tag}",
                "household": {"district": "ofuna", "members": [{"person": _person(tag), "relationship": "self",
                                                                 "in_need": True}]}}
        r = clients[owner].post("/api/v1/cases", json=body)
        assert r.status_code == 201, r.get_json()
        cases.append(r.get_json())
        tags.append(tag)
    now = utcnow()
    person_ids = [uuid.UUID(c["persons"][0]["id"]) for c in cases]
    for (c, org, cats, state) in spec["consents"]:
        if c >= len(cases):
            continue
        owner = clients[owners[c]]
        payload = {"person_id": str(person_ids[c]), "purpose": "support_coordination", "method": "written",
                   "recipients": [{"org_id": str(w.orgs[f"org-{org}"])}], "categories": sorted(cats),
                   "obtained_at": (now - timedelta(days=5)).isoformat()}
        if state == "expired":
            payload["valid_until"] = (now - timedelta(days=1)).isoformat()
        r = owner.post("/api/v1/consents", json=payload)
        assert r.status_code == 201, r.get_json()
        if state == "revoked":
            assert owner.post(f"/api/v1/consents/{r.get_json()['id']}/revoke", json={"reason": "撤回"}).status_code == 200
    with app.app_context():
        s = db.session()
        for (c, org, state) in spec["referrals"]:
            if c >= len(cases):
                continue
            cid = uuid.UUID(cases[c]["id"])
            ref = Referral(case_id=cid, from_org_id=w.orgs[f"org-{owners[c]}"], to_org_id=w.orgs[f"org-{org}"],
                           created_by_user_id=w.users[f"u{owners[c]}@example.jp"], reason="r", requested_support="s",
                           state=state)
            s.add(ref)
            s.flush()
            if state == "accepted":
                s.add(CaseInvolvement(case_id=cid, org_id=w.orgs[f"org-{org}"], relation="referral", source_id=ref.id))
        for (members, agenda, pledged, open_, kind) in spec["meetings"]:
            m = Meeting(kind=kind, title="会議", starts_at=now, chair_user_id=w.users["u0@example.jp"],
                        organizer_org_id=w.orgs["org-0"], fiscal_year=2026,
                        window_start=now - timedelta(days=3), window_end=now + (timedelta(days=3) if open_ else -timedelta(days=1)))
            s.add(m)
            s.flush()
            s.add_all([MeetingMember(meeting_id=m.id, org_id=w.orgs[f"org-{o}"]) for o in members])
            s.add_all([AgendaItem(meeting_id=m.id, position=i, case_id=uuid.UUID(cases[c]["id"]))
                       for i, c in enumerate(sorted(agenda)) if c < len(cases)])
            s.add_all([Pledge(user_id=w.users[f"u{u}@example.jp"], meeting_id=m.id) for u in pledged])
            s.add_all([MeetingAttendee(meeting_id=m.id, user_id=w.users[f"u{u}@example.jp"]) for u in pledged])
        for (org, c, active) in spec["emergencies"]:
            if c >= len(cases):
                continue
            s.add(EmergencyAccess(user_id=w.users[f"u{org}@example.jp"], org_id=w.orgs[f"org-{org}"],
                                  person_id=person_ids[c], case_id=uuid.UUID(cases[c]["id"]), justification="緊急" * 10,
                                  opened_at=now - timedelta(hours=2),
                                  expires_at=now + (timedelta(hours=2) if active else -timedelta(hours=1))))
        s.commit()

    visible, allowed = oracle(spec, len(cases))
    for v in range(N_ORGS):
        client = clients[v]
        for c, case in enumerate(cases):
            r = client.get(f"/api/v1/cases/{case['id']}")
            assert (r.status_code == 200) is visible[(v, c)], (v, c, r.status_code)
            texts = [r.get_data(as_text=True)]
            pr = client.get(f"/api/v1/persons/{person_ids[c]}")
            assert (pr.status_code == 200) is visible[(v, c)] or owners[c] == v
            texts.append(pr.get_data(as_text=True))
            texts.append(client.get("/api/v1/cases").get_data(as_text=True))
            blob = "\n".join(texts)
            for category, values in _markers(tags[c]).items():
                leaked = [x for x in values if x in blob]
                if category not in allowed[(v, c)]:
                    assert not leaked, (v, c, category, leaked, spec)

    # Every disclosure observed is in the audit trail, naming the person and the category.
    auditor_org = "audit"
    w.org(auditor_org)
    w.user("aud@example.jp", auditor_org, "auditor")
    auditor = ApiClient(app, "aud@example.jp")
    for v in range(N_ORGS):
        for c in range(len(cases)):
            if not allowed[(v, c)]:
                continue
            events = []
            after = None
            while True:
                url = f"/api/v1/audit-events?person_id={person_ids[c]}&actor_user_id={w.users[f'u{v}@example.jp']}&limit=200"
                page = auditor.get(url + (f"&after_seq={after}" if after else "")).get_json()
                events += page["items"]
                after = page["next_after_seq"]
                if after is None:
                    break
            disclosed = {cat for e in events for d in e["disclosures"] if d["person"] == str(person_ids[c])
                         for cat in d["categories"]}
            assert allowed[(v, c)] <= disclosed, (v, c, allowed[(v, c)], disclosed)
