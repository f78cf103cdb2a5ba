"""The OpenAPI document is valid, public, and describes every API route."""
from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_complete(app):
    r = app.test_client().get("/api/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    validate(spec)
    paths = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            templated = rule.rule.replace("<uuid:", "{").replace("<", "{").replace(">", "}").removeprefix("/api")
            assert any(p.endswith(templated.split("/api/v1")[-1]) or p == rule.rule for p in paths) or \
                rule.rule.replace("<uuid:", "{").replace(">", "}") in paths, rule.rule


def test_docs_page_is_served(app):
    r = app.test_client().get("/api/docs")
    assert r.status_code == 200 and b"redoc" in r.data.lower()
