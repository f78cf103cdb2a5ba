"""The directory import (issue 20, 市原市): the list of member organisations a city keeps, as UTF-8 CSV, Shift_JIS
CSV and .xlsx, through the API and the CLI -- round trip, dry run, every bad row reported, good_rows mode,
idempotent re-import, refusals, and no file contents on the audit trail.

One app and database for the module; each test works in a municipality of its own, so the tests do not depend
on each other's order (or on the xdist worker they land on)."""
from __future__ import annotations

import io
import json
import shutil

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import select

from caseflow import create_app
from caseflow.audit.models import AuditEvent
from caseflow.cli import main
from caseflow.core import db
from caseflow.organizations.models import DirectoryEntry, Organization

from conftest import PG_URL, TEST_CONFIG, World, _empty_postgres

DISTRICTS = [("goi", "五井"), ("ichihara", "市原"), ("anesaki", "姉崎"), ("sanwa", "三和"), ("nanso", "南総"),
             ("kamo", "加茂"), ("chiharadai", "ちはら台")]
HEADER = ["団体名", "種別", "分野", "連絡先", "活動地域", "備考"]
ROWS = [
    ["ＮＰＯ法人　ほっこりーの市原ゆう", "NPO法人", "ひきこもり、障害・発達", "0436-00-1111 / info@hokkori.example.jp",
     "五井、姉崎", "ひきこもりがちなお子さんや障がいを持つ親子の集いの場"],
    ["いちほら市民活動協議会", "任意団体", "不登校・孤独・孤立", "contact@ichihora.example.jp", "市内全域",
     "オンライン勉強会（ウェルキャンオンライン）"],
    ["市原市社会福祉協議会", "社会福祉協議会", "生活困窮、高齢", "０４３６－００－２２２２", "五井・市原・南総", ""],
    ["We are Buddies 市原", "一般社団法人", "ヤングケアラー、子育て", "", "ちはら台", "子どもと大人のバディ活動"],
    ["光と風と夢", "", "孤独・孤立", "0436-00-3333", "加茂地区", ""],
]


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    return ("\r\n".join(",".join(r) for r in rows) + "\r\n").encode(encoding)


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    for r in rows:
        book.active.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def world(template_db, tmp_path_factory):
    if PG_URL:
        _empty_postgres(template_db)
        url = template_db
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("directory-import") / "db.sqlite3")
        shutil.copyfile(template_db.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    w = World(app)
    w.url = url
    yield w
    with app.app_context():
        db.engine().dispose()


def city(world, code: str, name: str = "市原市", districts=DISTRICTS):
    """A municipality with 市原市's districts, its secretariat (the 保健福祉課) and that secretariat's user."""
    world.municipality(code, name, districts=[(f"{code}-{c}", label) for c, label in districts])
    world.org(f"{code}-fukushi", "department", f"{name} 保健福祉課", municipality=code)
    world.secretariat(code, f"{code}-fukushi")
    world.user(f"sec@{code}.example.jp", f"{code}-fukushi", "secretariat")
    return world.client(f"sec@{code}.example.jp")


def upload(client, data: bytes, filename="団体一覧.csv", **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"/api/v1/organizations/directory-import?{query}",
                       data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def entries(world, code: str) -> dict[str, dict]:
    """The municipality's directory by organisation name (through the domain, to see every column)."""
    with world.app.app_context():
        rows = db.session().execute(
            select(Organization, DirectoryEntry).join(DirectoryEntry, DirectoryEntry.org_id == Organization.id)
            .where(Organization.municipality_id == world.municipalities[code])).all()
        return {o.name: {"kind": o.kind, "code": o.code, "fields": e.fields, "service_area": e.service_area,
                         "phone": e.phone, "email": e.email, "description": e.description, "version": e.version}
                for o, e in rows}


def audit(world, code: str, action: str) -> list[dict]:
    with world.app.app_context():
        return [{"detail": json.loads(e.detail) if isinstance(e.detail, str) else e.detail, "actor_user_id": e.actor_user_id} for e in db.session().scalars(
            select(AuditEvent).where(AuditEvent.municipality_id == world.municipalities[code],
                                     AuditEvent.action == action).order_by(AuditEvent.seq))]


def counts(r) -> tuple[int, int, int]:
    body = r.get_json()
    assert r.status_code == 200, body
    return body["created"], body["updated"], body["unchanged"]


def test_a_realistic_file_round_trips_as_utf8_csv_shift_jis_csv_and_xlsx(world):
    sec = city(world, "ich-rt")
    r = upload(sec, csv_bytes([HEADER, *ROWS]))
    assert counts(r) == (5, 0, 0) and r.get_json()["stored"] is True and r.get_json()["errors"] == []
    got = entries(world, "ich-rt")
    assert set(got) == {"NPO法人 ほっこりーの市原ゆう", "いちほら市民活動協議会", "市原市社会福祉協議会",
                        "We are Buddies 市原", "光と風と夢"}
    yu = got["NPO法人 ほっこりーの市原ゆう"]
    assert yu["kind"] == "npo" and yu["fields"] == "hikikomori,disability,developmental"
    assert yu["service_area"] == "ich-rt-goi,ich-rt-anesaki"
    assert (yu["phone"], yu["email"]) == ("0436-00-1111", "info@hokkori.example.jp")
    assert yu["description"].startswith("ひきこもりがち")
    assert got["いちほら市民活動協議会"]["fields"] == "futoko,isolation"  # 孤独・孤立 is one label
    assert got["いちほら市民活動協議会"]["service_area"] == ""  # 市内全域: everywhere
    assert got["いちほら市民活動協議会"]["kind"] == "other" and got["いちほら市民活動協議会"]["phone"] is None
    assert got["市原市社会福祉協議会"]["phone"] == "0436-00-2222"  # full-width digits and dashes
    assert got["市原市社会福祉協議会"]["service_area"] == "ich-rt-goi,ich-rt-ichihara,ich-rt-nanso"
    assert got["光と風と夢"]["service_area"] == "ich-rt-kamo" and got["光と風と夢"]["kind"] == "other"
    # the directory search sees them, by field and district
    found = sec.get("/api/v1/organizations/directory?field=isolation&limit=50").get_json()["items"]
    assert {e["org"]["name"] for e in found} == {"いちほら市民活動協議会", "光と風と夢"}
    # the same list kept as Shift_JIS CSV and as .xlsx: nothing changes
    assert counts(upload(sec, csv_bytes([HEADER, *ROWS], "cp932"))) == (0, 0, 5)
    assert counts(upload(sec, xlsx_bytes([HEADER, *ROWS]), "団体一覧.xlsx")) == (0, 0, 5)
    assert entries(world, "ich-rt") == got
    # a changed row (new phone, another district; the name typed with other spaces) updates that organisation
    changed = [list(r) for r in ROWS]
    changed[4] = ["光と風と夢 ", "その他", "孤独・孤立", "0436-00-4444", "加茂、三和", ""]
    assert counts(upload(sec, xlsx_bytes([HEADER, *changed]), "団体一覧.xlsx")) == (0, 1, 4)
    after = entries(world, "ich-rt")["光と風と夢"]
    assert after["phone"] == "0436-00-4444" and after["service_area"] == "ich-rt-kamo,ich-rt-sanwa"
    assert after["code"] == got["光と風と夢"]["code"] and after["version"] == got["光と風と夢"]["version"] + 1
    # one audit event per stored import, with the counts; the file's contents are never on the trail
    imports = audit(world, "ich-rt", "directory.import")
    assert [(e["detail"]["created"], e["detail"]["updated"], e["detail"]["unchanged"]) for e in imports] == [
        (5, 0, 0), (0, 0, 5), (0, 0, 5), (0, 1, 4)]
    assert imports[0]["actor_user_id"] == world.users["sec@ich-rt.example.jp"]
    assert len(audit(world, "ich-rt", "organizations.create")) == 6  # 保健福祉課 and the five
    assert len(audit(world, "ich-rt", "directory.update")) == 1
    with world.app.app_context():
        details = " ".join(str(d) for d in db.session().scalars(select(AuditEvent.detail)))
    for secret in ("0436-00", "example.jp", "ほっこり", "バディ"):
        assert secret not in details


def test_a_dry_run_checks_every_row_and_writes_nothing(world):
    sec = city(world, "ich-dry")
    r = upload(sec, csv_bytes([HEADER, *ROWS]), dry_run="true")
    assert counts(r) == (5, 0, 0) and r.get_json()["stored"] is False and r.get_json()["dry_run"] is True
    assert entries(world, "ich-dry") == {}
    names = {o["name"] for o in sec.get("/api/v1/organizations?limit=50").get_json()["items"]}
    assert names == {"市原市 保健福祉課"}
    assert audit(world, "ich-dry", "directory.import") == []
    assert len(audit(world, "ich-dry", "organizations.create")) == 1  # the 保健福祉課 only


BAD = [
    HEADER,
    ROWS[0],
    ["地域食堂みんなのいえ", "NPO法人", "福祉x、子育て", "0436-00-5555", "五井", ""],          # line 3: unknown field
    ["いちはら見守り隊", "任意団体", "高齢", "0436-00-6666", "鎌倉", ""],                      # line 4: unknown district
    ["子ども食堂ひだまり", "株式会社", "子育て", "mail: hidamari@@example", "姉崎", ""],        # line 5: kind, contact
    ["ＮＰＯ法人 ほっこりーの市原ゆう", "NPO法人", "ひきこもり", "", "五井", ""],              # line 6: same as line 2
    ["", "NPO法人", "ひきこもり", "", "", "名前のない行"],                                     # line 7: no name
    ROWS[2],
]


def test_bad_rows_are_all_reported_and_nothing_is_imported(world):
    sec = city(world, "ich-bad")
    r = upload(sec, csv_bytes(BAD, "cp932"))
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert problem["type"].endswith("/import-rows") and "何も登録していません" in problem["detail"]
    errors = problem["errors"]
    assert errors["3行目 分野"] == ["「福祉x」はコード表 issue_category（課題分類）にありません。"]
    assert "「鎌倉」は市原市の地区リスト（district）にありません" in errors["4行目 活動地域"][0]
    assert "「株式会社」は種別として読み取れません" in errors["5行目 種別"][0]
    assert "読み取れません" in errors["5行目 連絡先"][0]
    assert errors["6行目 団体名"] == ["2行目と同じ団体です。1団体1行にしてください。"]
    assert errors["7行目 団体名"] == ["団体名は必須です。"]
    assert {(x["row"], x["column"]) for x in problem["rows"]} == {
        (3, "分野"), (4, "活動地域"), (5, "種別"), (5, "連絡先"), (6, "団体名"), (7, "団体名")}
    assert entries(world, "ich-bad") == {}
    assert audit(world, "ich-bad", "directory.import") == []
    # a dry run of the same file answers the same 422
    assert upload(sec, csv_bytes(BAD), dry_run="true").status_code == 422


def test_good_rows_mode_stores_the_good_rows_and_reports_the_bad(world):
    sec = city(world, "ich-good")
    r = upload(sec, xlsx_bytes(BAD), "団体一覧.xlsx", mode="good_rows")
    assert counts(r) == (2, 0, 0)
    body = r.get_json()
    assert body["stored"] is True and len(body["errors"]) == 6
    assert "3 行目 分野: 「福祉x」はコード表 issue_category（課題分類）にありません。" in body["messages"]
    assert set(entries(world, "ich-good")) == {"NPO法人 ほっこりーの市原ゆう", "市原市社会福祉協議会"}
    [event] = audit(world, "ich-good", "directory.import")
    assert event["detail"] == {"mode": "good_rows", "rows": 7, "errors": 5, "created": 2, "updated": 0, "unchanged": 0}
    # fixed and sent again: the good rows are unchanged, the fixed ones created
    fixed = [HEADER, ROWS[0], ["地域食堂みんなのいえ", "NPO法人", "子育て", "0436-00-5555", "五井", ""], ROWS[2]]
    assert counts(upload(sec, csv_bytes(fixed), mode="good_rows")) == (1, 0, 2)


def test_refusals(world):
    sec = city(world, "ich-ref")
    world.user("coord@ich-ref.example.jp", "ich-ref-fukushi", "coordinator")
    world.org("ich-ref-npo", "npo", "NPO法人 いちはら", municipality="ich-ref")
    world.user("npo@ich-ref.example.jp", "ich-ref-npo", "npo_staff", "admin")
    data = csv_bytes([HEADER, *ROWS])
    for email in ("coord@ich-ref.example.jp", "npo@ich-ref.example.jp"):
        r = upload(world.client(email), data)
        assert r.status_code == 403 and r.mimetype == "application/problem+json"
    # another city's secretariat imports into its own city: 市原's districts mean nothing there
    other = city(world, "kmk-ref", "鎌倉市", [("ofuna", "大船"), ("tamanawa", "玉縄")])
    r = upload(other, data)
    assert r.status_code == 422
    assert r.get_json()["errors"]["2行目 活動地域"] == ["「五井」、「姉崎」は鎌倉市の地区リスト（district）にありません。"]
    assert entries(world, "kmk-ref") == {} and entries(world, "ich-ref") == {}
    # the request itself, field by field
    r = sec.post("/api/v1/organizations/directory-import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]
    assert "mode" in upload(sec, data, mode="some").get_json()["errors"]
    r = upload(sec, csv_bytes([["団体名", "電話番号", "好きな色"], ["光と風と夢", "0436-00-3333", "青"]]))
    assert r.status_code == 422 and "好きな色" in r.get_json()["errors"]["header"][0]
    r = upload(sec, csv_bytes([["種別", "分野"], ["NPO法人", "ひきこもり"]]))
    assert r.status_code == 422 and "団体名" in r.get_json()["errors"]["header"][0]
    assert upload(sec, b"PK\x03\x04 not a workbook", "x.xlsx").get_json()["errors"]["file"]


def run(world, *args):
    return CliRunner().invoke(main, list(args), env={"CASEFLOW_DATABASE_URL": world.url})


def test_the_cli_imports_a_file_with_the_same_rules(world, tmp_path):
    city(world, "ich-cli")
    path = tmp_path / "団体一覧.csv"
    path.write_bytes(csv_bytes([HEADER, *ROWS], "cp932"))
    r = run(world, "orgs", "directory-import", str(path), "--municipality", "ich-cli", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "確認のみ（登録していません）: 追加 5 件、更新 0 件、変更なし 0 件" in r.output
    assert entries(world, "ich-cli") == {}
    r = run(world, "orgs", "directory-import", str(path), "--municipality", "ich-cli")
    assert r.exit_code == 0 and "登録しました: 追加 5 件" in r.output, r.output
    r = run(world, "orgs", "directory-import", str(path), "--municipality", "ich-cli")
    assert r.exit_code == 0 and "追加 0 件、更新 0 件、変更なし 5 件" in r.output, r.output
    [first, _] = audit(world, "ich-cli", "directory.import")
    assert first["actor_user_id"] is None and first["detail"]["created"] == 5  # the operator's act
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes(BAD))
    r = run(world, "orgs", "directory-import", str(bad), "--municipality", "ich-cli")
    assert r.exit_code != 0
    assert "3 行目 分野: 「福祉x」はコード表 issue_category（課題分類）にありません。" in r.output
    assert "6 件の誤りがあるため、何も登録していません" in r.output
    r = run(world, "orgs", "directory-import", str(bad), "--municipality", "ich-cli", "--mode", "good_rows")
    assert r.exit_code == 1 and "誤りのない行を登録しました: 追加 0 件、更新 0 件、変更なし 2 件、誤り 6 件" in r.output
    r = run(world, "orgs", "directory-import", str(path), "--municipality", "nowhere")
    assert r.exit_code != 0 and "自治体コード nowhere は登録されていません" in r.output
