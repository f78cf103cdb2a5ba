"""住所秘匿: secrecy decisions for one person (a DV, stalking or abuse victim under the 住民基本台帳 支援措置) and
third-party reporters kept apart from the case (「情報元は言いません」).

A secrecy decision names the organisations that keep seeing the person's address, contact and household; the
sharing engine (caseflow.access.sharing, `PersonBases.secret`, `secret_from`) withholds them from every other
organisation whatever basis it has. Who decides: a supervisor (permission `persons, secrecy`) of an organisation
that collected the person here or works on one of the person's cases; the deciding organisation is always
named. Who ends it: a supervisor of the deciding organisation, with a reason. A decision is never edited
otherwise; at most one is in force per person. Decisions are shown to the organisations they name only.

A reporter (`CaseReporter`) is readable only by the organisation that received the report: every other one,
co-leads and meeting members included, gets 404. Nothing of it is joined into referrals, agendas, minutes or
exports.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from caseflow.access import tenancy, trail
from caseflow.access.refs import org_refs, user_refs
from caseflow.access.sharing import Viewer
from caseflow.cases.models import (
    WORKING_RELATIONS,
    Case,
    CaseInvolvement,
    CaseReporter,
    HouseholdMember,
    Person,
    SecrecyDecision,
    SecrecyRecipient,
)
from caseflow.consents.rules import person_visible_to
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.organizations.models import Organization

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


def works_with(viewer: Viewer, person: Person) -> bool:
    """The viewer's organisation collected the person here, or works on one of the person's cases (an open
    owner, co-lead, accepted-referral or task involvement) in the municipality it acts in."""
    if person.collected_by_org_id == viewer.org_id and person.municipality_id == viewer.municipality_id:
        return True
    from_cases = select(Case.id).where(
        Case.municipality_id == viewer.municipality_id,
        (Case.primary_person_id == person.id) | Case.household_id.in_(_households_of(person.id)),
        select(CaseInvolvement.id).where(CaseInvolvement.case_id == Case.id, CaseInvolvement.org_id == viewer.org_id,
                                         CaseInvolvement.until.is_(None),
                                         CaseInvolvement.relation.in_(WORKING_RELATIONS)).exists())
    return db.session().scalar(from_cases.limit(1)) is not None


def _households_of(person_id: uuid.UUID):
    return select(HouseholdMember.household_id).where(HouseholdMember.person_id == person_id,
                                                      HouseholdMember.until.is_(None))


def active_decision(person_id: uuid.UUID) -> SecrecyDecision | None:
    return db.session().scalar(select(SecrecyDecision).where(SecrecyDecision.person_id == person_id,
                                                             SecrecyDecision.ended_at.is_(None)))


def decide(viewer: Viewer, person_id: uuid.UUID, data: dict, *, actor) -> SecrecyDecision:
    """A supervisor of an organisation that works with the person marks the person secret (秘匿)."""
    person = person_visible_to(viewer, person_id)
    if not works_with(viewer, person):
        raise Problem(403, detail="秘匿の決定は、本人の情報を収集した組織または本人のケースを担当する組織のみ行えます。",
                      type_="forbidden")
    s = db.session()
    recipients = {actor.org_id}
    for i, org_id in enumerate(data.get("recipient_org_ids", [])):
        org = s.get(Organization, org_id)
        if org is None or not org.active or not tenancy.is_member(org.id, viewer.municipality_id):
            raise validation_problem({f"recipient_org_ids.{i}": ["この自治体に参加している組織を指定してください。"]})
        recipients.add(org.id)
    if active_decision(person.id) is not None:
        raise Problem(409, detail="この人物にはすでに有効な秘匿決定があります。変更するには終了してから新たに決定してください。",
                      type_="secrecy-in-force")
    decision = SecrecyDecision(person_id=person.id, municipality_id=person.municipality_id, reason=data["reason"],
                               decided_by_user_id=actor.id, decided_by_org_id=actor.org_id, decided_at=utcnow(),
                               recipients=[SecrecyRecipient(org_id=o) for o in sorted(recipients)])
    s.add(decision)
    try:
        with s.begin_nested():
            s.flush()
    except IntegrityError:  # a concurrent decision for the same person won
        raise Problem(409, detail="この人物にはすでに有効な秘匿決定があります。", type_="secrecy-in-force") from None
    # the reason may name the circumstances (DV …): it stays in the decision, never in the audit detail
    trail.record(s, action="persons.secrecy_decide", resource_type="persons", resource_id=person.id, actor=actor,
                 detail={"decision_id": str(decision.id), "recipients": len(recipients)})
    return decision


def visible_decisions(viewer: Viewer, person_id: uuid.UUID) -> list[SecrecyDecision]:
    """The person's decisions (in force and ended) that name the viewer's organisation; 404 when the viewer may
    not see the person."""
    person_visible_to(viewer, person_id)
    named = select(SecrecyRecipient.decision_id).where(SecrecyRecipient.org_id == viewer.org_id)
    return list(db.session().scalars(select(SecrecyDecision).where(SecrecyDecision.person_id == person_id,
                                                                   SecrecyDecision.id.in_(named))
                                     .order_by(SecrecyDecision.decided_at.desc(), SecrecyDecision.id)))


def end(viewer: Viewer, person_id: uuid.UUID, decision_id: uuid.UUID, reason: str, *, actor) -> SecrecyDecision:
    """A supervisor of the deciding organisation ends the decision, with a reason."""
    decision = next((d for d in visible_decisions(viewer, person_id) if d.id == decision_id), None)
    if decision is None:
        raise Problem(404, detail=NOT_FOUND)
    if decision.decided_by_org_id != actor.org_id:
        raise Problem(403, detail="秘匿決定の終了は、決定した組織のみ行えます。", type_="forbidden")
    if decision.ended_at is not None:
        raise Problem(409, detail="この秘匿決定はすでに終了しています。", type_="secrecy-ended")
    decision.ended_at, decision.ended_by_user_id, decision.end_reason = utcnow(), actor.id, reason
    trail.record(db.session(), action="persons.secrecy_end", resource_type="persons", resource_id=person_id,
                 actor=actor, detail={"decision_id": str(decision.id)})
    db.session().flush()
    return decision


def present_decisions(decisions: list[SecrecyDecision]) -> list[dict]:
    orgs = org_refs([d.decided_by_org_id for d in decisions] + [r.org_id for d in decisions for r in d.recipients])
    users = user_refs([d.decided_by_user_id for d in decisions] + [d.ended_by_user_id for d in decisions])
    return [{"id": d.id, "person_id": d.person_id, "reason": d.reason, "decided_by_org": orgs.get(d.decided_by_org_id),
             "decided_by_user_id": d.decided_by_user_id, "decided_by": users.get(d.decided_by_user_id),
             "decided_at": d.decided_at,
             "recipients": [orgs[r.org_id] for r in d.recipients if r.org_id in orgs],
             "active": d.ended_at is None, "ended_at": d.ended_at, "ended_by_user_id": d.ended_by_user_id,
             "ended_by": users.get(d.ended_by_user_id),
             "end_reason": d.end_reason} for d in decisions]


# --- third-party reporters --------------------------------------------------------------------------

def record_reporter(case: Case, data: dict, *, actor) -> CaseReporter:
    """The organisation that received a report records who made it (any organisation that sees the case and
    received the report; only it will ever read it)."""
    s = db.session()
    rep = CaseReporter(case_id=case.id, received_by_org_id=actor.org_id, recorded_by_user_id=actor.id,
                       name=data.get("name"), contact=data.get("contact"),
                       relationship_to_household=data.get("relationship_to_household"), note=data.get("note"),
                       wishes_anonymity=data.get("wishes_anonymity", True))
    s.add(rep)
    s.flush()
    trail.record(s, action="cases.reporter_record", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"reporter_id": str(rep.id)})
    return rep


def reporters_for(viewer: Viewer, case: Case) -> list[CaseReporter]:
    """The case's reporters recorded by the viewer's organisation; 404 when there is none (whether another
    organisation recorded one is not told)."""
    rows = list(db.session().scalars(select(CaseReporter).where(CaseReporter.case_id == case.id,
                                                                CaseReporter.received_by_org_id == viewer.org_id)
                                     .order_by(CaseReporter.created_at, CaseReporter.id)))
    if not rows:
        raise Problem(404, detail=NOT_FOUND)
    return rows


def present_reporters(rows: list[CaseReporter]) -> list[dict]:
    orgs = org_refs(r.received_by_org_id for r in rows)
    users = user_refs(r.recorded_by_user_id for r in rows)
    return [{"id": r.id, "case_id": r.case_id, "received_by_org": orgs.get(r.received_by_org_id),
             "recorded_by_user_id": r.recorded_by_user_id, "recorded_by": users.get(r.recorded_by_user_id),
             "name": r.name, "contact": r.contact,
             "relationship_to_household": r.relationship_to_household, "note": r.note,
             "wishes_anonymity": r.wishes_anonymity, "created_at": r.created_at} for r in rows]
