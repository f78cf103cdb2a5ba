"""What auditors ask of the trail: search, per-person disclosure reports, anomaly reports, reviews,
period reports and chain verification. Plain functions over a session; no HTTP.

Everything is computed in SQL over `audit_events` / `audit_subjects` (millions of rows): nothing
here loads a whole period into Python. Results carry ids, codes, counts and organisation/staff
names, never a person's name or case content.

Conventions other modules must follow for these reports to see their events:
- a disclosure of personal data is a `Disclosure` on the event (-> audit_subjects);
- an event about a case whose resource is not the case itself puts the case id in `detail.case_id`;
- break-glass events are `flagged=True`, with legal basis "emergency:<grant id>".
"""
from __future__ import annotations

import hashlib
import hmac
import json
import importlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from caseflow.access import trail
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.access.trail import AuditChainHead, AuditEvent, AuditSubject
from caseflow.accounts.models import User
from caseflow.audit.models import AuditReview, AuditVerification
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

def _dialect(session: Session) -> str:
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


# --- search -----------------------------------------------------------------------------------

@dataclass
class Filters:
    actor_user_id: uuid.UUID | None = None
    actor_org_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    legal_basis: str | None = None
    outcome: str | None = None
    flagged: bool | None = None
    reviewed: bool | None = None
    since: datetime | None = None
    until: datetime | None = None
    tenant: Tenant | None = None

    @classmethod
    def of(cls, args: dict, tenant: Tenant) -> Filters:
        return cls(**{k: v for k, v in args.items() if k in cls.__dataclass_fields__ and k != "tenant"}, tenant=tenant)


def parse_action(value: str) -> tuple[str, str]:
    """"cases.read" -> exact; "cases." / "cases.*" / "cases*" -> every action of area "cases"."""
    if value.endswith(".*"):
        value = value[:-2]
    elif value.endswith(("*", ".")):
        value = value[:-1]
    else:
        if "*" in value:
            raise validation_problem({"action": ["ワイルドカードは末尾の「.*」だけ使えます（例: cases.*）。"]})
        return "exact", value
    if not value or "." in value or "*" in value:
        raise validation_problem({"action": ["前方一致は操作の区分で指定してください（例: cases.*）。"]})
    return "area", value


def parse_basis(value: str) -> tuple[str, str]:
    """"consent:<uuid>" -> exact; "consent" / "consent:*" -> every basis of that kind."""
    value = value.removesuffix(":*")
    if ":" in value:
        return "exact", value
    if value not in BASIS_KINDS:
        raise validation_problem({"legal_basis": [f"根拠の種類は {', '.join(BASIS_KINDS)} のいずれかです。"]})
    return "kind", value


def search_statement(session: Session, f: Filters, columns=None):
    """SELECT of the matching events (no order, no limit)."""
    d = _dialect(session)
    if f.tenant is None:
        raise ValueError("an audit search is always one municipality's (Filters.tenant)")
    stmt = select(*(columns or [E])).where(f.tenant.events())
    for col in ("actor_user_id", "actor_org_id", "resource_type", "resource_id", "outcome"):
        value = getattr(f, col)
        if value is not None:
            stmt = stmt.where(getattr(E, col) == value)
    if f.flagged is not None:
        stmt = stmt.where(E.flagged == (true() if f.flagged else false()))
    if f.action:
        how, value = parse_action(f.action)
        stmt = stmt.where(E.action == value if how == "exact" else action_area(d) == _lit(value))
    if f.legal_basis:
        how, value = parse_basis(f.legal_basis)
        stmt = stmt.where(E.legal_basis == value if how == "exact" else basis_kind(d) == _lit(value))
    if f.person_id is not None:
        stmt = stmt.where(E.seq.in_(select(S.event_seq).where(S.person_id == f.person_id)))
    if f.case_id is not None:
        cid = str(f.case_id)
        # Two indexed branches: the resource index and the detail.case_id expression index.
        stmt = stmt.where(or_(and_(E.resource_type == "cases", E.resource_id == cid),
                              detail_case_id(d) == _lit(cid)))
    if f.reviewed is not None:
        has_review = exists().where(AuditReview.event_seq == E.seq)
        stmt = stmt.where(has_review if f.reviewed else not_(has_review))
    if f.since is not None:
        stmt = stmt.where(E.occurred_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(E.occurred_at < f.until)
    return stmt


def search(session: Session, f: Filters, *, limit: int, after_seq: int | None = None,
           descending: bool = False) -> tuple[list[AuditEvent], int | None]:
    """One keyset page in seq order (ascending, or newest first); returns (events, next cursor)."""
    stmt = search_statement(session, f)
    if after_seq is not None:
        stmt = stmt.where(E.seq < after_seq if descending else E.seq > after_seq)
    order = E.seq
    if _dialect(session) == "postgresql" and (f.since or f.until) and _events_between(session, f.since, f.until) < 200_000:
        # PostgreSQL assumes matches are spread evenly over seq and walks the primary key until it has a
        # page; within a period they all sit in one stretch, so that walk can cross most of the table.
        # For a period of modest size, `seq + 0` lets it take the filter's index and sort that set.
        order = E.seq + literal_column("0")
    stmt = stmt.order_by(order.desc() if descending else order).limit(limit + 1)
    rows = session.scalars(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].seq if more and rows else None)


def _events_between(session: Session, since: datetime | None, until: datetime | None) -> int:
    """Roughly how many events lie in a period (two index probes): seq grows with time."""
    def seq_at(t):
        return session.execute(select(E.seq).where(E.occurred_at >= t).order_by(E.occurred_at).limit(1)).scalar()

    top = session.execute(select(AuditChainHead.seq)).scalar() or 0
    lo = (seq_at(since) or top) if since else 0
    hi = (seq_at(until) or top) if until else top
    return max(0, hi - lo)


def review_status(session: Session, seqs: list[int]) -> dict[int, dict]:
    """seq -> {"reviews": n, "last_reviewed_at": t} for the given events (one query)."""
    if not seqs:
        return {}
    rows = session.execute(
        select(AuditReview.event_seq, func.count(), func.max(AuditReview.reviewed_at))
        .where(AuditReview.event_seq.in_(seqs)).group_by(AuditReview.event_seq))
    return {seq: {"reviews": n, "last_reviewed_at": last} for seq, n, last in rows}


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


def _names(session: Session, user_ids=(), org_ids=()) -> tuple[dict, dict]:
    """Staff and organisation names for report rows (staff and organisations, never persons)."""
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


# --- per-person disclosure report (開示対応) ----------------------------------------------------

def person_report(session: Session, person_id: uuid.UUID, since: datetime | None = None,
                  until: datetime | None = None, *, tenant: Tenant) -> dict:
    """Every disclosure of one person's data in the tenant, grouped by receiving organisation and legal basis."""
    where = [S.person_id == person_id, _allowed(E), tenant.events()]
    if since is not None:
        where.append(E.occurred_at >= since)
    if until is not None:
        where.append(E.occurred_at < until)
    base = select(E.actor_org_id, S.basis).join(E, E.seq == S.event_seq).where(*where)
    groups = session.execute(
        base.with_only_columns(E.actor_org_id, S.basis, func.count(), func.count(func.distinct(E.actor_user_id)),
                               func.min(E.occurred_at), func.max(E.occurred_at), func.min(E.seq), func.max(E.seq))
        .group_by(E.actor_org_id, S.basis)).all()
    cats: dict[tuple, set] = {}
    for org_id, basis, categories in session.execute(
            base.with_only_columns(E.actor_org_id, S.basis, S.categories).distinct()):
        cats.setdefault((org_id, basis), set()).update(c for c in (categories or "").split(",") if c)
    actions: dict[tuple, dict] = {}
    for org_id, basis, action, n in session.execute(
            base.with_only_columns(E.actor_org_id, S.basis, E.action, func.count())
            .group_by(E.actor_org_id, S.basis, E.action)):
        actions.setdefault((org_id, basis), {})[action] = n
    _, orgs = _names(session, org_ids=[g[0] for g in groups])
    by_org: dict = {}
    for org_id, basis, n, users, first, last, first_seq, last_seq in groups:
        o = by_org.setdefault(org_id, {"org_id": org_id, **{f"org_{k}": v for k, v in orgs.get(org_id, {}).items()},
                                        "disclosures": 0, "first_at": first, "last_at": last, "bases": []})
        o["disclosures"] += n
        o["first_at"] = min(o["first_at"], first)
        o["last_at"] = max(o["last_at"], last)
        kind = _basis_kind_of(basis)
        o["bases"].append({"basis": basis, "basis_kind": kind, "basis_label": BASIS_KINDS.get(kind, kind),
                           "disclosures": n, "users": users, "first_at": first, "last_at": last,
                           "first_seq": first_seq, "last_seq": last_seq,
                           "categories": sorted(cats.get((org_id, basis), ())),
                           "actions": dict(sorted(actions.get((org_id, basis), {}).items()))})
    organisations = sorted(by_org.values(), key=lambda o: (o.get("org_name") or "", str(o["org_id"])))
    for o in organisations:
        o["bases"].sort(key=lambda b: b["basis"])
    by_kind: dict[str, int] = {}
    for o in organisations:
        for b in o["bases"]:
            by_kind[b["basis_kind"]] = by_kind.get(b["basis_kind"], 0) + b["disclosures"]
    return {
        "person_id": person_id, "since": since, "until": until,
        "total_disclosures": sum(o["disclosures"] for o in organisations),
        "organisations": organisations,
        "by_basis_kind": [{"basis_kind": k, "basis_label": BASIS_KINDS.get(k, k), "disclosures": n}
                          for k, n in sorted(by_kind.items())],
    }


# --- anomaly: emergency (break-glass) uses ------------------------------------------------------

# Flagged events that are not break-glass: they have their own report (consent_flags).
CONSENT_FLAG_ACTIONS = ("consents.create", "consents.revoke")


def emergency_uses(session: Session, since: datetime, until: datetime, *, tenant: Tenant,
                   reviewed: bool | None = None, limit: int = 200) -> dict:
    """Break-glass (flagged) events in the period with their review status, and what each emergency grant was
    used for."""
    n_reviews = (select(func.count()).where(AuditReview.event_seq == E.seq).correlate(E).scalar_subquery())
    last_review = (select(func.max(AuditReview.reviewed_at)).where(AuditReview.event_seq == E.seq)
                   .correlate(E).scalar_subquery())
    flagged = [E.flagged == true(), E.occurred_at >= since, E.occurred_at < until, tenant.events(),
               E.action.not_in(CONSENT_FLAG_ACTIONS)]
    where = list(flagged)
    if reviewed is not None:
        has = exists().where(AuditReview.event_seq == E.seq)
        where.append(has if reviewed else not_(has))
    rows = session.execute(select(E, n_reviews, last_review).where(*where).order_by(E.seq).limit(limit + 1)).all()
    totals = session.execute(
        select(func.count(), func.count(func.distinct(E.actor_user_id)),
               func.sum(case((exists().where(AuditReview.event_seq == E.seq), 1), else_=0)))
        .where(*flagged)).one()
    # Use of each grant: events and distinct persons disclosed under its basis (any time).
    bases = sorted({ev.legal_basis for ev, _, _ in rows if (ev.legal_basis or "").startswith("emergency:")})
    use = {}
    if bases:
        for basis, n, persons in session.execute(
                select(E.legal_basis, func.count(func.distinct(E.seq)), func.count(func.distinct(S.person_id)))
                .select_from(E).outerjoin(S, S.event_seq == E.seq)
                .where(E.legal_basis.in_(bases), tenant.events()).group_by(E.legal_basis)):
            use[basis] = {"events": n, "persons": persons}
    users, orgs = _names(session, [ev.actor_user_id for ev, _, _ in rows], [ev.actor_org_id for ev, _, _ in rows])
    items = []
    for ev, n, last in rows[:limit]:
        items.append({"seq": ev.seq, "occurred_at": ev.occurred_at, "action": ev.action,
                      "resource_type": ev.resource_type, "resource_id": ev.resource_id,
                      "legal_basis": ev.legal_basis, "outcome": ev.outcome,
                      **_actor(users, orgs, ev.actor_user_id, ev.actor_org_id),
                      "reviewed": n > 0, "reviews": n, "last_reviewed_at": last,
                      "grant_use": use.get(ev.legal_basis)})
    total, actors, reviewed_n = totals
    return {"kind": "emergency", "since": since, "until": until,
            "summary": {"flagged_events": total, "users": actors, "reviewed": reviewed_n or 0,
                        "unreviewed": total - (reviewed_n or 0)},
            "items": items, "truncated": len(rows) > limit}


# --- anomaly: denied attempts -------------------------------------------------------------------

def denied_attempts(session: Session, since: datetime, until: datetime, *, tenant: Tenant, min_count: int,
                    limit: int = 200) -> dict:
    """Users with at least `min_count` refused actions in the period, and failed logins per account."""
    period_ = [E.outcome == "denied", E.occurred_at >= since, E.occurred_at < until, tenant.events()]
    n = func.count().label("n")
    rows = session.execute(
        select(E.actor_user_id, E.actor_org_id, n, func.count(func.distinct(E.action)),
               func.min(E.occurred_at), func.max(E.occurred_at))
        .where(*period_, E.actor_user_id.is_not(None))
        .group_by(E.actor_user_id, E.actor_org_id).having(func.count() >= min_count)
        .order_by(n.desc(), E.actor_user_id).limit(limit)).all()
    top: dict = {}
    if rows:
        for uid, action, k in session.execute(
                select(E.actor_user_id, E.action, func.count()).where(*period_, E.actor_user_id.in_([r[0] for r in rows]))
                .group_by(E.actor_user_id, E.action)):
            top.setdefault(uid, {})[action] = k
    # Failed logins have no actor; the account tried is the resource.
    logins = session.execute(
        select(E.resource_id, func.count().label("n"), func.min(E.occurred_at), func.max(E.occurred_at))
        .where(*period_, E.action == "auth.login").group_by(E.resource_id)
        .having(func.count() >= min_count).order_by(literal_column("n").desc(), E.resource_id).limit(limit)).all()
    login_users = {}
    for rid, *_ in logins:
        try:
            login_users[rid] = uuid.UUID(rid)
        except (TypeError, ValueError):
            login_users[rid] = None
    users, orgs = _names(session, [r[0] for r in rows] + list(login_users.values()), [r[1] for r in rows])
    total = session.execute(select(func.count()).where(*period_)).scalar_one()
    return {
        "kind": "denied", "since": since, "until": until, "min_count": min_count,
        "summary": {"denied_events": total},
        "items": [{**_actor(users, orgs, uid, oid), "denied": k, "distinct_actions": acts, "first_at": first,
                   "last_at": last, "actions": dict(sorted(top.get(uid, {}).items(), key=lambda a: (-a[1], a[0])))}
                  for uid, oid, k, acts, first, last in rows],
        "failed_logins": [{"user_id": login_users[rid],
                           "display_name": users.get(login_users[rid], {}).get("display_name"),
                           "email": users.get(login_users[rid], {}).get("email"),
                           "failures": k, "first_at": first, "last_at": last}
                          for rid, k, first, last in logins],
    }


# --- anomaly: bulk access -----------------------------------------------------------------------

def bulk_access(session: Session, since: datetime, until: datetime, *, tenant: Tenant, persons: int, minutes: int,
                limit: int = 200) -> dict:
    """Users who touched more than `persons` distinct persons within some `minutes`-long window.

    In SQL: every access of a candidate user anchors a window [t, t + M); the windows over the
    threshold are merged into incidents per user (a handful of rows) in Python.
    """
    d = _dialect(session)
    in_period = [E.occurred_at >= since, E.occurred_at < until, _allowed(E), E.actor_user_id.is_not(None),
                 tenant.events()]
    # Only users who touched more than N persons in the whole period can exceed N in a window.
    candidates = (select(E.actor_user_id).join(S, S.event_seq == E.seq).where(*in_period)
                  .group_by(E.actor_user_id).having(func.count(func.distinct(S.person_id)) > persons))
    anchors = (select(E.actor_user_id.label("u"), E.occurred_at.label("t"))
               .where(*in_period, E.actor_user_id.in_(candidates), exists().where(S.event_seq == E.seq))
               .distinct().cte("anchors"))
    B = aliased(E, name="b")
    BS = aliased(S, name="bs")
    n_persons = func.count(func.distinct(BS.person_id))
    windows = session.execute(
        select(anchors.c.u, anchors.c.t, n_persons, func.count(func.distinct(B.seq)), func.max(B.occurred_at))
        .select_from(anchors)
        .join(B, and_(B.actor_user_id == anchors.c.u, B.occurred_at >= anchors.c.t,
                      B.occurred_at < _plus_minutes(d, anchors.c.t, minutes), _allowed(B), tenant.events(B)))
        .join(BS, BS.event_seq == B.seq)
        .group_by(anchors.c.u, anchors.c.t).having(n_persons > persons)
        .order_by(anchors.c.u, anchors.c.t)).all()
    incidents: list[dict] = []
    span = timedelta(minutes=minutes)
    for u, t, n, events, last in windows:
        t = _aware(t)
        last = _aware(last)
        cur = incidents[-1] if incidents else None
        if cur and cur["actor_user_id"] == u and t < cur["_end"]:
            cur["_end"] = max(cur["_end"], t + span)
            cur["until"] = max(cur["until"], last)
            if n > cur["peak_persons"]:
                cur.update(peak_persons=n, peak_events=events, peak_window_start=t)
            cur["windows"] += 1
        else:
            incidents.append({"actor_user_id": u, "since": t, "until": last, "_end": t + span,
                              "peak_persons": n, "peak_events": events, "peak_window_start": t, "windows": 1})
    # Distinct persons and events over each whole incident.
    for inc in incidents:
        where = [E.actor_user_id == inc["actor_user_id"], _allowed(E), tenant.events(),
                 E.occurred_at >= inc["since"], E.occurred_at <= inc["until"]]
        n_p, n_e = session.execute(
            select(func.count(func.distinct(S.person_id)), func.count(func.distinct(E.seq)))
            .join(S, S.event_seq == E.seq).where(*where)).one()
        org = session.execute(select(E.actor_org_id).where(*where).order_by(E.seq.desc()).limit(1)).scalar()
        inc.update(persons=n_p, events=n_e, actor_org_id=org)
        inc.pop("_end")
    incidents.sort(key=lambda i: (-i["peak_persons"], i["since"]))
    users, orgs = _names(session, [i["actor_user_id"] for i in incidents], [i["actor_org_id"] for i in incidents])
    items = [{**_actor(users, orgs, i.pop("actor_user_id"), i.pop("actor_org_id")), **i} for i in incidents[:limit]]
    return {"kind": "bulk", "since": since, "until": until, "threshold": {"persons": persons, "minutes": minutes},
            "summary": {"incidents": len(incidents), "users": len({i["actor_user_id"] for i in items})},
            "items": items, "truncated": len(incidents) > limit}


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


# --- anomaly: outside working hours -------------------------------------------------------------

@dataclass
class WorkingHours:
    start: int  # minutes after midnight, Japan time
    end: int
    weekends_off: bool
    holidays: list[date]

    @classmethod
    def parse(cls, start: str, end: str, weekends_off: bool, holidays) -> WorkingHours:
        def minutes(value: str, field: str) -> int:
            try:
                h, m = value.split(":")
                h, m = int(h), int(m)
                if not (0 <= h <= 24 and 0 <= m < 60 and h * 60 + m <= 1440):
                    raise ValueError
            except ValueError:
                raise validation_problem({field: ["HH:MM 形式で指定してください（例: 08:30）。"]}) from None
            return h * 60 + m

        s, e = minutes(start, "work_start"), minutes(end, "work_end")
        if s >= e:
            raise validation_problem({"work_end": ["終業時刻は始業時刻より後にしてください。"]})
        days = []
        for h in holidays or ():
            try:
                days.append(h if isinstance(h, date) else date.fromisoformat(str(h)))
            except ValueError:
                raise validation_problem({"holidays": [f"日付の形式が正しくありません: {h}"]}) from None
        return cls(s, e, weekends_off, sorted(set(days)))


def after_hours_condition(dialect: str, hours: WorkingHours, col=E.occurred_at):
    minute, dow, day = _local(dialect, col)
    outside = [minute < hours.start, minute >= hours.end]
    if hours.weekends_off:
        outside.append(dow.in_([0, 6]))
    if hours.holidays:
        outside.append(day.in_([d.isoformat() for d in hours.holidays]))
    return or_(*outside)


def after_hours(session: Session, since: datetime, until: datetime, *, tenant: Tenant, hours: WorkingHours,
                personal_data_only: bool = True, limit: int = 100, after_seq: int | None = None) -> dict:
    """Allowed actions by users outside working hours (Japan time): per user, and the events page."""
    d = _dialect(session)
    where = [E.occurred_at >= since, E.occurred_at < until, _allowed(E), E.actor_user_id.is_not(None),
             tenant.events(), after_hours_condition(d, hours)]
    if personal_data_only:
        where.append(_has_personal_data())
    n = func.count().label("n")
    per_user = session.execute(
        select(E.actor_user_id, E.actor_org_id, n, func.min(E.occurred_at), func.max(E.occurred_at))
        .where(*where).group_by(E.actor_user_id, E.actor_org_id).order_by(n.desc(), E.actor_user_id).limit(200)).all()
    persons = dict(session.execute(
        select(E.actor_user_id, func.count(func.distinct(S.person_id))).join(S, S.event_seq == E.seq)
        .where(*where).group_by(E.actor_user_id)).all())
    page = select(E).where(*where).order_by(E.seq)
    if after_seq is not None:
        page = page.where(E.seq > after_seq)
    rows = session.scalars(page.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    users, orgs = _names(session, [r[0] for r in per_user], [r[1] for r in per_user])
    return {
        "kind": "after_hours", "since": since, "until": until,
        "working_hours": {"start": f"{hours.start // 60:02d}:{hours.start % 60:02d}",
                          "end": f"{hours.end // 60:02d}:{hours.end % 60:02d}", "timezone": "Asia/Tokyo",
                          "weekends_off": hours.weekends_off, "holidays": hours.holidays},
        "personal_data_only": personal_data_only,
        "summary": {"events": sum(r[2] for r in per_user), "users": len(per_user)},
        "by_user": [{**_actor(users, orgs, uid, oid), "events": k, "persons": persons.get(uid, 0),
                     "first_at": first, "last_at": last} for uid, oid, k, first, last in per_user],
        "items": rows, "next_after_seq": rows[-1].seq if more and rows else None,
    }


# --- anomaly: access by organisations no longer involved in the case ------------------------------

def involvement_periods_selectable():
    """caseflow.access.sharing.involvement_periods() when the case module provides it, else None."""
    try:
        sharing = importlib.import_module("caseflow.access.sharing")
    except ImportError:
        return None
    fn = getattr(sharing, "involvement_periods", None)
    return fn() if callable(fn) else None


def uninvolved_access(session: Session, periods, since: datetime, until: datetime, *, tenant: Tenant,
                      limit: int = 200) -> dict:
    """Allowed events about a case by an organisation whose involvement in that case had ended.

    `periods` is any selectable of (case_id, org_id, involved_from, involved_until); an open
    period has involved_until NULL. An event counts when its organisation had a period for the
    case that ended before the event and no period covering the event's time.
    """
    d = _dialect(session)
    p = periods.subquery("p")
    # Normalised keys: ids may be uuid (PostgreSQL), 32-hex (SQLite) or text; the materialised CTE
    # gets an automatic index on SQLite and a hash join on PostgreSQL.
    norm = select(_norm_uuid(p.c.case_id).label("case_key"), _norm_uuid(p.c.org_id).label("org_key"),
                  p.c.involved_from, p.c.involved_until).cte("involvement")
    if d == "sqlite":
        norm = norm.prefix_with("MATERIALIZED")
    case_key = func.lower(func.replace(event_case_id(d), _lit("-"), _lit("")))
    org_key = _norm_uuid(E.actor_org_id)
    covering = exists().where(norm.c.case_key == case_key, norm.c.org_key == org_key,
                              norm.c.involved_from <= E.occurred_at,
                              or_(norm.c.involved_until.is_(None), norm.c.involved_until > E.occurred_at))
    ended = (select(func.max(norm.c.involved_until))
             .where(norm.c.case_key == case_key, norm.c.org_key == org_key, norm.c.involved_until <= E.occurred_at)
             .correlate(E).scalar_subquery())
    about_a_case = or_(E.resource_type == "cases", detail_case_id(d).is_not(None))
    base = [E.occurred_at >= since, E.occurred_at < until, _allowed(E), E.actor_org_id.is_not(None),
            tenant.events(), about_a_case, not_(covering)]
    sub = (select(E.seq, E.occurred_at, E.action, E.actor_user_id, E.actor_org_id, event_case_id(d).label("case_id"),
                  ended.label("involved_until"),
                  exists().where(S.event_seq == E.seq).label("personal_data"))
           .where(*base).subquery("u"))
    rows = session.execute(select(sub).where(sub.c.involved_until.is_not(None))
                           .order_by(sub.c.seq).limit(limit + 1)).all()
    users, orgs = _names(session, [r.actor_user_id for r in rows], [r.actor_org_id for r in rows])
    items = [{"seq": r.seq, "occurred_at": r.occurred_at, "action": r.action, "case_id": r.case_id,
              "involved_until": _aware(r.involved_until), "personal_data": bool(r.personal_data),
              **_actor(users, orgs, r.actor_user_id, r.actor_org_id)} for r in rows[:limit]]
    return {"kind": "uninvolved", "since": since, "until": until,
            "summary": {"events": len(items), "users": len({i["actor_user_id"] for i in items})},
            "items": items, "truncated": len(rows) > limit}


# --- anomaly: consents a recipient recorded for itself, revocations by others ----------------------

def consent_flags(session: Session, since: datetime, until: datetime, *, tenant: Tenant,
                  reviewed: bool | None = None, limit: int = 200) -> dict:
    """Consents whose recording organisation named itself (or its kind) as a recipient, and revocations by an
    organisation other than the recorder: both are flagged when written (caseflow.consents.rules)."""
    where = [E.flagged == true(), E.action.in_(CONSENT_FLAG_ACTIONS), E.occurred_at >= since, E.occurred_at < until,
             tenant.events()]
    if reviewed is not None:
        has = exists().where(AuditReview.event_seq == E.seq)
        where.append(has if reviewed else not_(has))
    n_reviews = (select(func.count()).where(AuditReview.event_seq == E.seq).correlate(E).scalar_subquery())
    rows = session.execute(select(E, n_reviews).where(*where).order_by(E.seq).limit(limit + 1)).all()
    users, orgs = _names(session, [ev.actor_user_id for ev, _ in rows], [ev.actor_org_id for ev, _ in rows])
    items = []
    for ev, n in rows[:limit]:
        detail = json.loads(ev.detail or "{}")
        items.append({"seq": ev.seq, "occurred_at": ev.occurred_at, "action": ev.action,
                      "kind": "self_recipient" if ev.action == "consents.create" else "revoked_by_other_org",
                      "consent_id": ev.resource_id, "person_id": detail.get("person"),
                      "categories": detail.get("categories", []), "purpose": detail.get("purpose"),
                      **_actor(users, orgs, ev.actor_user_id, ev.actor_org_id),
                      "reviewed": n > 0, "reviews": n})
    return {"kind": "consents", "since": since, "until": until,
            "summary": {"events": len(items),
                        "self_recipient": sum(1 for i in items if i["kind"] == "self_recipient"),
                        "revoked_by_other_org": sum(1 for i in items if i["kind"] == "revoked_by_other_org")},
            "items": items, "truncated": len(rows) > limit}


# --- anomaly: role changes ---------------------------------------------------------------------------

ROLE_CHANGE_ACTIONS = ("users.create", "users.roles", "roles.request", "roles.approve", "roles.reject",
                       "roles.withdraw", "memberships.grant", "memberships.end", "municipalities.secretariat")


def role_changes(session: Session, since: datetime, until: datetime, *, tenant: Tenant, limit: int = 500) -> dict:
    """Every change of who may do what in the tenant: users created with roles, roles changed, privileged roles
    requested / approved / rejected, memberships granted or ended, the secretariat named. Oldest first."""
    where = [E.action.in_(ROLE_CHANGE_ACTIONS), E.occurred_at >= since, E.occurred_at < until, tenant.events(),
             _allowed(E)]
    rows = session.scalars(select(E).where(*where).order_by(E.seq).limit(limit + 1)).all()
    details = {ev.seq: json.loads(ev.detail or "{}") for ev in rows}
    targets = {uuid.UUID(d["user_id"]) for d in details.values() if d.get("user_id")}
    targets |= {uuid.UUID(ev.resource_id) for ev in rows if ev.resource_type == "users" and ev.resource_id}
    users, orgs = _names(session, [ev.actor_user_id for ev in rows] + list(targets), [ev.actor_org_id for ev in rows])
    items = []
    for ev in rows[:limit]:
        d = details[ev.seq]
        target = d.get("user_id") or (ev.resource_id if ev.resource_type == "users" else None)
        t = users.get(uuid.UUID(target), {}) if target else {}
        items.append({"seq": ev.seq, "occurred_at": ev.occurred_at, "action": ev.action,
                      **_actor(users, orgs, ev.actor_user_id, ev.actor_org_id),
                      "target_user_id": target, "target_name": t.get("display_name"),
                      "roles_before": d.get("before"), "roles_after": d.get("after", d.get("roles")),
                      "requested": d.get("requested") or ([d["role"]] if d.get("role") else []),
                      "via": d.get("via"), "org": d.get("org")})
    return {"kind": "role_changes", "since": since, "until": until,
            "summary": {"events": len(items), "privileged_requests": sum(1 for i in items if i["action"] == "roles.request"),
                        "approvals": sum(1 for i in items if i["action"] == "roles.approve")},
            "items": items, "truncated": len(rows) > limit}


# --- reviews ------------------------------------------------------------------------------------

def get_event(session: Session, seq: int, tenant: Tenant) -> AuditEvent:
    """One event of the tenant; 404 for any other (no existence leak across municipalities)."""
    event = session.scalar(select(E).where(E.seq == seq, tenant.events()))
    if event is None:
        raise Problem(404, detail="指定された監査記録は存在しません。")
    return event


def add_review(session: Session, seq: int, reviewer, comment: str, *, tenant: Tenant) -> AuditReview:
    """Mark an event reviewed. The review is itself audited, with a hash of its comment."""
    event = get_event(session, seq, tenant)
    if event.actor_user_id is not None and event.actor_user_id == reviewer.id:
        raise Problem(409, detail="自分自身の操作の記録はレビューできません（職務の分離）。", type_="self-review")
    review = AuditReview(id=uuid.uuid4(), event_seq=seq, reviewer_user_id=reviewer.id,
                         reviewer_org_id=reviewer.org_id, comment=comment, reviewed_at=utcnow())
    session.add(review)
    trail.record(session, action="trail.review", resource_type="audit_events", resource_id=seq, actor=reviewer,
                 detail={"review_id": str(review.id), "flagged_event": bool(event.flagged),
                         "comment_sha256": hashlib.sha256(comment.encode("utf-8")).hexdigest()})
    return review


def reviews_of(session: Session, seq: int, *, tenant: Tenant) -> list[AuditReview]:
    get_event(session, seq, tenant)
    return list(session.scalars(select(AuditReview).where(AuditReview.event_seq == seq)
                                .order_by(AuditReview.reviewed_at, AuditReview.id)))


# --- chain verification with checkpoints ----------------------------------------------------------

def checkpoint_key(config) -> bytes:
    if config.get("AUDIT_CHECKPOINT_KEY"):
        return config["AUDIT_CHECKPOINT_KEY"].encode("utf-8")
    return hmac.new(str(config["SECRET_KEY"]).encode("utf-8"), b"caseflow audit checkpoint", hashlib.sha256).digest()


def trusted_public_keys(config):
    """The auditors' Ed25519 public keys the application accepts seals from (CASEFLOW_AUDIT_PUBLIC_KEYS)."""
    from caseflow.audit import seals as audit_seals

    return audit_seals.TrustedKeys.of(config.get("AUDIT_PUBLIC_KEYS") or [])


def sign(key: bytes, to_seq: int, to_hash: str, ok: bool) -> str:
    return hmac.new(key, f"{to_seq}:{to_hash}:{'ok' if ok else 'bad'}".encode(), hashlib.sha256).hexdigest()


def signature_valid(key: bytes, row: AuditVerification) -> bool:
    return hmac.compare_digest(row.signature, sign(key, row.to_seq, row.to_hash, row.ok))


def _trusted_checkpoints(session: Session, key: bytes):
    """Successful verifications with a valid signature, latest first."""
    for row in session.scalars(select(AuditVerification).where(AuditVerification.ok == true())
                               .order_by(AuditVerification.to_seq.desc(), AuditVerification.id.desc()).limit(50)):
        if signature_valid(key, row):
            yield row


@dataclass
class Verification:
    """One verification run: the chain walk, every earlier checkpoint and every seal compared with it."""

    ok: bool
    mode: str
    from_seq: int
    to_seq: int
    to_hash: str
    checked: int
    first_bad_seq: int | None
    problem: str | None
    findings: list  # audit_seals.Finding, first event first
    warnings: list[str]
    notes: list[str]
    seconds: float
    events_per_second: float
    seals: object  # audit_seals.SealCheck
    row: AuditVerification | None


def run_verification(session: Session, key: bytes, *, incremental: bool = False, trusted_keys=None,
                     seal_log: str | None = None, record: bool = True) -> Verification:
    """Verify the chain and store the result (the caller commits).

    Full: from the genesis, or, when older events were archived away, from the signed checkpoint
    (or trusted seal) that ends the archived range. Incremental: from the latest checkpoint or trusted
    seal that the chain still agrees with. Either way the chain is then compared with every earlier
    successful checkpoint (whatever its HMAC says: a contradiction is a contradiction) and every seal
    (the database's, and the seal log's when given); a run is ok only when nothing contradicts it. The
    run is stored as a new row once every check is done; rows are never updated.
    """
    from caseflow.audit import seals as audit_seals

    started, t0 = utcnow(), time.perf_counter()
    trusted_keys = trusted_keys or audit_seals.TrustedKeys()
    first_present = session.execute(select(func.min(E.seq))).scalar()
    seals = audit_seals.check_seals(session, trusted_keys, seal_log, with_leaves=not incremental)
    hmac_ok = _checkpoint_signatures(session, key)
    warnings = list(seals.warnings)
    bad_hmac = sorted(i for i, valid in hmac_ok.items() if not valid)
    if bad_hmac:
        shown = ", ".join(f"#{i}" for i in bad_hmac[:5]) + (" …" if len(bad_hmac) > 5 else "")
        warnings.append(f"{len(bad_hmac)} checkpoints have an invalid HMAC ({shown}): forged in the database, or "
                        "signed under an earlier key; they are still compared with the chain")
    start_seq, start_hash = 0, trail.GENESIS_HASH
    if first_present is not None and first_present > 1:
        # Archived range: only a signed checkpoint or a trusted seal at its end lets verification start after it.
        base = _archive_base(session, key, seals, first_present - 1)
        if base is not None:
            start_seq, start_hash = base
    mode = "incremental" if incremental else "full"
    if incremental:
        point = _latest_agreeing_point(session, key, seals, after=start_seq)
        if point is not None:
            start_seq, start_hash = point
    result = trail.verify(session, start_seq=start_seq, start_hash=start_hash)
    findings = [] if result.ok else [audit_seals.Finding(result.first_bad_seq, result.problem, rank=0)]
    findings += _contradicted_checkpoints(session, hmac_ok, first_present)
    findings += seals.problems
    findings += audit_seals.compare_with_chain(session, seals.seals + seals.extra, first_present=first_present,
                                               full=not incremental)
    findings = _first_event_first(findings)
    seconds = time.perf_counter() - t0
    ok = not findings
    first = findings[0] if findings else None
    run = Verification(
        ok=ok, mode=mode, from_seq=start_seq, to_seq=result.last_seq, to_hash=result.last_hash,
        checked=result.checked, first_bad_seq=first.seq if first else None,
        problem=first.text if first else None, findings=findings, warnings=warnings, notes=seals.notes,
        seconds=round(seconds, 3), events_per_second=round(result.checked / seconds, 1) if seconds > 0 else 0.0,
        seals=seals, row=None)
    if record:
        run.row = AuditVerification(
            mode=mode, started_at=started, finished_at=utcnow(), from_seq=start_seq, to_seq=result.last_seq,
            to_hash=result.last_hash, ok=ok, checked=result.checked, first_bad_seq=run.first_bad_seq,
            problem=(run.problem or None) and run.problem[:300], seconds=run.seconds,
            events_per_second=run.events_per_second, signature=sign(key, result.last_seq, result.last_hash, ok))
        session.add(run.row)
    return run


def _first_event_first(findings: list) -> list:
    seen, out = set(), []
    for f in sorted(findings, key=lambda f: (f.seq is None, f.seq or 0, f.rank)):
        if f.text not in seen:
            seen.add(f.text)
            out.append(f)
    return out


def _checkpoint_signatures(session: Session, key: bytes) -> dict[int, bool]:
    """id -> HMAC valid, for every successful run (the checkpoints)."""
    rows = session.execute(select(AuditVerification.id, AuditVerification.to_seq, AuditVerification.to_hash,
                                  AuditVerification.signature).where(AuditVerification.ok == true()))
    return {i: hmac.compare_digest(sig, sign(key, to_seq, to_hash, True)) for i, to_seq, to_hash, sig in rows}


def _archive_base(session: Session, key: bytes, seals, boundary: int) -> tuple[int, str] | None:
    cp = next((c for c in _trusted_checkpoints(session, key) if c.to_seq == boundary), None)
    if cp is None:
        cp = session.scalars(select(AuditVerification).where(AuditVerification.ok == true(),
                                                             AuditVerification.to_seq == boundary)
                             .order_by(AuditVerification.id.desc())).first()
        cp = cp if cp is not None and signature_valid(key, cp) else None
    if cp is not None:
        return cp.to_seq, cp.to_hash
    from caseflow.audit import seals as audit_seals

    for s in seals.trusted:
        if s.from_seq <= boundary <= s.to_seq:
            audit_seals.load_leaves(session, s)
            if audit_seals.leaves_problem(s) is None:
                return boundary, s.leaf(boundary)
    return None


def _latest_agreeing_point(session: Session, key: bytes, seals, after: int) -> tuple[int, str] | None:
    """The latest signed checkpoint or trusted seal after `after` whose event still carries its hash."""
    points = {(c.to_seq, c.to_hash) for c in _trusted_checkpoints(session, key) if c.to_seq > after}
    points |= {(s.to_seq, s.to_hash) for s in seals.trusted if s.to_seq > after}
    for seq, h in sorted(points, reverse=True):
        if session.execute(select(E.hash).where(E.seq == seq)).scalar() == h:
            return seq, h
    return None


def _contradicted_checkpoints(session: Session, hmac_ok: dict[int, bool], first_present: int | None) -> list:
    """Earlier successful runs whose event is gone or carries another hash now."""
    from caseflow.audit import seals as audit_seals

    V = AuditVerification
    lo = first_present or 1  # events before the first present one were archived (the walk answers for that)
    rows = session.execute(
        select(V.id, V.to_seq, V.to_hash, V.finished_at, E.hash).outerjoin(E, E.seq == V.to_seq)
        .where(V.ok == true(), V.to_seq >= lo, or_(E.hash.is_(None), E.hash != V.to_hash))
        .order_by(V.to_seq, V.id).limit(1000)).all()
    if not rows:
        return []
    cp_id, to_seq, _, finished, stored = rows[0]
    name = f"checkpoint #{cp_id} (verified {finished:%Y-%m-%dT%H:%M:%SZ}" + \
           ("" if hmac_ok.get(cp_id) else ", its HMAC is invalid") + ")"
    more = f"; {len(rows) - 1} later checkpoints are contradicted too" if len(rows) > 1 else ""
    if stored is None:
        last = session.execute(select(func.max(E.seq))).scalar() or 0
        missing = last + 1 if last < to_seq else to_seq
        return [audit_seals.Finding(missing, f"event {missing} is missing: {name} verified the chain up to event "
                                             f"{to_seq}{more}", rank=2)]
    agree = session.execute(
        select(func.max(V.to_seq)).join(E, and_(E.seq == V.to_seq, E.hash == V.to_hash))
        .where(V.ok == true(), V.to_seq < to_seq)).scalar()
    since = f" and after event {agree} (the latest earlier checkpoint that still agrees)" if agree else ""
    return [audit_seals.Finding(to_seq, f"event {to_seq} contradicts {name}: the chain was rewritten at or before "
                                        f"event {to_seq}{since}{more}", rank=2)]


def verification_status(session: Session, key: bytes, trusted_keys=None) -> dict:
    from caseflow.audit import seals as audit_seals

    def latest(*where):
        return session.scalars(select(AuditVerification).where(*where)
                               .order_by(AuditVerification.id.desc()).limit(1)).first()

    def view(row):
        if row is None:
            return None
        return {"id": row.id, "mode": row.mode, "ok": row.ok, "started_at": row.started_at,
                "finished_at": row.finished_at, "from_seq": row.from_seq, "to_seq": row.to_seq,
                "to_hash": row.to_hash, "checked": row.checked, "first_bad_seq": row.first_bad_seq,
                "problem": row.problem, "seconds": row.seconds, "events_per_second": row.events_per_second,
                "signature_valid": signature_valid(key, row)}

    head = session.get(AuditChainHead, 1)
    checkpoint = next(_trusted_checkpoints(session, key), None)
    head_seq = head.seq if head else 0
    return {"head_seq": head_seq, "last": view(latest()), "last_full": view(latest(AuditVerification.mode == "full")),
            "checkpoint": view(checkpoint),
            "unverified_events": head_seq - (checkpoint.to_seq if checkpoint else 0),
            "seal": audit_seals.latest_seal_status(session, trusted_keys or audit_seals.TrustedKeys(), head_seq)}


# --- period report (PDF) ------------------------------------------------------------------------

def period_summary(session: Session, since: datetime, until: datetime, *, tenant: Tenant, config) -> dict:
    """The figures behind the period PDF (one municipality's events); each list is a small aggregate."""
    d = _dialect(session)
    in_period = [E.occurred_at >= since, E.occurred_at < until, tenant.events()]
    total, allowed, denied, flagged, users = session.execute(
        select(func.count(), func.sum(case((_allowed(E), 1), else_=0)),
               func.sum(case((E.outcome == "denied", 1), else_=0)), func.sum(case((E.flagged == true(), 1), else_=0)),
               func.count(func.distinct(E.actor_user_id))).where(*in_period)).one()
    disclosures, persons = session.execute(
        select(func.count(), func.count(func.distinct(S.person_id))).join(E, E.seq == S.event_seq)
        .where(*in_period, _allowed(E))).one()
    area = action_area(d)
    by_area = session.execute(
        select(area, func.count(), func.sum(case((E.outcome == "denied", 1), else_=0)))
        .where(*in_period).group_by(area).order_by(func.count().desc()).limit(20)).all()
    kind = basis_kind(d, S.basis)
    by_kind = session.execute(
        select(kind, func.count(), func.count(func.distinct(S.person_id))).join(E, E.seq == S.event_seq)
        .where(*in_period, _allowed(E)).group_by(kind).order_by(kind)).all()
    by_org = session.execute(
        select(E.actor_org_id, func.count(), func.count(func.distinct(E.actor_user_id)),
               func.sum(case((E.outcome == "denied", 1), else_=0)))
        .where(*in_period).group_by(E.actor_org_id).order_by(func.count().desc()).limit(30)).all()
    org_disc = dict(session.execute(
        select(E.actor_org_id, func.count(func.distinct(S.person_id))).join(S, S.event_seq == E.seq)
        .where(*in_period, _allowed(E)).group_by(E.actor_org_id)).all())
    _, _, local_day = _local(d, E.occurred_at)
    month = func.substr(local_day, literal_column("1"), literal_column("7"))
    bucket = local_day if until - since <= timedelta(days=62) else month
    timeline = session.execute(select(bucket, func.count(), func.sum(case((E.outcome == "denied", 1), else_=0)))
                               .where(*in_period).group_by(bucket).order_by(bucket)).all()
    _, orgs = _names(session, org_ids=[r[0] for r in by_org])
    cfg = config
    hours = WorkingHours.parse(cfg["AUDIT_WORK_START"], cfg["AUDIT_WORK_END"], cfg["AUDIT_WEEKENDS_OFF"],
                               cfg["AUDIT_HOLIDAYS"])
    return {
        "since": since, "until": until,
        "totals": {"events": total, "allowed": allowed or 0, "denied": denied or 0, "flagged": flagged or 0,
                   "users": users, "disclosures": disclosures, "persons": persons},
        "by_area": [(a or "", n, dn or 0) for a, n, dn in by_area],
        "by_basis_kind": [(k or "none", n, p) for k, n, p in by_kind],
        "by_org": [(orgs.get(o, {}).get("name") or ("（組織なし）" if o is None else str(o)), n, u, org_disc.get(o, 0),
                    dn or 0) for o, n, u, dn in by_org],
        "timeline": [(b, n, dn or 0) for b, n, dn in timeline],
        "emergency": emergency_uses(session, since, until, tenant=tenant, limit=50),
        "denied": denied_attempts(session, since, until, tenant=tenant, min_count=cfg["AUDIT_DENIED_MIN"], limit=20),
        "bulk": bulk_access(session, since, until, tenant=tenant, persons=cfg["AUDIT_BULK_PERSONS"],
                            minutes=cfg["AUDIT_BULK_MINUTES"], limit=20),
        "after_hours": after_hours(session, since, until, tenant=tenant, hours=hours, limit=1),
        "verification": verification_status(session, checkpoint_key(cfg), trusted_public_keys(cfg)),
    }


def render_period_pdf(summary: dict, *, recipient: str, generated_at: datetime) -> bytes:
    from caseflow.core import pdf
    from caseflow.core.jpdate import format_jp_datetime

    def when(dt):
        return format_jp_datetime(dt) if dt else "—"

    def who(item):
        name = item.get("actor_name") or "（不明な利用者）"
        return f"{name}（{item.get('actor_org_name') or '—'}）"

    t = summary["totals"]
    blocks: list = [
        pdf.KeyValues([("対象期間", f"{when(summary['since'])} ～ {when(summary['until'])}"),
                       ("記録件数", f"{t['events']:,} 件（許可 {t['allowed']:,} / 拒否 {t['denied']:,}）"),
                       ("個人情報の開示", f"{t['disclosures']:,} 件（対象者 {t['persons']:,} 人）"),
                       ("要確認（フラグ付き）", f"{t['flagged']:,} 件"),
                       ("操作した利用者", f"{t['users']:,} 人")]),
        pdf.Para("この報告書は監査記録のメタデータ（誰が・いつ・どの根拠で）だけを集計したものです。"
                 "ケースの内容や本人の氏名は含みません。"),
    ]
    if summary["timeline"]:
        blocks.append(pdf.BarChart("期間中の記録件数", [b for b, _, _ in summary["timeline"]],
                                   [("全件", [n for _, n, _ in summary["timeline"]]),
                                    ("拒否", [dn for _, _, dn in summary["timeline"]])]))
    blocks += [pdf.Heading("操作の区分別件数", 2),
               pdf.Table(["区分", "件数", "うち拒否"], [[a, f"{n:,}", f"{dn:,}"] for a, n, dn in summary["by_area"]]
                        , [0.5, 0.25, 0.25]),
               pdf.Heading("法的根拠別の開示件数", 2),
               pdf.Table(["根拠", "開示件数", "対象者数"],
                         [[BASIS_KINDS.get(k, k), f"{n:,}", f"{p:,}"] for k, n, p in summary["by_basis_kind"]]
                        , [0.5, 0.25, 0.25]),
               pdf.Heading("組織別件数", 2),
               pdf.Table(["組織", "件数", "利用者数", "開示対象者数", "拒否"],
                         [[name, f"{n:,}", f"{u:,}", f"{p:,}", f"{dn:,}"] for name, n, u, p, dn in summary["by_org"]]
                        , [0.4, 0.15, 0.15, 0.15, 0.15])]
    em = summary["emergency"]
    blocks += [pdf.Heading("緊急アクセス（ブレークグラス）とレビュー状況", 2),
               pdf.Para(f"フラグ付きの記録 {em['summary']['flagged_events']:,} 件のうち、レビュー済み "
                        f"{em['summary']['reviewed']:,} 件、未レビュー {em['summary']['unreviewed']:,} 件。"),
               pdf.Table(["番号", "日時", "利用者（組織）", "操作", "レビュー"],
                         [[str(i["seq"]), when(i["occurred_at"]), who(i), i["action"],
                           "済" if i["reviewed"] else "未"] for i in em["items"]],
                         [0.1, 0.25, 0.35, 0.18, 0.12])]
    den = summary["denied"]
    blocks += [pdf.Heading(f"拒否された操作（{den['min_count']}回以上の利用者）", 2),
               pdf.Table(["利用者（組織）", "拒否回数", "最初", "最後"],
                         [[who(i), f"{i['denied']:,}", when(i["first_at"]), when(i["last_at"])] for i in den["items"]]
                        , [0.4, 0.14, 0.23, 0.23])]
    if den["failed_logins"]:
        blocks.append(pdf.Table(["ログイン失敗（アカウント）", "回数", "最初", "最後"],
                                [[i["display_name"] or "（存在しないアカウント）", f"{i['failures']:,}", when(i["first_at"]),
                                  when(i["last_at"])] for i in den["failed_logins"]], [0.4, 0.14, 0.23, 0.23]))
    bulk = summary["bulk"]
    thr = bulk["threshold"]
    blocks += [pdf.Heading(f"大量アクセス（{thr['minutes']}分間に{thr['persons']}人超）", 2),
               pdf.Table(["利用者（組織）", "開始", "終了", "最大人数", "対象者数"],
                         [[who(i), when(i["since"]), when(i["until"]), f"{i['peak_persons']:,}", f"{i['persons']:,}"]
                          for i in bulk["items"]], [0.32, 0.21, 0.21, 0.13, 0.13])]
    ah = summary["after_hours"]
    wh = ah["working_hours"]
    blocks += [pdf.Heading(f"業務時間外の個人情報アクセス（{wh['start']}～{wh['end']}以外"
                           f"{'・土日' if wh['weekends_off'] else ''}{'・休日' if wh['holidays'] else ''}）", 2),
               pdf.Table(["利用者（組織）", "件数", "対象者数", "最初", "最後"],
                         [[who(i), f"{i['events']:,}", f"{i['persons']:,}", when(i["first_at"]), when(i["last_at"])]
                          for i in ah["by_user"][:30]],
                         [0.32, 0.12, 0.12, 0.22, 0.22])]
    v = summary["verification"]
    last = v["last"]
    blocks += [pdf.Heading("ハッシュチェーンの検証", 2),
               pdf.KeyValues([("最新の記録番号", f"{v['head_seq']:,}"),
                              ("最終検証", "未実施" if last is None else
                               f"{when(last['finished_at'])}（{'正常' if last['ok'] else '異常あり'}・"
                               f"{'全件' if last['mode'] == 'full' else '差分'}・{last['checked']:,}件）"),
                              ("未検証の記録", f"{v['unverified_events']:,} 件"),
                              ("最新の封印（監査人の鍵による署名）", "なし" if not v.get("seal") else
                               f"#{v['seal']['seal_no']}（記録番号 {v['seal']['to_seq']:,} まで・"
                               f"{when(v['seal']['sealed_at'])}・鍵 {v['seal']['key_fingerprint']}）")])]
    return pdf.render_pdf(title="監査報告書（アクセス記録の点検）", blocks=blocks, recipient=recipient,
                          generated_at=generated_at, subject="caseflow audit period report")
