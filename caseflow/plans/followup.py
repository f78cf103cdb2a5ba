"""Follow-up lists (busy staff lose track): overdue tasks, cases without progress for N days, cases whose
owner is gone. Each is one SQL query; `org_id` limits it to the cases an organisation works on (active
involvement: owner, accepted referral, task), `lead_worker_id` to one coordinator's cases. The CLI digest
runs the same queries without an organisation (the platform secretariat's view) or for one organisation.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import case as sa_case
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from caseflow.access import trail
from caseflow.accounts.models import User
from caseflow.cases.models import Case, CaseInvolvement, ProgressRecord
from caseflow.cases.rules import today_tokyo
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.jpdate import format_jp_date, to_tokyo
from caseflow.organizations.models import Organization
from caseflow.plans.models import LIVE_TASK_STATUSES, PlanTask

DEFAULT_STALE_DAYS = 30
MAX_STALE_DAYS = 3650
UNOWNED_REASONS = {
    "no_lead_worker": "主担当者が未設定",
    "lead_worker_inactive": "主担当者のアカウントが無効",
    "lead_worker_moved": "主担当者が他の組織に異動",
    "owner_org_inactive": "主担当組織が無効",
}


def default_stale_days(config) -> int:
    """FOLLOWUP_STALE_DAYS from the app's configuration (CASEFLOW_FOLLOWUP_STALE_DAYS, default 30); the
    caller passes the configuration, so the rules never reach for the Flask app themselves."""
    days = config.get("FOLLOWUP_STALE_DAYS", DEFAULT_STALE_DAYS)
    return days if 0 <= days <= MAX_STALE_DAYS else DEFAULT_STALE_DAYS


def _in(municipality_id: uuid.UUID | None) -> list:
    """Every list is one municipality's (None: the whole deployment, for the operator's CLI digest)."""
    return [] if municipality_id is None else [Case.municipality_id == municipality_id]


def _working_cases(org_id: uuid.UUID) -> Select:
    return select(CaseInvolvement.case_id).where(CaseInvolvement.org_id == org_id, CaseInvolvement.until.is_(None))


def overdue_tasks_query(*, today: date, municipality_id: uuid.UUID | None, org_id: uuid.UUID | None = None,
                        lead_worker_id: uuid.UUID | None = None, owner_org_id: uuid.UUID | None = None,
                        worker_id: uuid.UUID | None = None) -> Select:
    """Open or in-progress tasks past their due date on cases that are not closed; oldest due first."""
    stmt = (select(PlanTask).join(Case, Case.id == PlanTask.case_id)
            .where(PlanTask.status.in_(LIVE_TASK_STATUSES), PlanTask.due_on < today, Case.stage != "closed",
                   *_in(municipality_id)))
    if org_id is not None:
        stmt = stmt.where(PlanTask.case_id.in_(_working_cases(org_id)))
    if lead_worker_id is not None:
        stmt = stmt.where(Case.lead_worker_id == lead_worker_id)
    if owner_org_id is not None:
        stmt = stmt.where(PlanTask.owner_org_id == owner_org_id)
    if worker_id is not None:
        stmt = stmt.where(PlanTask.worker_id == worker_id)
    return stmt.order_by(PlanTask.due_on, PlanTask.created_at, PlanTask.id)


def stale_cases_query(*, days: int, now: datetime, today: date, municipality_id: uuid.UUID | None,
                      org_id: uuid.UUID | None = None, lead_worker_id: uuid.UUID | None = None) -> Select:
    """Cases not closed with no progress record (支援経過) dated within `days` days and no other recorded
    activity (stage change, plan work, edits) since then. Rows: (Case, last_progress_on); quietest first."""
    since_date = today - timedelta(days=days)
    since = now - timedelta(days=days)
    recent = (select(ProgressRecord.id)
              .where(ProgressRecord.case_id == Case.id, ProgressRecord.occurred_on >= since_date)
              .correlate(Case).exists())
    last_progress = (select(func.max(ProgressRecord.occurred_on)).where(ProgressRecord.case_id == Case.id)
                     .correlate(Case).scalar_subquery())
    stmt = (select(Case, last_progress.label("last_progress_on"))
            .where(Case.stage != "closed", Case.last_activity_at < since, ~recent, *_in(municipality_id)))
    if org_id is not None:
        stmt = stmt.where(Case.id.in_(_working_cases(org_id)))
    if lead_worker_id is not None:
        stmt = stmt.where(Case.lead_worker_id == lead_worker_id)
    return stmt.order_by(Case.last_activity_at, Case.id)


def unowned_cases_query(*, municipality_id: uuid.UUID | None, org_id: uuid.UUID | None = None,
                        lead_worker_id: uuid.UUID | None = None) -> Select:
    """Cases not closed whose lead worker is missing, deactivated or now in another organisation, or whose
    owner organisation was deactivated. Rows: (Case, reason)."""
    lead = aliased(User)
    owner = aliased(Organization)
    reason = sa_case(
        (Case.lead_worker_id.is_(None), "no_lead_worker"),
        (owner.active.is_(False), "owner_org_inactive"),
        (lead.active.is_(False), "lead_worker_inactive"),
        (lead.org_id != Case.owner_org_id, "lead_worker_moved"),
        else_=None,
    )
    stmt = (select(Case, reason.label("reason"))
            .join(owner, owner.id == Case.owner_org_id)
            .outerjoin(lead, lead.id == Case.lead_worker_id)
            .where(Case.stage != "closed", reason.is_not(None), *_in(municipality_id)))
    if org_id is not None:
        stmt = stmt.where(Case.id.in_(_working_cases(org_id)))
    if lead_worker_id is not None:
        stmt = stmt.where(Case.lead_worker_id == lead_worker_id)
    return stmt.order_by(Case.opened_on, Case.id)


# --- the daily digest (CLI) -------------------------------------------------------------------

def digest(*, days: int, org: Organization | None = None, lead: User | None = None,
           municipality_id: uuid.UUID | None = None, limit: int = 500) -> list[str]:
    """The three lists as plain text lines for a daily mail or a terminal. Case numbers, organisations,
    dates and staff names only: no person's data and no task text, so it can be mailed internally."""

    s = db.session()
    now, today = utcnow(), today_tokyo()
    scope = dict(org_id=org.id if org else None, lead_worker_id=lead.id if lead else None,
                 municipality_id=municipality_id)
    overdue = list(s.scalars(overdue_tasks_query(today=today, **scope).limit(limit)))
    stale = list(s.execute(stale_cases_query(days=days, now=now, today=today, **scope).limit(limit)))
    unowned = list(s.execute(unowned_cases_query(**scope).limit(limit)))
    case_ids = {t.case_id for t in overdue}
    cases = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(case_ids)))} if case_ids else {}
    for c, *_ in stale + unowned:
        cases[c.id] = c
    org_ids = {t.owner_org_id for t in overdue} | {c.owner_org_id for c in cases.values()}
    orgs = dict(s.execute(select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))).all()) \
        if org_ids else {}
    user_ids = {t.worker_id for t in overdue if t.worker_id} | {c.lead_worker_id for c in cases.values()
                                                                if c.lead_worker_id}
    users = dict(s.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all()) if user_ids else {}

    scope_label = f"{org.name}（{org.code}）" if org else "全組織"
    if lead:
        scope_label += f" / 主担当 {lead.display_name}"
    lines = [f"フォローアップ日報 {format_jp_date(today)}  対象: {scope_label}", ""]
    lines.append(f"■ 期限を過ぎたタスク: {len(overdue)}件")
    for t in overdue:
        worker = f" / 担当者 {users[t.worker_id]}" if t.worker_id in users else ""
        lines.append(f"  {cases[t.case_id].case_number}  期限 {t.due_on.isoformat()}（{(today - t.due_on).days}日超過）"
                     f"  {orgs.get(t.owner_org_id, '?')}{worker}  [{t.status}]")
    lines.append("")
    lines.append(f"■ {days}日以上 支援経過の記録がないケース: {len(stale)}件")
    for c, last in stale:
        last_label = last.isoformat() if last else "記録なし"
        lines.append(f"  {c.case_number}  最終記録 {last_label}  最終更新 {to_tokyo(c.last_activity_at).date().isoformat()}"
                     f"  {orgs.get(c.owner_org_id, '?')} / 主担当 {users.get(c.lead_worker_id, '未設定')}")
    lines.append("")
    lines.append(f"■ 主担当が不在のケース: {len(unowned)}件")
    for c, reason in unowned:
        lines.append(f"  {c.case_number}  {UNOWNED_REASONS[reason]}  {orgs.get(c.owner_org_id, '?')}"
                     f"  (主担当 {users.get(c.lead_worker_id, '未設定')})")
    trail.record(s, action="followup.digest", resource_type="followup",
                 detail={"org": org.code if org else None, "days": days, "overdue": len(overdue),
                         "stale": len(stale), "unowned": len(unowned)})
    s.commit()
    return lines
