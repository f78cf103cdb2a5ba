from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    and_,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
)

from caseflow.audit.models import AuditChainHead, AuditEvent, AuditReview
from caseflow.audit.queries import (
    BASIS_KINDS,
    E,
    S,
    Tenant,
    _allowed,
    _basis_kind_of,
    _dialect,
    _lit,
    _names,
    action_area,
    basis_kind,
    detail_case_id,
)
from caseflow.core import db
from caseflow.core.errors import validation_problem
from caseflow.core.jpdate import TOKYO
from caseflow.meetings.councils import councils_of_meetings, kind_label


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


def search_statement(f: Filters, columns=None):
    """SELECT of the matching events (no order, no limit)."""
    d = _dialect()
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


def search(f: Filters, *, limit: int, after_seq: int | None = None,
           descending: bool = False) -> tuple[list[AuditEvent], int | None]:
    """One keyset page in seq order (ascending, or newest first); returns (events, next cursor)."""
    session = db.session()
    stmt = search_statement(f)
    if after_seq is not None:
        stmt = stmt.where(E.seq < after_seq if descending else E.seq > after_seq)
    order = E.seq
    if _dialect() == "postgresql" and (f.since or f.until) and _events_between(f.since, f.until) < 200_000:
        # PostgreSQL assumes matches are spread evenly over seq and walks the primary key until it has a
        # page; within a period they all sit in one stretch, so that walk can cross most of the table.
        # For a period of modest size, `seq + 0` lets it take the filter's index and sort that set.
        order = E.seq + literal_column("0")
    stmt = stmt.order_by(order.desc() if descending else order).limit(limit + 1)
    rows = session.scalars(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].seq if more and rows else None)


def _events_between(since: datetime | None, until: datetime | None) -> int:
    """Roughly how many events lie in a period (two index probes): seq grows with time."""
    session = db.session()
    def seq_at(t):
        return session.execute(select(E.seq).where(E.occurred_at >= t).order_by(E.occurred_at).limit(1)).scalar()

    top = session.execute(select(AuditChainHead.seq)).scalar() or 0
    lo = (seq_at(since) or top) if since else 0
    hi = (seq_at(until) or top) if until else top
    return max(0, hi - lo)


def review_status(seqs: list[int]) -> dict[int, dict]:
    """seq -> {"reviews": n, "last_reviewed_at": t} for the given events (one query)."""
    session = db.session()
    if not seqs:
        return {}
    rows = session.execute(
        select(AuditReview.event_seq, func.count(), func.max(AuditReview.reviewed_at))
        .where(AuditReview.event_seq.in_(seqs)).group_by(AuditReview.event_seq))
    return {seq: {"reviews": n, "last_reviewed_at": last} for seq, n, last in rows}


def _by_council(groups, orgs: dict) -> list[dict]:
    """The 支援会議-basis disclosures of a person report, grouped by the council (会議体) of each meeting: what
    each council shared, with whom, in how many of its meetings (one query for the meetings' councils)."""
    by_meeting: dict[uuid.UUID, list] = {}
    for org_id, basis, n, _users, first, last, _f, _l in groups:
        if _basis_kind_of(basis) == "support_meeting":
            by_meeting.setdefault(uuid.UUID(basis.partition(":")[2]), []).append((org_id, n, first, last))
    if not by_meeting:
        return []
    out: dict = {}
    for meeting_id, council in councils_of_meetings(list(by_meeting)).items():
        c = out.setdefault(council.id, {"council_id": council.id, "council_name": council.name,
                                        "kind": council.kind, "kind_label": kind_label(council.kind),
                                        "legal_basis": council.legal_basis, "meetings": 0, "disclosures": 0,
                                        "organisations": {}})
        c["meetings"] += 1
        for org_id, n, first, last in by_meeting[meeting_id]:
            c["disclosures"] += n
            o = c["organisations"].setdefault(org_id, {"org_id": org_id, "org_name": orgs.get(org_id, {}).get("name"),
                                                       "disclosures": 0, "first_at": first, "last_at": last})
            o["disclosures"] += n
            o["first_at"], o["last_at"] = min(o["first_at"], first), max(o["last_at"], last)
    for c in out.values():
        c["organisations"] = sorted(c["organisations"].values(), key=lambda o: (o["org_name"] or "", str(o["org_id"])))
    return sorted(out.values(), key=lambda c: (c["council_name"], str(c["council_id"])))


def person_report(person_id: uuid.UUID, since: datetime | None = None,
                  until: datetime | None = None, *, tenant: Tenant) -> dict:
    """Every disclosure of one person's data in the tenant, grouped by receiving organisation and legal basis,
    and the 支援会議-basis ones by council."""
    session = db.session()
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
    _, orgs = _names(org_ids=[g[0] for g in groups])
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
    # the retention purge of the person in this tenant (caseflow.retention records it in the same transaction)
    purged_at = session.scalar(select(func.min(E.occurred_at)).where(
        E.action == "retention.purge_person", E.resource_type == "person", E.resource_id == str(person_id),
        tenant.events()))
    return {
        "person_id": person_id, "since": since, "until": until,
        # 開示請求 after the retention purge: the disclosures above stay (ids and bases); the data itself is gone
        "purged": purged_at is not None, "purged_at": purged_at,
        "purged_message": (f"この方の個人情報は保存年限の経過により {purged_at.astimezone(TOKYO):%Y年%m月%d日} に消去されました。"
                           if purged_at is not None else None),
        "total_disclosures": sum(o["disclosures"] for o in organisations),
        "organisations": organisations,
        "councils": _by_council(groups, orgs),
        "by_basis_kind": [{"basis_kind": k, "basis_label": BASIS_KINDS.get(k, k), "disclosures": n}
                          for k, n in sorted(by_kind.items())],
    }
