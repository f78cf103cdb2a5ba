"""The agenda: case items (which open the 支援会議 basis for their case) and general topics, in order."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from caseflow.access import trail
from caseflow.access.sharing import Viewer, case_is_visible
from caseflow.cases.models import Case
from caseflow.core import db
from caseflow.core.db import new_id, utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.meetings.models import AgendaItem, Meeting, MeetingDecision, MeetingGuest, MinutesEntry
from caseflow.meetings.rules import NOT_FOUND, _require_unlocked, member_org_ids, require_manager


def agenda_items(meeting: Meeting) -> list[AgendaItem]:
    return list(db.session().scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                                     .order_by(AgendaItem.position, AgendaItem.id)))


def get_item(meeting: Meeting, item_id: uuid.UUID) -> AgendaItem:
    item = db.session().scalar(select(AgendaItem).where(AgendaItem.id == item_id,
                                                        AgendaItem.meeting_id == meeting.id))
    if item is None:
        raise Problem(404, detail=NOT_FOUND)
    return item


def _presenting_org(org_id, meeting: Meeting) -> uuid.UUID | None:
    if org_id is None:
        return None
    if org_id not in member_org_ids(meeting):
        raise validation_problem({"presenting_org_id": ["報告機関には構成組織を指定してください。"]})
    return org_id


def _renumber(items: list[AgendaItem]) -> None:
    for i, item in enumerate(items, start=1):
        item.position = i


def add_agenda_item(meeting: Meeting, data: dict, *, actor, viewer: Viewer) -> AgendaItem:
    """Add a case (one the organiser's organisation can see) or a general topic. On a 支援会議 this is
    what opens the support_meeting basis for the case to the meeting's pledged members."""
    require_manager(meeting, actor)
    _require_unlocked(meeting, "議題")
    s = db.session()
    case_id = data.get("case_id")
    if case_id is not None:
        visible = s.scalar(select(Case.id).where(Case.id == case_id, case_is_visible(viewer)))  # keyed probes
        if visible is None:
            raise validation_problem({"case_id": ["指定されたケースは存在しないか、議題にできません。"]})
        duplicate = s.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id,
                                                         AgendaItem.case_id == case_id))
        if duplicate is not None:
            raise Problem(409, detail="このケースはすでに議題に含まれています。", type_="duplicate",
                          agenda_item_id=str(duplicate))
    items = agenda_items(meeting)
    item = AgendaItem(id=new_id(), meeting_id=meeting.id, case_id=case_id, topic=data.get("topic"),
                      presenting_org_id=_presenting_org(data.get("presenting_org_id"), meeting),
                      points=data.get("points"), minutes_allotted=data.get("minutes_allotted"))
    at = min(max(data.get("position") or len(items) + 1, 1), len(items) + 1)
    items.insert(at - 1, item)
    s.add(item)
    _renumber(items)
    meeting.updated_at = utcnow()
    s.flush()
    trail.record(s, action="meetings.agenda.add", resource_type="meetings", resource_id=meeting.id, actor=actor,
                 detail={"agenda_item_id": str(item.id), "case_id": str(case_id) if case_id else None,
                         "position": item.position})
    return item


def update_agenda_item(meeting: Meeting, item: AgendaItem, data: dict, *, actor) -> AgendaItem:
    require_manager(meeting, actor)
    _require_unlocked(meeting, "議題")
    if "topic" in data and item.case_id is not None:
        raise validation_problem({"topic": ["ケースの議題には件名を設定できません。"]})
    if "topic" in data and not data["topic"]:
        raise validation_problem({"topic": ["件名を入力してください。"]})
    if "presenting_org_id" in data:
        item.presenting_org_id = _presenting_org(data["presenting_org_id"], meeting)
    for key in ("topic", "points", "minutes_allotted"):
        if key in data:
            setattr(item, key, data[key])
    if "position" in data:
        items = [i for i in agenda_items(meeting) if i.id != item.id]
        items.insert(min(max(data["position"], 1), len(items) + 1) - 1, item)
        _renumber(items)
    meeting.updated_at = utcnow()
    trail.record(db.session(), action="meetings.agenda.update", resource_type="meetings", resource_id=meeting.id,
                 actor=actor, detail={"agenda_item_id": str(item.id), "changed": sorted(data)})
    return item


def remove_agenda_item(meeting: Meeting, item: AgendaItem, *, actor) -> None:
    """Remove an item (closing the meeting basis for its case). Items with minutes or decisions stay:
    they are the record of what the meeting did."""
    require_manager(meeting, actor)
    _require_unlocked(meeting, "議題")
    s = db.session()
    recorded = s.scalar(select(MinutesEntry.id).where(MinutesEntry.agenda_item_id == item.id)) or \
        s.scalar(select(MeetingDecision.id).where(MeetingDecision.agenda_item_id == item.id))
    if recorded is not None:
        raise Problem(409, detail="議事録または決定事項のある議題は削除できません。", type_="illegal-state")
    # its invited guests go with it (and with them their access to the item's case)
    guests = s.execute(MeetingGuest.__table__.delete().where(MeetingGuest.agenda_item_id == item.id)).rowcount
    s.delete(item)
    s.flush()
    _renumber(agenda_items(meeting))
    meeting.updated_at = utcnow()
    trail.record(s, action="meetings.agenda.remove", resource_type="meetings", resource_id=meeting.id,
                 actor=actor, detail={"agenda_item_id": str(item.id), "guests_removed": guests,
                                      "case_id": str(item.case_id) if item.case_id else None})


def reorder_agenda(meeting: Meeting, item_ids: list[uuid.UUID], *, actor) -> list[AgendaItem]:
    require_manager(meeting, actor)
    _require_unlocked(meeting, "議題")
    items = {i.id: i for i in agenda_items(meeting)}
    if len(item_ids) != len(set(item_ids)) or set(item_ids) != set(items):
        raise validation_problem({"item_ids": ["この会議の議題をすべて一度ずつ指定してください。"]})
    ordered = [items[i] for i in item_ids]
    _renumber(ordered)
    meeting.updated_at = utcnow()
    trail.record(db.session(), action="meetings.agenda.reorder", resource_type="meetings", resource_id=meeting.id,
                 actor=actor, detail={"items": len(ordered)})
    return ordered
