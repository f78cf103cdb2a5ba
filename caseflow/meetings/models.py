"""Councils (会議体) and their meetings: members, attendees, invited guests, pledges, agenda, minutes, decisions.

A council is a standing body set up by statute or by a 要綱: a kind (and with it the legal basis, and whether
members share without consent), member organisations, a chair, a secretariat (事務局) that convenes it, a
quorum, a schedule. Every meeting belongs to one council and takes its kind and members from it.

A meeting of a council that shares without consent (支援会議 and the statutory councils) opens the
`support_meeting` sharing basis: for cases on its agenda, to attending users of member organisations who signed
the pledge (for the meeting, or the council's fiscal-year pledge), within its sharing window; and to an invited
non-member (a guest of one agenda item), for that item's case only, after an individual pledge for the meeting.
Minutes are written per agenda item while the meeting is `held`; the chair's approval locks them, and
later corrections are new records linked to the item (the approved text is never edited).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base, Created, Edited, UTCDateTime, new_id, one_of, utcnow

# kind -> (label, shares without consent among pledged members?, legal basis)
COUNCIL_KINDS = {
    "support_meeting": ("支援会議", True, "社会福祉法第106条の6"),
    "isolation_council": ("孤独・孤立対策地域協議会", True, "孤独・孤立対策推進法第15条"),
    "child_protection_council": ("要保護児童対策地域協議会", True, "児童福祉法第25条の2"),
    "youth_support_council": ("子ども・若者支援地域協議会", True, "子ども・若者育成支援推進法第19条"),
    "multilayer_meeting": ("重層的支援会議", False, "社会福祉法第106条の4（本人同意による情報共有）"),
    "case_conference": ("ケース会議", False, "本人同意による情報共有"),
    "regular": ("定例会", False, "個人情報を扱わない連絡調整"),
}
# kind -> (label, shares without consent?): what the sharing engine reads
MEETING_KINDS = {k: (label, shares) for k, (label, shares, _basis) in COUNCIL_KINDS.items()}
MEETING_STATUSES = ("planned", "held", "minutes_approved")
# A pledge covers one meeting, or every meeting of the fiscal year (年度) of the meeting it was signed for.
PLEDGE_SCOPES = ("meeting", "fiscal_year")
DEFAULT_SHARING_DAYS = 14  # the sharing window closes this many days after the meeting


class Council(Edited, Base):
    """会議体: a standing body of one municipality, set up by statute or 要綱."""

    __tablename__ = "councils"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(200))
    # 事務局: its supervisors convene the meetings and manage the membership
    secretariat_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    chair_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    bylaws_title: Mapped[str | None] = mapped_column(String(200))  # 設置要綱
    bylaws_text: Mapped[str | None] = mapped_column(Text)
    # 定足数: share of member organisations that must be present for decisions to carry; None: no quorum
    quorum_percent: Mapped[int | None] = mapped_column(SmallInteger)
    invites_non_members: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    schedule: Mapped[str | None] = mapped_column(String(200))  # e.g. 毎月第2水曜
    pledge_scope: Mapped[str] = mapped_column(String(16), default="fiscal_year", server_default="fiscal_year")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (one_of("kind", tuple(COUNCIL_KINDS)), one_of("pledge_scope", PLEDGE_SCOPES),
                      CheckConstraint("quorum_percent IS NULL OR (quorum_percent > 0 AND quorum_percent <= 100)",
                                      name="quorum_percent"),
                      UniqueConstraint("municipality_id", "name"))


class CouncilMember(Base):
    """A member organisation of a council, over time (構成機関)."""

    __tablename__ = "council_members"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    council_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("councils.id"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_council_members_org", "org_id", "council_id"),
                      Index("uq_council_members_open", "council_id", "org_id", unique=True,
                            sqlite_where=text("until IS NULL"), postgresql_where=text("until IS NULL")))


class Meeting(Edited, Base):
    __tablename__ = "meetings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    council_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("councils.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # the council's kind
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(300))
    chair_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    organizer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)  # 年度 of starts_at, for fiscal-year pledges
    status: Mapped[str] = mapped_column(String(24), default="planned")
    # sharing window: from preparation until N days after the meeting
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    sharing_days_after: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_SHARING_DAYS,
                                                    server_default=str(DEFAULT_SHARING_DAYS))
    pledge_scope: Mapped[str] = mapped_column(String(16), default="meeting", server_default="meeting")
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 閉会, recorded when marked held
    minutes_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # 定足数, fixed when the meeting is held: member organisations required and present
    quorum_required: Mapped[int | None] = mapped_column(SmallInteger)
    members_present: Mapped[int | None] = mapped_column(SmallInteger)
    quorum_met: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (one_of("status", MEETING_STATUSES), one_of("pledge_scope", PLEDGE_SCOPES),
                      Index("ix_meetings_starts", "starts_at"),)


class MeetingMember(Base):
    __tablename__ = "meeting_members"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)

    __table_args__ = (Index("ix_meeting_members_org", "org_id", "meeting_id"),)


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool | None] = mapped_column(Boolean)  # recorded when the meeting is held


class MeetingGuest(Base):
    """An invited non-member (要綱: 構成員以外の者の出席) for one agenda item: sees that item only, after an
    individual pledge for the meeting."""

    __tablename__ = "meeting_guests"

    agenda_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agenda_items.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"))
    invited_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_meeting_guests_user", "user_id", "meeting_id"),)


class Pledge(Base):
    """守秘義務の誓約: per meeting (always so for a guest), or per council and fiscal year (covering every
    meeting of that council in that year, and no other council's)."""

    __tablename__ = "pledges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meetings.id"))
    council_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("councils.id"))
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    pledge_text_version: Mapped[str] = mapped_column(String(32), default="v1")
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "meeting_id", "fiscal_year"),
                      Index("uq_pledges_council_year", "user_id", "council_id", "fiscal_year", unique=True,
                            sqlite_where=text("meeting_id IS NULL"), postgresql_where=text("meeting_id IS NULL")))


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    topic: Mapped[str | None] = mapped_column(String(200))
    presenting_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    points: Mapped[str | None] = mapped_column(Text)
    minutes_allotted: Mapped[int | None] = mapped_column(SmallInteger)

    __table_args__ = (Index("ix_agenda_items_case", "case_id", "meeting_id"),)


class MinutesEntry(Edited, Base):
    """議事録: what was discussed for one agenda item (case_notes-level for case items)."""

    __tablename__ = "meeting_minutes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agenda_items.id"), unique=True)
    body: Mapped[str] = mapped_column(Text)
    recorded_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class MinutesCorrection(Created, Base):
    """A correction to approved minutes: a new record, linked to the item (and the previous correction);
    the latest correction's text is the item's current minutes."""

    __tablename__ = "minutes_corrections"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meeting_minutes.id"))  # the approved text
    previous_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("minutes_corrections.id"))  # chain
    body: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class MeetingDecision(Created, Base):
    """A decision on a case item that became a plan task (caseflow.plans.rules.add_task) in one step."""

    __tablename__ = "meeting_decisions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agenda_items.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    title: Mapped[str] = mapped_column(String(200))
    owner_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    # plan_tasks lives in another migration branch: a plain id, not a foreign key
    task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # False when the meeting lacked its quorum (要綱): recorded, but no task and nobody bound by it
    carried: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_meeting_decisions_case", "case_id", "meeting_id"),)
