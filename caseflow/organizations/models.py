from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.core.db import Base, Created, UTCDateTime, new_id, one_of, utcnow

# Organisation kinds (foundation issue); labels are what users see.
ORG_KINDS = {
    "department": "市町村部署",
    "shakyo": "社会福祉協議会",
    "npo": "NPO法人",
    "association": "一般社団法人",
    "welfare_corporation": "社会福祉法人",
    "care_center": "地域包括支援センター",
    "other": "その他",
}


class Municipality(Created, Base):
    """A municipality (自治体): the tenant. Its cases, persons, meetings, code lists, reports and audit
    events belong to it; organisations act in it from home or through a membership it granted."""

    __tablename__ = "municipalities"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # the platform secretariat (事務局): the lead department or an intermediary NPO; its `secretariat`
    # users administer this municipality's member organisations
    secretariat_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", use_alter=True, name="fk_municipalities_secretariat_org_id_organizations"))
    # the audit events written before municipalities existed (no municipality_id) belong to this one
    holds_legacy_events: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Organization(Created, Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # home municipality; other municipalities only through a MunicipalityMembership
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])
    municipality: Mapped[Municipality] = relationship(foreign_keys=[municipality_id])


class MunicipalityMembership(Base):
    """An organisation taking part in another municipality's platform (a prefecture-wide NPO serving three
    cities), granted by that municipality's secretariat. Ended, never deleted."""

    __tablename__ = "municipality_memberships"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    granted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))  # None: the operator (CLI)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    org: Mapped[Organization] = relationship(foreign_keys=[org_id])

    __table_args__ = (
        # one live membership per (municipality, organisation); the org's active memberships by key
        Index("uq_municipality_memberships_live", "municipality_id", "org_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_municipality_memberships_org", "org_id", "municipality_id"),
    )


CAPACITY_STATES = ("accepting", "full", "paused")  # 受入可 / 満員 / 受入停止


class DirectoryEntry(Base):
    """What an organisation offers (the platform's directory); one per organisation."""

    __tablename__ = "directory_entries"
    __table_args__ = (one_of("capacity", CAPACITY_STATES),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    fields: Mapped[str] = mapped_column(String(500), default="")       # comma-separated issue codes (活動分野)
    languages: Mapped[str] = mapped_column(String(100), default="")    # comma-separated ISO codes besides ja
    lgbtq: Mapped[bool] = mapped_column(Boolean, default=False)
    eligibility: Mapped[str | None] = mapped_column(String(300))
    age_min: Mapped[int | None] = mapped_column(SmallInteger)
    age_max: Mapped[int | None] = mapped_column(SmallInteger)
    service_area: Mapped[str] = mapped_column(String(500), default="")  # comma-separated district codes
    hours: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    line: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    takes_consultations: Mapped[bool] = mapped_column(Boolean, default=True)
    joint_support: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[str] = mapped_column(String(16), default="accepting")  # accepting | full | paused
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Optimistic concurrency (ETag / If-Match): two editors of one entry never overwrite each other silently.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}
