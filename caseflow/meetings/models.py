"""Support meetings (支援会議 and others): members, attendees, pledges, agenda, minutes, decisions.

A 支援会議 (社会福祉法106条の6) opens the `support_meeting` sharing basis: for cases on its agenda, to
attending users of member organisations who signed the confidentiality pledge, within its sharing window.
Minutes are written per agenda item while the meeting is `held`; the chair's approval locks them, and
later corrections are new records linked to the item (the approved text is never edited).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base, Created, Edited, UTCDateTime, new_id, one_of, utcnow

# kind -> (label, shares without consent among pledged members?)
MEETING_KINDS = {
    "support_meeting": ("支援会議", True),           # 社会福祉法106条の6
    "isolation_council": ("孤独・孤立対策地域協議会", True),  # 孤独・孤立対策推進法 (same secrecy duty)
    "multilayer_meeting": ("重層的支援会議", False),  # 106条の4: consent required
    "case_conference": ("ケース会議", False),
    "regular": ("定例会", False),
}
MEETING_STATUSES = ("planned", "held", "minutes_approved")
# A pledge covers one meeting, or every meeting of the fiscal year (年度) of the meeting it was signed for.
PLEDGE_SCOPES = ("meeting", "fiscal_year")
DEFAULT_SHARING_DAYS = 14  # the sharing window closes this many days after the meeting


class Meeting(Edited, Base):
    __tablename__ = "meetings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
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
    minutes_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

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


class Pledge(Base):
    """守秘義務の誓約: per meeting, or per fiscal year (covering every meeting in that year)."""

    __tablename__ = "pledges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meetings.id"))
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    pledge_text_version: Mapped[str] = mapped_column(String(32), default="v1")
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "meeting_id", "fiscal_year"),)


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
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_meeting_decisions_case", "case_id", "meeting_id"),)
