from __future__ import annotations

from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from caseflow.access import trail
from caseflow.access.authz import requires
from caseflow.access.disclosure import DisclosureLog, present_case_detail, present_case_page, present_person
from caseflow.access.requests import etag, record_read, require_if_match, viewer
from caseflow.access.sharing import bases_for_persons, case_is_visible, case_notes_basis, relations_to_cases
from caseflow.cases import people, transfers
from caseflow.cases import rules as case_domain
from caseflow.cases import search as case_search
from caseflow.cases.models import RELATIONSHIP_LABELS, Case, Household, HouseholdMember, Person, ProgressRecord
from caseflow.cases.schemas import (
    CaseCreateSchema,
    CaseDetailSchema,
    CasePageSchema,
    CaseQuerySchema,
    CaseUpdateSchema,
    HouseholdInSchema,
    HouseholdOutSchema,
    HouseholdUpdateSchema,
    MemberEndSchema,
    MemberInSchema,
    PersonInSchema,
    PersonOutSchema,
    ProgressInSchema,
    ProgressOutSchema,
    StageChangeSchema,
    TransitionSchema,
)
from caseflow.codes import rules as codes
from caseflow.consents import rules as consent_domain
from caseflow.consents.rules import person_visible_to
from caseflow.consents.schemas import EmergencyInSchema, EmergencyOutSchema
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.pagination import paginate
from caseflow.core.refs import MunicipalityRefSchema, OrganizationRefSchema
from caseflow.core.schemas import PageArgs, Text, Timestamp, page_of
from caseflow.core.text import like_pattern, search_key
from caseflow.organizations.models import Organization

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases",
                description="Cases and their stages (intake → referral → assessment ⇄ support → closed)")


def _detail(case, relations=None):
    data, log = present_case_detail(viewer(), case, relations)
    record_read("cases.read", "cases", case.id, log)
    return data, 200, etag(case.version)


@blp.route("")
@requires("cases", "read")
@blp.arguments(CaseQuerySchema, location="query")
@blp.response(200, CasePageSchema)
def list_cases(args):
    """Cases the caller's organisation may see, newest first; `q` matches case numbers and names/readings
    (kana-, width- and space-insensitive) of persons whose identity the caller may see."""
    page = paginate(case_search.case_list_query(viewer(), args), args["limit"], args["offset"])
    items, log = present_case_page(viewer(), page["items"])
    record_read("cases.list", "cases", None, log, detail={"count": len(items)})
    return {**page, "items": items}


@blp.route("", methods=["POST"])
@requires("cases", "create")
@blp.arguments(CaseCreateSchema)
@blp.response(201, CaseDetailSchema)
def create_case(body):
    """Open a case (受付), optionally with a new household and its members, or anonymously."""
    case = case_domain.open_case(body, actor=current_user)
    db.session().flush()
    data, status, headers = _detail(case)
    return data, 201, headers


@blp.route("/<uuid:case_id>")
@requires("cases", "read")
@blp.response(200, CaseDetailSchema)
def get_case(case_id):
    """A case with its persons, each showing only what the caller has a basis for."""
    return _detail(*case_domain.get_visible_case_and_relations(viewer(), case_id))


@blp.route("/<uuid:case_id>", methods=["PATCH"])
@requires("cases", "update")
@blp.arguments(CaseUpdateSchema)
@blp.response(200, CaseDetailSchema)
def update_case(body, case_id):
    """Edit a case (owner organisation; send If-Match with the ETag you read)."""
    case = case_domain.get_visible_case(viewer(), case_id)
    require_if_match(case.version)
    case_domain.update_case(case, body, actor=current_user)
    db.session().flush()
    return _detail(case)


@blp.route("/<uuid:case_id>/transitions", methods=["POST"])
@requires("cases", "transition")
@blp.arguments(TransitionSchema)
@blp.response(200, CaseDetailSchema)
def transition_case(body, case_id):
    """Move the case to another stage; illegal moves answer 409 with the allowed ones."""
    case = case_domain.get_visible_case(viewer(), case_id)
    case_domain.transition(case, body["to"], reason=body.get("reason"), closure_reason=body.get("closure_reason"),
                           actor=current_user)
    db.session().flush()
    return _detail(case)


@blp.route("/<uuid:case_id>/history")
@requires("cases", "read")
@blp.response(200, StageChangeSchema(many=True))
def case_history(case_id):
    """Every stage change: from, to, who, when, why."""
    case = case_domain.get_visible_case(viewer(), case_id)
    changes = case_domain.history(case)
    record_read("cases.history.read", "cases", case.id, DisclosureLog(), detail={"changes": len(changes)})
    return changes


@blp.route("/<uuid:case_id>/progress")
@requires("cases", "read")
@blp.response(200, ProgressOutSchema(many=True))
def list_progress(case_id):
    """支援経過記録, newest first. Bodies are case_notes: shown for the caller's own entries or on a basis."""
    v = viewer()
    case = case_domain.get_visible_case(v, case_id)
    s = db.session()
    records = s.scalars(select(ProgressRecord).where(ProgressRecord.case_id == case.id)
                        .order_by(ProgressRecord.occurred_on.desc(), ProgressRecord.created_at.desc())).all()
    primary = None
    if case.primary_person_id:
        person = s.get(Person, case.primary_person_id)
        primary = bases_for_persons(v, {person.id: person.collected_by_org_id})[person.id]
    basis = case_notes_basis(v, case, primary)
    orgs = {o.id: o for o in s.scalars(select(Organization).where(Organization.id.in_({r.org_id for r in records})))}
    log = DisclosureLog()
    out = []
    for r in records:
        own = r.org_id == v.org_id
        visible = own or basis is not None
        if visible and case.primary_person_id:
            log.add(case.primary_person_id, "own_collection" if own else basis, "case_notes")
        out.append({"id": r.id, "org": orgs[r.org_id], "kind": r.kind, "occurred_on": r.occurred_on,
                    "body": r.body if visible else None, "body_withheld": not visible, "created_at": r.created_at})
    record_read("progress.read", "cases", case.id, log)
    return out


@blp.route("/<uuid:case_id>/progress", methods=["POST"])
@requires("progress", "create")
@blp.arguments(ProgressInSchema)
@blp.response(201, ProgressOutSchema)
def add_progress(body, case_id):
    """Record support given (any organisation involved in the case)."""
    v = viewer()
    case = case_domain.get_visible_case(v, case_id)
    relations = relations_to_cases(v, [case.id]).get(case.id, set())
    rec = case_domain.add_progress(case, body, actor=current_user, relations=relations)
    return {"id": rec.id, "org": current_user.org, "kind": rec.kind, "occurred_on": rec.occurred_on,
            "body": rec.body, "body_withheld": False, "created_at": rec.created_at}


@blp.route("/<uuid:case_id>/emergency-access", methods=["POST"])
@requires("emergency", "request")
@blp.arguments(EmergencyInSchema)
@blp.response(201, EmergencyOutSchema)
def open_emergency_access(body, case_id):
    """Break-glass (個人情報保護法27条1項2号): time-boxed access to one person of the case, with a written
    justification; always flagged for audit review."""
    case = case_domain.get_visible_case(viewer(), case_id)
    return consent_domain.open_emergency_access(case, body["person_id"], body["justification"], body["hours"],
                                                actor=current_user)


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
    anchor = h.in_need_person_id()
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

            raise validation_problem({"person_id": ["指定された人物は登録できません。"]})
    elif body.get("person"):
        person = people.create_person(body["person"], actor=current_user)
    else:

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


transfers_blp = Blueprint("transfers", __name__, url_prefix="/api/v1",
                description="Case transfers to another municipality (転居): requested by the owner, accepted by an "
                            "organisation of the receiving municipality")


class TransferInSchema(Schema):
    to_municipality = Text(required=True, max_length=32, metadata={"description": "the receiving municipality's code"})
    to_org_id = fields.UUID(required=True, metadata={"description": "an organisation of the receiving municipality"})
    reason = Text(required=True, min_length=1, max_length=2000)


class TransferCaseSchema(Schema):
    id = fields.UUID()
    issues = fields.List(fields.String())
    stage = fields.String()
    urgency = fields.String()
    age_band = fields.String(allow_none=True)


class TransferSchema(Schema):
    id = fields.UUID()
    state = fields.String()
    state_label = fields.String()
    reason = fields.String()
    state_reason = fields.String(allow_none=True)
    requested_at = Timestamp()
    decided_at = Timestamp(allow_none=True)
    from_municipality = fields.Nested(MunicipalityRefSchema)
    to_municipality = fields.Nested(MunicipalityRefSchema)
    from_org = fields.Nested(OrganizationRefSchema)
    to_org = fields.Nested(OrganizationRefSchema)
    from_case_number = fields.String()
    to_case_number = fields.String(allow_none=True)
    case = fields.Nested(TransferCaseSchema, metadata={"description": "the de-identified view of the case"})


class TransferQuerySchema(PageArgs):
    box = fields.String(load_default="inbox", validate=validate.OneOf(["inbox", "outbox"]))


class TransferDecisionSchema(Schema):
    reason = Text(max_length=2000, allow_none=True)


@transfers_blp.route("/cases/<uuid:case_id>/transfers", methods=["POST"])
@requires("cases", "transfer")
@transfers_blp.arguments(TransferInSchema)
@transfers_blp.response(201, TransferSchema)
def request_transfer(body, case_id):
    """Ask an organisation of another municipality to take the case over (the owner organisation)."""
    case = case_domain.get_visible_case(viewer(), case_id)
    return transfers.present(transfers.request_transfer(case, body, actor=current_user))


@transfers_blp.route("/transfers")
@requires("cases", "transfer")
@transfers_blp.arguments(TransferQuerySchema, location="query")
@transfers_blp.response(200, page_of(TransferSchema))
def list_transfers(args):
    """Transfers to your organisation in the municipality you act in (inbox), or from it (outbox), newest first."""
    page = paginate(transfers.box_query(viewer(), args["box"]), args["limit"], args["offset"])
    return {**page, "items": [transfers.present(t) for t in page["items"]]}


@transfers_blp.route("/transfers/<uuid:transfer_id>")
@requires("cases", "transfer")
@transfers_blp.response(200, TransferSchema)
def get_transfer(transfer_id):
    """One transfer (either side)."""
    return transfers.present(transfers.get_visible_transfer(viewer(), transfer_id))


def _decide(transfer_id, action: str, body: dict | None):
    t = transfers.get_visible_transfer(viewer(), transfer_id)
    return transfers.present(transfers.decide(t, action, actor=current_user, reason=(body or {}).get("reason")))


@transfers_blp.route("/transfers/<uuid:transfer_id>/accept", methods=["POST"])
@requires("cases", "transfer")
@transfers_blp.arguments(TransferDecisionSchema, required=False)
@transfers_blp.response(200, TransferSchema)
def accept_transfer(body, transfer_id):
    """Take the case over (the receiving organisation, acting in the receiving municipality)."""
    return _decide(transfer_id, "accept", body)


@transfers_blp.route("/transfers/<uuid:transfer_id>/decline", methods=["POST"])
@requires("cases", "transfer")
@transfers_blp.arguments(TransferDecisionSchema)
@transfers_blp.response(200, TransferSchema)
def decline_transfer(body, transfer_id):
    """Decline, with a reason (the receiving organisation)."""
    return _decide(transfer_id, "decline", body)


@transfers_blp.route("/transfers/<uuid:transfer_id>/withdraw", methods=["POST"])
@requires("cases", "transfer")
@transfers_blp.arguments(TransferDecisionSchema, required=False)
@transfers_blp.response(200, TransferSchema)
def withdraw_transfer(body, transfer_id):
    """Withdraw the request (the sending organisation)."""
    return _decide(transfer_id, "withdraw", body)
