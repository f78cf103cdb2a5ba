from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy import select, update
from sqlalchemy.sql import Select

from caseflow.access import tenancy, trail
from caseflow.access.tenancy import get_by_code  # noqa: F401  (organisations' public name for it)
from caseflow.cases.models import Case, CaseInvolvement
from caseflow.codes.models import ManagedCode
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.text import unsafe_characters
from caseflow.organizations.models import ORG_KINDS, Municipality, MunicipalityMembership, Organization

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


def create_organization(*, code: str, name: str, kind: str, municipality: Municipality,
                        parent_code: str | None = None, actor=None) -> Organization:
    s = db.session()
    errors = {}
    if not CODE_RE.match(code or ""):
        errors["code"] = ["英小文字・数字・ハイフンで2〜64文字にしてください。"]
    if kind not in ORG_KINDS:
        errors["kind"] = [f"次のいずれかを指定してください: {', '.join(ORG_KINDS)}"]
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        errors["name"] = ["名称は必須です。"]
    elif unsafe_characters(name):
        errors["name"] = [unsafe_characters(name)]
    parent = None
    if parent_code:
        parent = s.scalar(select(Organization).where(Organization.code == parent_code,
                                                     Organization.municipality_id == municipality.id))
        if parent is None:
            errors["parent"] = ["指定された上位組織が見つかりません。"]
    if errors:
        raise validation_problem(errors)
    if s.scalar(select(Organization.id).where(Organization.code == code)):
        raise Problem(409, detail="このコードの組織はすでに登録されています。", type_="duplicate",
                      errors={"code": ["すでに使われています。"]})
    org = Organization(code=code, name=name, kind=kind, parent=parent, municipality_id=municipality.id)
    s.add(org)
    s.flush()
    trail.record(s, action="organizations.create", resource_type="organizations", resource_id=org.id,
                 actor=actor, municipality_id=municipality.id, detail={"code": code, "kind": kind})
    return org


def get_organization_by_code(code: str, field: str = "org") -> Organization:
    org = db.session().scalar(select(Organization).where(Organization.code == code))
    if org is None:
        raise validation_problem({field: [f"組織コード {code} は登録されていません。"]})
    return org


def organizations_query(actor) -> Select:
    """The organisations of the municipality the actor acts in (home or member), by code."""
    return (select(Organization).where(tenancy.org_is_member(actor.municipality_id))
            .order_by(Organization.code, Organization.id))


def get_visible_organization(actor, org_id: uuid.UUID) -> Organization:
    org = db.session().scalar(organizations_query(actor).where(Organization.id == org_id))
    if org is None:
        raise Problem(404, detail=NOT_FOUND)
    return org


def create_organization_by(actor, *, code: str, name: str, kind: str, parent_code: str | None) -> Organization:
    """The API form: a secretariat creates an organisation at home in the municipality it administers."""
    administered = tenancy.administered_municipality_id(actor)
    if administered is None:
        raise Problem(403, detail="組織の登録は自治体のプラットフォーム事務局のみ行えます。", type_="forbidden")
    return create_organization(code=code, name=name, kind=kind, parent_code=parent_code, actor=actor,
                               municipality=db.session().get(Municipality, administered))


def update_organization(org: Organization, changes: dict, *, actor) -> Organization:
    """Rename or (de)activate: the secretariat of the organisation's home municipality."""
    if org.municipality_id != tenancy.administered_municipality_id(actor):
        raise Problem(403, detail="組織の変更は、その組織が本拠とする自治体の事務局のみ行えます。", type_="forbidden")
    if changes.get("active") is False and org.id == actor.org_id:
        raise Problem(409, detail="自組織を無効にすることはできません。")
    for key, value in changes.items():
        setattr(org, key, value)
    trail.record(db.session(), action="organizations.update", resource_type="organizations", resource_id=org.id,
                 actor=actor, detail={"changed": sorted(changes)})
    return org


CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")


def get_municipality(municipality_id: uuid.UUID) -> Municipality:
    m = db.session().get(Municipality, municipality_id)
    if m is None:
        raise Problem(404, detail=NOT_FOUND)
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
