"""The weekly summary of app consultations to the city (府中市: 週ごとの報告): counts per ISO week in Japan time,
by urgency, by issue, and escalations -- aggregate counts in SQL, small cells suppressed as the KPI report does
(caseflow.reports.rules.suppress: primary and secondary suppression)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from caseflow.cases.models import Case, CaseIssue
from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.errors import validation_problem
from caseflow.core.jpdate import TOKYO
from caseflow.intake.models import IntakeConsultation, Notification
from caseflow.reports.rules import SUPPRESSED


def week_bounds(week: str) -> tuple[date, date]:
    year, number = int(week[:4]), int(week[6:])
    try:
        start = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise validation_problem({"week": [f"{year}年に第{number}週はありません。"]}) from None
    return start, start + timedelta(days=6)


def compute(week: str, *, municipality_id: uuid.UUID) -> dict:
    """Exact counts of the app consultations received in the week (Monday 00:00 to Sunday 24:00, JST)."""
    start, end = week_bounds(week)
    lo = datetime.combine(start, time.min, TOKYO)
    hi = datetime.combine(end + timedelta(days=1), time.min, TOKYO)
    s = db.session()
    cond = (IntakeConsultation.municipality_id == municipality_id, IntakeConsultation.created_at >= lo,
            IntakeConsultation.created_at < hi)
    total = s.scalar(select(func.count()).select_from(IntakeConsultation).where(*cond))
    by_urgency = dict(s.execute(select(Case.urgency, func.count(Case.id))
                                .join(IntakeConsultation, IntakeConsultation.case_id == Case.id)
                                .where(*cond).group_by(Case.urgency)).all())
    labels = codes.active_codes("issue_category")
    by_issue = {labels.get(code, code): n for code, n in s.execute(
        select(CaseIssue.issue_code, func.count(func.distinct(CaseIssue.case_id)))
        .join(IntakeConsultation, IntakeConsultation.case_id == CaseIssue.case_id)
        .where(*cond).group_by(CaseIssue.issue_code)).all()}
    escalations = s.scalar(select(func.count(func.distinct(Notification.case_id)))
                           .join(IntakeConsultation, IntakeConsultation.case_id == Notification.case_id)
                           .where(*cond))
    return {"week": week, "start": start, "end": end, "consultations": total,
            "by_urgency": dict(sorted(by_urgency.items())), "by_issue": dict(sorted(by_issue.items())),
            "escalations": escalations}


def suppress(report: dict, threshold: int) -> dict:
    """Cells below `threshold` hidden (null); a breakdown with one hidden cell hides its next smallest too."""
    def breakdown(d: dict) -> dict:
        out = dict(d)
        small = [k for k, v in d.items() if 0 < v < threshold]
        for k in small:
            out[k] = SUPPRESSED
        if len(small) == 1 and len(d) > 1:
            rest = sorted((v, k) for k, v in d.items() if k not in small)
            out[rest[0][1]] = SUPPRESSED
        return out

    def scalar(v):
        return SUPPRESSED if 0 < v < threshold else v

    return {**report, "consultations": scalar(report["consultations"]), "by_urgency": breakdown(report["by_urgency"]),
            "by_issue": breakdown(report["by_issue"]), "escalations": scalar(report["escalations"]),
            "suppressed_below": threshold}
