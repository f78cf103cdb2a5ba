"""The organisation directory (issue 4): search and filters, edit rights, validation, concurrency, demo data."""
import pytest
from sqlalchemy import select

ENTRY = {
    "fields": ["hikikomori", "h8050"], "languages": ["en"], "lgbtq": False, "eligibility": "15〜39歳の本人と家族",
    "age_min": 15, "age_max": 39, "service_area": ["ofuna", "tamanawa"], "hours": "平日 9:00~17:00",
    "phone": "0467-00-9999", "email": "info@npo.example.jp", "line": "@npo-line", "website": "https://npo.example.jp/",
    "description": "ひきこもり状態にある若者への訪問支援と居場所づくり。", "takes_consultations": True,
    "joint_support": True, "capacity": "accepting",
}


def put(client, org_id, body, etag=None):
    headers = {"X-CSRF-Token": client.csrf}
    if etag:
        headers["If-Match"] = etag
    return client.http.put(f"/api/v1/organizations/{org_id}/directory", json=body, headers=headers)


@pytest.fixture
def dir_world(basic):
    basic.user("npo-admin@example.jp", "kmm-npo", "npo_staff")
    return basic


def test_an_organisation_creates_and_edits_its_own_entry(dir_world):
    basic = dir_world
    npo = basic.client("npo@example.jp")
    org_id = basic.orgs["kmm-npo"]
    assert npo.get(f"/api/v1/organizations/{org_id}/directory").get_json()["type"].endswith("no-directory-entry")
    r = put(npo, org_id, ENTRY)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert {k: created[k] for k in ENTRY} == ENTRY
    assert created["org"]["code"] == "kmm-npo" and created["version"] == 1
    r = npo.get(f"/api/v1/organizations/{org_id}/directory")
    etag = r.headers["ETag"]
    assert r.get_json()["fields"] == ["hikikomori", "h8050"]
    # replacing needs the ETag; a stale one changes nothing
    assert put(npo, org_id, {**ENTRY, "capacity": "full"}).status_code == 428
    r = put(npo, org_id, {**ENTRY, "capacity": "full"}, etag)
    assert r.status_code == 200 and r.get_json()["capacity"] == "full" and r.headers["ETag"] != etag
    colleague = basic.client("npo-admin@example.jp")
    r = put(colleague, org_id, {**ENTRY, "capacity": "paused"}, etag)
    assert r.status_code == 412
    # PUT replaces: omitted fields go back to their defaults
    etag = npo.get(f"/api/v1/organizations/{org_id}/directory").headers["ETag"]
    r = put(colleague, org_id, {"fields": ["isolation"]}, etag)
    assert r.status_code == 200
    entry = r.get_json()
    assert entry["fields"] == ["isolation"] and entry["languages"] == [] and entry["phone"] is None
    assert entry["capacity"] == "accepting" and entry["takes_consultations"] is True and entry["joint_support"] is False
    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    with basic.app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.resource_type == "directory",
                                                                        AuditEvent.outcome == "allowed")
                                       .order_by(AuditEvent.seq)).all()
    assert actions == ["directory.create", "directory.update", "directory.update"]


def test_edit_rights(dir_world):
    basic = dir_world
    npo, coord = basic.client("npo@example.jp"), basic.client("coord@example.jp")
    # staff of another organisation: refused (403, the organisation's existence is no secret) and audited
    r = put(coord, basic.orgs["kmm-npo"], ENTRY)
    assert r.status_code == 403
    assert put(npo, basic.orgs["kmk-chiiki"], ENTRY).status_code == 403
    assert put(coord, basic.orgs["kmk-chiiki"], ENTRY).status_code == 201
    # the secretariat (admin) edits every entry
    admin = basic.client("admin@example.jp")
    assert put(admin, basic.orgs["kmm-npo"], ENTRY).status_code == 201
    etag = admin.get(f"/api/v1/organizations/{basic.orgs['kmk-chiiki']}/directory").headers["ETag"]
    assert put(admin, basic.orgs["kmk-chiiki"], {**ENTRY, "capacity": "paused"}, etag).status_code == 200
    # auditors do no directory work at all (even for their own organisation)
    auditor = basic.client("auditor@example.jp")
    assert put(auditor, basic.orgs["kmk-audit"], ENTRY).status_code == 403
    assert put(npo, "00000000-0000-4000-8000-000000000000", ENTRY).status_code == 404
    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    with basic.app.app_context():
        denied = db.session().execute(select(AuditEvent.action, AuditEvent.resource_id).where(
            AuditEvent.outcome == "denied")).all()
    assert ("directory.update", str(basic.orgs["kmm-npo"])) in denied
    assert ("directory.update", str(basic.orgs["kmk-chiiki"])) in denied


@pytest.mark.parametrize("change,field", [
    ({"fields": ["no-such-issue"]}, "fields"),
    ({"service_area": ["atlantis"]}, "service_area"),
    ({"age_min": 40, "age_max": 20}, "age_max"),
    ({"age_min": -1}, "age_min"),
    ({"languages": ["ja"]}, "languages"),
    ({"languages": ["English"]}, "languages"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "call me"}, "phone"),
    ({"capacity": "maybe"}, "capacity"),
    ({"description": "あ" * 4001}, "description"),
    ({"lgbtq": "sometimes"}, "lgbtq"),
    ({"owner": "me"}, "owner"),
])
def test_validation(dir_world, change, field):
    npo = dir_world.client("npo@example.jp")
    r = put(npo, dir_world.orgs["kmm-npo"], {**ENTRY, **change})
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]


def _setup_directory(basic):
    admin = basic.client("admin@example.jp")
    specs = {
        "d-hiki": ("npo", "ひきこもり支援の会", {"fields": ["hikikomori", "h8050"], "service_area": ["ofuna"],
                                           "age_min": 15, "age_max": 39, "joint_support": True}),
        "d-lgbt": ("other", "にじいろ若者ネット", {"fields": ["lgbtq", "isolation"], "lgbtq": True,
                                            "age_max": 24, "takes_consultations": False,
                                            "description": "ＬＧＢＴＱ＋の若者の居場所"}),
        "d-foreign": ("association", "多文化共生センター", {"fields": ["foreign"], "languages": ["en", "vi", "zh"],
                                                   "service_area": ["ofuna", "koshigoe"], "capacity": "full"}),
        "d-young-carer": ("npo", "ケアする子どもの会", {"fields": ["young_carer"], "capacity": "paused",
                                                  "eligibility": "18歳未満のヤングケアラー", "age_max": 17}),
        "d-carer": ("npo", "介護者のつどい", {"fields": ["carer", "elderly"], "service_area": ["kamakura"]}),
        "d-closed": ("npo", "活動休止中の会", {"fields": ["hikikomori"]}),
    }
    ids = {}
    for code, (kind, name, entry) in specs.items():
        ids[code] = basic.org(code, kind, name)
        r = put(admin, ids[code], entry)
        assert r.status_code == 201, r.get_json()
    assert admin.patch(f"/api/v1/organizations/{ids['d-closed']}", json={"active": False}).status_code == 200
    return ids


@pytest.mark.parametrize("query,expected", [
    ({}, ["d-carer", "d-foreign", "d-hiki", "d-lgbt", "d-young-carer"]),
    ({"field": "hikikomori"}, ["d-hiki"]),
    ({"field": ["foreign", "lgbtq"]}, ["d-foreign", "d-lgbt"]),
    ({"field": "carer"}, ["d-carer"]),  # "carer" is not found inside "young_carer"
    ({"language": "vi"}, ["d-foreign"]),
    ({"lgbtq": "true"}, ["d-lgbt"]),
    ({"lgbtq": "false", "field": "isolation"}, []),
    ({"district": "koshigoe"}, ["d-foreign"]),
    ({"district": ["ofuna", "kamakura"]}, ["d-carer", "d-foreign", "d-hiki"]),
    ({"age": 20}, ["d-carer", "d-foreign", "d-hiki", "d-lgbt"]),
    ({"age": 45}, ["d-carer", "d-foreign"]),
    ({"age": 12}, ["d-carer", "d-foreign", "d-lgbt", "d-young-carer"]),
    ({"capacity": "accepting"}, ["d-carer", "d-hiki", "d-lgbt"]),
    ({"capacity": ["full", "paused"]}, ["d-foreign", "d-young-carer"]),
    ({"takes_consultations": "false"}, ["d-lgbt"]),
    ({"joint_support": "true"}, ["d-hiki"]),
    ({"kind": "association"}, ["d-foreign"]),
    ({"q": "ひきこもり"}, ["d-hiki"]),
    ({"q": "LGBTQ+"}, ["d-lgbt"]),  # NFKC: the full-width description matches
    ({"q": "ヤングケアラー"}, ["d-young-carer"]),  # eligibility text
    ({"q": "100%"}, []),
    ({"field": "hikikomori", "district": "koshigoe"}, []),
])
def test_search_and_filters(dir_world, query, expected):
    _setup_directory(dir_world)
    # any signed-in user may search, auditors included: the directory holds no personal data
    for email in ("coord@example.jp", "auditor@example.jp"):
        r = dir_world.client(email).get("/api/v1/organizations/directory", query_string=query)
        assert r.status_code == 200, r.get_json()
        assert [e["org"]["code"] for e in r.get_json()["items"]] == expected


def test_search_paginates_and_validates(dir_world):
    _setup_directory(dir_world)
    c = dir_world.client("npo@example.jp")
    first = c.get("/api/v1/organizations/directory?limit=2").get_json()
    second = c.get("/api/v1/organizations/directory?limit=2&offset=2").get_json()
    third = c.get("/api/v1/organizations/directory?limit=2&offset=4").get_json()
    assert first["has_more"] and second["has_more"] and not third["has_more"]
    codes = [e["org"]["code"] for page in (first, second, third) for e in page["items"]]
    assert codes == ["d-carer", "d-foreign", "d-hiki", "d-lgbt", "d-young-carer"]
    for bad in ("capacity=unknown", "age=200", "kind=castle", "language=Klingon", "limit=0"):
        assert c.get(f"/api/v1/organizations/directory?{bad}").status_code == 422, bad
    assert c.get("/api/v1/organizations/directory").status_code == 200
    assert dir_world.client().get("/api/v1/organizations/directory").status_code == 401


def test_demo_world_directory(app):
    """`caseflow demo` loads the 20 groups of the Kumamoto leaflet and the city sections with their entries."""
    from caseflow.core import db
    from caseflow.demo import loader, world
    from caseflow.organizations.models import DirectoryEntry, Organization

    out = []
    with app.app_context():
        loader.load(password="demo-password-123", echo=out.append)
        assert "directory entries: %d added, 0 updated" % len(world.ORGANIZATIONS) in out
        entries = {o.code: e for e, o in db.session().execute(
            select(DirectoryEntry, Organization).join(Organization, Organization.id == DirectoryEntry.org_id))}
        db.session().expunge_all()
    assert len(entries) == len(world.ORGANIZATIONS)
    leaflet = {o["code"] for o in world.KUMAMOTO_LEAFLET_GROUPS}
    assert len(leaflet) == 20 and leaflet <= set(entries)
    assert entries["kmm-kvoad"].languages == "en" and entries["kmm-kumustaka"].languages == "en"
    assert entries["kmm-frens"].lgbtq and entries["kmm-frens"].age_max == 24
    assert entries["kmm-darc"].fields == "addiction"
    assert not entries["kmm-kumaniji"].takes_consultations
    sections = [o for o in world.ORGANIZATIONS if o["city"] == "kumamoto" and o["kind"] == "department"]
    assert len({o["code"] for o in sections} & set(entries)) >= 10
    out.clear()
    with app.app_context():
        loader.load(password="demo-password-123", echo=out.append)
    assert "directory entries: 0 added, 0 updated" in out  # idempotent
    # searchable through the API by any demo user
    from conftest import ApiClient

    c = ApiClient(app)
    c.login("npo.denden@demo.caseflow.example", "demo-password-123")
    lgbt = c.get("/api/v1/organizations/directory",
                 query_string={"lgbtq": "true", "district": "kumamoto-chuo", "limit": 50})
    codes = {e["org"]["code"] for e in lgbt.get_json()["items"]}
    assert {o["code"] for o in world.KUMAMOTO_LEAFLET_GROUPS if o["directory"]["lgbtq"]} == codes
    foreign = c.get("/api/v1/organizations/directory", query_string={"language": "en"}).get_json()["items"]
    assert {e["org"]["code"] for e in foreign} == {"kmm-kvoad", "kmm-kumustaka"}
    young = c.get("/api/v1/organizations/directory", query_string={"field": "lgbtq", "age": 30}).get_json()["items"]
    assert "kmm-frens" not in {e["org"]["code"] for e in young}
