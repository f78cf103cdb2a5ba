"""Municipalities (tenants) and memberships: where an organisation may act; the secretariat grants membership."""
from __future__ import annotations

import uuid

from flask_login import current_user
from caseflow.core.blueprint import Blueprint

from caseflow.core import db
from caseflow.access.authz import requires
from caseflow.access import tenancy
from caseflow.core.errors import Problem, validation_problem
from caseflow.organizations.models import MunicipalityMembership, Organization
from caseflow.core.pagination import paginate
from caseflow.accounts.schemas import (MembershipCreateSchema, MembershipPage, MembershipQuerySchema, MembershipSchema,
                                       MunicipalitySchema)
from caseflow.core.schemas import EmptySchema

blp = Blueprint("municipalities", __name__, url_prefix="/api/v1/municipalities",
                description="Municipalities (自治体, the tenants) and the memberships of organisations from elsewhere")


@blp.route("")
@requires("account", "read")
@blp.response(200, MunicipalitySchema(many=True))
def list_municipalities():
    """Where your organisation may act: its home municipality first, then those it is a member of."""
    return tenancy.municipalities_of(current_user.org)


def _administered(municipality_id: uuid.UUID):
    """The municipality, when the caller administers it as its secretariat; 404 otherwise."""
    if tenancy.administered_municipality_id(current_user) != municipality_id:
        raise Problem(404, detail=tenancy.NOT_FOUND)
    return tenancy.get_municipality(municipality_id)


@blp.route("/<uuid:municipality_id>/memberships")
@requires("memberships", "manage")
@blp.arguments(MembershipQuerySchema, location="query")
@blp.response(200, MembershipPage)
def list_memberships(args, municipality_id):
    """Organisations from other municipalities taking part in this one (its secretariat)."""
    m = _administered(municipality_id)
    return paginate(tenancy.memberships_query(m.id, include_ended=args["include_ended"]), args["limit"],
                    args["offset"])


@blp.route("/<uuid:municipality_id>/memberships", methods=["POST"])
@requires("memberships", "manage")
@blp.arguments(MembershipCreateSchema)
@blp.response(201, MembershipSchema)
def grant_membership(body, municipality_id):
    """Let an organisation at home elsewhere take part in this municipality's platform."""
    m = _administered(municipality_id)
    org = db.session().get(Organization, body["org_id"])
    if org is None:
        raise validation_problem({"org_id": ["組織が見つかりません。"]})
    return tenancy.grant_membership(m, org, reason=body.get("reason"), actor=current_user)


@blp.route("/<uuid:municipality_id>/memberships/<uuid:membership_id>/end", methods=["POST"])
@requires("memberships", "manage")
@blp.arguments(EmptySchema, required=False)
@blp.response(200, MembershipSchema)
def end_membership(_body, municipality_id, membership_id):
    """End a membership: the organisation stops seeing anything of this municipality at once."""
    m = _administered(municipality_id)
    ms = db.session().get(MunicipalityMembership, membership_id)
    if ms is None or ms.municipality_id != m.id:
        raise Problem(404, detail=tenancy.NOT_FOUND)
    return tenancy.end_membership(ms, actor=current_user)
