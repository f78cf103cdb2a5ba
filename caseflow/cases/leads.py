"""主担当と副担当: the lead organisation of a case, its co-leads, and the hand-over of the lead.

* The lead (主担当) is the case's owner organisation: it edits the case, moves its stage, refers it.
* A co-lead (副担当) -- e.g. the 社協 beside 生活福祉課 -- is an organisation of the case's municipality that the
  lead adds. It is involved in the case like the lead (it sees the case, records progress, edits the plan and
  assigns tasks, appears in the follow-up lists); personal data still needs a sharing basis of its own.
* The lead hands the case over by an offer that the receiving organisation accepts (主担当の交代). Offers to
  several organisations may be open at once; acceptance is a conditional UPDATE of the case's owner, so two
  organisations accepting at once leave one winner and the other gets 409. On acceptance the old lead stays
  as a co-lead unless the offer said otherwise; the other open offers lapse. The offers are the history.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from caseflow.access import tenancy, trail
from caseflow.access.sharing import Viewer, relations_to_cases
from caseflow.cases.models import WORKING_RELATIONS, Case, CaseInvolvement, LeadHandover
from caseflow.cases.rules import decide_offer, require_owner
from caseflow.cases.views import offer_context
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.organizations.models import Organization

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"
STATE_LABELS = {"pending": "受諾待ち", "accepted": "受諾済み", "declined": "辞退", "withdrawn": "取り下げ",
                "lapsed": "他の組織が受諾したため失効"}


def _open(case_id: uuid.UUID, org_id: uuid.UUID, relation: str):
    return db.session().scalar(select(CaseInvolvement).where(
        CaseInvolvement.case_id == case_id, CaseInvolvement.org_id == org_id,
        CaseInvolvement.relation == relation, CaseInvolvement.until.is_(None)))


def _require_open(case: Case, what: str) -> None:
    if case.stage == "closed":
        raise Problem(409, detail=f"終結したケースでは{what}できません。", type_="case-closed", current_stage=case.stage)


def _member_org(case: Case, org_id: uuid.UUID, field: str) -> Organization:
    """An active organisation of the case's municipality other than the lead (else 422 naming the field)."""
    org = db.session().get(Organization, org_id)
    if org is None or not org.active or org.id == case.owner_org_id or \
            not tenancy.is_member(org.id, case.municipality_id):
        raise validation_problem({field: ["このケースの自治体に参加している、主担当以外の組織を指定してください。"]})
    return org


# --- co-leads ----------------------------------------------------------------------------------------

def add_co_lead(case: Case, org_id: uuid.UUID, *, actor) -> CaseInvolvement:
    """The lead adds a co-lead."""
    require_owner(case, actor)
    _require_open(case, "副担当を追加")
    org = _member_org(case, org_id, "org_id")
    if _open(case.id, org.id, "co_lead") is not None:
        raise Problem(409, detail="この組織はすでに副担当です。", type_="duplicate-co-lead")
    s = db.session()
    inv = CaseInvolvement(case_id=case.id, org_id=org.id, relation="co_lead", since=utcnow())
    s.add(inv)
    s.flush()
    trail.record(s, action="cases.co_lead_add", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"org_id": str(org.id)})
    return inv


def end_co_lead(case: Case, org_id: uuid.UUID, *, actor) -> None:
    """The lead ends a co-lead's part, or the co-lead ends its own."""
    if actor.org_id not in (case.owner_org_id, org_id):
        raise Problem(403, detail="副担当の解除は、主担当組織またはその副担当組織のみ行えます。", type_="forbidden")
    inv = _open(case.id, org_id, "co_lead")
    if inv is None:
        raise Problem(404, detail=NOT_FOUND)
    inv.until = utcnow()
    trail.record(db.session(), action="cases.co_lead_end", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"org_id": str(org_id)})
    db.session().flush()


def co_lead_rows(case_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[Organization, datetime]]]:
    """Each case's current co-leads (organisation, since), in the order they were added."""
    out: dict[uuid.UUID, list] = {cid: [] for cid in case_ids}
    rows = db.session().execute(
        select(CaseInvolvement.case_id, Organization, CaseInvolvement.since)
        .join(Organization, Organization.id == CaseInvolvement.org_id)
        .where(CaseInvolvement.case_id.in_(case_ids), CaseInvolvement.relation == "co_lead",
               CaseInvolvement.until.is_(None))
        .order_by(CaseInvolvement.since, Organization.code))
    for case_id, org, since in rows:
        out[case_id].append((org, since))
    return out


def leads_view(viewer: Viewer, case: Case) -> dict:
    """The lead and the co-leads, for whoever sees the case; the hand-over history (its reasons are free text)
    only for the organisations working on the case and the sides of an offer."""
    s = db.session()
    working = relations_to_cases(viewer, [case.id]).get(case.id, set()) & set(WORKING_RELATIONS)
    side = (LeadHandover.from_org_id == viewer.org_id) | (LeadHandover.to_org_id == viewer.org_id)
    handovers = s.scalars(select(LeadHandover).where(LeadHandover.case_id == case.id, *(() if working else (side,)))
                          .order_by(LeadHandover.requested_at, LeadHandover.id)).all()
    return {"lead": s.get(Organization, case.owner_org_id),
            "co_leads": [{"org": org, "since": since} for org, since in co_lead_rows([case.id])[case.id]],
            "handovers": present_many(handovers, with_case=False)}


# --- hand-over ----------------------------------------------------------------------------------------

def request_handover(case: Case, data: dict, *, actor) -> LeadHandover:
    """The lead offers the lead to another organisation of the case's municipality."""
    require_owner(case, actor)
    _require_open(case, "主担当を交代")
    org = _member_org(case, data["to_org_id"], "to_org_id")
    s = db.session()
    h = LeadHandover(case_id=case.id, municipality_id=case.municipality_id, from_org_id=case.owner_org_id,
                     to_org_id=org.id, reason=data["reason"], previous_lead_stays=data.get("previous_lead_stays", True),
                     state="pending", requested_by_user_id=actor.id)
    s.add(h)
    try:
        with s.begin_nested():
            s.flush()
    except IntegrityError:
        raise Problem(409, detail="この組織への主担当交代の申し出はすでに受諾待ちです。",
                      type_="duplicate-handover") from None
    trail.record(s, action="cases.handover_request", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"handover_id": str(h.id), "to_org_id": str(org.id)})
    return h


def box_query(viewer, box: str) -> Select:
    """inbox: offers to the viewer's organisation in the municipality it acts in; outbox: offers it made."""
    side = LeadHandover.to_org_id if box == "inbox" else LeadHandover.from_org_id
    return (select(LeadHandover).where(side == viewer.org_id, LeadHandover.municipality_id == viewer.municipality_id)
            .order_by(LeadHandover.requested_at.desc(), LeadHandover.id))


def get_visible_handover(viewer, handover_id: uuid.UUID) -> LeadHandover:
    h = db.session().get(LeadHandover, handover_id)
    if h is None or h.municipality_id != viewer.municipality_id or viewer.org_id not in (h.from_org_id, h.to_org_id):
        raise Problem(404, detail=NOT_FOUND)
    return h


def decide(h: LeadHandover, action: str, *, actor, reason: str | None = None) -> LeadHandover:
    """accept | decline (the receiving organisation) or withdraw (the offering one). Race-safe: conditional
    UPDATEs of the offer and of the case's lead; the loser of a race gets 409 and nothing of it is kept."""
    receiving, offering = actor.org_id == h.to_org_id, actor.org_id == h.from_org_id
    if actor.municipality_id != h.municipality_id or (action in ("accept", "decline") and not receiving) or \
            (action == "withdraw" and not offering):
        raise Problem(403, detail="この操作は交代先（受諾・辞退）または申し出た組織（取り下げ）のみ行えます。",
                      type_="forbidden")
    if action == "decline" and not reason:
        raise validation_problem({"reason": ["辞退には理由が必要です。"]})
    new_state = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}[action]
    s = db.session()
    now = utcnow()
    # The case's row lock first (a no-op UPDATE; on SQLite the write lock): deciding offers of one case is
    # serialised, so two acceptances cannot deadlock on each other's offer rows (PostgreSQL).
    s.execute(update(Case).where(Case.id == h.case_id).values(owner_org_id=Case.owner_org_id)
              .execution_options(synchronize_session=False))
    decide_offer(h, new_state, actor=actor, reason=reason, now=now, what="この申し出", labels=STATE_LABELS)
    if action == "accept":
        _hand_over(h, actor, now)
    trail.record(s, action=f"cases.handover_{action}", resource_type="cases", resource_id=h.case_id, actor=actor,
                 detail={"handover_id": str(h.id), "from_org_id": str(h.from_org_id), "to_org_id": str(h.to_org_id)})
    return h


def _hand_over(h: LeadHandover, actor, now: datetime) -> None:
    s = db.session()
    moved = s.execute(update(Case).where(Case.id == h.case_id, Case.owner_org_id == h.from_org_id,
                                         Case.municipality_id == h.municipality_id, Case.stage != "closed")
                      .values(owner_org_id=h.to_org_id, lead_worker_id=actor.id, last_activity_at=now)
                      .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise Problem(409, detail="ケースの主担当または状態が申し出の後に変わっています。", type_="conflict")
    s.execute(update(CaseInvolvement).where(
        CaseInvolvement.case_id == h.case_id, CaseInvolvement.until.is_(None),
        ((CaseInvolvement.org_id == h.from_org_id) & (CaseInvolvement.relation == "owner"))
        | ((CaseInvolvement.org_id == h.to_org_id) & (CaseInvolvement.relation == "co_lead")))
        .values(until=now).execution_options(synchronize_session=False))
    s.add(CaseInvolvement(case_id=h.case_id, org_id=h.to_org_id, relation="owner", source_id=h.id, since=now))
    if h.previous_lead_stays:
        s.add(CaseInvolvement(case_id=h.case_id, org_id=h.from_org_id, relation="co_lead", source_id=h.id, since=now))
    s.execute(update(LeadHandover).where(LeadHandover.case_id == h.case_id, LeadHandover.state == "pending",
                                         LeadHandover.id != h.id)
              .values(state="lapsed", decided_at=now).execution_options(synchronize_session=False))
    case = s.get(Case, h.case_id)
    if case is not None:
        s.refresh(case)


def present_many(handovers: list[LeadHandover], *, with_case: bool = True) -> list[dict]:
    """The offers, and (for the inbox) the de-identified view of each case: no personal data before acceptance."""
    orgs, cases = offer_context(handovers)
    out = []
    for h in handovers:
        item = {"id": h.id, "case_id": h.case_id, "state": h.state, "state_label": STATE_LABELS[h.state],
                "reason": h.reason, "state_reason": h.state_reason, "previous_lead_stays": h.previous_lead_stays,
                "requested_at": h.requested_at, "decided_at": h.decided_at,
                "from_org": orgs[h.from_org_id], "to_org": orgs[h.to_org_id]}
        if with_case:
            item["case"] = cases[h.case_id]
        out.append(item)
    return out


def present(h: LeadHandover) -> dict:
    return present_many([h])[0]
