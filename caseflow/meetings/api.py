"""Councils (会議体) and their meetings: /api/v1/councils/..., /api/v1/meetings/..., and a case's meeting history."""
from __future__ import annotations

from flask import Response, url_for
from flask_login import current_user

from caseflow.access import trail
from caseflow.access.authz import requires
from caseflow.access.disclosure import DisclosureLog
from caseflow.access.requests import etag, record_read, require_if_match, viewer
from caseflow.cases import rules as case_domain
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem
from caseflow.core.pagination import paginate
from caseflow.core.schemas import EmptySchema
from caseflow.meetings import agenda, councils, minutes, pledges
from caseflow.meetings import pdf as meeting_pdf
from caseflow.meetings import rules as meeting_rules
from caseflow.meetings import views as meeting_views
from caseflow.meetings.schemas import (
    AgendaItemInSchema,
    AgendaItemOutSchema,
    AgendaItemUpdateSchema,
    AgendaOrderSchema,
    AgendaSchema,
    CaseMeetingSchema,
    CorrectionInSchema,
    CorrectionOutSchema,
    CouncilCreateSchema,
    CouncilMemberInSchema,
    CouncilPageSchema,
    CouncilQuerySchema,
    CouncilSchema,
    CouncilUpdateSchema,
    DecisionInSchema,
    DecisionOutSchema,
    GuestInSchema,
    MeetingCaseSchema,
    MeetingCreateSchema,
    MeetingDetailSchema,
    MeetingPageSchema,
    MeetingQuerySchema,
    MeetingTransitionSchema,
    MeetingUpdateSchema,
    MinutesEntryOutSchema,
    MinutesInSchema,
    MinutesSchema,
    PledgeSchema,
)

blp = Blueprint("meetings", __name__, url_prefix="/api/v1",
                description="支援会議 (社会福祉法106条の6) and case conferences: members, pledges, agenda, minutes, "
                            "decisions, PDFs")

PDF_DOC = {"responses": {"200": {"description": "PDF (A4, IPAex fonts embedded), redacted for the caller",
                                 "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}


def _meeting(meeting_id):
    return meeting_rules.get_visible_meeting(viewer(), meeting_id)


def _council(council_id):
    return councils.get_visible_council(viewer(), council_id)


def _council_detail(council, status: int = 200):
    return councils.present_council(council, current_user), status, etag(council.version)


@blp.route("/councils")
@requires("councils", "read")
@blp.arguments(CouncilQuerySchema, location="query")
@blp.response(200, CouncilPageSchema)
def list_councils(args):
    """Councils (会議体) your organisation is a member or the secretariat of, in the municipality you act in."""
    page = paginate(councils.council_list_query(viewer(), args), args["limit"], args["offset"])
    page["items"] = councils.present_councils(page["items"], current_user)
    return page


@blp.route("/councils", methods=["POST"])
@requires("councils", "manage")
@blp.arguments(CouncilCreateSchema)
@blp.response(201, CouncilSchema)
def create_council(body):
    """Set up a council (supervisors); your organisation is its secretariat (事務局) and a member. A council that
    shares without consent (支援会議, statutory 協議会) is set up by a municipal department."""
    council = councils.create_council(body, actor=current_user)
    db.session().flush()
    return _council_detail(council, 201)


@blp.route("/councils/<uuid:council_id>")
@requires("councils", "read")
@blp.response(200, CouncilSchema)
def get_council(council_id):
    """A council: kind, legal basis, members over time, chair, 要綱, quorum, schedule."""
    return _council_detail(_council(council_id))


@blp.route("/councils/<uuid:council_id>", methods=["PATCH"])
@requires("councils", "manage")
@blp.arguments(CouncilUpdateSchema)
@blp.response(200, CouncilSchema)
def update_council(body, council_id):
    """Edit a council (secretariat; send If-Match). Its kind, and so its legal basis, never changes."""
    council = _council(council_id)
    require_if_match(council.version)
    councils.update_council(council, body, actor=current_user)
    db.session().flush()
    return _council_detail(council)


@blp.route("/councils/<uuid:council_id>/members", methods=["POST"])
@requires("councils", "manage")
@blp.arguments(CouncilMemberInSchema)
@blp.response(201, CouncilSchema)
def add_council_member(body, council_id):
    """Add a member organisation (secretariat); it joins the council's planned meetings."""
    council = _council(council_id)
    councils.add_member(council, body["org_id"], actor=current_user)
    db.session().flush()
    return _council_detail(council, 201)


@blp.route("/councils/<uuid:council_id>/members/<uuid:org_id>/end", methods=["POST"])
@requires("councils", "manage")
@blp.arguments(EmptySchema, required=False)
@blp.response(200, CouncilSchema)
def end_council_member(_body, council_id, org_id):
    """End an organisation's membership (secretariat): it leaves every meeting whose sharing window is open."""
    council = _council(council_id)
    councils.end_member(council, org_id, actor=current_user)
    db.session().flush()
    return _council_detail(council)


def _detail(meeting):
    return meeting_views.present_meeting(meeting, current_user), 200, etag(meeting.version)


def _agenda(meeting, status: int = 200, action: str = "meetings.agenda.read"):
    data, log = meeting_views.agenda_view(viewer(), meeting, current_user)
    record_read(action, "meetings", meeting.id, log, detail={"items": len(data["items"])})
    return data, status


@blp.route("/meetings")
@requires("meetings", "read")
@blp.arguments(MeetingQuerySchema, location="query")
@blp.response(200, MeetingPageSchema)
def list_meetings(args):
    """Meetings of your organisation (it is a member); `upcoming=true` for the coming ones, soonest first."""
    page = paginate(meeting_rules.meeting_list_query(viewer(), args), args["limit"], args["offset"])
    page["items"] = meeting_views.present_meetings(page["items"], current_user)
    return page


@blp.route("/meetings", methods=["POST"])
@requires("meetings", "manage")
@blp.arguments(MeetingCreateSchema)
@blp.response(201, MeetingDetailSchema)
def create_meeting(body):
    """Convene a meeting (supervisors). Your organisation organises it and is a member; the sharing window
    runs from `window_start` (default now) to `sharing_days_after` days after the meeting."""
    meeting = meeting_rules.create_meeting(body, actor=current_user)
    db.session().flush()
    data, _status, headers = _detail(meeting)
    return data, 201, headers


@blp.route("/meetings/<uuid:meeting_id>")
@requires("meetings", "read")
@blp.response(200, MeetingDetailSchema)
def get_meeting(meeting_id):
    """A meeting: members, attendees (with pledge status), sharing window, status."""
    return _detail(_meeting(meeting_id))


@blp.route("/meetings/<uuid:meeting_id>", methods=["PATCH"])
@requires("meetings", "manage")
@blp.arguments(MeetingUpdateSchema)
@blp.response(200, MeetingDetailSchema)
def update_meeting(body, meeting_id):
    """Edit a meeting (organiser; send If-Match). Kind and date only while planned; after approval only the
    sharing window may change."""
    meeting = _meeting(meeting_id)
    require_if_match(meeting.version)
    meeting_rules.update_meeting(meeting, body, actor=current_user)
    db.session().flush()
    return _detail(meeting)


@blp.route("/meetings/<uuid:meeting_id>/transitions", methods=["POST"])
@requires("meetings", "manage")
@blp.arguments(MeetingTransitionSchema)
@blp.response(200, MeetingDetailSchema)
def transition_meeting(body, meeting_id):
    """planned → held → minutes_approved. Holding records who was present and the quorum (below it, decisions
    are not carried); approval is the chair's and locks the minutes; other moves are 409."""
    meeting = _meeting(meeting_id)
    meeting_rules.transition(meeting, body["to"], actor=current_user, present_user_ids=body.get("present_user_ids"),
                             ended_at=body.get("ended_at"))
    db.session().flush()
    return _detail(meeting)


@blp.route("/meetings/<uuid:meeting_id>/pledge")
@requires("meetings", "read")
@blp.response(200, PledgeSchema)
def get_pledge(meeting_id):
    """The confidentiality pledge (守秘義務の誓約) text and whether you have signed it."""
    meeting = _meeting(meeting_id)
    return pledges.present_pledge(meeting, pledges.pledge_of(meeting, current_user.id))


@blp.route("/meetings/<uuid:meeting_id>/pledge", methods=["POST"])
@requires("meetings", "pledge")
@blp.arguments(EmptySchema, required=False)
@blp.response(201, PledgeSchema)
@blp.alt_response(200, schema=PledgeSchema, description="already signed")
def sign_pledge(_body, meeting_id):
    """Sign the pledge (attendees). Once per meeting, or per fiscal year when the meeting's `pledge_scope`
    says so. Without it a 支援会議's agenda shows no names."""
    meeting = _meeting(meeting_id)
    pledge, created = pledges.sign_pledge(meeting, actor=current_user)
    return pledges.present_pledge(meeting, pledge), 201 if created else 200


@blp.route("/meetings/<uuid:meeting_id>/agenda")
@requires("meetings", "read")
@blp.response(200, AgendaSchema)
def get_agenda(meeting_id):
    """The agenda as you may see it: case facts always; names only on a basis (for a 支援会議: pledged
    members, within the window, agenda cases only); discussion points only on a case_notes basis."""
    return _agenda(_meeting(meeting_id))


@blp.route("/meetings/<uuid:meeting_id>/agenda", methods=["POST"])
@requires("meetings", "manage")
@blp.arguments(AgendaItemInSchema)
@blp.response(201, AgendaItemOutSchema)
def add_agenda_item(body, meeting_id):
    """Add a case your organisation can see, or a general topic. On a 支援会議 this opens the support_meeting
    basis for the case to pledged members. Returns the created item (Location: the item)."""
    meeting = _meeting(meeting_id)
    item = agenda.add_agenda_item(meeting, body, actor=current_user, viewer=viewer())
    data = _agenda_item(meeting, item.id)
    return data, 201, {"Location": url_for("meetings.get_agenda_item", meeting_id=meeting.id, item_id=item.id)}


@blp.route("/meetings/<uuid:meeting_id>/agenda/<uuid:item_id>")
@requires("meetings", "read")
@blp.response(200, AgendaItemOutSchema)
def get_agenda_item(meeting_id, item_id):
    """One agenda item as you may see it (as in the agenda); 404 when it is not on your agenda."""
    return _agenda_item(_meeting(meeting_id), item_id)


def _agenda_item(meeting, item_id):
    data, log = meeting_views.agenda_item_view(viewer(), meeting, item_id, current_user)
    if data is None:
        raise Problem(404, detail="議題が見つかりません。")
    record_read("meetings.agenda.read", "meetings", meeting.id, log, detail={"agenda_item_id": str(item_id)})
    return data


@blp.route("/meetings/<uuid:meeting_id>/agenda/order", methods=["POST"])
@requires("meetings", "manage")
@blp.arguments(AgendaOrderSchema)
@blp.response(200, AgendaSchema)
def reorder_agenda(body, meeting_id):
    """Put the agenda in this order (every item id once)."""
    meeting = _meeting(meeting_id)
    agenda.reorder_agenda(meeting, body["item_ids"], actor=current_user)
    db.session().flush()
    return _agenda(meeting)


@blp.route("/meetings/<uuid:meeting_id>/agenda/<uuid:item_id>", methods=["PATCH"])
@requires("meetings", "manage")
@blp.arguments(AgendaItemUpdateSchema)
@blp.response(200, AgendaSchema)
def update_agenda_item(body, meeting_id, item_id):
    """Edit an item: presenting organisation, points, time, position (topic for general topics)."""
    meeting = _meeting(meeting_id)
    agenda.update_agenda_item(meeting, agenda.get_item(meeting, item_id), body, actor=current_user)
    db.session().flush()
    return _agenda(meeting)


@blp.route("/meetings/<uuid:meeting_id>/agenda/<uuid:item_id>/guests", methods=["POST"])
@requires("meetings", "manage")
@blp.arguments(GuestInSchema)
@blp.response(201, AgendaSchema)
def invite_guest(body, meeting_id, item_id):
    """Invite a non-member for this item (when the council's 要綱 allows it): they see this item only, after an
    individual pledge for the meeting."""
    meeting = _meeting(meeting_id)
    meeting_rules.invite_guest(meeting, agenda.get_item(meeting, item_id), body["user_id"], actor=current_user)
    return _agenda(meeting, 201)


@blp.route("/meetings/<uuid:meeting_id>/agenda/<uuid:item_id>", methods=["DELETE"])
@requires("meetings", "manage")
@blp.response(204)
def remove_agenda_item(meeting_id, item_id):
    """Remove an item (not once it has minutes or decisions)."""
    meeting = _meeting(meeting_id)
    agenda.remove_agenda_item(meeting, agenda.get_item(meeting, item_id), actor=current_user)


def _document_pdf(name: str, view, render, meeting_id):
    """A meeting document as PDF, redacted exactly as its JSON; an audited disclosure. Each copy is numbered
    (配付番号: the copies of this document issued so far, from the audit trail, plus one) and the number is in
    the audit event, so a paper copy left behind leads to whom it was issued."""
    meeting = _meeting(meeting_id)
    data, log = view(viewer(), meeting, current_user)
    action = f"meetings.{name}.pdf"
    copy_no = trail.count_recorded(db.session(), action=action, resource_type="meetings", resource_id=meeting.id) + 1
    pdf = render(data, recipient=meeting_pdf.recipient_label(current_user), generated_at=utcnow(), copy_no=copy_no)
    record_read(action, "meetings", meeting.id, log,
                detail={"items": len(data["items"]), "format": "pdf", "bytes": len(pdf), "copy_no": copy_no})
    return _pdf(pdf, f"{name}-{meeting.id}.pdf")


@blp.route("/meetings/<uuid:meeting_id>/agenda.pdf")
@requires("meetings", "read")
@blp.doc(**PDF_DOC)
def agenda_pdf(meeting_id):
    """会議次第 as PDF, redacted exactly as the agenda JSON; an audited disclosure."""
    return _document_pdf("agenda", meeting_views.agenda_view, meeting_pdf.agenda_pdf, meeting_id)


@blp.route("/meetings/<uuid:meeting_id>/minutes")
@requires("meetings", "read")
@blp.response(200, MinutesSchema)
def get_minutes(meeting_id):
    """議事録 per agenda item, with corrections and decisions; text only on a case_notes basis."""
    meeting = _meeting(meeting_id)
    data, log = meeting_views.minutes_view(viewer(), meeting, current_user)
    record_read("meetings.minutes.read", "meetings", meeting.id, log, detail={"items": len(data["items"])})
    return data


@blp.route("/meetings/<uuid:meeting_id>/minutes.pdf")
@requires("meetings", "read")
@blp.doc(**PDF_DOC)
def minutes_pdf(meeting_id):
    """議事録 as PDF, redacted exactly as the minutes JSON; an audited disclosure."""
    return _document_pdf("minutes", meeting_views.minutes_view, meeting_pdf.minutes_pdf, meeting_id)


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route("/meetings/<uuid:meeting_id>/agenda/<uuid:item_id>/minutes", methods=["PUT"])
@requires("meetings", "manage")
@blp.arguments(MinutesInSchema)
@blp.response(200, MinutesEntryOutSchema)
@blp.alt_response(201, schema=MinutesEntryOutSchema, description="first record of the item")
def write_minutes(body, meeting_id, item_id):
    """Record the minutes of one item while the meeting is held (rewriting needs If-Match); 409 once approved."""
    meeting = _meeting(meeting_id)
    item = agenda.get_item(meeting, item_id)
    entry = minutes.minutes_entry(item)
    if entry is not None and meeting.status == "held":
        require_if_match(entry.version)
    entry, created = minutes.write_minutes(meeting, item, body["body"], actor=current_user, entry=entry)
    db.session().flush()
    return entry, 201 if created else 200, etag(entry.version)


@blp.route("/meetings/<uuid:meeting_id>/agenda/<uuid:item_id>/minutes/corrections", methods=["POST"])
@requires("meetings", "manage")
@blp.arguments(CorrectionInSchema)
@blp.response(201, CorrectionOutSchema)
def correct_minutes(body, meeting_id, item_id):
    """A correction to approved minutes: a new record linked to the item and the previous correction."""
    meeting = _meeting(meeting_id)
    c = minutes.correct_minutes(meeting, agenda.get_item(meeting, item_id), body["body"], body["reason"],
                               actor=current_user)
    return {"id": c.id, "body": c.body, "reason": c.reason, "withheld": False, "previous_id": c.previous_id,
            "created_by": {"id": current_user.id, "display_name": current_user.display_name,
                           "org_id": current_user.org_id}, "created_at": c.created_at}


@blp.route("/meetings/<uuid:meeting_id>/decisions")
@requires("meetings", "read")
@blp.response(200, DecisionOutSchema(many=True))
def list_decisions(meeting_id):
    """Decisions of the meeting and the plan tasks they became; titles on a case_notes basis."""
    meeting = _meeting(meeting_id)
    data, log = meeting_views.decisions_view(viewer(), meeting)
    record_read("meetings.decisions.read", "meetings", meeting.id, log, detail={"decisions": len(data)})
    return data


@blp.route("/meetings/<uuid:meeting_id>/decisions", methods=["POST"])
@requires("meetings", "manage")
@blp.arguments(DecisionInSchema)
@blp.response(201, DecisionOutSchema)
def record_decision(body, meeting_id):
    """Record a decision on a case item; it becomes a task of the case's support plan in the same step."""
    meeting = _meeting(meeting_id)
    decision = minutes.record_decision(meeting, body, actor=current_user)
    data, log = meeting_views.present_decision(viewer(), decision)
    record_read("meetings.decisions.read", "meetings", meeting.id, log, detail={"decision_id": str(decision.id)})
    return data


@blp.route("/meetings/<uuid:meeting_id>/cases")
@requires("meetings", "read")
@blp.response(200, MeetingCaseSchema(many=True))
def meeting_cases(meeting_id):
    """Cases discussed at the meeting (de-identified facts, in agenda order, with decision counts)."""
    meeting = _meeting(meeting_id)
    cases = meeting_views.meeting_cases(viewer(), meeting)
    record_read("meetings.cases.read", "meetings", meeting.id, DisclosureLog(), detail={"cases": len(cases)})
    return cases


@blp.route("/cases/<uuid:case_id>/meetings")
@requires("meetings", "read")
@blp.response(200, CaseMeetingSchema(many=True))
def case_meetings(case_id):
    """The case's meeting history: meetings of your organisation that discussed it, with their decisions."""
    v = viewer()
    case = case_domain.get_visible_case(v, case_id)
    data, log = meeting_views.case_meeting_history(v, case)
    record_read("meetings.case_history.read", "cases", case.id, log, detail={"meetings": len(data)})
    return data
