"""The reference shapes of caseflow.core.refs, built from the database: columns only, one query for a page."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from caseflow.accounts.models import User
from caseflow.core import db
from caseflow.organizations.models import Organization

ORG_COLUMNS = (Organization.id, Organization.code, Organization.name, Organization.kind)
USER_COLUMNS = (User.id, User.display_name, User.org_id, User.active)


def org_ref(org) -> dict | None:
    """An organisation (model or row with its columns) as a reference."""
    return None if org is None else {"id": org.id, "code": org.code, "name": org.name, "kind": org.kind}


def user_ref(user) -> dict | None:
    return None if user is None else {"id": user.id, "display_name": user.display_name, "org_id": user.org_id,
                                      "active": user.active}


def org_refs(org_ids) -> dict[uuid.UUID, dict]:
    """id -> reference, for every id given (None and repeats ignored)."""
    ids = {i for i in org_ids if i}
    if not ids:
        return {}
    return {r.id: org_ref(r) for r in db.session().execute(select(*ORG_COLUMNS).where(Organization.id.in_(ids)))}


def user_refs(user_ids) -> dict[uuid.UUID, dict]:
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return {r.id: user_ref(r) for r in db.session().execute(select(*USER_COLUMNS).where(User.id.in_(ids)))}
