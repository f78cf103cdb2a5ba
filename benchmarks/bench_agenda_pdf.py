"""Benchmark: the agenda PDF (会議次第) of a 支援会議 with 30 cases, as a pledged member receives it.

Builds a throw-away database (SQLite in a temporary directory, or --database-url), 30 cases with
households through the API, a 支援会議 with all 30 on the agenda, and a pledged NPO attendee; then times

  * http        GET /api/v1/meetings/<id>/agenda.pdf over a real socket (werkzeug server in a thread)
  * in-process  the same request through Flask's test client (no socket)
  * render      caseflow.meetings.pdf.agenda_pdf alone, from the agenda view

and prints the median of --runs runs each (target: under 2 s for the whole request).

    .venv/bin/python benchmarks/bench_agenda_pdf.py [--runs 7] [--cases 30] [--database-url URL]

A --database-url is migrated and filled with benchmark data: use an empty, disposable database.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import logging
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from caseflow import create_app  # noqa: E402
from caseflow.organizations import rules as org_rules

PASSWORD = "benchmark-password-0123456789"
TARGET_SECONDS = 2.0
FAMILY = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤"]
GIVEN = ["太郎", "花子", "一郎", "美咲", "健太", "陽子"]
POINTS = ("本人は長期にわたり就労が困難な状況にあり、家族からの支援も限定的である。生活福祉課・地域包括支援センター・"
          "社会福祉協議会の三者で今後の連携方針と役割分担を確認する。")


class JsonClient:
    """Flask test client that logs in and sends the CSRF header."""

    def __init__(self, app, email):
        self.http = app.test_client()
        r = self.http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.get_json()
        self.headers = {"X-CSRF-Token": r.get_json()["csrf_token"]}

    def post(self, url, body=None):
        r = self.http.post(url, json=body, headers=self.headers)
        assert r.status_code in (200, 201), (url, r.status_code, r.get_data(as_text=True)[:300])
        return r.get_json()

    def get(self, url):
        return self.http.get(url, headers=self.headers)


def build_world(app, n_cases: int) -> str:
    from sqlalchemy import select

    from caseflow import migrate
    from caseflow.accounts import rules as accounts
    from caseflow.accounts.models import User
    from caseflow.codes import rules as codes
    from caseflow.core import db

    with app.app_context():
        migrate.upgrade("heads")
        codes.ensure("district", [("ofuna", "大船"), ("koshigoe", "腰越")], scope="bench")
        chiiki = org_rules.create_organization(code="bench-chiiki", name="鎌倉市 地域共生課", kind="department")
        npo = org_rules.create_organization(code="bench-npo", name="NPO法人 ベンチ支援会", kind="npo")
        for email, org, role, name in (("coord@bench.example.jp", chiiki, "coordinator", "相談 員"),
                                       ("chair@bench.example.jp", chiiki, "supervisor", "高橋 恵子"),
                                       ("member@bench.example.jp", npo, "npo_staff", "中村 修")):
            accounts.create_user(org=org, email=email, password=PASSWORD, display_name=name, roles=[role])
        db.session().commit()
        npo_id, chiiki_id = str(npo.id), str(chiiki.id)
        member_user = str(db.session().scalar(select(User.id).where(User.email == "member@bench.example.jp")))
    coord = JsonClient(app, "coord@bench.example.jp")
    case_ids = []
    for i in range(n_cases):
        name = f"{FAMILY[i % len(FAMILY)]} {GIVEN[i % len(GIVEN)]}"
        case = coord.post("/api/v1/cases", {
            "intake_channel": "counter", "issues": ["hikikomori", "h8050"], "summary": "8050世帯の相談",
            "household": {"address": f"鎌倉市大船{i + 1}-1", "district": "ofuna", "members": [
                {"person": {"name": name, "name_kana": "ヤマダ タロウ", "birth_date": "1980-04-02"},
                 "relationship": "self", "in_need": True},
                {"person": {"name": f"{FAMILY[i % len(FAMILY)]} 母", "birth_date": "1950-01-01"},
                 "relationship": "parent"}]}})
        case_ids.append(case["id"])
    chair = JsonClient(app, "chair@bench.example.jp")
    council = chair.post("/api/v1/councils", {"kind": "support_meeting", "name": "鎌倉市支援会議",
                                              "member_org_ids": [npo_id], "pledge_scope": "meeting"})
    meeting = chair.post("/api/v1/meetings", {
        "council_id": council["id"], "title": "第3回 鎌倉市支援会議",
        "starts_at": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat(), "place": "鎌倉市役所 第1会議室",
        "attendee_user_ids": [member_user]})
    for case_id in case_ids:
        chair.post(f"/api/v1/meetings/{meeting['id']}/agenda",
                   {"case_id": case_id, "points": POINTS, "minutes_allotted": 5, "presenting_org_id": chiiki_id})
    JsonClient(app, "member@bench.example.jp").post(f"/api/v1/meetings/{meeting['id']}/pledge")
    return meeting["id"]


def time_runs(fn, runs: int) -> list[float]:
    fn()  # warm-up: font registration, first queries
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def over_socket(app, url: str, runs: int) -> tuple[list[float], int]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines between the figures
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = urllib.request.Request(base + "/api/v1/auth/login", method="POST",
                                       data=json.dumps({"email": "member@bench.example.jp",
                                                        "password": PASSWORD}).encode(),
                                       headers={"Content-Type": "application/json"})
        opener.open(login).read()
        size = 0

        def fetch():
            nonlocal size
            with opener.open(base + url) as r:
                assert r.headers["Content-Type"] == "application/pdf"
                size = len(r.read())

        return time_runs(fetch, runs), size
    finally:
        server.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app({"DATABASE_URL": url, "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024})
        print(f"building {args.cases} cases and the meeting on {url.split(':')[0]} …", flush=True)
        meeting_id = build_world(app, args.cases)
        pdf_url = f"/api/v1/meetings/{meeting_id}/agenda.pdf"

        http_runs, size = over_socket(app, pdf_url, args.runs)

        member = JsonClient(app, "member@bench.example.jp")

        def in_process():
            r = member.get(pdf_url)
            assert r.status_code == 200 and r.mimetype == "application/pdf"

        process_runs = time_runs(in_process, args.runs)

        from caseflow.access.sharing import Viewer
        from caseflow.accounts.models import User
        from caseflow.core import db
        from caseflow.core.db import utcnow
        from caseflow.meetings import pdf as meeting_pdf
        from caseflow.meetings import rules as meeting_rules
        from caseflow.meetings import views as meeting_views

        with app.test_request_context():
            from sqlalchemy import select

            user = db.session().scalar(select(User).where(User.email == "member@bench.example.jp"))
            meeting = meeting_rules.get_visible_meeting(Viewer.of(user), uuid.UUID(meeting_id))
            view, _log = meeting_views.agenda_view(Viewer.of(user), meeting, user)
            named = sum(1 for item in view["items"] for p in item["persons"] if not p["redacted"])
            render_runs = time_runs(lambda: meeting_pdf.agenda_pdf(view, recipient="ベンチ 閲覧者",
                                                                   generated_at=utcnow()), args.runs)

    def fmt(runs):
        return (f"median {statistics.median(runs) * 1000:7.1f} ms  "
                f"(min {min(runs) * 1000:.1f}, max {max(runs) * 1000:.1f})")

    print(f"agenda PDF, {args.cases} cases ({named} names shown to the pledged member), {size:,} bytes, "
          f"{args.runs} runs each:")
    print(f"  http (socket)   {fmt(http_runs)}")
    print(f"  in-process      {fmt(process_runs)}")
    print(f"  render only     {fmt(render_runs)}")
    worst = max(statistics.median(http_runs), statistics.median(process_runs))
    verdict = "OK" if worst < TARGET_SECONDS else "TOO SLOW"
    print(f"target < {TARGET_SECONDS:.0f} s per request: {verdict}")
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
