"""The agenda (会議次第) and minutes (議事録) as Japanese A4 PDFs.

Built from the very dicts the JSON API returns (caseflow.meetings.rules.agenda_view / minutes_view), so
a PDF never shows more than the same viewer would get from the API. caseflow.core.pdf draws the running header
(title, confidentiality mark) and footer (recipient, time of output, page n / N) on every page.
"""
from __future__ import annotations

from datetime import datetime

from caseflow.core.jpdate import format_jp_date, format_jp_datetime
from caseflow.core.pdf import DEFAULT_CONFIDENTIALITY, Block, Heading, KeyValues, Para, Table, render_pdf

WITHHELD = "（共有の根拠がないため表示しません）"
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


def _overview(meeting: dict) -> list[Block]:
    council = meeting.get("council") or {}
    rows = [
        ("会議名", meeting["title"]),
        ("会議体", council.get("name", "")),
        ("種別", meeting["kind_label"] + ("（構成員間は本人同意なく情報共有可・要誓約）"
                                        if meeting["shares_without_consent"] else "")),
        ("根拠", council.get("legal_basis", "")),
        ("日時", format_jp_datetime(meeting["starts_at"])),
    ]
    if meeting.get("place"):
        rows.append(("場所", meeting["place"]))
    if meeting.get("online_url"):
        rows.append(("オンライン", meeting["online_url"]))
    rows += [
        ("主催", (meeting["organizer_org"] or {}).get("name", "")),
        ("議長", (meeting["chair"] or {}).get("display_name", "")),
        ("構成組織", "、".join(o["name"] for o in meeting["members"])),
        *([("定足数", council["quorum_rule"])] if council.get("quorum_rule") else []),
        ("情報共有期間", f"{format_jp_date(meeting['window_start'])} 〜 {format_jp_date(meeting['window_end'])}"),
    ]
    return [Heading("会議概要"), KeyValues(rows)]


def _attendees(meeting: dict) -> list[Block]:
    rows = [[str(i), (a["org"] or {}).get("name", ""), a["display_name"] + ("（議長）" if a["is_chair"] else ""),
             "済" if a["pledged"] else "未", {True: "出席", False: "欠席"}.get(a.get("present"), "")]
            for i, a in enumerate(meeting["attendees"], start=1)]
    return [Heading("出席者", level=2),
            Table(["No.", "所属", "氏名", "誓約", "出欠"], rows, [0.08, 0.42, 0.28, 0.10, 0.12])]


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
    facts = [case["case_number"], case.get("stage_label") or case["stage"]]
    if case.get("district"):
        facts.append(f"地区: {case.get('district_label') or case['district']}")
    if case.get("age_band"):
        facts.append(case["age_band"])
    lines = [" / ".join(facts)]
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


def _note(view: dict) -> list[Block]:
    meeting = view["meeting"]
    notes = []
    if meeting["shares_without_consent"] and not view.get("pledged"):
        notes.append("守秘義務の誓約が未提出のため、個人を特定できる情報は表示していません。")
    if not view.get("window_open"):
        notes.append("情報共有期間外のため、会議の根拠による個人情報は表示していません。")
    return [Para("\n".join(notes))] if notes else []


def agenda_pdf(view: dict, *, recipient: str, generated_at: datetime) -> bytes:
    meeting = view["meeting"]
    rows = [[str(item["position"]), _subject(item), (item["presenting_org"] or {}).get("name", ""),
             _text(item["points"], item["points_withheld"]),
             f"{item['minutes_allotted']}分" if item["minutes_allotted"] else ""]
            for item in view["items"]]
    blocks: list[Block] = [
        *_overview(meeting), *_attendees(meeting), Heading("議題"), *_note(view),
        Table(["No.", "議題・ケース", "報告機関", "協議事項", "時間"], rows, [0.06, 0.36, 0.16, 0.34, 0.08]),
        Para("本資料は会議の目的以外に使用せず、会議終了後は回収又は廃棄してください。"),
    ]
    return render_pdf(title=f"{meeting['title']} 会議次第", blocks=blocks, recipient=recipient,
                      confidentiality=confidentiality_mark(meeting), generated_at=generated_at,
                      subject=f"{meeting['kind_label']} 会議次第")


def minutes_pdf(view: dict, *, recipient: str, generated_at: datetime) -> bytes:
    meeting = view["meeting"]
    if view["locked"]:
        state = f"承認済み（{format_jp_datetime(view['approved_at'])}、{(view['approved_by'] or {}).get('display_name', '')}）"
    else:
        state = "未承認（案）"
    blocks: list[Block] = [*_overview(meeting), KeyValues([("議事録の状態", state)]), *_attendees(meeting),
                           *_quorum(view), Heading("議事"), *_note(view)]
    for item in view["items"]:
        blocks.append(Heading(f"{item['position']}. " + _subject(item).split("\n")[0], level=2))
        details = [("議題・ケース", _subject(item))]
        if item["presenting_org"]:
            details.append(("報告機関", item["presenting_org"]["name"]))
        details.append(("協議事項", _text(item["points"], item["points_withheld"])))
        details.append(("議事録", _text(item["text"], item["text_withheld"])))
        blocks.append(KeyValues(details))
        if item["corrections"]:
            blocks.append(Table(["訂正日時", "訂正後の内容", "理由"], [
                [format_jp_datetime(c["created_at"]), _text(c["body"], c["withheld"]),
                 _text(c["reason"], c["withheld"])]
                for c in item["corrections"]], [0.26, 0.50, 0.24]))
        if item["decisions"]:
            blocks.append(Table(["決定事項（支援プランのタスク）", "担当組織", "期限", "成否"], [
                [_text(d["title"], d["title_withheld"]), (d["owner_org"] or {}).get("name", ""),
                 format_jp_date(d["due_on"]) if d["due_on"] else "", d["carried_label"]]
                for d in item["decisions"]], [0.42, 0.22, 0.18, 0.18]))
    return render_pdf(title=f"{meeting['title']} 議事録", blocks=blocks, recipient=recipient,
                      confidentiality=confidentiality_mark(meeting), generated_at=generated_at,
                      subject=f"{meeting['kind_label']} 議事録")
