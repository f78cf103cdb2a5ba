"""The agenda (会議次第) and minutes (議事録) as Japanese A4 PDFs.

Built from the very dicts the JSON API returns (caseflow.meetings.rules.agenda_view / minutes_view), so
a PDF never shows more than the same viewer would get from the API. caseflow.core.pdf draws the running header
(title, confidentiality mark) and footer (recipient, time of output, page n / N) on every page.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from caseflow.core.jpdate import format_jp_date, format_jp_date_weekday, format_jp_datetime, to_tokyo
from caseflow.core.pdf import DEFAULT_CONFIDENTIALITY, Block, Heading, KeyValues, Para, Table, render_pdf

WITHHELD = "（非表示：下記「表示の制限」を参照）"
NAME_WITHHELD = "（氏名非表示）"
ISSUE_SEP = "・"


def confidentiality_mark(meeting: dict) -> str:
    """The council's legal basis, for the councils whose members are under a statutory duty of secrecy."""
    council = meeting.get("council") or {}
    if meeting["shares_without_consent"] and council.get("legal_basis"):
        return f"取扱注意（{council['legal_basis']} 守秘義務）"
    return DEFAULT_CONFIDENTIALITY


def recipient_label(user) -> str:
    return f"{user.org.name} {user.display_name}"


def _hhmm(dt: datetime) -> str:
    local = to_tokyo(dt)
    return f"{local.hour:02d}:{local.minute:02d}"


def planned_end(view: dict) -> datetime | None:
    """The meeting has no end time of its own: the start plus the minutes allotted to the items shown."""
    total = sum(item["minutes_allotted"] or 0 for item in view["items"])
    return view["meeting"]["starts_at"] + timedelta(minutes=total) if total else None


def when(view: dict) -> str:
    """日時: 和暦 with 曜日, start and (planned) end, e.g. 令和8年（2026年）12月3日（木） 10:30〜11:00."""
    starts = view["meeting"]["starts_at"]
    end = planned_end(view)
    return (f"{format_jp_date_weekday(to_tokyo(starts).date())} {_hhmm(starts)}〜"
            + (f"{_hhmm(end)}（予定）" if end else ""))


def _overview(view: dict) -> list[Block]:
    meeting = view["meeting"]
    council = meeting.get("council") or {}
    rows = [
        ("会議名", meeting["title"]),
        ("会議体", council.get("name", "")),
        ("種別", meeting["kind_label"] + ("（構成員間は本人同意なく情報共有可・要誓約）"
                                        if meeting["shares_without_consent"] else "")),
        ("根拠", council.get("legal_basis", "")),
        ("日時", when(view)),
    ]
    if meeting.get("place"):
        rows.append(("場所", meeting["place"]))
    if meeting.get("online_url"):
        rows.append(("オンライン", meeting["online_url"]))
    rows += [
        ("主催", (meeting["organizer_org"] or {}).get("name", "")),
        *([("事務局", council["secretariat_org"]["name"])] if council.get("secretariat_org") else []),
        ("議長", (meeting["chair"] or {}).get("display_name", "")),
        ("構成組織", "、".join(o["name"] for o in meeting["members"])),
        *([("定足数", council["quorum_rule"])] if council.get("quorum_rule") else []),
        ("情報共有期間", f"{format_jp_date(meeting['window_start'])} 〜 {format_jp_date(meeting['window_end'])}"),
    ]
    return [Heading("会議概要"), KeyValues(rows)]


def _people_table(people: list[dict]) -> Table:
    rows = [[str(i), (a["org"] or {}).get("name", ""), a["display_name"] + ("（議長）" if a["is_chair"] else ""),
             "済" if a["pledged"] else "未"] for i, a in enumerate(people, start=1)]
    return Table(["No.", "所属", "氏名", "誓約"], rows, "auto")


def _attendees(meeting: dict) -> list[Block]:
    """出席予定者 before the meeting is held; once attendance is recorded, 出席者 and 欠席者."""
    people = meeting["attendees"]
    if all(a.get("present") is None for a in people):
        return [Heading("出席予定者", level=2), _people_table(people)]
    present = [a for a in people if a.get("present")]
    absent = [a for a in people if a.get("present") is False]
    blocks: list[Block] = [Heading("出席者", level=2), _people_table(present)]
    if absent:
        blocks += [Heading("欠席者", level=2), _people_table(absent)]
    return blocks


def _quorum(view: dict) -> list[Block]:
    """The quorum as recorded when held; below it, the 要綱's consequence, stated plainly."""
    q = view.get("quorum") or {}
    if q.get("required") is None:
        return []
    line = f"定足数 {q['required']}（構成機関） / 出席 {q['present']}：" + ("成立" if q["met"] else "不成立")
    return [Para(line + ("\n" + q["note"] if q.get("note") else ""))]


def _subject(item: dict) -> str:
    """議題 cell: the topic, or the case facts and the names the viewer may see."""
    if item["case"] is None:
        return item["topic"] or ""
    case = item["case"]
    lines = [f"{case['case_number']} {case.get('stage_label') or case['stage']}"]
    where = []
    if case.get("district"):
        where.append(f"地区: {case.get('district_label') or case['district']}")
    if case.get("age_band"):
        where.append(case["age_band"])
    if where:
        lines.append(" / ".join(where))
    if case["issues"]:
        lines.append("課題: " + ISSUE_SEP.join(case.get("issue_labels") or case["issues"]))
    names = []
    for p in item["persons"]:
        label = p.get("relationship_label") or ("本人" if p["is_primary"] else "")
        shown = p.get("name") if not p["redacted"] else NAME_WITHHELD
        names.append(f"{label}: {shown}" if label else shown)
    if names:
        lines.append("対象者 " + "、".join(names))
    # relationships between members: only those shown in full (a basis for both persons)
    relations = [r["phrase"] for r in item.get("relationships") or [] if not r["withheld"]]
    if relations:
        lines.append("続柄 " + "、".join(relations))
    return "\n".join(lines)


def _text(value: str | None, withheld: bool) -> str:
    if withheld:
        return WITHHELD
    return value or ""


def _reasons(view: dict) -> str:
    """Why the papers withhold what they do from this viewer, from the rules the view applied."""
    meeting = view["meeting"]
    reasons = []
    if meeting["shares_without_consent"]:
        if not view.get("pledged"):
            reasons.append("守秘義務の誓約が未提出")
        if not view.get("window_open"):
            reasons.append("情報共有期間外")
    if not reasons:
        return "閲覧者の組織に共有の根拠（本人の同意、自組織での収集など）がないため"
    return "、".join(reasons) + "のため（閲覧者の組織に他の共有の根拠もありません）"


def _withheld(item: dict) -> list[str]:
    """What this item's view actually withheld."""
    what = []
    hidden = sum(1 for p in item["persons"] if p["redacted"])
    if hidden:
        what.append(f"対象者{hidden}名の氏名")
    if any(r["withheld"] for r in item.get("relationships") or []):
        what.append("続柄")
    if item["points_withheld"]:
        what.append("協議事項")
    if item.get("text_withheld"):
        what.append("議事録本文")
    if any(c["withheld"] for c in item.get("corrections") or []):
        what.append("訂正の内容")
    if any(d["title_withheld"] for d in item.get("decisions") or []):
        what.append("決定事項")
    return what


def redaction_notes(view: dict) -> list[str]:
    """One line per item with something withheld from this viewer (which item, what, and why), and a line for
    the items not on a guest's agenda; empty when nothing was withheld."""
    notes = []
    reason = _reasons(view)
    for item in view["items"]:
        what = _withheld(item)
        if what:
            label = item["case"]["case_number"] if item["case"] else (item["topic"] or "")
            notes.append(f"議題{item['position']}（{label}）: {'・'.join(what)}を表示していません。{reason}。")
    total = view["meeting"].get("agenda_items")
    if total and total > len(view["items"]):
        notes.append(f"全{total}件の議題のうち、閲覧者が招待された{len(view['items'])}件のみ記載しています"
                     "（他の議題は閲覧者の議題ではないため）。")
    return notes


def _notes(view: dict) -> list[Block]:
    notes = redaction_notes(view)
    if not notes:
        return []
    return [Heading("表示の制限（この閲覧者について）", level=2), Para("\n".join(f"・{n}" for n in notes))]


HANDLING = "本資料は会議の目的以外に使用せず、会議終了後は回収又は廃棄してください。"


def _next_meeting(meeting: dict) -> list[Block]:
    nxt = meeting.get("next_meeting")
    when_next = (f"{format_jp_date_weekday(to_tokyo(nxt['starts_at']).date())} {_hhmm(nxt['starts_at'])}"
                 + (f"　{nxt['place']}" if nxt.get("place") else "")) if nxt else "未定（決まり次第お知らせします）"
    return [KeyValues([("次回開催予定", when_next)])]


def _handouts(title: str, copy_no: int, handling: str) -> list[Block]:
    """配付資料: what is handed out, each copy numbered, and how it is collected."""
    return [Heading("配付資料", level=2),
            Table(["資料", "名称", "配付番号", "取扱い"], [["資料1", f"{title}（本紙）", f"No.{copy_no}", handling]],
                  "auto"),
            Para(f"この写しの配付番号は No.{copy_no} です（出力の記録と照合できます）。" + HANDLING)]


def agenda_pdf(view: dict, *, recipient: str, generated_at: datetime, copy_no: int = 1) -> bytes:
    meeting = view["meeting"]
    rows = [[str(item["position"]), _subject(item), (item["presenting_org"] or {}).get("name", ""),
             _text(item["points"], item["points_withheld"]),
             f"{item['minutes_allotted']}分" if item["minutes_allotted"] else ""]
            for item in view["items"]]
    end = planned_end(view)
    blocks: list[Block] = [
        *_overview(view), *_attendees(meeting), Heading("次第"),
        Heading(f"1. 開会（{_hhmm(meeting['starts_at'])}）", level=2),
        Heading("2. 議事", level=2),
        Table(["No.", "議題・ケース", "報告機関", "協議事項", "時間"], rows, "auto"),
        *_notes(view),
        Heading("3. その他", level=2),
        Heading("4. 閉会" + (f"（{_hhmm(end)} 予定）" if end else ""), level=2),
        *_next_meeting(meeting),
        *_handouts("会議次第", copy_no, "会議終了後に回収"),
    ]
    return render_pdf(title=f"{meeting['title']} 会議次第", blocks=blocks, recipient=recipient,
                      confidentiality=confidentiality_mark(meeting), generated_at=generated_at,
                      subject=f"{meeting['kind_label']} 会議次第")


def minutes_pdf(view: dict, *, recipient: str, generated_at: datetime, copy_no: int = 1) -> bytes:
    meeting = view["meeting"]
    if view["locked"]:
        state = f"承認済み（{format_jp_datetime(view['approved_at'])}、{(view['approved_by'] or {}).get('display_name', '')}）"
    else:
        state = "未承認（案）"
    opened = meeting.get("held_at") or meeting["starts_at"]
    blocks: list[Block] = [*_overview(view), KeyValues([("議事録の状態", state)]), *_attendees(meeting),
                           *_quorum(view), Heading("議事の経過"),
                           Heading(f"1. 開会（{_hhmm(opened)}）", level=2), Heading("2. 議事", level=2),
                           *_notes(view)]
    for item in view["items"]:
        blocks.append(Heading(f"（{item['position']}） " + _subject(item).split("\n")[0], level=2))
        details = [("議題・ケース", _subject(item))]
        if item["presenting_org"]:
            details.append(("報告機関", item["presenting_org"]["name"]))
        details.append(("協議事項", _text(item["points"], item["points_withheld"])))
        details.append(("議事録", _text(item["text"], item["text_withheld"])))
        if item.get("recorded_by"):
            details.append(("記録者", item["recorded_by"].get("display_name", "")))
        blocks.append(KeyValues(details))
        if item["corrections"]:
            blocks.append(Table(["訂正日時", "訂正後の内容", "理由"], [
                [format_jp_datetime(c["created_at"]), _text(c["body"], c["withheld"]),
                 _text(c["reason"], c["withheld"])]
                for c in item["corrections"]], "auto"))
        if item["decisions"]:
            blocks.append(Table(["決定事項（支援プランのタスク）", "担当組織", "期限", "成否"], [
                [_text(d["title"], d["title_withheld"]), (d["owner_org"] or {}).get("name", ""),
                 format_jp_date(d["due_on"]) if d["due_on"] else "", d["carried_label"]]
                for d in item["decisions"]], "auto"))
    closed = meeting.get("ended_at")
    blocks += [Heading("3. その他", level=2),
               Heading("4. 閉会" + (f"（{_hhmm(closed)}）" if closed else "（閉会時刻の記録なし）"), level=2),
               *_next_meeting(meeting), *_handouts("議事録", copy_no, "確認後に回収又は廃棄")]
    return render_pdf(title=f"{meeting['title']} 議事録", blocks=blocks, recipient=recipient,
                      confidentiality=confidentiality_mark(meeting), generated_at=generated_at,
                      subject=f"{meeting['kind_label']} 議事録")
