"""転居: a case moves to another municipality, by an audited transfer that the receiving side accepts.

The owner organisation asks (naming the receiving municipality and an organisation that belongs to it); until
the receiving organisation accepts, it sees only the de-identified view (issues, stage, urgency, age band) and
the reason. On acceptance, in one transaction:
* the case belongs to the new municipality, owned by the receiving organisation (numbered there anew; the old
  number stays on the transfer record); its district (a code of the old municipality) is cleared;
* every organisation's involvement ends, pending referrals are withdrawn and open emergency accesses close:
  nobody of the old municipality sees the case any more, and nobody of the new one but its new owner;
* the household and person records stay with the organisation that collected them (their data does not move
  by itself): the receiving side sees personal data only on a basis of its own, such as a consent naming it.
Both municipalities' audit trails record the move.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from caseflow.access import tenancy, trail
from caseflow.cases.models import Case, CaseInvolvement, CaseTransfer
from caseflow.cases.rules import decide_offer, next_case_number, require_owner, today_tokyo
from caseflow.cases.views import offer_context
from caseflow.consents.models import EmergencyAccess
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.organizations.models import Municipality, Organization
from caseflow.referrals.models import Referral, ReferralEvent

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"
STATE_LABELS = {"pending": "受入待ち", "accepted": "受入済み", "declined": "辞退", "withdrawn": "取り下げ"}


def request_transfer(case: Case, data: dict, *, actor) -> CaseTransfer:
    """The owner organisation asks another municipality's organisation to take the case over."""

    s = db.session()
    require_owner(case, actor)
    if case.stage == "closed":
        raise Problem(409, detail="終結したケースは移管できません。", type_="case-closed", current_stage=case.stage)
    target = tenancy.get_by_code(data["to_municipality"], field="to_municipality")
    errors = {}
    if target.id == case.municipality_id or not target.active:
        errors["to_municipality"] = ["ほかの（有効な）自治体を指定してください。"]
    to_org = s.get(Organization, data["to_org_id"])
    if errors or to_org is None or not to_org.active or not tenancy.is_member(to_org.id, target.id):
        errors.setdefault("to_org_id", ["移管先の自治体に参加している組織を指定してください。"])
    if errors:
        raise validation_problem(errors)
    transfer = CaseTransfer(case_id=case.id, from_municipality_id=case.municipality_id, to_municipality_id=target.id,
                            from_org_id=actor.org_id, to_org_id=to_org.id, from_case_number=case.case_number,
                            reason=data["reason"], state="pending", requested_by_user_id=actor.id)
    s.add(transfer)
    try:
        with s.begin_nested():
            s.flush()
    except IntegrityError:
        raise Problem(409, detail="このケースはすでに移管の手続き中です。", type_="duplicate-transfer") from None
    trail.record(s, action="transfers.request", resource_type="case_transfers", resource_id=transfer.id, actor=actor,
                 detail={"case_id": str(case.id), "to_municipality": target.code, "to_org_id": str(to_org.id)})
    return transfer


def box_query(viewer, box: str) -> Select:
    """inbox: transfers to the viewer's organisation into the municipality it acts in; outbox: from it."""
    if box == "inbox":
        cond = (CaseTransfer.to_org_id == viewer.org_id, CaseTransfer.to_municipality_id == viewer.municipality_id)
    else:
        cond = (CaseTransfer.from_org_id == viewer.org_id, CaseTransfer.from_municipality_id == viewer.municipality_id)
    return select(CaseTransfer).where(*cond).order_by(CaseTransfer.requested_at.desc(), CaseTransfer.id)


def get_visible_transfer(viewer, transfer_id: uuid.UUID) -> CaseTransfer:
    t = db.session().get(CaseTransfer, transfer_id)
    sides = {(t.to_org_id, t.to_municipality_id), (t.from_org_id, t.from_municipality_id)} if t else set()
    if (viewer.org_id, viewer.municipality_id) not in sides:
        raise Problem(404, detail=NOT_FOUND)
    return t


def decide(t: CaseTransfer, action: str, *, actor, reason: str | None = None) -> CaseTransfer:
    """accept | decline (the receiving organisation, acting in the receiving municipality) or withdraw (the
    sending organisation). Race-safe: a conditional UPDATE; the loser gets 409."""
    receiving = (t.to_org_id, t.to_municipality_id) == (actor.org_id, actor.municipality_id)
    sending = (t.from_org_id, t.from_municipality_id) == (actor.org_id, actor.municipality_id)
    if (action in ("accept", "decline") and not receiving) or (action == "withdraw" and not sending):
        raise Problem(403, detail="この操作は移管先（受入・辞退）または移管元（取り下げ）の組織のみ行えます。",
                      type_="forbidden")
    if action == "decline" and not reason:
        raise validation_problem({"reason": ["辞退には理由が必要です。"]})
    new_state = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}[action]
    s = db.session()
    now = utcnow()
    decide_offer(t, new_state, actor=actor, reason=reason, now=now, what="この移管", labels=STATE_LABELS)
    if action == "accept":
        _move(t, actor, now)
    trail.record(s, action=f"transfers.{action}", resource_type="case_transfers", resource_id=t.id, actor=actor,
                 detail={"case_id": str(t.case_id)})
    return t


def _move(t: CaseTransfer, actor, now) -> None:

    s = db.session()
    case = s.get(Case, t.case_id)
    if case.municipality_id != t.from_municipality_id:
        raise Problem(409, detail="ケースの所属自治体が移管の申請時から変わっています。", type_="conflict")
    s.execute(update(CaseInvolvement).where(CaseInvolvement.case_id == case.id, CaseInvolvement.until.is_(None))
              .values(until=now).execution_options(synchronize_session=False))
    for ref in s.scalars(select(Referral).where(Referral.case_id == case.id, Referral.state == "pending")):
        ref.state, ref.state_reason = "withdrawn", "転居（他自治体への移管）に伴い取り下げ"
        s.add(ReferralEvent(referral_id=ref.id, from_state="pending", to_state="withdrawn", reason=ref.state_reason,
                            actor_user_id=actor.id, actor_org_id=actor.org_id, at=now))
    s.execute(update(EmergencyAccess).where(EmergencyAccess.case_id == case.id, EmergencyAccess.closed_at.is_(None))
              .values(closed_at=now).execution_options(synchronize_session=False))
    # numbered first: the counter's UPDATE flushes the session, and the case must not reach the new
    # municipality still carrying its old number (numbers are unique per municipality)
    number = next_case_number(today_tokyo(), t.to_municipality_id)
    case.municipality_id = t.to_municipality_id
    case.case_number = t.to_case_number = number
    case.owner_org_id = t.to_org_id
    case.lead_worker_id = actor.id
    case.district_code = None
    case.last_activity_at = now
    s.add(CaseInvolvement(case_id=case.id, org_id=t.to_org_id, relation="owner", source_id=t.id, since=now))
    # the old municipality's trail records that the case left it
    trail.record(s, action="cases.transferred_out", resource_type="cases", resource_id=case.id, actor=actor,
                 municipality_id=t.from_municipality_id, detail={"transfer_id": str(t.id)})


def present_many(transfers: list[CaseTransfer]) -> list[dict]:
    """The transfers and the de-identified view of each case (no personal data before a basis exists)."""
    orgs, cases = offer_context(transfers)
    s = db.session()
    muni_ids = {t.from_municipality_id for t in transfers} | {t.to_municipality_id for t in transfers}
    munis = {m.id: m for m in s.scalars(select(Municipality).where(Municipality.id.in_(muni_ids)))} if muni_ids else {}
    return [{
        "id": t.id, "state": t.state, "state_label": STATE_LABELS[t.state], "reason": t.reason,
        "state_reason": t.state_reason, "requested_at": t.requested_at, "decided_at": t.decided_at,
        "from_municipality": munis[t.from_municipality_id], "to_municipality": munis[t.to_municipality_id],
        "from_org": orgs[t.from_org_id], "to_org": orgs[t.to_org_id],
        "from_case_number": t.from_case_number, "to_case_number": t.to_case_number,
        "case": {k: v for k, v in cases[t.case_id].items() if k != "case_number"},
    } for t in transfers]


def present(t: CaseTransfer) -> dict:
    return present_many([t])[0]
