"""Recording the legal bases: consent (本人同意) and emergency access (break-glass)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import or_, select

from caseflow import audit, db
from caseflow.db import utcnow
from caseflow.domain import codes
from caseflow.domain.sharing import Viewer, _cases_of_persons, case_is_visible
from caseflow.errors import Problem, validation_problem
from caseflow.models import (ORG_KINDS, Case, Consent, ConsentCategory, ConsentRecipient, EmergencyAccess,
                             Organization, Person)

EMERGENCY_MIN_JUSTIFICATION = 20
EMERGENCY_MAX_HOURS = 72


def person_visible_to(viewer: Viewer, person_id: uuid.UUID) -> Person:
    """The person if the viewer's organisation collected it or can see one of the person's cases; else 404."""
    s = db.session()
    person = s.get(Person, person_id)
    if person is not None and person.collected_by_org_id != viewer.org_id:
        cases = _cases_of_persons([person.id]).get(person.id, set())
        # keyed EXISTS probes for the person's few cases, not the viewer's whole visible set
        visible = cases and s.scalar(select(Case.id).where(Case.id.in_(cases), case_is_visible(viewer)).limit(1))
        if not visible:
            person = None
    if person is None:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    return person


def record_consent(data: dict, *, actor) -> Consent:
    s = db.session()
    viewer = Viewer.of(actor)
    person = person_visible_to(viewer, data["person_id"])
    codes.check("consent_purpose", "purpose", data["purpose"])
    now = utcnow()
    errors = {}
    if data["obtained_at"] > now:
        errors["obtained_at"] = ["未来の日時は指定できません。"]
    valid_from = data.get("valid_from") or data["obtained_at"]
    if data.get("valid_until") and data["valid_until"] <= valid_from:
        errors["valid_until"] = ["有効期限は開始日時より後にしてください。"]
    if data.get("given_by") == "representative" and not data.get("representative_relationship"):
        errors["representative_relationship"] = ["代理人による同意では続柄が必要です。"]
    recipients = data["recipients"]
    org_ids = {r["org_id"] for r in recipients if r.get("org_id")}
    if org_ids:
        found = set(s.scalars(select(Organization.id).where(Organization.id.in_(org_ids))))
        if found != org_ids:
            errors["recipients"] = ["登録されていない組織が含まれています。"]
    for r in recipients:
        if bool(r.get("org_id")) == bool(r.get("org_kind")):
            errors["recipients"] = ["受領者は org_id か org_kind のどちらか一方で指定してください。"]
        elif r.get("org_kind") and r["org_kind"] not in ORG_KINDS:
            errors["recipients"] = [f"未知の組織種別です: {r['org_kind']}"]
    if errors:
        raise validation_problem(errors)
    superseded = None
    if data.get("supersedes_id"):
        superseded = s.get(Consent, data["supersedes_id"])
        if superseded is None or superseded.person_id != person.id:
            raise validation_problem({"supersedes_id": ["同じ人物の同意記録を指定してください。"]})
    consent = Consent(
        person_id=person.id, given_by=data.get("given_by", "self"),
        representative_relationship=data.get("representative_relationship"), purpose=data["purpose"],
        method=data["method"], obtained_by_user_id=actor.id, obtained_by_org_id=actor.org_id,
        obtained_at=data["obtained_at"], valid_from=valid_from, valid_until=data.get("valid_until"),
        form_reference=data.get("form_reference"), supersedes_id=superseded.id if superseded else None,
        recipients=[ConsentRecipient(org_id=r.get("org_id"), org_kind=r.get("org_kind")) for r in recipients],
        category_rows=[ConsentCategory(category=c) for c in sorted(set(data["categories"]))],
    )
    s.add(consent)
    if superseded is not None and superseded.revoked_at is None:
        superseded.revoked_at = now
        superseded.revoked_by_user_id = actor.id
        superseded.revoke_reason = "新しい同意記録により置き換え"
    s.flush()
    audit.record(s, action="consents.create", resource_type="consents", resource_id=consent.id, actor=actor,
                 detail={"person": str(person.id), "categories": consent.categories,
                         "supersedes": str(superseded.id) if superseded else None})
    return consent


def revoke_consent(consent: Consent, reason: str, *, actor) -> Consent:
    if consent.revoked_at is not None:
        raise Problem(409, detail="この同意はすでに撤回されています。", type_="already-revoked")
    consent.revoked_at = utcnow()
    consent.revoked_by_user_id = actor.id
    consent.revoke_reason = reason
    audit.record(db.session(), action="consents.revoke", resource_type="consents", resource_id=consent.id,
                 actor=actor, detail={"person": str(consent.person_id)})
    return consent


def visible_consents(viewer: Viewer, person_id: uuid.UUID | None):
    """Consent records of persons the viewer can see (the records hold no personal data themselves)."""
    stmt = select(Consent).order_by(Consent.obtained_at.desc(), Consent.id)
    if person_id:
        person_visible_to(viewer, person_id)
        return stmt.where(Consent.person_id == person_id)
    return stmt.where(Consent.obtained_by_org_id == viewer.org_id)


def get_consent(viewer: Viewer, consent_id: uuid.UUID) -> Consent:
    consent = db.session().get(Consent, consent_id)
    if consent is None:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    if consent.obtained_by_org_id != viewer.org_id:
        person_visible_to(viewer, consent.person_id)
    return consent


def open_emergency_access(case: Case, person_id: uuid.UUID, justification: str, hours: int, *,
                          actor) -> EmergencyAccess:
    """Break-glass: time-boxed access to one person's data, always flagged for audit review."""
    s = db.session()
    justification = justification.strip()
    errors = {}
    if len(justification) < EMERGENCY_MIN_JUSTIFICATION:
        errors["justification"] = [f"緊急の理由を{EMERGENCY_MIN_JUSTIFICATION}文字以上で具体的に記載してください。"]
    if not 1 <= hours <= EMERGENCY_MAX_HOURS:
        errors["hours"] = [f"1〜{EMERGENCY_MAX_HOURS}時間で指定してください。"]
    if case.id not in _cases_of_persons([person_id]).get(person_id, set()):
        errors["person_id"] = ["このケースの人物を指定してください。"]
    if errors:
        raise validation_problem(errors)
    now = utcnow()
    access = EmergencyAccess(user_id=actor.id, org_id=actor.org_id, person_id=person_id, case_id=case.id,
                             justification=justification, opened_at=now, expires_at=now + timedelta(hours=hours))
    s.add(access)
    s.flush()
    audit.record(s, action="emergency.open", resource_type="emergency_accesses", resource_id=access.id, actor=actor,
                 legal_basis=f"emergency:{access.id}", flagged=True,
                 detail={"case": str(case.id), "person": str(person_id), "hours": hours})
    return access


def close_emergency_access(access: EmergencyAccess, *, actor) -> EmergencyAccess:
    if access.closed_at is None:
        access.closed_at = utcnow()
        audit.record(db.session(), action="emergency.close", resource_type="emergency_accesses",
                     resource_id=access.id, actor=actor, legal_basis=f"emergency:{access.id}", flagged=True)
    return access


def emergency_accesses_for(viewer: Viewer, *, oversee: bool, only_open: bool = True):
    """The viewer's own accesses; with `oversee` (supervisors), also those to its organisation's cases."""
    now = utcnow()
    cond = EmergencyAccess.user_id == viewer.user_id
    if oversee:
        cond = or_(cond, EmergencyAccess.case_id.in_(select(Case.id).where(Case.owner_org_id == viewer.org_id)))
    stmt = select(EmergencyAccess).where(cond)
    if only_open:
        stmt = stmt.where(EmergencyAccess.closed_at.is_(None), EmergencyAccess.expires_at > now)
    return stmt.order_by(EmergencyAccess.opened_at.desc(), EmergencyAccess.id)
