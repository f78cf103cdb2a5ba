from __future__ import annotations


from flask_login import current_user
from sqlalchemy import select

from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.access.requests import etag, record_read, require_if_match, viewer
from caseflow.access.authz import requires
from caseflow.cases import rules as case_domain
from caseflow.consents import rules as consent_domain
from caseflow.access.disclosure import DisclosureLog, present_case_detail, present_case_page
from caseflow.access.sharing import bases_for_persons, case_notes_basis, relations_to_cases
from caseflow.cases.models import Person, ProgressRecord
from caseflow.organizations.models import Organization
from caseflow.core.pagination import paginate
from caseflow.cases.schemas import (CaseCreateSchema, CaseDetailSchema, CasePageSchema, CaseQuerySchema,
                                    CaseUpdateSchema, EmergencyInSchema, EmergencyOutSchema, ProgressInSchema,
                                    ProgressOutSchema, StageChangeSchema, TransitionSchema)

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
    page = paginate(case_domain.case_list_query(viewer(), args), args["limit"], args["offset"])
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
