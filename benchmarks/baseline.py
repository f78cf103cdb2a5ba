#!/usr/bin/env python3
"""Baselines for the case list and case detail: the least work that returns the same data.

* raw SQL: hand-written SQL on a pooled DBAPI connection -- one statement for the whole list page
  (visibility, order, page, owner, issues, the primary person and whether the viewer has a basis for
  the name), three for the detail (case with visibility and relations; persons with their bases;
  issues) -- and a few lines of Python to shape the JSON dict.
* bare Flask: a plain Flask app whose route runs the raw SQL for a fixed viewer and returns the JSON
  (no login, no authorization, no schema, no audit event).

caseflow / baseline is then the overhead of caseflow's layers (session lookup, casbin, marshmallow,
the ORM, the sharing engine's several set-wise queries, and the audit event with its hash chain written
in the same transaction). `compare()` interleaves the three per request so machine noise hits all alike,
and checks that the baselines return the same cases, persons and redactions as caseflow.

    .venv/bin/python benchmarks/baseline.py --database-url URL [--requests 200]
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import make_app, pct, personas, samples  # noqa: E402

CATEGORIES = ("identity", "contact", "sensitive", "case_notes")
SHARING_KINDS = ("support_meeting", "isolation_council")


class Raw:
    """Raw SQL on one DBAPI connection, for SQLite or PostgreSQL."""

    def __init__(self, engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self.conn = engine.raw_connection()
        self.agg = "string_agg({}, ',')" if self.pg else "group_concat({}, ',')"
        self._sql: dict[str, str] = {}

    def sql(self, key: str, text: str) -> str:
        if key not in self._sql:
            text = text.replace("{AGG_ISSUE}", self.agg.format("ci.issue_code"))
            text = text.replace("{AGG_CAT}", self.agg.format("cc.category"))
            text = text.replace("{KINDS}", ", ".join(f"'{k}'" for k in SHARING_KINDS))
            if self.pg:
                text = re.sub(r":(\w+)", r"%(\1)s", text)
            self._sql[key] = text
        return self._sql[key]

    def id(self, value):
        return value if self.pg or value is None else uuid.UUID(str(value)).hex

    def uid(self, value):
        if value is None:
            return None
        return value if isinstance(value, uuid.UUID) else uuid.UUID(value)

    def ts(self, dt: datetime):
        return dt if self.pg else dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")

    def run(self, key: str, text: str, params: dict):
        cur = self.conn.cursor()
        cur.execute(self.sql(key, text), params)
        rows = cur.fetchall()
        cur.close()
        return rows

    def params(self, viewer) -> dict:
        now = datetime.now(timezone.utc)
        return {"org": self.id(viewer["org_id"]), "kind": viewer["org_kind"], "user": self.id(viewer["user_id"]),
                "now": self.ts(now)}


VISIBLE = """
  SELECT case_id FROM case_involvements WHERE org_id = :org AND until IS NULL
  UNION SELECT case_id FROM referrals WHERE to_org_id = :org AND state = 'pending'
  UNION SELECT a.case_id FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id
        JOIN meeting_members mm ON mm.meeting_id = m.id AND mm.org_id = :org
        WHERE a.case_id IS NOT NULL AND m.window_start <= :now AND m.window_end > :now
  UNION SELECT case_id FROM emergency_accesses
        WHERE user_id = :user AND opened_at <= :now AND expires_at > :now AND closed_at IS NULL
"""
# Does the viewer have a basis for category X of person per, in the context of case c?
CONSENT_CATS = """(SELECT {AGG_CAT} FROM consents k JOIN consent_categories cc ON cc.consent_id = k.id
     WHERE k.person_id = per.id AND k.purpose = 'support_coordination' AND k.revoked_at IS NULL
       AND k.valid_from <= :now AND (k.valid_until IS NULL OR k.valid_until > :now)
       AND EXISTS (SELECT 1 FROM consent_recipients r WHERE r.consent_id = k.id
                   AND (r.org_id = :org OR r.org_kind = :kind)))"""
MEETING = """EXISTS (SELECT 1 FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id
       JOIN meeting_members mm ON mm.meeting_id = m.id AND mm.org_id = :org
       WHERE a.case_id = c.id AND m.kind IN ({KINDS}) AND m.window_start <= :now AND m.window_end > :now
         AND EXISTS (SELECT 1 FROM pledges pl WHERE pl.user_id = :user AND (pl.meeting_id = m.id
                     OR (pl.meeting_id IS NULL AND pl.fiscal_year = m.fiscal_year))))"""
EMERGENCY = """EXISTS (SELECT 1 FROM emergency_accesses e WHERE e.person_id = per.id AND e.user_id = :user
       AND e.opened_at <= :now AND e.expires_at > :now AND e.closed_at IS NULL)"""
RELATIONS = """(SELECT {AGG_REL} FROM case_involvements i
   WHERE i.case_id = c.id AND i.org_id = :org AND i.until IS NULL),
  EXISTS (SELECT 1 FROM referrals rf WHERE rf.case_id = c.id AND rf.to_org_id = :org AND rf.state = 'pending'),
  EXISTS (SELECT 1 FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id
          JOIN meeting_members mm ON mm.meeting_id = m.id AND mm.org_id = :org
          WHERE a.case_id = c.id AND m.window_start <= :now AND m.window_end > :now),
  EXISTS (SELECT 1 FROM emergency_accesses e2 WHERE e2.case_id = c.id AND e2.user_id = :user
          AND e2.opened_at <= :now AND e2.expires_at > :now AND e2.closed_at IS NULL)"""

PAGE_SQL = f"""
WITH page AS (
  SELECT c.* FROM cases c WHERE c.id IN ({VISIBLE})
  ORDER BY c.opened_on DESC, c.id DESC LIMIT :limit OFFSET :offset)
SELECT c.id, c.case_number, c.stage, c.district_code, c.urgency, c.intake_channel, c.opened_on, c.updated_at,
  c.version, c.anonymous_label, o.id, o.code, o.name,
  (SELECT {{AGG_ISSUE}} FROM case_issues ci WHERE ci.case_id = c.id),
  per.id, per.name, per.name_kana, per.birth_year, per.collected_by_org_id = :org, {CONSENT_CATS}, {MEETING},
  {EMERGENCY}, {RELATIONS}
FROM page c JOIN organizations o ON o.id = c.owner_org_id LEFT JOIN persons per ON per.id = c.primary_person_id
ORDER BY c.opened_on DESC, c.id DESC
"""

DETAIL_CASE_SQL = f"""
SELECT c.id, c.case_number, c.stage, c.district_code, c.urgency, c.intake_channel, c.opened_on, c.updated_at,
  c.version, c.anonymous_label, o.id, o.code, o.name,
  (SELECT {{AGG_ISSUE}} FROM case_issues ci WHERE ci.case_id = c.id),
  c.household_id, c.primary_person_id, c.summary, c.closure_reason, c.created_at, c.owner_org_id = :org,
  h.address, h.district_code, h.version, {RELATIONS}
FROM cases c JOIN organizations o ON o.id = c.owner_org_id LEFT JOIN households h ON h.id = c.household_id
WHERE c.id = :case_id AND c.id IN ({VISIBLE})
"""

DETAIL_PERSONS_SQL = f"""
SELECT per.id, per.name, per.name_kana, per.birth_date, per.gender, per.phone, per.email, per.line_id,
  per.contact_preferences, per.sensitive, per.notes, per.birth_year, per.languages,
  m.relationship, m.in_need, m.position, per.collected_by_org_id = :org, {CONSENT_CATS}, {MEETING}, {EMERGENCY}
FROM (SELECT primary_person_id AS pid FROM cases WHERE id = :case_id AND primary_person_id IS NOT NULL
      UNION SELECT hm.person_id FROM cases c0 JOIN household_members hm
            ON hm.household_id = c0.household_id AND hm.until IS NULL WHERE c0.id = :case_id) x
JOIN persons per ON per.id = x.pid
JOIN cases c ON c.id = :case_id
LEFT JOIN household_members m ON m.person_id = per.id AND m.household_id = c.household_id AND m.until IS NULL
"""


def _age_band(birth_year):
    from caseflow.access.disclosure import age_band

    return age_band(birth_year)


def _relations(row_tail) -> list[str]:
    involved, pending, meeting, emergency = row_tail
    out = set((involved or "").split(",")) - {""}
    if pending:
        out.add("referral_pending")
    if meeting:
        out.add("meeting")
    if emergency:
        out.add("emergency")
    return sorted(out)


def _allowed(own, consent_cats, meeting, emergency) -> dict[str, str]:
    if own:
        return {c: "own_collection" for c in CATEGORIES}
    cats = set((consent_cats or "").split(",")) - {""}
    out = {c: "consent" for c in CATEGORIES if c in cats}
    for c in CATEGORIES:
        if c not in out and (meeting or emergency):
            out[c] = "support_meeting" if meeting else "emergency"
    return out


def raw_page(raw: Raw, viewer: dict, limit: int = 50, offset: int = 0) -> dict:
    p = raw.params(viewer) | {"limit": limit + 1, "offset": offset}
    sql = PAGE_SQL.replace("{AGG_REL}", raw.agg.format("i.relation"))
    rows = raw.run("page", sql, p)
    items = []
    for r in rows[:limit]:
        item = {"id": raw.uid(r[0]), "case_number": r[1], "stage": r[2], "issues": sorted((r[13] or "").split(",")),
                "district": r[3], "urgency": r[4], "intake_channel": r[5],
                "owner_org": {"id": raw.uid(r[10]), "code": r[11], "name": r[12]}, "opened_on": str(r[6]),
                "updated_at": str(r[7]), "version": r[8], "relation": _relations(r[22:26]),
                "anonymous_label": r[9], "age_band": None, "primary_person": None}
        if r[14] is not None:
            item["age_band"] = _age_band(r[17])
            identity = bool(r[18]) or "identity" in (r[19] or "").split(",") or bool(r[20]) or bool(r[21])
            person = {"id": raw.uid(r[14]), "redacted": not identity}
            if identity:
                person.update(name=r[15], name_kana=r[16])
            item["primary_person"] = person
        items.append(item)
    return {"items": items, "limit": limit, "offset": offset, "has_more": len(rows) > limit}


def raw_detail(raw: Raw, viewer: dict, case_id) -> dict | None:
    import json

    p = raw.params(viewer) | {"case_id": raw.id(case_id)}
    sql = DETAIL_CASE_SQL.replace("{AGG_REL}", raw.agg.format("i.relation"))
    rows = raw.run("detail_case", sql, p)
    if not rows:
        return None
    c = rows[0]
    out = {"id": raw.uid(c[0]), "case_number": c[1], "stage": c[2], "issues": sorted((c[13] or "").split(",")),
           "district": c[3], "urgency": c[4], "intake_channel": c[5],
           "owner_org": {"id": raw.uid(c[10]), "code": c[11], "name": c[12]}, "opened_on": str(c[6]),
           "updated_at": str(c[7]), "version": c[8], "relation": _relations(c[23:27]), "anonymous_label": c[9],
           "age_band": None}
    primary = raw.uid(c[15])
    persons = []
    primary_allowed = None
    for r in sorted(raw.run("detail_persons", DETAIL_PERSONS_SQL, p),
                    key=lambda r: (r[15] if r[15] is not None else -1, str(raw.uid(r[0])))):
        allowed = _allowed(r[16], r[17], r[18], r[19])
        pid = raw.uid(r[0])
        person = {"id": pid, "age_band": _age_band(r[11]), "languages": [x for x in r[12].split(",") if x],
                  "is_primary": pid == primary, "relationship": r[13], "in_need": bool(r[14])}
        if "identity" in allowed:
            person.update(name=r[1], name_kana=r[2], birth_date=str(r[3]) if r[3] else None, gender=r[4])
        if "contact" in allowed:
            person.update(phone=r[5], email=r[6], line_id=r[7],
                          contact_preferences=[x for x in (r[8] or "").split(",") if x])
        if "sensitive" in allowed:
            person["sensitive"] = json.loads(r[9] or "{}")
        if "case_notes" in allowed:
            person["notes"] = r[10]
        withheld = [x for x in CATEGORIES if x not in allowed]
        person.update(redacted=bool(withheld), withheld=withheld, bases=allowed)
        persons.append(person)
        if pid == primary:
            primary_allowed = allowed
            out["age_band"] = person["age_band"]
    out["persons"] = persons
    notes = primary_allowed is not None and "case_notes" in primary_allowed or (primary is None and c[19])
    if notes:
        out["summary"] = c[16]
    out["summary_withheld"] = not notes
    contact = primary_allowed is not None and "contact" in primary_allowed
    out["household"] = None if c[14] is None else {"id": raw.uid(c[14]), "district": c[21], "version": c[22],
                                                   **({"address": c[20]} if contact else {}),
                                                   "address_withheld": not contact}
    out["closure_reason"] = c[17]
    out["created_at"] = str(c[18])
    return out


def bare_flask_app(url: str, viewer: dict):
    """A plain Flask app with the two routes: no login, no authz, no schema, no audit."""
    from flask import Flask, jsonify

    from caseflow.core.db import make_engine

    engine = make_engine(url)
    app = Flask("bare")
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    @app.get("/cases")
    def cases():
        raw = Raw(engine)
        try:
            return jsonify(raw_page(raw, viewer))
        finally:
            raw.conn.close()

    @app.get("/cases/<uuid:case_id>")
    def case(case_id):
        raw = Raw(engine)
        try:
            data = raw_detail(raw, viewer, case_id)
            return (jsonify(data), 200) if data else ({"status": 404}, 404)
        finally:
            raw.conn.close()

    return app


# --- comparison -------------------------------------------------------------------------------------

def _same_page(cf: dict, raw: dict) -> str | None:
    a = [(i["id"], i["primary_person"] and i["primary_person"]["redacted"], sorted(i["relation"]))
         for i in cf["items"]]
    b = [(str(i["id"]), i["primary_person"] and i["primary_person"]["redacted"], i["relation"])
         for i in raw["items"]]
    return None if a == b else f"list differs: caseflow {a[:2]} … vs raw {b[:2]} …"


def _same_detail(cf: dict, raw: dict) -> str | None:
    a = [(p["id"], p["redacted"], p["withheld"], p.get("name")) for p in cf["persons"]]
    b = [(str(p["id"]), p["redacted"], p["withheld"], p.get("name")) for p in raw["persons"]]
    if a != b:
        return f"detail {cf['id']} differs: caseflow {a} vs raw {b}"
    if cf["summary_withheld"] != raw["summary_withheld"]:
        return f"detail {cf['id']}: summary_withheld differs"
    return None


def compare(app, clients, sm, n: int, rng: random.Random) -> dict:
    from caseflow.core import db

    viewer = {"org_id": sm.npo_org, "org_kind": sm.npo_kind, "user_id": sm.npo_user}
    url = app.config["DATABASE_URL"]
    with app.app_context():
        engine = db.engine()
    raw = Raw(engine)
    bare = bare_flask_app(url, viewer).test_client()
    npo = clients["npo"]
    times = {k: [] for k in ("list caseflow", "list raw", "list bare", "detail caseflow", "detail raw",
                             "detail bare")}
    mismatches: list[str] = []
    for i in range(n + 10):
        case_id = rng.choice(sm.npo_case_ids)
        t0 = time.perf_counter()
        cf = npo.request("GET", "/api/v1/cases?limit=50")
        t1 = time.perf_counter()
        rp = raw_page(raw, viewer)
        raw.conn.commit()
        t2 = time.perf_counter()
        bp = bare.get("/cases")
        t3 = time.perf_counter()
        cfd = npo.request("GET", f"/api/v1/cases/{case_id}")
        t4 = time.perf_counter()
        rd = raw_detail(raw, viewer, case_id)
        raw.conn.commit()
        t5 = time.perf_counter()
        bd = bare.get(f"/cases/{case_id}")
        t6 = time.perf_counter()
        assert cf.status_code == 200 and bp.status_code == 200 and cfd.status_code == 200 and bd.status_code == 200
        if i < 10:  # warm-up; check the baselines answer what caseflow answers
            for why in (_same_page(cf.get_json(), rp), _same_detail(cfd.get_json(), rd)):
                if why and len(mismatches) < 3:
                    mismatches.append(why)
            continue
        for k, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            times[k].append(dt)
    raw.conn.close()
    out = {"n": n, "mismatches": mismatches}
    for k, v in times.items():
        out[k] = {"p50_ms": round(statistics.median(v) * 1000, 2), "p95_ms": round(pct(v, 95) * 1000, 2)}
    for what in ("list", "detail"):
        cfk = out[f"{what} caseflow"]
        for b in ("raw", "bare"):
            bk = out[f"{what} {b}"]
            out[f"{what} ratio vs {b}"] = {"p50": round(cfk["p50_ms"] / bk["p50_ms"], 2),
                                           "p95": round(cfk["p95_ms"] / bk["p95_ms"], 2)}
    for m in mismatches:
        print(f"  ! baseline mismatch: {m}")
    for what in ("list", "detail"):
        print(f"  baseline {what}: caseflow p50 {out[f'{what} caseflow']['p50_ms']} ms, raw SQL "
              f"{out[f'{what} raw']['p50_ms']} ms, bare Flask {out[f'{what} bare']['p50_ms']} ms; ratio vs raw "
              f"{out[f'{what} ratio vs raw']['p50']} (p50) / {out[f'{what} ratio vs raw']['p95']} (p95)", flush=True)
    return out


def markdown(b: dict) -> str:
    lines = ["", "| NPO persona | caseflow p50 / p95 ms | raw SQL p50 / p95 ms | bare Flask p50 / p95 ms | "
                 "ratio caseflow/raw (p50, p95) | ratio caseflow/bare (p50, p95) |", "|---|--:|--:|--:|--:|--:|"]
    for what, label in (("list", "case list page 1"), ("detail", "case detail")):
        c, r, f = b[f"{what} caseflow"], b[f"{what} raw"], b[f"{what} bare"]
        rr, rb = b[f"{what} ratio vs raw"], b[f"{what} ratio vs bare"]
        lines.append(f"| {label} | {c['p50_ms']} / {c['p95_ms']} | {r['p50_ms']} / {r['p95_ms']} | "
                     f"{f['p50_ms']} / {f['p95_ms']} | {rr['p50']}, {rr['p95']} | {rb['p50']}, {rb['p95']} |")
    if b.get("mismatches"):
        lines.append("")
        lines.append("baseline mismatches: " + "; ".join(b["mismatches"]))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    app = make_app(args.database_url)
    clients = personas(app)
    sm = samples(app, rng)
    print(markdown(compare(app, clients, sm, args.requests, rng)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
