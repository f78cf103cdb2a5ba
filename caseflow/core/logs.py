"""Structured logs: one JSON object a line on stderr with the time (ISO 8601, with its offset), the level, the
logger, the request id and the message. Messages carry ids and types only, never personal data (the callers see
to that; the development server's request lines lose their query strings, caseflow.core.http.NoQueryStrings)."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime

from flask import g, has_app_context

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_app_context() and g.get("request_id"):
            out["request_id"] = g.request_id
        for key, value in vars(record).items():  # extra={...} fields
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """Send every log record to stderr as JSON -- unless the process has set up logging itself (a test runner,
    an embedding application): then only the level is set."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    logging.getLogger("caseflow").setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.INFO)
