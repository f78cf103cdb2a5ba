"""The application factory: the Flask app with its database, sessions, authorization, API and error pages."""
from __future__ import annotations

import gc
import logging
import re
import secrets

from flask import Flask, current_app, g, request
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from caseflow import api, models  # noqa: F401  (models: every mapper, before the first query)
from caseflow.access import authz, sessions, trail  # noqa: F401  (trail: the session hooks)
from caseflow.core import db, errors, http, logs
from caseflow.core.config import load_config
from caseflow.core.errors import Problem

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, config))
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db.init_app(app)
    sessions.init_app(app)
    authz.init_app(app)
    api.init_app(app)
    errors.init_app(app)  # after flask-smorest, so our problem+json handlers win
    app.register_error_handler(OperationalError, _database_error)
    app.register_error_handler(ProgrammingError, _database_error)

    app.before_request(_start_request)
    app.after_request(http.finish)
    logs.configure(app.config["LOG_LEVEL"])
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, http.NoQueryStrings) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(http.NoQueryStrings())
    return app


def freeze_startup_objects() -> None:
    """Call once a serving process has built its app (caseflow.wsgi does; so do the benchmarks).

    The app holds ~150,000 long-lived objects (SQLAlchemy mappers and caches, marshmallow schemas, casbin,
    the fonts). Python's full garbage collection walks all of them, and requests that allocate many objects
    trigger one every dozen or so: an 80-120 ms pause on ~8 % of referral-inbox requests (p95 118 ms against
    a p50 of 20 ms). Freezing what exists after start-up leaves those objects out of every later collection
    (p95 29 ms); garbage made by requests is still collected as before."""
    gc.collect()
    gc.freeze()


def _database_error(exc: SQLAlchemyError):
    # A missing table or column is a schema that is behind this release (`caseflow db upgrade` not yet run),
    # a lost connection an unavailable database: both are 503, with the reason in the log. Anything else is a bug.
    state = api.readiness()
    return api.not_ready(*state) if state else errors.unexpected(exc)


def _start_request():
    sent = request.headers.get("X-Request-ID", "")
    g.request_id = sent if _REQUEST_ID.match(sent) else secrets.token_hex(8)
    if request.endpoint is None:
        return None  # 404/405: let routing errors through as problem documents
    if not authz.endpoint_is_declared(current_app, request.endpoint):
        # Fail closed: a view nobody declared public or guarded is not served.
        current_app.logger.error("endpoint %s has no authorization declaration", request.endpoint)
        raise Problem(403, detail="この操作を行う権限がありません。", type_="forbidden")
    if not authz.endpoint_is_public(current_app, request.endpoint):
        sessions.check_csrf()
    http.check_body()
    http.check_text()
    return None
