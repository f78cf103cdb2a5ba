"""Referrals between agencies (初期対応／他機関紹介): create, respond, follow up.

States: pending -> accepted | declined (reason required) | withdrawn (by the sender), accepted -> completed.
Only the receiving organisation accepts, declines and completes; only the sending organisation withdraws.
Every change is a conditional UPDATE (`... WHERE id = :id AND state = :expected`): when two people act on
the same referral at the same moment exactly one UPDATE matches and the other caller gets 409, on
PostgreSQL (row lock, re-check after the winner commits) and SQLite (one writer at a time) alike.

Who sees a referral: the sending and the receiving organisation, and every organisation currently
involved in the case (so those working on a case see where it has been referred). Anyone else gets 404.

Involvement. Accepting adds CaseInvolvement(relation="referral", source_id=referral.id): the receiving
organisation now works on the case and sees it. Involvement grants no personal data by itself; the
sharing engine (consent, 支援会議, ...) decides that. Completing ends that involvement (`until` = now):
the support asked for has been delivered, and keeping a finished helper inside a person's case would
widen access beyond its purpose. The organisation keeps the referral itself (its inbox, the history of
who did what) and everything it collected itself; if the case needs it again, the case's organisations
refer it again. Declined and withdrawn referrals never created an involvement.

Before accepting, the receiving organisation sees the de-identified view (case number, age band,
district, issue categories, stage, urgency, the referral's reason and request, languages needed, the
sending organisation); persons appear through `present_person`, i.e. with whatever a recorded basis
(e.g. a consent naming the receiving organisation) allows and nothing else.
"""
from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from datetime import date, timedelta

import holidays
from sqlalchemy import Integer, and_, bindparam, func, literal, or_, select, union_all, update
from sqlalchemy import case as sql_case
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from caseflow.access import tenancy, trail
from caseflow.access.disclosure import DisclosureLog, age_band, known_members, present_person, primary_person_ref
from caseflow.access.refs import org_ref, user_ref
from caseflow.access.sharing import Viewer, bases_for_persons, relations_to_cases
from caseflow.accounts.models import User
from caseflow.cases.models import RELATIONSHIP_LABELS, WORKING_RELATIONS, Case, CaseInvolvement, HouseholdMember, Person
from caseflow.cases.rules import get_visible_case
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.organizations.models import Organization
from caseflow.referrals.models import Referral, ReferralEvent

# action -> (required current state, new state)
ACTIONS: dict[str, tuple[str, str]] = {
    "accept": ("pending", "accepted"),
    "decline": ("pending", "declined"),
    "withdraw": ("pending", "withdrawn"),
    "complete": ("accepted", "completed"),
}
RECEIVER_ACTIONS = ("accept", "decline", "complete")
SENDER_ACTIONS = ("withdraw",)
STATE_LABELS = {"pending": "回答待ち", "accepted": "受諾済み", "declined": "辞退", "withdrawn": "取り下げ",
                "completed": "完了"}
ACTION_LABELS = {"accept": "受諾", "decline": "辞退", "withdraw": "取り下げ", "complete": "完了"}
# Reply due date by urgency (docs/referrals.md): critical the same day, high the next business day (Monday to
# Friday, not a national holiday -- the `holidays` library's calendar of 国民の祝日), normal in 7 days, low in 14. The referral takes the
# case's urgency unless the sender raises it; a reply date the sender gives may be sooner, never later.
REPLY_DUE = {"critical": ("days", 0), "high": ("business_days", 1), "normal": ("days", 7), "low": ("days", 14)}
LIVE_STATES = ("pending", "accepted")  # one live referral per (case, receiving organisation)
URGENCY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}
INVOLVED = set(WORKING_RELATIONS)
NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


# --- visibility ------------------------------------------------------------------------------

def case_in_municipality(municipality_id):
    """SQL, correlated to Referral: its case belongs to the municipality (a keyed probe of the case). A case
    transferred away (転居) takes its referrals out of the old municipality's boxes."""
    return select(Case.id).where(Case.id == Referral.case_id, Case.municipality_id == municipality_id).exists()


def _visible(viewer: Viewer):
    """SQL: the referral's case is in the viewer's municipality, and the viewer's organisation sent or received
    the referral, or is involved in its case."""
    involved = select(CaseInvolvement.case_id).where(CaseInvolvement.org_id == viewer.org_id,
                                                     CaseInvolvement.until.is_(None))
    return and_(case_in_municipality(viewer.municipality_id),
                or_(Referral.from_org_id == viewer.org_id, Referral.to_org_id == viewer.org_id,
                    Referral.case_id.in_(involved)))


def get_visible_referral(viewer: Viewer, referral_id: uuid.UUID) -> Referral:
    ref = db.session().scalar(select(Referral).where(Referral.id == referral_id, _visible(viewer)))
    if ref is None:
        raise Problem(404, detail=NOT_FOUND)
    return ref


def allowed_actions(ref: Referral, org_id: uuid.UUID) -> list[str]:
    """What the organisation `org_id` may do with the referral in its current state."""
    out = []
    for action in (*RECEIVER_ACTIONS, *SENDER_ACTIONS):
        side = ref.to_org_id if action in RECEIVER_ACTIONS else ref.from_org_id
        if side == org_id and ACTIONS[action][0] == ref.state:
            out.append(action)
    return out


# --- creating --------------------------------------------------------------------------------

def create_referral(data: dict, *, actor, today: date) -> Referral:
    """Refer a case to another organisation (the case's owner or any organisation involved in it)."""

    s = db.session()
    viewer = Viewer.of(actor)
    try:
        case = get_visible_case(viewer, data["case_id"])
    except Problem:
        raise validation_problem({"case_id": ["指定されたケースは存在しないか、閲覧できません。"]}) from None
    relations = relations_to_cases(viewer, [case.id]).get(case.id, set())
    if not relations & INVOLVED:
        raise Problem(403, detail="紹介はケースの担当組織、またはケースに関わっている組織のみ行えます。", type_="forbidden")
    errors: dict[str, list[str]] = {}
    to_org = s.get(Organization, data["to_org_id"])
    # only to an organisation of the case's municipality (home or member): never across a tenant boundary
    if to_org is None or not to_org.active or not tenancy.is_member(to_org.id, case.municipality_id):
        errors["to_org_id"] = ["紹介先の組織が見つからないか、現在利用されていません。"]
    elif to_org.id == actor.org_id:
        errors["to_org_id"] = ["自組織には紹介できません。"]
    urgency = data.get("urgency") or case.urgency
    if URGENCY_RANK[urgency] > URGENCY_RANK[case.urgency]:
        errors["urgency"] = [f"ケースの緊急度（{case.urgency}）より低い緊急度では紹介できません。"]
        urgency = case.urgency
    latest = reply_due_for(urgency, today)
    reply_due = data.get("reply_due") or latest
    if reply_due < today:
        errors["reply_due"] = ["回答期限に過去の日付は指定できません。"]
    elif reply_due > latest:
        errors["reply_due"] = [f"緊急度「{urgency}」の紹介の回答期限は{latest.isoformat()}までです。"]
    if errors:
        raise validation_problem(errors)
    if case.stage == "closed":
        raise Problem(409, detail="終結したケースは紹介できません。再開してから紹介してください。",
                      type_="case-closed", current_stage=case.stage)
    existing = _live_to(case.id, to_org.id)
    if existing is not None:
        raise _duplicate(*existing)
    ref = Referral(case_id=case.id, from_org_id=actor.org_id, to_org_id=to_org.id, created_by_user_id=actor.id,
                   reason=data["reason"], requested_support=data["requested_support"], urgency=urgency,
                   reply_due=reply_due, state="pending")
    s.add(ref)
    try:
        s.flush()
    except IntegrityError:
        # A simultaneous request created the live referral first; the partial unique index caught it.
        s.rollback()
        raise _duplicate(*(_live_to(case.id, to_org.id) or (None, None))) from None
    s.add(ReferralEvent(referral_id=ref.id, from_state=None, to_state="pending", reason=None,
                        actor_user_id=actor.id, actor_org_id=actor.org_id))
    trail.record(s, action="referrals.create", resource_type="referrals", resource_id=ref.id, actor=actor,
                 detail={"case_id": str(case.id), "to_org_id": str(to_org.id), "urgency": urgency})
    return ref


def reply_due_for(urgency: str, today: date) -> date:
    """The latest reply date for a referral of this urgency made on `today` (Asia/Tokyo), by REPLY_DUE."""
    unit, n = REPLY_DUE[urgency]
    if unit == "days":
        return today + timedelta(days=n)
    closed = holidays.Japan(years=(today.year, today.year + 1))
    day = today
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            n -= 1
    return day


def _live_to(case_id: uuid.UUID, org_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    row = db.session().execute(select(Referral.id, Referral.state).where(
        Referral.case_id == case_id, Referral.to_org_id == org_id, Referral.state.in_(LIVE_STATES)).limit(1)).first()
    return (row[0], row[1]) if row else None


def _duplicate(existing_id, state) -> Problem:
    what = "受諾済み" if state == "accepted" else "回答待ち"
    return Problem(409, detail=f"このケースはすでにこの組織へ紹介されています（{what}の紹介 {existing_id}）。"
                               "完了・辞退・取り下げの後に改めて紹介してください。", type_="duplicate-referral",
                   existing_referral_id=str(existing_id) if existing_id else None, existing_state=state)


# --- state changes ---------------------------------------------------------------------------

def change_state(ref: Referral, action: str, *, reason: str | None, actor) -> Referral:
    """Apply `action` to a referral the actor can see; race-safe (see module docstring)."""
    expected, new = ACTIONS[action]
    side = ref.to_org_id if action in RECEIVER_ACTIONS else ref.from_org_id
    if side != actor.org_id:
        who = "紹介先の組織" if action in RECEIVER_ACTIONS else "紹介元の組織"
        raise Problem(403, detail=f"{ACTION_LABELS[action]}は{who}のみ行えます。", type_="forbidden")
    if action == "decline" and not reason:
        raise validation_problem({"reason": ["辞退には理由が必要です。"]})
    if ref.state != expected:
        raise _illegal(ref, action, actor.org_id)
    s = db.session()
    now = utcnow()
    values = {"state": new, "state_reason": reason, "updated_at": now, "version": Referral.version + 1}
    if action in ("accept", "decline"):
        values.update(responded_by_user_id=actor.id, responded_at=now)
    result = s.execute(update(Referral).where(Referral.id == ref.id, Referral.state == expected).values(**values)
                       .execution_options(synchronize_session=False))
    s.refresh(ref)
    if result.rowcount != 1:
        raise _illegal(ref, action, actor.org_id)  # someone else changed it a moment ago
    s.add(ReferralEvent(referral_id=ref.id, from_state=expected, to_state=new, reason=reason,
                        actor_user_id=actor.id, actor_org_id=actor.org_id, at=now))
    if action == "accept":
        s.add(CaseInvolvement(case_id=ref.case_id, org_id=ref.to_org_id, relation="referral", source_id=ref.id,
                              since=now))
    elif action == "complete":
        s.execute(update(CaseInvolvement).where(CaseInvolvement.source_id == ref.id,
                                                CaseInvolvement.relation == "referral",
                                                CaseInvolvement.until.is_(None)).values(until=now)
                  .execution_options(synchronize_session=False))
    trail.record(s, action=f"referrals.{action}", resource_type="referrals", resource_id=ref.id, actor=actor,
                 detail={"case_id": str(ref.case_id), "from": expected, "to": new})
    s.flush()
    return ref


def _illegal(ref: Referral, action: str, org_id: uuid.UUID) -> Problem:
    allowed = allowed_actions(ref, org_id)
    hint = "、".join(ACTION_LABELS[a] for a in allowed) if allowed else "なし"
    return Problem(409, detail=f"この紹介は現在「{STATE_LABELS[ref.state]}」のため{ACTION_LABELS[action]}できません"
                              f"（現在できる操作: {hint}）。",
                   type_="illegal-transition", current_state=ref.state, allowed=allowed)


# --- lists and counts ------------------------------------------------------------------------

def _overdue(today: date):
    return (Referral.state == "pending") & (Referral.reply_due < today)


def list_query(viewer: Viewer, filters: dict, today: date) -> Select:
    """Referrals of a box (inbox: to my organisation, outbox: from it, all: every one I may see).

    Order: pending first, overdue (reply due before today, Asia/Tokyo) first among them, then by urgency
    and due date; answered ones after, most recently changed first.

    The inbox and the outbox are read group by group (`_boxed_query`), so that a page costs about the
    same however many referrals the organisation has answered over the years; `box=all` (which also
    covers the cases the organisation works on) is one sorted query. Both forms give the same rows in
    the same order. `filters` may carry the page the caller will take (`limit`, `offset`, as the API's
    query arguments do): each group then reads at most `offset + limit + 1` rows.
    """
    box = filters.get("box", "all")
    if box in ("inbox", "outbox"):
        return _boxed_query(viewer, box, filters, today)
    stmt = select(Referral).where(_visible(viewer), *_filter_conditions(filters, today))
    pending = Referral.state == "pending"
    group = sql_case((_overdue(today), 0), (pending, 1), (Referral.state == "accepted", 2), else_=3)
    urgency = sql_case(*[(pending & (Referral.urgency == u), r) for u, r in URGENCY_RANK.items()], else_=9)
    due_missing = sql_case((pending & Referral.reply_due.is_not(None), 0), else_=1)
    due = sql_case((pending, Referral.reply_due), else_=None)
    return stmt.order_by(group, urgency, due_missing, due, Referral.updated_at.desc(), Referral.id)


def _filter_conditions(filters: dict, today) -> list:
    conds = []
    if filters.get("state"):
        conds.append(Referral.state.in_(filters["state"]))
    if filters.get("case_id"):
        conds.append(Referral.case_id == filters["case_id"])
    if filters.get("urgency"):
        conds.append(Referral.urgency.in_(filters["urgency"]))
    if filters.get("overdue") is True:
        conds.append(_overdue(today))
    elif filters.get("overdue") is False:
        conds.append(~_overdue(today))
    return conds


def _boxed_query(viewer: Viewer, box: str, filters: dict, today: date) -> Select:
    """The inbox / outbox statement for these filters: built once per shape, values bound (`_boxed_statement`)."""
    window = None
    if filters.get("limit") is not None:
        window = int(filters["limit"]) + int(filters.get("offset") or 0) + 1
    overdue = filters.get("overdue")
    stmt = _boxed_statement(box, bool(filters.get("state")), bool(filters.get("case_id")),
                            bool(filters.get("urgency")), overdue if overdue in (True, False) else None,
                            window is not None)
    values = {"box_org_id": viewer.org_id, "box_municipality_id": viewer.municipality_id, "box_today": today}
    if window is not None:
        values["box_window"] = window
    if filters.get("state"):
        values["box_states"] = list(filters["state"])
    if filters.get("case_id"):
        values["box_case_id"] = filters["case_id"]
    if filters.get("urgency"):
        values["box_urgencies"] = list(filters["urgency"])
    return stmt.params(values)


@functools.lru_cache(maxsize=None)
def _boxed_statement(box: str, by_state: bool, by_case: bool, by_urgency: bool, overdue: bool | None,
                     windowed: bool) -> Select:
    """The inbox or outbox as a UNION ALL of the four groups of `list_query`'s order, each in its own order.

    0. pending and overdue, 1. other pending (reply due today or later, or none): by urgency, then due
    date, read by (org, state, reply_due) and sorted -- the organisation's open requests, not its
    history; 2. accepted (work in progress), newest change first, walking (org, state, updated_at DESC,
    id); 3. everything else (declined, withdrawn, completed: the history), newest change first, walking
    (org, updated_at DESC, id). Groups 2 and 3 stop after the page. With `windowed`, each
    group reads at most `box_window` = offset + limit + 1 rows, and the outer ORDER BY -- the single
    query's order with each CASE worked out per group -- sorts at most four windows. For the inbox,
    being visible is implied by being the receiver (outbox: the sender), so `_visible` is not repeated.

    Built once per shape (building the five subqueries' columns costs more than running them); the
    organisation, today, the window and the filter values are bound parameters.
    """
    org_column = Referral.to_org_id if box == "inbox" else Referral.from_org_id
    today = bindparam("box_today", type_=Referral.reply_due.type)
    common = [org_column == bindparam("box_org_id", type_=org_column.type),
              case_in_municipality(bindparam("box_municipality_id", type_=Case.municipality_id.type))]
    if by_state:
        common.append(Referral.state.in_(bindparam("box_states", expanding=True)))
    if by_case:
        common.append(Referral.case_id == bindparam("box_case_id", type_=Referral.case_id.type))
    if by_urgency:
        common.append(Referral.urgency.in_(bindparam("box_urgencies", expanding=True)))
    if overdue is True:
        common.append(_overdue(today))
    elif overdue is False:
        common.append(~_overdue(today))
    pending = Referral.state == "pending"
    # The sort keys are CASE expressions (as in list_query), never the bare reply_due column: the
    # outer query maps Referral's columns onto the union by lineage.
    rank = sql_case(*[(pending & (Referral.urgency == u), r) for u, r in URGENCY_RANK.items()], else_=9)
    due_missing = sql_case((pending & Referral.reply_due.is_not(None), 0), else_=1)
    due = sql_case((pending, Referral.reply_due), else_=None)
    recent = (Referral.updated_at.desc(), Referral.id)
    full = (rank, due_missing, due, *recent)
    groups = [
        (0, [pending, Referral.reply_due < today], full),
        (1, [pending, or_(Referral.reply_due >= today, Referral.reply_due.is_(None))], full),
        (2, [Referral.state == "accepted"], recent),
        (3, [Referral.state.not_in(("pending", "accepted"))], recent),
    ]
    arms = []
    for number, where, order in groups:
        arm = (select(*Referral.__table__.c, literal(number, Integer).label("sort_group"), rank.label("sort_urgency"),
                      due_missing.label("sort_due_missing"), due.label("sort_due"))
               .where(*common, *where).order_by(*order))
        if windowed:
            arm = arm.limit(bindparam("box_window", type_=Integer))
        part = arm.subquery(f"group_{number}")
        arms.append(select(*part.c))
    boxed = union_all(*arms).subquery("boxed")
    ref = aliased(Referral, boxed)
    return select(ref).order_by(boxed.c.sort_group, boxed.c.sort_urgency, boxed.c.sort_due_missing,
                                boxed.c.sort_due, boxed.c.updated_at.desc(), boxed.c.id)


def counts(viewer: Viewer, today: date) -> dict:
    """Dashboard numbers for the viewer's organisation, inbox and outbox, in one query."""
    def n(cond):
        return func.coalesce(func.sum(sql_case((cond, 1), else_=0)), 0)

    out = {}
    for box, column in (("inbox", Referral.to_org_id), ("outbox", Referral.from_org_id)):
        row = db.session().execute(
            select(n(Referral.state == "pending"), n(_overdue(today)), n(Referral.state == "accepted"))
            .where(column == viewer.org_id, case_in_municipality(viewer.municipality_id))).one()
        out[box] = {"pending": int(row[0]), "overdue": int(row[1]), "accepted": int(row[2])}
    return out


def history(ref: Referral) -> list[ReferralEvent]:
    return list(db.session().scalars(select(ReferralEvent).where(ReferralEvent.referral_id == ref.id)
                                     .order_by(ReferralEvent.at, ReferralEvent.id)))


# --- presentation ----------------------------------------------------------------------------

def present(viewer: Viewer, refs: list[Referral], *, detail: bool, today: date) -> tuple[list[dict], DisclosureLog]:
    """Referrals as the viewer may see them, set-wise for the whole page.

    The case part is the de-identified view; persons (detail) or the primary person (lists) go through
    the sharing engine, so only categories with a recorded basis appear. Returns the disclosure log for
    the read audit event.
    """
    s = db.session()
    log = DisclosureLog()
    if not refs:
        return [], log
    cases = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_({r.case_id for r in refs})))}
    households = {c.household_id for c in cases.values() if c.household_id}
    members_by_household: dict[uuid.UUID, list[HouseholdMember]] = defaultdict(list)
    if households:
        for m in s.scalars(select(HouseholdMember).where(HouseholdMember.household_id.in_(households),
                                                         HouseholdMember.until.is_(None))
                           .order_by(HouseholdMember.position, HouseholdMember.id)):
            members_by_household[m.household_id].append(m)
    person_ids = {c.primary_person_id for c in cases.values() if c.primary_person_id}
    person_ids |= {m.person_id for ms in members_by_household.values() for m in ms}
    persons = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(person_ids)))} if person_ids else {}
    bases = bases_for_persons(viewer, {p.id: p.collected_by_org_id for p in persons.values()})
    org_ids = {r.from_org_id for r in refs} | {r.to_org_id for r in refs}
    events = {}
    if detail:
        events = {r.id: history(r) for r in refs}
        org_ids |= {e.actor_org_id for evs in events.values() for e in evs}
    orgs = {o.id: o for o in s.scalars(select(Organization).where(Organization.id.in_(org_ids)))}
    user_ids = {r.created_by_user_id for r in refs} | {r.responded_by_user_id for r in refs if r.responded_by_user_id}
    user_ids |= {e.actor_user_id for evs in events.values() for e in evs}
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(user_ids)))}

    out = []
    for r in refs:
        case = cases[r.case_id]
        members = members_by_household.get(case.household_id, []) if case.household_id else []
        members = known_members(members, bases, case.primary_person_id)  # 住所秘匿
        case_person_ids = list(dict.fromkeys(
            ([case.primary_person_id] if case.primary_person_id else []) + [m.person_id for m in members]))
        case_persons = [persons[pid] for pid in case_person_ids if pid in persons]
        primary = persons.get(case.primary_person_id) if case.primary_person_id else None
        case_out = {
            "id": case.id, "case_number": case.case_number, "stage": case.stage, "district": case.district_code,
            "issues": case.issues, "age_band": age_band(primary.birth_year) if primary else None,
            "languages_needed": sorted({x for p in case_persons for x in p.languages.split(",") if x and x != "ja"}),
        }
        if detail:
            member_of = {m.person_id: m for m in members}
            case_out["persons"] = [present_person(p, bases[p.id], log, case.id, {
                "is_primary": p.id == case.primary_person_id,
                "relationship": member_of[p.id].relationship_code if p.id in member_of else None,
                "relationship_label": RELATIONSHIP_LABELS.get(member_of[p.id].relationship_code)
                if p.id in member_of else None,
                "in_need": member_of[p.id].in_need if p.id in member_of else p.id == case.primary_person_id,
            }) for p in case_persons]
        else:
            case_out["primary_person"] = primary_person_ref(primary, bases, case.id, log)
        item = {
            "id": r.id, "state": r.state, "state_label": STATE_LABELS[r.state], "urgency": r.urgency,
            "reason": r.reason, "requested_support": r.requested_support, "reply_due": r.reply_due,
            "overdue": r.state == "pending" and r.reply_due is not None and r.reply_due < today,
            "state_reason": r.state_reason,
            "from_org": org_ref(orgs.get(r.from_org_id)), "to_org": org_ref(orgs.get(r.to_org_id)),
            "created_by": user_ref(users.get(r.created_by_user_id)),
            "responded_by": user_ref(users.get(r.responded_by_user_id)), "responded_at": r.responded_at,
            "created_at": r.created_at, "updated_at": r.updated_at, "version": r.version,
            "allowed_actions": allowed_actions(r, viewer.org_id), "case": case_out,
        }
        if detail:
            item["events"] = [{"id": e.id, "from_state": e.from_state, "to_state": e.to_state, "reason": e.reason,
                               "at": e.at, "actor_user": user_ref(users.get(e.actor_user_id)),
                               "actor_org": org_ref(orgs.get(e.actor_org_id))} for e in events[r.id]]
        out.append(item)
    return out, log


