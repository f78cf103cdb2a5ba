from __future__ import annotations

import uuid

from flask_login import current_user
from sqlalchemy import or_

from caseflow.access import authz, tenancy
from caseflow.access.authz import requires
from caseflow.access.requests import etag, require_if_match
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.http import accepts_upload
from caseflow.core.pagination import paginate
from caseflow.core.schemas import EmptySchema
from caseflow.core.text import like_pattern
from caseflow.organizations import directory, directory_import
from caseflow.organizations import rules as org_rules
from caseflow.organizations.models import DirectoryEntry, MunicipalityMembership, Organization
from caseflow.organizations.schemas import (
    DirectoryEntryInSchema,
    DirectoryEntrySchema,
    DirectoryImportArgs,
    DirectoryImportFileSchema,
    DirectoryImportReportSchema,
    DirectoryPageSchema,
    DirectoryQuerySchema,
    MembershipCreateSchema,
    MembershipPage,
    MembershipQuerySchema,
    MembershipSchema,
    MunicipalitySchema,
    OrganizationCreateSchema,
    OrganizationPage,
    OrganizationQuerySchema,
    OrganizationSchema,
    OrganizationUpdateSchema,
)

blp = Blueprint("organizations", __name__, url_prefix="/api/v1/organizations",
                description="Organisations of the municipality's platform (departments, 社協, NPOs …)")


@blp.route("")
@requires("organizations", "read")
@blp.arguments(OrganizationQuerySchema, location="query")
@blp.response(200, OrganizationPage)
def list_organizations(args):
    """The organisations of the municipality you act in (at home there, or members), by code."""
    stmt = org_rules.organizations_query(current_user)
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
    return org_rules.create_organization_by(current_user, code=body["code"], name=body["name"], kind=body["kind"],
                                           parent_code=body.get("parent_code"))


@blp.route("/<uuid:org_id>")
@requires("organizations", "read")
@blp.response(200, OrganizationSchema)
def get_organization(org_id: uuid.UUID):
    """One organisation of the municipality you act in."""
    return org_rules.get_visible_organization(current_user, org_id)


@blp.route("/<uuid:org_id>", methods=["PATCH"])
@requires("organizations", "update")
@blp.arguments(OrganizationUpdateSchema)
@blp.response(200, OrganizationSchema)
def update_organization(body, org_id: uuid.UUID):
    """Rename or (de)activate an organisation (the secretariat of its home municipality)."""
    return org_rules.update_organization(org_rules.get_visible_organization(current_user, org_id), body,
                                        actor=current_user)


municipalities_blp = Blueprint("municipalities", __name__, url_prefix="/api/v1/municipalities",
                description="Municipalities (自治体, the tenants) and the memberships of organisations from elsewhere")


@municipalities_blp.route("")
@requires("account", "read")
@municipalities_blp.response(200, MunicipalitySchema(many=True))
def list_municipalities():
    """Where your organisation may act: its home municipality first, then those it is a member of."""
    return tenancy.municipalities_of(current_user.org)


def _administered(municipality_id: uuid.UUID):
    """The municipality, when the caller administers it as its secretariat; 404 otherwise."""
    if tenancy.administered_municipality_id(current_user) != municipality_id:
        raise Problem(404, detail=tenancy.NOT_FOUND)
    return org_rules.get_municipality(municipality_id)


@municipalities_blp.route("/<uuid:municipality_id>/memberships")
@requires("memberships", "manage")
@municipalities_blp.arguments(MembershipQuerySchema, location="query")
@municipalities_blp.response(200, MembershipPage)
def list_memberships(args, municipality_id):
    """Organisations from other municipalities taking part in this one (its secretariat)."""
    m = _administered(municipality_id)
    return paginate(org_rules.memberships_query(m.id, include_ended=args["include_ended"]), args["limit"],
                    args["offset"])


@municipalities_blp.route("/<uuid:municipality_id>/memberships", methods=["POST"])
@requires("memberships", "manage")
@municipalities_blp.arguments(MembershipCreateSchema)
@municipalities_blp.response(201, MembershipSchema)
def grant_membership(body, municipality_id):
    """Let an organisation at home elsewhere take part in this municipality's platform."""
    m = _administered(municipality_id)
    org = db.session().get(Organization, body["org_id"])
    if org is None:
        raise validation_problem({"org_id": ["組織が見つかりません。"]})
    return org_rules.grant_membership(m, org, reason=body.get("reason"), actor=current_user)


@municipalities_blp.route("/<uuid:municipality_id>/memberships/<uuid:membership_id>/end", methods=["POST"])
@requires("memberships", "manage")
@municipalities_blp.arguments(EmptySchema, required=False)
@municipalities_blp.response(200, MembershipSchema)
def end_membership(_body, municipality_id, membership_id):
    """End a membership: the organisation stops seeing anything of this municipality at once."""
    m = _administered(municipality_id)
    ms = db.session().get(MunicipalityMembership, membership_id)
    if ms is None or ms.municipality_id != m.id:
        raise Problem(404, detail=tenancy.NOT_FOUND)
    return org_rules.end_membership(ms, actor=current_user)


# Under /organizations: the directory is the public face of the organisations (no personal data), read
# with the same permission as the organisation list.
directory_blp = Blueprint("directory", __name__, url_prefix="/api/v1/organizations",
                description="Organisation directory: fields of activity, languages, LGBTQ+, service area, "
                            "eligibility, capacity (no personal data; every signed-in user may search it)")


@directory_blp.route("/directory")
@requires("organizations", "read")
@directory_blp.arguments(DirectoryQuerySchema, location="query")
@directory_blp.response(200, DirectoryPageSchema)
def search_directory(args):
    """Search the directory of active organisations (ordered by organisation code).

    Filters combine with AND; a filter given several times (`field=hikikomori&field=h8050`) matches any
    of its values. `field` (活動分野, issue codes), `language` (外国語対応), `district` (対応地域), `kind`,
    `capacity` (accepting/full/paused), `lgbtq`, `takes_consultations`, `joint_support` (true/false),
    `age` (the organisation's eligible age range includes it; no range = any age), `q` (text in the name,
    code, description or eligibility)."""
    page = paginate(directory.search_query(args, current_user.municipality_id), args["limit"], args["offset"],
                    scalars=False)
    return {**page, "items": [directory.present_entry(entry, org) for entry, org in page["items"]]}


@directory_blp.route("/<uuid:org_id>/directory")
@requires("organizations", "read")
@directory_blp.response(200, DirectoryEntrySchema)
def get_directory_entry(org_id):
    """One organisation's entry.

    The ETag goes back as If-Match when editing. 404 when the organisation has not registered an entry
    yet (`type` ends in `no-directory-entry`)."""
    entry, org = directory.get_entry(org_id, current_user.municipality_id)
    return directory.present_entry(entry, org), 200, etag(entry.version)


@directory_blp.route("/<uuid:org_id>/directory", methods=["PUT"])
@requires("directory", "update")
@directory_blp.arguments(DirectoryEntryInSchema)
@directory_blp.response(200, DirectoryEntrySchema)
@directory_blp.alt_response(201, schema=DirectoryEntrySchema, description="the entry was created")
def put_directory_entry(body, org_id):
    """Create or replace an organisation's entry.

    Omitted fields take their defaults: empty lists, false, null, `takes_consultations` true, `capacity`
    accepting.

    Staff of an organisation edit their own organisation's entry; a municipality's secretariat edits the
    entries of the organisations at home there; anyone else gets 403. Replacing an existing entry needs
    `If-Match` with the ETag you read (428 without it, 412 when someone changed it meanwhile). Codes in
    `fields` and `service_area` must be active codes of the issue_category and district lists."""
    org = directory.get_organization(org_id, current_user.municipality_id)
    if not directory.may_edit(org, current_user):
        raise authz.deny("update", "directory", org.id)
    existing = db.session().get(DirectoryEntry, org.id)
    if existing is not None:
        require_if_match(existing.version)
    entry, created = directory.save_entry(org, body, actor=current_user)
    return directory.present_entry(entry, org), 201 if created else 200, etag(entry.version)


@directory_blp.route("/directory-import", methods=["POST"])
@accepts_upload
@requires("directory", "import")
@directory_blp.arguments(DirectoryImportArgs, location="query")
@directory_blp.arguments(DirectoryImportFileSchema, location="files")
@directory_blp.response(200, DirectoryImportReportSchema)
def import_directory(args, files):
    """Import the municipality's directory from the file it keeps (CSV or .xlsx; its secretariat only).

    Upload the file as multipart/form-data field `file`; `dry_run=true` checks every row and stores nothing;
    `mode=all_or_nothing` (default) stores nothing when any row is bad (422 listing every bad row by line and
    column, in Japanese), `mode=good_rows` stores the good rows and lists the bad ones in the 200 report.
    Organisations are matched by name within the municipality: re-importing the same file changes nothing.
    The format is in docs/directory-import.md."""
    municipality = directory_import.municipality_of(current_user)
    report = directory_import.import_directory(files["file"].read(), municipality, actor=current_user,
                                               dry_run=args["dry_run"], mode=args["mode"])
    rows = [{"row": line, "column": column, "message": message} for line, column, message in report.errors]
    if rows and args["mode"] == "all_or_nothing":
        raise Problem(422, detail=f"{len(rows)} 件の誤りがあるため、何も登録していません。", type_="import-rows",
                      errors={f"{r['row']}行目 {r['column']}": [r["message"]] for r in rows}, rows=rows)
    return {"dry_run": args["dry_run"], "mode": args["mode"], "stored": report.stored, "errors": rows,
            "messages": report.error_lines(), **{k: report.outcomes[k] for k in ("created", "updated", "unchanged")}}
