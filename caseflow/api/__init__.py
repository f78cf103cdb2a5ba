"""HTTP layer: thin flask-smorest blueprints under /api/v1. Views validate with schemas,
call domain modules, and serialise; they hold no business rules."""
from __future__ import annotations

from flask_smorest import Api

api = Api()


def init_app(app) -> None:
    from caseflow.api import audit_events, auth, cases, codes, consents, health, organizations, people, users
    from caseflow.api import directory, municipalities, referrals, transfers
    from caseflow.api import meetings
    from caseflow.api import plans
    from caseflow.api import reports

    api.init_app(app, spec_kwargs={
        "info": {"description": "caseflow API. Errors are application/problem+json (RFC 9457)."},
    })
    api.spec.components.security_scheme("cookie", {"type": "apiKey", "in": "cookie", "name": "caseflow_session"})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for blueprint in (health.blp, auth.blp, municipalities.blp, organizations.blp, users.blp, users.roles_blp,
                      codes.blp, people.households_blp,
                      people.persons_blp, cases.blp, consents.blp, consents.emergency_blp, audit_events.blp,
                      directory.blp, referrals.blp, transfers.blp, meetings.blp, plans.blp, plans.tasks_blp, plans.followup_blp,
                      reports.blp):
        api.register_blueprint(blueprint)
