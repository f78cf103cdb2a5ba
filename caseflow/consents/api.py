from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from caseflow.access import authz
from caseflow.access.authz import requires
from caseflow.access.disclosure import DisclosureLog
from caseflow.access.refs import name_actors
from caseflow.access.requests import record_read, viewer
from caseflow.consents import breakglass
from caseflow.consents import rules as consent_domain
from caseflow.consents.models import REVIEW_STATES, EmergencyAccess
from caseflow.consents.schemas import (
    ConsentInSchema,
    ConsentOutSchema,
    ConsentQuerySchema,
    EmergencyOutSchema,
    EmergencyReviewInSchema,
    EmergencyReviewSchema,
    RevokeSchema,
)
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.errors import Problem
from caseflow.core.pagination import paginate
from caseflow.core.schemas import EmptySchema, PageArgs, page_of

blp = Blueprint("consents", __name__, url_prefix="/api/v1/consents", description="本人同意 (consent records)")
emergency_blp = Blueprint("emergency", __name__, url_prefix="/api/v1/emergency-accesses",
                          description="Emergency (break-glass) accesses")


ConsentPageSchema = page_of(ConsentOutSchema)


@blp.route("")
@requires("consents", "read")
@blp.arguments(ConsentQuerySchema, location="query")
@blp.response(200, ConsentPageSchema)
def list_consents(args):
    """Consent records of one person (`person_id`), or those your organisation obtained; newest first."""
    stmt = consent_domain.visible_consents(viewer(), args.get("person_id"),
                                           revoked_by_other_org=args.get("revoked_by_other_org", False))
    page = paginate(stmt, args["limit"], args["offset"])
    person = args.get("person_id")
    record_read("consents.list", "consents", None, DisclosureLog(),
                detail={"person_id": str(person) if person else None, "count": len(page["items"])})
    page["items"] = _named(page["items"])
    return page


def _named(consents):
    """Consents with the users who obtained and revoked them named (display name and organisation)."""
    return name_actors(consents, obtained_by="obtained_by_user_id", revoked_by="revoked_by_user_id")


@blp.route("", methods=["POST"])
@requires("consents", "create")
@blp.arguments(ConsentInSchema)
@blp.response(201, ConsentOutSchema)
def create_consent(body):
    """Record a consent: purpose, recipients (organisations or kinds), data categories, validity. A change
    is a new record with `supersedes_id`; the old one is closed, never edited."""
    return _named([consent_domain.record_consent(body, actor=current_user)])[0]


@blp.route("/<uuid:consent_id>")
@requires("consents", "read")
@blp.response(200, ConsentOutSchema)
def get_consent(consent_id):
    """One consent record."""
    consent = consent_domain.get_consent(viewer(), consent_id)
    record_read("consents.read", "consents", consent.id, DisclosureLog(), detail={"person_id": str(consent.person_id)})
    return _named([consent])[0]


@blp.route("/<uuid:consent_id>/revoke", methods=["POST"])
@requires("consents", "revoke")
@blp.arguments(RevokeSchema)
@blp.response(200, ConsentOutSchema)
def revoke_consent(body, consent_id):
    """Revoke: future disclosure on this consent stops with the next request."""
    consent = consent_domain.get_consent(viewer(), consent_id)
    return _named([consent_domain.revoke_consent(consent, body["reason"], actor=current_user)])[0]


class EmergencyQuerySchema(PageArgs):
    include_closed = fields.Boolean(load_default=False)
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES), metadata={
        "description": "only accesses whose supervisors' review state is this"})


EmergencyPageSchema = page_of(EmergencyOutSchema)


@emergency_blp.route("")
@requires("emergency", "request")
@emergency_blp.arguments(EmergencyQuerySchema, location="query")
@emergency_blp.response(200, EmergencyPageSchema)
def list_emergency_accesses(args):
    """Open emergency accesses with their review state: your own; supervisors also see those to their organisation's cases."""
    stmt = consent_domain.emergency_accesses_for(viewer(), oversee=authz.can("oversee", "emergency"),
                                                 only_open=not args["include_closed"])
    if args.get("review_state"):
        stmt = stmt.where(breakglass.in_review_state(args["review_state"]))
    page = paginate(stmt, args["limit"], args["offset"])
    page["items"] = breakglass.present(page["items"])
    # The justifications are free text about a person in danger: who read them is on the record.
    record_read("emergency.list", "emergency_accesses", None, DisclosureLog(), detail={"count": len(page["items"])})
    return page


def _visible_access(access_id):
    v = viewer()
    allowed = db.session().scalar(
        consent_domain.emergency_accesses_for(v, oversee=authz.can("oversee", "emergency"), only_open=False)
        .where(EmergencyAccess.id == access_id))
    if allowed is None:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    return allowed


@emergency_blp.route("/<uuid:access_id>")
@requires("emergency", "request")
@emergency_blp.response(200, EmergencyOutSchema)
def get_emergency_access(access_id):
    """One emergency access with its review state and the supervisors' reviews (its holder, or a supervisor of the case's organisation)."""
    access = _visible_access(access_id)
    record_read("emergency.read", "emergency_accesses", access.id, DisclosureLog(),
                detail={"case_id": str(access.case_id)})
    return breakglass.present([access], with_reviews=True)[0]


@emergency_blp.route("/<uuid:access_id>/reviews", methods=["POST"])
@requires("emergency", "review")
@emergency_blp.arguments(EmergencyReviewInSchema)
@emergency_blp.response(201, EmergencyReviewSchema)
def review_emergency_access(body, access_id):
    """Record a supervisor's review of a break-glass opening: reason confirmed or not, with a note (never its opener's own)."""
    access = breakglass.reviewable_access(viewer(), access_id)
    review = breakglass.add_review(access, body["reason_confirmed"], body["note"], actor=current_user)
    return breakglass.present_review(review, current_user)


@emergency_blp.route("/<uuid:access_id>/close", methods=["POST"])
@requires("emergency", "request")
@emergency_blp.arguments(EmptySchema, required=False)
@emergency_blp.response(200, EmergencyOutSchema)
def close_emergency_access(_body, access_id):
    """End an emergency access early (its holder, or a supervisor of the case's organisation)."""
    access = consent_domain.close_emergency_access(_visible_access(access_id), actor=current_user)
    return breakglass.present([access])[0]
