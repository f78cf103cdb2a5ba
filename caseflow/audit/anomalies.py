from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import (
    and_,
    case,
    exists,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from caseflow.audit.models import AuditReview
from caseflow.audit.queries import (
    E,
    S,
    Tenant,
    _actor,
    _allowed,
    _aware,
    _dialect,
    _has_personal_data,
    _lit,
    _local,
    _names,
    _norm_uuid,
    _plus_minutes,
    detail_case_id,
    event_case_id,
)
from caseflow.consents.models import EmergencyAccessReview
from caseflow.core import db
from caseflow.core.errors import validation_problem

# Flagged events that are not break-glass: they have their own report (consent_flags).
CONSENT_FLAG_ACTIONS = ("consents.create", "consents.revoke")
# Repeated break-glass (docs/casework-rules.md): PATTERN_MIN openings by one worker, or for one person, within
# PATTERN_DAYS days make one pattern; overlapping such windows merge into one.
PATTERN_MIN = 3
PATTERN_DAYS = 7


def _access_id(basis: str | None, ev) -> str | None:
    if ev.action == "emergency.open" or ev.resource_type == "emergency_accesses":
        return ev.resource_id
    if (basis or "").startswith("emergency:"):
        return basis.split(":", 1)[1]
    return None


def _supervisor_reviews(access_keys) -> dict[str, dict]:
    """Per access id (text): the supervisors' review state (caseflow.consents.breakglass), latest decides."""
    ids = {}
    for k in access_keys:
        try:
            ids[uuid.UUID(k)] = k
        except (TypeError, ValueError):
            continue
    out = {}
    if not ids:
        return out
    for r in db.session().scalars(select(EmergencyAccessReview).where(EmergencyAccessReview.access_id.in_(list(ids)))
                                  .order_by(EmergencyAccessReview.reviewed_at, EmergencyAccessReview.id)):
        key = ids[r.access_id]
        prev = out.get(key, {"reviews": 0})
        out[key] = {"state": "confirmed" if r.reason_confirmed else "not_confirmed", "reviews": prev["reviews"] + 1,
                    "last_reviewed_at": r.reviewed_at}
    return out


def emergency_patterns(since: datetime, until: datetime, *, tenant: Tenant, min_openings: int = PATTERN_MIN,
                       days: int = PATTERN_DAYS) -> list[dict]:
    """Repeated break-glass: the openings (`emergency.open`) of the period grouped by worker and by person; every
    run of `min_openings` or more within `days` days is a window, and overlapping windows are one pattern with
    the list of its openings. An opening can be in a worker's pattern and in a person's."""
    session = db.session()
    rows = session.scalars(select(E).where(E.action == "emergency.open", E.outcome == "allowed",
                                           E.occurred_at >= since, E.occurred_at < until, tenant.events())
                           .order_by(E.seq)).all()
    span = timedelta(days=days)
    groups: dict[tuple[str, str], list] = {}
    for ev in rows:
        person = json.loads(ev.detail or "{}").get("person")
        if ev.actor_user_id is not None:
            groups.setdefault(("worker", str(ev.actor_user_id)), []).append(ev)
        if person:
            groups.setdefault(("person", person), []).append(ev)
    reviews = _supervisor_reviews({ev.resource_id for ev in rows})
    users, orgs = _names([ev.actor_user_id for ev in rows], [ev.actor_org_id for ev in rows])
    patterns = []
    for (kind, key), evs in sorted(groups.items()):
        if len(evs) < min_openings:
            continue
        times = [_aware(ev.occurred_at) for ev in evs]
        member = [False] * len(evs)
        for i, t in enumerate(times):  # the window anchored at each opening
            j = i
            while j + 1 < len(evs) and times[j + 1] < t + span:
                j += 1
            if j - i + 1 >= min_openings:
                for k in range(i, j + 1):
                    member[k] = True
        runs: list[list[int]] = []
        for i, inside in enumerate(member):
            if not inside:
                continue
            if runs and times[i] < times[runs[-1][-1]] + span:
                runs[-1].append(i)
            else:
                runs.append([i])
        for run in runs:
            if len(run) < min_openings:
                continue
            opened = [evs[i] for i in run]
            patterns.append({
                "id": f"{kind}:{key}:{opened[0].seq}", "kind": kind,
                "user_id": key if kind == "worker" else None, "person_id": key if kind == "person" else None,
                "display_name": users.get(uuid.UUID(key), {}).get("display_name") if kind == "worker" else None,
                "first_at": _aware(opened[0].occurred_at), "last_at": _aware(opened[-1].occurred_at),
                "count": len(opened), "window_days": days, "min_openings": min_openings,
                "openings": [{"seq": ev.seq, "occurred_at": ev.occurred_at, "access_id": ev.resource_id,
                              "case_id": json.loads(ev.detail or "{}").get("case"),
                              "person_id": json.loads(ev.detail or "{}").get("person"),
                              **_actor(users, orgs, ev.actor_user_id, ev.actor_org_id),
                              "supervisor_review": reviews.get(ev.resource_id, {"state": "unreviewed", "reviews": 0,
                                                                                "last_reviewed_at": None})}
                             for ev in opened]})
    patterns.sort(key=lambda p: (p["first_at"], p["kind"], p["id"]))
    return patterns


def emergency_uses(since: datetime, until: datetime, *, tenant: Tenant,
                   reviewed: bool | None = None, limit: int = 200) -> dict:
    """Break-glass (flagged) events in the period with their review status, and what each emergency grant was
    used for."""
    session = db.session()
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
    users, orgs = _names([ev.actor_user_id for ev, _, _ in rows], [ev.actor_org_id for ev, _, _ in rows])
    patterns = emergency_patterns(since, until, tenant=tenant)
    in_pattern: dict[str, list[str]] = {}
    for p in patterns:
        for o in p["openings"]:
            in_pattern.setdefault(o["access_id"], []).append(p["id"])
    access_of = {ev.seq: _access_id(ev.legal_basis, ev) for ev, _, _ in rows}
    supervisor = _supervisor_reviews({a for a in access_of.values() if a})
    unreviewed = {"state": "unreviewed", "reviews": 0, "last_reviewed_at": None}
    items = []
    for ev, n, last in rows[:limit]:
        items.append({"seq": ev.seq, "occurred_at": ev.occurred_at, "action": ev.action,
                      "resource_type": ev.resource_type, "resource_id": ev.resource_id,
                      "legal_basis": ev.legal_basis, "outcome": ev.outcome,
                      **_actor(users, orgs, ev.actor_user_id, ev.actor_org_id),
                      "reviewed": n > 0, "reviews": n, "last_reviewed_at": last,
                      "grant_use": use.get(ev.legal_basis), "access_id": access_of[ev.seq],
                      "supervisor_review": supervisor.get(access_of[ev.seq], unreviewed) if access_of[ev.seq] else None,
                      "patterns": in_pattern.get(access_of[ev.seq], [])})
    total, actors, reviewed_n = totals
    return {"kind": "emergency", "since": since, "until": until,
            "summary": {"flagged_events": total, "users": actors, "reviewed": reviewed_n or 0,
                        "unreviewed": total - (reviewed_n or 0), "patterns": len(patterns)},
            "pattern_rule": {"min_openings": PATTERN_MIN, "window_days": PATTERN_DAYS},
            "items": items, "patterns": patterns, "truncated": len(rows) > limit}


def denied_attempts(since: datetime, until: datetime, *, tenant: Tenant, min_count: int,
                    limit: int = 200) -> dict:
    """Users with at least `min_count` refused actions in the period, and failed logins per account."""
    session = db.session()
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
    users, orgs = _names([r[0] for r in rows] + list(login_users.values()), [r[1] for r in rows])
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


def bulk_access(since: datetime, until: datetime, *, tenant: Tenant, persons: int, minutes: int,
                limit: int = 200) -> dict:
    """Users who touched more than `persons` distinct persons within some `minutes`-long window.

    In SQL: every access of a candidate user anchors a window [t, t + M); the windows over the
    threshold are merged into incidents per user (a handful of rows) in Python.
    """
    session = db.session()
    d = _dialect()
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
    users, orgs = _names([i["actor_user_id"] for i in incidents], [i["actor_org_id"] for i in incidents])
    items = [{**_actor(users, orgs, i.pop("actor_user_id"), i.pop("actor_org_id")), **i} for i in incidents[:limit]]
    return {"kind": "bulk", "since": since, "until": until, "threshold": {"persons": persons, "minutes": minutes},
            "summary": {"incidents": len(incidents), "users": len({i["actor_user_id"] for i in items})},
            "items": items, "truncated": len(incidents) > limit}


_JST = ZoneInfo("Asia/Tokyo")


@dataclass
class WorkingHours:
    start: int  # minutes after midnight, Japan time
    end: int
    weekends_off: bool
    holidays: list[date]  # closed days besides the national holidays (年末年始, a municipal holiday …)
    national_holidays: bool = False  # Japan's national holidays (祝日・振替休日・国民の休日) are closed days too

    @classmethod
    def parse(cls, start: str, end: str, weekends_off: bool, holidays, national_holidays: bool = False) -> WorkingHours:
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
        return cls(s, e, weekends_off, sorted(set(days)), national_holidays)

    def closed_days(self, since: datetime, until: datetime) -> list[date]:
        """The closed days (Japan time) from `since` to `until`: the configured ones, and the national holidays
        as the `holidays` library knows them (it follows the 国民の祝日に関する法律 and its amendments)."""
        first, last = since.astimezone(_JST).date(), until.astimezone(_JST).date()
        days = {d for d in self.holidays if first <= d <= last}
        if self.national_holidays:
            days |= {d for d in holidays.Japan(years=range(first.year, last.year + 1)) if first <= d <= last}
        return sorted(days)


def after_hours_condition(dialect: str, hours: WorkingHours, closed_days: list[date], col=E.occurred_at):
    minute, dow, day = _local(dialect, col)
    outside = [minute < hours.start, minute >= hours.end]
    if hours.weekends_off:
        outside.append(dow.in_([0, 6]))
    if closed_days:
        outside.append(day.in_([d.isoformat() for d in closed_days]))
    return or_(*outside)


def after_hours(since: datetime, until: datetime, *, tenant: Tenant, hours: WorkingHours,
                personal_data_only: bool = True, limit: int = 100, after_seq: int | None = None) -> dict:
    """Allowed actions by users outside working hours (Japan time): per user, and the events page."""
    session = db.session()
    d = _dialect()
    closed = hours.closed_days(since, until)
    where = [E.occurred_at >= since, E.occurred_at < until, _allowed(E), E.actor_user_id.is_not(None),
             tenant.events(), after_hours_condition(d, hours, closed)]
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
    users, orgs = _names([r[0] for r in per_user], [r[1] for r in per_user])
    return {
        "kind": "after_hours", "since": since, "until": until,
        "working_hours": {"start": f"{hours.start // 60:02d}:{hours.start % 60:02d}",
                          "end": f"{hours.end // 60:02d}:{hours.end % 60:02d}", "timezone": "Asia/Tokyo",
                          "weekends_off": hours.weekends_off, "national_holidays": hours.national_holidays,
                          "holidays": closed},
        "personal_data_only": personal_data_only,
        "summary": {"events": sum(r[2] for r in per_user), "users": len(per_user)},
        "by_user": [{**_actor(users, orgs, uid, oid), "events": k, "persons": persons.get(uid, 0),
                     "first_at": first, "last_at": last} for uid, oid, k, first, last in per_user],
        "items": rows, "next_after_seq": rows[-1].seq if more and rows else None,
    }




def uninvolved_access(since: datetime, until: datetime, *, periods, tenant: Tenant,
                      limit: int = 200) -> dict:
    """Allowed events about a case by an organisation whose involvement in that case had ended.

    `periods` is any selectable of (case_id, org_id, involved_from, involved_until); an open
    period has involved_until NULL. An event counts when its organisation had a period for the
    case that ended before the event and no period covering the event's time.
    """
    session = db.session()
    d = _dialect()
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
    users, orgs = _names([r.actor_user_id for r in rows], [r.actor_org_id for r in rows])
    items = [{"seq": r.seq, "occurred_at": r.occurred_at, "action": r.action, "case_id": r.case_id,
              "involved_until": _aware(r.involved_until), "personal_data": bool(r.personal_data),
              **_actor(users, orgs, r.actor_user_id, r.actor_org_id)} for r in rows[:limit]]
    return {"kind": "uninvolved", "since": since, "until": until,
            "summary": {"events": len(items), "users": len({i["actor_user_id"] for i in items})},
            "items": items, "truncated": len(rows) > limit}


def consent_flags(since: datetime, until: datetime, *, tenant: Tenant,
                  reviewed: bool | None = None, limit: int = 200) -> dict:
    """Consents whose recording organisation named itself (or its kind) as a recipient, and revocations by an
    organisation other than the recorder: both are flagged when written (caseflow.consents.rules)."""
    session = db.session()
    where = [E.flagged == true(), E.action.in_(CONSENT_FLAG_ACTIONS), E.occurred_at >= since, E.occurred_at < until,
             tenant.events()]
    if reviewed is not None:
        has = exists().where(AuditReview.event_seq == E.seq)
        where.append(has if reviewed else not_(has))
    n_reviews = (select(func.count()).where(AuditReview.event_seq == E.seq).correlate(E).scalar_subquery())
    rows = session.execute(select(E, n_reviews).where(*where).order_by(E.seq).limit(limit + 1)).all()
    users, orgs = _names([ev.actor_user_id for ev, _ in rows], [ev.actor_org_id for ev, _ in rows])
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


ROLE_CHANGE_ACTIONS = ("users.create", "users.roles", "roles.request", "roles.approve", "roles.reject",
                       "roles.withdraw", "memberships.grant", "memberships.end", "municipalities.secretariat")


def role_changes(since: datetime, until: datetime, *, tenant: Tenant, limit: int = 500) -> dict:
    """Every change of who may do what in the tenant: users created with roles, roles changed, privileged roles
    requested / approved / rejected, memberships granted or ended, the secretariat named. Oldest first."""
    session = db.session()
    where = [E.action.in_(ROLE_CHANGE_ACTIONS), E.occurred_at >= since, E.occurred_at < until, tenant.events(),
             _allowed(E)]
    rows = session.scalars(select(E).where(*where).order_by(E.seq).limit(limit + 1)).all()
    details = {ev.seq: json.loads(ev.detail or "{}") for ev in rows}
    targets = {uuid.UUID(d["user_id"]) for d in details.values() if d.get("user_id")}
    targets |= {uuid.UUID(ev.resource_id) for ev in rows if ev.resource_type == "users" and ev.resource_id}
    users, orgs = _names([ev.actor_user_id for ev in rows] + list(targets), [ev.actor_org_id for ev in rows])
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
