"""地域福祉計画の成果指標 (plan indicators): a municipality's indicators with a target and an actual per fiscal
year, as its 行政評価シート prints them (e.g. 鎌倉市, seed 004: 指標名, 単位, 目標値, 実績値 by 年度)."""
from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base, Edited, new_id, one_of

# higher: the actual should reach the target (割合, 人数); lower: it should stay below it (要介護認定率)
DIRECTIONS = ("higher", "lower")


class PlanIndicator(Edited, Base):
    """One indicator's values in one fiscal year (年度) of one municipality."""

    __tablename__ = "plan_indicators"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8), default="higher")
    fiscal_year: Mapped[int] = mapped_column(Integer)
    target: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    source: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (one_of("direction", DIRECTIONS),
                      UniqueConstraint("municipality_id", "code", "fiscal_year"))
