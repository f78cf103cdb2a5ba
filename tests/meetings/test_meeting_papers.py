"""The agenda (会議次第) and minutes (議事録) as documents a municipality files (issue 21): rasterised and read
back, they keep ink inside the margins, print the viewer stamp whole, never split a table row across pages,
date the meeting in 和暦 with 曜日 and its start and end, and say honestly, item by item, what they withhold
from this viewer and why -- instead of a blanket sentence followed by names."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from support import HANAKO, YAMADA, council_for, open_case, page_count, parse_pgm, run, without_spaces

NPO = "NPO法人 テスト支援会"
CHAIR, ABSENT = "高橋 恵子", "小林 由美"
# A long name: with the organisation and the time it no longer fits on one footer line.
LONG_NAME = "ヴィルヘルミーナ・アレクサンドロヴナ・長谷川・クロイツァーヴァルト"
POINTS = "見守りの継続と役割分担の確認、家計の状況と就労準備支援の利用について協議する。" * 4


@pytest.fixture
def world(basic):
    basic.user("chair@example.jp", "kmk-chiiki", "supervisor", name=CHAIR)
    basic.user("pledged@example.jp", "kmm-npo", "npo_staff", name=LONG_NAME)
    basic.user("unpledged@example.jp", "kmm-npo", "npo_staff", name=ABSENT)
    coord, chair = basic.client("coord@example.jp"), basic.client("chair@example.jp")
    case = open_case(coord)
    # two days ago at 10:30 Japan time
    starts = (datetime.now(timezone.utc) - timedelta(days=2)).replace(hour=1, minute=30, second=0, microsecond=0)
    r = chair.post("/api/v1/meetings", json={
        "council_id": council_for(chair, [basic.orgs["kmm-npo"]]), "title": "第4回 鎌倉市支援会議",
        "starts_at": starts.isoformat(), "place": "鎌倉市役所 第1会議室",
        "chair_user_id": str(basic.users["chair@example.jp"]),
        "attendee_user_ids": [str(basic.users["pledged@example.jp"]), str(basic.users["unpledged@example.jp"])]})
    assert r.status_code == 201, r.get_json()
    mid = r.get_json()["id"]
    assert chair.post(f"/api/v1/meetings/{mid}/agenda", json={
        "case_id": case["id"], "points": "長男の就労について", "minutes_allotted": 20}).status_code == 201
    assert chair.post(f"/api/v1/meetings/{mid}/agenda",
                      json={"topic": "地域の居場所づくりについて", "minutes_allotted": 25}).status_code == 201
    assert basic.client("pledged@example.jp").post(f"/api/v1/meetings/{mid}/pledge").status_code == 201
    basic.mid, basic.case, basic.starts = mid, case, starts
    return basic


def pdf(world, email: str, name: str, tmp_path: Path) -> Path:
    r = world.client(email).get(f"/api/v1/meetings/{world.mid}/{name}.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF-"), r.get_data(as_text=True)[:300]
    path = tmp_path / f"{name}-{email}.pdf"
    path.write_bytes(r.data)
    return path


def text_of(path: Path, page: int | None = None) -> str:
    """The text in drawing order (-raw): a table cell's lines stay together, not interleaved with its row's."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return without_spaces(run(["pdftotext", "-raw", *pages, str(path), "-"]))


def test_long_agenda_keeps_rows_whole_inside_the_margins_with_the_whole_stamp(world, tmp_path):
    coord, chair = world.client("coord@example.jp"), world.client("chair@example.jp")
    numbers = []
    for i in range(12):
        case = open_case(coord, person={"name": f"試験 {i}郎", "name_kana": "シケン"}, with_parent=False)
        r = chair.post(f"/api/v1/meetings/{world.mid}/agenda",
                       json={"case_id": case["id"], "points": f"{POINTS}（了{i:02d}）", "minutes_allotted": 10})
        assert r.status_code == 201, r.get_json()
        numbers.append((case["case_number"], f"了{i:02d}"))
    path = pdf(world, "pledged@example.jp", "agenda", tmp_path)
    pages = page_count(path)
    assert pages > 1
    texts = {p: text_of(path, p) for p in range(1, pages + 1)}
    # No row split across pages: each item's first line (case number) and last words are on one page.
    for number, end in numbers:
        (first,) = [p for p, t in texts.items() if number in t]
        (last,) = [p for p, t in texts.items() if end in t]
        assert first == last, (number, first, last)
    # The viewer stamp, whole, on every page (it wraps instead of being cut off).
    for p, t in texts.items():
        assert without_spaces(f"閲覧者: {NPO} {LONG_NAME} 出力日時: 令和") in t, p
        assert f"{p}/{pages}ページ" in t
    # No ink beyond the 18 mm side margins nor in the top and bottom 5 mm, on any page (A4 at 50 dpi).
    run(["pdftoppm", "-r", "50", "-gray", str(path), str(tmp_path / "page")])
    for pgm in sorted(tmp_path.glob("page*.pgm")):
        width, height, pixels = parse_pgm(pgm.read_bytes())
        side, edge = int(17 / 25.4 * 50), int(5 / 25.4 * 50)
        ink = [(x, y) for y in range(height) for x in range(width)
               if pixels[y * width + x] < 200 and (x < side or x >= width - side or y < edge or y >= height - edge)]
        assert not ink, (pgm.name, ink[:5])


def test_agenda_dates_the_meeting_in_wareki_with_weekday_start_and_end(world, tmp_path):
    from caseflow.core.jpdate import format_jp_date_weekday, to_tokyo

    flat = text_of(pdf(world, "pledged@example.jp", "agenda", tmp_path))
    day = format_jp_date_weekday(to_tokyo(world.starts).date())
    assert day[-3] == "（" and day.startswith("令和")
    assert without_spaces(f"{day} 10:30〜11:15（予定）") in flat  # 20 + 25 minutes allotted
    for section in ("1.開会（10:30）", "2.議事", "3.その他", "4.閉会（11:15予定）", "出席予定者", "事務局鎌倉市地域共生課"):
        assert section in flat, section


def test_redaction_notes_name_the_withheld_items_and_the_reason(world, tmp_path):
    number = world.case["case_number"]
    flat = text_of(pdf(world, "unpledged@example.jp", "agenda", tmp_path))
    assert "表示の制限" in flat and "個人を特定できる情報は表示していません" not in flat
    assert f"議題1（{number}）:対象者2名の氏名・協議事項を表示していません。守秘義務の誓約が未提出のため" in flat
    assert "議題2（" not in flat  # the general topic withholds nothing
    assert without_spaces(YAMADA["name"]) not in flat
    # Pledged: the names are shown and nothing is said to be withheld.
    flat = text_of(pdf(world, "pledged@example.jp", "agenda", tmp_path))
    assert without_spaces(YAMADA["name"]) in flat and without_spaces(HANAKO["name"]) in flat
    assert "表示の制限" not in flat and "表示していません" not in flat and "誓約が未提出" not in flat
    # The chair has not pledged, but their own organisation collected the names: no claim of withholding.
    flat = text_of(pdf(world, "chair@example.jp", "agenda", tmp_path))
    assert without_spaces(YAMADA["name"]) in flat and "表示の制限" not in flat and "誓約が未提出" not in flat


def test_minutes_list_the_absent_and_the_withheld_minutes(world, tmp_path):
    chair = world.client("chair@example.jp")
    present = [str(world.users["chair@example.jp"]), str(world.users["pledged@example.jp"])]
    r = chair.post(f"/api/v1/meetings/{world.mid}/transitions", json={"to": "held", "present_user_ids": present})
    assert r.status_code == 200, r.get_json()
    flat = text_of(pdf(world, "unpledged@example.jp", "minutes", tmp_path))
    assert "出席者" in flat and without_spaces(f"欠席者 No. 所属 氏名 誓約 1 {NPO} {ABSENT}") in flat
    assert f"議題1（{world.case['case_number']}）:対象者2名の氏名・協議事項を表示していません。" in flat
    flat = text_of(pdf(world, "pledged@example.jp", "minutes", tmp_path))
    assert "表示の制限" not in flat and without_spaces(YAMADA["name"]) in flat


def test_agenda_numbers_each_copy_names_the_next_meeting_and_the_trail_knows_the_copy(world, tmp_path):
    from caseflow.core.jpdate import format_jp_date_weekday, to_tokyo

    chair = world.client("chair@example.jp")
    flat = text_of(pdf(world, "pledged@example.jp", "agenda", tmp_path))
    assert "次回開催予定未定" in flat
    assert without_spaces("配付資料 資料 名称 配付番号 取扱い 資料1 会議次第（本紙） No.1 会議終了後に回収") in flat
    # the council's next meeting, once planned, is named on this meeting's papers
    nxt = (world.starts + timedelta(days=28)).replace(hour=5, minute=0)  # 14:00 Japan time
    council = chair.get(f"/api/v1/meetings/{world.mid}").get_json()["council"]["id"]
    r = chair.post("/api/v1/meetings", json={"council_id": council, "title": "第5回 鎌倉市支援会議",
                                             "starts_at": nxt.isoformat(), "place": "鎌倉市役所 第2会議室",
                                             "chair_user_id": str(world.users["chair@example.jp"])})
    assert r.status_code == 201, r.get_json()
    detail = chair.get(f"/api/v1/meetings/{world.mid}").get_json()
    assert detail["next_meeting"]["id"] == r.get_json()["id"]
    flat = text_of(pdf(world, "pledged@example.jp", "agenda", tmp_path))
    day = format_jp_date_weekday(to_tokyo(nxt).date())
    assert without_spaces(f"次回開催予定 {day} 14:00 鎌倉市役所 第2会議室") in flat
    assert "No.2" in flat and "No.1" not in flat  # the second copy issued of this meeting's agenda
    # the auditor finds who was given copy No.2
    auditor = world.client("auditor@example.jp")
    events = auditor.get("/api/v1/audit-events", query_string={"action": "meetings.agenda.pdf",
                                                               "resource_id": world.mid}).get_json()["items"]
    assert sorted(e["detail"]["copy_no"] for e in events) == [1, 2]
    second = next(e for e in events if e["detail"]["copy_no"] == 2)
    assert second["actor_user_id"] == str(world.users["pledged@example.jp"])


def test_minutes_give_the_closing_time_recorded_when_the_meeting_was_held(world, tmp_path):
    chair = world.client("chair@example.jp")
    url = f"/api/v1/meetings/{world.mid}/transitions"
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    for body, why in (({"to": "held", "ended_at": future.isoformat()}, "現在時刻以前"),
                      ({"to": "held", "ended_at": (world.starts - timedelta(minutes=1)).isoformat()}, "開始日時より後")):
        r = chair.post(url, json=body)
        assert r.status_code == 422 and why in r.get_json()["errors"]["ended_at"][0], r.get_json()
    ended = world.starts + timedelta(minutes=52)
    r = chair.post(url, json={"to": "held", "ended_at": ended.isoformat()})
    assert r.status_code == 200 and r.get_json()["ended_at"].startswith(ended.strftime("%Y-%m-%dT%H:%M")), r.get_json()
    flat = text_of(pdf(world, "pledged@example.jp", "minutes", tmp_path))
    assert "4.閉会（11:22）" in flat
    assert without_spaces("資料1 議事録（本紙） No.1 確認後に回収又は廃棄") in flat
    r = chair.post(url, json={"to": "minutes_approved", "ended_at": ended.isoformat()})
    assert r.status_code == 422 and "ended_at" in r.get_json()["errors"]
