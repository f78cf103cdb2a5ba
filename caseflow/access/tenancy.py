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

import re
import uuid

from sqlalchemy import and_, or_, select, update
from sqlalchemy.sql import ColumnElement, Select

from caseflow.access import trail
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.cases.models import Case, CaseInvolvement
from caseflow.codes.models import ManagedCode
from caseflow.organizations.models import Municipality, MunicipalityMembership, Organization

HEADER = "X-Caseflow-Municipality"
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")
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


def get_municipality(municipality_id: uuid.UUID) -> Municipality:
    m = db.session().get(Municipality, municipality_id)
    if m is None:
        raise Problem(404, detail=NOT_FOUND)
    return m


def get_by_code(code: str, field: str = "municipality") -> Municipality:
    m = db.session().scalar(select(Municipality).where(Municipality.code == (code or "").strip().lower()))
    if m is None:
        raise validation_problem({field: [f"自治体コード {code} は登録されていません。"]})
    return m


def default_for_new_organization(code: str | None, *, echo=None) -> Municipality:
    """The municipality a new organisation joins (the CLI's rule, CONTRACT.md): the named one; without a name,
    the deployment's only municipality; on a database with none, a first one is created (and named)."""
    s = db.session()
    if code:
        return get_by_code(code)
    existing = s.scalars(select(Municipality).order_by(Municipality.code).limit(2)).all()
    if len(existing) == 1:
        return existing[0]
    if existing:
        raise validation_problem({"municipality": ["自治体が複数あります。--municipality で指定してください。"]})
    m = create_municipality(code="default", name="既定の自治体")
    if echo:
        echo(f"created municipality {m.code} ({m.name}); rename it with `caseflow municipalities rename`")
    return m


# --- the operator's and the secretariat's acts -----------------------------------------------------

def create_municipality(*, code: str, name: str, actor=None) -> Municipality:
    s = db.session()
    errors = {}
    code = (code or "").strip().lower()
    if not CODE_RE.match(code):
        errors["code"] = ["英小文字・数字・ハイフンで2〜32文字にしてください。"]
    name = (name or "").strip()
    if not name:
        errors["name"] = ["名称は必須です。"]
    if errors:
        raise validation_problem(errors)
    if s.scalar(select(Municipality.id).where(Municipality.code == code)):
        raise Problem(409, detail="このコードの自治体はすでに登録されています。", type_="duplicate",
                      errors={"code": ["すでに使われています。"]})
    m = Municipality(code=code, name=name)
    s.add(m)
    s.flush()
    trail.record(s, action="municipalities.create", resource_type="municipalities", resource_id=m.id, actor=actor,
                 municipality_id=m.id, detail={"code": code})
    return m


def rename_municipality(m: Municipality, *, code: str | None, name: str | None, actor=None) -> Municipality:
    s = db.session()
    if code and code != m.code:
        code = code.strip().lower()
        if not CODE_RE.match(code):
            raise validation_problem({"code": ["英小文字・数字・ハイフンで2〜32文字にしてください。"]})
        if s.scalar(select(Municipality.id).where(Municipality.code == code)):
            raise Problem(409, detail="このコードの自治体はすでに登録されています。", type_="duplicate",
                          errors={"code": ["すでに使われています。"]})
        # municipal code lists (districts) are keyed by the municipality's code
        s.execute(update(ManagedCode).where(ManagedCode.scope == m.code).values(scope=code)
                  .execution_options(synchronize_session=False))
        m.code = code
    if name:
        m.name = name.strip()
    trail.record(s, action="municipalities.update", resource_type="municipalities", resource_id=m.id, actor=actor,
                 municipality_id=m.id, detail={"code": m.code})
    return m


def set_secretariat(m: Municipality, org: Organization, *, actor=None) -> Municipality:
    """Name the organisation that runs the municipality's platform (operator only: the CLI)."""
    if org.municipality_id != m.id:
        raise validation_problem({"org": ["事務局は、その自治体を本拠とする組織から選んでください。"]})
    m.secretariat_org_id = org.id
    trail.record(db.session(), action="municipalities.secretariat", resource_type="municipalities", resource_id=m.id,
                 actor=actor, municipality_id=m.id, detail={"org": org.code})
    return m


def memberships_query(municipality_id: uuid.UUID, *, include_ended: bool = False) -> Select:
    stmt = select(MunicipalityMembership).where(MunicipalityMembership.municipality_id == municipality_id)
    if not include_ended:
        stmt = stmt.where(MunicipalityMembership.ended_at.is_(None))
    return stmt.order_by(MunicipalityMembership.granted_at.desc(), MunicipalityMembership.id)


def grant_membership(m: Municipality, org: Organization, *, reason: str | None, actor=None) -> MunicipalityMembership:
    """Let an organisation of another municipality take part in `m`'s platform."""
    s = db.session()
    if org.municipality_id == m.id:
        raise validation_problem({"org_id": ["この自治体を本拠とする組織には参加登録は不要です。"]})
    if not org.active:
        raise validation_problem({"org_id": ["現在利用されていない組織です。"]})
    if s.scalar(select(MunicipalityMembership.id).where(MunicipalityMembership.municipality_id == m.id,
                                                        MunicipalityMembership.org_id == org.id,
                                                        MunicipalityMembership.ended_at.is_(None))):
        raise Problem(409, detail="この組織はすでに参加しています。", type_="duplicate")
    ms = MunicipalityMembership(municipality_id=m.id, org_id=org.id, reason=reason,
                                granted_by_user_id=getattr(actor, "id", None))
    s.add(ms)
    s.flush()
    trail.record(s, action="memberships.grant", resource_type="municipality_memberships", resource_id=ms.id,
                 actor=actor, municipality_id=m.id, detail={"org": org.code})
    return ms


def end_membership(ms: MunicipalityMembership, *, actor=None) -> MunicipalityMembership:
    """End a membership: from the next request on, the organisation sees nothing of the municipality."""
    if ms.ended_at is not None:
        raise Problem(409, detail="この参加登録はすでに終了しています。", type_="already-ended")
    now = utcnow()
    ms.ended_at = now
    ms.ended_by_user_id = getattr(actor, "id", None)
    # Its work on the municipality's cases ends with it (history keeps the involvement with an end).
    db.session().execute(
        update(CaseInvolvement)
        .where(CaseInvolvement.org_id == ms.org_id, CaseInvolvement.until.is_(None),
               CaseInvolvement.case_id.in_(select(Case.id).where(Case.municipality_id == ms.municipality_id)))
        .values(until=now).execution_options(synchronize_session=False))
    trail.record(db.session(), action="memberships.end", resource_type="municipality_memberships", resource_id=ms.id,
                 actor=actor, municipality_id=ms.municipality_id, detail={"org_id": str(ms.org_id)})
    return ms
