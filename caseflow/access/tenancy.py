"""Municipalities (自治体) as tenants: who belongs where, and in which municipality a request acts.

Every organisation has a home municipality. It takes part in another municipality's platform only through a
membership that municipality's secretariat grants (a prefecture-wide NPO serving three cities). A request acts
in exactly one municipality -- the caller's home, or one it is a member of, chosen with the
`X-Caseflow-Municipality` header (a municipality code) -- and everything it reads or writes is bounded by
that municipality in SQL: cases, households, persons, meetings, code lists, the directory, reports,
follow-up lists and the audit trail. Its audit events carry that municipality.

Who administers whom:
* the platform operator (the `caseflow` CLI) creates municipalities and names their secretariat;
* a municipality's secretariat (users with the `secretariat` role in the secretariat organisation) creates
  organisations there, grants and ends memberships, and manages the users of its organisations;
* an organisation's `admin` manages its own organisation's users (see caseflow.accounts.rules).
"""
from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.sql import ColumnElement, Select

from caseflow.core import db
from caseflow.core.errors import validation_problem
from caseflow.organizations.models import Municipality, MunicipalityMembership, Organization

HEADER = "X-Caseflow-Municipality"
NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


# --- membership, in SQL -------------------------------------------------------------------------

def live_membership(org_id, municipality_id) -> ColumnElement[bool]:
    """SQL: a live membership of the organisation (a column or value) in the municipality."""
    return (select(MunicipalityMembership.id)
            .where(MunicipalityMembership.org_id == org_id, MunicipalityMembership.municipality_id == municipality_id,
                   MunicipalityMembership.ended_at.is_(None))
            .exists())


def org_is_member(municipality_id, org=Organization) -> ColumnElement[bool]:
    """SQL, correlated to `org` (the Organization entity or an alias): it belongs to the municipality, at
    home or through a live membership."""
    return or_(org.municipality_id == municipality_id, live_membership(org.id, municipality_id))


def member_org_ids(municipality_id) -> Select:
    """Ids of the organisations that belong to the municipality (home or membership)."""
    return select(Organization.id).where(org_is_member(municipality_id))


def is_member(org_id: uuid.UUID, municipality_id: uuid.UUID) -> bool:
    return db.session().scalar(
        select(Organization.id).where(Organization.id == org_id, org_is_member(municipality_id))) is not None


def municipalities_of(org: Organization) -> list[Municipality]:
    """The organisation's home municipality first, then those it is a member of (by code)."""
    s = db.session()
    others = s.scalars(
        select(Municipality).join(MunicipalityMembership, and_(MunicipalityMembership.municipality_id == Municipality.id,
                                                               MunicipalityMembership.org_id == org.id,
                                                               MunicipalityMembership.ended_at.is_(None)))
        .where(Municipality.id != org.municipality_id).order_by(Municipality.code)).all()
    return [s.get(Municipality, org.municipality_id), *others]


# --- the acting municipality of a request ----------------------------------------------------------

def choose_acting(user, requested_code: str | None) -> uuid.UUID | None:
    """The municipality the user's request acts in: the requested one when the user's organisation belongs to
    it, the home municipality when none is requested; None when the request names one it does not belong to
    (the caller refuses it)."""
    home = user.org.municipality_id
    if not requested_code:
        return home
    m = db.session().scalar(select(Municipality).where(Municipality.code == requested_code.strip().lower()))
    if m is None or not m.active:
        return None
    if m.id == home or is_member(user.org_id, m.id):
        return m.id
    return None


def administered_municipality_id(user) -> uuid.UUID | None:
    """The municipality a `secretariat` user administers: the acting one, when the user's organisation is its
    secretariat. None for everyone else."""
    if "secretariat" not in user.roles:
        return None
    m = db.session().get(Municipality, user.municipality_id)
    return m.id if m is not None and m.secretariat_org_id == user.org_id else None


# --- the operator's and the secretariat's acts -----------------------------------------------------


def get_by_code(code: str, field: str = "municipality") -> Municipality:
    m = db.session().scalar(select(Municipality).where(Municipality.code == (code or "").strip().lower()))
    if m is None:
        raise validation_problem({field: [f"自治体コード {code} は登録されていません。"]})
    return m
