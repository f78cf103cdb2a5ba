"""The organisation directory (支援団体一覧): search it, read an entry, edit your own."""
from __future__ import annotations

from flask_login import current_user

from caseflow.access import authz
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.access.requests import etag, require_if_match
from caseflow.access.authz import requires
from caseflow.organizations import directory
from caseflow.referrals.models import DirectoryEntry
from caseflow.core.pagination import paginate
from caseflow.referrals.schemas import DirectoryEntryInSchema, DirectoryEntrySchema, DirectoryPageSchema, \
    DirectoryQuerySchema

# Under /organizations: the directory is the public face of the organisations (no personal data), read
# with the same permission as the organisation list.
blp = Blueprint("directory", __name__, url_prefix="/api/v1/organizations",
                description="Organisation directory: fields of activity, languages, LGBTQ+, service area, "
                            "eligibility, capacity (no personal data; every signed-in user may search it)")


@blp.route("/directory")
@requires("organizations", "read")
@blp.arguments(DirectoryQuerySchema, location="query")
@blp.response(200, DirectoryPageSchema)
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


@blp.route("/<uuid:org_id>/directory")
@requires("organizations", "read")
@blp.response(200, DirectoryEntrySchema)
def get_directory_entry(org_id):
    """One organisation's entry.

    The ETag goes back as If-Match when editing. 404 when the organisation has not registered an entry
    yet (`type` ends in `no-directory-entry`)."""
    entry, org = directory.get_entry(org_id, current_user.municipality_id)
    return directory.present_entry(entry, org), 200, etag(entry.version)


@blp.route("/<uuid:org_id>/directory", methods=["PUT"])
@requires("directory", "update")
@blp.arguments(DirectoryEntryInSchema)
@blp.response(200, DirectoryEntrySchema)
@blp.alt_response(201, schema=DirectoryEntrySchema, description="the entry was created")
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
