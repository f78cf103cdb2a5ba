"""Turn cases and persons into responses that contain only what the viewer may see, and list what was
disclosed (person, basis, categories) for the audit event. The decisions come from caseflow.access.sharing,
computed set-wise for the whole page."""
from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import select

from caseflow.access.refs import org_refs
from caseflow.access.sharing import (
    PersonBases,
    Viewer,
    address_secret_in,
    bases_for_persons,
    case_notes_basis,
    household_address_secret,
    relations_to_cases,
)
from caseflow.access.trail import Disclosure
from caseflow.accounts.models import User
from caseflow.cases.models import RELATIONSHIP_LABELS, Case, Household, HouseholdMember, Person
from caseflow.consents.models import CATEGORIES
from caseflow.core import db
from caseflow.meetings.models import Meeting

IDENTITY_FIELDS = ("name", "name_kana", "birth_date", "gender")
CONTACT_FIELDS = ("address", "phone", "email", "line_id", "contact_preferences")


def age_band(birth_year: int | None, today: date | None = None) -> str | None:
    if birth_year is None:
        return None
    age = (today or date.today()).year - birth_year
    if age < 15:
        return "15歳未満"
    if age < 18:
        return "15〜17歳"
    if age < 20:
        return "18〜19歳"
    if age >= 80:
        return "80歳以上"
    return f"{age // 10 * 10}代"


class DisclosureLog:
    """Collects what a response disclosed, grouped by person and basis."""

    def __init__(self):
        self._by: dict[tuple[uuid.UUID, str], set[str]] = defaultdict(set)

    def add(self, person_id: uuid.UUID, basis: str, category: str) -> None:
        self._by[(person_id, basis)].add(category)

    def disclosures(self) -> list[Disclosure]:
        """What was disclosed; a support_meeting basis names its meeting's council too (one query)."""
        meetings = {uuid.UUID(b.partition(":")[2]) for _p, b in self._by if b.startswith("support_meeting:")}
        council_of = dict(db.session().execute(select(Meeting.id, Meeting.council_id)
                                               .where(Meeting.id.in_(meetings))).all()) if meetings else {}
        return [Disclosure(person_id=p, basis=b, categories=sorted(c),
                           council_id=council_of.get(uuid.UUID(b.partition(":")[2]))
                           if b.startswith("support_meeting:") else None)
                for (p, b), c in sorted(self._by.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))]

    @property
    def emergency_used(self) -> bool:
        return any(b.startswith("emergency:") for _p, b in self._by)

    @property
    def bases(self) -> list[str]:
        return sorted({b for _p, b in self._by})


def present_person(person: Person, bases: PersonBases, log: DisclosureLog, case_id: uuid.UUID | None = None,
                   extra: dict | None = None, household_address: str | None = None) -> dict:
    """`household_address`: the address of the person's current household, the person's address unless the
    person has one of their own."""
    out = {"id": person.id, "age_band": age_band(person.birth_year),
           "languages": [x for x in person.languages.split(",") if x]}
    if extra:
        out.update(extra)
    allowed = bases.allowed(case_id)
    if "identity" in allowed:
        for f in IDENTITY_FIELDS:
            out[f] = getattr(person, f)
    if "contact" in allowed:
        out.update(address=person.address or household_address, phone=person.phone, email=person.email,
                   line_id=person.line_id,
                   contact_preferences=[x for x in person.contact_preferences.split(",") if x])
    if "sensitive" in allowed:
        out["sensitive"] = json.loads(person.sensitive or "{}")
    if "case_notes" in allowed:
        out["notes"] = person.notes
    for category, basis in allowed.items():
        log.add(person.id, basis, category)
    withheld = [c for c in CATEGORIES if c not in allowed]
    out["redacted"] = bool(withheld)
    out["withheld"] = withheld
    out["withheld_reasons"] = {c: bases.withheld_reason(c) for c in withheld}
    out["bases"] = allowed
    return out


def known_members(members: list, bases: dict[uuid.UUID, PersonBases], primary_id: uuid.UUID | None) -> list:
    """The household members (HouseholdMember rows) the viewer may know of as members (住所秘匿): when the
    case's primary person is secret from the viewer, none (the household is a fact about that person);
    otherwise every member who is not secret from the viewer."""
    if primary_id is not None and primary_id in bases and bases[primary_id].secret:
        return []
    return [m for m in members if not (m.person_id in bases and bases[m.person_id].secret)]


def current_household_addresses(viewer: Viewer, person_ids) -> dict[uuid.UUID, str | None]:
    """person -> the address of their current household (one query), the default of a person's address; not
    where a secret member's address is the household's (`household_address_secret`)."""
    ids = list(person_ids)
    if not ids:
        return {}
    return dict(db.session().execute(
        select(HouseholdMember.person_id, Household.address).join(Household, Household.id == HouseholdMember.household_id)
        .where(HouseholdMember.person_id.in_(ids), HouseholdMember.until.is_(None),
               ~household_address_secret(viewer, Household.id))).all())



def present_case_page(viewer: Viewer, cases: list[Case]) -> tuple[list[dict], DisclosureLog]:
    """List items: case facts for every case; the primary person's name only where identity is allowed."""
    log = DisclosureLog()
    s = db.session()
    person_ids = [c.primary_person_id for c in cases if c.primary_person_id]
    # Only the columns a list item shows (rows, not ORM objects): name and reading, age band, collector.
    persons = {p.id: p for p in s.execute(
        select(Person.id, Person.name, Person.name_kana, Person.birth_year, Person.collected_by_org_id)
        .where(Person.id.in_(person_ids)))} if person_ids else {}
    bases = bases_for_persons(viewer, {p.id: p.collected_by_org_id for p in persons.values()})
    relations = relations_to_cases(viewer, [c.id for c in cases])
    orgs = org_refs(c.owner_org_id for c in cases)
    items = []
    for case in cases:
        item = _case_facts(case, orgs, relations.get(case.id, set()))
        person = persons.get(case.primary_person_id)
        if person is not None:
            item["age_band"] = age_band(person.birth_year)
        item["primary_person"] = primary_person_ref(person, bases, case.id, log)
        items.append(item)
    return items, log


def primary_person_ref(person: Person | None, bases: dict, case_id: uuid.UUID, log: DisclosureLog) -> dict | None:
    """A case's primary person in a list: id, and the name only where identity is allowed."""
    if person is None:
        return None
    summary = {"id": person.id}
    identity = bases[person.id].basis("identity", case_id)
    if identity:
        summary.update(name=person.name, name_kana=person.name_kana)
        log.add(person.id, identity, "identity")
    summary["redacted"] = identity is None
    return summary


def _case_facts(case: Case, orgs: dict, relations: set[str]) -> dict:
    owner = orgs.get(case.owner_org_id)
    return {
        "id": case.id, "case_number": case.case_number, "stage": case.stage, "issues": case.issues,
        "district": case.district_code, "urgency": case.urgency, "intake_channel": case.intake_channel,
        "owner_org": owner,
        "opened_on": case.opened_on, "updated_at": case.updated_at, "version": case.version,
        "relation": sorted(relations), "anonymous_label": case.anonymous_label, "age_band": None,
    }


def present_case_detail(viewer: Viewer, case: Case,
                        relations: set[str] | None = None) -> tuple[dict, DisclosureLog]:
    """`relations`: the viewer's relations to the case when the caller already has them
    (`cases.get_visible_case_and_relations`); looked up otherwise."""
    s = db.session()
    log = DisclosureLog()
    if relations is None:
        relations = relations_to_cases(viewer, [case.id]).get(case.id, set())
    orgs = org_refs([case.owner_org_id])
    out = _case_facts(case, orgs, relations)
    members: list[HouseholdMember] = []
    household = s.get(Household, case.household_id) if case.household_id else None
    if household is not None:
        members = [m for m in household.members if m.until is None]
    person_ids = {m.person_id for m in members} | ({case.primary_person_id} if case.primary_person_id else set())
    persons = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(person_ids)))} if person_ids else {}
    bases = bases_for_persons(viewer, {p.id: p.collected_by_org_id for p in persons.values()})
    # 住所秘匿: a secret member is not shown as a member; a secret primary person hides the whole household; the
    # household's address is withheld where it is a secret member's
    household_hidden = bool(case.primary_person_id and bases[case.primary_person_id].secret)
    home = None if household is None or address_secret_in(members, persons, bases) else household.address
    members = known_members(members, bases, case.primary_person_id)
    persons = {pid: p for pid, p in persons.items()
               if pid == case.primary_person_id or pid in {m.person_id for m in members}}
    member_of = {m.person_id: m for m in members}
    presented = []
    for pid in sorted(persons, key=lambda i: (member_of[i].position if i in member_of else -1, str(i))):
        m = member_of.get(pid)
        extra = {"is_primary": pid == case.primary_person_id,
                 "relationship": m.relationship_code if m else None,
                 "relationship_label": RELATIONSHIP_LABELS.get(m.relationship_code) if m else None,
                 "in_need": m.in_need if m else pid == case.primary_person_id}
        presented.append(present_person(persons[pid], bases[pid], log, case.id, extra, home if m else None))
    out["persons"] = presented
    primary = bases.get(case.primary_person_id) if case.primary_person_id else None
    if primary is not None:
        out["age_band"] = age_band(persons[case.primary_person_id].birth_year)
    notes_basis = case_notes_basis(viewer, case, primary)
    if notes_basis:
        out["summary"] = case.summary
        if case.primary_person_id:
            log.add(case.primary_person_id, notes_basis, "case_notes")
    out["summary_withheld"] = notes_basis is None
    out["household"] = None if household_hidden else _present_household_ref(household, home, persons, bases, case.id,
                                                                             log)
    out["household_withheld"] = "secrecy" if household_hidden and household is not None else None
    lead = None
    if case.lead_worker_id and case.owner_org_id == viewer.org_id:  # the lead worker is shown to the owner only
        lead = s.execute(select(User.id, User.display_name, User.active)
                         .where(User.id == case.lead_worker_id)).mappings().first()
    out["lead_worker"] = dict(lead) if lead else None
    out["closure_reason"] = case.closure_reason
    out["created_at"] = case.created_at
    return out, log


def _present_household_ref(household, home, persons, bases, case_id, log) -> dict | None:
    if household is None:
        return None

    out = {"id": household.id, "district": household.district_code, "version": household.version}
    anchor = household.in_need_person_id()
    basis = bases[anchor].basis("contact", case_id) if anchor in persons and home is not None else None
    if basis:
        out["address"] = home
        log.add(anchor, basis, "contact")
    out["address_withheld"] = basis is None
    return out
