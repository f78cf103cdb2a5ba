"""個人番号 (My Number) is never stored (issue 19, part 2).

Every free-text field of the OpenAPI document -- found by walking the request schemas and query parameters,
so fields added later are covered -- refuses a valid 個人番号 in any of the ways people write one, with a 422
naming the field and saying why; the value reaches neither the response, the log nor the audit trail.
Near misses (wrong check digit, longer digit runs, phone numbers, case numbers, identifiers) pass.
`caseflow mynumber scan` finds numbers written to the database behind the API's back.

All numbers here are generated from made-up 11-digit stems with caseflow's own check digit, cross-checked
against the vector worked by hand in caseflow/core/mynumber.py (12345678901 -> check digit 8).
"""
from __future__ import annotations

import logging
import re
import unicodedata

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import text

from caseflow.cli import main as cli_main
from caseflow.core import db, mynumber
from caseflow.core.schemas import MY_NUMBER_REFUSED

from conftest import PASSWORD
from support import (
    INTAKE_ENDPOINT,
    IntakeAppClient,
    api_routes,
    guard,
    live_server,
    open_case,
    openapi_path,
    roles_allowed,
    seed_records,
    today_jst,
)

PREFERENCE = ("coordinator", "supervisor", "staff", "npo_staff", "admin", "secretariat", "auditor")


def make(stem: str) -> str:
    """A valid (generated) 個人番号 from an 11-digit stem."""
    return stem + str(mynumber.check_digit(stem))


def wrong(stem: str) -> str:
    """The same stem with every other last digit: a near miss."""
    return stem + str((mynumber.check_digit(stem) + 1) % 10)


STEMS = ["12345678901", "98765432109", "20240401000", "55555555555", "10000000007", "31415926535"]
VALID = [make(s) for s in STEMS]


def forms(number: str) -> list[str]:
    """The ways a worker pastes a number: bare, grouped, full-width, inside Japanese sentences."""
    a, b, c = number[:4], number[4:8], number[8:]
    full = unicodedata.normalize("NFKC", number).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    return [
        number,
        f"{a} {b} {c}",
        f"{a}-{b}-{c}",
        full,
        f"本人の番号は{a}　{b}　{c}です。",  # full-width spaces
        f"マイナンバー：{full[:4]}－{full[4:8]}－{full[8:]}（通知カードより）",
        "受付メモ\n" + " ".join(number) + "\n以上",  # one digit at a time
        f"No.{number}",
    ]


NEAR_MISSES = [
    wrong("12345678901"),  # wrong check digit
    "1234 5678 " + wrong("12345678901")[8:],
    make("12345678901") + "0",  # 13 digits: part of a longer run
    "9" + make("12345678901"),
    make("12345678901")[:11],  # 11 digits
    "090-1234-5678",  # a mobile phone number
    "+81 90 1234 5678",  # in international form
    "R7-000123",  # a case number
    f"{make('12345678901')[:4]}.{make('12345678901')[4:8]}.{make('12345678901')[8:]}",  # not a separator
    f"{make('12345678901')[:4]}  {make('12345678901')[4:]}",  # two spaces
    f"b5b02973-{make('12345678901')[:4]}-{make('12345678901')[4:8]}-{make('12345678901')[8:]}-c655bf5f459c",
    f"ab{make('12345678901')}cd",  # inside an identifier
    "2025年4月1日 10:30 訪問",
]


# --- the detector ---------------------------------------------------------------------------------------


def test_check_digit_matches_the_hand_worked_vector():
    # 番号法施行令8条: P1..P11 from the right of 12345678901 are 1,0,9,8,7,6,5,4,3,2,1; Q = 2..7,2..6;
    # sum = 212, 212 mod 11 = 3, check digit 11 - 3 = 8.
    assert mynumber.check_digit("12345678901") == 8
    assert mynumber.is_valid("123456789018")
    assert not mynumber.is_valid("123456789017")
    # remainders 0 and 1 give check digit 0
    zero = [s for s in (f"{n:011d}" for n in range(0, 2000, 7)) if mynumber.check_digit(s) == 0]
    assert zero and all(mynumber.is_valid(s + "0") for s in zero)
    with pytest.raises(ValueError):
        mynumber.check_digit("1234567890")


@pytest.mark.parametrize("number", VALID)
def test_every_form_of_a_valid_number_is_found(number):
    for form in forms(number):
        assert mynumber.contains_my_number(form), form


@pytest.mark.parametrize("value", NEAR_MISSES)
def test_near_misses_are_not(value):
    assert not mynumber.contains_my_number(value)


# --- every free-text field of the API -------------------------------------------------------------------


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


class Walk:
    """Builds, from one request schema, a body with a 個人番号 in every field marked x-my-number-refused
    (a different form each time), and lists the paths of those fields and of the other strings."""

    def __init__(self, spec):
        self.spec = spec
        self.n = 0
        self.marked: list[str] = []
        self.unmarked: list[tuple[str, dict]] = []

    def value(self):
        self.n += 1
        number = VALID[self.n % len(VALID)]
        return forms(number)[self.n % len(forms(number))]

    def build(self, schema, path=""):
        schema = _resolve(self.spec, schema)
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                subs = [s for s in schema[key] if _resolve(self.spec, s).get("type") != "null"]
                return self.build(subs[0], path)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            body = {}
            for name, sub in schema.get("properties", {}).items():
                if sub.get("readOnly"):
                    continue
                value = self.build(sub, f"{path}.{name}" if path else name)
                if value is not None:
                    body[name] = value
            return body or None
        if kind == "array":
            item = self.build(schema.get("items", {}), f"{path}.0")
            return [item] if item is not None else None
        if kind == "string" or (isinstance(kind, list) and "string" in kind):
            if schema.get(MY_NUMBER_REFUSED):
                self.marked.append(path)
                return self.value()
            if not schema.get("enum"):
                self.unmarked.append((path, schema))
        return None


# The strings of the document that do not refuse a 個人番号, and why. Anything else is free text and must.
CODES = {"district", "issues", "intake_channel", "issue_codes", "kind", "closure_reason", "purpose", "fields",
         "service_area", "scope", "issue", "field", "channel"}  # checked against the managed code lists: never stored as typed
AUDIT_FILTERS = {"action", "legal_basis", "resource_id", "resource_type"}  # exact-match filters, never stored
PASSWORDS = {"password", "current_password", "new_password"}  # stored as an Argon2 hash only
OPAQUE = {"online_url"}  # a meeting URL: ids and tokens (Text(my_number_ok=True))


def _why_unmarked(path: str, schema: dict) -> str | None:
    name = [p for p in path.split(".") if not p.isdigit()][-1]
    if "和暦" in (schema.get("description") or ""):
        return "a date (Day)"
    if schema.get("pattern") or schema.get("format"):
        return "a fixed syntax"
    for why, names in (("a code", CODES), ("an audit filter", AUDIT_FILTERS), ("a password", PASSWORDS),
                       ("opaque", OPAQUE)):
        if name in names:
            return why
    return None


def _flatten(errors, prefix=""):
    out = {}
    for key, value in errors.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


@pytest.fixture
def walk_world(app, basic):
    seeded = seed_records(basic)
    clients = {role: basic.client(email) for role, email in seeded["users"].items()}
    actors = {}
    for rule, method, endpoint in api_routes(app):
        g = guard(app, endpoint)
        role = None
        if g is not None:
            allowed = roles_allowed(app, *g)
            role = next((r for r in PREFERENCE if r in allowed), "coordinator")
        if endpoint == INTAKE_ENDPOINT:
            role = "intake_app"
        actors[(openapi_path(rule), method)] = (rule, role)
    clients["intake_app"] = IntakeAppClient(app, seeded["intake_token"])
    return {"ids": seeded["ids"], "clients": clients, "actors": actors, "anonymous": basic.client()}


CLIENT_LOGGERS = ("urllib3", "charset_normalizer")  # the test's own HTTP client, not the service


def _log_text(caplog) -> str:
    """Everything the service logged (every logger, every level)."""
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                     if not r.name.startswith(CLIENT_LOGGERS))


def test_every_free_text_field_refuses_a_my_number(app, walk_world, caplog):
    caplog.set_level(logging.DEBUG)
    spec = app.test_client().get("/api/openapi.json").get_json()
    refused: list[str] = []
    unexplained: list[str] = []
    operations = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict):
                continue
            rule, role = walk_world["actors"][(path, method.upper())]
            client = walk_world["clients"][role] if role else walk_world["anonymous"]
            url = openapi_path(rule)
            for name, value in walk_world["ids"].items():
                url = url.replace("{" + name + "}", str(value))
            body_schema = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            walk = Walk(spec)
            body = walk.build(body_schema) if body_schema else None
            query = {}
            for prm in op.get("parameters", []):
                if prm.get("in") == "query":
                    # a parameter's description is beside its schema
                    value = walk.build({"description": prm.get("description"), **prm["schema"]}, prm["name"])
                    if value is not None:
                        query[prm["name"]] = value
            unexplained += [f"{method.upper()} {path} {p}" for p, s in walk.unmarked if not _why_unmarked(p, s)]
            if not walk.marked:
                continue
            operations += 1
            r = client.http.open(url, method=method.upper(), json=body, query_string=query,
                                 headers=client._headers(None))
            where = f"{method.upper()} {path}"
            assert r.status_code == 422, (where, r.status_code, r.get_json())
            assert r.mimetype == "application/problem+json"
            errors = _flatten(r.get_json()["errors"])
            for field in walk.marked:
                assert errors.get(field) == [mynumber.MESSAGE], (where, field, errors.get(field))
                refused.append(f"{where} {field}")
            assert not mynumber.contains_my_number(r.get_data(as_text=True)), where  # never echoed
    assert not unexplained, "strings that neither refuse a 個人番号 nor are explained:\n" + "\n".join(unexplained)
    assert operations >= 40 and len(refused) >= 120, (operations, len(refused))
    # The fields the issue names are among them.
    for expected in ("POST /api/v1/cases summary", "POST /api/v1/cases/{case_id}/progress body",
                     "POST /api/v1/cases/{case_id}/assessments strengths", "POST /api/v1/persons notes",
                     "POST /api/v1/referrals reason", "POST /api/v1/consents obtained_place",
                     "POST /api/v1/meetings/{meeting_id}/decisions title", "GET /api/v1/cases q"):
        assert expected in refused, expected
    assert not mynumber.contains_my_number(_log_text(caplog))
    # Nothing reached the database, the audit trail included.
    result = CliRunner().invoke(cli_main, ["mynumber", "scan", "--quiet"])
    assert result.exit_code == 0, result.output


def test_near_misses_are_stored_as_typed(basic):
    coord = basic.client("coord@example.jp")
    summary = "連絡先と参照番号:\n" + "\n".join(NEAR_MISSES)
    case = open_case(coord, summary=summary)
    assert case["summary"] == unicodedata.normalize("NFKC", summary).strip()
    r = coord.post(f"/api/v1/cases/{case['id']}/progress",
                   json={"kind": "phone", "occurred_on": today_jst().isoformat(), "body": NEAR_MISSES[0]})
    assert r.status_code == 201, r.get_json()


def test_the_refusal_names_the_field_and_keeps_the_value_out_of_the_log(app, basic, caplog, capfd):
    """Through a real HTTP server (whose request log is what production writes): the 422 names the field,
    says why, and neither the log nor the audit trail holds the number."""
    caplog.set_level(logging.DEBUG)
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    number = VALID[1]
    with live_server(app) as base:
        s = requests.Session()
        login = s.post(f"{base}/api/v1/auth/login", json={"email": "coord@example.jp", "password": PASSWORD})
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        r = s.post(f"{base}/api/v1/cases/{case['id']}/progress", headers=csrf, json={
            "kind": "visit", "occurred_on": today_jst().isoformat(), "body": f"通知カードの番号 {number} を控えた"})
        assert r.status_code == 422
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert r.json()["errors"] == {"body": [mynumber.MESSAGE]}
        assert "番号法" in r.json()["errors"]["body"][0] and number not in r.text
        r = s.get(f"{base}/api/v1/cases", params={"q": number})
        assert r.status_code == 422 and r.json()["errors"] == {"q": [mynumber.MESSAGE]}
    out, err = capfd.readouterr()
    assert "POST /api/v1/cases/" in _log_text(caplog) + err  # the request log was captured ...
    assert not mynumber.contains_my_number(_log_text(caplog) + out + err)  # ... without the number
    with app.app_context():
        details = db.session().execute(text("SELECT action, detail FROM audit_events")).all()
    assert details and not any(mynumber.contains_my_number(str(d)) for d in details)


# --- the scan -------------------------------------------------------------------------------------------


def test_scan_finds_numbers_written_behind_the_api(app, basic, db_url):
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    result = CliRunner().invoke(cli_main, ["mynumber", "scan"], env={"CASEFLOW_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert "no 個人番号 found" in result.output and "scanning: " in result.output  # progress lines
    number = VALID[2]
    hidden = f"古いシステムから移行: {number[:4]}-{number[4:8]}-{number[8:]}"
    with app.app_context():
        s = db.session()
        s.execute(text("UPDATE cases SET summary = :v WHERE case_number = :n"), {"v": hidden, "n": case["case_number"]})
        s.commit()
        stored_id = s.execute(text("SELECT id FROM cases WHERE case_number = :n"), {"n": case["case_number"]}).scalar()
    result = CliRunner().invoke(cli_main, ["mynumber", "scan"], env={"CASEFLOW_DATABASE_URL": db_url})
    assert result.exit_code == 1, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("cases.summary"))
    assert line.startswith("cases.summary: 1 row(s): ")
    assert re.sub("-", "", str(stored_id)) in line.replace("-", "")  # the row's id, as the database holds it
    assert number not in result.output and not mynumber.contains_my_number(result.output)
    assert "個人番号 found in 1 value(s) of 1 column(s)" in result.output


def test_the_commands_refuse_a_my_number_in_names_labels_and_reasons(app, basic, db_url):
    number = VALID[3]
    env = {"CASEFLOW_DATABASE_URL": db_url}
    for args in (["municipalities", "create", "--code", "zushi", "--name", f"逗子市 {number}"],
                 ["codes", "add", "--list", "district", "--code", "zz-1", "--label", f"{number[:4]} {number[4:8]} "
                  f"{number[8:]}", "--municipality", "kamakura"],
                 ["orgs", "create", "--code", "zz-npo", "--name", f"NPO {number}", "--kind", "npo",
                  "--municipality", "kamakura"]):
        result = CliRunner().invoke(cli_main, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert "番号法" in result.output and not mynumber.contains_my_number(result.output)
    result = CliRunner().invoke(cli_main, ["mynumber", "scan", "--quiet"], env=env)
    assert result.exit_code == 0, result.output
