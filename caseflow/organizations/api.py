from __future__ import annotations

import uuid

from flask_login import current_user
from sqlalchemy import or_

from caseflow.core.blueprint import Blueprint
from caseflow.access.authz import requires
from caseflow.accounts import rules as accounts
from caseflow.organizations.models import Organization
from caseflow.core.pagination import paginate
from caseflow.accounts.schemas import (OrganizationCreateSchema, OrganizationPage, OrganizationQuerySchema,
                                       OrganizationSchema, OrganizationUpdateSchema)
from caseflow.core.text import like_pattern

blp = Blueprint("organizations", __name__, url_prefix="/api/v1/organizations",
                description="Organisations of the municipality's platform (departments, 社協, NPOs …)")


@blp.route("")
@requires("organizations", "read")
@blp.arguments(OrganizationQuerySchema, location="query")
@blp.response(200, OrganizationPage)
def list_organizations(args):
    """The organisations of the municipality you act in (at home there, or members), by code."""
    stmt = accounts.organizations_query(current_user)
    if "kind" in args:
        stmt = stmt.where(Organization.kind == args["kind"])
    if args.get("q"):
        pat = like_pattern(args["q"])
        stmt = stmt.where(or_(Organization.name.like(pat, escape="\\"), Organization.code.like(pat, escape="\\")))
    return paginate(stmt, args["limit"], args["offset"])


@blp.route("", methods=["POST"])
@requires("organizations", "create")
@blp.arguments(OrganizationCreateSchema)
@blp.response(201, OrganizationSchema)
def create_organization(body):
    """Register an organisation at home in the municipality you administer (its secretariat only)."""
    return accounts.create_organization_by(current_user, code=body["code"], name=body["name"], kind=body["kind"],
                                           parent_code=body.get("parent_code"))


@blp.route("/<uuid:org_id>")
@requires("organizations", "read")
@blp.response(200, OrganizationSchema)
def get_organization(org_id: uuid.UUID):
    """One organisation of the municipality you act in."""
    return accounts.get_visible_organization(current_user, org_id)


@blp.route("/<uuid:org_id>", methods=["PATCH"])
@requires("organizations", "update")
@blp.arguments(OrganizationUpdateSchema)
@blp.response(200, OrganizationSchema)
def update_organization(body, org_id: uuid.UUID):
    """Rename or (de)activate an organisation (the secretariat of its home municipality)."""
    return accounts.update_organization(accounts.get_visible_organization(current_user, org_id), body,
                                        actor=current_user)
