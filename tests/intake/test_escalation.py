"""Immediate escalation (府中市, issue 20): a case opened or raised to urgency critical notifies the receiving
organisation's duty worker at once -- a notification record and an e-mail through a real local SMTP server
(aiosmtpd, started here); a failing server leaves the notification undelivered and the case saved, and
`caseflow notifications retry` sends it later."""
from __future__ import annotations

import email
import email.header
import socket

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from caseflow.cli import main as cli_main


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def _text(mail) -> str:
    """The mail as its reader sees it: the decoded subject and body."""
    msg = email.message_from_bytes(mail.content)
    subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    return subject + "\n" + msg.get_payload(decode=True).decode()


def _put(client, url, json):
    return client.http.put(url, json=json, headers=client._headers(None))


def _problem(r, status):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.content_type.startswith("application/problem+json")
    return r.get_json()


@pytest.fixture
def duty(basic):
    """地域共生課 with its coordinator on duty (named by its supervisor) and an app registered for it."""
    sup = basic.client("super@example.jp")
    org = basic.orgs["kmk-chiiki"]
    r = _put(sup, f"/api/v1/organizations/{org}/duty", json={"user_id": str(basic.users["coord@example.jp"])})
    assert r.status_code == 200, r.get_json()
    admin = basic.client("admin@example.jp")
    token = admin.post("/api/v1/intake-clients", json={"name": "相談アプリ", "org_id": str(org)}).get_json()["token"]
    return token


def _consult(world, token, **body):
    r = world.app.test_client().post("/api/v1/intake/consultations", headers={"Authorization": f"Bearer {token}"},
                                     json={"handle": "アプリ #0099", "issues": ["bullying"],
                                           "summary": "もう生きていたくない 山田花子", **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_the_duty_worker_is_named_by_the_organisations_supervisor_or_admin(basic):
    org = basic.orgs["kmk-chiiki"]
    url = f"/api/v1/organizations/{org}/duty"
    coord = basic.client("coord@example.jp")
    assert coord.get(url).get_json()["user_id"] is None
    _problem(_put(coord, url, json={"user_id": str(basic.users["coord@example.jp"])}), 403)
    sup = basic.client("super@example.jp")
    assert "user_id" in _problem(_put(sup, url, json={"user_id": str(basic.users["npo@example.jp"])}), 422)["errors"]
    assert "user_id" in _problem(_put(sup, url, json={}), 422)["errors"]
    r = _put(sup, url, json={"user_id": str(basic.users["super@example.jp"])})
    assert r.status_code == 200 and r.get_json()["user_id"] == str(basic.users["super@example.jp"])
    assert coord.get(url).get_json()["user_id"] == str(basic.users["super@example.jp"])
    # another organisation's duty is not ours to read or set
    basic.user("npo-admin@example.jp", "kmm-npo", "admin")
    other = basic.client("npo-admin@example.jp")
    _problem(other.get(url), 404)
    _problem(_put(other, url, json={"user_id": str(basic.users["npo@example.jp"])}), 404)


def test_a_critical_consultation_reaches_the_duty_worker_at_once(basic, duty, smtp):
    basic.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_FROM="caseflow@fuchu.example",
                            PUBLIC_URL="https://caseflow.example")
    calm = _consult(basic, duty, urgency="high")
    assert calm["escalated"] is False and smtp.messages == []
    urgent = _consult(basic, duty, urgency="critical")
    assert urgent["escalated"] is True
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ["coord@example.jp"] and mail.mail_from == "caseflow@fuchu.example"
    text = _text(mail)
    assert "至急" in text and f"https://caseflow.example/api/v1/cases/{urgent['case_id']}" in text
    # no personal data in the mail: not the summary, not the handle, not the case number
    for secret in ("山田", "生きていたくない", "0099", urgent["case_number"]):
        assert secret not in text and secret.encode() not in mail.content

    coord = basic.client("coord@example.jp")
    notes = coord.get("/api/v1/notifications").get_json()["items"]
    assert [(n["case_id"], n["reason"], n["attempts"]) for n in notes] == [(urgent["case_id"], "critical", 1)]
    assert notes[0]["delivered_at"] is not None
    assert basic.client("super@example.jp").get("/api/v1/notifications").get_json()["items"] == []

    # a case at the window raised to critical escalates too (once: raising it again is no new escalation)
    from support import open_case
    case = open_case(coord, urgency="normal")
    url = f"/api/v1/cases/{case['id']}"
    tag = coord.get(url).headers["ETag"]
    r = coord.patch(url, json={"urgency": "critical"}, headers={"If-Match": tag})
    assert r.status_code == 200, r.get_json()
    r = coord.patch(url, json={"summary": "状況を追記"}, headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.get_json()
    assert len(smtp.messages) == 2 and case["id"] in _text(smtp.messages[1])
    notes = coord.get("/api/v1/notifications", query_string={"delivered": "true"}).get_json()["items"]
    assert [n["case_id"] for n in notes] == [case["id"], urgent["case_id"]]
    auditor = basic.client("auditor@example.jp")
    events = auditor.get("/api/v1/audit-events", query_string={"action": "notifications.*"}).get_json()["items"]
    assert sorted(e["action"] for e in events) == ["notifications.create"] * 2 + ["notifications.deliver"] * 2


def test_a_failing_smtp_server_never_loses_the_case_and_the_cli_retries(basic, duty, smtp, db_url, monkeypatch):
    basic.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port())  # nobody listens there
    urgent = _consult(basic, duty, urgency="critical")
    assert urgent["escalated"] is True
    coord = basic.client("coord@example.jp")
    assert coord.get(f"/api/v1/cases/{urgent['case_id']}").get_json()["urgency"] == "critical"
    notes = coord.get("/api/v1/notifications", query_string={"delivered": "false"}).get_json()["items"]
    assert len(notes) == 1 and notes[0]["delivered_at"] is None and notes[0]["attempts"] == 1

    env = {"CASEFLOW_DATABASE_URL": db_url, "CASEFLOW_SMTP_HOST": "127.0.0.1", "CASEFLOW_SMTP_PORT": str(_free_port())}
    r = CliRunner().invoke(cli_main, ["notifications", "retry"], env=env)
    assert r.exit_code == 1 and "delivered: 0, still undelivered: 1" in r.output
    env["CASEFLOW_SMTP_PORT"] = str(smtp.port)
    r = CliRunner().invoke(cli_main, ["notifications", "retry"], env=env)
    assert r.exit_code == 0, r.output
    assert "delivered: 1, still undelivered: 0" in r.output
    assert len(smtp.messages) == 1 and urgent["case_id"] in _text(smtp.messages[0])
    notes = coord.get("/api/v1/notifications").get_json()["items"]
    assert notes[0]["delivered_at"] is not None and notes[0]["attempts"] == 3
    r = CliRunner().invoke(cli_main, ["notifications", "retry"], env=env)
    assert r.exit_code == 0 and "delivered: 0, still undelivered: 0" in r.output
