"""The eight seed municipalities of `caseflow demo` (issue 20): one demo world for the module; each municipality is
its own tenant with its seed's organisations, districts and councils; 鎌倉市's plan indicators; 熊本市's handover
of personal data by stage. SQLite and PostgreSQL (CASEFLOW_TEST_DATABASE_URL)."""
import shutil

import pytest

from caseflow.app import create_app
from caseflow.core import db
from caseflow.demo import loader, world

from conftest import PG_URL, TEST_CONFIG, ApiClient, _empty_postgres

PW = "seed-municipalities-password"
CITIES = ["kamakura", "kumamoto", "ichihara", "suzaka", "ise", "nabari", "hirakata", "fuchu"]
MAIL = "demo.caseflow.example"


@pytest.fixture(scope="module")
def demo(template_db, tmp_path_factory):
    if PG_URL:
        _empty_postgres(template_db)
        url = template_db
    else:
        path = tmp_path_factory.mktemp("seed-municipalities") / "demo.sqlite3"
        shutil.copyfile(template_db.removeprefix("sqlite:///"), path)
        url = "sqlite:///" + str(path)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        loader.load(password=PW, households=40, echo=lambda _line: None)
    yield app
    with app.app_context():
        db.engine().dispose()



def _logged(app, who):
    c = ApiClient(app)
    c.login(f"{who}@{MAIL}", PW)
    return c


def test_eight_tenants_each_alone(demo):
    coords = {city: _logged(demo, f"coordinator.{city}") for city in CITIES}
    case_of = {}
    for city, c in coords.items():
        me = c.get("/api/v1/auth/me").get_json()
        assert me["municipality"]["code"] == city and [m["code"] for m in me["municipalities"]] == [city]
        items = c.get("/api/v1/cases?limit=5").get_json()["items"]
        assert items, city
        case_of[city] = items[0]["id"]
    # a coordinator of one municipality sees nothing of another: 404, not 403
    for city, c in coords.items():
        for other, case_id in case_of.items():
            if other != city:
                assert c.get(f"/api/v1/cases/{case_id}").status_code == 404, (city, other)
        # naming another municipality is refused
        assert c.get("/api/v1/cases", headers={"X-Caseflow-Municipality": "kamakura" if city != "kamakura"
                                               else "fuchu"}).status_code == 403


@pytest.mark.parametrize("city", CITIES[2:])
def test_organisations_districts_and_councils_from_the_seed(demo, city):
    c = _logged(demo, f"supervisor.{city}")
    orgs = {o["code"] for o in c.get("/api/v1/organizations?limit=200").get_json()["items"]}
    expected = {o["code"] for o in world.ORGANIZATIONS if o["city"] == city}
    assert orgs == expected
    districts = [d["label"] for d in c.get("/api/v1/codes/district").get_json()]
    spec = next(m for m in world.MUNICIPALITIES if m["code"] == city)
    assert districts == [label for _code, label in spec["districts"]]
    councils = {k["name"]: k for k in c.get("/api/v1/councils").get_json()["items"]}
    if city == "suzaka":
        council = councils["須坂市孤独・孤立対策官民連携プラットフォーム推進協議会"]
        assert (council["quorum_percent"], council["invites_non_members"]) == (50, True)
        assert council["bylaws_title"].endswith("設置要綱") and council["chair"]
    if city == "nabari":
        assert len(districts) == 15
        council = councils["名張市エリアディレクター会議"]
        detail = c.get(f"/api/v1/councils/{council['id']}").get_json()
        names = {m["org"]["name"] for m in detail["members"]}
        for field in ("介護・高齢支援室", "障害福祉室", "健康・子育て支援室", "医療福祉総務室", "教育センター"):
            assert any(n.endswith(field) for n in names), field
    if city == "hirakata":
        council = councils["枚方市子ども・若者支援地域協議会"]
        detail = c.get(f"/api/v1/councils/{council['id']}").get_json()
        members = {m["org"]["code"] for m in detail["members"]}
        assert set(world.HIRAKATA_COUNCIL_BODIES) <= members and len(world.HIRAKATA_COUNCIL_BODIES) == 21
        assert council["kind"] == "youth_support_council"
    for role in ("admin", "auditor", "coordinator"):
        assert _logged(demo, f"{role}.{city}").get("/api/v1/auth/me").get_json()["municipality"]["code"] == city


def test_kamakura_support_meeting_and_indicators(demo):
    sup = _logged(demo, "supervisor.kamakura")
    council = next(k for k in sup.get("/api/v1/councils").get_json()["items"] if k["name"] == "鎌倉市支援会議")
    names = {m["org"]["name"] for m in sup.get(f"/api/v1/councils/{council['id']}").get_json()["members"]}
    for dept in ("福祉総務課", "生活福祉課", "高齢者いきいき課", "障害福祉課", "こども支援課", "こども家庭相談課",
                 "青少年課", "発達支援室", "地域共生課", "教育センター"):
        assert any(n.endswith(dept) for n in names), dept
    report = sup.get("/api/v1/reports/indicators?fiscal_year=2024").get_json()
    rows = {r["code"]: r for r in report["items"]}
    assert len(rows) == 4
    # the 行政評価シート's own 達成率 for 令和6年度: 65.6/67.6, 57.7/67.2, 2186/2000; 認定率 not yet published
    assert rows["kyosei-shakai"]["achievement_percent"] == "97.0"
    assert rows["soudan-basho"]["achievement_percent"] == "85.9"
    assert rows["shogaisha-shuro"]["achievement_percent"] == "109.3"
    assert rows["youkaigo-nintei"]["actual"] is None and rows["youkaigo-nintei"]["achievement_ratio"] is None
    r2025 = sup.get("/api/v1/reports/indicators?fiscal_year=2025").get_json()["items"]
    assert [r["target"] for r in r2025] and all(r["actual"] is None for r in r2025)
    csv_text = sup.get("/api/v1/reports/indicators.csv?fiscal_year=2022").get_data(as_text=True)
    assert "就労している障害者数" in csv_text and "95.3" in csv_text
    # the other cities have none
    assert _logged(demo, "supervisor.kumamoto").get("/api/v1/indicators").get_json()["items"] == []


def test_kumamoto_handover_by_stage(demo):
    coord = _logged(demo, "coordinator.kumamoto")
    cases = coord.get("/api/v1/cases?limit=200").get_json()["items"]
    views = {}
    for case in cases:
        r = coord.get(f"/api/v1/cases/{case['id']}/handover")
        if r.status_code == 200:
            views[case["id"]] = (case, r.get_json())
    assert views
    stages = {v["stage"] for _c, v in views.values()}
    assert {"intake", "referral", "assessment", "support"} <= stages
    for case, view in views.values():
        assert view["stage"] == case["stage"] and [r["stage"] for r in view["rules"]][:4] == [
            "intake", "referral", "assessment", "support"]
        assert view["rule"]["step"] == {"intake": 1, "referral": 2, "assessment": 3, "support": 4}.get(case["stage"])
        for passed in view["passed"]:
            assert passed["basis"] in ("consent", "support_meeting", "emergency")
            assert passed["stage"] in ("intake", "referral", "assessment", "support", "closed")
    # an organisation the engine gives data on consent reads the case: the view shows it passed, at which stage
    users = {"kmm-kvoad": "npo.kvoad", "kmm-denden": "npo.denden", "kmm-minori": "npo.minori", "kmm-darc": "npo.darc",
             "kmm-seishin-hoken-fukushi": "staff.kmm-seishin-hoken-fukushi", "kmm-korei-fukushi": "staff.kmm-korei-fukushi",
             "kmm-kodomo-wakamono-sodan": "staff.kmm-kodomo-wakamono-sodan"}
    case_id, org = next((cid, o) for cid, (_c, v) in views.items() for o in v["organisations"]
                        if o["org"]["code"] in users and not o["collected_data"]
                        and any(b.startswith("consent:") for p in o["persons"] for b in p["given"].values()))
    reader = _logged(demo, users[org["org"]["code"]])
    assert reader.get(f"/api/v1/cases/{case_id}").status_code == 200
    after = coord.get(f"/api/v1/cases/{case_id}/handover").get_json()
    mine = [p for p in after["passed"] if p["org"]["code"] == org["org"]["code"] and p["basis"] == "consent"]
    assert mine and mine[-1]["stage"] == views[case_id][0]["stage"] and mine[-1]["categories"]
    assert views[case_id][0]["stage"] in ("referral", "assessment", "support")
    # a referral stage names what the next stage needs
    referral = next(v for _c, v in views.values() if v["stage"] == "referral")
    assert referral["next"]["stage"] == "assessment" and referral["next"]["needs"] == ["consent", "support_meeting"]
    pending = [(v["stage"], o) for _c, v in views.values() for o in v["organisations"]
               if "referral_pending" in o["relations"]]
    assert pending
    for stage, o in pending:  # a referral's receiver: consent (stage 2); consent or 支援会議 (stages 3-4)
        withheld = any(p["withheld"] for p in o["persons"])
        assert o["needs"] == ([] if not withheld else ["consent"] if stage == "referral" or
                              o["support_meeting_available"] else ["consent", "support_meeting"]), (stage, o)

    # only the owner organisation reads it; another organisation of the city gets 403, another city 404
    some = next(iter(views))
    npo = _logged(demo, "npo.kvoad")
    visible = {c["id"] for c in npo.get("/api/v1/cases?limit=200").get_json()["items"]}
    shared = next((cid for cid in views if cid in visible and views[cid][0]["owner_org"]["code"] != "kmm-kvoad"), None)
    if shared:
        assert npo.get(f"/api/v1/cases/{shared}/handover").status_code == 403
    assert _logged(demo, "coordinator.kamakura").get(f"/api/v1/cases/{some}/handover").status_code == 404
