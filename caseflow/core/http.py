"""What every request goes through, apart from authorization: the body and text checks before the view,
the commit-or-rollback and the security headers after it, and the log filter that keeps query strings
(which can carry a name search) out of the development server's log."""
from __future__ import annotations

import logging
import re

from flask import current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from caseflow.core.errors import Problem, validation_problem


class NoQueryStrings(logging.Filter):
    """The development server (`caseflow run`) logs every request line, and query strings can carry personal
    data (a name search, ?q=山田): keep the method and path, drop the query.

    Everything from the first `?` to the trailing ` HTTP/x.y` (or the end) goes, whatever is in between:
    quotes, U+00A0 and other spaces, tabs, percent-encodings -- a request line the server could not parse
    still reaches the log, and a stop at the first "unusual" character is what an attacker aims for. The
    server's own messages about such a line (http.server's "Bad request syntax ('…')", "Bad request version
    ('…')" …) quote parts of it: their quoted value is dropped whole."""

    # What may follow the query: the protocol, the end of a colour code, and (a whole formatted line) the
    # closing quote with status and size -- digits only, nothing a client could fill with a name. Looked for
    # in the last characters only: a regex scanning from the `?` would backtrack quadratically over a request
    # line of 60,000 spaces.
    _TAIL = re.compile(r"(?:\s+HTTP/\d+(?:\.\d+)?)?(?:\x1b\[[\d;]*m)*(?:\" \d{3} (?:\d+|-))?\Z")
    _TAIL_WINDOW = 64
    _BAD_LINE = re.compile(r"((?:Bad request (?:version|syntax)|Bad HTTP/0\.9 request type|Invalid HTTP version|"
                           r"Unsupported method)) \(.*\)", re.S)

    @classmethod
    def redact(cls, text: str) -> str:
        text = cls._BAD_LINE.sub(r"\1 ([omitted])", text)
        q = text.find("?")
        if q < 0:
            return text
        tail = cls._TAIL.search(text, max(q + 1, len(text) - cls._TAIL_WINDOW))  # matches at the end at least
        return text[:q] + "?[query omitted]" + text[tail.start():]

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(self.redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str) and not record.args:
            record.msg = self.redact(record.msg)
        return True


def has_body() -> bool:
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


UPLOAD_ATTR = "_caseflow_accepts_upload"


def accepts_upload(view):
    """Mark a view that takes a file as multipart/form-data (an import); every other write carries JSON."""
    setattr(view, UPLOAD_ATTR, True)
    return view


def _is_upload() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, UPLOAD_ATTR, False)) and request.mimetype == "multipart/form-data"


def check_body():
    """Writes carry JSON or nothing (or, to a view marked `accepts_upload`, a multipart file); reject other
    bodies before any view sees them."""
    if not has_body():
        return
    if _is_upload():
        return
    if not request.is_json:
        raise Problem(415, detail="Content-Type: application/json で送信してください。", type_="unsupported-media-type")
    data = request.get_data(cache=True)
    if request.content_length is None and len(data) >= current_app.config["MAX_CONTENT_LENGTH"]:
        # A streamed (chunked) body has no Content-Length to refuse up front, and werkzeug silently stops
        # reading at MAX_CONTENT_LENGTH: refuse it rather than parse a truncated body.
        raise RequestEntityTooLarge()
    try:
        parsed = request.get_json(silent=True)
    except RecursionError:  # "[[[[…" nested past the parser's limit: bad input, not a server error
        parsed = None
    if parsed is None and data.strip() not in (b"null",):
        raise Problem(400, detail="JSON の形式が正しくありません。", type_="validation",
                      errors={"json": ["JSON として解釈できません。"]})


def _unstorable(value: str) -> bool:
    # NUL cannot be stored in PostgreSQL text and lone surrogates cannot be encoded as UTF-8: either would
    # fail in the database driver (a 500) instead of being refused as bad input.
    return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)


def _bad_strings(document) -> list[str]:
    """Paths of the strings (keys included) in a parsed JSON document that cannot be stored. Iterative:
    documents may nest as deep as the JSON parser allows."""
    bad, stack = [], [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _unstorable(value):
                bad.append(path or "json")
        elif isinstance(value, dict):
            for k, v in value.items():
                if _unstorable(k):
                    bad.append(path or "json")
                else:
                    stack.append((v, f"{path}.{k}" if path else k))
        elif isinstance(value, list):
            stack.extend((v, path) for v in value)
    return bad


def check_text():
    """Refuse NUL characters and lone surrogates anywhere in the path, the query or a JSON body (422)."""
    bad = [k for k, v in (request.view_args or {}).items() if isinstance(v, str) and _unstorable(v)]
    bad += [k for k, values in request.args.lists() if _unstorable(k) or any(_unstorable(v) for v in values)]
    if has_body() and not _is_upload():
        bad += _bad_strings(request.get_json(silent=True))
    if bad:
        message = ["使用できない文字（NUL など）が含まれています。"]
        raise validation_problem({"query" if _unstorable(name) else name: message for name in bad})


def finish(response):
    # The request is one unit of work: commit what succeeded, drop what failed.
    s = g.get("db_session")
    if s is not None:
        if response.status_code < 400:
            s.commit()
        else:
            s.rollback()
    response.headers["X-Request-ID"] = g.get("request_id", "")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.path.startswith("/api/docs"):
        # Redoc is served from the package (caseflow/vendor/redoc): nothing is loaded from elsewhere.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self'; worker-src blob:; connect-src 'self'; frame-ancestors 'none'")
    else:
        response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    if current_app.config["CASEFLOW_ENV"] == "production":
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response
