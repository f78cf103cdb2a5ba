"""The building blocks of every audit query: the tenant an auditor reviews, engine-specific SQL expressions
(each one also an index of migration 0002), periods, and the names of staff and organisations in reports.

Everything in the audit feature is computed in SQL over `audit_events` / `audit_subjects` (millions of rows):
nothing loads a whole period into Python. Results carry ids, codes, counts and organisation/staff names,
never a person's name or case content.

Conventions other modules must follow for these reports to see their events:
- a disclosure of personal data is a `Disclosure` on the event (-> audit_subjects);
- an event about a case whose resource is not the case itself puts the case id in `detail.case_id`;
- break-glass events are `flagged=True`, with legal basis "emergency:<grant id>".
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Integer,
    String,
    case,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from caseflow.accounts.models import User
from caseflow.audit.models import AuditEvent, AuditSubject
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import validation_problem
from caseflow.organizations.models import Organization

E = AuditEvent
S = AuditSubject

BASIS_KINDS = {
    "own_collection": "自機関収集",
    "consent": "本人同意",
    "support_meeting": "支援会議（社会福祉法106条の6）",
    "emergency": "緊急（個人情報保護法27条1項2号）",
    "none": "根拠なし",
}
MAX_REPORT_DAYS = 366


# --- engine-specific SQL ----------------------------------------------------------------------
# Each expression below is also an index in migration 0002; literals are inlined (not bound) so the
# planner can match the index expression.

def _dialect() -> str:
    session = db.session()
    return session.get_bind().dialect.name


def _lit(value: str):
    return literal_column("'" + value.replace("'", "''") + "'")


def _prefix_before(col, sep: str, dialect: str):
    """The part of `col` before the first `sep` (the whole value when there is none)."""
    if dialect == "postgresql":
        return func.split_part(col, _lit(sep), literal_column("1"))
    return func.substr(col, literal_column("1"), func.instr(col.concat(_lit(sep)), _lit(sep)) - literal_column("1"))


def action_area(dialect: str, col=E.action):
    return _prefix_before(col, ".", dialect)


def basis_kind(dialect: str, col=E.legal_basis):
    return _prefix_before(col, ":", dialect)


def detail_case_id(dialect: str, col=E.detail):
    if dialect == "postgresql":
        return cast(col, _jsonb()).op("->>")(_lit("case_id"))
    return func.json_extract(col, _lit("$.case_id"))


def _jsonb():
    from sqlalchemy.dialects.postgresql import JSONB

    return JSONB()


def event_case_id(dialect: str):
    """The case an event is about: its resource when that is a case, else detail.case_id."""
    return case((E.resource_type == "cases", E.resource_id), else_=detail_case_id(dialect))


def _local(dialect: str, col):
    """Japan-time parts of a UTC timestamp column: (minute of day, weekday 0=Sunday, date)."""
    if dialect == "postgresql":
        local = func.timezone(_lit("Asia/Tokyo"), col)
        minute = cast(func.extract("hour", local) * 60 + func.extract("minute", local), Integer)
        return minute, cast(func.extract("dow", local), Integer), cast(func.to_char(local, _lit("YYYY-MM-DD")), String)
    # SQLite stores naive UTC text; Japan has had no daylight saving time since 1951, so +9h is exact.
    shift = _lit("+9 hours")
    minute = (cast(func.strftime(_lit("%H"), col, shift), Integer) * 60
              + cast(func.strftime(_lit("%M"), col, shift), Integer))
    return minute, cast(func.strftime(_lit("%w"), col, shift), Integer), func.date(col, shift)


def _plus_minutes(dialect: str, col, minutes: int):
    minutes = int(minutes)
    if dialect == "postgresql":
        return col + literal_column(f"interval '{minutes} minutes'")
    # Same text layout SQLAlchemy stores, so the comparison stays a string comparison on the index.
    return func.strftime(_lit("%Y-%m-%d %H:%M:%f"), col, _lit(f"+{minutes} minutes"))


def _norm_uuid(col):
    """Any uuid representation (uuid type, 32-hex, hyphenated text) as lower-case 32-hex text."""
    return func.lower(func.replace(cast(col, String), _lit("-"), _lit("")))


# --- the tenant -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tenant:
    """The municipality an auditor reviews: its events only (audit_events.municipality_id). `legacy`: it also
    holds the events written before municipalities existed (no municipality_id), see migration 0010."""

    municipality_id: uuid.UUID
    legacy: bool = False

    def events(self, ev=E):
        """SQL: the event belongs to this tenant."""
        mine = ev.municipality_id == self.municipality_id
        return or_(mine, ev.municipality_id.is_(None)) if self.legacy else mine


# --- periods and names ------------------------------------------------------------------------

def period(since: datetime | None, until: datetime | None, default_days: int) -> tuple[datetime, datetime]:
    until = (until or utcnow()).astimezone(UTC)
    since = since and since.astimezone(UTC)
    since = since or until - timedelta(days=default_days)
    if since >= until:
        raise validation_problem({"since": ["開始日時は終了日時より前にしてください。"]})
    if until - since > timedelta(days=MAX_REPORT_DAYS):
        raise validation_problem({"since": [f"期間は{MAX_REPORT_DAYS}日以内で指定してください。"]})
    return since, until


def _names(user_ids=(), org_ids=()) -> tuple[dict, dict]:
    """Staff and organisation names for report rows (staff and organisations, never persons)."""
    session = db.session()
    users, orgs = {}, {}
    user_ids = {u for u in user_ids if u is not None}
    org_ids = {o for o in org_ids if o is not None}
    if user_ids:
        for uid, name, email, oid in session.execute(
                select(User.id, User.display_name, User.email, User.org_id).where(User.id.in_(user_ids))):
            users[uid] = {"display_name": name, "email": email}
            org_ids.add(oid)
    if org_ids:
        for oid, code, name, kind in session.execute(
                select(Organization.id, Organization.code, Organization.name, Organization.kind)
                .where(Organization.id.in_(org_ids))):
            orgs[oid] = {"code": code, "name": name, "kind": kind}
    return users, orgs


def _actor(users: dict, orgs: dict, user_id, org_id) -> dict:
    u = users.get(user_id, {})
    o = orgs.get(org_id, {})
    return {"actor_user_id": user_id, "actor_name": u.get("display_name"), "actor_email": u.get("email"),
            "actor_org_id": org_id, "actor_org_code": o.get("code"), "actor_org_name": o.get("name")}


def _basis_kind_of(basis: str | None) -> str:
    return (basis or "none").split(":", 1)[0]


def _allowed(ev):
    """Allowed events (the outcome is allowed or denied). Written as "not denied" on purpose: an
    equality would tempt SQLite's planner (which has no statistics) onto the outcome index, walking
    every allowed event instead of the period's or the person's few."""
    return ev.outcome != "denied"


def _has_personal_data():
    """EXISTS a disclosure for the event (an alias, so it also works inside joins with audit_subjects)."""
    sub = aliased(S, name="disclosed")
    return exists().where(sub.event_seq == E.seq)


def _aware(value):
    if isinstance(value, str):  # SQLite returns computed timestamps as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


