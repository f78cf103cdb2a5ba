"""Imports of the lists a city keeps (organisations, users, districts) through the CLI, on a real database:
Shift_JIS and UTF-8 CSV and .xlsx, all or nothing with every bad row named, dry runs, idempotent re-imports."""
import os
import stat

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import create_engine, text

from caseflow.cli import main


def run(db_url, *args):
    return CliRunner().invoke(main, list(args), env={"CASEFLOW_DATABASE_URL": db_url})


@pytest.fixture
def db_url(db_url):
    """The city's own municipality exists before its lists are imported."""
    r = run(db_url, "municipalities", "create", "--code", "ichihara", "--name", "市原市")
    assert r.exit_code == 0, r.output
    return db_url


def write_csv(path, rows, encoding="utf-8-sig"):
    path.write_bytes("\r\n".join(",".join(r) for r in rows).encode(encoding) + b"\r\n")
    return path


def scalar(db_url, sql, **params):
    eng = create_engine(db_url)
    try:
        with eng.connect() as c:
            return c.execute(text(sql), params).scalar()
    finally:
        eng.dispose()


ORGS = [["コード", "団体名", "種別", "上位組織"],
        ["ich-fukushi", "市原市　保健福祉課", "市町村部署", ""],
        ["ich-shakyo", "市原市社会福祉協議会", "社会福祉協議会", ""],
        ["ich-npo-kodomo", "ＮＰＯ法人　こどもの居場所いちはら", "NPO法人", ""],
        ["ich-fukushi-kakari", "市原市 保健福祉課 相談係", "department", "ich-fukushi"]]


def test_organisations_from_a_shift_jis_csv_then_reimport_changes_nothing(db_url, tmp_path):
    path = write_csv(tmp_path / "団体一覧.csv", ORGS, encoding="cp932")
    r = run(db_url, "orgs", "import", str(path), "--dry-run")
    assert r.exit_code == 0, r.output
    assert "確認のみ" in r.output and "追加 4 件" in r.output
    assert scalar(db_url, "select count(*) from organizations where code like 'ich-%'") == 0

    r = run(db_url, "orgs", "import", str(path))
    assert r.exit_code == 0, r.output
    assert "追加 4 件" in r.output
    # NFKC: full-width letters and the ideographic space are stored as a person would search for them
    assert scalar(db_url, "select name from organizations where code = 'ich-npo-kodomo'") == "NPO法人 こどもの居場所いちはら"
    assert scalar(db_url, "select kind from organizations where code = 'ich-shakyo'") == "shakyo"
    assert scalar(db_url, "select p.code from organizations o join organizations p on p.id = o.parent_id "
                          "where o.code = 'ich-fukushi-kakari'") == "ich-fukushi"

    r = run(db_url, "orgs", "import", str(path))
    assert r.exit_code == 0 and "追加 0 件、更新 0 件、変更なし 4 件" in r.output, r.output

    renamed = [row[:] for row in ORGS]
    renamed[2][1] = "社会福祉法人 市原市社会福祉協議会"
    r = run(db_url, "orgs", "import", str(write_csv(tmp_path / "v2.csv", renamed)))
    assert r.exit_code == 0 and "更新 1 件" in r.output, r.output
    assert scalar(db_url, "select name from organizations where code = 'ich-shakyo'") == "社会福祉法人 市原市社会福祉協議会"


def test_a_file_with_bad_rows_reports_every_one_and_stores_nothing(db_url, tmp_path):
    rows = ORGS + [["ich-bad-kind", "市原市 城", "castle", ""],
                   ["ich-no-name", "", "npo", ""],
                   ["ich-orphan", "市原市 孤児係", "department", "ich-missing"],
                   ["Bad Code!", "市原市 何か", "npo", ""]]
    r = run(db_url, "orgs", "import", str(write_csv(tmp_path / "bad.csv", rows)))
    assert r.exit_code == 1, r.output
    for line, field in ((6, "kind"), (7, "name"), (8, "parent"), (9, "code")):
        assert f"{line} 行目 {field}:" in r.output, r.output
    assert "4 件の誤りがあるため、何も登録していません" in r.output
    assert scalar(db_url, "select count(*) from organizations where code like 'ich-%'") == 0


def test_unknown_or_missing_columns_are_refused_before_any_row(db_url, tmp_path):
    r = run(db_url, "orgs", "import", str(write_csv(tmp_path / "e.csv", [["コード", "名称"]])))
    assert r.exit_code == 1 and "必須の列がありません: 種別" in r.output, r.output
    r = run(db_url, "orgs", "import", str(write_csv(tmp_path / "h.csv", [["コード", "団体名", "種類"], ["a1", "x", "npo"]])))
    assert r.exit_code == 1 and "種類" in r.output and "種別" in r.output, r.output


def test_organisations_from_an_xlsx_workbook(db_url, tmp_path):
    book = Workbook()
    sheet = book.active
    for row in ORGS[:3]:
        sheet.append(row)
    book.save(tmp_path / "団体一覧.xlsx")
    r = run(db_url, "orgs", "import", str(tmp_path / "団体一覧.xlsx"))
    assert r.exit_code == 0 and "追加 2 件" in r.output, r.output
    assert scalar(db_url, "select count(*) from organizations where code like 'ich-%'") == 2


def test_users_get_random_initial_passwords_in_a_private_file_and_can_log_in(db_url, app, tmp_path):
    run(db_url, "orgs", "import", str(write_csv(tmp_path / "o.csv", ORGS)))
    users = write_csv(tmp_path / "職員.csv", [["メールアドレス", "氏名", "組織コード", "役割"],
                                             ["Sato@Example.jp", "佐藤 花子", "ich-fukushi", "coordinator、supervisor"],
                                             ["npo1@example.jp", "田中 一郎", "ich-npo-kodomo", "npo_staff"]])
    r = run(db_url, "users", "import", str(users))
    assert r.exit_code == 2 and "--passwords-out" in r.output
    out = tmp_path / "initial-passwords.csv"
    r = run(db_url, "users", "import", str(users), "--passwords-out", str(out))
    assert r.exit_code == 0 and "追加 2 件" in r.output, r.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    creds = dict(line.split(",") for line in out.read_text().splitlines())
    assert set(creds) == {"sato@example.jp", "npo1@example.jp"}
    assert all(p not in r.output for p in creds.values())  # never on the terminal
    login = app.test_client().post("/api/v1/auth/login",
                                   json={"email": "sato@example.jp", "password": creds["sato@example.jp"]})
    assert login.status_code == 200 and login.get_json()["roles"] == ["coordinator", "supervisor"]

    # the same file again: nothing changes, and the existing passwords file is never overwritten
    r = run(db_url, "users", "import", str(users), "--passwords-out", str(out))
    assert r.exit_code == 2 and "作成できません" in r.output
    r = run(db_url, "users", "import", str(users), "--passwords-out", str(tmp_path / "again.csv"))
    assert r.exit_code == 0 and "変更なし 2 件" in r.output, r.output
    assert (tmp_path / "again.csv").read_text() == ""

    # a re-import that would change someone's roles is a bad row, not a silent promotion
    promote = write_csv(tmp_path / "p.csv", [["メールアドレス", "氏名", "組織コード", "役割"],
                                             ["npo1@example.jp", "田中 一郎", "ich-npo-kodomo", "npo_staff admin"],
                                             ["new@example.jp", "新人", "ich-fukushi", "wizard"]])
    r = run(db_url, "users", "import", str(promote), "--passwords-out", str(tmp_path / "p-out.csv"))
    assert r.exit_code == 1, r.output
    assert "2 行目 email:" in r.output and "3 行目 roles:" in r.output
    assert not (tmp_path / "p-out.csv").exists()
    assert scalar(db_url, "select count(*) from users where email = 'new@example.jp'") == 0
    assert scalar(db_url, "select count(*) from user_roles r join users u on u.id = r.user_id "
                          "where u.email = 'npo1@example.jp'") == 1


def test_districts_of_a_municipality_from_a_file_and_fixed_lists_refused(db_url, tmp_path):
    run(db_url, "orgs", "import", str(write_csv(tmp_path / "o.csv", ORGS[:2])))
    code = "ichihara"
    districts = write_csv(tmp_path / "地区.csv", [["地区コード", "地区名"], ["ich-goi", "五井"], ["ich-anesaki", "姉崎"]],
                          encoding="cp932")
    r = run(db_url, "codes", "import", str(districts), "--list", "district")
    assert r.exit_code == 2 and "--municipality" in r.output
    r = run(db_url, "codes", "import", str(districts), "--list", "district", "--municipality", code)
    assert r.exit_code == 0 and "追加 2 件" in r.output, r.output
    assert scalar(db_url, "select scope from managed_codes where code = 'ich-goi'") == code
    r = run(db_url, "codes", "import", str(districts), "--list", "district", "--municipality", code)
    assert r.exit_code == 0 and "変更なし 2 件" in r.output

    # a consent purpose means something only where the sharing engine reads for it: no one adds one
    purposes = write_csv(tmp_path / "p.csv", [["コード", "名称"], ["marketing", "広報"]])
    r = run(db_url, "codes", "import", str(purposes), "--list", "consent_purpose", "--dry-run")
    assert r.exit_code == 1 and "固定のリスト" in r.output
    r = run(db_url, "codes", "add", "--list", "consent_purpose", "--code", "marketing", "--label", "広報")
    assert r.exit_code != 0 and "固定のリスト" in r.output
    assert scalar(db_url, "select count(*) from managed_codes where code = 'marketing'") == 0
