"""Immutable means immutable: the database itself refuses to change the records the domain never edits
(caseflow.core.dbguards, migration 0011), on SQLite and PostgreSQL.

Every guarded table gets a real row through the HTTP API; then raw SQL (SQLAlchemy Core on a connection of
its own, no application code) tries UPDATE and DELETE -- and INSERT where an approved meeting locks its
children, TRUNCATE on PostgreSQL -- and each attempt raises while the row stays exactly as it was. Consents
may still be revoked, once. `caseflow demo --reset` keeps every trigger.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from caseflow.cli import main
from caseflow.core import dbguards
from caseflow.core.db import Base

from conftest import ENGINE_NAME
from support import ORG_A_NPO, council_for, now, seed_records

T = Base.metadata.tables
MIGRATION_0011 = ("case_stage_changes", "referral_events", "consents", "consent_recipients", "consent_categories",
                  "pledges", "audit_reviews", "assessments", "assessment_domains", "plan_agreements",
                  "minutes_corrections", "meeting_decisions", "meetings", "agenda_items", "meeting_minutes")
MIGRATION_0016 = ("secrecy_decisions", "secrecy_recipients", "case_reporters")
MIGRATION_0020 = ("assessment_results",)  # the plan results an assessment version cited
MIGRATION_0021 = ("emergency_access_reviews",)  # supervisors' reviews of break-glass
# 0015: invited guests; ended council memberships
MIGRATION_0019 = ("contact_links",)  # a contact's link history
GUARDED = (MIGRATION_0011 + ("meeting_guests", "council_members") + MIGRATION_0016 + MIGRATION_0019 + MIGRATION_0020
           + MIGRATION_0021)


@pytest.fixture
def recorded(app, basic):
    """One real record of every guarded kind, made through the API; the meeting's minutes are approved."""
    seeded = seed_records(basic)
    ids, users = seeded["ids"], seeded["users"]
    coord, npo, sup = (basic.client(users[r]) for r in ("coordinator", "npo_staff", "supervisor"))
    mid, item = ids["meeting_id"], ids["item_id"]
    assert npo.post(f"/api/v1/meetings/{mid}/pledge").status_code == 201
    basic.org("kmk-gakko", "department", "鎌倉市立 第二小学校")
    basic.user("guest.gakko@example.jp", "kmk-gakko", "staff")
    r = sup.post(f"/api/v1/meetings/{mid}/agenda/{item}/guests", json={"user_id": str(basic.users["guest.gakko@example.jp"])})
    assert r.status_code == 201, r.get_json()
    council = f"/api/v1/councils/{ids['council_id']}"
    assert sup.post(f"{council}/members", json={"org_id": str(basic.orgs["kmk-gakko"])}).status_code == 201
    assert sup.post(f"{council}/members/{basic.orgs['kmk-gakko']}/end").status_code == 200
    assert npo.post(f"/api/v1/cases/{ids['case_id']}/plan/agreements").status_code == 201
    task = f"/api/v1/tasks/{ids['task_id']}/transitions"  # a result the next assessment version cites
    assert npo.post(task, json={"to": "in_progress"}).status_code == 200
    assert npo.post(task, json={"to": "done", "result_note": "居場所に2回参加した"}).status_code == 200
    r = coord.post(f"/api/v1/cases/{ids['case_id']}/assessments", json={"issues_note": "居場所が定着"})
    assert r.status_code == 201 and r.get_json()["based_on_results"], r.get_json()
    assert sup.post(f"/api/v1/meetings/{mid}/transitions", json={"to": "held"}).status_code == 200
    minutes = f"/api/v1/meetings/{mid}/agenda/{item}/minutes"
    r = sup.http.put(minutes, json={"body": "本人の状況を共有した。"}, headers=sup._headers(None))
    assert r.status_code == 201, r.get_json()
    r = sup.post(f"/api/v1/meetings/{mid}/decisions", json={
        "agenda_item_id": item, "title": "居場所活動への同行", "owner_org_id": str(basic.orgs[ORG_A_NPO]),
        "due_on": (date.today() + timedelta(days=30)).isoformat()})
    assert r.status_code == 201, r.get_json()
    ids["decision_id"] = r.get_json()["id"]
    assert sup.post(f"/api/v1/meetings/{mid}/transitions", json={"to": "minutes_approved"}).status_code == 200
    r = sup.post(f"{minutes}/corrections", json={"body": "本人と母親の状況を共有した。", "reason": "誤記"})
    assert r.status_code == 201, r.get_json()
    r = sup.post(f"/api/v1/emergency-accesses/{ids['access_id']}/reviews",
                 json={"reason_confirmed": True, "note": "安否確認の必要性を確認した。"})
    assert r.status_code == 201, r.get_json()
    auditor = basic.client(users["auditor"])
    r = auditor.post(f"/api/v1/audit-events/{ids['seq']}/reviews", json={"comment": "確認済み"})
    assert r.status_code == 201, r.get_json()
    return {"ids": ids, "users": users, "coord": coord}


def _where(table: str, ids: dict):
    """Which rows of `table` the fixture made (by the ids the API returned)."""
    c = T[table].c
    u = lambda k: uuid.UUID(ids[k])  # noqa: E731
    return {
        "case_stage_changes": lambda: c.case_id == u("case_id"),
        "referral_events": lambda: c.referral_id == u("referral_id"),
        "consents": lambda: c.id == u("consent_id"),
        "consent_recipients": lambda: c.consent_id == u("consent_id"),
        "consent_categories": lambda: c.consent_id == u("consent_id"),
        "pledges": lambda: c.meeting_id == u("meeting_id"),
        "audit_reviews": lambda: c.event_seq == int(ids["seq"]),
        "assessments": lambda: c.id == u("assessment_id"),
        "assessment_domains": lambda: c.assessment_id == u("assessment_id"),
        "plan_agreements": lambda: c.id.is_not(None),
        "minutes_corrections": lambda: c.meeting_id == u("meeting_id"),
        "meeting_decisions": lambda: c.id == u("decision_id"),
        "meetings": lambda: c.id == u("meeting_id"),
        "agenda_items": lambda: c.meeting_id == u("meeting_id"),
        "meeting_minutes": lambda: c.meeting_id == u("meeting_id"),
        "meeting_guests": lambda: c.meeting_id == u("meeting_id"),
        "council_members": lambda: (c.council_id == u("council_id")) & c.until.is_not(None),
        "secrecy_decisions": lambda: c.id == u("secrecy_id"),
        "secrecy_recipients": lambda: c.decision_id == u("secrecy_id"),
        "case_reporters": lambda: c.case_id == u("case_id"),
        "assessment_results": lambda: c.task_id == u("task_id"),
        "emergency_access_reviews": lambda: c.access_id == u("access_id"),
        "contact_links": lambda: c.contact_id == u("contact_id"),
    }[table]()


# A change to one column of each table (any change is refused; the consents' own rules are tested below).
EDITS = {
    "case_stage_changes": {"reason": "書き換え"},
    "referral_events": {"reason": "書き換え"},
    "consents": {"purpose": "other"},
    "consent_recipients": {"org_kind": "npo"},
    "consent_categories": {"category": "sensitive"},
    "pledges": {"pledge_text_version": "v0"},
    "audit_reviews": {"comment": "書き換え"},
    "assessments": {"strengths": "書き換え"},
    "assessment_domains": {"risk_level": "none"},
    "plan_agreements": {"task_count": 99},
    "minutes_corrections": {"body": "書き換え"},
    "meeting_decisions": {"title": "書き換え"},
    "meetings": {"title": "書き換え"},
    "agenda_items": {"points": "書き換え"},
    "meeting_minutes": {"body": "書き換え"},
    "meeting_guests": {"invited_at": datetime(2020, 4, 1, tzinfo=timezone.utc)},
    "council_members": {"since": datetime(2020, 4, 1, tzinfo=timezone.utc)},
    "secrecy_decisions": {"reason": "書き換え"},
    "secrecy_recipients": {"org_id": uuid.UUID(int=1)},
    "case_reporters": {"name": "書き換え"},
    "assessment_results": {"task_status": "cancelled"},
    "emergency_access_reviews": {"reason_confirmed": False},
    "contact_links": {"reason": "書き換え"},
}


class Raw:
    """Raw statements on a connection of their own: what a console session or a bug in another program does."""

    def __init__(self, db_url: str):
        self.engine = create_engine(db_url)

    def rows(self, table: str, where) -> list[dict]:
        with self.engine.connect() as conn:
            stmt = select(T[table]).where(where)
            return sorted((dict(r._mapping) for r in conn.execute(stmt)), key=repr)

    def refused(self, stmt) -> DBAPIError:
        with self.engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                conn.execute(stmt)
            conn.rollback()
        assert dbguards.refused(caught.value), caught.value
        return caught.value

    def run(self, stmt, commit: bool = False):
        with self.engine.connect() as conn:
            result = conn.execute(stmt).rowcount
            conn.commit() if commit else conn.rollback()
        return result

    def close(self):
        self.engine.dispose()


@pytest.fixture
def raw(db_url):
    r = Raw(db_url)
    yield r
    r.close()


def test_every_guarded_table_refuses_update_and_delete(recorded, raw):
    ids = recorded["ids"]
    assert set(dbguards.GUARDS) == set(GUARDED) == set(EDITS)
    for table in GUARDED:
        where = _where(table, ids)
        before = raw.rows(table, where)
        assert before, f"the fixture made no {table} row"
        raw.refused(T[table].update().where(where).values(**EDITS[table]))
        raw.refused(T[table].delete().where(where))
        assert raw.rows(table, where) == before, table


def test_every_guarded_table_refuses_being_emptied(recorded, raw):
    """Emptying a table in one statement: TRUNCATE on PostgreSQL (no row trigger fires, so it has its own
    guard); on SQLite, which has no TRUNCATE, an unconditional DELETE (its 'truncate optimisation' is off
    for tables with triggers, so the row guards fire)."""
    for table in GUARDED:
        statement = f"TRUNCATE {table} CASCADE" if ENGINE_NAME == "postgresql" else f"DELETE FROM {table}"
        raw.refused(text(statement))
    assert raw.rows("consents", T["consents"].c.id.is_not(None))


def test_the_guards_of_every_table_are_installed(app):
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.connect() as conn:
        missing = [t for t in dbguards.GUARDS if not dbguards.installed(conn, t)]
        # Re-installing (what a later migration does after altering a table) gives the same triggers.
        names = {t: dbguards.installed(conn, t) for t in dbguards.GUARDS}
        assert {t: dbguards.install(conn, t) for t in dbguards.GUARDS} == names
        conn.rollback()
    engine.dispose()
    assert missing == []


def test_the_guards_cover_every_column_the_tables_have_now(app, recorded):
    """A column added after migration 0011 must be guarded too. SQLite triggers name their columns, so each
    current column must appear in them (a column added without `dbguards.install` again, or a batch-mode copy
    of the table, which drops its triggers, fails here). PostgreSQL's guards compare whole rows (to_jsonb):
    a column added now, in a transaction rolled back afterwards, is refused an update of the recorded rows."""
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.connect() as conn:
        for table, guards in dbguards.GUARDS.items():
            if ENGINE_NAME == "postgresql":
                trans = conn.begin()
                conn.execute(text(f'ALTER TABLE "{table}" ADD COLUMN probe_added_later integer'))
                with pytest.raises(DBAPIError):
                    conn.execute(text(f'UPDATE "{table}" SET probe_added_later = 1'))
                trans.rollback()
                continue
            sql = " ".join(r[0] for r in conn.execute(text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": table}))
            columns = [r[1] for r in conn.execute(text(f'PRAGMA table_info("{table}")'))]
            for guard in guards:
                mutable = getattr(guard, "columns", None) or getattr(guard, "mutable", None)
                if mutable is None:
                    continue
                unguarded = [c for c in columns if c not in mutable and f'NEW."{c}" IS NOT OLD."{c}"' not in sql]
                assert unguarded == [], (table, unguarded)
    engine.dispose()


# --- an approved meeting ------------------------------------------------------------------------

def test_an_approved_meeting_locks_its_agenda_minutes_and_decisions(recorded, raw):
    ids = recorded["ids"]
    mid, item = uuid.UUID(ids["meeting_id"]), uuid.UUID(ids["item_id"])
    user = raw.rows("meetings", T["meetings"].c.id == mid)[0]["chair_user_id"]
    raw.refused(insert(T["agenda_items"]).values(id=uuid.uuid4(), meeting_id=mid, position=9, topic="追加"))
    raw.refused(insert(T["meeting_minutes"]).values(
        id=uuid.uuid4(), meeting_id=mid, agenda_item_id=item, body="追記", recorded_by_user_id=user,
        created_at=now(), updated_at=now(), version=1))
    # Un-approving it to edit the minutes is refused too; only the sharing window may still change
    # (tightening access is always allowed).
    meetings = T["meetings"]
    raw.refused(meetings.update().where(meetings.c.id == mid).values(status="held"))
    raw.refused(meetings.update().where(meetings.c.id == mid).values(minutes_approved_at=None))
    assert raw.run(meetings.update().where(meetings.c.id == mid)
                   .values(sharing_days_after=7, window_end=now(), version=meetings.c.version + 1)) == 1


def test_minutes_stay_editable_until_approved(recorded, raw, basic):
    """The guard locks what approval locks, no more: a held meeting's minutes are edited in place."""
    sup = basic.client(recorded["users"]["supervisor"])
    r = sup.post("/api/v1/meetings", json={
        "council_id": council_for(sup, kind="case_conference"), "title": "ケース会議",
        "starts_at": (now() - timedelta(minutes=30)).isoformat(),  # held only once started
        "place": "本庁舎", "chair_user_id": str(basic.users[recorded["users"]["supervisor"]])})
    mid = r.get_json()["id"]
    item = sup.post(f"/api/v1/meetings/{mid}/agenda", json={"topic": "報告"}).get_json()["id"]
    assert sup.post(f"/api/v1/meetings/{mid}/transitions", json={"to": "held"}).status_code == 200
    url = f"/api/v1/meetings/{mid}/agenda/{item}/minutes"
    r = sup.http.put(url, json={"body": "一回目"}, headers=sup._headers(None))
    r = sup.http.put(url, json={"body": "二回目"}, headers=sup._headers({"If-Match": r.headers["ETag"]}))
    assert r.status_code == 200, r.get_json()
    minutes = T["meeting_minutes"]
    assert raw.run(minutes.update().where(minutes.c.meeting_id == uuid.UUID(mid)).values(body="三回目")) == 1


def test_a_write_past_the_domain_check_answers_409_not_500(recorded, basic, monkeypatch):
    """Defence in depth: were the domain's own lock check missing (a bug, or a write racing the approval),
    the database refuses and the client gets a problem document, not a 500."""
    from caseflow.meetings import minutes

    monkeypatch.setattr(minutes, "_require_held", lambda meeting, what: None)
    ids = recorded["ids"]
    sup = basic.client(recorded["users"]["supervisor"])
    url = f"/api/v1/meetings/{ids['meeting_id']}/agenda/{ids['item_id']}/minutes"
    tag = sup.get(f"/api/v1/meetings/{ids['meeting_id']}/minutes").get_json()["items"][0]["entry_version"]
    r = sup.http.put(url, json={"body": "承認後の書き換え"}, headers=sup._headers({"If-Match": f'"{tag}"'}))
    assert r.status_code == 409 and r.mimetype == "application/problem+json", r.get_data(as_text=True)
    assert r.get_json()["type"].endswith("/immutable-record")
    minutes = sup.get(f"/api/v1/meetings/{ids['meeting_id']}/minutes").get_json()
    assert minutes["items"][0]["original_text"] == "本人の状況を共有した。"


# --- consents: revoked once, never otherwise changed ----------------------------------------------

def test_consent_revocation_through_the_api_then_nothing_more(recorded, raw, app):
    ids = recorded["ids"]
    coord = recorded["coord"]
    consents = T["consents"]
    cid = uuid.UUID(ids["consent_id"])
    where = consents.c.id == cid
    # Open: any column but the revocation columns is refused, and so is a "revocation" without revoked_at.
    for values in ({"purpose": "other"}, {"valid_until": now() + timedelta(days=1)}, {"revoke_reason": "理由だけ"},
                   {"revoked_at": now(), "form_reference": "書庫B"}):
        raw.refused(consents.update().where(where).values(**values))
    # Setting the revocation columns once is what the application does.
    before = raw.rows("consents", where)[0]
    r = coord.post(f"/api/v1/consents/{cid}/revoke", json={"reason": "本人の申出"})
    assert r.status_code == 200 and r.get_json()["revoked_at"], r.get_json()
    after = raw.rows("consents", where)[0]
    changed = {k for k in after if after[k] != before[k]}
    assert {"revoked_at", "revoked_by_user_id", "revoke_reason"} <= changed <= set(dbguards.REVOCATION_COLUMNS)
    # Closed: no second change of any kind.
    for values in ({"revoke_reason": "別の理由"}, {"revoked_at": None, "revoked_by_user_id": None,
                                                   "revoke_reason": None}, {"revoked_at": now()},
                   {"purpose": "other"}):
        raw.refused(consents.update().where(where).values(**values))
    raw.refused(consents.delete().where(where))
    assert raw.rows("consents", where) == [after]
    assert coord.post(f"/api/v1/consents/{cid}/revoke", json={"reason": "再度"}).status_code == 409


def test_superseding_a_consent_closes_the_old_record_through_the_guard(recorded, raw):
    ids = recorded["ids"]
    coord = recorded["coord"]
    person = raw.rows("consents", T["consents"].c.id == uuid.UUID(ids["consent_id"]))[0]["person_id"]
    r = coord.post("/api/v1/consents", json={
        "person_id": str(person), "purpose": "support_coordination", "method": "written",
        "recipients": [{"org_kind": "department"}], "categories": ["identity"], "form_reference": "同意書 第2号",
        "obtained_at": now().isoformat(), "supersedes_id": ids["consent_id"]})
    assert r.status_code == 201, r.get_json()
    old = raw.rows("consents", T["consents"].c.id == uuid.UUID(ids["consent_id"]))[0]
    assert old["revoked_at"] is not None and old["revoke_reason"] == "新しい同意記録により置き換え"


# --- caseflow demo --reset -------------------------------------------------------------------------

def _triggers(db_url: str) -> dict[str, str]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
        else:
            rows = conn.execute(text("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                                     "WHERE NOT tgisinternal")).all()
    engine.dispose()
    return dict(rows)


def test_demo_reset_keeps_every_guard(app, db_url, raw):
    env = {"CASEFLOW_DATABASE_URL": db_url, "CASEFLOW_PASSWORD_TIME_COST": "1",
           "CASEFLOW_PASSWORD_MEMORY_COST": "1024"}
    before = _triggers(db_url)
    assert any(dbguards.PREFIX in name for name in before) and any(n.startswith("audit_events_") for n in before)
    first = CliRunner().invoke(main, ["demo", "--password", "demo-reset-password", "--households", "3"], env=env)
    assert first.exit_code == 0, first.output
    changes = T["case_stage_changes"]
    assert raw.rows("case_stage_changes", changes.c.id.is_not(None))
    reset = CliRunner().invoke(main, ["demo", "--reset", "--password", "demo-reset-password", "--households", "3"],
                               env=env)
    assert reset.exit_code == 0, reset.output
    assert _triggers(db_url) == before
    # ... and they still work: the reset world's history is as immutable as the first one's.
    raw.refused(changes.update().values(reason="書き換え"))
    raw.refused(changes.delete())
    with raw.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(changes)).scalar() > 0
