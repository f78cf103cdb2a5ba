"""保存年限 and purge (issue 19, part 1): `caseflow retention plan|purge|hold|release` on a generated world.

A purge leaves no personal value of a purged person in any text column of any table, the audit chain verifies,
the KPI reports of past and current fiscal years give the same numbers, the disclosure report answers for a
purged person by id, a legal hold keeps a case, the guards are back, and a second run does nothing."""
from __future__ import annotations

import uuid
import warnings
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.exc import SAWarning
from sqlalchemy.sql import sqltypes

from caseflow.cli import main
from caseflow.core import dbguards
from caseflow.retention.rules import GUARDED

from support import YAMADA, audit_verify, open_case, personal_values

PW = "retention-test-password"
ENV_FAST_HASH = {"CASEFLOW_PASSWORD_TIME_COST": "1", "CASEFLOW_PASSWORD_MEMORY_COST": "1024"}
# Everything closed is due at once, except child-abuse cases (kept 25 years by the default schedule).
SCHEDULE = "default=0,dv=0,young_carer=0,futoko=0,bullying=0,child_rearing=0,single_parent=0"
DEMO = "@demo.caseflow.example"


def _cli(env, *args):
    r = CliRunner().invoke(main, list(args), env=env)
    return r


def _login(app, email):
    c = app.test_client()
    r = c.post("/api/v1/auth/login", json={"email": email, "password": PW})
    assert r.status_code == 200, r.get_json()
    return c


def _fiscal_year(d: date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def _kpis(client):
    fy = _fiscal_year(date.today())
    out = {}
    for year in (fy - 1, fy):
        r = client.get(f"/api/v1/reports/kpi?fiscal_year={year}")
        assert r.status_code == 200, r.get_json()
        out[year] = r.get_json()
    return out


def _text_columns(engine):
    meta = MetaData()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        meta.reflect(bind=engine)
    for table in sorted(meta.tables.values(), key=lambda t: t.name):
        columns = [c for c in table.columns if isinstance(c.type, (sqltypes.String, sqltypes.JSON, sqltypes.Text))]
        if columns:
            yield table, columns


def _scan(engine, values: set[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) for each text cell of the database that contains one of `values`."""
    hits = []
    with engine.connect() as conn:
        for table, columns in _text_columns(engine):
            for row in conn.execute(select(*columns)):
                for c, cell in zip(columns, row):
                    if cell is None:
                        continue
                    cell = cell if isinstance(cell, str) else str(cell)
                    hits.extend((table.name, c.name, v) for v in values if v in cell)
    return hits


def _personal(conn, where: str, params=None) -> list[tuple]:
    return conn.execute(text(
        "SELECT p.id, p.name, p.name_kana, p.phone, p.email, p.line_id, p.birth_date FROM persons p " + where),
        params or {}).all()


@pytest.fixture
def demo_world(app, db_url):
    env = {"CASEFLOW_DATABASE_URL": db_url, "CASEFLOW_RETENTION_YEARS": SCHEDULE, **ENV_FAST_HASH}
    r = _cli(env, "demo", "--password", PW, "--households", "60")
    assert r.exit_code == 0, r.output
    return env


def _uuid_text(engine, value) -> str:
    # how a UUID is stored: 32 hex digits on SQLite, the uuid type on PostgreSQL
    return value.hex if engine.dialect.name == "sqlite" else str(value)


def test_purge_of_a_generated_world(app, db_url, demo_world):
    env = demo_world
    engine = create_engine(db_url)
    coord = _login(app, f"coordinator.kamakura{DEMO}")
    kpi_before = _kpis(coord)
    supervisor_k = _login(app, f"supervisor.kumamoto{DEMO}")
    kpi_before_k = _kpis(supervisor_k)

    with engine.connect() as conn:
        everyone = {r[0]: r for r in _personal(conn, "")}
        addresses = dict(conn.execute(text("SELECT id, address FROM households")).all())
        closed = conn.execute(text("SELECT c.id, c.case_number, m.code FROM cases c JOIN municipalities m "
                                   "ON m.id = c.municipality_id WHERE c.stage = 'closed' ORDER BY c.case_number")).all()
        abuse = {r[0] for r in conn.execute(text("SELECT case_id FROM case_issues WHERE issue_code = 'abuse'"))}
    due = [c for c in closed if c[0] not in abuse]
    assert _scan(engine, {p[1] for p in everyone.values() if p[1]}), "the scan sees names where they are"
    assert len(due) >= 4, "the demo world has closed cases"
    held_id, held_number, held_city = due[0]

    # the plan: counts only, no case number, no name
    r = _cli(env, "retention", "plan")
    assert r.exit_code == 0, r.output
    assert f"cases due: {len(due)}" in r.output and "default (0年)" in r.output
    assert held_number not in r.output
    assert not any(p[1] and p[1] in r.output for p in everyone.values())

    # a legal hold keeps a due case
    r = _cli(env, "retention", "hold", held_number, "--municipality", held_city, "--reason", "disclosure_request",
             "--reference", "開示第12号", "--by", "privacy-officer")
    assert r.exit_code == 0, r.output
    r = _cli(env, "retention", "plan")
    assert f"cases due: {len(due) - 1}" in r.output and "on legal hold (not purged): 1" in r.output

    # an interrupted purge (a limit stands in for the interruption), then the rest: resumable
    r = _cli(env, "retention", "purge", "--yes", "--batch", "2", "--limit", "3", "--by", "privacy-officer")
    assert r.exit_code == 0, r.output
    assert "purged 3 case(s)" in r.output and "purging: 2/3 cases" in r.output
    r = _cli(env, "retention", "purge", "--yes", "--batch", "5", "--by", "privacy-officer")
    assert r.exit_code == 0, r.output
    assert f"purged {len(due) - 1 - 3} case(s)" in r.output and "1 on legal hold" in r.output
    again = _cli(env, "retention", "purge", "--yes", "--by", "privacy-officer")
    assert again.exit_code == 0 and "nothing is due" in again.output, again.output

    with engine.connect() as conn:
        purged_cases = {r[0] for r in conn.execute(text("SELECT case_id FROM retention_case_purges"))}
        purged_persons = {r[0] for r in conn.execute(text("SELECT person_id FROM retention_person_purges"))}
        assert purged_cases == {c[0] for c in due[1:]}
        assert purged_persons, "persons of purged cases that belong to no live case are purged"
        live = {r[0] for r in _personal(conn, "")} - purged_persons
        # a purged person keeps the row (ids in the audit trail point at it), nothing personal in it
        for row in _personal(conn, "WHERE p.id IN (SELECT person_id FROM retention_person_purges)"):
            assert row[1:] == (None, None, None, None, None, None), row
        assert not conn.execute(text("SELECT 1 FROM person_search_grams WHERE person_id IN "
                                     "(SELECT person_id FROM retention_person_purges)")).first()
        # the tombstone: number, dates, stage history, issues stay
        tomb = conn.execute(text("SELECT c.case_number, c.opened_on, c.closed_at, c.summary, t.rule, t.years, "
                                 "t.purged_by FROM cases c JOIN retention_case_purges t ON t.case_id = c.id")).all()
        assert all(t[0] and t[1] and t[2] and t[3] is None and t[4] == "default" and t[5] == 0
                   and t[6] == "privacy-officer" for t in tomb)
        history = conn.execute(text("SELECT count(*), count(reason) FROM case_stage_changes WHERE case_id IN "
                                    "(SELECT case_id FROM retention_case_purges)")).one()
        assert history[0] > 0 and history[1] == 0
        assert not conn.execute(text("SELECT 1 FROM progress_records WHERE body <> '' AND case_id IN "
                                     "(SELECT case_id FROM retention_case_purges)")).first()
        # the guards are back on every table the purge opened
        for table in GUARDED:
            assert dbguards.installed(conn, table), table
        live_values = {v for pid in live for v in everyone[pid][1:6] if v}
        live_values |= {r[0] for r in conn.execute(text("SELECT address FROM households WHERE address IS NOT NULL"))}
        live_values |= {r[0] for r in conn.execute(text("SELECT display_name FROM users"))}
        # the held case keeps its data
        assert conn.execute(text("SELECT stage FROM cases WHERE case_number = :n"), {"n": held_number}).scalar()

    # no personal value of a purged person in any text column of any table (the audit trail included)
    gone = {v for pid in purged_persons for v in everyone[pid][1:6] if v}
    with engine.connect() as conn:
        scrubbed = {h for h, a in addresses.items() if a} - {
            r[0] for r in conn.execute(text("SELECT id FROM households WHERE address IS NOT NULL"))}
    gone |= {addresses[h] for h in scrubbed}
    gone |= {str(everyone[pid][6])[:10] for pid in purged_persons if everyone[pid][6]}
    gone -= live_values
    assert gone
    assert _scan(engine, gone) == []

    # the audit trail keeps its events: ids, rule and counts, and verifies
    with engine.connect() as conn:
        events = conn.execute(text("SELECT action, resource_id, detail FROM audit_events "
                                   "WHERE action LIKE 'retention.%' ORDER BY seq")).all()
    actions = [e[0] for e in events]
    assert actions.count("retention.purge") == len(due) - 1
    assert actions.count("retention.purge_person") == len(purged_persons)
    assert "retention.guards_lifted" in actions and "retention.hold_placed" in actions
    audit_verify(db_url)

    # past and current fiscal years' KPI reports are unchanged
    assert _kpis(coord) == kpi_before
    assert _kpis(supervisor_k) == kpi_before_k

    # 開示請求 for a purged person by id: the report answers, saying purged and when
    with engine.connect() as conn:
        city_of = dict(conn.execute(text("SELECT p.id, m.code FROM persons p JOIN municipalities m "
                                         "ON m.id = p.municipality_id")).all())
    person_id = sorted(purged_persons, key=str)[0]
    city = city_of[person_id]
    auditor = _login(app, f"auditor.{city}{DEMO}")
    report = auditor.get(f"/api/v1/audit-events/persons/{uuid.UUID(str(person_id))}/report").get_json()
    assert report["purged"] is True and report["purged_at"], report
    assert "消去されました" in report["purged_message"]
    # another municipality's auditor learns nothing of it
    other = _login(app, f"auditor.{'kumamoto' if city == 'kamakura' else 'kamakura'}{DEMO}")
    report = other.get(f"/api/v1/audit-events/persons/{uuid.UUID(str(person_id))}/report").get_json()
    assert report["purged"] is False and report["purged_at"] is None
    live_id = sorted((p for p in live if city_of[p] == city), key=str)[0]
    report = auditor.get(f"/api/v1/audit-events/persons/{uuid.UUID(str(live_id))}/report").get_json()
    assert report["purged"] is False and report["purged_at"] is None

    # the record guards still refuse an edit of the stage history
    with engine.begin() as conn:
        with pytest.raises(Exception) as refused:
            conn.execute(text("UPDATE case_stage_changes SET reason = 'x'"))
        assert dbguards.refused(refused.value)

    # releasing the hold lets the case go
    r = _cli(env, "retention", "release", held_number, "--municipality", held_city, "--by", "privacy-officer")
    assert r.exit_code == 0, r.output
    r = _cli(env, "retention", "purge", "--yes", "--by", "privacy-officer")
    assert r.exit_code == 0 and "purged 1 case(s)" in r.output, r.output
    audit_verify(db_url)
    assert _kpis(coord) == kpi_before
    engine.dispose()


def test_schedule_and_refusals(app, db_url, demo_world):
    env = demo_world
    # the default schedule: nothing closed today is due
    r = _cli({**env, "CASEFLOW_RETENTION_YEARS": ""}, "retention", "plan")
    assert r.exit_code == 0, r.output
    assert "cases due: 0" in r.output and "abuse=25" in r.output and "default=5" in r.output
    r = _cli({**env, "CASEFLOW_RETENTION_YEARS": ""}, "retention", "purge", "--yes")
    assert r.exit_code == 0 and "nothing is due" in r.output
    # a broken schedule is refused, naming the setting
    r = _cli({**env, "CASEFLOW_RETENTION_YEARS": "default=-1"}, "retention", "plan")
    assert r.exit_code != 0 and "retention_years" in r.output
    r = _cli(env, "retention", "hold", "R99-999999", "--municipality", "kamakura", "--reason", "litigation")
    assert r.exit_code != 0 and "case" in r.output
    r = _cli(env, "retention", "hold", "R99-999999", "--municipality", "kamakura", "--reason", "whim")
    assert r.exit_code == 2
    # a 個人番号 typed as a reference is refused without repeating it
    r = _cli(env, "retention", "hold", "R99-999999", "--municipality", "kamakura", "--reason", "litigation",
             "--reference", "123456789018")
    assert r.exit_code == 2 and "123456789018" not in r.output


def test_a_persons_deletion_request_is_reviewed_then_purged(app, db_url, basic):
    """利用停止・消去請求: filed by the collecting organisation, reviewed by a second person (never the filer),
    carried out by `caseflow retention purge` whatever the schedule, audited; nothing of the person stays."""
    env = {"CASEFLOW_DATABASE_URL": db_url, **ENV_FAST_HASH}
    coord, sup, npo = basic.client("coord@example.jp"), basic.client("super@example.jp"), basic.client("npo@example.jp")
    auditor = basic.client("auditor@example.jp")
    case = open_case(coord)
    r = coord.post(f"/api/v1/cases/{case['id']}/progress",
                   json={"kind": "visit", "occurred_on": "2026-11-02", "body": "山田 太郎さん宅を訪問"})
    assert r.status_code == 201, r.get_json()
    person_id = next(p["id"] for p in case["persons"] if p["is_primary"])
    parent_id = next(p["id"] for p in case["persons"] if not p["is_primary"])
    other = open_case(coord, person={**YAMADA, "name": "鈴木 一郎", "name_kana": "スズキ イチロウ",
                                     "phone": "090-0000-3333", "email": "ichiro@example.invalid",
                                     "line_id": "suzuki-line", "sensitive": {}, "notes": "別の方"},
                     with_parent=False, summary="別件の相談")

    body = {"person_id": person_id, "ground": "consent_withdrawn", "received_on": "2026-11-20"}
    assert coord.post("/api/v1/deletion-requests", json={**body, "ground": "whim"}).status_code == 422
    assert npo.post("/api/v1/deletion-requests", json=body).status_code in (403, 404)  # not collected there
    r = coord.post("/api/v1/deletion-requests", json=body)
    assert r.status_code == 201, r.get_json()
    req = r.get_json()
    assert req["state"] == "requested" and "山田" not in r.get_data(as_text=True)
    assert req["requested_by"]["id"] == req["requested_by_user_id"] and req["requested_by"]["display_name"]
    assert req["reviewed_by"] is None
    assert coord.post("/api/v1/deletion-requests", json=body).status_code == 409  # one open request per person
    # the filer never reviews; a case worker cannot review at all
    assert coord.post(f"/api/v1/deletion-requests/{req['id']}/approve").status_code == 403
    own = sup.post("/api/v1/deletion-requests", json={**body, "person_id": other["persons"][0]["id"]}).get_json()
    r = sup.post(f"/api/v1/deletion-requests/{own['id']}/approve")
    assert r.status_code == 403 and "受け付けた本人" in r.get_json()["detail"]
    r = sup.post(f"/api/v1/deletion-requests/{own['id']}/decline", json={"ground": "nonsense"})
    assert r.status_code == 422 and "ground" in r.get_data(as_text=True)
    # the secretariat declines the second one (a ground code, no free text), the supervisor approves the first
    admin = basic.client("admin@example.jp")
    r = admin.post(f"/api/v1/deletion-requests/{own['id']}/decline", json={"ground": "legal_obligation"})
    assert r.status_code == 200 and r.get_json()["state"] == "declined", r.get_json()
    r = sup.post(f"/api/v1/deletion-requests/{req['id']}/approve")
    assert r.status_code == 200 and r.get_json()["state"] == "approved", r.get_json()
    assert sup.post(f"/api/v1/deletion-requests/{req['id']}/approve").status_code == 409
    assert [i["id"] for i in coord.get("/api/v1/deletion-requests?state=approved").get_json()["items"]] == [req["id"]]

    r = _cli(env, "retention", "plan")
    assert "approved deletion requests (消去請求): 1" in r.output and "deletion_request (0年): 1" in r.output, r.output
    r = _cli(env, "retention", "purge", "--yes", "--by", "privacy-officer")
    assert r.exit_code == 0 and "1 deletion request(s) carried out" in r.output, r.output
    assert "nothing is due" in _cli(env, "retention", "purge", "--yes").output

    assert coord.get(f"/api/v1/deletion-requests/{req['id']}").get_json()["state"] == "purged"
    engine = create_engine(db_url)
    # (the other case's household has the same address string: the purged household's row is checked instead)
    assert _scan(engine, set(personal_values()) - {"鎌倉市大船一丁目2-3"} | {"山田 太郎さん宅を訪問"}) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT address FROM households h JOIN cases c ON c.household_id = h.id "
                                 "WHERE c.case_number = :n"), {"n": case["case_number"]}).scalar() is None
    assert _scan(engine, {"鈴木 一郎"}), "the other person (request declined) keeps their data"
    with engine.connect() as conn:
        purged = {str(uuid.UUID(str(r[0]))) for r in conn.execute(text("SELECT person_id FROM retention_person_purges"))}
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_events WHERE action LIKE "
                                                   "'retention.deletion%' ORDER BY seq"))]
    assert purged == {person_id, parent_id}
    assert actions == ["retention.deletion_requested", "retention.deletion_requested", "retention.deletion_declined",
                       "retention.deletion_approved", "retention.deletion_purged"]
    audit_verify(db_url)
    report = auditor.get(f"/api/v1/audit-events/persons/{person_id}/report").get_json()
    assert report["purged"] is True and "消去されました" in report["purged_message"]
    # a purged person cannot be requested again
    assert coord.post("/api/v1/deletion-requests", json=body).status_code in (404, 409)
    engine.dispose()
