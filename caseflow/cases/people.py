"""Persons and households: creation and edits, with the search key kept in step."""
from __future__ import annotations

import json
import uuid
from datetime import date

from sqlalchemy import select

from caseflow.access import trail
from caseflow.cases.models import SENSITIVE_KEYS, Household, HouseholdMember, Person, PersonSearchGram
from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.text import search_grams, search_key

PERSON_FIELDS = ("name", "name_kana", "birth_date", "gender", "phone", "email", "line_id", "notes")


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
        if m.get("person_id"):
            person = own_person(m["person_id"], actor)
            if person is None:
                raise validation_problem({f"members.{position}.person_id": ["指定された人物は登録できません。"]})
        elif m.get("person"):
            person = create_person(m["person"], actor=actor)
        else:
            raise validation_problem({f"members.{position}": ["person か person_id のどちらかが必要です。"]})
        s.add(HouseholdMember(household=household, person_id=person.id, relationship_code=m["relationship"],
                              in_need=m.get("in_need", False), position=position, since=m.get("since")))
    s.flush()
    trail.record(s, action="households.create", resource_type="households", resource_id=household.id, actor=actor,
                 detail={"members": len(members)})
    return household


def end_membership(member: HouseholdMember, until: date) -> None:
    if member.until is not None:
        raise Problem(409, detail="この世帯員はすでに世帯を離れています。")
    member.until = until


def current_members(household_id: uuid.UUID) -> list[HouseholdMember]:
    return list(db.session().scalars(
        select(HouseholdMember).where(HouseholdMember.household_id == household_id, HouseholdMember.until.is_(None))
        .order_by(HouseholdMember.position)))
