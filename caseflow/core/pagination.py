"""Offset pagination with a stable order; fetches one extra row to know if more exist."""
from __future__ import annotations

from sqlalchemy import Select

from caseflow.core import db


def paginate(stmt: Select, limit: int, offset: int, scalars: bool = True) -> dict:
    result = db.session().execute(stmt.limit(limit + 1).offset(offset))
    rows = list(result.scalars() if scalars else result)
    return {"items": rows[:limit], "limit": limit, "offset": offset, "has_more": len(rows) > limit}
