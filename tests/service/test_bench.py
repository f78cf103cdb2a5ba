"""The benchmark dataset generator, and the equivalence of the case-list query plans it exercises.

`python -m benchmarks.seed` fills a database with a small city (a few hundred cases); the checks then compare,
for every benchmark persona and a set of filters, the two forms of the visibility filter the case list
chooses between (a built visible set for small caseloads, per-case probes for large ones) and the
text-search prefilter with the plain rule -- on the generated data, through the domain functions.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from benchmarks.seed import BENCH_PASSWORD, PERSONAS

CASES = 400


@pytest.fixture
def seeded(app):
    from benchmarks import seed as bench

    lines = []
    with app.app_context():
        bench.seed(cases=CASES, events=600, seed_value=3, batch_cases=150, echo=lines.append)
    return app, lines


def test_seed_fills_a_consistent_city(seeded):
    from caseflow.access import trail
    from caseflow.accounts.models import User
    from caseflow.cases.models import Case, CaseInvolvement, HouseholdMember, Person
    from caseflow.consents.models import Consent
    from caseflow.core import db
    from caseflow.meetings.models import AgendaItem, Meeting
    from caseflow.organizations.models import Organization
    from caseflow.referrals.models import Referral

    app, lines = seeded
    assert any("rows/s" in line for line in lines)
    with app.app_context():
        s = db.session()
        count = lambda model: s.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Organization) == 300
        assert count(User) >= 1000
        assert count(Case) == CASES
        assert 2.2 <= count(Person) / CASES <= 2.8  # ~2.5 persons per household, a few anonymous cases
        assert count(HouseholdMember) == count(Person)
        states = set(s.scalars(select(Referral.state).distinct()))
        assert states == {"pending", "accepted", "declined", "withdrawn", "completed"}
        assert count(Consent) > 0 and count(Meeting) > 0 and count(AgendaItem) > 0
        # every case has its owner involvement; a few departments own most cases
        assert s.scalar(select(func.count()).where(CaseInvolvement.relation == "owner")) == CASES
        top = s.execute(select(Case.owner_org_id, func.count()).group_by(Case.owner_org_id)
                        .order_by(func.count().desc()).limit(6)).all()
        assert sum(n for _o, n in top) > CASES * 0.55
        numbers = list(s.scalars(select(Case.case_number)))
        assert len(set(numbers)) == CASES and all(n.startswith("R") for n in numbers)
        result = trail.verify(s)
        assert result.ok and result.checked >= 600


def test_seed_refuses_a_database_with_cases(seeded):
    from benchmarks import seed as bench

    app, _ = seeded
    with app.app_context():
        with pytest.raises(bench.SeedRefused):
            bench.seed(cases=100, events=0, echo=lambda _line: None)


def test_personas_log_in_and_list_cases(seeded):
    app, _ = seeded
    for email in PERSONAS.values():
        client = app.test_client()
        r = client.post("/api/v1/auth/login", json={"email": email, "password": BENCH_PASSWORD})
        assert r.status_code == 200, r.get_json()
    client = app.test_client()
    client.post("/api/v1/auth/login", json={"email": PERSONAS["npo"], "password": BENCH_PASSWORD})
    page = client.get("/api/v1/cases?limit=50").get_json()
    assert page["items"], "the NPO persona works on some cases"
    people = [i["primary_person"] for i in page["items"] if i["primary_person"]]
    # the NPO collected none of these persons: names only where a consent or a 支援会議 allows them
    assert all(p["redacted"] == ("name" not in p) for p in people)


FILTERS = [{}, {"stage": ["assessment", "support"]}, {"issue": ["poverty"]}, {"issue": ["isolation", "h8050"]},
           {"stage": ["closed"], "issue": ["hikikomori"]}, {"urgency": ["high", "critical"]},
           {"district": ["kumamoto-chuo"]}]


def _viewers(s):
    from caseflow.access.sharing import Viewer
    from caseflow.accounts.models import User

    users = list(s.scalars(select(User).where(User.email.in_(list(PERSONAS.values())))))
    users += list(s.scalars(select(User).where(User.email.not_in(list(PERSONAS.values())))
                            .order_by(User.email).limit(25)))
    return [Viewer.of(u) for u in users]


def test_both_visibility_forms_list_the_same_cases(seeded, monkeypatch):
    from caseflow.access.sharing import visible_case_ids
    from caseflow.cases import search as case_search
    from caseflow.cases.models import Case
    from caseflow.core import db
    from caseflow.core.db import utcnow
    from caseflow.core.text import fold_kana
    from caseflow.demo import world

    app, _ = seeded
    names = [fold_kana(k) for _n, k in world.SURNAMES[:12]] + ["た", "ろう", "ヤマダ　タロウ"]
    with app.app_context():
        s = db.session()
        now = utcnow()
        number = s.scalar(select(Case.case_number).limit(1))
        checked = 0
        for v in _viewers(s):
            for filters in [*FILTERS, *({"q": n} for n in names), {"q": number}, {"q": number.lower()}]:
                pages = {}
                # the name search's newest-first walk (CASEFLOW_LARGE_NAME_MATCH=0): a third form for `q`
                for form, threshold, name_match in (("probe", "0", "100000000"), ("set", "100000000", "100000000"),
                                                    ("walk", "0", "0")):
                    monkeypatch.setenv("CASEFLOW_LARGE_CASELOAD", threshold)
                    monkeypatch.setenv("CASEFLOW_LARGE_NAME_MATCH", name_match)
                    stmt = case_search.case_list_query(v, filters, now)
                    pages[form] = [c.id for c in s.scalars(stmt)]
                assert pages["probe"] == pages["set"] == pages["walk"], (v, filters)
                if "q" in filters:  # the prefilter keeps exactly the cases of the plain rule
                    plain = (select(Case.id).where(Case.id.in_(visible_case_ids(v, now)),
                                                   case_search._text_match(v, filters["q"], now))
                             .order_by(Case.opened_on.desc(), Case.id.desc()))
                    assert list(s.scalars(plain)) == pages["set"], (v, filters)
                checked += len(pages["set"])
        assert checked > CASES  # the comparisons saw real pages


def test_single_case_visibility_matches_the_visible_set(seeded):
    from caseflow.access.sharing import visible_case_ids
    from caseflow.cases import rules as case_domain
    from caseflow.cases.models import Case
    from caseflow.core import db
    from caseflow.core.errors import Problem

    app, _ = seeded
    with app.app_context():
        s = db.session()
        all_ids = list(s.scalars(select(Case.id).order_by(Case.id)))
        for v in _viewers(s)[:12]:
            visible = set(s.scalars(select(Case.id).where(Case.id.in_(visible_case_ids(v)))))
            for case_id in all_ids[::7]:
                try:
                    case_domain.get_visible_case(v, case_id)
                    seen = True
                except Problem as exc:
                    assert exc.status == 404
                    seen = False
                assert seen == (case_id in visible), (v, case_id)
