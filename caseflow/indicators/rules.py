"""Plan indicators: saving a year's values and the achievement report. Plain rules, no Flask.

達成率 (achievement ratio) as the 行政評価シート computes it: actual / target for an indicator that should rise,
target / actual for one that should stay low (要支援・要介護認定率: 18.5 / 17.9 = 103.4 %). Always Decimal.
"""
from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from caseflow.access import trail
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.indicators.models import PlanIndicator

RATIO_PLACES = Decimal("0.001")
PERCENT_PLACES = Decimal("0.1")


def get(municipality_id: uuid.UUID, code: str, fiscal_year: int) -> PlanIndicator | None:
    return db.session().scalar(select(PlanIndicator).where(
        PlanIndicator.municipality_id == municipality_id, PlanIndicator.code == code,
        PlanIndicator.fiscal_year == fiscal_year))


def save(municipality_id: uuid.UUID, code: str, fiscal_year: int, data: dict, *, actor) -> tuple[PlanIndicator, bool]:
    """Create or replace one indicator's values for one year; every write is audited. Returns (row, created)."""
    s = db.session()
    row = get(municipality_id, code, fiscal_year)
    created = row is None
    if created:
        row = PlanIndicator(municipality_id=municipality_id, code=code, fiscal_year=fiscal_year)
        s.add(row)
    before = None if created else {"target": _s(row.target), "actual": _s(row.actual)}
    row.name, row.unit = data["name"], data["unit"]
    row.direction = data.get("direction", "higher")
    row.target, row.actual, row.source = data.get("target"), data.get("actual"), data.get("source")
    if not created:
        row.updated_at = utcnow()
    s.flush()
    trail.record(s, action="indicators.put", resource_type="indicators", resource_id=row.id, actor=actor,
                 municipality_id=municipality_id,
                 detail={"code": code, "fiscal_year": fiscal_year, "created": created, "before": before,
                         "target": _s(row.target), "actual": _s(row.actual)})
    return row, created


def listing(municipality_id: uuid.UUID, fiscal_year: int | None = None) -> list[PlanIndicator]:
    q = select(PlanIndicator).where(PlanIndicator.municipality_id == municipality_id)
    if fiscal_year is not None:
        q = q.where(PlanIndicator.fiscal_year == fiscal_year)
    return list(db.session().scalars(q.order_by(PlanIndicator.code, PlanIndicator.fiscal_year)))


def achievement(target: Decimal | None, actual: Decimal | None, direction: str) -> Decimal | None:
    """The achievement ratio (1.000 = target met exactly), or None while a value is missing."""
    if target is None or actual is None:
        return None
    numerator, denominator = (actual, target) if direction == "higher" else (target, actual)
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def report(municipality_id: uuid.UUID, fiscal_year: int) -> list[dict]:
    """One row per indicator of the year: target, actual, ratio and percent (Decimal), met or not."""
    out = []
    for row in listing(municipality_id, fiscal_year):
        ratio = achievement(row.target, row.actual, row.direction)
        out.append({"code": row.code, "name": row.name, "unit": row.unit, "direction": row.direction,
                    "fiscal_year": row.fiscal_year, "target": row.target, "actual": row.actual,
                    "achievement_ratio": ratio,
                    "achievement_percent": None if ratio is None else
                    (ratio * 100).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP),
                    "met": None if ratio is None else ratio >= 1, "source": row.source})
    return out


CSV_HEADER = ["指標コード", "指標名", "単位", "年度", "目標値", "実績値", "達成率（%）", "出典"]


def csv_rows(rows: list[dict]) -> list[list[str]]:
    return [[r["code"], r["name"], r["unit"], str(r["fiscal_year"]), _s(r["target"]) or "", _s(r["actual"]) or "",
             _s(r["achievement_percent"]) or "", r["source"] or ""] for r in rows]


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")
