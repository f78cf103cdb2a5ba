"""HTTP layer: thin flask-smorest blueprints under /api/v1. Views validate with schemas,
call domain modules, and serialise; they hold no business rules."""
from __future__ import annotations

from flask_smorest import Api

api = Api()


def init_app(app) -> None:
    from caseflow.api import audit_events, auth, health, organizations, users

    api.init_app(app, spec_kwargs={
        "info": {"description": "caseflow API. Errors are application/problem+json (RFC 9457)."},
    })
    api.spec.components.security_scheme("cookie", {"type": "apiKey", "in": "cookie", "name": "caseflow_session"})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for module in (health, auth, organizations, users, audit_events):
        api.register_blueprint(module.blp)
