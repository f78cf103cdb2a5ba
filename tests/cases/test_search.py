"""The kana name search through its n-gram index (issue 10): person_search_grams follows every name, each
key length takes its path (1 character: scan; 2: gram prefix range; 3+: trigrams), and the plans of a
search (the matching persons' cases by key; probes of the visible set; a newest-first walk) return exactly
the same rows.
Through the HTTP API and the CLI, on the real database."""
from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from support import open_case

REPO = Path(__file__).resolve().parents[2]

# name, reading: chosen so that keys of every length hit some and miss others
PEOPLE = [
    ("山田 太郎", "ヤマダ タロウ"), ("山田 花子", "ヤマダ ハナコ"), ("山本 一郎", "ヤマモト イチロウ"),
    ("田山 健", "タヤマ ケン"), ("佐藤 太一", "サトウ タイチ"), ("𠮷田 優", "ヨシダ ユウ"),
    # all trigrams of "あいうあいえ" (あいう いうあ うあい あいえ), never contiguous
    ("相生 葵", "アイウアイ ノ アイエ"),
    ("Smith John", "スミス ジョン"), ("李 明", "リ メイ"),
]
# query -> the names it must find (primary person of a case of its own)
EXPECT = {
    "山": {"山田 太郎", "山田 花子", "山本 一郎", "田山 健"},                      # 1 character: the scan
    "ろう": {"山田 太郎", "山本 一郎"},                                           # 2: prefix range, mid-part
    "ウ": {"山田 太郎", "山本 一郎", "佐藤 太一", "相生 葵", "𠮷田 優"},         # 1, katakana
    "ゆう": {"𠮷田 優"},                                                          # 2 at the end of a part
    "山田": {"山田 太郎", "山田 花子"},                                           # 2, kanji
    "𠮷田": {"𠮷田 優"},                                                          # a character beyond U+FFFF
    "やまだ": {"山田 太郎", "山田 花子"},                                         # 3: one trigram
    "ヤマダ": {"山田 太郎", "山田 花子"}, "ﾔﾏﾀﾞ": {"山田 太郎", "山田 花子"},     # katakana, half-width
    "やまだ　たろう": {"山田 太郎"}, "ﾔﾏﾀﾞﾀﾛｳ": {"山田 太郎"},                    # 6 with a space / half-width
    "やまもといちろう": {"山本 一郎"},                                           # 8: spread trigrams
    "山田太郎": {"山田 太郎"},
    "あいうあい": {"相生 葵"},
    "あいうあいえ": set(),                                                        # every trigram, not contiguous
    "田や": set(), "郎やまだ": set(), "たろうやまだ": set(),                      # never across name / reading
    "ＳＭＩＴＨ": {"Smith John"}, "smi": {"Smith John"}, "th": {"Smith John"},    # full-width, case-folded
    "り": {"李 明"}, "めい": {"李 明"},                                           # one-character part
    "％": set(), "_": set(), "ぬぬ": set(), "ぬぬぬ": set(), "ぬぬぬぬ": set(),
}
FORMS = {  # CASEFLOW_LARGE_CASELOAD, CASEFLOW_LARGE_NAME_MATCH
    "small caseload: the visible set, probed": ("100000000", "100000000"),
    "large caseload: the matching persons' cases, keyed": ("0", "100000000"),
    "large caseload, common key: the newest-first walk, probed": ("0", "0"),
}


def _use_plan(monkeypatch, form: str) -> None:
    """Force the search plan named by `form` (see FORMS) for the requests that follow."""
    caseload, name_match = FORMS[form]
    monkeypatch.setenv("CASEFLOW_LARGE_CASELOAD", caseload)
    monkeypatch.setenv("CASEFLOW_LARGE_NAME_MATCH", name_match)


@pytest.fixture
def city(basic):
    coord = basic.client("coord@example.jp")
    cases = {}
    for name, kana in PEOPLE:
        case = open_case(coord, person={"name": name, "name_kana": kana}, with_parent=False)
        cases[case["id"]] = name
    return basic, coord, cases


def _search(client, q, **extra):
    r = client.get("/api/v1/cases", query_string={"q": q, "limit": 50, **extra})
    assert r.status_code == 200, r.get_json()
    return [c["id"] for c in r.get_json()["items"]]


@pytest.mark.parametrize("form", list(FORMS))
def test_every_key_length_and_width_finds_exactly_the_names_containing_it(city, monkeypatch, form):
    _basic, coord, cases = city
    _use_plan(monkeypatch, form)
    for q, names in EXPECT.items():
        assert {cases[i] for i in _search(coord, q)} == names, q


def test_every_plan_returns_the_same_rows_in_the_same_order(city, monkeypatch):
    basic, coord, _cases = city
    # households of several members: a match by a member who is not the primary person
    for i in range(4):
        open_case(coord, person={"name": f"山田 次郎{i}", "name_kana": "ヤマダ ジロウ"}, with_parent=True)
    npo = basic.client("npo@example.jp")
    for q in ["山", "やまだ", "ヤマダ ハナコ", "はなこ", "ろう", "じろう", "た", "ぬぬぬ"]:
        pages = {}
        for form in FORMS:
            _use_plan(monkeypatch, form)
            pages[form] = [_search(coord, q, limit=3, offset=o) for o in (0, 3, 6)]
            assert _search(npo, q) == [], (form, q)  # no basis: never a name match
        assert len(set(map(str, pages.values()))) == 1, (q, pages)
    # "はなこ" is the mother in every one of these households: found through the members, newest first
    assert len(_search(coord, "はなこ")) == 5


def test_gram_rows_follow_the_name(city):
    from caseflow.cases.models import Person, PersonSearchGram
    from caseflow.core import db
    from caseflow.core.text import search_grams

    basic, coord, cases = city
    case_id = next(i for i, n in cases.items() if n == "佐藤 太一")
    person_id = uuid.UUID(coord.get(f"/api/v1/cases/{case_id}").get_json()["persons"][0]["id"])

    def grams():
        with basic.app.app_context():
            s = db.session()
            key = s.scalar(select(Person.search_key).where(Person.id == person_id))
            rows = set(s.scalars(select(PersonSearchGram.gram).where(PersonSearchGram.person_id == person_id)))
            return key, rows

    key, rows = grams()
    assert rows == search_grams(key) and "さとう" in rows
    r = coord.get(f"/api/v1/persons/{person_id}")
    r = coord.patch(f"/api/v1/persons/{person_id}", json={"name": "加藤 太一", "name_kana": "カトウ タイチ"},
                    headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.get_json()
    key, rows = grams()
    assert rows == search_grams(key) and "かとう" in rows and "さとう" not in rows
    assert _search(coord, "さとう") == [] and _search(coord, "佐藤") == []
    assert _search(coord, "かとう") == [case_id] and _search(coord, "加藤") == [case_id]
    # a change of something else keeps the rows
    r = coord.get(f"/api/v1/persons/{person_id}")
    assert coord.patch(f"/api/v1/persons/{person_id}", json={"phone": "090-1111-2222"},
                       headers={"If-Match": r.headers["ETag"]}).status_code == 200
    assert grams()[1] == rows


def _migration():
    path = REPO / "migrations" / "versions" / "0009_person_search_grams.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_computes_the_applications_grams():
    from caseflow.core import text

    migration = _migration()
    assert migration.GRAM_END == text.GRAM_END
    for name, kana in PEOPLE + [("", ""), ("a", "ab"), ("山田\u3000太郎", None)]:
        key = text.search_key(name) + "\n" + text.search_key(kana)
        assert migration.search_grams(key) == text.search_grams(key), key


def test_migration_backfills_the_grams_of_existing_persons(city, db_url):
    from click.testing import CliRunner

    from caseflow.cli import main
    from caseflow.core.text import search_grams

    def run(*args):
        r = CliRunner().invoke(main, list(args), env={"CASEFLOW_DATABASE_URL": db_url})
        assert r.exit_code == 0, r.output
        return r.output

    basic, coord, _cases = city
    with basic.app.app_context():
        from caseflow.core import db

        db.engine().dispose()
    run("db", "downgrade", "0008")
    out = run("db", "upgrade")
    assert "person_search_grams:" in out and "persons" in out
    eng = create_engine(db_url)
    with eng.connect() as conn:
        keys = dict(conn.exec_driver_sql("SELECT id, search_key FROM persons").all())
        rows = conn.exec_driver_sql("SELECT person_id, gram FROM person_search_grams").all()
    eng.dispose()
    by_person: dict = {}
    for pid, gram in rows:
        by_person.setdefault(pid, set()).add(gram)
    assert len(keys) == len(PEOPLE)
    assert all(by_person.get(pid, set()) == search_grams(key) for pid, key in keys.items())
    assert _search(coord, "やまだ") and _search(coord, "ﾔﾏﾓﾄｲﾁﾛｳ")


@pytest.mark.parametrize("form", list(FORMS))
def test_a_case_number_is_found_only_by_those_who_see_the_case(city, monkeypatch, form):
    basic, coord, cases = city
    _use_plan(monkeypatch, form)
    case_id = next(iter(cases))
    number = coord.get(f"/api/v1/cases/{case_id}").get_json()["case_number"]
    assert _search(coord, number) == [case_id] and _search(coord, number.lower()) == [case_id]
    assert _search(basic.client("npo@example.jp"), number) == []
