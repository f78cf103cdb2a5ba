"""A child's own consent (府中市, issue 20): under 15 the child's assent and a guardian's consent are both needed
before a consent shares the child's data across departments; at 15 or over the child's own consent suffices;
a refusal names the missing part and the 支援会議 path. The sharing engine applies the rule in SQL."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest

from caseflow.consents.models import Consent, ConsentCategory, ConsentRecipient
from caseflow.core import db

from support import open_case, today_jst


def _born(years: int) -> str:
    return date(today_jst().year - years, 1, 1).isoformat()  # had this year's birthday: `years` old today


def _child(name, years):
    return {"name": name, "name_kana": "テスト", "birth_date": _born(years), "gender": "other"}


@pytest.fixture
def kodomo(basic):
    """A second department (こども家庭相談課) that a case is referred to and that accepted it."""
    basic.org("kmk-kodomo", "department", "鎌倉市 こども家庭相談課")
    basic.user("kodomo@example.jp", "kmk-kodomo", "staff")
    return basic


def _referred_case(world, person):
    coord = world.client("coord@example.jp")
    case = open_case(coord, person=person, issues=("bullying",), summary="学校でのいじめ")
    r = coord.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(world.orgs["kmk-kodomo"]),
                                              "reason": "こども家庭相談のため", "requested_support": "面談",
                                              "urgency": "normal"})
    assert r.status_code == 201, r.get_json()
    assert world.client("kodomo@example.jp").post(f"/api/v1/referrals/{r.get_json()['id']}/accept").status_code == 200
    return coord, case, next(p["id"] for p in case["persons"] if p["is_primary"])


def _consent(coord, world, person_id, **extra):
    body = {"person_id": person_id, "purpose": "support_coordination", "method": "written",
            "recipients": [{"org_id": str(world.orgs["kmk-kodomo"])}], "categories": ["identity"],
            "obtained_at": datetime.now(timezone.utc).isoformat(), "form_reference": "同意書 第3号", **extra}
    return coord.post("/api/v1/consents", json=body)


def _refused(r, *fields):
    assert r.status_code == 422, r.get_json()
    problem = r.get_json()
    assert sorted(problem["errors"]) == sorted(fields)
    assert "支援会議" in problem["detail"] and "誓約" in problem["detail"]
    return problem


def test_under_fifteen_needs_the_childs_assent_and_a_guardians_consent(kodomo):
    coord, case, pid = _referred_case(kodomo, _child("府中 ひなた", 12))
    kid = kodomo.client("kodomo@example.jp")
    url = f"/api/v1/cases/{case['id']}"
    assert "府中 ひなた" not in kid.get(url).get_data(as_text=True)

    _refused(_consent(coord, kodomo, pid), "assent_by_subject", "guardian_consent")
    _refused(_consent(coord, kodomo, pid, assent_by_subject=True), "guardian_consent")
    _refused(_consent(coord, kodomo, pid, guardian_consent=True, assent_by_subject=False), "assent_by_subject")
    _refused(_consent(coord, kodomo, pid, given_by="representative", representative_relationship="母"),
             "assent_by_subject")
    assert "府中 ひなた" not in kid.get(url).get_data(as_text=True)

    r = _consent(coord, kodomo, pid, assent_by_subject=True, guardian_consent=True)
    assert r.status_code == 201, r.get_json()
    consent = r.get_json()
    assert (consent["subject_age"], consent["assent_by_subject"], consent["guardian_consent"]) == (12, True, True)
    assert "府中 ひなた" in kid.get(url).get_data(as_text=True)
    # a guardian giving consent as the representative, with the child's assent, is complete too
    r = _consent(coord, kodomo, pid, given_by="representative", representative_relationship="父", assent_by_subject=True)
    assert r.status_code == 201 and r.get_json()["guardian_consent"] is True


def test_at_fifteen_or_over_the_childs_own_consent_suffices(kodomo):
    coord, case, pid = _referred_case(kodomo, _child("府中 そら", 16))
    kid = kodomo.client("kodomo@example.jp")
    r = _consent(coord, kodomo, pid, assent_by_subject=True)
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["subject_age"], r.get_json()["guardian_consent"]) == (16, None)
    assert "府中 そら" in kid.get(f"/api/v1/cases/{case['id']}").get_data(as_text=True)
    # "the person's own consent" against their stated will is refused, with the 支援会議 path
    _refused(_consent(coord, kodomo, pid, assent_by_subject=False), "assent_by_subject")


def test_the_sharing_engine_counts_no_incomplete_childs_consent(app, kodomo):
    """A row the API would refuse (say, imported) gives no basis: the condition is in the SQL."""
    coord, case, pid = _referred_case(kodomo, _child("府中 いろは", 10))
    kid = kodomo.client("kodomo@example.jp")
    url = f"/api/v1/cases/{case['id']}"

    def insert(**flags):
        with app.app_context():
            now = datetime.now(timezone.utc)
            c = Consent(person_id=uuid.UUID(pid), municipality_id=kodomo.municipalities["kamakura"], given_by="self",
                        purpose="support_coordination", method="written",
                        obtained_by_user_id=kodomo.users["coord@example.jp"], obtained_by_org_id=kodomo.orgs["kmk-chiiki"],
                        obtained_at=now, valid_from=now, subject_age=10, **flags,
                        recipients=[ConsentRecipient(org_id=kodomo.orgs["kmk-kodomo"])],
                        category_rows=[ConsentCategory(category="identity")])
            db.session().add(c)
            db.session().commit()

    insert(assent_by_subject=True, guardian_consent=False)
    insert(assent_by_subject=None, guardian_consent=True)
    assert "府中 いろは" not in kid.get(url).get_data(as_text=True)
    found = kid.get("/api/v1/persons", query_string={"q": "府中 いろは"})
    assert found.status_code in (200, 403) and "府中 いろは" not in found.get_data(as_text=True)
    insert(assent_by_subject=True, guardian_consent=True)
    assert "府中 いろは" in kid.get(url).get_data(as_text=True)
