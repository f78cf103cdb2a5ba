"""Households over time: memberships with joined/left dates and the reason for leaving, and relationships
between two members (a directed graph per household: from_person is the `relation` of to_person).

Who a member is related to, and when they joined or left a household, is personal data of the persons
concerned: a relationship is shown only where the sharing engine (caseflow.access.sharing, one set-wise query
per response) gives the viewer an identity basis for *both* persons, a membership only where it gives one for
its person; otherwise the entry carries the withheld mark and reason. A person under a secrecy decision that
does not name the viewer (住所秘匿) appears in none of it -- neither the membership nor a relationship -- so
that a move cannot be inferred. Writes follow the rule for household members: the collecting organisation.
"""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select

from caseflow.access import trail
from caseflow.access.disclosure import DisclosureLog, known_members
from caseflow.access.sharing import PersonBases, Viewer, bases_for_persons
from caseflow.cases.models import (
    LEAVE_REASON_LABELS,
    MEMBER_RELATION_LABELS,
    RELATIONSHIP_LABELS,
    Case,
    Household,
    HouseholdMember,
    HouseholdRelationship,
    Person,
)
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"
WITHHELD = {"withheld": True, "withheld_reason": "no_basis"}


# --- writes ---------------------------------------------------------------------------------------

def end_member(h: Household, member_id: uuid.UUID, data: dict, *, actor) -> HouseholdMember:
    """A member leaves the household: the membership stays in the history with its end date and why."""
    s = db.session()
    member = s.get(HouseholdMember, member_id)
    if member is None or member.household_id != h.id:
        raise Problem(404, detail=NOT_FOUND)
    if member.until is not None:
        raise Problem(409, detail="この世帯員はすでに世帯を離れています。", type_="illegal-state")
    if member.since is not None and data["until"] < member.since:
        raise validation_problem({"until": ["世帯に加わった日より前の日付は指定できません。"]})
    member.until = data["until"]
    member.left_reason_code = data.get("reason_code")
    member.left_reason = data.get("reason")
    trail.record(s, action="households.end_member", resource_type="households", resource_id=h.id, actor=actor,
                 detail={"member_id": str(member.id), "reason_code": member.left_reason_code})
    s.flush()
    s.expire(h)
    return member


def _current_member_ids(h: Household) -> set[uuid.UUID]:
    return set(db.session().scalars(select(HouseholdMember.person_id).where(
        HouseholdMember.household_id == h.id, HouseholdMember.until.is_(None))))


def add_relationship(h: Household, data: dict, *, actor) -> HouseholdRelationship:
    """Record that one current member is the `relation` of another (both members of this household)."""
    s = db.session()
    src, dst = data["from_person_id"], data["to_person_id"]
    if src == dst:
        raise validation_problem({"to_person_id": ["本人同士の続柄は登録できません。"]})
    members = _current_member_ids(h)
    errors = {f: ["この世帯の世帯員を指定してください。"] for f, pid in (("from_person_id", src), ("to_person_id", dst))
              if pid not in members}
    if errors:
        raise validation_problem(errors)
    if data.get("since") and data["since"] > date.today():
        raise validation_problem({"since": ["未来の日付は指定できません。"]})
    duplicate = s.scalar(select(HouseholdRelationship.id).where(
        HouseholdRelationship.household_id == h.id, HouseholdRelationship.from_person_id == src,
        HouseholdRelationship.to_person_id == dst, HouseholdRelationship.relation == data["relation"],
        HouseholdRelationship.ended_at.is_(None)))
    if duplicate is not None:
        raise Problem(409, detail="同じ続柄がすでに登録されています。", type_="duplicate",
                      relationship_id=str(duplicate))
    rel = HouseholdRelationship(household_id=h.id, from_person_id=src, to_person_id=dst, relation=data["relation"],
                                since=data.get("since"), created_by_user_id=actor.id, created_by_org_id=actor.org_id)
    s.add(rel)
    s.flush()
    trail.record(s, action="households.relationship_add", resource_type="households", resource_id=h.id,
                 actor=actor, detail={"relationship_id": str(rel.id), "relation": rel.relation})
    return rel


def end_relationship(h: Household, relationship_id: uuid.UUID, data: dict, *, actor) -> HouseholdRelationship:
    """End a relationship (a divorce, a mistaken entry): it stays in the history with its end date and reason."""
    s = db.session()
    rel = s.get(HouseholdRelationship, relationship_id)
    if rel is None or rel.household_id != h.id:
        raise Problem(404, detail=NOT_FOUND)
    if rel.ended_at is not None:
        raise Problem(409, detail="この続柄はすでに終了しています。", type_="illegal-state")
    until = data.get("until") or date.today()
    if rel.since is not None and until < rel.since:
        raise validation_problem({"until": ["開始日より前の日付は指定できません。"]})
    rel.until, rel.end_reason = until, data.get("reason")
    rel.ended_at, rel.ended_by_user_id = utcnow(), actor.id
    trail.record(s, action="households.relationship_end", resource_type="households", resource_id=h.id,
                 actor=actor, detail={"relationship_id": str(rel.id)})
    s.flush()
    return rel


# --- reads ----------------------------------------------------------------------------------------

def present_relationships(rels, persons: dict[uuid.UUID, Person], bases: dict[uuid.UUID, PersonBases],
                          log: DisclosureLog, case_id: uuid.UUID | None = None,
                          meeting_id: uuid.UUID | None = None) -> list[dict]:
    """Each relationship in full where the viewer has an identity basis for both persons (logged for both),
    else the withheld mark; none that involves a person secret from the viewer (or not among `persons`)."""
    out = []
    for r in rels:
        ends = (r.from_person_id, r.to_person_id)
        if any(pid not in persons or pid not in bases or bases[pid].secret for pid in ends):
            continue
        shown = [bases[pid].basis("identity", case_id, meeting_id) for pid in ends]
        if not all(shown):
            out.append({"id": r.id, **WITHHELD})
            continue
        for pid, basis in zip(ends, shown):
            log.add(pid, basis, "identity")
        src, dst = (persons[pid] for pid in ends)
        out.append({"id": r.id, "withheld": False, "from_person": {"id": src.id, "name": src.name},
                    "to_person": {"id": dst.id, "name": dst.name}, "relation": r.relation,
                    "relation_label": MEMBER_RELATION_LABELS[r.relation],
                    "phrase": f"{src.name or ''}は{dst.name or ''}の{MEMBER_RELATION_LABELS[r.relation]}",
                    "since": r.since, "until": r.until, "end_reason": r.end_reason, "active": r.ended_at is None,
                    "bases": {"from_person": shown[0], "to_person": shown[1]}})
    return out


def _persons(ids) -> dict[uuid.UUID, Person]:
    ids = set(ids)
    return {p.id: p for p in db.session().scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}


def _relationships(household_ids, *, active_only: bool = False, person_id: uuid.UUID | None = None):
    if not household_ids:
        return []
    stmt = select(HouseholdRelationship).where(HouseholdRelationship.household_id.in_(set(household_ids)))
    if active_only:
        stmt = stmt.where(HouseholdRelationship.ended_at.is_(None))
    if person_id is not None:
        stmt = stmt.where(or_(HouseholdRelationship.from_person_id == person_id,
                              HouseholdRelationship.to_person_id == person_id))
    return list(db.session().scalars(stmt.order_by(HouseholdRelationship.ended_at.is_not(None),
                                                   HouseholdRelationship.created_at, HouseholdRelationship.id)))


def _membership(m: HouseholdMember, person: Person, basis: str | None) -> dict:
    out = {"member_id": m.id, "current": m.until is None}
    if basis is None:
        return {**out, **WITHHELD}
    return {**out, "withheld": False, "person_id": person.id, "name": person.name, "name_kana": person.name_kana,
            "relationship": m.relationship_code, "relationship_label": RELATIONSHIP_LABELS[m.relationship_code],
            "in_need": m.in_need, "joined_on": m.since, "left_on": m.until, "left_reason_code": m.left_reason_code,
            "left_reason_label": LEAVE_REASON_LABELS.get(m.left_reason_code), "left_reason": m.left_reason,
            "basis": basis}


def household_history_view(viewer: Viewer, h: Household) -> tuple[dict, DisclosureLog]:
    """Every membership of the household, current and past (joined, left, why), and every relationship between
    its members, in force and ended."""
    log = DisclosureLog()
    members = sorted(h.members, key=lambda m: (m.until is not None, m.since or date.min, m.position, str(m.id)))
    rels = _relationships([h.id])
    persons = _persons([m.person_id for m in members] + [p for r in rels for p in (r.from_person_id, r.to_person_id)])
    bases = bases_for_persons(viewer, {p.id: p.collected_by_org_id for p in persons.values()})
    memberships = []
    for m in members:
        if bases[m.person_id].secret:
            continue  # 住所秘匿: neither that they live here nor that they left
        basis = bases[m.person_id].basis("identity")
        if basis:
            log.add(m.person_id, basis, "identity")
        memberships.append(_membership(m, persons[m.person_id], basis))
    return {"household_id": h.id, "memberships": memberships,
            "relationships": present_relationships(rels, persons, bases, log)}, log


def person_households_view(viewer: Viewer, person: Person) -> tuple[dict, DisclosureLog]:
    """The households of the municipality the viewer acts in that the person belonged to (joined, left, why),
    and the person's relationships there -- on an identity basis for the person; none when the person is
    secret from the viewer."""
    log = DisclosureLog()
    own = bases_for_persons(viewer, {person.id: person.collected_by_org_id})[person.id]
    out = {"person_id": person.id, "memberships": [], "relationships": []}
    if own.secret:
        return {**out, "withheld": True, "withheld_reason": "secrecy"}, log
    basis = own.basis("identity")
    if basis is None:
        return {**out, **WITHHELD}, log
    s = db.session()
    rows = s.execute(select(HouseholdMember, Household.district_code).join(Household)
                     .where(HouseholdMember.person_id == person.id,
                            Household.municipality_id == viewer.municipality_id)
                     .order_by(HouseholdMember.until.is_not(None), HouseholdMember.since, HouseholdMember.id)).all()
    log.add(person.id, basis, "identity")
    for m, district in rows:
        out["memberships"].append({**_membership(m, person, basis), "household_id": m.household_id,
                                   "district": district})
    rels = _relationships([m.household_id for m, _d in rows], person_id=person.id)
    persons = _persons([p for r in rels for p in (r.from_person_id, r.to_person_id)])
    bases = bases_for_persons(viewer, {p.id: p.collected_by_org_id for p in persons.values()})
    out["relationships"] = present_relationships(rels, persons, bases, log)
    return {**out, "withheld": False, "withheld_reason": None}, log


def case_relationships_view(viewer: Viewer, case: Case) -> tuple[dict, DisclosureLog]:
    """The relationships in force between the current members of the case's household, in the context of the
    case (a 支援会議 that has the case on its agenda counts)."""
    log = DisclosureLog()
    out = {"case_id": case.id, "relationships": [], "household_withheld": None}
    if case.household_id is None:
        return out, log
    s = db.session()
    members = list(s.scalars(select(HouseholdMember).where(HouseholdMember.household_id == case.household_id,
                                                           HouseholdMember.until.is_(None))))
    rels = _relationships([case.household_id], active_only=True)
    ids = {m.person_id for m in members} | ({case.primary_person_id} if case.primary_person_id else set())
    persons = _persons(ids | {p for r in rels for p in (r.from_person_id, r.to_person_id)})
    bases = bases_for_persons(viewer, {p.id: p.collected_by_org_id for p in persons.values()})
    if case.primary_person_id and bases[case.primary_person_id].secret:
        return {**out, "household_withheld": "secrecy"}, log
    known = {m.person_id for m in known_members(members, bases, case.primary_person_id)}
    persons = {pid: p for pid, p in persons.items() if pid in known}
    out["relationships"] = present_relationships(rels, persons, bases, log, case_id=case.id)
    return out, log
