from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.core.db import Base

# The managed lists (code -> Japanese label) that cases and directory entries refer to.
CODE_LISTS = (
    "issue_category",    # 課題分類: ひきこもり, ヤングケアラー, 8050 …
    "intake_channel",    # 相談経路: 窓口, 電話, LINE/チャット …
    "closure_reason",    # 終結理由
    "district",          # 地区 (per municipality)
    "consent_purpose",   # 同意の利用目的
    "progress_kind",     # 支援経過記録の種別: 面談, 訪問 …
    "event_kind",        # 行事の種別: 勉強会, 交流会, 研修 … (caseflow.events)
)


class ManagedCode(Base):
    """One entry of a managed list. Entries are deactivated, never deleted, so old records keep their label."""

    __tablename__ = "managed_codes"

    list_name: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # e.g. the municipality a district belongs to
    scope: Mapped[str | None] = mapped_column(String(32))
