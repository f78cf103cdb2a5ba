"""The OpenAPI document is valid, public, and describes every API route."""
from openapi_spec_validator import validate

from support import openapi_path


def test_openapi_document_is_valid_and_complete(app):
    r = app.test_client().get("/api/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    validate(spec)
    paths = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            assert openapi_path(rule) in paths, rule.rule


def test_docs_page_is_served(app):
    r = app.test_client().get("/api/docs")
    assert r.status_code == 200 and b"redoc" in r.data.lower()


def test_every_operation_is_documented_for_client_generation(app):
    """The document's lint (issue 25): operationId (unique), description, security, declared problem responses."""
    spec = app.test_client().get("/api/openapi.json").get_json()
    assert spec["servers"] and spec["security"]
    seen = set()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            where = f"{method.upper()} {path}"
            assert op.get("operationId") and op["operationId"] not in seen, where
            seen.add(op["operationId"])
            assert op.get("description"), where
            assert "security" in op or spec["security"], where
            responses = op["responses"]
            assert "default" in responses, where
            if op.get("security") != []:
                assert {"401", "403"} <= set(responses), where
            if "{" in path:
                assert "404" in responses, where
            if any(p.get("name") == "If-Match" for p in op.get("parameters", [])):
                assert {"412", "428"} <= set(responses), where
            for status, response in responses.items():
                if status.startswith("2") and status != "204":
                    assert response.get("content"), where  # files as binary, JSON with a schema
    assert "PaginationMetadata" not in spec["components"]["schemas"]
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"allowed", "current_stage", "current_version", "errors"} <= set(problem)
    patch = spec["paths"]["/api/v1/cases/{case_id}"]["patch"]
    assert any(p.get("name") == "If-Match" and p["required"] for p in patch["parameters"])
    assert spec["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert "ETag" in spec["paths"]["/api/v1/cases/{case_id}"]["get"]["responses"]["200"]["headers"]
    export = spec["paths"]["/api/v1/audit-events/export.csv"]["get"]
    assert not {"limit", "order", "after_seq"} & {p["name"] for p in export["parameters"]}
    assert "text/csv" in export["responses"]["200"]["content"]
    text = str(spec)
    assert "'anyOf': [{'type': 'object', 'nullable': True}" not in text  # nullable refs as allOf + nullable


def test_codes_enums_rules_and_examples_are_in_the_document(app):
    """Issue 25: fixed codes as enums from the product constants, managed code lists pointing to GET /codes,
    object fields with schemas, the server's rules in the schemas (patterns, x-rules), examples."""
    from caseflow.cases.models import STAGES, URGENCIES
    from caseflow.codes.models import CODE_LISTS
    from caseflow.referrals.models import REFERRAL_STATES

    spec = app.test_client().get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]

    def prop(schema, name):
        p = schemas[schema]["properties"][name]
        return schemas[p["allOf"][0]["$ref"].rsplit("/", 1)[-1]] if "allOf" in p else p

    assert prop("CaseDetail", "stage")["enum"] == list(STAGES)
    assert prop("CaseDetail", "urgency")["enum"] == list(URGENCIES)
    assert prop("Referral", "state")["enum"] == list(REFERRAL_STATES)
    from_state = schemas["ReferralEvent"]["properties"]["from_state"]
    assert from_state["nullable"] and None not in prop("ReferralEvent", "from_state")["enum"]
    assert "null" not in str([s.get("enum") for s in schemas.values()]).lower().replace("'", "")
    assert set(prop("ConsentOut", "status")["enum"]) == {"active", "not_yet_valid", "expired", "revoked"}
    assert prop("CaseDetail", "lead_worker")["properties"].keys() >= {"id", "display_name", "active"}
    assert schemas["ConsentOut"]["properties"]["recipients"]["items"]["$ref"].endswith("/RecipientOut")
    assert schemas["AuditEvent"]["properties"]["disclosures"]["items"]["$ref"].endswith("/Disclosure")
    # Managed lists: described, x-code-list, and the list names enumerated; the fixed list as an enum.
    district = schemas["CaseCreate"]["properties"]["district"]
    assert district["x-code-list"] == "district" and "/api/v1/codes/district" in district["description"]
    assert schemas["CaseCreate"]["properties"]["issues"]["items"]["x-code-list"] == "issue_category"
    codes = spec["paths"]["/api/v1/codes/{list_name}"]["parameters"]
    assert next(p for p in codes if p["name"] == "list_name")["schema"]["enum"] == list(CODE_LISTS)
    assert "enum" in schemas["ConsentIn"]["properties"]["purpose"]
    # Rules: patterns for text, days and timestamps; x-rules on operations.
    assert schemas["CaseCreate"]["properties"]["summary"]["pattern"].startswith("^(?:[^\\u0000-")
    assert schemas["CaseCreate"]["properties"]["opened_on"]["pattern"].startswith("^(19|20)")
    assert schemas["ConsentIn"]["properties"]["obtained_at"]["pattern"] == "^20[0-9]{2}-"
    assert schemas["Login"]["properties"]["password"]["pattern"] == "^(?:[^\\u0000]*|)$"
    audit = spec["paths"]["/api/v1/audit-events"]["get"]
    assert any({"since", "until"} <= set(r["fields"]) and "366" in r["rule"] for r in audit["x-rules"])
    assert "366" in audit["description"]
    referral = spec["paths"]["/api/v1/referrals"]["post"]
    assert any({"case_id", "to_org_id"} <= set(r["fields"]) for r in referral["x-rules"])
    members = spec["paths"]["/api/v1/households/{household_id}/members"]["post"]
    assert any(set(r["fields"]) == {"person", "person_id"} for r in members["x-rules"])
    # Examples (invented data) on the main bodies.
    for name in ("Login", "TokenCreate", "TokenIssued", "CaseCreate", "CaseDetail", "Transition", "ReferralCreate",
                 "ConsentIn", "AgendaItemIn"):
        assert schemas[name].get("example"), name
