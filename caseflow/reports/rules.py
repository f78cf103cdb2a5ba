"""KPI reports for a period (重層的支援 / 孤独・孤立 annual reporting): aggregate counts only.

Counts are computed in SQL with GROUP BY. Outputs shared outside the lead department suppress small
cells (< threshold, default 3) so nobody is identified by a cross-tab; when one cell of a breakdown is
suppressed, the next smallest is suppressed too, so it cannot be recovered by subtracting from the total.
"""
from __future__ import annotations

import statistics
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select

from caseflow.access import tenancy
from caseflow.access.disclosure import age_band
from caseflow.cases.models import Case, CaseInvolvement, CaseIssue, CaseStageChange, Person
from caseflow.cases.rules import STAGE_LABELS
from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.errors import validation_problem
from caseflow.core.jpdate import TOKYO
from caseflow.core.pdf import BarChart, Heading, Para, Table, render_pdf
from caseflow.meetings.models import AgendaItem, Meeting
from caseflow.organizations.models import Organization
from caseflow.referrals.models import Referral

SUPPRESSED = None  # a suppressed cell is null in JSON, "<3" style text in CSV/PDF


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date    # inclusive
    label: str

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time.min, TOKYO)

    @property
    def end_utc(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time.min, TOKYO)


def period_of(*, fiscal_year: int | None = None, month: str | None = None, start: date | None = None,
              end: date | None = None) -> Period:
    if fiscal_year is not None:
        return Period(date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31), f"{fiscal_year}年度")
    if month is not None:
        y, m = (int(x) for x in month.split("-"))
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        return Period(date(y, m, 1), nxt - timedelta(days=1), f"{y}年{m}月")
    return Period(start, end, f"{start.isoformat()}〜{end.isoformat()}")


def _case_filter(municipality_id: uuid.UUID, org_id: uuid.UUID | None, district: str | None):
    conds = [Case.municipality_id == municipality_id]
    if org_id:
        conds.append(Case.owner_org_id == org_id)
    if district:
        conds.append(Case.district_code == district)
    return conds


def compute(period: Period, *, municipality_id: uuid.UUID, org_id: uuid.UUID | None = None,
            district: str | None = None) -> dict:
    """Exact counts (before any suppression) of one municipality's cases."""
    s = db.session()
    if org_id and not tenancy.is_member(org_id, municipality_id):
        raise validation_problem({"org_id": ["この自治体の組織を指定してください。"]})
    cf = _case_filter(municipality_id, org_id, district)
    opened = and_(Case.opened_on >= period.start, Case.opened_on <= period.end, *cf)

    def grouped(col, *joins, where=opened):
        stmt = select(col, func.count(func.distinct(Case.id))).select_from(Case)
        for j in joins:
            stmt = stmt.join(*j)
        return {k: n for k, n in s.execute(stmt.where(where).group_by(col)).all()}

    new_total = s.scalar(select(func.count(Case.id)).where(opened)) or 0
    by_channel = grouped(Case.intake_channel)
    by_issue = grouped(CaseIssue.issue_code, (CaseIssue, CaseIssue.case_id == Case.id))
    by_district = grouped(func.coalesce(Case.district_code, "unknown"))
    by_age: dict[str, int] = {}
    age_rows = s.execute(
        select(Person.birth_year, func.extract("year", Case.opened_on), func.count(Case.id))
        .select_from(Case).outerjoin(Person, Person.id == Case.primary_person_id)
        .where(opened).group_by(Person.birth_year, func.extract("year", Case.opened_on))).all()
    for birth_year, year, n in age_rows:
        band = age_band(birth_year, date(int(year), 7, 1)) if birth_year else "不明"
        by_age[band] = by_age.get(band, 0) + n
    multi_issue = s.scalar(select(func.count()).select_from(
        select(CaseIssue.case_id).join(Case, Case.id == CaseIssue.case_id).where(opened)
        .group_by(CaseIssue.case_id).having(func.count() >= 2).subquery())) or 0

    by_stage = _stage_at_end(period, cf)
    # A case counts once, by its lead (the owner filter above); the same new cases broken down by the co-leads
    # (副担当) they had by the end of the period -- a case with two co-leads appears under each.
    co_lead_rows = s.execute(
        select(CaseInvolvement.org_id, func.count(func.distinct(Case.id))).select_from(Case)
        .join(CaseInvolvement, and_(CaseInvolvement.case_id == Case.id, CaseInvolvement.relation == "co_lead",
                                    CaseInvolvement.since < period.end_utc))
        .where(opened).group_by(CaseInvolvement.org_id)).all()

    closed_in = and_(CaseStageChange.to_stage == "closed", CaseStageChange.at >= period.start_utc,
                     CaseStageChange.at < period.end_utc)
    # count() rather than count(id) (the primary key, never null: the same number) so that the closures
    # are read from the index (to_stage, at, case_id, closure_reason) alone (migration 0008)
    closures = dict(s.execute(
        select(func.coalesce(CaseStageChange.closure_reason, "unknown"), func.count())
        .join(Case, Case.id == CaseStageChange.case_id).where(closed_in, *cf)
        .group_by(CaseStageChange.closure_reason)).all())
    durations = [max((at.astimezone(TOKYO).date() - opened_on).days, 0) for at, opened_on in s.execute(
        select(CaseStageChange.at, Case.opened_on).join(Case, Case.id == CaseStageChange.case_id)
        .where(closed_in, *cf)).all()]

    ref_in = and_(Referral.created_at >= period.start_utc, Referral.created_at < period.end_utc)
    ref_join = [Case, Case.id == Referral.case_id]
    referral_rows = s.execute(
        select(Referral.to_org_id, Referral.state, func.count(Referral.id)).join(*ref_join)
        .where(ref_in, *cf).group_by(Referral.to_org_id, Referral.state)).all()
    org_labels = _org_labels()
    by_co_lead = {org_labels.get(org, str(org)): n for org, n in co_lead_rows}
    referrals: dict[str, dict[str, int]] = {}
    for to_org, state, n in referral_rows:
        referrals.setdefault(org_labels.get(to_org, str(to_org)), {})[state] = n
    reply_days = [(responded - created).total_seconds() / 86400 for created, responded in s.execute(
        select(Referral.created_at, Referral.responded_at).join(*ref_join)
        .where(ref_in, Referral.responded_at.is_not(None), *cf)).all()]
    overdue = s.scalar(select(func.count(Referral.id)).join(*ref_join).where(
        Referral.state == "pending", Referral.reply_due.is_not(None), Referral.reply_due < period.end,
        Referral.created_at < period.end_utc, *cf)) or 0

    held = and_(Meeting.municipality_id == municipality_id, Meeting.starts_at >= period.start_utc,
                Meeting.starts_at < period.end_utc, Meeting.status.in_(("held", "minutes_approved")))
    if org_id:
        held = and_(held, Meeting.organizer_org_id == org_id)
    meetings_held = s.scalar(select(func.count(Meeting.id)).where(held)) or 0
    cases_discussed = s.scalar(select(func.count(func.distinct(AgendaItem.case_id)))
                               .join(Meeting, Meeting.id == AgendaItem.meeting_id)
                               .where(held, AgendaItem.case_id.is_not(None))) or 0
    monthly = _monthly_by_channel(period, cf)

    return {
        "period": {"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat()},
        "new_consultations": {"total": new_total, "by_channel": by_channel, "by_issue": by_issue,
                              "by_district": by_district, "by_age_band": by_age, "by_co_lead": by_co_lead},
        "multi_issue_cases": multi_issue,
        "cases_by_stage_at_end": by_stage,
        "referrals": {"by_receiving_org": referrals,
                      "median_days_to_reply": round(statistics.median(reply_days), 1) if reply_days else None,
                      "overdue_at_end": overdue},
        "meetings": {"held": meetings_held, "cases_discussed": cases_discussed},
        "closures_by_reason": closures,
        "average_case_duration_days": round(sum(durations) / len(durations), 1) if durations else None,
        "monthly_by_channel": monthly,
    }


def _org_labels() -> dict[uuid.UUID, str]:
    """Organisation id -> its name, or "name（code）" where two organisations share a name (two NPOs of the
    same name exist in real directories), so that their counts are never merged under one key."""
    orgs = db.session().execute(select(Organization.id, Organization.name, Organization.code)).all()
    names = Counter(name for _id, name, _code in orgs)
    return {oid: name if names[name] == 1 else f"{name}（{code}）" for oid, name, code in orgs}


def _stage_at_end(period: Period, cf) -> dict[str, int]:
    """Cases by their stage at the end of the period: the stage of their last change before it.

    Every case that ever had a change counts, the ones closed years ago included (as "closed"), so this
    reads the whole stage history; it reads it from the narrow index (case_id, at, to_stage) only
    (migration 0008), in one ordered pass. A case whose last instant has several changes counts under
    each of their stages, once. SQLite: the last instant per case (GROUP BY over the index) joined back by
    key. PostgreSQL hashes that join once per parallel worker, so there the last instant is a window
    over the same index pass; the join to cases only when a filter needs it (every change has its case).
    """
    s = db.session()
    before_end = CaseStageChange.at < period.end_utc
    if s.get_bind().dialect.name == "postgresql":
        changes = select(CaseStageChange.case_id, CaseStageChange.to_stage, CaseStageChange.at,
                         func.max(CaseStageChange.at).over(partition_by=CaseStageChange.case_id).label("last_at")
                         ).where(before_end).subquery()
        stmt = select(changes.c.to_stage, func.count(func.distinct(changes.c.case_id))).where(
            changes.c.at == changes.c.last_at)
        if cf:
            stmt = stmt.join(Case, Case.id == changes.c.case_id).where(*cf)
        return dict(s.execute(stmt.group_by(changes.c.to_stage)).all())
    last_change = (select(CaseStageChange.case_id, func.max(CaseStageChange.at).label("at"))
                   .where(before_end).group_by(CaseStageChange.case_id).subquery())
    return dict(s.execute(
        select(CaseStageChange.to_stage, func.count(func.distinct(CaseStageChange.case_id)))
        .join(last_change, and_(last_change.c.case_id == CaseStageChange.case_id, last_change.c.at == CaseStageChange.at))
        .join(Case, Case.id == CaseStageChange.case_id).where(*cf)
        .group_by(CaseStageChange.to_stage)).all())


def _monthly_by_channel(period: Period, cf) -> dict[str, dict[str, int]]:
    rows = db.session().execute(
        select(func.extract("year", Case.opened_on), func.extract("month", Case.opened_on), Case.intake_channel,
               func.count(Case.id))
        .where(Case.opened_on >= period.start, Case.opened_on <= period.end, *cf)
        .group_by(func.extract("year", Case.opened_on), func.extract("month", Case.opened_on),
                  Case.intake_channel)).all()
    out: dict[str, dict[str, int]] = {}
    for y, m, channel, n in rows:
        out.setdefault(f"{int(y):04d}-{int(m):02d}", {})[channel] = n
    return dict(sorted(out.items()))


# --- suppression ------------------------------------------------------------------------------

def suppress(report: dict, threshold: int) -> dict:
    """A copy with small cells suppressed (primary and secondary suppression per breakdown)."""
    def breakdown(d: dict) -> dict:
        if not d:
            return d
        out = dict(d)
        small = [k for k, v in d.items() if 0 < v < threshold]
        for k in small:
            out[k] = SUPPRESSED
        if len(small) == 1 and len(d) > 1:  # one hidden cell could be recovered from the total
            rest = sorted((v, k) for k, v in d.items() if k not in small)
            out[rest[0][1]] = SUPPRESSED
        return out

    def scalar(v):
        return SUPPRESSED if isinstance(v, int) and 0 < v < threshold else v

    r = {**report}
    nc = report["new_consultations"]
    r["new_consultations"] = {"total": scalar(nc["total"]), **{k: breakdown(nc[k]) for k in
                                                               ("by_channel", "by_issue", "by_district", "by_age_band", "by_co_lead")}}
    r["multi_issue_cases"] = scalar(report["multi_issue_cases"])
    r["cases_by_stage_at_end"] = breakdown(report["cases_by_stage_at_end"])
    r["referrals"] = {**report["referrals"],
                      "by_receiving_org": {org: breakdown(states) for org, states in
                                           report["referrals"]["by_receiving_org"].items()},
                      "overdue_at_end": scalar(report["referrals"]["overdue_at_end"])}
    r["meetings"] = {k: scalar(v) for k, v in report["meetings"].items()}
    r["closures_by_reason"] = breakdown(report["closures_by_reason"])
    r["monthly_by_channel"] = {m: breakdown(v) for m, v in report["monthly_by_channel"].items()}
    return r


# --- formats ----------------------------------------------------------------------------------

def rows_for_export(report: dict, threshold: int) -> list[tuple[str, str, str]]:
    """(section, item, value) rows with Japanese labels, for CSV and PDF."""
    channel = codes.labels("intake_channel")
    issue = codes.labels("issue_category")
    district = codes.labels("district")
    reason = codes.labels("closure_reason")

    def cell(v):
        return f"{threshold}未満" if v is None else str(v)

    nc = report["new_consultations"]
    rows = [("期間", report["period"]["label"], f"{report['period']['start']}〜{report['period']['end']}"),
            ("新規相談", "合計", cell(nc["total"]))]
    rows += [("新規相談（相談経路別）", channel.get(k, k), cell(v)) for k, v in sorted(nc["by_channel"].items())]
    rows += [("新規相談（課題別）", issue.get(k, k), cell(v)) for k, v in sorted(nc["by_issue"].items())]
    rows += [("新規相談（地区別）", district.get(k, "不明" if k == "unknown" else k), cell(v))
             for k, v in sorted(nc["by_district"].items())]
    rows += [("新規相談（年代別）", k, cell(v)) for k, v in sorted(nc["by_age_band"].items())]
    rows += [("新規相談（副担当別）", k, cell(v)) for k, v in sorted(nc["by_co_lead"].items())]
    rows.append(("複合課題", "課題が2つ以上の新規ケース", cell(report["multi_issue_cases"])))
    rows += [("期末のケース段階", STAGE_LABELS.get(k, k), cell(v)) for k, v in report["cases_by_stage_at_end"].items()]
    state_labels = {"pending": "回答待ち", "accepted": "受諾", "declined": "辞退", "withdrawn": "取下げ", "completed": "完了"}
    for org, states in sorted(report["referrals"]["by_receiving_org"].items()):
        rows += [("紹介（受け手別）", f"{org}：{state_labels.get(st, st)}", cell(v)) for st, v in sorted(states.items())]
    med = report["referrals"]["median_days_to_reply"]
    rows.append(("紹介", "回答までの日数（中央値）", "—" if med is None else str(med)))
    rows.append(("紹介", "期末時点の回答期限超過", cell(report["referrals"]["overdue_at_end"])))
    rows.append(("支援会議", "開催回数", cell(report["meetings"]["held"])))
    rows.append(("支援会議", "検討したケース数", cell(report["meetings"]["cases_discussed"])))
    rows += [("終結（理由別）", reason.get(k, k), cell(v)) for k, v in sorted(report["closures_by_reason"].items())]
    avg = report["average_case_duration_days"]
    rows.append(("終結", "平均支援期間（日）", "—" if avg is None else str(avg)))
    return rows


def render_pdf_report(report: dict, threshold: int, *, recipient: str, generated_at: datetime, suppressed: bool) -> bytes:

    channel = codes.labels("intake_channel")
    monthly = report["monthly_by_channel"]
    months = list(monthly)
    channels = sorted({c for m in monthly.values() for c in m})
    series = [(channel.get(c, c), [monthly[m].get(c) or 0 for m in months]) for c in channels]
    blocks = [Heading(f"重層的支援・孤独孤立対策 実績報告（{report['period']['label']}）"),
              Para("小さな件数は個人の特定を避けるため秘匿しています（" + f"{threshold}未満" + "）。" if suppressed
                   else "庁内（主管課）向け：秘匿処理なし。")]
    if months:
        blocks.append(BarChart(title="月別 新規相談件数（相談経路別）", categories=[m[5:] + "月" for m in months],
                               series=series))
    blocks.append(Table(header=["区分", "項目", "件数・値"], rows=[list(r) for r in rows_for_export(report, threshold)],
                        col_widths=[0.3, 0.5, 0.2]))
    return render_pdf(title=f"実績報告 {report['period']['label']}", blocks=blocks, recipient=recipient,
                      generated_at=generated_at, subject="KPI report")
