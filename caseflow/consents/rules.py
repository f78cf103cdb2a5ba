"""Recording the legal bases: consent (本人同意) and emergency access (break-glass)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import or_, select

from caseflow.access import trail
from caseflow.access.sharing import PURPOSE_OF_CONTEXT, Viewer, _cases_of_persons, case_is_visible
from caseflow.cases.models import WORKING_RELATIONS, Case, CaseInvolvement, Person
from caseflow.codes import rules as codes
from caseflow.consents.models import CHILD_CONSENT_AGE, Consent, ConsentCategory, ConsentRecipient, EmergencyAccess
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.jpdate import to_tokyo
from caseflow.organizations.models import ORG_KINDS, Organization

EMERGENCY_MIN_JUSTIFICATION = 20
EMERGENCY_MAX_HOURS = 72


def person_visible_to(viewer: Viewer, person_id: uuid.UUID) -> Person:
    """The person if the viewer's organisation collected it in the municipality the viewer acts in, or the viewer
    can see one of the person's cases (cases are bounded by their municipality); else 404."""
    s = db.session()
    person = s.get(Person, person_id)
    own = person is not None and person.collected_by_org_id == viewer.org_id and \
        person.municipality_id == viewer.municipality_id
    if person is not None and not own:
        cases = _cases_of_persons([person.id]).get(person.id, set())
        # keyed EXISTS probes for the person's few cases, not the viewer's whole visible set
        visible = cases and s.scalar(select(Case.id).where(Case.id.in_(cases), case_is_visible(viewer)).limit(1))
        if not visible:
            person = None
    if person is None:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    return person


# Involvements that mean the organisation works with the person (has met them): never a pending referral,
# a meeting seat or a break-glass access.
MET = WORKING_RELATIONS


def _met_cases(viewer: Viewer, person: Person) -> list[Case]:
    """The person's cases (in the viewer's municipality) on which the viewer's organisation works."""
    case_ids = _cases_of_persons([person.id]).get(person.id, set())
    if not case_ids:
        return []
    return list(db.session().scalars(
        select(Case).where(Case.id.in_(case_ids), Case.municipality_id == viewer.municipality_id,
                           select(CaseInvolvement.id).where(CaseInvolvement.case_id == Case.id,
                                                            CaseInvolvement.org_id == viewer.org_id,
                                                            CaseInvolvement.until.is_(None),
                                                            CaseInvolvement.relation.in_(MET)).exists())))


def _collected_here(viewer: Viewer, person: Person) -> bool:
    return person.collected_by_org_id == viewer.org_id and person.municipality_id == viewer.municipality_id


def check_purpose(purpose: str) -> None:
    """422 naming `purpose` unless it is on the consent_purpose list and the sharing engine reads for it
    (PURPOSE_OF_CONTEXT): a consent for any other purpose would be stored and disclose nothing."""
    codes.check("consent_purpose", "purpose", purpose)
    if purpose not in PURPOSE_OF_CONTEXT.values():
        raise validation_problem({"purpose": [
            f"この利用目的で共有される情報はありません。次のいずれかを指定してください: "
            f"{', '.join(PURPOSE_OF_CONTEXT.values())}"]})


SUPPORT_MEETING_PATH = ("本人の同意と保護者の同意の両方が得られない場合は、同意によらず、支援会議（社会福祉法第106条の6）"
                        "の議題にこのケースを載せ、守秘義務の誓約をした構成員の間でのみ情報を共有してください。")


def age_on(birth, on) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def child_consent_check(person: Person, data: dict) -> int | None:
    """The subject's age when the consent was obtained (None: birth date unknown), after the child rule: under
    CHILD_CONSENT_AGE, the child's own assent and a guardian's consent (a guardian's consent is also what
    given_by=representative records) are both needed; at or over it the child's own consent suffices. 422 naming
    the missing one, and the 支援会議 path, otherwise."""
    if person.birth_date is None:
        return None
    age = age_on(person.birth_date, to_tokyo(data["obtained_at"]).date())
    if age >= CHILD_CONSENT_AGE:
        if data.get("given_by", "self") == "self" and data.get("assent_by_subject") is False:
            raise validation_problem({"assent_by_subject": ["本人の同意として記録するには本人の意思が必要です。"]},
                                     detail=SUPPORT_MEETING_PATH)
        return age
    errors = {}
    if data.get("assent_by_subject") is not True:
        errors["assent_by_subject"] = [f"{CHILD_CONSENT_AGE}歳未満の本人（記録時{age}歳）の同意には、本人自身の"
                                       "意思（assent_by_subject: true）の記録が必要です。"]
    guardian = data.get("guardian_consent") is True or data.get("given_by") == "representative"
    if not guardian:
        errors["guardian_consent"] = [f"{CHILD_CONSENT_AGE}歳未満の本人の同意には、本人の意思に加えて保護者の同意"
                                      "（guardian_consent: true）が必要です。"]
    if errors:
        raise validation_problem(errors, detail=SUPPORT_MEETING_PATH)
    data["guardian_consent"] = True
    return age


def record_consent(data: dict, *, actor) -> Consent:
    """Record what the person said, by an organisation that has met them: the collector of the person's data,
    or an organisation working on one of the person's cases (owner, accepted referral, task). A consent that
    names the recording organisation (or its kind) needs evidence and is flagged for audit review."""
    s = db.session()
    viewer = Viewer.of(actor)
    person = person_visible_to(viewer, data["person_id"])
    met = _met_cases(viewer, person)
    if not met and not _collected_here(viewer, person):
        raise Problem(403, detail="同意の記録は、本人と接している組織（担当・受諾済みの紹介・タスク）のみ行えます。",
                      type_="forbidden")
    check_purpose(data["purpose"])
    now = utcnow()
    errors = {}
    if data["obtained_at"] > now:
        errors["obtained_at"] = ["未来の日時は指定できません。"]
    opened = min((c.opened_on for c in met), default=None)
    if opened is not None and to_tokyo(data["obtained_at"]).date() < opened:
        errors["obtained_at"] = [f"ケースの受付日（{opened.isoformat()}）より前の日時は指定できません。"]
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
    self_recipient = any(r.get("org_id") == actor.org_id or r.get("org_kind") == actor.org.kind for r in recipients)
    if self_recipient and not (data.get("form_reference") or data.get("obtained_place")):
        errors["form_reference"] = ["自組織を受領者に含む同意には、証跡（同意書の保管場所、または本人と会った場所）が必要です。"]
    if errors:
        raise validation_problem(errors)
    subject_age = child_consent_check(person, data)
    superseded = None
    if data.get("supersedes_id"):
        superseded = s.get(Consent, data["supersedes_id"])
        if superseded is None or superseded.person_id != person.id:
            raise validation_problem({"supersedes_id": ["同じ人物の同意記録を指定してください。"]})
    consent = Consent(
        person_id=person.id, municipality_id=viewer.municipality_id, given_by=data.get("given_by", "self"),
        representative_relationship=data.get("representative_relationship"), purpose=data["purpose"],
        method=data["method"], obtained_by_user_id=actor.id, obtained_by_org_id=actor.org_id,
        obtained_at=data["obtained_at"], valid_from=valid_from, valid_until=data.get("valid_until"),
        form_reference=data.get("form_reference"), obtained_place=data.get("obtained_place"),
        self_recipient=self_recipient, supersedes_id=superseded.id if superseded else None,
        subject_age=subject_age, assent_by_subject=data.get("assent_by_subject"),
        guardian_consent=data.get("guardian_consent"),
        recipients=[ConsentRecipient(org_id=r.get("org_id"), org_kind=r.get("org_kind")) for r in recipients],
        category_rows=[ConsentCategory(category=c) for c in sorted(set(data["categories"]))],
    )
    s.add(consent)
    if superseded is not None and superseded.revoked_at is None:
        _close(superseded, actor, "新しい同意記録により置き換え", now)
    s.flush()
    trail.record(s, action="consents.create", resource_type="consents", resource_id=consent.id, actor=actor,
                 flagged=self_recipient,
                 detail={"person": str(person.id), "categories": consent.categories, "purpose": consent.purpose,
                         "self_recipient": self_recipient,
                         "supersedes": str(superseded.id) if superseded else None})
    return consent


def _close(consent: Consent, actor, reason: str, now) -> None:
    consent.revoked_at = now
    consent.revoked_by_user_id = actor.id
    consent.revoked_by_org_id = actor.org_id
    consent.revoke_reason = reason


def revoke_consent(consent: Consent, reason: str, *, actor) -> Consent:
    """Revocation stops disclosure at once. The recorder, or an organisation that has met the person, may
    revoke (it only restricts); by another organisation than the recorder it is flagged and shown to the
    recorder (`GET /consents?revoked_by_other_org=true`)."""
    viewer = Viewer.of(actor)
    person = person_visible_to(viewer, consent.person_id)
    if consent.obtained_by_org_id != actor.org_id and not _met_cases(viewer, person) and \
            not _collected_here(viewer, person):
        raise Problem(403, detail="同意の撤回は、記録した組織か本人と接している組織のみ行えます。", type_="forbidden")
    if consent.revoked_at is not None:
        raise Problem(409, detail="この同意はすでに撤回されています。", type_="already-revoked")
    _close(consent, actor, reason, utcnow())
    by_other = consent.obtained_by_org_id != actor.org_id
    trail.record(db.session(), action="consents.revoke", resource_type="consents", resource_id=consent.id,
                 actor=actor, flagged=by_other,
                 detail={"person": str(consent.person_id), "recorder_org_id": str(consent.obtained_by_org_id),
                         "by_other_org": by_other})
    return consent


def visible_consents(viewer: Viewer, person_id: uuid.UUID | None, *, revoked_by_other_org: bool = False):
    """Consent records of persons the viewer can see (the records hold no personal data themselves); without a
    person, those the viewer's organisation recorded in the municipality it acts in."""
    stmt = select(Consent).order_by(Consent.obtained_at.desc(), Consent.id)
    if person_id:
        person_visible_to(viewer, person_id)
        stmt = stmt.where(Consent.person_id == person_id)
    else:
        stmt = stmt.where(Consent.obtained_by_org_id == viewer.org_id, Consent.municipality_id == viewer.municipality_id)
    if revoked_by_other_org:
        stmt = stmt.where(Consent.obtained_by_org_id == viewer.org_id, Consent.revoked_by_org_id.is_not(None),
                          Consent.revoked_by_org_id != viewer.org_id)
    return stmt


def get_consent(viewer: Viewer, consent_id: uuid.UUID) -> Consent:
    consent = db.session().get(Consent, consent_id)
    if consent is None:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    if consent.obtained_by_org_id != viewer.org_id or consent.municipality_id != viewer.municipality_id:
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
    trail.record(s, action="emergency.open", resource_type="emergency_accesses", resource_id=access.id, actor=actor,
                 legal_basis=f"emergency:{access.id}", flagged=True,
                 detail={"case": str(case.id), "person": str(person_id), "hours": hours})
    return access


def close_emergency_access(access: EmergencyAccess, *, actor) -> EmergencyAccess:
    if access.closed_at is None:
        access.closed_at = utcnow()
        trail.record(db.session(), action="emergency.close", resource_type="emergency_accesses",
                     resource_id=access.id, actor=actor, legal_basis=f"emergency:{access.id}", flagged=True)
    return access


def emergency_accesses_for(viewer: Viewer, *, oversee: bool, only_open: bool = True):
    """The viewer's own accesses; with `oversee` (supervisors), also those to its organisation's cases."""
    now = utcnow()
    cond = EmergencyAccess.user_id == viewer.user_id
    if oversee:
        cond = or_(cond, EmergencyAccess.case_id.in_(select(Case.id).where(Case.owner_org_id == viewer.org_id)))
    in_municipality = select(Case.id).where(Case.id == EmergencyAccess.case_id,
                                            Case.municipality_id == viewer.municipality_id).exists()
    stmt = select(EmergencyAccess).where(cond, in_municipality)
    if only_open:
        stmt = stmt.where(EmergencyAccess.closed_at.is_(None), EmergencyAccess.expires_at > now)
    return stmt.order_by(EmergencyAccess.opened_at.desc(), EmergencyAccess.id)
