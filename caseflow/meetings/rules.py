"""Support meetings (支援会議 and other case conferences): lifecycle, members and attendees, pledges,
agenda, minutes, decisions, and the per-viewer agenda and minutes views.

Who sees a meeting: users of its member organisations (SQL filter); anyone else gets 404. Who runs it:
supervisors (casbin `meetings, manage`) of the organising organisation; the chair approves the minutes.
Which personal data an agenda shows is the sharing engine's decision (caseflow.access.sharing), always
in the context of the agenda case, so the `support_meeting` basis applies to agenda cases only.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from caseflow.access import trail
from caseflow.access.refs import org_ref, user_ref
from caseflow.core import db
from caseflow.codes import rules as codes
from caseflow.access import tenancy
from caseflow.core.db import new_id, utcnow
from caseflow.access.disclosure import DisclosureLog, age_band
from caseflow.access.sharing import SHARING_MEETING_KINDS, PersonBases, Viewer, bases_for_persons, \
    case_is_visible, case_notes_basis
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.jpdate import fiscal_year
from caseflow.accounts.models import User
from caseflow.cases.models import Case, HouseholdMember, Person
from caseflow.meetings.models import AgendaItem, Meeting, MeetingAttendee, MeetingDecision, MeetingMember, MinutesCorrection, MinutesEntry, Pledge
from caseflow.organizations.models import Organization
from caseflow.cases.models import RELATIONSHIP_LABELS
from caseflow.meetings.models import DEFAULT_SHARING_DAYS, MEETING_KINDS

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"
STATUS_LABELS = {"planned": "開催予定", "held": "開催済み", "minutes_approved": "議事録承認済み"}
TRANSITIONS: dict[str, tuple[str, ...]] = {"planned": ("held",), "held": ("minutes_approved",),
                                           "minutes_approved": ()}
STAGE_LABELS = {"intake": "初期接触", "referral": "初期対応・他機関紹介", "assessment": "課題と対応策の詳細検討",
                "support": "役割分担・協働による支援", "closed": "終結"}
PLEDGE_TEXT_VERSION = "v1"
PLEDGE_TEXT = (
    "私は、社会福祉法第106条の6第6項（孤独・孤立対策推進法に基づく地域協議会にあっては同法の規定）により、"
    "会議の事務に関して知り得た秘密を漏らしてはならない義務を負うことを理解しました。"
    "会議資料及び共有された個人情報は、当該会議の目的（支援のための情報共有と役割分担）以外に利用せず、"
    "第三者に提供せず、会議終了後は所定の方法で返却又は廃棄することを誓約します。"
)


def kind_label(kind: str) -> str:
    return MEETING_KINDS[kind][0]


def shares_without_consent(kind: str) -> bool:
    return kind in SHARING_MEETING_KINDS


# --- which meetings ---------------------------------------------------------------------------

def visible_meeting_ids(viewer: Viewer) -> Select:
    """Meetings the viewer's organisation is a member of (the organiser is always a member)."""
    return select(MeetingMember.meeting_id).where(MeetingMember.org_id == viewer.org_id)


def get_visible_meeting(viewer: Viewer, meeting_id: uuid.UUID) -> Meeting:
    meeting = db.session().scalar(select(Meeting).where(Meeting.id == meeting_id,
                                                        Meeting.municipality_id == viewer.municipality_id,
                                                        Meeting.id.in_(visible_meeting_ids(viewer))))
    if meeting is None:
        raise Problem(404, detail=NOT_FOUND)
    return meeting


def meeting_list_query(viewer: Viewer, filters: dict, now: datetime | None = None) -> Select:
    """Member meetings; `upcoming`: from now on, soonest first; otherwise newest first. Stable order."""
    now = now or utcnow()
    stmt = select(Meeting).where(Meeting.municipality_id == viewer.municipality_id,
                                 Meeting.id.in_(visible_meeting_ids(viewer)))
    if filters.get("kind"):
        stmt = stmt.where(Meeting.kind.in_(filters["kind"]))
    if filters.get("status"):
        stmt = stmt.where(Meeting.status.in_(filters["status"]))
    if filters.get("starts_from"):
        stmt = stmt.where(Meeting.starts_at >= filters["starts_from"])
    if filters.get("starts_to"):
        stmt = stmt.where(Meeting.starts_at < filters["starts_to"])
    if filters.get("upcoming"):
        return stmt.where(Meeting.starts_at >= now).order_by(Meeting.starts_at, Meeting.id)
    return stmt.order_by(Meeting.starts_at.desc(), Meeting.id.desc())


def require_manager(meeting: Meeting, actor) -> None:
    """Only the organising organisation's supervisors run a meeting (casbin checked `manage` already)."""
    if meeting.organizer_org_id != actor.org_id:
        raise Problem(403, detail="会議の運営は主催組織のみ行えます。", type_="forbidden")


def _require_unlocked(meeting: Meeting, what: str) -> None:
    if meeting.status == "minutes_approved":
        raise Problem(409, detail=f"議事録が承認済みのため{what}は変更できません。訂正は訂正記録として追加してください。",
                      type_="minutes-locked", current_status=meeting.status)


# --- create and edit --------------------------------------------------------------------------

def _window(meeting: Meeting) -> None:
    meeting.window_end = meeting.starts_at + timedelta(days=meeting.sharing_days_after)
    meeting.fiscal_year = fiscal_year(meeting.starts_at)


def _member_orgs(org_ids, organizer_id: uuid.UUID, municipality_id: uuid.UUID) -> list[uuid.UUID]:
    """The meeting's member organisations: active members of the meeting's municipality only."""
    ids = list(dict.fromkeys([organizer_id, *org_ids]))
    found = set(db.session().scalars(select(Organization.id).where(Organization.id.in_(ids),
                                                                   Organization.active.is_(True),
                                                                   tenancy.org_is_member(municipality_id))))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise validation_problem({"member_org_ids": ["存在しないか無効な組織が含まれています。"]})
    return ids


def _chair(user_id, members: list[uuid.UUID]) -> uuid.UUID:
    user = db.session().get(User, user_id)
    if user is None or not user.active or "supervisor" not in user.roles or user.org_id not in members:
        raise validation_problem({"chair_user_id": ["議長には構成組織の有効なスーパーバイザーを指定してください。"]})
    return user.id


def _attendees(user_ids, members: list[uuid.UUID], chair_id: uuid.UUID) -> list[uuid.UUID]:
    ids = list(dict.fromkeys([chair_id, *user_ids]))
    users = {u.id: u for u in db.session().scalars(select(User).where(User.id.in_(ids)))}
    bad = [i for i in ids if i not in users or not users[i].active or users[i].org_id not in members]
    if bad:
        raise validation_problem({"attendee_user_ids": ["出席者には構成組織の有効な利用者を指定してください。"]})
    return ids


def create_meeting(data: dict, *, actor) -> Meeting:
    s = db.session()
    now = utcnow()
    members = _member_orgs(data.get("member_org_ids", []), actor.org_id, actor.municipality_id)
    chair = _chair(data.get("chair_user_id") or actor.id, members)
    attendees = _attendees(data.get("attendee_user_ids", []), members, chair)
    window_start = data.get("window_start") or now
    if data.get("window_start") and window_start > data["starts_at"]:
        raise validation_problem({"window_start": ["共有期間の開始（準備開始）は会議日時より前にしてください。"]})
    meeting = Meeting(
        id=new_id(), municipality_id=actor.municipality_id, kind=data["kind"], title=data["title"], starts_at=data["starts_at"], place=data.get("place"),
        online_url=data.get("online_url"), chair_user_id=chair, organizer_org_id=actor.org_id, status="planned",
        window_start=window_start, sharing_days_after=data.get("sharing_days_after", DEFAULT_SHARING_DAYS),
        pledge_scope=data.get("pledge_scope", "meeting"), created_by_user_id=actor.id,
    )
    _window(meeting)
    s.add(meeting)
    s.flush()
    s.add_all([MeetingMember(meeting_id=meeting.id, org_id=o) for o in members])
    s.add_all([MeetingAttendee(meeting_id=meeting.id, user_id=u) for u in attendees])
    trail.record(s, action="meetings.create", resource_type="meetings", resource_id=meeting.id, actor=actor,
                 detail={"kind": meeting.kind, "members": len(members), "attendees": len(attendees)})
    return meeting


def member_org_ids(meeting: Meeting) -> list[uuid.UUID]:
    return list(db.session().scalars(select(MeetingMember.org_id).where(MeetingMember.meeting_id == meeting.id)))


def attendee_user_ids(meeting: Meeting) -> list[uuid.UUID]:
    return list(db.session().scalars(select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == meeting.id)))


def update_meeting(meeting: Meeting, data: dict, *, actor) -> Meeting:
    """Edit details. Kind and date only while planned; nothing but the sharing window once approved
    (the window is access control: it may be tightened at any time)."""
    require_manager(meeting, actor)
    s = db.session()
    window_only = {"window_start", "sharing_days_after"}
    if set(data) - window_only:
        _require_unlocked(meeting, "会議の内容")
    if meeting.status != "planned" and ({"kind", "starts_at"} & set(data)):
        raise Problem(409, detail="開催後は会議の種別と日時を変更できません。", type_="illegal-state",
                      current_status=meeting.status)
    for key in ("kind", "title", "starts_at", "place", "online_url", "pledge_scope", "window_start",
                "sharing_days_after"):
        if key in data:
            setattr(meeting, key, data[key])
    if not (meeting.place or meeting.online_url):
        raise validation_problem({"place": ["開催場所かオンライン会議のURLのどちらかが必要です。"]})
    if "window_start" in data and meeting.window_start > meeting.starts_at:
        raise validation_problem({"window_start": ["共有期間の開始（準備開始）は会議日時より前にしてください。"]})
    members = member_org_ids(meeting)
    if "member_org_ids" in data:
        new_members = _member_orgs(data["member_org_ids"], meeting.organizer_org_id, meeting.municipality_id)
        presenting = set(s.scalars(select(AgendaItem.presenting_org_id).where(
            AgendaItem.meeting_id == meeting.id, AgendaItem.presenting_org_id.is_not(None))))
        if presenting - set(new_members):
            raise validation_problem({"member_org_ids": ["議題の報告機関は構成組織から外せません。"]})
        for org_id in set(members) - set(new_members):
            s.execute(MeetingMember.__table__.delete().where(MeetingMember.meeting_id == meeting.id,
                                                             MeetingMember.org_id == org_id))
        s.add_all([MeetingMember(meeting_id=meeting.id, org_id=o) for o in new_members if o not in members])
        members = new_members
    chair = meeting.chair_user_id
    if "chair_user_id" in data or "member_org_ids" in data:
        chair = _chair(data.get("chair_user_id") or meeting.chair_user_id, members)
        meeting.chair_user_id = chair
    current = attendee_user_ids(meeting)
    wanted = data.get("attendee_user_ids", current)
    if "member_org_ids" in data and "attendee_user_ids" not in data:
        # Attendees of organisations that left the meeting leave with them.
        orgs = dict(s.execute(select(User.id, User.org_id).where(User.id.in_(current))).all())
        wanted = [u for u in current if orgs.get(u) in members]
    if "attendee_user_ids" in data or "member_org_ids" in data or "chair_user_id" in data:
        attendees = _attendees(wanted, members, chair)
        for user_id in set(current) - set(attendees):
            s.execute(MeetingAttendee.__table__.delete().where(MeetingAttendee.meeting_id == meeting.id,
                                                               MeetingAttendee.user_id == user_id))
        s.add_all([MeetingAttendee(meeting_id=meeting.id, user_id=u) for u in attendees if u not in current])
    _window(meeting)
    meeting.updated_at = utcnow()
    trail.record(s, action="meetings.update", resource_type="meetings", resource_id=meeting.id, actor=actor,
                 detail={"changed": sorted(data)})
    return meeting


def transition(meeting: Meeting, to: str, *, actor) -> Meeting:
    """planned -> held -> minutes_approved; the chair approves (and so locks) the minutes."""
    if to != "minutes_approved":
        require_manager(meeting, actor)
    allowed = TRANSITIONS[meeting.status]
    if to not in allowed:
        raise Problem(409, detail=f"「{STATUS_LABELS[meeting.status]}」から「{STATUS_LABELS.get(to, to)}」へは移せません。",
                      type_="illegal-transition", current_status=meeting.status, allowed=list(allowed))
    now = utcnow()
    if to == "held":
        meeting.held_at = now
    elif to == "minutes_approved":
        if actor.id != meeting.chair_user_id:
            raise Problem(403, detail="議事録の承認は議長のみ行えます。", type_="forbidden")
        meeting.minutes_approved_at = now
        meeting.minutes_approved_by = actor.id
    previous = meeting.status
    meeting.status = to
    meeting.updated_at = now
    trail.record(db.session(), action="meetings.transition", resource_type="meetings", resource_id=meeting.id,
                 actor=actor, detail={"from": previous, "to": to})
    return meeting


# --- pledges ----------------------------------------------------------------------------------

def pledge_of(meeting: Meeting, user_id: uuid.UUID) -> Pledge | None:
    """The pledge covering this user for this meeting: the meeting's own, or one for its fiscal year."""
    return db.session().scalar(
        select(Pledge).where(Pledge.user_id == user_id,
                             (Pledge.meeting_id == meeting.id)
                             | (Pledge.meeting_id.is_(None) & (Pledge.fiscal_year == meeting.fiscal_year)))
        .order_by(Pledge.signed_at).limit(1))


def pledged_user_ids(meeting: Meeting, user_ids) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    return set(db.session().scalars(
        select(Pledge.user_id).where(Pledge.user_id.in_(list(user_ids)),
                                     (Pledge.meeting_id == meeting.id)
                                     | (Pledge.meeting_id.is_(None) & (Pledge.fiscal_year == meeting.fiscal_year)))))


def sign_pledge(meeting: Meeting, *, actor) -> tuple[Pledge, bool]:
    """守秘義務の誓約 by an attendee: once per meeting, or once per fiscal year when the meeting says so.
    Signing again returns the existing pledge (created=False)."""
    s = db.session()
    attending = s.scalar(select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == meeting.id,
                                                               MeetingAttendee.user_id == actor.id))
    if attending is None:
        raise Problem(403, detail="誓約はこの会議の出席者のみ行えます。", type_="forbidden")
    existing = pledge_of(meeting, actor.id)
    if existing is not None:
        return existing, False
    if meeting.pledge_scope == "fiscal_year":
        pledge = Pledge(user_id=actor.id, meeting_id=None, fiscal_year=meeting.fiscal_year)
    else:
        pledge = Pledge(user_id=actor.id, meeting_id=meeting.id, fiscal_year=None)
    pledge.pledge_text_version = PLEDGE_TEXT_VERSION
    pledge.signed_at = utcnow()
    try:
        with s.begin_nested():
            s.add(pledge)
    except IntegrityError:  # a concurrent request of the same user signed first
        existing = pledge_of(meeting, actor.id)
        if existing is None:
            raise
        return existing, False
    trail.record(s, action="meetings.pledge", resource_type="meetings", resource_id=meeting.id, actor=actor,
                 detail={"pledge_id": str(pledge.id), "scope": meeting.pledge_scope,
                         "fiscal_year": meeting.fiscal_year, "text_version": PLEDGE_TEXT_VERSION})
    return pledge, True


def present_pledge(meeting: Meeting, pledge: Pledge | None) -> dict:
    return {
        "meeting_id": meeting.id, "required": shares_without_consent(meeting.kind), "scope": meeting.pledge_scope,
        "fiscal_year": meeting.fiscal_year, "text": PLEDGE_TEXT, "text_version": PLEDGE_TEXT_VERSION,
        "signed": pledge is not None,
        "pledge": None if pledge is None else {
            "id": pledge.id, "scope": "meeting" if pledge.meeting_id else "fiscal_year",
            "meeting_id": pledge.meeting_id, "fiscal_year": pledge.fiscal_year, "signed_at": pledge.signed_at,
            "text_version": pledge.pledge_text_version},
    }


# --- agenda -----------------------------------------------------------------------------------

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
    s.delete(item)
    s.flush()
    _renumber(agenda_items(meeting))
    meeting.updated_at = utcnow()
    trail.record(s, action="meetings.agenda.remove", resource_type="meetings", resource_id=meeting.id,
                 actor=actor, detail={"agenda_item_id": str(item.id),
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


# --- minutes and decisions --------------------------------------------------------------------

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
    """A decision on a case item becomes a plan task of that case in the same transaction."""
    from caseflow.plans import rules as plans

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
    decision = MeetingDecision(id=new_id(), meeting_id=meeting.id, agenda_item_id=item.id, case_id=case.id,
                               title=data["title"], owner_org_id=data["owner_org_id"], due_on=data.get("due_on"),
                               created_by_user_id=actor.id, created_at=utcnow())
    task = plans.add_task(case, owner_org_id=data["owner_org_id"], title=data["title"], due_on=data.get("due_on"),
                          actor=actor, source=f"meeting_decision:{decision.id}")
    decision.task_id = task.id
    s.add(decision)
    s.flush()
    trail.record(s, action="meetings.decision.create", resource_type="meetings", resource_id=meeting.id,
                 actor=actor, detail={"decision_id": str(decision.id), "agenda_item_id": str(item.id),
                                      "case_id": str(case.id), "task_id": str(task.id),
                                      "owner_org_id": str(decision.owner_org_id)})
    return decision


# --- presentation -----------------------------------------------------------------------------

def _orgs(ids) -> dict[uuid.UUID, Organization]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {o.id: o for o in db.session().scalars(select(Organization).where(Organization.id.in_(ids)))}



def _users(ids) -> dict[uuid.UUID, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session().scalars(select(User).where(User.id.in_(ids)))}



def window_open(meeting: Meeting, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return meeting.window_start <= now < meeting.window_end


def present_meetings(meetings: list[Meeting], viewer_user) -> list[dict]:
    """List items, with the page's organisations, chairs and agenda counts in one query each."""
    ids = [m.id for m in meetings]
    orgs = _orgs(m.organizer_org_id for m in meetings)
    chairs = _users(m.chair_user_id for m in meetings)
    counts: dict = defaultdict(lambda: (0, 0))
    if ids:
        for meeting_id, items, cases in db.session().execute(
                select(AgendaItem.meeting_id, func.count(AgendaItem.id), func.count(AgendaItem.case_id))
                .where(AgendaItem.meeting_id.in_(ids)).group_by(AgendaItem.meeting_id)):
            counts[meeting_id] = (items, cases)
    now = utcnow()
    return [{
        "id": m.id, "kind": m.kind, "kind_label": kind_label(m.kind), "title": m.title, "starts_at": m.starts_at,
        "place": m.place, "online_url": m.online_url, "status": m.status, "status_label": STATUS_LABELS[m.status],
        "organizer_org": org_ref(orgs.get(m.organizer_org_id)), "chair": user_ref(chairs.get(m.chair_user_id)),
        "agenda_items": counts[m.id][0], "cases_discussed": counts[m.id][1], "window_open": window_open(m, now),
        "can_manage": m.organizer_org_id == viewer_user.org_id,
    } for m in meetings]


def present_meeting(meeting: Meeting, viewer_user) -> dict:
    s = db.session()
    out = present_meetings([meeting], viewer_user)[0]
    members = _orgs(member_org_ids(meeting))
    attendees = _users(attendee_user_ids(meeting))
    pledged = pledged_user_ids(meeting, attendees)
    att_orgs = _orgs(u.org_id for u in attendees.values())
    approver = s.get(User, meeting.minutes_approved_by) if meeting.minutes_approved_by else None
    mine = pledge_of(meeting, viewer_user.id)
    out.update({
        "shares_without_consent": shares_without_consent(meeting.kind), "fiscal_year": meeting.fiscal_year,
        "members": [org_ref(o) for o in sorted(members.values(), key=lambda o: (o.id != meeting.organizer_org_id,
                                                                                   o.code))],
        "attendees": [{"id": u.id, "display_name": u.display_name, "org": org_ref(att_orgs.get(u.org_id)),
                       "is_chair": u.id == meeting.chair_user_id, "pledged": u.id in pledged}
                      for u in sorted(attendees.values(), key=lambda u: (u.id != meeting.chair_user_id,
                                                                         att_orgs[u.org_id].code, u.display_name,
                                                                         str(u.id)))],
        "window_start": meeting.window_start, "window_end": meeting.window_end,
        "sharing_days_after": meeting.sharing_days_after, "pledge_scope": meeting.pledge_scope,
        "held_at": meeting.held_at, "minutes_approved_at": meeting.minutes_approved_at,
        "minutes_approved_by": user_ref(approver), "created_at": meeting.created_at, "version": meeting.version,
        "my_pledge": {"signed": mine is not None, "signed_at": mine.signed_at if mine else None,
                      "scope": ("meeting" if mine.meeting_id else "fiscal_year") if mine else None},
        "allowed_transitions": list(TRANSITIONS[meeting.status]),
    })
    return out


class _CaseContext:
    """Everything the agenda and minutes need about the agenda's cases, loaded set-wise:
    the cases, their persons (primary + current household members), and the viewer's bases."""

    def __init__(self, viewer: Viewer, case_ids: list[uuid.UUID]):
        s = db.session()
        self.viewer = viewer
        self.cases = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(case_ids)))} if case_ids else {}
        households = {c.household_id for c in self.cases.values() if c.household_id}
        self.members: dict[uuid.UUID, list[HouseholdMember]] = defaultdict(list)
        if households:
            for m in s.scalars(select(HouseholdMember).where(HouseholdMember.household_id.in_(households),
                                                             HouseholdMember.until.is_(None))
                               .order_by(HouseholdMember.position, HouseholdMember.id)):
                self.members[m.household_id].append(m)
        person_ids = {c.primary_person_id for c in self.cases.values() if c.primary_person_id} | \
            {m.person_id for ms in self.members.values() for m in ms}
        self.persons = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(person_ids)))} \
            if person_ids else {}
        self.bases: dict[uuid.UUID, PersonBases] = bases_for_persons(
            viewer, {p.id: p.collected_by_org_id for p in self.persons.values()})
        self._notes: dict[uuid.UUID, str | None] = {}
        self.issue_labels = codes.labels("issue_category") if self.cases else {}
        self.district_labels = codes.labels("district") if self.cases else {}

    def facts(self, case_id: uuid.UUID) -> dict:
        """The de-identified view: always shown to members."""
        case = self.cases[case_id]
        primary = self.persons.get(case.primary_person_id)
        return {"id": case.id, "case_number": case.case_number, "stage": case.stage,
                "stage_label": STAGE_LABELS.get(case.stage), "issues": case.issues,
                "issue_labels": [self.issue_labels.get(c, c) for c in case.issues], "district": case.district_code,
                "district_label": self.district_labels.get(case.district_code, case.district_code),
                "age_band": age_band(primary.birth_year) if primary else None}

    def persons_of(self, case_id: uuid.UUID, log: DisclosureLog) -> list[dict]:
        """Names only where the engine gives an identity basis *in the context of this case*."""
        case = self.cases[case_id]
        members = self.members.get(case.household_id, []) if case.household_id else []
        order = [m.person_id for m in members]
        if case.primary_person_id and case.primary_person_id not in order:
            order.append(case.primary_person_id)
        order.sort(key=lambda pid: pid != case.primary_person_id)  # stable: primary first, then by position
        member_of = {m.person_id: m for m in members}
        out = []
        for pid in order:
            person = self.persons[pid]
            m = member_of.get(pid)
            item = {"id": pid, "is_primary": pid == case.primary_person_id,
                    "relationship": m.relationship_code if m else None,
                    "relationship_label": RELATIONSHIP_LABELS.get(m.relationship_code) if m else None,
                    "age_band": age_band(person.birth_year)}
            basis = self.bases[pid].basis("identity", case_id)
            if basis:
                item.update(name=person.name, name_kana=person.name_kana, basis=basis)
                log.add(pid, basis, "identity")
            item["redacted"] = basis is None
            out.append(item)
        return out

    def notes_basis(self, case_id: uuid.UUID) -> str | None:
        """The case_notes basis (discussion points, minutes, decisions of the case)."""
        if case_id not in self._notes:
            case = self.cases[case_id]
            primary = self.bases.get(case.primary_person_id) if case.primary_person_id else None
            self._notes[case_id] = case_notes_basis(self.viewer, case, primary)
        return self._notes[case_id]

    def disclose_notes(self, case_id: uuid.UUID, log: DisclosureLog) -> bool:
        basis = self.notes_basis(case_id)
        if basis is None:
            return False
        case = self.cases[case_id]
        if case.primary_person_id:
            log.add(case.primary_person_id, basis, "case_notes")
        return True


def _item_base(item: AgendaItem, ctx: _CaseContext, orgs: dict, log: DisclosureLog) -> tuple[dict, bool]:
    """Common fields of an agenda item; returns it and whether case_notes-level text may be shown."""
    out = {"id": item.id, "position": item.position, "kind": "case" if item.case_id else "topic",
           "topic": item.topic, "presenting_org": org_ref(orgs.get(item.presenting_org_id)),
           "minutes_allotted": item.minutes_allotted, "case": None, "persons": []}
    if item.case_id is None:
        return out, True  # general topics are the members' business
    out["case"] = ctx.facts(item.case_id)
    out["persons"] = ctx.persons_of(item.case_id, log)
    return out, ctx.notes_basis(item.case_id) is not None


def _points(item: AgendaItem, out: dict, notes: bool, ctx: _CaseContext, log: DisclosureLog) -> None:
    show = notes and item.points is not None
    if show and item.case_id:
        ctx.disclose_notes(item.case_id, log)
    out["points"] = item.points if show else None
    out["points_withheld"] = item.points is not None and not show


def agenda_view(viewer: Viewer, meeting: Meeting, viewer_user) -> tuple[dict, DisclosureLog]:
    """The agenda as this viewer may see it (the same dict feeds the JSON and the PDF)."""
    log = DisclosureLog()
    items = agenda_items(meeting)
    ctx = _CaseContext(viewer, [i.case_id for i in items if i.case_id])
    orgs = _orgs(i.presenting_org_id for i in items)
    out_items = []
    for item in items:
        out, notes = _item_base(item, ctx, orgs, log)
        _points(item, out, notes, ctx, log)
        out_items.append(out)
    mine = pledge_of(meeting, viewer_user.id)
    return {"meeting": present_meeting(meeting, viewer_user), "pledged": mine is not None,
            "window_open": window_open(meeting), "items": out_items}, log


def _decisions(meeting_ids: list[uuid.UUID], case_id: uuid.UUID | None = None) -> list[MeetingDecision]:
    if not meeting_ids:
        return []
    stmt = select(MeetingDecision).where(MeetingDecision.meeting_id.in_(meeting_ids))
    if case_id is not None:
        stmt = stmt.where(MeetingDecision.case_id == case_id)
    return list(db.session().scalars(stmt.order_by(MeetingDecision.created_at, MeetingDecision.id)))


def _present_decision(d: MeetingDecision, orgs: dict, show: bool, case_number: str | None) -> dict:
    return {"id": d.id, "meeting_id": d.meeting_id, "agenda_item_id": d.agenda_item_id, "case_id": d.case_id,
            "case_number": case_number, "title": d.title if show else None, "title_withheld": not show,
            "owner_org": org_ref(orgs.get(d.owner_org_id)), "due_on": d.due_on, "task_id": d.task_id,
            "created_at": d.created_at}


def present_decision(viewer: Viewer, d: MeetingDecision) -> tuple[dict, DisclosureLog]:
    log = DisclosureLog()
    ctx = _CaseContext(viewer, [d.case_id])
    show = ctx.disclose_notes(d.case_id, log)
    return _present_decision(d, _orgs([d.owner_org_id]), show, ctx.cases[d.case_id].case_number), log


def decisions_view(viewer: Viewer, meeting: Meeting) -> tuple[list[dict], DisclosureLog]:
    log = DisclosureLog()
    decisions = _decisions([meeting.id])
    ctx = _CaseContext(viewer, list({d.case_id for d in decisions}))
    orgs = _orgs(d.owner_org_id for d in decisions)
    out = []
    for d in decisions:
        show = ctx.disclose_notes(d.case_id, log)
        out.append(_present_decision(d, orgs, show, ctx.cases[d.case_id].case_number))
    return out, log


def minutes_view(viewer: Viewer, meeting: Meeting, viewer_user) -> tuple[dict, DisclosureLog]:
    """議事録: per item the recorded text (the latest correction when corrected), its corrections, and the
    decisions; case_notes-level text only where the viewer has a case_notes basis for the case."""
    s = db.session()
    log = DisclosureLog()
    items = agenda_items(meeting)
    ctx = _CaseContext(viewer, [i.case_id for i in items if i.case_id])
    entries = {e.agenda_item_id: e
               for e in s.scalars(select(MinutesEntry).where(MinutesEntry.meeting_id == meeting.id))}
    corrections: dict[uuid.UUID, list[MinutesCorrection]] = defaultdict(list)
    for c in s.scalars(select(MinutesCorrection).where(MinutesCorrection.meeting_id == meeting.id)
                       .order_by(MinutesCorrection.created_at, MinutesCorrection.id)):
        corrections[c.agenda_item_id].append(c)
    decisions: dict[uuid.UUID, list[MeetingDecision]] = defaultdict(list)
    for d in _decisions([meeting.id]):
        decisions[d.agenda_item_id].append(d)
    orgs = _orgs([i.presenting_org_id for i in items] + [d.owner_org_id for ds in decisions.values() for d in ds])
    users = _users([e.recorded_by_user_id for e in entries.values()]
                   + [c.created_by_user_id for cs in corrections.values() for c in cs])
    out_items = []
    for item in items:
        out, notes = _item_base(item, ctx, orgs, log)
        _points(item, out, notes, ctx, log)
        entry = entries.get(item.id)
        fixes = corrections.get(item.id, [])
        has_text = entry is not None or bool(fixes)
        if notes and item.case_id and (has_text or decisions.get(item.id)):
            ctx.disclose_notes(item.case_id, log)
        out.update({
            "text": (fixes[-1].body if fixes else entry.body if entry else None) if notes else None,
            "original_text": (entry.body if entry else None) if notes else None,
            "text_withheld": has_text and not notes,
            "recorded_by": user_ref(users.get(entry.recorded_by_user_id)) if entry else None,
            "recorded_at": entry.updated_at if entry else None,
            "entry_version": entry.version if entry else None,
            "corrections": [{"id": c.id, "body": c.body if notes else None, "reason": c.reason if notes else None,
                             "withheld": not notes, "previous_id": c.previous_id,
                             "created_by": user_ref(users.get(c.created_by_user_id)), "created_at": c.created_at}
                            for c in fixes],
            "decisions": [_present_decision(d, orgs, notes, ctx.cases[d.case_id].case_number)
                          for d in decisions.get(item.id, [])],
        })
        out_items.append(out)
    approver = s.get(User, meeting.minutes_approved_by) if meeting.minutes_approved_by else None
    return {"meeting": present_meeting(meeting, viewer_user), "pledged": pledge_of(meeting, viewer_user.id) is not None,
            "window_open": window_open(meeting), "status": meeting.status,
            "locked": meeting.status == "minutes_approved", "approved_at": meeting.minutes_approved_at,
            "approved_by": user_ref(approver), "items": out_items}, log


def meeting_cases(viewer: Viewer, meeting: Meeting) -> list[dict]:
    """Cases discussed at the meeting: de-identified facts, with the number of decisions on each."""
    items = [i for i in agenda_items(meeting) if i.case_id]
    ctx = _CaseContext(viewer, [i.case_id for i in items])
    counts = dict(db.session().execute(
        select(MeetingDecision.case_id, func.count(MeetingDecision.id))
        .where(MeetingDecision.meeting_id == meeting.id).group_by(MeetingDecision.case_id)).all())
    return [{**ctx.facts(i.case_id), "agenda_item_id": i.id, "position": i.position,
             "decisions": counts.get(i.case_id, 0)} for i in items]


def case_meeting_history(viewer: Viewer, case: Case) -> tuple[list[dict], DisclosureLog]:
    """Meetings (of the viewer's organisation) that had the case on the agenda, newest first, with the
    decisions taken on it; decision titles are case_notes-level."""
    s = db.session()
    log = DisclosureLog()
    rows = s.execute(select(Meeting, AgendaItem).join(AgendaItem, and_(AgendaItem.meeting_id == Meeting.id,
                                                                       AgendaItem.case_id == case.id))
                     .where(Meeting.id.in_(visible_meeting_ids(viewer)),
                            Meeting.municipality_id == viewer.municipality_id)
                     .order_by(Meeting.starts_at.desc(), Meeting.id)).all()
    decisions: dict[uuid.UUID, list[MeetingDecision]] = defaultdict(list)
    for d in _decisions([m.id for m, _ in rows], case.id):
        decisions[d.meeting_id].append(d)
    ctx = _CaseContext(viewer, [case.id])
    orgs = _orgs([d.owner_org_id for ds in decisions.values() for d in ds] + [i.presenting_org_id for _, i in rows]
                 + [m.organizer_org_id for m, _ in rows])
    show = any(decisions.values()) and ctx.disclose_notes(case.id, log)
    out = []
    for m, item in rows:
        out.append({
            "meeting": {"id": m.id, "kind": m.kind, "kind_label": kind_label(m.kind), "title": m.title,
                        "starts_at": m.starts_at, "status": m.status, "status_label": STATUS_LABELS[m.status],
                        "organizer_org": org_ref(orgs.get(m.organizer_org_id))},
            "agenda_item_id": item.id, "position": item.position,
            "presenting_org": org_ref(orgs.get(item.presenting_org_id)),
            "decisions": [_present_decision(d, orgs, bool(show), case.case_number) for d in decisions.get(m.id, [])],
        })
    return out, log
