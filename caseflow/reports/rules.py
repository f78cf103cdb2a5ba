"""KPI reports for a period (重層的支援 / 孤独・孤立 annual reporting): aggregate counts only.

Counts are computed in SQL with GROUP BY. Outputs shared outside the lead department suppress small
cells (< threshold, default 3) so nobody is identified by a cross-tab; more cells are hidden where a hidden
one could be recovered from the totals (secondary suppression: caseflow/reports/tables.py for the
cross-tabs; a one-way breakdown hides the next smallest). Every format (JSON, CSV, .xlsx, PDF) is built from
the same dict, so they show the same numbers and hide the same ones (docs/outputs.md).
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
from caseflow.core.jpdate import TOKYO, format_jp_datetime, format_wareki_period, wareki_fiscal_year, wareki_month
from caseflow.core.pdf import Heading, KeyValues, Para, Table
from caseflow.meetings.models import AgendaItem, Meeting
from caseflow.organizations.models import Municipality, Organization
from caseflow.referrals.models import Referral
from caseflow.reports import document, tables

SUPPRESSED = None  # a suppressed cell is null in JSON, "<3" style text in CSV/PDF


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date    # inclusive
    label: str

    @property
    def wareki(self) -> str:
        """「令和7年4月1日〜令和8年3月31日」"""
        return format_wareki_period(self.start, self.end)

    @property
    def months(self) -> list[str]:
        """Every month of the period, "YYYY-MM"."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = y + (m == 12), m % 12 + 1
        return out

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time.min, TOKYO)

    @property
    def end_utc(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time.min, TOKYO)


def period_of(*, fiscal_year: int | None = None, month: str | None = None, start: date | None = None,
              end: date | None = None) -> Period:
    """The period asked for, labelled in 和暦 as the report is titled: 「令和7年度」, 「令和7年5月」 or the dates."""
    if fiscal_year is not None:
        first = date(fiscal_year, 4, 1)
        return Period(first, date(fiscal_year + 1, 3, 31), wareki_fiscal_year(first))
    if month is not None:
        y, m = (int(x) for x in month.split("-"))
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        return Period(date(y, m, 1), nxt - timedelta(days=1), wareki_month(date(y, m, 1)))
    return Period(start, end, format_wareki_period(start, end))


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
    issue_by_age: dict[str, dict[str, int]] = {}
    for issue, birth_year, year, n in s.execute(
            select(CaseIssue.issue_code, Person.birth_year, func.extract("year", Case.opened_on),
                   func.count(func.distinct(Case.id)))
            .select_from(Case).join(CaseIssue, CaseIssue.case_id == Case.id)
            .outerjoin(Person, Person.id == Case.primary_person_id).where(opened)
            .group_by(CaseIssue.issue_code, Person.birth_year, func.extract("year", Case.opened_on))).all():
        band = age_band(birth_year, date(int(year), 7, 1)) if birth_year else "不明"
        row = issue_by_age.setdefault(issue, {})
        row[band] = row.get(band, 0) + n
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
    municipality = s.get(Municipality, municipality_id)
    org = s.get(Organization, org_id) if org_id else None

    report = {
        "period": {"label": period.label, "wareki": period.wareki, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "municipality": {"id": str(municipality_id), "name": municipality.name if municipality else ""},
        "organization": {"id": str(org.id), "name": org.name} if org else None,
        "district": district,
        "new_consultations": {"total": new_total, "by_channel": by_channel, "by_issue": by_issue,
                              "by_district": by_district, "by_age_band": dict(sorted(by_age.items(), key=lambda kv: tables.age_band_key(kv[0]))), "by_co_lead": by_co_lead},
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
    report["crosstabs"] = crosstabs(report, period, issue_by_age)
    return report


def crosstabs(report: dict, period: Period, issue_by_age: dict[str, dict[str, int]]) -> dict[str, dict]:
    """The report's 様式 tables (exact counts): month × channel, issue × age band, stage at end, closures."""
    channel, issue, reason = (codes.labels(n) for n in ("intake_channel", "issue_category", "closure_reason"))
    order = {n: list(codes.active_codes(n)) for n in ("intake_channel", "issue_category", "closure_reason")}
    monthly = report["monthly_by_channel"]
    channels = tables.ordered({c for m in monthly.values() for c in m}, order["intake_channel"])
    month_rows = [(m, wareki_month(date(int(m[:4]), int(m[5:]), 1))) for m in period.months]
    bands = sorted({b for row in issue_by_age.values() for b in row}, key=tables.age_band_key)
    stage = report["cases_by_stage_at_end"]
    closures = report["closures_by_reason"]
    count = [("count", "件数")]
    return {t["key"]: t for t in (
        tables.crosstab("month_by_channel", "月別・相談経路別 新規相談件数", row_title="月", column_title="相談経路",
                        rows=month_rows, columns=[(c, channel.get(c, c)) for c in channels], counts=monthly),
        tables.crosstab("issue_by_age_band", "課題別・年代別 新規相談件数（延べ）", row_title="課題",
                        column_title="年代（相談時）",
                        rows=[(i, issue.get(i, i)) for i in tables.ordered(issue_by_age, order["issue_category"])],
                        columns=[(b, b) for b in bands], counts=issue_by_age),
        tables.crosstab("stage_at_end", "期末のケース段階", row_title="段階", column_title="件数",
                        rows=[(k, STAGE_LABELS.get(k, k)) for k in tables.ordered(stage, list(STAGE_LABELS))],
                        columns=count, counts={k: {"count": v} for k, v in stage.items()}),
        tables.crosstab("closures_by_reason", "終結理由別 件数", row_title="終結理由", column_title="件数",
                        rows=[(k, reason.get(k, "不明" if k == "unknown" else k))
                              for k in tables.ordered(closures, order["closure_reason"])],
                        columns=count, counts={k: {"count": v} for k, v in closures.items()}),
    )}


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
    """A copy with small cells suppressed (primary and secondary suppression per breakdown and cross-tab).

    The breakdowns that are also a cross-tab's cells or totals (channel, issue, month × channel, stage at end,
    closures) take their numbers from the suppressed cross-tab, so that no format shows a number another
    one hides (the total of new consultations is the month × channel table's grand total)."""
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

    ct = {k: tables.suppress_crosstab(t, threshold) for k, t in report["crosstabs"].items()}
    monthly, issues = ct["month_by_channel"], ct["issue_by_age_band"]

    def from_single(t: dict, exact: dict) -> dict:
        return {k: tables.lookup(t, k, "count") for k in exact}

    r = {**report, "crosstabs": ct}
    nc = report["new_consultations"]
    r["new_consultations"] = {
        "total": monthly["total"] if monthly["rows"] and monthly["columns"] else scalar(nc["total"]),
        "by_channel": {k: tables.lookup(monthly, column_key=k) for k in nc["by_channel"]},
        "by_issue": {k: tables.lookup(issues, row_key=k) for k in nc["by_issue"]},
        **{k: breakdown(nc[k]) for k in ("by_district", "by_age_band", "by_co_lead")}}
    r["multi_issue_cases"] = scalar(report["multi_issue_cases"])
    r["cases_by_stage_at_end"] = from_single(ct["stage_at_end"], report["cases_by_stage_at_end"])
    r["referrals"] = {**report["referrals"],
                      "by_receiving_org": {org: breakdown(states) for org, states in
                                           report["referrals"]["by_receiving_org"].items()},
                      "overdue_at_end": scalar(report["referrals"]["overdue_at_end"])}
    r["meetings"] = {k: scalar(v) for k, v in report["meetings"].items()}
    r["closures_by_reason"] = from_single(ct["closures_by_reason"], report["closures_by_reason"])
    r["monthly_by_channel"] = {m: {c: tables.lookup(monthly, m, c) for c in v}
                               for m, v in report["monthly_by_channel"].items()}
    return r


# --- formats ----------------------------------------------------------------------------------

def other_indicators(report: dict) -> list[tuple[str, str, int | float | None]]:
    """(区分, 項目, value) of the figures that are not in a cross-tab; None: suppressed, "—": no data."""
    district = codes.labels("district")
    nc = report["new_consultations"]
    rows: list[tuple[str, str, int | float | None]] = [("新規相談", "合計", nc["total"])]
    rows += [("新規相談（地区別）", district.get(k, "不明" if k == "unknown" else k), v)
             for k, v in sorted(nc["by_district"].items())]
    rows += [("新規相談（年代別）", k, v) for k, v in nc["by_age_band"].items()]
    rows += [("新規相談（副担当別）", k, v) for k, v in sorted(nc["by_co_lead"].items())]
    rows.append(("複合課題", "課題が2つ以上の新規ケース", report["multi_issue_cases"]))
    state_labels = {"pending": "回答待ち", "accepted": "受諾", "declined": "辞退", "withdrawn": "取下げ", "completed": "完了"}
    for org, states in sorted(report["referrals"]["by_receiving_org"].items()):
        rows += [("紹介（受け手別）", f"{org}：{state_labels.get(st, st)}", v) for st, v in sorted(states.items())]
    rows.append(("紹介", "回答までの日数（中央値）", _or_dash(report["referrals"]["median_days_to_reply"])))
    rows.append(("紹介", "期末時点の回答期限超過", report["referrals"]["overdue_at_end"]))
    rows.append(("支援会議", "開催回数", report["meetings"]["held"]))
    rows.append(("支援会議", "検討したケース数", report["meetings"]["cases_discussed"]))
    rows.append(("終結", "平均支援期間（日）", _or_dash(report["average_case_duration_days"])))
    return rows


def _or_dash(v):
    return "—" if v is None else v


def header_facts(report: dict, *, generated_at: datetime, suppressed: bool, threshold: int) -> list[tuple[str, str]]:
    """What the report is about: municipality, organisation and district filters, period, time, suppression."""
    facts = [("自治体", report["municipality"]["name"])]
    if report.get("organization"):
        facts.append(("組織", report["organization"]["name"]))
    if report.get("district"):
        facts.append(("地区", codes.labels("district").get(report["district"], report["district"])))
    facts += [("対象期間", report["period"]["wareki"]), ("出力日時", format_jp_datetime(generated_at)),
              ("秘匿処理", suppression_note(threshold) if suppressed else "なし（庁内・主管課向け）")]
    return facts


def suppression_note(threshold: int) -> str:
    return (f"「{tables.SUPPRESSED_MARK}」は秘匿（{threshold}未満の件数、およびそれを合計から逆算されないよう"
            "あわせて秘匿した件数）。0ではありません。")


def report_title(report: dict) -> str:
    return f"{report['period']['label']} 実績報告"


def rows_for_export(report: dict, threshold: int) -> list[tuple[str, str, str]]:
    """(区分, 項目, 件数・値) rows with Japanese labels, for CSV: the report's facts, every cross-tab cell
    (項目 「行 × 列」) and total, then the other figures; a suppressed number is 「*」."""
    def text(v) -> str:
        return tables.shown(v) if v is None or isinstance(v, int) else str(v)

    rows = [("報告", "表題", report_title(report)), ("報告", "自治体", report["municipality"]["name"])]
    if report.get("organization"):
        rows.append(("報告", "組織", report["organization"]["name"]))
    rows.append(("報告", "対象期間", report["period"]["wareki"]))
    for t in report["crosstabs"].values():
        header, body = tables.grid(t)
        single = len(t["columns"]) == 1
        for line in body:
            for col, v in zip(header[1:], line[1:]):
                if single:
                    item = line[0]
                elif line[0] == col == tables.TOTAL_LABEL:
                    item = tables.TOTAL_LABEL
                else:
                    item = f"{line[0]} × {col}"
                rows.append((t["title"], item, text(v)))
    rows += [(section, item, text(v)) for section, item, v in other_indicators(report)]
    return rows


def render_pdf_report(report: dict, threshold: int, *, recipient: str, generated_at: datetime, suppressed: bool) -> bytes:
    """The 実績報告 as a PDF: facts, the monthly chart, the cross-tabs with totals, the other figures."""
    blocks: list = [KeyValues(header_facts(report, generated_at=generated_at, suppressed=suppressed,
                                           threshold=threshold))]
    monthly = report["crosstabs"]["month_by_channel"]
    if monthly["rows"] and monthly["columns"]:
        blocks.append(document.monthly_chart(monthly))
    for t in report["crosstabs"].values():
        header, body = tables.grid(t)
        first = 0.16 if len(header) > 6 else 0.3  # the row labels (令和7年10月, 15〜17歳) on one line
        blocks += [Heading(t["title"], level=2),
                   Table(header=header, rows=[[line[0], *(tables.shown(v) for v in line[1:])] for line in body],
                         col_widths=[first] + [(1 - first) / (len(header) - 1)] * (len(header) - 1))]
    blocks += [Heading("その他の指標", level=2),
               Table(header=["区分", "項目", "件数・値"],
                     rows=[[a, b, tables.shown(v) if v is None or isinstance(v, int) else str(v)]
                           for a, b, v in other_indicators(report)], col_widths="auto")]
    if suppressed:
        blocks.append(Para(suppression_note(threshold)))
    return document.render(title=report_title(report), blocks=blocks, recipient=recipient,
                           generated_at=generated_at, subject="KPI report")
