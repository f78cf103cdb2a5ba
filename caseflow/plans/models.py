"""Joint assessment (課題と対応策の詳細検討) and the support plan (支援プラン: 役割分担・協働による支援).

An assessment is a dated, immutable version; a case keeps a sequence of them and the highest
`version_no` is current. Other involved organisations add contributions to the current version.
A case has one support plan that lives through the assessment ⇄ support loop: goals, tasks owned by
organisations (optionally a worker), and each task-owning organisation's agreement to its role.

Narrative text (notes, strengths, wishes, goals, task descriptions, results) is `case_notes` data;
domains, risk levels, dates, statuses and which organisation holds which role are not.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.core.db import Base, Created, Edited, UTCDateTime, new_id, one_of, utcnow

# Life domains of the assessment, in display order.
LIFE_DOMAINS = {
    "health": "健康",
    "finance": "経済・家計",
    "housing": "住まい",
    "work_learning": "就労・学び",
    "family_care": "家族関係・ケア",
    "social": "社会参加・つながり",
    "rights_safety": "権利擁護・安全",
}
# Status / risk level of a domain (a de-identified fact, shown without a sharing basis).
RISK_LEVELS = {
    "unknown": "未把握",
    "none": "課題なし",
    "low": "低",
    "medium": "中",
    "high": "高",
    "urgent": "緊急",
}
GOAL_STATUSES = {"active": "取組中", "achieved": "達成", "dropped": "見直し・中止"}
TASK_STATUSES = {"open": "未着手", "in_progress": "対応中", "done": "完了", "cancelled": "取消"}
# open -> in_progress -> done | cancelled (an open task may also be cancelled)
TASK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "cancelled"),
    "in_progress": ("done", "cancelled"),
    "done": (),
    "cancelled": (),
}
LIVE_TASK_STATUSES = ("open", "in_progress")
# A finished task carries a result note (done: what was achieved; cancelled: why not): both feed the next assessment.
FINISHED_TASK_STATUSES = ("done", "cancelled")


class Assessment(Created, Base):
    __tablename__ = "assessments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    version_no: Mapped[int] = mapped_column(Integer)
    assessed_on: Mapped[date] = mapped_column(Date)
    # case_notes (written by created_by_org_id)
    strengths: Mapped[str | None] = mapped_column(Text)      # 世帯の強み
    wishes: Mapped[str | None] = mapped_column(Text)         # 本人の意向
    issues_note: Mapped[str | None] = mapped_column(Text)    # 課題の整理
    goals: Mapped[str] = mapped_column(Text, default="[]")   # JSON list of agreed goals
    # not narrative: issue categories (managed list), comma-separated
    issue_codes: Mapped[str] = mapped_column(String(1000), default="")
    created_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    domain_rows: Mapped[list[AssessmentDomain]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (UniqueConstraint("case_id", "version_no"),)


class AssessmentDomain(Base):
    """One life domain of an assessment version: risk level and the author organisation's note."""

    __tablename__ = "assessment_domains"
    __table_args__ = (one_of("risk_level", RISK_LEVELS),)

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"),
                                                     primary_key=True)
    domain: Mapped[str] = mapped_column(String(32), primary_key=True)
    risk_level: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)  # case_notes


class AssessmentContribution(Created, Base):
    """Another involved organisation's input to an assessment version (optionally on one domain)."""

    __tablename__ = "assessment_contributions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    domain: Mapped[str | None] = mapped_column(String(32))
    risk_level: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)  # case_notes

    __table_args__ = (Index("ix_assessment_contributions_assessment", "assessment_id", "created_at"),)


class SupportPlan(Edited, Base):
    """The case's 支援プラン: one per case, kept through the assessment ⇄ support loop."""

    __tablename__ = "support_plans"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), unique=True)
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessments.id"))
    policy: Mapped[str | None] = mapped_column(Text)  # 支援方針 (case_notes, written by policy_by_org_id)
    policy_by_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    review_on: Mapped[date | None] = mapped_column(Date)  # next review (モニタリング) date
    created_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class PlanGoal(Created, Base):
    __tablename__ = "plan_goals"
    __table_args__ = (one_of("status", GOAL_STATUSES),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_plans.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text)  # case_notes
    status: Mapped[str] = mapped_column(String(16), default="active")
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessments.id"))  # the goal's origin
    created_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))


class PlanTask(Edited, Base):
    """A role in the plan: what an organisation (optionally one of its workers) does, by when."""

    __tablename__ = "plan_tasks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_plans.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))  # denormalised for follow-up queries
    goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan_goals.id"))
    owner_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    worker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))  # what to do (shown to the owner org and on a basis)
    description: Mapped[str | None] = mapped_column(Text)  # case_notes, written by created_by_org_id
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    result_note: Mapped[str | None] = mapped_column(Text)  # case_notes, written by result_by_org_id
    result_by_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    result_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str | None] = mapped_column(String(100))  # e.g. "meeting_decision:<uuid>"
    created_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        one_of("status", TASK_STATUSES),
        # an organisation's open work by due date; overdue lists
        Index("ix_plan_tasks_owner_status_due", "owner_org_id", "status", "due_on"),
        Index("ix_plan_tasks_status_due", "status", "due_on"),
        Index("ix_plan_tasks_case_status", "case_id", "status"),
    )


class AssessmentResult(Created, Base):
    """A plan result an assessment version was based on (support → results → assessment): a task finished since
    the previous version, cited by exactly one version. Appended with the version, never edited
    (caseflow.core.dbguards). The result note itself stays on the task -- a finished task is never edited, so the
    note read there is the note cited, and the retention purge blanks the one copy; the citation keeps who did it,
    how it ended and when."""

    __tablename__ = "assessment_results"
    __table_args__ = (one_of("task_status", FINISHED_TASK_STATUSES),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_tasks.id"), unique=True)
    owner_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    task_status: Mapped[str] = mapped_column(String(16))
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PlanAgreement(Base):
    """An organisation's agreement to its role(s) in the plan (役割分担の合意). Appended, never edited."""

    __tablename__ = "plan_agreements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_plans.id"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    task_count: Mapped[int] = mapped_column(Integer)  # live tasks of the org it agreed to
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_plan_agreements_plan_org", "plan_id", "org_id", "agreed_at"),)
