from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import Base, UTCDateTime, new_id, utcnow

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


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])
