from __future__ import annotations

from flask_login import current_user

from caseflow.access import authz
from caseflow.access.authz import requires
from caseflow.access.disclosure import DisclosureLog, present_case_detail, present_case_page
from caseflow.access.refs import name_actors, user_ref
from caseflow.access.requests import etag, record_read, require_if_match, viewer
from caseflow.access.sharing import relations_to_cases
from caseflow.cases import handover as case_handover
from caseflow.cases import leads, people, secrecy, transfers
from caseflow.cases import relationships as household_history
from caseflow.cases import rules as case_domain
from caseflow.cases import search as case_search
from caseflow.cases import views as case_views
from caseflow.cases.schemas import (
    CaseCreateSchema,
    CaseDetailSchema,
    CasePageSchema,
    CaseQuerySchema,
    CaseRelationshipsSchema,
    CaseUpdateSchema,
    CoLeadInSchema,
    DataHandoverSchema,
    HandoverDecisionSchema,
    HandoverInSchema,
    HandoverQuerySchema,
    HandoverSchema,
    HouseholdHistorySchema,
    HouseholdInSchema,
    HouseholdOutSchema,
    HouseholdUpdateSchema,
    LeadsSchema,
    MemberEndSchema,
    MemberInSchema,
    PersonHouseholdsSchema,
    PersonInSchema,
    PersonOutSchema,
    PersonPageSchema,
    PersonQuerySchema,
    ProgressInSchema,
    ProgressOutSchema,
    RelationshipEndSchema,
    RelationshipInSchema,
    RelationshipOutSchema,
    ReporterInSchema,
    ReporterSchema,
    SecrecyDecisionSchema,
    SecrecyEndSchema,
    SecrecyInSchema,
    StageChangeSchema,
    TransferDecisionSchema,
    TransferInSchema,
    TransferQuerySchema,
    TransferSchema,
    TransitionSchema,
)
from caseflow.consents import rules as consent_domain
from caseflow.consents.rules import person_visible_to
from caseflow.consents.schemas import EmergencyInSchema, EmergencyOutSchema
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.pagination import paginate
from caseflow.core.schemas import page_of

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
    changes = name_actors(case_domain.history(case), actor="actor_user_id")
    record_read("cases.history.read", "cases", case.id, DisclosureLog(), detail={"changes": len(changes)})
    return changes


@blp.route("/<uuid:case_id>/handover")
@requires("cases", "read")
@blp.response(200, DataHandoverSchema)
def case_handover_view(case_id):
    """What personal data has passed to which organisations (basis, stage), and what the next stage needs."""
    case, relations = case_domain.get_visible_case_and_relations(viewer(), case_id)
    if "owner" not in relations:
        raise authz.deny("read", "case_handover", case.id)
    data = case_handover.handover(case)
    record_read("cases.handover.read", "cases", case.id, DisclosureLog(),
                detail={"passed": len(data["passed"]), "organisations": len(data["organisations"])})
    return data


@blp.route("/<uuid:case_id>/relationships")
@requires("cases", "read")
@blp.response(200, CaseRelationshipsSchema)
def case_relationships(case_id):
    """The relationships in force between the members of the case's household, each shown only where the caller
    has an identity basis for both persons (else marked withheld)."""
    v = viewer()
    case = case_domain.get_visible_case(v, case_id)
    data, log = household_history.case_relationships_view(v, case)
    record_read("cases.relationships_read", "cases", case.id, log, detail={"count": len(data["relationships"])})
    return data


@blp.route("/<uuid:case_id>/progress")
@requires("cases", "read")
@blp.response(200, ProgressOutSchema(many=True))
def list_progress(case_id):
    """支援経過記録, newest first. Bodies are case_notes: shown for the caller's own entries or on a basis."""
    v = viewer()
    case = case_domain.get_visible_case(v, case_id)
    items, log = case_views.progress_view(v, case)
    record_read("progress.read", "cases", case.id, log)
    return items


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
    return case_views.progress_item(rec, current_user.org, author=user_ref(current_user))


@blp.route("/<uuid:case_id>/reporter", methods=["POST"])
@requires("cases", "update")
@blp.arguments(ReporterInSchema)
@blp.response(201, ReporterSchema(many=True))
def record_reporter(body, case_id):
    """Record who reported the household (近隣からの通報 …), kept apart from the case: only your organisation
    (the one that received the report) will ever read it; never in referrals, agendas, minutes or exports."""
    v = viewer()
    case = case_domain.get_visible_case(v, case_id)
    secrecy.record_reporter(case, body, actor=current_user)
    return secrecy.present_reporters(secrecy.reporters_for(v, case))


@blp.route("/<uuid:case_id>/reporter")
@requires("cases", "read")
@blp.response(200, ReporterSchema(many=True))
def get_reporter(case_id):
    """The reporters your organisation recorded for the case; 404 for every other organisation."""
    v = viewer()
    case = case_domain.get_visible_case(v, case_id)
    rows = secrecy.reporters_for(v, case)
    record_read("cases.reporter_read", "cases", case.id, DisclosureLog(), detail={"count": len(rows)})
    return secrecy.present_reporters(rows)


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

def _person(person):
    data, log = case_views.person_view(viewer(), person)
    record_read("persons.read", "persons", person.id, log)
    return data, 200, etag(person.version)


def _household(h, status: int = 200):
    data, log = case_views.household_view(viewer(), h)
    record_read("households.read", "households", h.id, log)
    return data, status, etag(h.version)


@persons_blp.route("")
@requires("persons", "read")
@persons_blp.arguments(PersonQuerySchema, location="query")
@persons_blp.response(200, PersonPageSchema)
def list_persons(args):
    """Persons the caller's organisation collected (own collection), optionally by name or reading."""
    page = paginate(people.own_persons_query(viewer(), args.get("q")), args["limit"], args["offset"])
    page["items"], log = case_views.persons_view(viewer(), page["items"])
    record_read("persons.list", "persons", None, log)
    return page


@persons_blp.route("", methods=["POST"])
@requires("persons", "create")
@persons_blp.arguments(PersonInSchema)
@persons_blp.response(201, PersonOutSchema)
def create_person(body):
    """Register a person (the caller's organisation becomes the collector)."""
    data, _status, headers = _person(people.create_person(body, actor=current_user))
    return data, 201, headers


@persons_blp.route("/<uuid:person_id>")
@requires("persons", "read")
@persons_blp.response(200, PersonOutSchema)
def get_person(person_id):
    """A person, showing only the categories the caller has a basis for."""
    return _person(person_visible_to(viewer(), person_id))


@persons_blp.route("/<uuid:person_id>", methods=["PATCH"])
@requires("persons", "update")
@persons_blp.arguments(PersonInSchema)
@persons_blp.response(200, PersonOutSchema)
def update_person(body, person_id):
    """Correct a person's data (collecting organisation only; If-Match required)."""
    person = people.person_for_edit(viewer(), person_id, current_user)
    require_if_match(person.version)
    people.update_person(person, body, actor=current_user)
    return _person(person)


@persons_blp.route("/<uuid:person_id>/households")
@requires("persons", "read")
@persons_blp.response(200, PersonHouseholdsSchema)
def person_households(person_id):
    """The households the person belonged to in this municipality (joined, left, why) and the person's
    relationships there: on an identity basis for the person (for both persons of a relationship)."""
    v = viewer()
    person = person_visible_to(v, person_id)
    data, log = household_history.person_households_view(v, person)
    record_read("persons.households_read", "persons", person.id, log,
                detail={"memberships": len(data["memberships"])})
    return data


# --- 住所秘匿 (secrecy of one person) -------------------------------------------------------------

@persons_blp.route("/<uuid:person_id>/secrecy", methods=["POST"])
@requires("persons", "secrecy")
@persons_blp.arguments(SecrecyInSchema)
@persons_blp.response(201, SecrecyDecisionSchema)
def decide_secrecy(body, person_id):
    """秘匿決定 (supervisor of an organisation that collected the person or works on one of their cases): the
    person's address, contact, household and moves are withheld from every organisation not named, whatever
    other basis (consent, 支援会議, break-glass) applies. The deciding organisation is always named."""
    decision = secrecy.decide(viewer(), person_id, body, actor=current_user)
    return secrecy.present_decisions([decision])[0]


@persons_blp.route("/<uuid:person_id>/secrecy")
@requires("persons", "read")
@persons_blp.response(200, SecrecyDecisionSchema(many=True))
def list_secrecy(person_id):
    """The person's secrecy decisions (in force and ended), for the organisations they name; others get none."""
    decisions = secrecy.visible_decisions(viewer(), person_id)
    record_read("persons.secrecy_read", "persons", person_id, DisclosureLog(), detail={"count": len(decisions)})
    return secrecy.present_decisions(decisions)


@persons_blp.route("/<uuid:person_id>/secrecy/<uuid:secrecy_id>/end", methods=["POST"])
@requires("persons", "secrecy")
@persons_blp.arguments(SecrecyEndSchema)
@persons_blp.response(200, SecrecyDecisionSchema)
def end_secrecy(body, person_id, secrecy_id):
    """End a secrecy decision, with a reason (a supervisor of the deciding organisation)."""
    decision = secrecy.end(viewer(), person_id, secrecy_id, body["reason"], actor=current_user)
    return secrecy.present_decisions([decision])[0]


# --- households -----------------------------------------------------------------------------

@households_blp.route("", methods=["POST"])
@requires("households", "create")
@households_blp.arguments(HouseholdInSchema)
@households_blp.response(201, HouseholdOutSchema)
def create_household(body):
    """Register a household with its members (new persons inline, or persons you collected)."""
    h = people.create_household(body, actor=current_user)
    db.session().refresh(h)
    return _household(h, 201)


@households_blp.route("/<uuid:household_id>")
@requires("households", "read")
@households_blp.response(200, HouseholdOutSchema)
def get_household(household_id):
    """A household and its current members, redacted per member."""
    return _household(people.visible_household(viewer(), household_id))


@households_blp.route("/<uuid:household_id>", methods=["PATCH"])
@requires("households", "update")
@households_blp.arguments(HouseholdUpdateSchema)
@households_blp.response(200, HouseholdOutSchema)
def update_household(body, household_id):
    """Change the address or district (collecting organisation; If-Match required)."""
    h = people.household_for_edit(viewer(), household_id, current_user)
    require_if_match(h.version)
    people.update_household(h, body, actor=current_user)
    return _household(h)


@households_blp.route("/<uuid:household_id>/members", methods=["POST"])
@requires("households", "update")
@households_blp.arguments(MemberInSchema)
@households_blp.response(201, HouseholdOutSchema)
def add_member(body, household_id):
    """Add a member (a new person inline, or one you collected)."""
    h = people.household_for_edit(viewer(), household_id, current_user)
    people.add_member(h, body, actor=current_user)
    return _household(h, 201)


@households_blp.route("/<uuid:household_id>/members/<uuid:member_id>/end", methods=["POST"])
@requires("households", "update")
@households_blp.arguments(MemberEndSchema)
@households_blp.response(200, HouseholdOutSchema)
def end_member(body, household_id, member_id):
    """A member leaves the household: kept in its history with the day and why (`reason_code`, `reason`)."""
    h = people.household_for_edit(viewer(), household_id, current_user)
    household_history.end_member(h, member_id, body, actor=current_user)
    return _household(h)


@households_blp.route("/<uuid:household_id>/history")
@requires("households", "read")
@households_blp.response(200, HouseholdHistorySchema)
def household_history_read(household_id):
    """Every membership, current and past (joined, left, why), and every relationship between members, each
    shown only on an identity basis (for both persons of a relationship), else marked withheld."""
    v = viewer()
    h = people.visible_household(v, household_id)
    data, log = household_history.household_history_view(v, h)
    record_read("households.history_read", "households", h.id, log,
                detail={"memberships": len(data["memberships"]), "relationships": len(data["relationships"])})
    return data


@households_blp.route("/<uuid:household_id>/relationships", methods=["POST"])
@requires("households", "update")
@households_blp.arguments(RelationshipInSchema)
@households_blp.response(201, RelationshipOutSchema)
def add_relationship(body, household_id):
    """Record a relationship between two current members: from_person is the `relation` of to_person."""
    v = viewer()
    h = people.household_for_edit(v, household_id, current_user)
    rel = household_history.add_relationship(h, body, actor=current_user)
    return _relationship(v, h, rel.id)


@households_blp.route("/<uuid:household_id>/relationships/<uuid:relationship_id>/end", methods=["POST"])
@requires("households", "update")
@households_blp.arguments(RelationshipEndSchema)
@households_blp.response(200, RelationshipOutSchema)
def end_relationship(body, household_id, relationship_id):
    """End a relationship (kept in the household's history with the day and why)."""
    v = viewer()
    h = people.household_for_edit(v, household_id, current_user)
    household_history.end_relationship(h, relationship_id, body, actor=current_user)
    return _relationship(v, h, relationship_id)


def _relationship(v, h, relationship_id):
    data, log = household_history.household_history_view(v, h)
    record_read("households.history_read", "households", h.id, log, detail={"relationship_id": str(relationship_id)})
    # a relationship of a member secret from the caller is not shown, not even to its writer
    return next((r for r in data["relationships"] if r["id"] == relationship_id),
                {"id": relationship_id, "withheld": True, "withheld_reason": "secrecy"})


transfers_blp = Blueprint("transfers", __name__, url_prefix="/api/v1",
                description="Case transfers to another municipality (転居): requested by the owner, accepted by an "
                            "organisation of the receiving municipality")


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
    return {**page, "items": transfers.present_many(page["items"])}


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


# --- 主担当・副担当 ----------------------------------------------------------------------------------------

leads_blp = Blueprint("leads", __name__, url_prefix="/api/v1",
                      description="Lead (主担当) and co-lead (副担当) organisations of a case, and hand-overs of the lead")


@leads_blp.route("/cases/<uuid:case_id>/leads")
@requires("cases", "read")
@leads_blp.response(200, LeadsSchema)
def get_leads(case_id):
    """The lead and the co-leads; the hand-over history for the organisations working on the case."""
    v = viewer()
    return leads.leads_view(v, case_domain.get_visible_case(v, case_id))


@leads_blp.route("/cases/<uuid:case_id>/co-leads", methods=["POST"])
@requires("cases", "update")
@leads_blp.arguments(CoLeadInSchema)
@leads_blp.response(201, LeadsSchema)
def add_co_lead(body, case_id):
    """Add a co-lead (the lead organisation): an organisation of the case's municipality."""
    case = case_domain.get_visible_case(viewer(), case_id)
    leads.add_co_lead(case, body["org_id"], actor=current_user)
    return leads.leads_view(viewer(), case)


@leads_blp.route("/cases/<uuid:case_id>/co-leads/<uuid:org_id>/end", methods=["POST"])
@requires("cases", "update")
@leads_blp.response(200, LeadsSchema)
def end_co_lead(case_id, org_id):
    """End a co-lead's part (the lead, or the co-lead itself)."""
    case = case_domain.get_visible_case(viewer(), case_id)
    leads.end_co_lead(case, org_id, actor=current_user)
    return leads.leads_view(viewer(), case)


@leads_blp.route("/cases/<uuid:case_id>/lead-handovers", methods=["POST"])
@requires("cases", "update")
@leads_blp.arguments(HandoverInSchema)
@leads_blp.response(201, HandoverSchema)
def request_handover(body, case_id):
    """Offer the lead to another organisation of the case's municipality (the lead organisation)."""
    case = case_domain.get_visible_case(viewer(), case_id)
    return leads.present(leads.request_handover(case, body, actor=current_user))


@leads_blp.route("/lead-handovers")
@requires("cases", "read")
@leads_blp.arguments(HandoverQuerySchema, location="query")
@leads_blp.response(200, page_of(HandoverSchema))
def list_handovers(args):
    """Offers to your organisation (inbox) or from it (outbox) in the municipality you act in, newest first."""
    page = paginate(leads.box_query(viewer(), args["box"]), args["limit"], args["offset"])
    return {**page, "items": leads.present_many(page["items"])}


@leads_blp.route("/lead-handovers/<uuid:handover_id>")
@requires("cases", "read")
@leads_blp.response(200, HandoverSchema)
def get_handover(handover_id):
    """One offer (either side)."""
    return leads.present(leads.get_visible_handover(viewer(), handover_id))


def _decide_handover(handover_id, action: str, body: dict | None):
    h = leads.get_visible_handover(viewer(), handover_id)
    return leads.present(leads.decide(h, action, actor=current_user, reason=(body or {}).get("reason")))


@leads_blp.route("/lead-handovers/<uuid:handover_id>/accept", methods=["POST"])
@requires("cases", "update")
@leads_blp.arguments(HandoverDecisionSchema, required=False)
@leads_blp.response(200, HandoverSchema)
def accept_handover(body, handover_id):
    """Take the lead over (the receiving organisation); the other open offers lapse."""
    return _decide_handover(handover_id, "accept", body)


@leads_blp.route("/lead-handovers/<uuid:handover_id>/decline", methods=["POST"])
@requires("cases", "update")
@leads_blp.arguments(HandoverDecisionSchema)
@leads_blp.response(200, HandoverSchema)
def decline_handover(body, handover_id):
    """Decline, with a reason (the receiving organisation)."""
    return _decide_handover(handover_id, "decline", body)


@leads_blp.route("/lead-handovers/<uuid:handover_id>/withdraw", methods=["POST"])
@requires("cases", "update")
@leads_blp.arguments(HandoverDecisionSchema, required=False)
@leads_blp.response(200, HandoverSchema)
def withdraw_handover(body, handover_id):
    """Withdraw the offer (the offering organisation)."""
    return _decide_handover(handover_id, "withdraw", body)
