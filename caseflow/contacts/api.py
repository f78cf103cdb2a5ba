from __future__ import annotations

from flask_login import current_user

from caseflow.access.authz import requires
from caseflow.access.disclosure import DisclosureLog
from caseflow.access.requests import record_read, viewer
from caseflow.contacts import rules as contact_domain
from caseflow.contacts.schemas import (
    ContactDetailSchema,
    ContactInSchema,
    ContactLinkInSchema,
    ContactPageSchema,
    ContactQuerySchema,
    ContactTouchSchema,
    ContactUnlinkSchema,
)
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.pagination import paginate

blp = Blueprint("contacts", __name__, url_prefix="/api/v1/contacts",
                description="Contacts (相談者): pseudonymous consultations and their audited link to a person")


def _detail(contact, action="contacts.read"):
    v = viewer()
    log = DisclosureLog()
    data = contact_domain.present(v, [contact], log, with_links=True)[0]
    record_read(action, "contacts", contact.id, log, detail={"contact_id": str(contact.id)})
    return data


@blp.route("")
@requires("contacts", "read")
@blp.arguments(ContactQuerySchema, location="query")
@blp.response(200, ContactPageSchema)
def list_contacts(args):
    """Your organisation's contacts in this municipality, most recent contact first."""
    v = viewer()
    stmt = contact_domain.visible_contacts(v, linked=args.get("linked"), channel=args.get("channel"))
    page = paginate(stmt, args["limit"], args["offset"])
    log = DisclosureLog()
    items = contact_domain.present(v, page["items"], log)
    record_read("contacts.list", "contacts", None, log, detail={"count": len(items)})
    return {**page, "items": items}


@blp.route("", methods=["POST"])
@requires("contacts", "create")
@blp.arguments(ContactInSchema)
@blp.response(201, ContactDetailSchema)
def create_contact(body):
    """Record a contact (相談者) by its channel and pseudonymous handle."""
    contact = contact_domain.create_contact(body, actor=current_user)
    return _detail(contact)


@blp.route("/<uuid:contact_id>")
@requires("contacts", "read")
@blp.response(200, ContactDetailSchema)
def get_contact(contact_id):
    """One contact with its cases and its link history."""
    return _detail(contact_domain.get_contact(viewer(), contact_id))


@blp.route("/<uuid:contact_id>/further-contacts", methods=["POST"])
@requires("contacts", "update")
@blp.arguments(ContactTouchSchema)
@blp.response(200, ContactDetailSchema)
def record_contact(body, contact_id):
    """Record a further contact: the last contact time moves."""
    contact = contact_domain.get_contact(viewer(), contact_id)
    contact_domain.record_contact(contact, body.get("at"), actor=current_user)
    return _detail(contact)


@blp.route("/<uuid:contact_id>/link", methods=["POST"])
@requires("contacts", "link")
@blp.arguments(ContactLinkInSchema)
@blp.response(200, ContactDetailSchema)
def link_contact(body, contact_id):
    """Link the contact to a person (audited, with a reason); its cases gain the person; 409 when linked."""
    contact = contact_domain.get_contact(viewer(), contact_id)
    contact_domain.link(contact, body["person_id"], body["reason"], actor=current_user)
    db.session().flush()
    return _detail(contact)


@blp.route("/<uuid:contact_id>/unlink", methods=["POST"])
@requires("contacts", "link")
@blp.arguments(ContactUnlinkSchema)
@blp.response(200, ContactDetailSchema)
def unlink_contact(body, contact_id):
    """Undo the link (with a reason): the contact and its cases are anonymous again; the history stays."""
    contact = contact_domain.get_contact(viewer(), contact_id)
    contact_domain.unlink(contact, body["reason"], actor=current_user)
    db.session().flush()
    return _detail(contact)
