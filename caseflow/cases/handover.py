"""When personal data passes between organisations, stage by stage (熊本市's process table, seed 003).

The table below says, for each stage of the case process, which organisations typically join the case and on
which bases personal data may reach them. It adds no rule of its own: the bases are the sharing engine's
(caseflow.access.sharing: own collection, consent, 支援会議 and the statutory councils, emergency), which
decide the same way at every stage; what the stage changes is who is in the circle -- the receiver of a
referral at stage 2, the departments and agencies of the joint assessment at stage 3, the organisations given
roles (plan tasks) at stage 4.

`handover(case)` reports, for one case:

* `passed`: what has passed -- the disclosures of the household's personal data to organisations other than
  the one that collected it, read from the audit trail (organisation, basis, categories, the stage the case was
  in at the time, how often, first and last time);
* `organisations`: each organisation in the circle now, the categories the engine gives it today and on which
  basis (an organisation-level view: the 支援会議 basis reaches only the attendees who signed the pledge, so it
  is reported as available rather than given), what is still withheld and what would be needed;
* `next`: the next stage's rule and what it needs.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, select

from caseflow.access.sharing import PRECEDENCE, SHARING_MEETING_KINDS, Viewer, bases_for_persons
from caseflow.audit.models import AuditEvent, AuditSubject
from caseflow.cases.models import Case, CaseInvolvement, CaseStageChange, HouseholdMember, Person
from caseflow.consents.models import CATEGORIES
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember
from caseflow.organizations.models import Organization
from caseflow.referrals.models import Referral

# The bases on which personal data may pass to an organisation that did not collect it (sharing.PRECEDENCE
# without own collection, in the engine's order).
PASSING_BASES = tuple(b for b in PRECEDENCE if b != "own_collection")

STAGE_RULES: list[dict] = [
    {"stage": "intake", "step": 1, "label": "要支援者との初期接触",
     "recipients": "相談を受けた組織のみ（自ら収集した情報）",
     "passes": "他の組織には渡らない。ほかの組織に見えるのは事例番号・年代・地区・課題分類・段階（匿名化表示）だけ。",
     "bases": ["own_collection"], "needs": []},
    {"stage": "referral", "step": 2, "label": "初期対応／他機関紹介",
     "recipients": "紹介先の組織",
     "passes": "受諾前は匿名化表示と紹介の依頼文のみ。受諾後は、本人同意（宛先がその組織または組織種別、目的が支援調整、"
               "情報区分ごと）のある区分だけが渡る。",
     "bases": list(PASSING_BASES), "needs": ["consent"]},
    {"stage": "assessment", "step": 3, "label": "課題と対応策の詳細検討",
     "recipients": "合同アセスメントに加わる部署・機関",
     "passes": "本人同意のある区分、または支援会議（社会福祉法106条の6）・法定協議会の議題とされた事例について、"
               "構成機関の出席者で守秘義務の誓約をした者に限り、会議の共有期間中。重層的支援会議・ケース会議は同意による。",
     "bases": list(PASSING_BASES), "needs": ["consent", "support_meeting"]},
    {"stage": "support", "step": 4, "label": "役割分担・協働による支援の実施",
     "recipients": "役割（支援計画のタスク）を担う組織",
     "passes": "第3段階と同じ（本人同意、または支援会議の議題）。支援の結果はアセスメントに戻る。",
     "bases": list(PASSING_BASES), "needs": ["consent", "support_meeting"]},
    {"stage": "closed", "step": None, "label": "終結",
     "recipients": "なし",
     "passes": "新たには渡らない。記録は保存年限まで保持され、その後消去される。",
     "bases": [], "needs": []},
]
RULE_OF = {r["stage"]: r for r in STAGE_RULES}
NEXT_STAGE = {"intake": "referral", "referral": "assessment", "assessment": "support", "support": "closed"}
NOBODY = uuid.UUID(int=0)  # an organisation-level viewer: no user, so no pledge and no break-glass of its own


def _persons(case: Case) -> dict[uuid.UUID, uuid.UUID]:
    """person id -> collecting organisation, for the primary person and the current household members."""
    s = db.session()
    ids = {case.primary_person_id} if case.primary_person_id else set()
    if case.household_id:
        ids |= set(s.scalars(select(HouseholdMember.person_id).where(
            HouseholdMember.household_id == case.household_id, HouseholdMember.until.is_(None))))
    if not ids:
        return {}
    return dict(s.execute(select(Person.id, Person.collected_by_org_id).where(Person.id.in_(ids))).all())


def _stage_at(changes: list[tuple[datetime, str]], at: datetime) -> str:
    stage = "intake"
    for when, to_stage in changes:
        if when <= at:
            stage = to_stage
    return stage


def _passed(case: Case, persons: dict[uuid.UUID, uuid.UUID], orgs: dict) -> list[dict]:
    s = db.session()
    if not persons:
        return []
    changes = [(at, to) for at, to in s.execute(select(CaseStageChange.at, CaseStageChange.to_stage).where(
        CaseStageChange.case_id == case.id).order_by(CaseStageChange.at))]
    rows = s.execute(
        select(AuditEvent.actor_org_id, AuditEvent.occurred_at, AuditSubject.person_id, AuditSubject.basis,
               AuditSubject.categories)
        .join(AuditSubject, AuditSubject.event_seq == AuditEvent.seq)
        .where(AuditSubject.person_id.in_(list(persons)), AuditEvent.municipality_id == case.municipality_id,
               AuditEvent.outcome == "allowed", AuditEvent.actor_org_id.is_not(None))
        .order_by(AuditEvent.seq)).all()
    grouped: dict[tuple, dict] = {}
    for org_id, at, person_id, basis, categories in rows:
        if org_id == persons[person_id] or basis == "own_collection":
            continue
        kind = basis.split(":", 1)[0]
        key = (org_id, kind, _stage_at(changes, at))
        g = grouped.setdefault(key, {"org_id": org_id, "basis": kind, "stage": key[2], "categories": set(),
                                     "times": 0, "first_at": at, "last_at": at})
        g["categories"] |= {c for c in (categories or "").split(",") if c}
        g["times"] += 1
        g["last_at"] = at
    out = []
    for g in grouped.values():
        out.append({**g, "org": orgs.get(g["org_id"]), "categories": sorted(g["categories"])})
    return sorted(out, key=lambda g: (g["first_at"], g["basis"]))


def _circle(case: Case, now: datetime) -> dict[uuid.UUID, set[str]]:
    """Organisations in the case's circle now, with their relations (involvement, pending referral, member of a
    sharing council whose meeting has the case on its agenda within the window)."""
    s = db.session()
    circle: dict[uuid.UUID, set[str]] = defaultdict(set)
    for org_id, relation in s.execute(select(CaseInvolvement.org_id, CaseInvolvement.relation).where(
            CaseInvolvement.case_id == case.id, CaseInvolvement.until.is_(None))):
        circle[org_id].add(relation)
    for (org_id,) in s.execute(select(Referral.to_org_id).where(Referral.case_id == case.id,
                                                                  Referral.state == "pending")):
        circle[org_id].add("referral_pending")
    for org_id, kind in s.execute(
            select(MeetingMember.org_id, Meeting.kind)
            .join(Meeting, Meeting.id == MeetingMember.meeting_id)
            .join(AgendaItem, and_(AgendaItem.meeting_id == Meeting.id, AgendaItem.case_id == case.id))
            .where(Meeting.municipality_id == case.municipality_id, Meeting.window_start <= now,
                   Meeting.window_end > now)):
        circle[org_id].add("support_meeting" if kind in SHARING_MEETING_KINDS else "meeting_by_consent")
    return circle


def handover(case: Case) -> dict:
    s = db.session()
    now = utcnow()
    persons = _persons(case)
    circle = _circle(case, now)
    passed_rows = _passed(case, persons, {})
    audit_orgs = {g["org_id"] for g in passed_rows}
    org_rows = {o.id: o for o in s.scalars(select(Organization).where(
        Organization.id.in_(list(set(circle) | audit_orgs | set(persons.values())))))} if (
        circle or audit_orgs or persons) else {}
    for g in passed_rows:
        g["org"] = org_rows.get(g["org_id"])
    collectors = set(persons.values())
    organisations = []
    for org_id, relations in sorted(circle.items(), key=lambda kv: org_rows[kv[0]].code):
        org = org_rows[org_id]
        viewer = Viewer(user_id=NOBODY, org_id=org_id, org_kind=org.kind, municipality_id=case.municipality_id)
        bases = bases_for_persons(viewer, persons, now=now)
        given: dict[str, dict[str, str]] = {}
        withheld: dict[str, list[str]] = {}
        for person_id, b in bases.items():
            allowed = b.allowed(case.id)
            given[str(person_id)] = allowed
            withheld[str(person_id)] = [c for c in CATEGORIES if c not in allowed]
        meeting_basis = "support_meeting" in relations
        if org_id in collectors:
            needs = []
        elif meeting_basis:
            needs = ["consent"]  # the 支援会議 basis is there for its pledged attendees; consent for anything beyond
        else:
            needs = ["consent", "support_meeting"] if case.stage in ("assessment", "support") else ["consent"]
        organisations.append({
            "org": org, "relations": sorted(relations), "collected_data": org_id in collectors,
            "support_meeting_available": meeting_basis,
            "persons": [{"person_id": pid, "given": given[pid], "withheld": withheld[pid]} for pid in sorted(given)],
            "needs": needs if any(withheld.values()) else []})
    next_stage = NEXT_STAGE.get(case.stage)
    waiting = [o["org"] for o in organisations if "referral_pending" in o["relations"]]
    return {"case_id": case.id, "stage": case.stage, "rule": RULE_OF[case.stage], "rules": STAGE_RULES,
            "passed": passed_rows, "organisations": organisations,
            "next": None if next_stage is None else {**RULE_OF[next_stage], "waiting_organisations": waiting}}
