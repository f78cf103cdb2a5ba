"""The sharing decision, table-driven: viewer relationship x consent state x data category, asserted through
the HTTP API on every endpoint that returns person data (issue 5).

Meetings, referrals and emergency accesses are set up with the domain models (their own endpoints are
tested in their own files); what is asserted is only what the HTTP responses contain."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from caseflow.cases.models import CaseInvolvement
from caseflow.consents.models import Consent, ConsentCategory, ConsentRecipient, EmergencyAccess
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.meetings.models import AgendaItem, Meeting, MeetingAttendee, MeetingGuest, MeetingMember, Pledge
from caseflow.organizations import rules as org_rules
from caseflow.referrals.models import Referral

from support import HANAKO, YAMADA, council_row, open_case

CATEGORY_PROBES = {  # category -> (person field, expected value)
    "identity": ("name", YAMADA["name"]),
    "contact": ("phone", YAMADA["phone"]),
    "sensitive": ("sensitive", {"health": YAMADA["sensitive"]["health"]}),
    "case_notes": ("notes", YAMADA["notes"]),
}
RAW = {"identity": [YAMADA["name"], YAMADA["name_kana"], YAMADA["birth_date"]],
       "contact": [YAMADA["phone"], YAMADA["email"], YAMADA["line_id"], "鎌倉市大船一丁目2-3"],
       "sensitive": [YAMADA["sensitive"]["health"]],
       "case_notes": [YAMADA["notes"], "8050世帯の相談"]}
ALL = set(CATEGORY_PROBES)
COVERED = {"identity", "contact"}  # what the "covering" consent names

RELATIONS = ["owner", "co_lead", "co_lead_ended", "involved_referral", "pending_referral", "uninvolved", "meeting_pledged",
             "meeting_unpledged", "meeting_pledged_not_attending", "meeting_after_window", "multilayer_meeting_pledged", "emergency_active",
             "emergency_expired", "auditor"]
CONSENTS = ["none", "covering", "wrong_recipient", "wrong_category", "expired", "revoked"]


def expected(relation: str, consent: str) -> set[str] | None:
    """Visible categories, or None when the case is not visible at all (404/403)."""
    if relation == "auditor":
        return None
    if relation == "owner":
        return ALL
    if relation in ("uninvolved", "meeting_after_window", "emergency_expired", "co_lead_ended",
                    "meeting_guest_other_item"):
        return None
    if relation in ("meeting_pledged", "meeting_guest_pledged", "emergency_active"):
        return ALL
    # "wrong_category" names only `sensitive` (explicit consent for 要配慮個人情報): that category alone shows.
    return {"covering": COVERED, "wrong_category": {"sensitive"}}.get(consent, set())


def _setup(app, basic, relation: str, consent: str, viewer_home: str = "kamakura", membership: str = "none"):
    """`viewer_home`: the municipality the viewer's organisation (kmm-npo) is at home in; `membership`: none,
    live or ended (a membership of kamakura, where the case is)."""
    coord = basic.client("coord@example.jp")
    if viewer_home != "kamakura":
        _move_viewer_org(app, basic, viewer_home, membership)
    case = open_case(coord)
    case_id = uuid.UUID(case["id"])
    person_id = uuid.UUID(next(p["id"] for p in case["persons"] if p["is_primary"]))
    viewer_email = "auditor@example.jp" if relation == "auditor" else "npo@example.jp"
    now = utcnow()
    extra = {}
    with app.app_context():
        s = db.session()
        viewer_org = basic.orgs["kmm-npo"]
        viewer_user = basic.users["npo@example.jp"]
        owner_org, owner_user = basic.orgs["kmk-chiiki"], basic.users["coord@example.jp"]
        if relation == "owner":
            viewer_email = "coord@example.jp"
        if relation in ("involved_referral", "pending_referral"):
            ref = Referral(case_id=case_id, from_org_id=owner_org, to_org_id=viewer_org, created_by_user_id=owner_user,
                           reason="専門的支援", requested_support="訪問支援",
                           state="accepted" if relation == "involved_referral" else "pending")
            s.add(ref)
            s.flush()
            extra["referral_id"] = ref.id
            if relation == "involved_referral":
                s.add(CaseInvolvement(case_id=case_id, org_id=viewer_org, relation="referral", source_id=ref.id))
        if relation.startswith("co_lead"):
            # 副担当: involved like an accepted referral (personal data on a basis only); ended: nothing
            s.add(CaseInvolvement(case_id=case_id, org_id=viewer_org, relation="co_lead", since=now - timedelta(days=5),
                                  until=now - timedelta(hours=1) if relation == "co_lead_ended" else None))
        if relation.startswith("meeting") or relation.startswith("multilayer"):
            after = relation == "meeting_after_window"
            guest = relation.startswith("meeting_guest")  # not a member: invited for one agenda item
            kind = "multilayer_meeting" if relation.startswith("multilayer") else "support_meeting"
            council = council_row(s, municipality_id=basic.municipalities["kamakura"], kind=kind,
                                  secretariat_org_id=owner_org, chair_user_id=owner_user,
                                  member_org_ids=[] if guest else [viewer_org])
            m = Meeting(municipality_id=basic.municipalities["kamakura"], council_id=council.id, kind=kind,
                        title="支援会議", starts_at=now - timedelta(days=30 if after else 0),
                        chair_user_id=owner_user, organizer_org_id=owner_org, fiscal_year=2026,
                        pledge_scope="fiscal_year",  # a yearly pledge of its council would count (it never does here)
                        window_start=now - timedelta(days=40 if after else 1),
                        window_end=now - timedelta(days=16) if after else now + timedelta(days=14))
            s.add(m)
            s.flush()
            extra["meeting_id"] = m.id
            item = AgendaItem(meeting_id=m.id, position=1, case_id=case_id, presenting_org_id=owner_org)
            topic = AgendaItem(meeting_id=m.id, position=2, topic="地域の社会資源の報告")
            s.add_all([MeetingMember(meeting_id=m.id, org_id=owner_org), item, topic])
            s.flush()
            if not guest:
                s.add(MeetingMember(meeting_id=m.id, org_id=viewer_org))
            if guest:
                invited = topic if relation == "meeting_guest_other_item" else item
                s.add(MeetingGuest(agenda_item_id=invited.id, user_id=viewer_user, meeting_id=m.id,
                                   invited_by_user_id=owner_user))
                if relation != "meeting_guest_unpledged":
                    s.add(Pledge(user_id=viewer_user, meeting_id=m.id))
            elif relation == "meeting_pledged_not_attending":
                # a fiscal-year pledge, but this user does not attend this meeting
                s.add(Pledge(user_id=viewer_user, meeting_id=None, council_id=council.id, fiscal_year=2026))
            elif relation == "meeting_other_council_pledge":
                # attends, and holds this year's pledge -- of another council it is also a member of
                other = council_row(s, municipality_id=basic.municipalities["kamakura"], kind="support_meeting",
                                    secretariat_org_id=owner_org, chair_user_id=owner_user, member_org_ids=[viewer_org])
                s.add(Pledge(user_id=viewer_user, meeting_id=None, council_id=other.id, fiscal_year=2026))
            elif relation != "meeting_unpledged":
                s.add(Pledge(user_id=viewer_user, meeting_id=m.id))
            if relation != "meeting_pledged_not_attending" and not guest:
                s.add(MeetingAttendee(meeting_id=m.id, user_id=viewer_user))
        if relation.startswith("emergency"):
            expired = relation == "emergency_expired"
            s.add(EmergencyAccess(user_id=viewer_user, org_id=viewer_org, person_id=person_id, case_id=case_id,
                                  justification="生命の危険があり本人の同意を得られないため",
                                  opened_at=now - timedelta(hours=30 if expired else 1),
                                  expires_at=now - timedelta(hours=6) if expired else now + timedelta(hours=23)))
        if consent != "none":
            recipient = basic.orgs["kvoad"] if consent == "wrong_recipient" else viewer_org
            cats = {"sensitive"} if consent == "wrong_category" else COVERED
            c = Consent(person_id=person_id, municipality_id=basic.municipalities["kamakura"],
                        purpose="support_coordination", method="written",
                        obtained_by_user_id=owner_user, obtained_by_org_id=owner_org, obtained_at=now - timedelta(days=10),
                        valid_from=now - timedelta(days=10),
                        valid_until=now - timedelta(days=1) if consent == "expired" else None,
                        revoked_at=now - timedelta(hours=1) if consent == "revoked" else None,
                        recipients=[ConsentRecipient(org_id=recipient)],
                        category_rows=[ConsentCategory(category=x) for x in cats])
            s.add(c)
        s.commit()
    return case, person_id, basic.client(viewer_email), extra


def _move_viewer_org(app, basic, home: str, membership: str) -> None:
    from caseflow.organizations.models import Organization

    basic.municipality(home, districts=[(f"{home}-chuo", "中央区")])
    with app.app_context():
        s = db.session()
        s.get(Organization, basic.orgs["kmm-npo"]).municipality_id = basic.municipalities[home]
        s.commit()
    if membership != "none":
        ms_id = basic.membership("kamakura", "kmm-npo")
        if membership == "ended":
            with app.app_context():
                from caseflow.organizations.models import MunicipalityMembership

                org_rules.end_membership(db.session().get(MunicipalityMembership, ms_id))
                db.session().commit()


def _assert_person(person: dict, visible: set[str]):
    for category, (field, value) in CATEGORY_PROBES.items():
        if category in visible:
            assert person.get(field) == value, (category, person)
        else:
            assert field not in person, (category, person)
    assert person["redacted"] is (visible != ALL)
    assert set(person["withheld"]) == ALL - visible
    assert set(person["bases"]) == visible


def _assert_raw(text: str, visible: set[str]):
    for category, values in RAW.items():
        for v in values:
            if category not in visible:
                assert v not in text, (category, v)


@pytest.mark.parametrize("consent", CONSENTS)
@pytest.mark.parametrize("relation", RELATIONS)
def test_visibility_matrix(app, basic, relation, consent):
    _check_visibility(app, basic, relation, consent)


# The council dimension (issue 18): a pledge to another council, an invited non-member (guest) of the case's
# agenda item with and without an individual pledge, a guest of another item of the same meeting.
COUNCIL_RELATIONS = ["meeting_other_council_pledge", "meeting_guest_pledged", "meeting_guest_unpledged",
                     "meeting_guest_other_item"]


@pytest.mark.parametrize("consent", ["none", "covering"])
@pytest.mark.parametrize("relation", COUNCIL_RELATIONS)
def test_visibility_matrix_across_councils(app, basic, relation, consent):
    _check_visibility(app, basic, relation, consent)


def _check_visibility(app, basic, relation, consent):
    case, person_id, viewer, extra = _setup(app, basic, relation, consent)
    want = expected(relation, consent)
    detail = viewer.get(f"/api/v1/cases/{case['id']}")
    listing = viewer.get("/api/v1/cases")
    person = viewer.get(f"/api/v1/persons/{person_id}")
    household = viewer.get(f"/api/v1/households/{case['household']['id']}")
    if want is None:
        expected_status = 403 if relation == "auditor" else 404
        for r in (detail, person, household):
            assert r.status_code == expected_status, (relation, r.status_code)
            _assert_raw(r.get_data(as_text=True), set())
        if relation == "auditor":
            assert listing.status_code == 403
        else:
            assert listing.get_json()["items"] == []
        return
    # case detail
    assert detail.status_code == 200
    body = detail.get_json()
    primary = next(p for p in body["persons"] if p["is_primary"])
    _assert_person(primary, want)
    _assert_raw(detail.get_data(as_text=True), want)
    assert ("summary" in body) is ("case_notes" in want)
    assert ("address" in body["household"]) is ("contact" in want)
    # case list
    items = listing.get_json()["items"]
    assert [i["id"] for i in items] == [case["id"]]
    ref = items[0]["primary_person"]
    assert ("name" in ref) is ("identity" in want) and ref["redacted"] is ("identity" not in want)
    _assert_raw(listing.get_data(as_text=True), want & {"identity"})
    # person
    assert person.status_code == 200
    _assert_person(person.get_json(), want)
    _assert_raw(person.get_data(as_text=True), want)
    # household
    assert household.status_code == 200
    me = next(m for m in household.get_json()["members"] if m["id"] == str(person_id))
    _assert_person(me, want)
    _assert_raw(household.get_data(as_text=True), want)
    _check_referral_and_meeting_views(viewer, extra, want)
    # the parent in the household: no consent, so only owner / meeting / emergency(no: other person) show it
    parent = next(m for m in household.get_json()["members"] if m["id"] != str(person_id))
    parent_visible = ALL if relation in ("owner", "meeting_pledged", "meeting_guest_pledged") else set()
    assert ("name" in parent) is ("identity" in parent_visible)
    if "identity" not in parent_visible:
        assert HANAKO["name"] not in household.get_data(as_text=True)


def test_every_disclosure_is_audited_with_its_basis(app, basic):
    case, person_id, viewer, _ = _setup(app, basic, "involved_referral", "covering")
    viewer.get(f"/api/v1/cases/{case['id']}")
    events = basic.client("auditor@example.jp").get(f"/api/v1/audit-events?person_id={person_id}&action=cases.read") \
        .get_json()["items"]
    npo_events = [e for e in events if e["actor_user_id"] == str(basic.users["npo@example.jp"])]
    assert len(npo_events) == 1
    (disclosure,) = [d for d in npo_events[0]["disclosures"] if d["person"] == str(person_id)]
    assert disclosure["basis"].startswith("consent:") and disclosure["categories"] == sorted(COVERED)


def test_emergency_disclosures_are_flagged(app, basic):
    case, person_id, viewer, _ = _setup(app, basic, "emergency_active", "none")
    viewer.get(f"/api/v1/cases/{case['id']}")
    events = basic.client("auditor@example.jp").get("/api/v1/audit-events?action=cases.read&flagged=true") \
        .get_json()["items"]
    assert len(events) == 1 and events[0]["disclosures"][0]["basis"].startswith("emergency:")


def _pdf_text(data: bytes, tmp_dir) -> str:
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf", dir=tmp_dir) as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True).stdout


def _check_referral_and_meeting_views(viewer, extra: dict, want: set[str]):
    """The referral view, the meeting agenda and its PDF disclose no more than the case view."""
    if "referral_id" in extra:
        r = viewer.get(f"/api/v1/referrals/{extra['referral_id']}")
        assert r.status_code == 200, r.get_json()
        _assert_raw(r.get_data(as_text=True), want)
        if "identity" in want:
            assert YAMADA["name"] in r.get_data(as_text=True)
    if "meeting_id" in extra:
        r = viewer.get(f"/api/v1/meetings/{extra['meeting_id']}/agenda")
        assert r.status_code == 200, r.get_json()
        _assert_raw(r.get_data(as_text=True), want)
        pdf = viewer.get(f"/api/v1/meetings/{extra['meeting_id']}/agenda.pdf")
        assert pdf.status_code == 200
        text = _pdf_text(pdf.data, None)
        for category, values in RAW.items():
            if category not in want:
                for v in values:
                    assert v not in text, (category, v)
        if "identity" in want:  # agenda views name the persons of agenda cases, nothing more
            assert YAMADA["name"] in r.get_data(as_text=True)


# --- the municipality dimension (issue 16) ------------------------------------------------------------------

CROSS = ["no_membership", "membership", "membership_ended"]


@pytest.mark.parametrize("membership", CROSS)
@pytest.mark.parametrize("relation", [r for r in RELATIONS if r not in ("owner", "auditor")])
def test_visibility_across_municipalities(app, basic, relation, membership):
    """The viewer's organisation is at home in another municipality (熊本市). Whatever relation the tables hold
    to a 鎌倉市 case -- a referral, a meeting seat, a consent, a break-glass access -- it sees nothing of it
    from home, and from 鎌倉市 only through a live membership (then exactly what the same relation gives a
    鎌倉市 organisation)."""
    live = {"membership": "live", "membership_ended": "ended"}.get(membership, "none")
    case, person_id, viewer, extra = _setup(app, basic, relation, "covering", viewer_home="kumamoto", membership=live)
    # From home: nothing, on every route that shows case or person data.
    for url in (f"/api/v1/cases/{case['id']}", f"/api/v1/persons/{person_id}",
                f"/api/v1/households/{case['household']['id']}",
                *([f"/api/v1/referrals/{extra['referral_id']}"] if "referral_id" in extra else []),
                *([f"/api/v1/meetings/{extra['meeting_id']}/agenda"] if "meeting_id" in extra else [])):
        r = viewer.get(url)
        assert r.status_code == 404, (url, r.status_code)
        _assert_raw(r.get_data(as_text=True), set())
    listing = viewer.get("/api/v1/cases")
    assert listing.get_json()["items"] == []
    inbox = viewer.get("/api/v1/referrals?box=inbox")
    assert inbox.get_json()["items"] == []
    # From 鎌倉市: refused without a live membership; with one, the same as a 鎌倉市 organisation.
    viewer.act_in("kamakura")
    detail = viewer.get(f"/api/v1/cases/{case['id']}")
    if membership != "membership":
        assert detail.status_code == 403
        assert viewer.get("/api/v1/cases").status_code == 403
        return
    want = expected(relation, "covering")
    if want is None:
        assert detail.status_code == 404
        return
    assert detail.status_code == 200, (relation, detail.get_json())
    primary = next(p for p in detail.get_json()["persons"] if p["is_primary"])
    _assert_person(primary, want)
    _assert_raw(detail.get_data(as_text=True), want)
    _check_referral_and_meeting_views(viewer, extra, want)


def test_a_consent_to_a_kind_of_organisation_stays_in_its_municipality(app, basic):
    """「市の部署すべて」 given in 鎌倉市 is not a consent to 熊本市's departments: a case transferred there shows
    them nothing on that consent."""
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    person_id = next(p["id"] for p in case["persons"] if p["is_primary"])
    r = coord.post("/api/v1/consents", json={
        "person_id": person_id, "purpose": "support_coordination", "method": "written",
        "recipients": [{"org_kind": "department"}], "categories": ["identity"], "form_reference": "同意書 第1号",
        "obtained_at": utcnow().isoformat()})
    assert r.status_code == 201, r.get_json()
    basic.municipality("kumamoto", districts=[("kumamoto-chuo", "中央区")])
    basic.org("kmm-dept", "department", "熊本市 健康福祉政策課", municipality="kumamoto")
    basic.user("kmm@example.jp", "kmm-dept", "coordinator")
    t = coord.post(f"/api/v1/cases/{case['id']}/transfers",
                   json={"to_municipality": "kumamoto", "to_org_id": str(basic.orgs["kmm-dept"]), "reason": "転居"})
    assert t.status_code == 201, t.get_json()
    kmm = basic.client("kmm@example.jp")
    assert kmm.post(f"/api/v1/transfers/{t.get_json()['id']}/accept", json={}).status_code == 200
    moved = kmm.get(f"/api/v1/cases/{case['id']}")
    assert moved.status_code == 200
    assert YAMADA["name"] not in moved.get_data(as_text=True)
    assert next(p for p in moved.get_json()["persons"] if p["is_primary"])["redacted"] is True


# --- the secrecy dimension (住所秘匿, issue 18) -----------------------------------------------------------------

SECRECY = ["none", "secret_named", "secret_not_named"]


def _decide_secrecy(app, basic, person_id, secrecy: str, viewer_org) -> None:
    """A decision in force for the person, taken by KVOAD (so that even the owner can be left unnamed), naming
    KVOAD and, for `secret_named`, the viewer's organisation."""
    if secrecy == "none":
        return
    from caseflow.cases.models import SecrecyDecision, SecrecyRecipient

    named = {basic.orgs["kvoad"]} | ({viewer_org} if secrecy == "secret_named" else set())
    with app.app_context():
        s = db.session()
        s.add(SecrecyDecision(person_id=person_id, municipality_id=basic.municipalities["kamakura"],
                              reason="支援措置", decided_by_user_id=basic.users["admin@example.jp"],
                              decided_by_org_id=basic.orgs["kvoad"],
                              recipients=[SecrecyRecipient(org_id=o) for o in sorted(named)]))
        s.commit()


@pytest.mark.parametrize("secrecy", SECRECY)
@pytest.mark.parametrize("relation", [r for r in RELATIONS if expected(r, "covering") is not None])
def test_visibility_matrix_with_secrecy(app, basic, relation, secrecy):
    """relation x secrecy of the case's person: a decision that does not name the viewer's organisation withholds
    contact (reason `secrecy`) and the household (which one, its address, its other members) whatever the basis --
    the owner's own collection, consent, 支援会議 or break-glass; a search by the name finds nothing. A decision
    naming the viewer changes nothing."""
    case, person_id, viewer, extra = _setup(app, basic, relation, "covering")
    viewer_org = basic.orgs["kmk-chiiki" if relation == "owner" else "kmm-npo"]
    _decide_secrecy(app, basic, person_id, secrecy, viewer_org)
    hidden = secrecy == "secret_not_named"
    want = expected(relation, "covering") - ({"contact"} if hidden else set())
    detail = viewer.get(f"/api/v1/cases/{case['id']}")
    assert detail.status_code == 200
    body = detail.get_json()
    primary = next(p for p in body["persons"] if p["is_primary"])
    _assert_person(primary, want)
    _assert_raw(detail.get_data(as_text=True), want)
    if hidden:
        assert body["household"] is None and body["household_withheld"] == "secrecy"
        assert [p["id"] for p in body["persons"]] == [str(person_id)]  # no other member of the household
        assert HANAKO["name"] not in detail.get_data(as_text=True)
        if "contact" in expected(relation, "covering"):
            assert primary["withheld_reasons"]["contact"] == "secrecy"
    else:
        assert body["household"]["id"] == case["household"]["id"] and body["household_withheld"] is None
    person = viewer.get(f"/api/v1/persons/{person_id}")
    _assert_person(person.get_json(), want)
    _assert_raw(person.get_data(as_text=True), want)
    household = viewer.get(f"/api/v1/households/{case['household']['id']}")
    assert household.status_code == 200
    assert (str(person_id) in [m["id"] for m in household.get_json()["members"]]) is not hidden
    _assert_raw(household.get_data(as_text=True), want)
    found = viewer.get("/api/v1/cases", query_string={"q": "やまだたろう"}).get_json()["items"]
    assert [i["id"] for i in found] == ([case["id"]] if "identity" in want and not hidden else [])
    _check_referral_and_meeting_views(viewer, extra, want)
