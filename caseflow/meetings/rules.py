"""Support meetings (支援会議 and other case conferences): lifecycle, members and attendees, pledges,
agenda, minutes, decisions, and the per-viewer agenda and minutes views.

Who sees a meeting: users of its member organisations (SQL filter); anyone else gets 404. Who runs it:
supervisors (casbin `meetings, manage`) of the organising organisation; the chair approves the minutes.
Which personal data an agenda shows is the sharing engine's decision (caseflow.access.sharing), always
in the context of the agenda case, so the `support_meeting` basis applies to agenda cases only.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.sql import Select

from caseflow.access import tenancy, trail
from caseflow.access.sharing import SHARING_MEETING_KINDS, Viewer
from caseflow.accounts.models import User
from caseflow.core import db
from caseflow.core.db import new_id, utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.jpdate import fiscal_year
from caseflow.meetings.models import (
    DEFAULT_SHARING_DAYS,
    MEETING_KINDS,
    AgendaItem,
    Meeting,
    MeetingAttendee,
    MeetingMember,
)
from caseflow.organizations.models import Organization

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"
STATUS_LABELS = {"planned": "開催予定", "held": "開催済み", "minutes_approved": "議事録承認済み"}
TRANSITIONS: dict[str, tuple[str, ...]] = {"planned": ("held",), "held": ("minutes_approved",),
                                           "minutes_approved": ()}
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


