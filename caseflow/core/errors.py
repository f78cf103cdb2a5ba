"""Every error leaves as application/problem+json (RFC 9457); never HTML, never a traceback."""
from __future__ import annotations

import logging
import os

from flask import Response, current_app, g, json, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from caseflow.core import dbguards

log = logging.getLogger("caseflow")
PROBLEM_BASE = "https://caseflow.example/problems/"

# Japanese titles for the status codes users meet (the `detail` explains further).
_TITLES = {
    400: "リクエストが不正です",
    401: "ログインが必要です",
    403: "権限がありません",
    404: "見つかりません",
    405: "このメソッドは使えません",
    409: "現在の状態ではこの操作はできません",
    412: "ほかの人が先に更新しました",
    413: "リクエストが大きすぎます",
    415: "JSON で送信してください",
    422: "入力内容に誤りがあります",
    428: "If-Match ヘッダーが必要です",
    429: "リクエストが多すぎます",
    500: "サーバー内部エラー",
    503: "サービスを利用できません",
}


class Problem(Exception):
    """Raise from anywhere (domain or view) to answer with a problem document."""

    def __init__(self, status: int, title: str | None = None, detail: str = "", *, type_: str | None = None,
                 errors: dict | None = None, headers: dict | None = None, **extra):
        super().__init__(detail or title)
        self.status = status
        self.title = title or _TITLES.get(status, "エラー")
        self.detail = detail
        self.type = type_
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra
        self.audited = False  # a refusal recorded in the audit trail already (caseflow.access.authz.deny)


def problem_response(status: int, title: str, detail: str = "", *, type_: str | None = None,
                     errors: dict | None = None, headers: dict | None = None, **extra) -> Response:
    body = {
        "type": PROBLEM_BASE + type_ if type_ else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    if g.get("request_id"):
        body["request_id"] = g.request_id
    body.update(extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def validation_problem(errors: dict, detail: str = "入力内容を確認してください。") -> Problem:
    return Problem(422, detail=detail, type_="validation", errors=errors)


# How every error response looks on the wire, for the OpenAPI document (extension members such as
# `current_stage`, `allowed` or `current_version` may follow).
PROBLEM_JSON_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem document (application/problem+json).",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "description": "validation messages by field", "additionalProperties": {}},
        "request_id": {"type": "string"},
    },
    "additionalProperties": True,
}
_ERROR_REF = "#/components/schemas/Error"
_PROBLEM_REF = "#/components/schemas/Problem"


def document_problems(app) -> None:
    """Make the OpenAPI document describe errors as they are sent: flask-smorest documents its own
    `Error` schema as application/json, but every error here is application/problem+json."""
    for entry in app.extensions.get("flask-smorest", {}).get("apis", {}).values():
        components = entry["ext_obj"].spec.components
        components.schemas.pop("Error", None)
        components.schemas["Problem"] = PROBLEM_JSON_SCHEMA
        for responses in (components.responses, components.responses_lazy):
            for response in responses.values():
                content = response.get("content") or {}
                media = content.get("application/json")
                if media and media.get("schema") == {"$ref": _ERROR_REF}:
                    response["content"] = {"application/problem+json": {"schema": {"$ref": _PROBLEM_REF}}}


def unexpected(exc: Exception) -> Response:
    """A 500 for what no handler explains."""
    # Log the type and request id only: messages and locals may hold personal data.
    log.error("unhandled %s in request %s", type(exc).__name__, g.get("request_id"),
              exc_info=current_app.debug or os.environ.get("CASEFLOW_LOG_TRACEBACKS") == "1")
    return problem_response(500, _TITLES[500], "予期しないエラーが発生しました。request_id を添えて管理者に連絡してください。")


def init_app(app) -> None:
    document_problems(app)

    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        # Every refusal is audited, wherever it was decided (caseflow.access.authz registers the recorder).
        on_refusal = current_app.extensions.get("caseflow.on_refusal")
        if exc.status == 403 and not exc.audited and on_refusal is not None:
            on_refusal()
        return problem_response(exc.status, exc.title, exc.detail, type_=exc.type, errors=exc.errors,
                                headers=exc.headers, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        errors = None
        type_ = None
        detail = ""
        if "messages" in data:  # webargs/marshmallow validation (flask-smorest)
            errors = _flatten_locations(data["messages"])
            type_ = "validation"
            detail = "入力内容を確認してください。"
            if status == 400:
                detail = "JSON の形式が正しくありません。"
        elif status == 404:
            detail = "指定されたリソースは存在しないか、閲覧できません。"
        elif status == 405:
            detail = "このURLではこのメソッドは使えません。"
        elif status == 413:
            detail = f"リクエスト本文は{current_app.config['MAX_CONTENT_LENGTH'] // 1024}KBまでです。"
        elif status == 400:
            detail = "リクエストを解釈できませんでした。"
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        return problem_response(status, _TITLES.get(status, exc.name), detail, type_=type_, errors=errors,
                                headers=headers)

    @app.errorhandler(StaleDataError)
    def _stale(_exc: StaleDataError):
        # Optimistic locking (version columns): another request changed the record between this request's
        # read and its write, and this request's changes were not applied (the transaction is rolled back).
        # A stale If-Match is a failed precondition (412); otherwise the state moved on under the caller (409).
        detail = "ほかの人が先に更新しました。最新の内容を取得してからやり直してください。"
        status = 412 if request.headers.get("If-Match") else 409
        return problem_response(status, _TITLES[412], detail, type_="stale-version")

    app.errorhandler(Exception)(unexpected)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        # A database guard (caseflow.core.dbguards) refused to change a record that is never edited. The domain
        # refuses such changes first, so this is a race with e.g. the approval of the minutes, or a bug.

        if not dbguards.refused(exc):
            return unexpected(exc)
        log.warning("a database guard refused a change in request %s", g.get("request_id"))
        return problem_response(409, _TITLES[409], "確定した記録は変更できません。最新の内容を取得してください。",
                                type_="immutable-record")


def _flatten_locations(messages: dict) -> dict:
    """webargs nests errors by location ({"json": {...}}); clients want the fields."""
    out: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            out.update(fields)
        else:
            out[location] = fields
    return out
