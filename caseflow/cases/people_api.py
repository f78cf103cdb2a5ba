from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from caseflow.access import trail
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.access.requests import etag, record_read, require_if_match, viewer
from caseflow.access.authz import requires
from caseflow.cases import people
from caseflow.consents.rules import person_visible_to
from caseflow.access.disclosure import DisclosureLog, present_person
from caseflow.access.sharing import bases_for_persons, case_is_visible
from caseflow.core.errors import Problem
from caseflow.cases.models import Case, Household, HouseholdMember, Person
from caseflow.cases.models import RELATIONSHIP_LABELS
from caseflow.core.pagination import paginate
from caseflow.cases.schemas import (HouseholdInSchema, HouseholdOutSchema, HouseholdUpdateSchema, MemberEndSchema,
                                    MemberInSchema, PersonInSchema, PersonOutSchema)
from caseflow.core.schemas import PageArgs, Text, page_of
from caseflow.core.text import like_pattern, search_key

persons_blp = Blueprint("persons", __name__, url_prefix="/api/v1/persons", description="Persons (個人)")
households_blp = Blueprint("households", __name__, url_prefix="/api/v1/households", description="Households (世帯)")

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


def _present(person: Person):
    v = viewer()
    log = DisclosureLog()
    bases = bases_for_persons(v, {person.id: person.collected_by_org_id})[person.id]
    data = present_person(person, bases, log)
    data["version"] = person.version
    record_read("persons.read", "persons", person.id, log)
    return data, 200, etag(person.version)


def _collected_here(record: Person | Household) -> bool:
    """Only the collecting organisation edits a record, and only in the municipality it collected it in."""
    return record.collected_by_org_id == current_user.org_id and record.municipality_id == current_user.municipality_id


def _own_person(person_id) -> Person:
    person = person_visible_to(viewer(), person_id)
    if not _collected_here(person):
        raise Problem(403, detail="個人情報の修正は、その情報を収集した組織のみ行えます。", type_="forbidden")
    return person


class PersonQuerySchema(PageArgs):
    q = Text(max_length=100)


PersonPageSchema = page_of(PersonOutSchema)


@persons_blp.route("")
@requires("persons", "read")
@persons_blp.arguments(PersonQuerySchema, location="query")
@persons_blp.response(200, PersonPageSchema)
def list_persons(args):
    """Persons the caller's organisation collected (own collection), optionally by name or reading."""
    stmt = select(Person).where(Person.collected_by_org_id == current_user.org_id,
                                Person.municipality_id == current_user.municipality_id)
    if args.get("q") and search_key(args["q"]):
        stmt = stmt.where(Person.search_key.like(like_pattern(search_key(args["q"])), escape="\\"))
    page = paginate(stmt.order_by(Person.search_key, Person.id), args["limit"], args["offset"])
    v, log = viewer(), DisclosureLog()
    bases = bases_for_persons(v, {p.id: p.collected_by_org_id for p in page["items"]})
    page["items"] = [present_person(p, bases[p.id], log) for p in page["items"]]
    record_read("persons.list", "persons", None, log)
    return page


@persons_blp.route("", methods=["POST"])
@requires("persons", "create")
@persons_blp.arguments(PersonInSchema)
@persons_blp.response(201, PersonOutSchema)
def create_person(body):
    """Register a person (the caller's organisation becomes the collector)."""
    person = people.create_person(body, actor=current_user)
    data, _status, headers = _present(person)
    return data, 201, headers


@persons_blp.route("/<uuid:person_id>")
@requires("persons", "read")
@persons_blp.response(200, PersonOutSchema)
def get_person(person_id):
    """A person, showing only the categories the caller has a basis for."""
    return _present(person_visible_to(viewer(), person_id))


@persons_blp.route("/<uuid:person_id>", methods=["PATCH"])
@requires("persons", "update")
@persons_blp.arguments(PersonInSchema)
@persons_blp.response(200, PersonOutSchema)
def update_person(body, person_id):
    """Correct a person's data (collecting organisation only; If-Match required)."""
    person = _own_person(person_id)
    require_if_match(person.version)
    people.apply_person_fields(person, body)
    trail.record(db.session(), action="persons.update", resource_type="persons", resource_id=person.id,
                 actor=current_user, detail={"changed": sorted(body)})
    db.session().flush()
    return _present(person)


# --- households -----------------------------------------------------------------------------

def _visible_household(household_id) -> Household:
    v = viewer()
    s = db.session()
    h = s.get(Household, household_id)
    own = h is not None and h.collected_by_org_id == v.org_id and h.municipality_id == v.municipality_id
    if h is not None and not own:
        # keyed EXISTS probes per case of the household, not the viewer's whole visible set
        linked = s.scalar(select(Case.id).where(Case.household_id == h.id, case_is_visible(v)).limit(1))
        if linked is None:
            h = None
    if h is None:
        raise Problem(404, detail=NOT_FOUND)
    return h


def _present_household(h: Household):
    from caseflow.cases.people import in_need_person_id

    v = viewer()
    log = DisclosureLog()
    members = [m for m in h.members if m.until is None]
    persons = {p.id: p for p in db.session().scalars(select(Person).where(Person.id.in_([m.person_id for m in members])))}
    bases = bases_for_persons(v, {p.id: p.collected_by_org_id for p in persons.values()})
    out = {"id": h.id, "district": h.district_code, "version": h.version, "members": []}
    for m in members:
        out["members"].append(present_person(persons[m.person_id], bases[m.person_id], log, extra={
            "relationship": m.relationship_code, "relationship_label": RELATIONSHIP_LABELS[m.relationship_code],
            "in_need": m.in_need, "member_id": m.id}))
    anchor = in_need_person_id(h)
    basis = bases[anchor].basis("contact") if anchor in bases else (
        "own_collection" if h.collected_by_org_id == v.org_id else None)
    if basis:
        out["address"] = h.address
        if anchor:
            log.add(anchor, basis, "contact")
    out["address_withheld"] = basis is None
    record_read("households.read", "households", h.id, log)
    return out, 200, etag(h.version)


@households_blp.route("", methods=["POST"])
@requires("households", "create")
@households_blp.arguments(HouseholdInSchema)
@households_blp.response(201, HouseholdOutSchema)
def create_household(body):
    """Register a household with its members (new persons inline, or persons you collected)."""
    h = people.create_household(body, actor=current_user)
    db.session().flush()
    db.session().refresh(h)
    data, _s, headers = _present_household(h)
    return data, 201, headers


@households_blp.route("/<uuid:household_id>")
@requires("households", "read")
@households_blp.response(200, HouseholdOutSchema)
def get_household(household_id):
    """A household and its current members, redacted per member."""
    return _present_household(_visible_household(household_id))


@households_blp.route("/<uuid:household_id>", methods=["PATCH"])
@requires("households", "update")
@households_blp.arguments(HouseholdUpdateSchema)
@households_blp.response(200, HouseholdOutSchema)
def update_household(body, household_id):
    """Change the address or district (collecting organisation; If-Match required)."""
    h = _visible_household(household_id)
    if not _collected_here(h):
        raise Problem(403, detail="世帯情報の修正は、その情報を収集した組織のみ行えます。", type_="forbidden")
    require_if_match(h.version)
    from caseflow.codes import rules as codes

    if "district" in body:
        codes.check("district", "district", body["district"], municipality_id=h.municipality_id)
        h.district_code = body["district"]
    if "address" in body:
        h.address = body["address"]
    trail.record(db.session(), action="households.update", resource_type="households", resource_id=h.id,
                 actor=current_user, detail={"changed": sorted(body)})
    db.session().flush()
    return _present_household(h)


@households_blp.route("/<uuid:household_id>/members", methods=["POST"])
@requires("households", "update")
@households_blp.arguments(MemberInSchema)
@households_blp.response(201, HouseholdOutSchema)
def add_member(body, household_id):
    """Add a member (a new person inline, or one you collected)."""
    h = _visible_household(household_id)
    if not _collected_here(h):
        raise Problem(403, detail="世帯情報の修正は、その情報を収集した組織のみ行えます。", type_="forbidden")
    s = db.session()
    if body.get("person_id"):
        person = people.own_person(body["person_id"], current_user)
        if person is None:
            from caseflow.core.errors import validation_problem

            raise validation_problem({"person_id": ["指定された人物は登録できません。"]})
    elif body.get("person"):
        person = people.create_person(body["person"], actor=current_user)
    else:
        from caseflow.core.errors import validation_problem

        raise validation_problem({"person": ["person か person_id のどちらかが必要です。"]})
    s.add(HouseholdMember(household_id=h.id, person_id=person.id, relationship_code=body["relationship"],
                          in_need=body.get("in_need", False), position=len(h.members), since=body.get("since")))
    trail.record(s, action="households.add_member", resource_type="households", resource_id=h.id, actor=current_user)
    s.flush()
    s.refresh(h)
    data, _st, headers = _present_household(h)
    return data, 201, headers


@households_blp.route("/<uuid:household_id>/members/<uuid:member_id>/end", methods=["POST"])
@requires("households", "update")
@households_blp.arguments(MemberEndSchema)
@households_blp.response(200, HouseholdOutSchema)
def end_member(body, household_id, member_id):
    """A member leaves the household (kept in history with an end date)."""
    h = _visible_household(household_id)
    if not _collected_here(h):
        raise Problem(403, detail="世帯情報の修正は、その情報を収集した組織のみ行えます。", type_="forbidden")
    member = db.session().get(HouseholdMember, member_id)
    if member is None or member.household_id != h.id:
        raise Problem(404, detail=NOT_FOUND)
    people.end_membership(member, body["until"])
    trail.record(db.session(), action="households.end_member", resource_type="households", resource_id=h.id,
                 actor=current_user)
    db.session().flush()
    db.session().expire(h)
    return _present_household(h)
