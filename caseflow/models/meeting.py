"""Support meetings (支援会議 and others): members, attendees, pledges, agenda.

A 支援会議 (社会福祉法106条の6) opens the `support_meeting` sharing basis: for cases on its agenda, to
attending users of member organisations who signed the confidentiality pledge, within its sharing window.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, UTCDateTime, new_id, utcnow

# kind -> (label, shares without consent among pledged members?)
MEETING_KINDS = {
    "support_meeting": ("支援会議", True),           # 社会福祉法106条の6
    "isolation_council": ("孤独・孤立対策地域協議会", True),  # 孤独・孤立対策推進法 (same secrecy duty)
    "multilayer_meeting": ("重層的支援会議", False),  # 106条の4: consent required
    "case_conference": ("ケース会議", False),
    "regular": ("定例会", False),
}
MEETING_STATUSES = ("planned", "held", "minutes_approved")


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_meetings_starts", "starts_at"),)


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
