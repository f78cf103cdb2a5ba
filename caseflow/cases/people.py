"""Persons and households: who may see and edit them, creation and edits (the search key kept in step),
membership over time."""
from __future__ import annotations

import json
import uuid
from datetime import date

from sqlalchemy import Select, select

from caseflow.access import trail
from caseflow.access.sharing import Viewer, case_is_visible, secret_from
from caseflow.cases.models import SENSITIVE_KEYS, Case, Household, HouseholdMember, Person, PersonSearchGram
from caseflow.codes import rules as codes
from caseflow.consents.rules import person_visible_to
from caseflow.core import db
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.text import like_pattern, search_grams, search_key

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"
PERSON_FIELDS = ("name", "name_kana", "birth_date", "gender", "address", "phone", "email", "line_id", "notes")


def _birth_year(birth_date: date | None, estimated_age: int | None, today: date) -> int | None:
    if birth_date is not None:
        return birth_date.year
    if estimated_age is not None:
        return today.year - estimated_age
    return None


def apply_person_fields(person: Person, data: dict) -> None:
    today = date.today()
    if data.get("birth_date") and data["birth_date"] > today:
        raise validation_problem({"birth_date": ["未来の日付は指定できません。"]})
    for key in PERSON_FIELDS:
        if key in data:
            setattr(person, key, data[key])
    if "contact_preferences" in data:
        person.contact_preferences = ",".join(data["contact_preferences"])
    if "languages" in data:
        person.languages = ",".join(data["languages"]) or "ja"
    if "sensitive" in data:
        unknown = set(data["sensitive"]) - set(SENSITIVE_KEYS)
        if unknown:
            raise validation_problem({"sensitive": [f"未知の項目です: {', '.join(sorted(unknown))}"]})
        person.sensitive = json.dumps({k: v for k, v in data["sensitive"].items() if v}, ensure_ascii=False,
                                      sort_keys=True)
    if "birth_date" in data or "estimated_age" in data:
        person.birth_year = _birth_year(person.birth_date, data.get("estimated_age"), today)
    set_search_key(person)


def set_search_key(person: Person) -> None:
    """Keep the folded search key (`name + "\n" + reading`) and its n-gram index rows (person_search_grams,
    the name search's index) in step with the name; the rows are written in the same flush as the person.
    Only the grams that change are deleted or added."""
    person.search_key = search_key(person.name) + "\n" + search_key(person.name_kana)
    wanted = search_grams(person.search_key)
    rows = person.search_grams  # a new person: empty, no query; an existing one: its rows, one SELECT
    for row in [r for r in rows if r.gram not in wanted]:
        rows.remove(row)  # delete-orphan: the row is deleted at flush
    rows.extend(PersonSearchGram(gram=g) for g in sorted(wanted - {r.gram for r in rows}))


def create_person(data: dict, *, actor) -> Person:
    person = Person(collected_by_org_id=actor.org_id, municipality_id=actor.municipality_id)
    apply_person_fields(person, data)
    db.session().add(person)
    db.session().flush()
    trail.record(db.session(), action="persons.create", resource_type="persons", resource_id=person.id, actor=actor)
    return person


def own_person(person_id: uuid.UUID, actor) -> Person | None:
    """A person the actor's organisation collected in the municipality it acts in, or None."""
    person = db.session().get(Person, person_id)
    if person is None or person.collected_by_org_id != actor.org_id or person.municipality_id != actor.municipality_id:
        return None
    return person


def _member_person(entry: dict, actor, prefix: str) -> Person:
    """A member entry names a person the actor's organisation collected (`person_id`) or a new one (`person`)."""
    if entry.get("person_id"):
        person = own_person(entry["person_id"], actor)
        if person is None:
            raise validation_problem({f"{prefix}person_id": ["指定された人物は登録できません。"]})
        return person
    if entry.get("person"):
        return create_person(entry["person"], actor=actor)
    raise validation_problem({prefix.rstrip(".") or "person": ["person か person_id のどちらかが必要です。"]})


def create_household(data: dict, *, actor) -> Household:
    """A household with its members; members are new persons (inline) or persons the actor's organisation
    collected (`person_id`)."""
    s = db.session()
    codes.check("district", "district", data.get("district"), municipality_id=actor.municipality_id)
    household = Household(address=data.get("address"), district_code=data.get("district"),
                          collected_by_org_id=actor.org_id, municipality_id=actor.municipality_id)
    s.add(household)
    members = data.get("members", [])
    for position, m in enumerate(members):
        person = _member_person(m, actor, f"members.{position}.")
        s.add(HouseholdMember(household=household, person_id=person.id, relationship_code=m["relationship"],
                              in_need=m.get("in_need", False), position=position, since=m.get("since")))
    s.flush()
    trail.record(s, action="households.create", resource_type="households", resource_id=household.id, actor=actor,
                 detail={"members": len(members)})
    return household


def collected_here(record: Person | Household, actor) -> bool:
    """Only the collecting organisation edits a record, and only in the municipality it collected it in."""
    return record.collected_by_org_id == actor.org_id and record.municipality_id == actor.municipality_id


def own_persons_query(viewer: Viewer, q: str | None) -> Select:
    """Persons the viewer's organisation collected in the municipality it acts in, optionally by name or reading;
    never a person under a secrecy decision that does not name it (住所秘匿: a search finds nothing)."""
    stmt = select(Person).where(Person.collected_by_org_id == viewer.org_id,
                                Person.municipality_id == viewer.municipality_id, ~secret_from(viewer))
    if q and search_key(q):
        stmt = stmt.where(Person.search_key.like(like_pattern(search_key(q)), escape="\\"))
    return stmt.order_by(Person.search_key, Person.id)


def person_for_edit(viewer: Viewer, person_id: uuid.UUID, actor) -> Person:
    """404 unless the viewer may see the person; 403 unless the actor's organisation collected it here."""
    person = person_visible_to(viewer, person_id)
    if not collected_here(person, actor):
        raise Problem(403, detail="個人情報の修正は、その情報を収集した組織のみ行えます。", type_="forbidden")
    return person


def update_person(person: Person, data: dict, *, actor) -> None:
    apply_person_fields(person, data)
    trail.record(db.session(), action="persons.update", resource_type="persons", resource_id=person.id,
                 actor=actor, detail={"changed": sorted(data)})
    db.session().flush()


def visible_household(viewer: Viewer, household_id: uuid.UUID) -> Household:
    """The household if the viewer's organisation collected it here or sees one of its cases; else 404."""
    s = db.session()
    h = s.get(Household, household_id)
    own = h is not None and h.collected_by_org_id == viewer.org_id and h.municipality_id == viewer.municipality_id
    if h is not None and not own:
        # keyed EXISTS probes per case of the household, not the viewer's whole visible set
        linked = s.scalar(select(Case.id).where(Case.household_id == h.id, case_is_visible(viewer)).limit(1))
        if linked is None:
            h = None
    if h is None:
        raise Problem(404, detail=NOT_FOUND)
    return h


def household_for_edit(viewer: Viewer, household_id: uuid.UUID, actor) -> Household:
    h = visible_household(viewer, household_id)
    if not collected_here(h, actor):
        raise Problem(403, detail="世帯情報の修正は、その情報を収集した組織のみ行えます。", type_="forbidden")
    return h


def update_household(h: Household, data: dict, *, actor) -> None:
    """Change the address or district."""
    if "district" in data:
        codes.check("district", "district", data["district"], municipality_id=h.municipality_id)
        h.district_code = data["district"]
    if "address" in data:
        h.address = data["address"]
    trail.record(db.session(), action="households.update", resource_type="households", resource_id=h.id,
                 actor=actor, detail={"changed": sorted(data)})
    db.session().flush()


def add_member(h: Household, data: dict, *, actor) -> HouseholdMember:
    """A new member: a person the actor's organisation collected, or a new one."""
    s = db.session()
    person = _member_person(data, actor, "")
    member = HouseholdMember(household_id=h.id, person_id=person.id, relationship_code=data["relationship"],
                             in_need=data.get("in_need", False), position=len(h.members), since=data.get("since"))
    s.add(member)
    trail.record(s, action="households.add_member", resource_type="households", resource_id=h.id, actor=actor)
    s.flush()
    s.refresh(h)
    return member

