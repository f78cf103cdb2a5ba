"""The agenda (会議次第) and minutes (議事録) PDFs over HTTP (issue 7): they open, carry the Japanese title,
the 和暦 date, the attendees and the recipient on every page, embed the IPAex fonts, are not blank, and
hold no personal data the viewer could not get from the JSON API."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from support import HANAKO, YAMADA, council_for, open_case, page_count, parse_pgm, personal_values, run, without_spaces

TITLE = "第3回 鎌倉市支援会議"
CASE_POINTS = "長男の就労に向けた段階的な支援について協議する"
MINUTES_TEXT = "本人の状況を共有し、就労準備支援から始める方針とした。"
DECISION = "就労準備支援事業への同行"
SATO = {"name": "佐藤 一郎", "name_kana": "サトウ イチロウ", "birth_date": "1990-06-01"}
ATTENDEES = ("高橋 恵子", "中村 修", "小林 由美")
NPO = "NPO法人 テスト支援会"  # the recipients' organisation (conftest `basic`)


@pytest.fixture
def world(basic):
    basic.user("chair@example.jp", "kmk-chiiki", "supervisor", name=ATTENDEES[0])
    basic.user("pledged@example.jp", "kmm-npo", "npo_staff", name=ATTENDEES[1])
    basic.user("unpledged@example.jp", "kmm-npo", "npo_staff", name=ATTENDEES[2])
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    other = open_case(coord, person=SATO, with_parent=False)
    chair = basic.client("chair@example.jp")
    # two days ago at 10:30 Japan time: a meeting is held only once it has started
    starts = (datetime.now(timezone.utc) - timedelta(days=2)).replace(hour=1, minute=30, second=0, microsecond=0)
    r = chair.post("/api/v1/meetings", json={
        "council_id": council_for(chair, [basic.orgs["kmm-npo"]]), "title": TITLE, "starts_at": starts.isoformat(),
        "place": "鎌倉市役所 第1会議室", "chair_user_id": str(basic.users["chair@example.jp"]),
        "attendee_user_ids": [str(basic.users["pledged@example.jp"]), str(basic.users["unpledged@example.jp"])]})
    assert r.status_code == 201, r.get_json()
    meeting = r.get_json()
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/agenda",
                   json={"case_id": case["id"], "points": CASE_POINTS, "minutes_allotted": 20,
                         "presenting_org_id": str(basic.orgs["kmk-chiiki"])})
    assert r.status_code == 201, r.get_json()
    item_id = r.get_json()["id"]
    assert chair.post(f"/api/v1/meetings/{meeting['id']}/agenda",
                      json={"topic": "地域の居場所づくりについて", "minutes_allotted": 10}).status_code == 201
    assert basic.client("pledged@example.jp").post(f"/api/v1/meetings/{meeting['id']}/pledge").status_code == 201
    basic.meeting, basic.case, basic.other_case, basic.item_id, basic.starts = meeting, case, other, item_id, starts
    return basic


def fetch_pdf(client, url: str, tmp_path: Path, name: str) -> Path:
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF-")
    assert r.headers["Cache-Control"] == "no-store"
    path = tmp_path / name
    path.write_bytes(r.data)
    return path


def hold_and_approve(w) -> None:
    chair = w.client("chair@example.jp")
    mid = w.meeting["id"]
    assert chair.post(f"/api/v1/meetings/{mid}/transitions", json={"to": "held"}).status_code == 200
    url = f"/api/v1/meetings/{mid}/agenda/{w.item_id}/minutes"
    r = chair.http.put(url, json={"body": MINUTES_TEXT}, headers={"X-CSRF-Token": chair.csrf})
    assert r.status_code == 201, r.get_json()
    due = (datetime.now(timezone.utc) + timedelta(days=30)).date().isoformat()
    r = chair.post(f"/api/v1/meetings/{mid}/decisions", json={"agenda_item_id": w.item_id, "title": DECISION,
                                                              "owner_org_id": str(w.orgs["kmm-npo"]), "due_on": due})
    assert r.status_code == 201, r.get_json()
    assert chair.post(f"/api/v1/meetings/{mid}/transitions", json={"to": "minutes_approved"}).status_code == 200


def wareki(dt: datetime) -> str:
    from caseflow.core.jpdate import format_jp_date, to_tokyo

    return format_jp_date(to_tokyo(dt).date())


def test_agenda_pdf_without_pledge_has_no_personal_data(world, tmp_path):
    client = world.client("unpledged@example.jp")
    path = fetch_pdf(client, f"/api/v1/meetings/{world.meeting['id']}/agenda.pdf", tmp_path, "agenda.pdf")
    text = run(["pdftotext", "-layout", str(path), "-"])
    flat = without_spaces(text)
    assert without_spaces(f"{TITLE} 会議次第") in flat
    assert without_spaces(wareki(world.starts)) in flat and "令和" in flat  # 和暦 with the 西暦 year in parentheses
    for name in ATTENDEES:
        assert without_spaces(name) in flat
    assert world.case["case_number"] in flat and "地域の居場所づくりについて" in flat
    # No blanket sentence: the note names the item and what it withholds, and why.
    assert "個人を特定できる情報は表示していません" not in flat
    assert "氏名非表示" in flat and f"議題1（{world.case['case_number']}）:対象者" in flat and "誓約が未提出のため" in flat
    for value in personal_values() + [CASE_POINTS, SATO["name"]]:
        assert without_spaces(value) not in flat, value
    # The recipient and the confidentiality mark on every page.
    for page in range(1, page_count(path) + 1):
        page_text = without_spaces(run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"]))
        assert without_spaces(f"閲覧者: {NPO} {ATTENDEES[2]}") in page_text
        assert "取扱注意" in page_text and "106条の6" in page_text


def test_agenda_pdf_with_pledge_shows_agenda_names_only(world, tmp_path):
    client = world.client("pledged@example.jp")
    path = fetch_pdf(client, f"/api/v1/meetings/{world.meeting['id']}/agenda.pdf", tmp_path, "agenda.pdf")
    flat = without_spaces(run(["pdftotext", str(path), "-"]))
    assert without_spaces(YAMADA["name"]) in flat and without_spaces(HANAKO["name"]) in flat
    assert without_spaces(CASE_POINTS) in flat and "氏名非表示" not in flat and "誓約が未提出" not in flat
    # Only what the agenda API gives: names, not contact, sensitive or other cases' data.
    for value in (YAMADA["phone"], YAMADA["email"], "うつ病の通院歴", "鎌倉市大船一丁目2-3", SATO["name"],
                  YAMADA["birth_date"], "8050世帯の相談"):
        assert without_spaces(value) not in flat, value
    assert without_spaces(f"閲覧者: {NPO} {ATTENDEES[1]}") in flat


def test_pdf_generation_is_an_audited_disclosure(world, tmp_path):
    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    mid = world.meeting["id"]
    fetch_pdf(world.client("pledged@example.jp"), f"/api/v1/meetings/{mid}/agenda.pdf", tmp_path, "a.pdf")
    fetch_pdf(world.client("unpledged@example.jp"), f"/api/v1/meetings/{mid}/agenda.pdf", tmp_path, "b.pdf")
    with world.app.app_context():
        events = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "meetings.agenda.pdf")
                                      .order_by(AuditEvent.seq)).all()
        assert [e.actor_user_id for e in events] == [world.users["pledged@example.jp"],
                                                     world.users["unpledged@example.jp"]]
        pledged, unpledged = events
        assert pledged.legal_basis == f"support_meeting:{mid}" and pledged.resource_id == mid
        disclosed = json.loads(pledged.disclosures)
        assert {d["person"] for d in disclosed} == {p["id"] for p in world.case["persons"]}
        assert json.loads(pledged.detail)["format"] == "pdf"
        assert json.loads(unpledged.disclosures) == [] and unpledged.legal_basis is None


def test_minutes_pdf_redacted_per_viewer(world, tmp_path):
    hold_and_approve(world)
    mid = world.meeting["id"]
    path = fetch_pdf(world.client("unpledged@example.jp"), f"/api/v1/meetings/{mid}/minutes.pdf", tmp_path, "m1.pdf")
    flat = without_spaces(run(["pdftotext", "-layout", str(path), "-"]))
    assert without_spaces(f"{TITLE} 議事録") in flat and without_spaces(wareki(world.starts)) in flat
    assert "承認済み" in flat and all(without_spaces(n) in flat for n in ATTENDEES)
    assert without_spaces(NPO) in flat  # the decision's owner organisation and due date are structure, not notes
    for value in personal_values() + [CASE_POINTS, MINUTES_TEXT, DECISION]:
        assert without_spaces(value) not in flat, value
    path = fetch_pdf(world.client("pledged@example.jp"), f"/api/v1/meetings/{mid}/minutes.pdf", tmp_path, "m2.pdf")
    flat = without_spaces(run(["pdftotext", "-layout", str(path), "-"]))
    for value in (YAMADA["name"], MINUTES_TEXT, DECISION, CASE_POINTS):
        assert without_spaces(value) in flat, value
    assert "誓約が未提出" not in flat and "情報共有期間外" not in flat
    with world.app.app_context():
        from caseflow.audit.models import AuditEvent
        from caseflow.core import db

        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.action == "meetings.minutes.pdf"))
        assert len(list(actions)) == 2


def test_fonts_are_embedded_ipaex(world, tmp_path):
    path = fetch_pdf(world.client("pledged@example.jp"), f"/api/v1/meetings/{world.meeting['id']}/agenda.pdf",
                     tmp_path, "agenda.pdf")
    out = run(["pdffonts", str(path)])
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows and any("IPAex" in r[0] for r in rows), out
    assert all(r[-5] == "yes" for r in rows), out  # every font embedded: no tofu boxes, no viewer fallback
    # Every character of the Japanese text came through as text (a missing glyph would print 〓).
    assert "〓" not in run(["pdftotext", str(path), "-"])


def test_page_one_is_not_blank(world, tmp_path):
    path = fetch_pdf(world.client("unpledged@example.jp"), f"/api/v1/meetings/{world.meeting['id']}/agenda.pdf",
                     tmp_path, "agenda.pdf")
    run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-gray", str(path), str(tmp_path / "page")])
    (pgm,) = tmp_path.glob("page*.pgm")
    width, height, pixels = parse_pgm(pgm.read_bytes())
    assert abs(width - 413) <= 1 and abs(height - 585) <= 1  # A4 at 50 dpi
    dark = sum(1 for p in pixels if p < 200) / len(pixels)
    assert 0.02 < dark < 0.5, dark


def test_long_agenda_spans_pages_with_recipient_on_each(world, tmp_path):
    coord = world.client("coord@example.jp")
    chair = world.client("chair@example.jp")
    mid = world.meeting["id"]
    for i in range(14):
        case = open_case(coord, person={"name": f"試験 {i}郎", "name_kana": "シケン"}, with_parent=False)
        r = chair.post(f"/api/v1/meetings/{mid}/agenda",
                       json={"case_id": case["id"], "points": "見守りの継続と役割分担の確認。" * 6})
        assert r.status_code == 201
    path = fetch_pdf(world.client("unpledged@example.jp"), f"/api/v1/meetings/{mid}/agenda.pdf", tmp_path, "long.pdf")
    pages = page_count(path)
    assert pages > 1
    for page in range(1, pages + 1):
        page_text = without_spaces(run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"]))
        assert without_spaces(ATTENDEES[2]) in page_text and "取扱注意" in page_text and f"{page}/{pages}ページ" in page_text
    assert "試験" not in without_spaces(run(["pdftotext", str(path), "-"]))
