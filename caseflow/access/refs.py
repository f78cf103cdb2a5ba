"""The reference shapes of caseflow.core.refs, built from the database: columns only, one query for a page."""
from __future__ import annotations

import uuid

from marshmallow import fields, pre_dump
from sqlalchemy import select

from caseflow.accounts.models import User
from caseflow.core import db
from caseflow.core.refs import UserRefSchema
from caseflow.organizations.models import Organization

ORG_COLUMNS = (Organization.id, Organization.code, Organization.name, Organization.kind)
USER_COLUMNS = (User.id, User.display_name, User.org_id, User.active, Organization.code.label("org_code"),
                Organization.name.label("org_name"), Organization.kind.label("org_kind"))


def org_ref(org) -> dict | None:
    """An organisation (model or row with its columns) as a reference."""
    return None if org is None else {"id": org.id, "code": org.code, "name": org.name, "kind": org.kind}


def user_ref(user) -> dict | None:
    """A user (model, whose organisation is loaded with it, or a row of USER_COLUMNS) as a reference: who acted,
    with display name and organisation."""
    if user is None:
        return None
    if isinstance(user, User):
        org = org_ref(user.org)
    else:
        org = {"id": user.org_id, "code": user.org_code, "name": user.org_name, "kind": user.org_kind}
    return {"id": user.id, "display_name": user.display_name, "org_id": user.org_id, "organization": org,
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
    return {r.id: user_ref(r) for r in db.session().execute(
        select(*USER_COLUMNS).join(Organization, Organization.id == User.org_id).where(User.id.in_(ids)))}


def name_actors(records, **attrs: str) -> list:
    """Give each record (a model) the reference of the users it names: `name_actors(changes,
    actor="actor_user_id")` sets `change.actor` to that user's reference (display name and organisation) or None.
    One query for all records; the records are returned."""
    records = list(records)
    users = user_refs(getattr(r, attr) for r in records for attr in attrs.values())
    for r in records:
        for key, attr in attrs.items():
            setattr(r, key, users.get(getattr(r, attr)))
    return records


def actor_field(description: str | None = None) -> fields.Nested:
    """The output field of a named actor (filled by ActorsNamed)."""
    return fields.Nested(UserRefSchema, allow_none=True, dump_only=True,
                         metadata={"description": description or "the user's display name and organisation"})


class ActorsNamed:
    """Mixin for an output schema whose records name users by id. `ACTORS = {"requested_by":
    "requested_by_user_id"}` with `requested_by = actor_field()`: before one record or a whole page is dumped,
    the users it names are looked up in one query and dumped as references (display name and organisation), so a
    client needs no read of users to say who acted."""

    ACTORS: dict[str, str] = {}

    @pre_dump(pass_collection=True)
    def _name_actors(self, data, many, **_kwargs):
        records = list(data) if many else [data]
        users = user_refs(_value(r, attr) for r in records for attr in self.ACTORS.values())
        named = []
        for r in records:
            refs = {key: users.get(_value(r, attr)) for key, attr in self.ACTORS.items()}
            named.append({**r, **refs} if isinstance(r, dict) else _Named(r, refs))
        return named if many else named[0]


def _value(record, attr: str):
    return record.get(attr) if isinstance(record, dict) else getattr(record, attr, None)


class _Named:
    """A record seen with its actors' references (the record itself, often a mapped model, is left untouched)."""

    __slots__ = ("_record", "_refs")

    def __init__(self, record, refs: dict):
        self._record, self._refs = record, refs

    def __getattr__(self, name):
        refs = object.__getattribute__(self, "_refs")
        return refs[name] if name in refs else getattr(object.__getattribute__(self, "_record"), name)
