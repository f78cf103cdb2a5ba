"""Builders for tests that go through the HTTP API."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

TOKYO = timezone(timedelta(hours=9))


def today_jst() -> date:
    """Today as the service counts days (Asia/Tokyo): between 15:00 and 24:00 UTC it is already tomorrow."""
    return datetime.now(TOKYO).date()

YAMADA = {"name": "山田 太郎", "name_kana": "ヤマダ　タロウ", "birth_date": "1980-04-02", "gender": "male",
          "phone": "090-0000-1111", "email": "taro@example.invalid", "line_id": "yamada-line",
          "sensitive": {"health": "うつ病の通院歴"}, "notes": "本人メモ"}
HANAKO = {"name": "山田 花子", "name_kana": "ヤマダ ハナコ", "birth_date": "1950-01-01", "gender": "female",
          "phone": "0467-00-2222"}


def open_case(client, *, person=YAMADA, issues=("hikikomori", "h8050"), district="ofuna", summary="8050世帯の相談",
              urgency="normal", with_parent=True, **extra):
    members = [{"person": person, "relationship": "self", "in_need": True}]
    if with_parent:
        members.append({"person": HANAKO, "relationship": "parent"})
    body = {"intake_channel": "counter", "issues": list(issues), "urgency": urgency, "summary": summary,
            "household": {"address": "鎌倉市大船一丁目2-3", "district": district, "members": members}, **extra}
    r = client.post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def open_anonymous_case(client, label="LINE相談 #0042", **extra):
    r = client.post("/api/v1/cases", json={"intake_channel": "chat", "issues": ["isolation"],
                                           "anonymous_label": label, "summary": "匿名チャットでの相談", **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def make_plan(client, case_id, owner_org_id, title="週1回の訪問と本人との面談", days=14, **extra):
    """Give the case a support plan with one task owned by `owner_org_id` (the guard for assessment -> support)."""
    due = (today_jst() + timedelta(days=days)).isoformat()
    r = client.post(f"/api/v1/cases/{case_id}/plan/tasks",
                    json={"owner_org_id": str(owner_org_id), "title": title, "due_on": due, **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def move(client, case_id, to, **extra):
    return client.post(f"/api/v1/cases/{case_id}/transitions", json={"to": to, **extra})


def personal_values(person=YAMADA, others=(HANAKO,)):
    """Strings that must never reach a viewer without a basis."""
    values = []
    for p in (person, *others):
        for key in ("name", "name_kana", "birth_date", "phone", "email", "line_id"):
            if p.get(key):
                values.append(p[key])
    values += ["鎌倉市大船一丁目2-3", "うつ病の通院歴", "本人メモ", "8050世帯の相談"]
    return values
