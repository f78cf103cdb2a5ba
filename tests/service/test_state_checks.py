"""Every state column has a CHECK constraint (migration 0013 and the models' `one_of`), on both engines:
a script or an operator writing to the tables directly cannot leave a record in a state no rule knows."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from caseflow.core.db import Base

from support import open_case


def _model_checks() -> dict[str, set[str]]:
    """table -> names of the CHECK constraints the models declare."""
    out: dict[str, set[str]] = {}
    for table in Base.metadata.sorted_tables:
        names = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
        if names:
            out[table.name] = names
    return out


def test_the_database_has_every_check_the_models_declare(app, db_url):
    declared = _model_checks()
    assert {"cases", "referrals", "plan_tasks", "meetings", "lead_handovers", "role_requests"} <= set(declared)
    engine = create_engine(db_url)
    try:
        insp = inspect(engine)
        for table, names in declared.items():
            present = {c["name"] for c in insp.get_check_constraints(table)}
            assert names <= present, (table, names - present)
    finally:
        engine.dispose()


@pytest.mark.parametrize("table, column", [("cases", "stage"), ("cases", "urgency")])
def test_a_direct_write_of_an_unknown_state_is_refused(app, basic, db_url, table, column):
    case = open_case(basic.client("coord@example.jp"))
    engine = create_engine(db_url)
    try:
        with pytest.raises(IntegrityError):
            with engine.begin() as conn:
                conn.execute(text(f"UPDATE {table} SET {column} = 'bogus' WHERE id = :id"),
                             {"id": case["id"].replace("-", "") if engine.dialect.name == "sqlite" else case["id"]})
        with engine.connect() as conn:
            kept = conn.execute(text(f"SELECT {column} FROM {table}")).scalars().all()
        assert kept and "bogus" not in kept
    finally:
        engine.dispose()
