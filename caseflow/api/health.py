from sqlalchemy import text

from caseflow import db
from caseflow.api.blueprint import Blueprint
from caseflow.authz import public

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness")


@blp.route("/health")
@public
@blp.response(200)
def health():
    """Liveness and database reachability (no data)."""
    db.session().execute(text("SELECT 1"))
    return {"status": "ok"}
