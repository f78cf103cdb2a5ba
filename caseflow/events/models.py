"""Events of a municipality's platform (勉強会, 交流会, 研修 …) and which organisations took part, with how many
people (市原市, seed 001: 官民連携モデル事業 with participation counts)."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base, Created, new_id


class Event(Created, Base):
    """One event held in a municipality's platform; organisational data only (no person is named)."""

    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    kind: Mapped[str] = mapped_column(String(64))  # a code of the event_kind list
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    organiser_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    description: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # the organisation that recorded it (with the organiser and the secretariat, it records the participants)
    created_by_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))

    __table_args__ = (Index("ix_events_municipality_held_on", "municipality_id", "held_on"),)


class EventParticipation(Created, Base):
    """An organisation's participation in an event: how many of its people (or of the people it brought) came.
    One per organisation and event."""

    __tablename__ = "event_participations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    headcount: Mapped[int] = mapped_column(Integer)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("uq_event_participations_event_org", "event_id", "org_id", unique=True),
        CheckConstraint("headcount >= 0", name="headcount_not_negative"),
    )
