"""The OpenAPI document, finished in one place (docs/openapi.md): what every operation needs so that a client
generated from /api/openapi.json works, derived from the routes themselves rather than written per view.

A new route needs only its casbin guard (or `@public`) and a one-line docstring; from those and its code this
module derives the operationId, the description, the security requirement (bearer token, or session cookie
plus the X-CSRF-Token header for writes), the If-Match request header, the ETag response header and the
problem responses (401/403/404/409/412/422/428/429) the operation can answer with.
"""
from __future__ import annotations

import copy
import inspect
import re

import flask_smorest
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, has_request_context, request

from caseflow.access.authz import PUBLIC_ATTR

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
UNSAFE = {"post", "put", "patch", "delete"}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# Problem `type` URIs (after https://caseflow.example/problems/); `about:blank` when a status says it all.
PROBLEM_TYPES = {
    "validation": "a field or parameter is invalid; `errors` names each field (422)",
    "unauthenticated": "no valid session or token (401)",
    "invalid-credentials": "wrong e-mail address or password (401)",
    "session-required": "the operation needs a browser session, not a token (403)",
    "account-locked": "too many failed logins; see Retry-After (429)",
    "forbidden": "the role or organisation may not do this (403)",
    "csrf": "cookie-authenticated write without a valid X-CSRF-Token header (403)",
    "no-role": "the account has no role in the acting municipality (403)",
    "not-allowed": "the operation is not allowed for this record (403)",
    "self-review": "an audit review of one's own events (403)",
    "if-match-required": "an update without If-Match (428)",
    "stale-version": "If-Match names an older version; `current_version` is the current one (412/409)",
    "precondition-failed": "a precondition of the request does not hold (412)",
    "illegal-transition": "the stage/state does not allow this step; `current_stage` and `allowed` (409)",
    "illegal-state": "the record's state does not allow this operation (409)",
    "conflict": "the request conflicts with the current records (409)",
    "duplicate": "the record exists already (409)",
    "duplicate-referral": "an open referral of this case to that organisation exists (409)",
    "duplicate-transfer": "an open transfer of this case exists (409)",
    "duplicate-handover": "an open handover exists (409)",
    "duplicate-co-lead": "the organisation is a co-lead already (409)",
    "case-closed": "the case is closed (409)",
    "task-closed": "the task is closed (409)",
    "plan-exists": "the case has a current plan (409)",
    "not-current": "only the current record may be changed (409)",
    "minutes-locked": "the minutes are approved (409)",
    "immutable-record": "a confirmed record is never changed (409)",
    "already-decided": "the request was decided already (409)",
    "already-revoked": "the consent was revoked already (409)",
    "already-ended": "the record has ended already (409)",
    "secrecy-in-force": "a secrecy order (秘匿) withholds the record (409)",
    "secrecy-ended": "the secrecy order has ended (409)",
    "no-directory-entry": "the organisation has no directory entry (409)",
    "pdf-unavailable": "the PDF cannot be produced (409)",
    "unsupported-media-type": "the body is not JSON (415); only an import takes a file (multipart/form-data)",
    "import-rows": "an imported file has bad rows; `errors` by line and column, `rows` as a list (422)",
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem document (application/problem+json). `type` is about:blank or "
                   "https://caseflow.example/problems/<name>, where <name> is one of: "
                   + "; ".join(f"`{k}`: {v}" for k, v in PROBLEM_TYPES.items()) + ".",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "example": "https://caseflow.example/problems/validation"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "description": "validation messages by field (422)",
                   "additionalProperties": {}},
        "request_id": {"type": "string", "description": "quote it when you report a problem"},
        "current_stage": {"type": "string", "description": "the stage or state now (409 illegal-transition)"},
        "allowed": {"type": "array", "items": {"type": "string"},
                    "description": "the steps allowed from the current stage (409 illegal-transition)"},
        "current_version": {"type": "integer", "description": "the record's version now (412 stale-version)"},
    },
    "additionalProperties": True,
}

RESPONSES = {
    "UNAUTHORIZED": (401, "Not logged in, or the token is invalid or expired"),
    "FORBIDDEN": (403, "The caller may not do this (role, organisation, municipality, CSRF)"),
    "NOT_FOUND": (404, "No such record, or not visible to the caller"),
    "CONFLICT": (409, "The record's current state does not allow this"),
    "PRECONDITION_FAILED": (412, "If-Match names an older version: read the record again"),
    "UNPROCESSABLE_ENTITY": (422, "Invalid input; `errors` names each field"),
    "PRECONDITION_REQUIRED": (428, "An update needs the If-Match header (the ETag you read)"),
    "TOO_MANY_REQUESTS": (429, "Too many failed logins; retry after Retry-After seconds"),
    "DEFAULT_ERROR": (None, "Any other error, as a problem document"),
}

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "an API token (POST /api/v1/auth/tokens); no CSRF header needed"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": "caseflow_session",
               "description": "the browser session set by POST /api/v1/auth/login"},
    "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
             "description": "writes with the session cookie send the `csrf_token` of the login response"},
}
READ_SECURITY = [{"bearer": []}, {"cookie": []}]
WRITE_SECURITY = [{"bearer": []}, {"cookie": [], "csrf": []}]

ALWAYS_PRESENT = {"id", "items", "has_more", "limit", "offset"}
RULES_ATTR = "DOC_RULES"
"""On a marshmallow input schema: {(field, ...): rule} for what the server checks beyond one field's schema
(fields that go together or exclude each other, orders of dates, a window's length); written into the
document as the operation's `x-rules` and its description."""
EXAMPLE_ATTR = "DOC_EXAMPLE"
"""On a marshmallow schema: an example body (invented data), written as the component schema's `example`."""
REFERENCE = "x-reference"
"""On an input field: its value names a record (an id, an organisation's or municipality's code) that must
exist and be one the caller may use there; the server answers 422 naming the field otherwise."""
REFERENCE_RULE = "each names a record that exists and that the caller may use here (422 naming the field otherwise)"
IF_MATCH = {"in": "header", "name": "If-Match", "required": True,
            "description": "the ETag of the version you read (428 without it, 412 when it is stale)",
            "schema": {"type": "string", "example": '"3"'}}
ETAG = {"description": "the record's version, to send back as If-Match", "schema": {"type": "string"}}


def _names(func, depth: int = 3, seen=None) -> set[str]:
    """Global names a view uses, following helpers of its own module (how If-Match/ETag are detected)."""
    seen = seen if seen is not None else set()
    func = inspect.unwrap(func)
    code = getattr(func, "__code__", None)
    if code is None or func in seen:
        return set()
    seen.add(func)
    names = set(code.co_names)
    if depth:
        for name in list(names):
            helper = func.__globals__.get(name)
            if inspect.isfunction(helper) and helper.__module__ == func.__module__:
                names |= _names(helper, depth - 1, seen)
    return names


def _operations(app) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods or ()):
            if method.lower() in HTTP_METHODS:
                out.append((path, method.lower(), rule.endpoint))
    return out


def operation_ids(app) -> dict[tuple[str, str], str]:
    """The view function's name; blueprint-prefixed when two blueprints use the same name."""
    ops = _operations(app)
    names = {}
    for path, method, endpoint in ops:
        names.setdefault(endpoint.rsplit(".", 1)[-1], set()).add(endpoint)
    return {(path, method): (endpoint.rsplit(".", 1)[-1] if len(names[endpoint.rsplit(".", 1)[-1]]) == 1
                             else endpoint.replace(".", "_"))
            for path, method, endpoint in ops}


def _argument_schemas(view) -> list:
    """The marshmallow schemas of a view's arguments (body and query), as classes."""
    out = []
    for param in ((getattr(view, "_apidoc", {}) or {}).get("arguments") or {}).get("parameters", []):
        schema = param.get("schema")
        if schema is not None:
            out.append(schema if isinstance(schema, type) else type(schema))
    return out


def _references(schema: dict, schemas: dict, prefix: str = "", depth: int = 2) -> list[str]:
    """The members of a request schema that name records: `*_id`/`*_ids` ids and fields marked x-reference."""
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    for part in schema.get("allOf", []):
        schema = {**schema, **(schemas.get(part.get("$ref", "").rsplit("/", 1)[-1]) or {})}
    out = []
    for name, prop in (schema.get("properties") or {}).items():
        items = prop.get("items", {}) if prop.get("type") == "array" else prop
        if prop.get(REFERENCE) or items.get(REFERENCE) or (
                name.endswith(("_id", "_ids")) and items.get("format") == "uuid"):
            out.append(prefix + name)
        elif depth and ("$ref" in items or "allOf" in items or items.get("properties")):
            out += _references(items, schemas, f"{prefix}{name}.", depth - 1)
    return out


def _rules(operation: dict, view, schemas: dict) -> None:
    """`x-rules`: the checks beyond the schemas (DOC_RULES of the argument schemas and of the schemas nested in
    the body, and references)."""
    rules = []
    for cls in _argument_schemas(view):
        for names, text in (getattr(cls, RULES_ATTR, None) or {}).items():
            rules.append({"fields": list(names), "rule": text})
    refs, nested = [], set()
    for media in ((operation.get("requestBody") or {}).get("content") or {}).values():
        refs += _references(media.get("schema", {}), schemas)
        _refs(media.get("schema", {}), nested)
    for name in sorted(_closure(nested, schemas)):
        for rule in schemas[name].get("x-rules", []):
            if rule not in rules:
                rules.append(rule)
    for param in operation.get("parameters", []):
        if param.get("in") == "query" and (param.get(REFERENCE) or (param.get("schema") or {}).get(REFERENCE)):
            refs.append(param["name"])
    if refs:
        rules.append({"fields": sorted(set(refs)), "rule": REFERENCE_RULE})
    if rules:
        operation["x-rules"] = rules
        operation["description"] = operation["description"].rstrip() + "\n\nChecked beyond the schema: " + "; ".join(
            f"{', '.join(f'`{n}`' for n in r['fields'])}: {r['rule']}" for r in rules) + "."


def _response(ref_name: str) -> dict:
    return {"$ref": f"#/components/responses/{ref_name}"}


def _nullable_refs(node):
    """apispec writes a nullable nested schema as anyOf [{type: object, nullable}, {$ref}]; generators then
    make anonymous classes. OpenAPI 3.0.3 says it as allOf [{$ref}] + nullable."""
    if isinstance(node, dict):
        any_of = node.get("anyOf")
        if isinstance(any_of, list) and len(any_of) == 2:
            refs = [s for s in any_of if "$ref" in s]
            nulls = [s for s in any_of if s.get("nullable") and "$ref" not in s]
            if len(refs) == 1 and len(nulls) == 1:
                del node["anyOf"]
                node["allOf"] = refs
                node["nullable"] = True
        for value in node.values():
            _nullable_refs(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_refs(value)


def _no_null_in_enums(node):
    """apispec lists None in the enum of a nullable choice; generators then make a second class. `nullable`
    says it already."""
    if isinstance(node, dict):
        enum = node.get("enum")
        if isinstance(enum, list) and None in enum:
            node["enum"] = [v for v in enum if v is not None]
            node["nullable"] = True
        for value in node.values():
            _no_null_in_enums(value)
    elif isinstance(node, list):
        for value in node:
            _no_null_in_enums(value)


NUL_FREE = "^(?:[^\\u0000]*|)$"  # the empty alternative: see caseflow.core.schemas.SAFE_TEXT


def _no_nul(schema: dict) -> None:
    """Every request string refuses NUL (caseflow.core.http.check_text): a string of input without a pattern of its
    own (Text has one), a format or an enum says so with a pattern."""
    if not isinstance(schema, dict):
        return
    if (schema.get("type") == "string" and not {"pattern", "format", "enum"} & set(schema)):
        schema["pattern"] = NUL_FREE
    for key in ("items", "additionalProperties"):
        _no_nul(schema.get(key))
    for prop in (schema.get("properties") or {}).values():
        _no_nul(prop)
    for part in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        _no_nul(part)


def _nullable_enums(schemas: dict) -> None:
    """A nullable enum property becomes `allOf: [$ref] + nullable`, the enum a component named after the schema
    and the property (ReferralEventFromState), as nullable references are written: generators ignore
    `nullable` on an inline enum (openapi-python-client refuses the null), and null inside the enum makes
    them build a second class."""
    for name, schema in list(schemas.items()):
        for prop_name, prop in (schema.get("properties") or {}).items():
            if prop.get("nullable") and isinstance(prop.get("enum"), list):
                enum_name = name + "".join(part.capitalize() for part in prop_name.split("_"))
                schemas[enum_name] = {"type": prop.get("type", "string"), "enum": prop["enum"]}
                schema["properties"][prop_name] = {
                    **{k: v for k, v in prop.items() if k not in ("enum", "type", "nullable")},
                    "allOf": [{"$ref": f"#/components/schemas/{enum_name}"}], "nullable": True}


def _refs(node, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _closure(names: set[str], schemas: dict) -> set[str]:
    todo, out = list(names), set()
    while todo:
        name = todo.pop()
        if name in out or name not in schemas:
            continue
        out.add(name)
        more: set[str] = set()
        _refs(schemas[name], more)
        todo.extend(more - out)
    return out


def finish(spec: dict, app, classes: dict | None = None) -> dict:
    """The served document: `spec` as flask-smorest builds it, completed; `classes` maps component schema
    names to their marshmallow classes (for DOC_EXAMPLE)."""
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, cls in (classes or {}).items():
        example = getattr(cls, EXAMPLE_ATTR, None)
        if example is not None and name in schemas:
            schemas[name]["example"] = copy.deepcopy(example)
        rules = getattr(cls, RULES_ATTR, None)
        if rules and name in schemas:
            schemas[name]["x-rules"] = [{"fields": list(names), "rule": text} for names, text in rules.items()]
    schemas.pop("PaginationMetadata", None)  # flask-smorest's page-based paging, unused (limit/offset here)
    schemas["Problem"] = PROBLEM_SCHEMA
    responses = components.setdefault("responses", {})
    for name, (_status, description) in RESPONSES.items():
        responses[name] = {"description": description,
                           "content": {"application/problem+json": {"schema": PROBLEM_REF}}}
    responses["TOO_MANY_REQUESTS"]["headers"] = {
        "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
    components["securitySchemes"] = SECURITY_SCHEMES
    components.setdefault("parameters", {})["CsrfToken"] = {
        "in": "header", "name": "X-CSRF-Token", "required": False,
        "description": "with the session cookie: the csrf_token of the login response (403 without it); "
                       "not needed with a bearer token", "schema": {"type": "string"}}
    spec["security"] = READ_SECURITY
    spec["servers"] = [{"url": request.host_url.rstrip("/") if has_request_context() else "/",
                        "description": "this server"}]
    _nullable_refs(spec)
    _no_null_in_enums(spec)
    _nullable_enums(schemas)

    ids = operation_ids(app)
    request_schemas: set[str] = set()
    response_schemas: set[str] = set()
    for path, method, endpoint in _operations(app):
        operation = spec.get("paths", {}).get(path, {}).get(method)
        if operation is None:
            continue
        view = app.view_functions[endpoint]
        public = getattr(view, PUBLIC_ATTR, False)
        names = _names(view)
        operation["operationId"] = ids[(path, method)]
        if not operation.get("description"):
            operation["description"] = operation.get("summary") or (inspect.getdoc(view) or "").split("\n")[0]
        _rules(operation, view, schemas)
        if public:
            operation["security"] = []
        elif method in UNSAFE:
            operation["security"] = WRITE_SECURITY
            # Also a parameter: generators (openapi-python-client) apply no apiKey scheme, so a client on a
            # session cookie passes the login's csrf_token as an argument (not needed with a bearer token).
            operation.setdefault("parameters", []).append({"$ref": "#/components/parameters/CsrfToken"})
        op_responses = operation.setdefault("responses", {})
        wanted = []
        if not public:
            wanted += ["UNAUTHORIZED", "FORBIDDEN"]
        if "{" in path:
            wanted.append("NOT_FOUND")
        if method in UNSAFE and not public:
            wanted.append("CONFLICT")
        if operation.get("parameters") or operation.get("requestBody") or "{" in path:
            wanted.append("UNPROCESSABLE_ENTITY")
        if "require_if_match" in names:
            wanted += ["PRECONDITION_FAILED", "PRECONDITION_REQUIRED"]
            params = operation.setdefault("parameters", [])
            if not any(p.get("name") == "If-Match" for p in params):
                params.append(dict(IF_MATCH))
        if endpoint.endswith(".login"):
            wanted.append("TOO_MANY_REQUESTS")
        for name in wanted:
            op_responses.setdefault(str(RESPONSES[name][0]), _response(name))
        op_responses.setdefault("default", _response("DEFAULT_ERROR"))
        declared = ((getattr(view, "_apidoc", {}) or {}).get("response") or {}).get("responses", {})
        for status, response in op_responses.items():
            if "$ref" in response:
                continue
            if status.startswith("2") and not response.get("content") and status != "204":
                content_type = next((d.get("content_type") for d in declared.get(int(status), [])), None)
                response["content"] = ({content_type: {"schema": {"type": "string", "format": "binary"}}}
                                       if content_type else
                                       {"application/json": {"schema": {"type": "object",
                                                                        "additionalProperties": True}}})
            if status.startswith("2") and "etag" in names:
                response.setdefault("headers", {})["ETag"] = ETAG
            for media in (response.get("content") or {}).values():
                _refs(media.get("schema", {}), response_schemas)
        body = (operation.get("requestBody") or {}).get("content", {})
        for media in body.values():
            _refs(media.get("schema", {}), request_schemas)
        for param in operation.get("parameters", []):
            _refs(param.get("schema", {}), request_schemas)
            if param.get("in") == "query":
                _no_nul(param.get("schema"))

    # Response-only schemas: the identity and paging members are always present. Other fields stay optional:
    # the sharing engine leaves out what the viewer has no basis for (docs/openapi.md).
    for name in _closure(request_schemas, schemas):
        _no_nul(schemas[name])
    out_only = _closure(response_schemas, schemas) - _closure(request_schemas, schemas) - {"Problem"}
    for name in out_only:
        schema = schemas[name]
        props = schema.get("properties")
        if props and "required" not in schema:
            schema["required"] = [k for k in props if k in ALWAYS_PRESENT]
            if not schema["required"]:
                del schema["required"]
    return spec


class Api(flask_smorest.Api):
    """flask-smorest's Api, documenting the blueprints' views when the document is first built rather than when
    they are registered: apispec's work is two thirds of create_app (about 0.3 of 0.47 s here), paid by every
    worker at start and by each of the test suite's ~800 apps per engine, while the document is read rarely."""

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._app.extensions.setdefault(_PENDING, []).append((blp, name, parameters))


_PENDING = "caseflow.openapi_pending"  # (blueprint, name, parameters) registered, not yet in the document


def _document_pending(app, api, spec) -> None:
    """What flask-smorest's register_blueprint documents, for the blueprints registered since."""
    pending = app.extensions.get(_PENDING) or []
    while pending:
        blp, name, parameters = pending.pop(0)
        blp.register_views_in_doc(api, app, spec, name=name, parameters=parameters)
        spec.tag({"name": name, "description": blp.description})


def init_app(app, api) -> None:
    """Serve the finished document: flask-smorest builds it, `finish` completes it (cached per host)."""
    spec = api.spec
    build = spec.to_dict
    cache: dict = {}
    plugin = next(p for p in spec.plugins if isinstance(p, MarshmallowPlugin))

    def to_dict():
        key = request.host_url if has_request_context() else ""
        if key not in cache:
            _document_pending(app, api, spec)
            built = build()
            classes = {name: schema_key[0] for schema_key, name in plugin.converter.refs.items()}
            cache[key] = finish(built, current_app._get_current_object(), classes)
        return cache[key]

    spec.to_dict = to_dict
