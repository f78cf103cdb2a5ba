"""Dates before Reiwa (issue 19, part 3): the era table at every change of era, 和暦 input on the date fields,
impossible era dates refused, and case numbers by the era of the fiscal year (H30-000012)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from caseflow.core.jpdate import (
    DateFormatError,
    fiscal_era,
    fiscal_year_prefix,
    format_fiscal_year,
    format_jp_date,
    parse_date,
    to_wareki,
)

from support import open_anonymous_case

# (first day, era, the era before): every change of era since the Gregorian calendar.
CHANGES = [
    (date(1912, 7, 30), "大正", "明治45"),
    (date(1926, 12, 25), "昭和", "大正15"),
    (date(1989, 1, 8), "平成", "昭和64"),
    (date(2019, 5, 1), "令和", "平成31"),
]


@pytest.mark.parametrize("first, era, before", CHANGES)
def test_the_era_table_at_every_change(first, era, before):
    last = first - timedelta(days=1)
    assert to_wareki(last) == f"{before}年{last.month}月{last.day}日"
    assert to_wareki(first) == f"{era}元年{first.month}月{first.day}日"
    assert to_wareki(date(first.year, 12, 31)) == f"{era}元年12月31日"
    assert to_wareki(date(first.year + 1, 1, 1)) == f"{era}2年1月1日"
    assert format_jp_date(first) == f"{era}元年（{first.year}年）{first.month}月{first.day}日"
    # both days read back, whichever way they are typed
    assert parse_date(to_wareki(first)) == first and parse_date(to_wareki(last)) == last
    letter = {"大正": "T", "昭和": "S", "平成": "H", "令和": "R"}[era]
    assert parse_date(f"{letter}1.{first.month}.{first.day}") == first
    assert parse_date(f"{era}1年{first.month}月{first.day}日") == first
    # the day before the change does not exist in the new era, nor the change day in the old one
    with pytest.raises(DateFormatError, match="存在しない日付です。"):
        parse_date(f"{era}元年{last.month}月{last.day}日")
    with pytest.raises(DateFormatError, match="存在しない日付です。"):
        parse_date(f"{before}年{first.month}月{first.day}日")


def test_meiji_from_1900():
    assert to_wareki(date(1900, 1, 1)) == "明治33年1月1日"
    assert parse_date("明治33年1月1日") == parse_date("M33.1.1") == date(1900, 1, 1)
    assert to_wareki(date(1912, 7, 29)) == "明治45年7月29日"


@pytest.mark.parametrize("typed, expected", [
    ("R7.4.1", date(2025, 4, 1)),
    ("令和7年4月1日", date(2025, 4, 1)),
    ("H30/6/1", date(2018, 6, 1)),
    ("平成30年6月1日", date(2018, 6, 1)),
    ("S55.1.1", date(1980, 1, 1)),
    ("令和元年5月1日", date(2019, 5, 1)),
    ("平成元年1月8日", date(1989, 1, 8)),
    ("Ｒ７．４．１", date(2025, 4, 1)),  # full width
    ("令和７年４月１日", date(2025, 4, 1)),
    ("r7-4-1", date(2025, 4, 1)),
    ("平30.6.1", date(2018, 6, 1)),  # the era's first character
    ("平成 30 年 6 月 1 日", date(2018, 6, 1)),
    ("㍻30年6月1日", date(2018, 6, 1)),  # the era ligature (NFKC)
    ("2018-06-01", date(2018, 6, 1)),
    ("2018/6/1", date(2018, 6, 1)),
    ("2018年6月1日", date(2018, 6, 1)),
])
def test_typed_dates(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize("typed", ["平成31年5月1日", "平成32年1月1日", "令和1年4月30日", "令和元年4月30日", "昭和64年1月8日",
                                   "大正元年7月29日", "H30.2.30", "R0.5.1", "R7.13.1", "2025-02-29", "R7", "7.4.1",
                                   "令和七年四月一日", "2025-04-01T00:00", ""])
def test_impossible_or_unreadable_dates(typed):
    with pytest.raises(DateFormatError):
        parse_date(typed)


@pytest.mark.parametrize("day, prefix, label", [
    (date(1912, 3, 31), "M44", "明治44年度（1911年度）"),
    (date(1912, 4, 1), "T1", "大正元年度（1912年度）"),  # 大正 began 30 July, within the year
    (date(1926, 12, 25), "T15", "大正15年度（1926年度）"),  # 昭和 began 25 December: still 大正15年度
    (date(1927, 4, 1), "S2", "昭和2年度（1927年度）"),
    (date(1989, 3, 31), "S63", "昭和63年度（1988年度）"),  # 平成 began 8 January: still 昭和63年度
    (date(1989, 4, 1), "H1", "平成元年度（1989年度）"),
    (date(2018, 6, 1), "H30", "平成30年度（2018年度）"),
    (date(2019, 3, 31), "H30", "平成30年度（2018年度）"),
    (date(2019, 4, 1), "R1", "令和元年度（2019年度）"),  # 平成31年4月1日, but 令和元年度 as municipalities count
    (date(2019, 5, 1), "R1", "令和元年度（2019年度）"),
    (date(2026, 3, 31), "R7", "令和7年度（2025年度）"),
])
def test_fiscal_year_eras(day, prefix, label):
    assert fiscal_year_prefix(day) == prefix
    assert format_fiscal_year(day) == label
    assert fiscal_era(day)[2] == int(prefix[1:])


# --- through the API ------------------------------------------------------------------------------------


def _open(coord, opened_on):
    return coord.post("/api/v1/cases", json={"intake_channel": "chat", "anonymous_label": "8050相談",
                                             "opened_on": opened_on})


def test_a_case_opened_before_reiwa(basic):
    coord = basic.client("coord@example.jp")
    r = _open(coord, "2018-06-01")
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["case_number"] == "H30-000001" and first["opened_on"] == "2018-06-01"
    r = _open(coord, "H30/6/1")  # the same day in 和暦: the same fiscal year's counter
    assert r.status_code == 201 and r.get_json()["case_number"] == "H30-000002"
    assert r.get_json()["opened_on"] == "2018-06-01"
    assert _open(coord, "平成31年3月31日").get_json()["case_number"] == "H30-000003"
    assert _open(coord, "平成31年4月1日").get_json()["case_number"] == "R1-000001"  # 令和元年度
    assert _open(coord, "S55.1.1").get_json()["case_number"] == "S54-000001"
    assert _open(coord, "令和7年4月1日").get_json()["case_number"] == "R7-000001"
    # the existing R-numbers keep their form
    assert open_anonymous_case(coord, opened_on="2025-03-31")["case_number"] == "R6-000001"
    # the date filters read 和暦 too
    r = coord.get("/api/v1/cases", query_string={"opened_from": "H30.4.1", "opened_to": "平成31年3月31日"})
    assert r.status_code == 200, r.get_json()
    assert sorted(c["case_number"] for c in r.get_json()["items"]) == ["H30-000001", "H30-000002", "H30-000003"]


@pytest.mark.parametrize("typed", ["平成31年5月1日", "令和1年4月30日", "平成32年1月1日", "1899-12-31", "R7.2.30", "きのう"])
def test_an_impossible_date_is_a_422_naming_the_field(basic, typed):
    coord = basic.client("coord@example.jp")
    r = _open(coord, typed)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    errors = r.get_json()["errors"]
    assert list(errors) == ["opened_on"] and errors["opened_on"][0]
    assert typed not in r.get_data(as_text=True)  # a typed date may be a birth date: never echoed
    r = coord.post("/api/v1/persons", json={"name": "佐藤 次郎", "birth_date": typed})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["birth_date"]


def test_a_birth_date_in_showa(basic):
    coord = basic.client("coord@example.jp")
    r = coord.post("/api/v1/persons", json={"name": "佐藤 次郎", "name_kana": "サトウ ジロウ", "birth_date": "昭和55年1月1日"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["birth_date"] == "1980-01-01"


def test_the_document_describes_the_date_fields(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    opened_on = spec["components"]["schemas"]["CaseCreate"]["properties"]["opened_on"]
    assert opened_on["type"] == "string" and "format" not in opened_on and "和暦" in opened_on["description"]
