"""Meetings of a council (caseflow.meetings.councils): lifecycle, attendees, attendance and quorum, invited
guests, and the rules the other meeting modules share.

Who sees a meeting: users of its member organisations (the council's members), and an invited guest (the user)
(SQL filter); anyone else gets 404. Who runs it: supervisors (casbin `meetings, manage`) of the organising
organisation, the council's secretariat; the chair approves the minutes. A meeting held without its council's
quorum stands, but its decisions are not carried (設置要綱).
Which personal data an agenda shows is the sharing engine's decision (caseflow.access.sharing), always
in the context of the agenda case, so the `support_meeting` basis applies to agenda cases only.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, union
from sqlalchemy.sql import Select

from caseflow.access import tenancy, trail
from caseflow.access.sharing import Viewer
from caseflow.accounts.models import User
from caseflow.core import db
from caseflow.core.db import new_id, utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.jpdate import fiscal_year
from caseflow.meetings import councils
from caseflow.meetings.models import (
    DEFAULT_SHARING_DAYS,
    AgendaItem,
    Council,
    Meeting,
    MeetingAttendee,
    MeetingGuest,
    MeetingMember,
)
from caseflow.organizations.models import Organization

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"
STATUS_LABELS = {"planned": "開催予定", "held": "開催済み", "minutes_approved": "議事録承認済み"}
TRANSITIONS: dict[str, tuple[str, ...]] = {"planned": ("held",), "held": ("minutes_approved",),
                                           "minutes_approved": ()}
PLEDGE_TEXT_VERSION = "v2"  # v2: names the council and its legal basis


def pledge_text(council: Council) -> str:
    """The pledge for one council: its name and the law that puts its members under a duty of secrecy."""
    return (f"私は、{council.legal_basis}に基づく「{council.name}」の構成員又は招へいされた者として、"
            "会議の事務に関して知り得た秘密を漏らしてはならない義務を負うことを理解しました。"
            "会議資料及び共有された個人情報は、当該会議の目的（支援のための情報共有と役割分担）以外に利用せず、"
            "他の会議体を含む第三者に提供せず、会議終了後は所定の方法で返却又は廃棄することを誓約します。")


# --- which meetings ---------------------------------------------------------------------------

def visible_meeting_ids(viewer: Viewer) -> Select:
    """Meetings the viewer's organisation is a member of (the organiser is always a member), and those the
    viewer is invited to as a guest of an agenda item."""
    return union(select(MeetingMember.meeting_id).where(MeetingMember.org_id == viewer.org_id),
                 select(MeetingGuest.meeting_id).where(MeetingGuest.user_id == viewer.user_id))


def guest_item_ids(viewer: Viewer, meeting: Meeting) -> set[uuid.UUID] | None:
    """The agenda items the viewer may see of this meeting: None (all) for a member organisation's user;
    for a guest, only the items they are invited to."""
    s = db.session()
    member = s.scalar(select(MeetingMember.org_id).where(MeetingMember.meeting_id == meeting.id,
                                                         MeetingMember.org_id == viewer.org_id))
    if member is not None:
        return None
    return set(s.scalars(select(MeetingGuest.agenda_item_id).where(MeetingGuest.meeting_id == meeting.id,
                                                                   MeetingGuest.user_id == viewer.user_id)))


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
    if filters.get("council_id"):
        stmt = stmt.where(Meeting.council_id == filters["council_id"])
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


def _attendees(user_ids, members: list[uuid.UUID], chair_id: uuid.UUID) -> list[uuid.UUID]:
    ids = list(dict.fromkeys([chair_id, *user_ids]))
    users = {u.id: u for u in db.session().scalars(select(User).where(User.id.in_(ids)))}
    bad = [i for i in ids if i not in users or not users[i].active or users[i].org_id not in members]
    if bad:
        raise validation_problem({"attendee_user_ids": ["出席者には構成組織の有効な利用者を指定してください。"]})
    return ids


def _council_for_meeting(council_id, actor) -> Council:
    """The council a new meeting belongs to: one of the actor's municipality, active, whose secretariat is
    the actor's organisation (the 要綱: the secretariat convenes)."""
    council = db.session().scalar(select(Council).where(Council.id == council_id,
                                                        Council.municipality_id == actor.municipality_id,
                                                        Council.active.is_(True)))
    if council is None:
        raise validation_problem({"council_id": ["存在しないか、この自治体で有効でない会議体です。"]})
    councils.require_secretariat(council, actor)
    return council


def create_meeting(data: dict, *, actor) -> Meeting:
    s = db.session()
    now = utcnow()
    council = _council_for_meeting(data["council_id"], actor)
    members = councils.member_org_ids(council)
    chair = councils.valid_chair(data.get("chair_user_id") or council.chair_user_id, members)
    attendees = _attendees(data.get("attendee_user_ids", []), members, chair)
    window_start = data.get("window_start") or now
    if data.get("window_start") and window_start > data["starts_at"]:
        raise validation_problem({"window_start": ["共有期間の開始（準備開始）は会議日時より前にしてください。"]})
    meeting = Meeting(
        id=new_id(), municipality_id=actor.municipality_id, council_id=council.id, kind=council.kind,
        title=data["title"], starts_at=data["starts_at"], place=data.get("place"), online_url=data.get("online_url"),
        chair_user_id=chair, organizer_org_id=actor.org_id, status="planned", window_start=window_start,
        sharing_days_after=data.get("sharing_days_after", DEFAULT_SHARING_DAYS), pledge_scope=council.pledge_scope,
        created_by_user_id=actor.id,
    )
    _window(meeting)
    s.add(meeting)
    s.flush()
    s.add_all([MeetingMember(meeting_id=meeting.id, org_id=o) for o in members])
    s.add_all([MeetingAttendee(meeting_id=meeting.id, user_id=u) for u in attendees])
    trail.record(s, action="meetings.create", resource_type="meetings", resource_id=meeting.id, actor=actor,
                 detail={"kind": meeting.kind, "council_id": str(council.id), "members": len(members),
                         "attendees": len(attendees)})
    return meeting


def member_org_ids(meeting: Meeting) -> list[uuid.UUID]:
    return list(db.session().scalars(select(MeetingMember.org_id).where(MeetingMember.meeting_id == meeting.id)))


def attendee_user_ids(meeting: Meeting) -> list[uuid.UUID]:
    return list(db.session().scalars(select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == meeting.id)))


def update_meeting(meeting: Meeting, data: dict, *, actor) -> Meeting:
    """Edit details. The date only while planned; nothing but the sharing window once approved (the window
    is access control: it may be tightened at any time). Members come from the council."""
    require_manager(meeting, actor)
    s = db.session()
    now = utcnow()
    reason = data.pop("window_reason", None)
    before = (meeting.window_start, meeting.window_end)
    window_only = {"window_start", "sharing_days_after"}
    if set(data) - window_only:
        _require_unlocked(meeting, "会議の内容")
    if meeting.status != "planned" and "starts_at" in data:
        raise Problem(409, detail="開催後は会議の日時を変更できません。", type_="illegal-state",
                      current_status=meeting.status)
    for key in ("title", "starts_at", "place", "online_url", "window_start", "sharing_days_after"):
        if key in data:
            setattr(meeting, key, data[key])
    if not (meeting.place or meeting.online_url):
        raise validation_problem({"place": ["開催場所かオンライン会議のURLのどちらかが必要です。"]})
    closed = before[1] <= now
    reopened = closed and meeting.starts_at + timedelta(days=meeting.sharing_days_after) > now
    if reopened:
        # Never reaching back: the window resumes from this change, so the gap stays outside it (and the
        # record of the window never claims sharing that did not happen).
        if not reason:
            raise validation_problem({"window_reason": ["終了した共有期間を再開するには理由が必要です。"]})
        if "window_start" in data and data["window_start"] < now:
            raise validation_problem({"window_start": ["終了した共有期間は遡って再開できません（再開は変更の時点から）。"]})
        meeting.window_start = max(now, data.get("window_start") or now)
    elif "window_start" in data and meeting.window_start > meeting.starts_at:
        raise validation_problem({"window_start": ["共有期間の開始（準備開始）は会議日時より前にしてください。"]})
    members = member_org_ids(meeting)
    chair = meeting.chair_user_id
    if "chair_user_id" in data:
        chair = councils.valid_chair(data["chair_user_id"], members)
        meeting.chair_user_id = chair
    current = attendee_user_ids(meeting)
    wanted = data.get("attendee_user_ids", current)
    if "attendee_user_ids" in data or "chair_user_id" in data:
        attendees = _attendees(wanted, members, chair)
        for user_id in set(current) - set(attendees):
            s.execute(MeetingAttendee.__table__.delete().where(MeetingAttendee.meeting_id == meeting.id,
                                                               MeetingAttendee.user_id == user_id))
        s.add_all([MeetingAttendee(meeting_id=meeting.id, user_id=u) for u in attendees if u not in current])
    _window(meeting)
    meeting.updated_at = now
    detail = {"changed": sorted(data)}
    if (meeting.window_start, meeting.window_end) != before or reason:
        detail["window"] = {"before": [before[0].isoformat(), before[1].isoformat()],
                            "after": [meeting.window_start.isoformat(), meeting.window_end.isoformat()],
                            "reopened": reopened, "reason": reason}
    trail.record(s, action="meetings.update", resource_type="meetings", resource_id=meeting.id, actor=actor,
                 detail=detail)
    return meeting


def _record_attendance(meeting: Meeting, present_user_ids) -> None:
    """Who was present (default: every attendee), and from it the quorum: member organisations with a
    present user, against the council's 定足数 for the members the meeting has."""
    s = db.session()
    attendees = attendee_user_ids(meeting)
    present = set(attendees if present_user_ids is None else present_user_ids)
    if present - set(attendees):
        raise validation_problem({"present_user_ids": ["出席者には、この会議の出席予定者を指定してください。"]})
    for user_id in attendees:
        s.execute(MeetingAttendee.__table__.update().where(MeetingAttendee.meeting_id == meeting.id,
                                                           MeetingAttendee.user_id == user_id)
                  .values(present=user_id in present))
    members = set(member_org_ids(meeting))
    present_orgs = set(s.scalars(select(User.org_id).where(User.id.in_(present)))) & members if present else set()
    council = s.get(Council, meeting.council_id)
    meeting.quorum_required = councils.quorum_of(council, len(members))
    meeting.members_present = len(present_orgs)
    meeting.quorum_met = meeting.quorum_required is None or meeting.members_present >= meeting.quorum_required


def transition(meeting: Meeting, to: str, *, actor, present_user_ids=None, ended_at=None) -> Meeting:
    """planned -> held -> minutes_approved; the chair approves (and so locks) the minutes. Holding records
    who was present, whether the quorum was met and, when given, the closing time (閉会) for the 議事録."""
    if to != "minutes_approved":
        require_manager(meeting, actor)
    allowed = TRANSITIONS[meeting.status]
    if to not in allowed:
        raise Problem(409, detail=f"「{STATUS_LABELS[meeting.status]}」から「{STATUS_LABELS.get(to, to)}」へは移せません。",
                      type_="illegal-transition", current_status=meeting.status, allowed=list(allowed))
    now = utcnow()
    if to == "held" and now < meeting.starts_at:
        raise Problem(409, detail="会議の開始日時より前に開催済みにはできません。", type_="meeting-not-started",
                      starts_at=meeting.starts_at.isoformat())
    if present_user_ids is not None and to != "held":
        raise validation_problem({"present_user_ids": ["出席の記録は開催時のみ指定できます。"]})
    if ended_at is not None:
        if to != "held":
            raise validation_problem({"ended_at": ["閉会時刻は開催済みにするときのみ指定できます。"]})
        if not meeting.starts_at < ended_at <= now:
            raise validation_problem({"ended_at": ["閉会時刻は会議の開始日時より後、現在時刻以前で指定してください。"]})
    if to == "held":
        meeting.held_at = now
        meeting.ended_at = ended_at
        _record_attendance(meeting, present_user_ids)
    elif to == "minutes_approved":
        if actor.id != meeting.chair_user_id:
            raise Problem(403, detail="議事録の承認は議長のみ行えます。", type_="forbidden")
        meeting.minutes_approved_at = now
        meeting.minutes_approved_by = actor.id
    previous = meeting.status
    meeting.status = to
    meeting.updated_at = now
    trail.record(db.session(), action="meetings.transition", resource_type="meetings", resource_id=meeting.id,
                 actor=actor, detail={"from": previous, "to": to, **({
                     "quorum_required": meeting.quorum_required, "members_present": meeting.members_present,
                     "quorum_met": meeting.quorum_met,
                     "ended_at": ended_at.isoformat() if ended_at else None} if to == "held" else {})})
    return meeting


# --- invited non-members ------------------------------------------------------------------------

def invite_guest(meeting: Meeting, item: AgendaItem, user_id: uuid.UUID, *, actor) -> MeetingGuest:
    """Invite a user of a non-member organisation for one agenda item (要綱: 構成員以外の者の出席), when the
    council's 要綱 allows it. The guest sees that item only, after an individual pledge for the meeting."""
    require_manager(meeting, actor)
    _require_unlocked(meeting, "招へい者")
    s = db.session()
    council = s.get(Council, meeting.council_id)
    if not council.invites_non_members:
        raise Problem(409, detail="この会議体の設置要綱は構成機関以外の者の出席を定めていません。", type_="not-allowed")
    user = s.get(User, user_id)
    ok = user is not None and user.active and s.scalar(
        select(Organization.id).where(Organization.id == user.org_id, Organization.active.is_(True),
                                      tenancy.org_is_member(meeting.municipality_id))) is not None
    if not ok:
        raise validation_problem({"user_id": ["この自治体で活動する組織の有効な利用者を指定してください。"]})
    if user.org_id in member_org_ids(meeting):
        raise validation_problem({"user_id": ["構成機関の利用者は出席者として加えてください（招へいは構成機関以外の者）。"]})
    existing = s.get(MeetingGuest, (item.id, user.id))
    if existing is not None:
        raise Problem(409, detail="この利用者はすでにこの議題に招へいされています。", type_="duplicate")
    guest = MeetingGuest(agenda_item_id=item.id, user_id=user.id, meeting_id=meeting.id, invited_by_user_id=actor.id,
                         invited_at=utcnow())
    s.add(guest)
    meeting.updated_at = utcnow()
    s.flush()
    trail.record(s, action="meetings.guest.invite", resource_type="meetings", resource_id=meeting.id, actor=actor,
                 detail={"agenda_item_id": str(item.id), "user_id": str(user.id), "org_id": str(user.org_id)})
    return guest


def guests_of(meeting: Meeting) -> dict[uuid.UUID, list[uuid.UUID]]:
    """agenda item -> its invited guests' user ids."""
    out: dict[uuid.UUID, list[uuid.UUID]] = {}
    for item_id, user_id in db.session().execute(
            select(MeetingGuest.agenda_item_id, MeetingGuest.user_id).where(MeetingGuest.meeting_id == meeting.id)
            .order_by(MeetingGuest.invited_at, MeetingGuest.user_id)):
        out.setdefault(item_id, []).append(user_id)
    return out


