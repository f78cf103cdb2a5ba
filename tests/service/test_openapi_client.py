"""A client generated from the served document works (issue 25): openapi-python-client builds a package from
/api/openapi.json, and a household's story runs through it against a live server with no hand-added header
and no reads of untyped members (`additional_properties`)."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from support import HANAKO, PASSWORD, YAMADA, live_server

CONFIG = """content_type_overrides:
  application/pdf: application/octet-stream
  text/csv: application/octet-stream
  application/problem+json: application/json
"""


@pytest.fixture
def generated(app, tmp_path):
    spec = app.test_client().get("/api/openapi.json", base_url="http://caseflow.test").get_json()
    (tmp_path / "openapi.json").write_text(json.dumps(spec, ensure_ascii=False))
    (tmp_path / "config.yaml").write_text(CONFIG)
    bindir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bindir / "openapi-python-client"), "generate", "--path", "openapi.json", "--config", "config.yaml",
         "--output-path", "caseflow_client", "--meta", "none"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout, result.stdout
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"caseflow_client.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "caseflow_client" or m.startswith("caseflow_client.")]:
            del sys.modules[name]


def _ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.parsed


def test_a_households_story_through_a_generated_client(app, basic, generated):
    c = generated("client")
    m = generated("models")

    def op(path):
        return generated(f"api.{path}")

    with live_server(app) as base:
        def token_for(email):
            session = c.Client(base_url=base)
            me = _ok(op("auth.login").sync_detailed(client=session, body=m.Login(email=email, password=PASSWORD)))
            assert me.email == email and me.csrf_token
            issued = _ok(op("auth.create_token").sync_detailed(
                client=session, body=m.TokenCreate(name="連携システム"), x_csrf_token=me.csrf_token), 201)
            return c.AuthenticatedClient(base_url=base, token=issued.token)

        coord, npo, sup = (token_for(e) for e in ("coord@example.jp", "npo@example.jp", "super@example.jp"))
        case = _ok(op("cases.create_case").sync_detailed(client=coord, body=m.CaseCreate.from_dict({
            "intake_channel": "counter", "issues": ["hikikomori", "h8050"], "urgency": "normal",
            "summary": "8050世帯の相談", "household": {"address": "鎌倉市大船一丁目2-3", "district": "ofuna", "members": [
                {"person": YAMADA, "relationship": "self", "in_need": True},
                {"person": HANAKO, "relationship": "parent"}]}})), 201)
        assert case.owner_org.name == "鎌倉市 地域共生課"  # a typed reference, not an anonymous object
        assert case.stage == "intake"
        primary = next(p for p in case.persons if p.is_primary)

        read = op("cases.get_case").sync_detailed(case.id, client=coord)
        etag = read.headers["etag"]
        updated = _ok(op("cases.update_case").sync_detailed(
            case.id, client=coord, body=m.CaseUpdate.from_dict({"urgency": "high"}), if_match=etag))
        assert updated.urgency == "high"
        stale = op("cases.update_case").sync_detailed(
            case.id, client=coord, body=m.CaseUpdate.from_dict({"urgency": "normal"}), if_match=etag)
        assert stale.status_code == 412 and stale.parsed.current_version == updated.version
        moved = _ok(op("cases.transition_case").sync_detailed(
            case.id, client=coord, body=m.Transition.from_dict({"to": "assessment", "reason": "合同アセスメントへ"})))
        assert moved.stage == "assessment"
        refused = op("cases.transition_case").sync_detailed(
            case.id, client=coord, body=m.Transition.from_dict({"to": "closed"}))
        assert refused.status_code in (409, 422) and refused.parsed.status == refused.status_code

        referral = _ok(op("referrals.create_referral").sync_detailed(client=coord, body=m.ReferralCreate.from_dict({
            "case_id": str(case.id), "to_org_id": str(basic.orgs["kmm-npo"]), "reason": "就労に向けた伴走支援のため",
            "requested_support": "居場所活動への参加の声かけ", "urgency": "high"})), 201)  # not below the case's
        accepted = _ok(op("referrals.accept_referral").sync_detailed(referral.id, client=npo))
        assert accepted.state == "accepted"

        consent = _ok(op("consents.create_consent").sync_detailed(client=coord, body=m.ConsentIn.from_dict({
            "person_id": str(primary.id), "purpose": "support_coordination", "method": "written",
            "recipients": [{"org_id": str(basic.orgs["kmm-npo"])}], "categories": ["identity", "contact"],
            "obtained_at": datetime.now(timezone.utc).isoformat()})), 201)
        assert consent.person_id == primary.id

        council = _ok(op("meetings.create_council").sync_detailed(client=sup, body=m.CouncilCreate.from_dict({
            "kind": "support_meeting", "name": "会議体", "member_org_ids": [str(basic.orgs["kmm-npo"])],
            "pledge_scope": "meeting"})), 201)
        meeting = _ok(op("meetings.create_meeting").sync_detailed(client=sup, body=m.MeetingCreate.from_dict({
            "council_id": str(council.id), "title": "第3回 鎌倉市支援会議",
            "starts_at": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat(),
            "place": "鎌倉市役所 本庁舎 第1会議室", "chair_user_id": str(basic.users["super@example.jp"]),
            "attendee_user_ids": [str(basic.users["npo@example.jp"])]})), 201)
        _ok(op("meetings.add_agenda_item").sync_detailed(
            meeting.id, client=sup, body=m.AgendaItemIn.from_dict({"case_id": str(case.id)})), 201)
        for name in ("agenda_pdf", "minutes_pdf"):
            pdf = _ok(op(f"meetings.{name}").sync_detailed(meeting.id, client=sup))
            assert pdf.payload.read(5) == b"%PDF-", name

        auditor = token_for("auditor@example.jp")
        page = _ok(op("audit_events.list_audit_events").sync_detailed(client=auditor, action="cases.*", limit=50))
        assert {e.action for e in page.items} >= {"cases.create", "cases.read"}
        export = _ok(op("audit_events.export_audit_events").sync_detailed(client=auditor, case_id=case.id, header=m.ExportAuditEventsHeader("en")))
        assert export.payload.read().decode("utf-8-sig").startswith("seq,occurred_at")
