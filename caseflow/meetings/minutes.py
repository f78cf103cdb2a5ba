"""Minutes per agenda item while the meeting is held, corrections after approval, decisions that become plan tasks."""
from __future__ import annotations

from sqlalchemy import select

from caseflow.access import trail
from caseflow.cases.models import Case
from caseflow.core import db
from caseflow.core.db import new_id, utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.meetings.models import AgendaItem, Meeting, MeetingDecision, MinutesCorrection, MinutesEntry
from caseflow.meetings.rules import _require_unlocked, member_org_ids, require_manager
from caseflow.plans import tasks as tasks


def _require_held(meeting: Meeting, what: str) -> None:
    _require_unlocked(meeting, what)
    if meeting.status != "held":
        raise Problem(409, detail=f"{what}は会議の開催後に記録できます。", type_="illegal-state",
                      current_status=meeting.status)


def minutes_entry(item: AgendaItem) -> MinutesEntry | None:
    return db.session().scalar(select(MinutesEntry).where(MinutesEntry.agenda_item_id == item.id))


def write_minutes(meeting: Meeting, item: AgendaItem, body: str, *, actor,
                  entry: MinutesEntry | None) -> tuple[MinutesEntry, bool]:
    """Record (or rewrite, before approval) the minutes of one agenda item."""
    require_manager(meeting, actor)
    _require_held(meeting, "議事録")
    s = db.session()
    created = entry is None
    if created:
        entry = MinutesEntry(meeting_id=meeting.id, agenda_item_id=item.id, body=body, recorded_by_user_id=actor.id)
        s.add(entry)
    else:
        entry.body = body
        entry.recorded_by_user_id = actor.id
    s.flush()
    trail.record(s, action="meetings.minutes.write", resource_type="meetings", resource_id=meeting.id, actor=actor,
                 detail={"agenda_item_id": str(item.id), "entry_id": str(entry.id), "created": created})
    return entry, created


def correct_minutes(meeting: Meeting, item: AgendaItem, body: str, reason: str, *, actor) -> MinutesCorrection:
    """After approval the minutes are never edited: a correction is a new record, linked to the approved
    entry and to the previous correction of the same item."""
    require_manager(meeting, actor)
    if meeting.status != "minutes_approved":
        raise Problem(409, detail="承認前の議事録は直接修正してください。訂正記録は承認後に追加できます。",
                      type_="illegal-state", current_status=meeting.status)
    s = db.session()
    previous = s.scalar(select(MinutesCorrection.id).where(MinutesCorrection.agenda_item_id == item.id)
                        .order_by(MinutesCorrection.created_at.desc(), MinutesCorrection.id.desc()).limit(1))
    entry = minutes_entry(item)
    correction = MinutesCorrection(meeting_id=meeting.id, agenda_item_id=item.id, entry_id=entry.id if entry else None,
                                   previous_id=previous, body=body, reason=reason, created_by_user_id=actor.id,
                                   created_at=utcnow())
    s.add(correction)
    s.flush()
    trail.record(s, action="meetings.minutes.correct", resource_type="meetings", resource_id=meeting.id,
                 actor=actor, detail={"agenda_item_id": str(item.id), "correction_id": str(correction.id)})
    return correction


def record_decision(meeting: Meeting, data: dict, *, actor) -> MeetingDecision:
    """A decision on a case item becomes a plan task of that case in the same transaction -- when it is
    carried. A meeting held without its quorum records its decisions as not carried (設置要綱): nobody is bound
    by them, so no task is made; the minutes say so."""

    require_manager(meeting, actor)
    _require_held(meeting, "決定事項")
    s = db.session()
    item = s.scalar(select(AgendaItem).where(AgendaItem.id == data["agenda_item_id"],
                                             AgendaItem.meeting_id == meeting.id))
    if item is None:
        raise validation_problem({"agenda_item_id": ["この会議の議題を指定してください。"]})
    if item.case_id is None:
        raise validation_problem({"agenda_item_id": ["支援プランのタスクにできるのはケースの議題だけです。"]})
    if data["owner_org_id"] not in member_org_ids(meeting):
        raise validation_problem({"owner_org_id": ["担当組織には会議の構成組織を指定してください。"]})
    case = s.get(Case, item.case_id)
    carried = meeting.quorum_met is not False
    decision = MeetingDecision(id=new_id(), meeting_id=meeting.id, agenda_item_id=item.id, case_id=case.id,
                               title=data["title"], owner_org_id=data["owner_org_id"], due_on=data.get("due_on"),
                               created_by_user_id=actor.id, created_at=utcnow(), carried=carried)
    if carried:
        task = tasks.add_task(case, owner_org_id=data["owner_org_id"], title=data["title"],
                              due_on=data.get("due_on"), actor=actor, source=f"meeting_decision:{decision.id}")
        decision.task_id = task.id
    s.add(decision)
    s.flush()
    trail.record(s, action="meetings.decision.create", resource_type="meetings", resource_id=meeting.id,
                 actor=actor, detail={"decision_id": str(decision.id), "agenda_item_id": str(item.id),
                                      "case_id": str(case.id), "carried": carried,
                                      "task_id": str(decision.task_id) if decision.task_id else None,
                                      "owner_org_id": str(decision.owner_org_id)})
    return decision
