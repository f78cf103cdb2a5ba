"""Households, persons, cases and their history.

Personal data of a person falls into categories with different sharing rules (caseflow.access.sharing):
identity (name, kana, birth date, gender), contact (address, phone, email, LINE), sensitive
(要配慮個人情報), case_notes (summaries, progress records). Case facts (number, stage, issues, district,
age band) are the de-identified view.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from caseflow.core.db import Base, Created, Edited, UTCDateTime, new_id, one_of, utcnow

STAGES = ("intake", "referral", "assessment", "support", "closed")
URGENCIES = ("low", "normal", "high", "critical")
GENDERS = ("female", "male", "other", "undisclosed")
RELATIONSHIPS = ("self", "spouse", "child", "parent", "sibling", "grandparent", "other")
RELATIONSHIP_LABELS = {"self": "本人", "spouse": "配偶者", "child": "子", "parent": "親", "sibling": "兄弟姉妹",
                       "grandparent": "祖父母", "other": "その他"}
CONTACT_PREFERENCES = ("text_only", "line", "no_phone", "anonymous", "email", "phone", "visit")
SENSITIVE_KEYS = ("health", "disability", "abuse", "addiction", "criminal_history", "other")
# Why a member left a household (HouseholdMember.left_reason_code).
LEAVE_REASONS = ("moved_out", "marriage", "separation", "institution", "hospital", "refuge", "deceased", "other")
LEAVE_REASON_LABELS = {"moved_out": "転出", "marriage": "婚姻", "separation": "別居・離婚", "institution": "施設入所",
                       "hospital": "入院", "refuge": "避難", "deceased": "死亡", "other": "その他"}
# A relationship between two members of a household, read "from_person is the <relation> of to_person".
MEMBER_RELATIONS = ("mother", "father", "child", "spouse", "grandparent", "grandchild", "sibling", "other")
MEMBER_RELATION_LABELS = {"mother": "母", "father": "父", "child": "子", "spouse": "配偶者", "grandparent": "祖父母",
                          "grandchild": "孫", "sibling": "きょうだい", "other": "その他"}


class Household(Edited, Base):
    __tablename__ = "households"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    # contact data of the household's members (address) -- shared on a `contact` basis only
    address: Mapped[str | None] = mapped_column(String(300))
    district_code: Mapped[str | None] = mapped_column(String(64), index=True)
    collected_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))

    members: Mapped[list[HouseholdMember]] = relationship(back_populates="household", order_by="HouseholdMember.position")


    def in_need_person_id(self) -> uuid.UUID | None:
        """The current member the household's case is about: the one marked in need, else 本人, else the first."""
        current = [m for m in self.members if m.until is None]
        for m in current:
            if m.in_need:
                return m.person_id
        for m in current:
            if m.relationship_code == "self":
                return m.person_id
        return current[0].person_id if current else None


class Person(Edited, Base):
    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # the platform the person's data was collected in (moves only with a case transfer)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    # identity
    name: Mapped[str | None] = mapped_column(String(100))
    name_kana: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(16))
    # contact; `address` None: the address of the person's household (the household's is the shared default)
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    line_id: Mapped[str | None] = mapped_column(String(100))
    contact_preferences: Mapped[str] = mapped_column(String(200), default="")  # comma-separated codes
    # sensitive (要配慮個人情報): JSON object {health, disability, abuse, addiction, criminal_history, other}
    sensitive: Mapped[str] = mapped_column(Text, default="{}")
    # case_notes
    notes: Mapped[str | None] = mapped_column(Text)
    # not personal on their own: used for the de-identified view and for routing
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)  # from birth date or estimated age
    languages: Mapped[str] = mapped_column(String(100), default="ja")  # comma-separated ISO codes
    # folded name + reading for kana-insensitive search (caseflow.core.text.search_key)
    search_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    collected_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)


class HouseholdMember(Base):
    """A person's membership of a household over time (a person may move between households)."""

    __tablename__ = "household_members"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    relationship_code: Mapped[str] = mapped_column("relationship", String(16))
    in_need: Mapped[bool] = mapped_column(Boolean, default=False)  # 要支援者
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    since: Mapped[date | None] = mapped_column(Date)  # joined
    until: Mapped[date | None] = mapped_column(Date)  # left
    # why the member left (LEAVE_REASONS), and in words
    left_reason_code: Mapped[str | None] = mapped_column(String(16))
    left_reason: Mapped[str | None] = mapped_column(Text)

    household: Mapped[Household] = relationship(back_populates="members")
    person: Mapped[Person] = relationship()

    __table_args__ = (one_of("left_reason_code", LEAVE_REASONS, nullable=True),)


class HouseholdRelationship(Base):
    """A relationship between two members of a household (a directed edge, as CommCare's case indices):
    `from_person` is the `relation` of `to_person` (母, 子, 配偶者 …), from `since` until `until`. Personal data of
    both persons: shown only where the viewer has an identity basis for both (caseflow.cases.relationships).
    Never edited except to end it."""

    __tablename__ = "household_relationships"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    from_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    to_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    relation: Mapped[str] = mapped_column(String(16))
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        one_of("relation", MEMBER_RELATIONS),
        CheckConstraint("from_person_id <> to_person_id", name="not_self"),
        # one relationship in force per pair and relation
        Index("uq_household_relationships_open", "household_id", "from_person_id", "to_person_id", "relation",
              unique=True, sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )


class Case(Edited, Base):
    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    case_number: Mapped[str] = mapped_column(String(20))  # e.g. R7-000123, unique per municipality
    owner_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    lead_worker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"), index=True)
    primary_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    anonymous_label: Mapped[str | None] = mapped_column(String(100))  # e.g. a chat handle before the name is known
    intake_channel: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    summary: Mapped[str | None] = mapped_column(Text)  # case_notes
    stage: Mapped[str] = mapped_column(String(16), default="intake")
    closure_reason: Mapped[str | None] = mapped_column(String(64))
    district_code: Mapped[str | None] = mapped_column(String(64))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    issue_rows: Mapped[list[CaseIssue]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                       order_by="CaseIssue.issue_code")

    __table_args__ = (
        one_of("stage", STAGES), one_of("urgency", URGENCIES),
        # the list pages: owner's cases by recency, filtered by stage
        Index("ix_cases_owner_stage_opened", "owner_org_id", "stage", "opened_on", "id"),
        Index("ix_cases_opened", "opened_on", "id"),
        # a municipality's cases newest first (every list is bounded by the caller's municipality)
        Index("ix_cases_municipality_opened", "municipality_id", "opened_on", "id"),
        UniqueConstraint("municipality_id", "case_number"),
        Index("ix_cases_district_stage", "district_code", "stage"),
    )

    @property
    def issues(self) -> list[str]:
        return [r.issue_code for r in self.issue_rows]


class CaseIssue(Base):
    __tablename__ = "case_issues"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    issue_code: Mapped[str] = mapped_column(String(64), primary_key=True)

    __table_args__ = (Index("ix_case_issues_code", "issue_code", "case_id"),)


class CaseCounter(Base):
    """Last case number per municipality and Japanese fiscal year; updated under a row lock."""

    __tablename__ = "case_counters"

    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class CaseStageChange(Base):
    """Immutable history of a case's stage: who moved it, when, why."""

    __tablename__ = "case_stage_changes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    closure_reason: Mapped[str | None] = mapped_column(String(64))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        one_of("from_stage", STAGES, nullable=True), one_of("to_stage", STAGES),
        # KPI report (migration 0008): each case's last change before a date, read from the index alone;
        # the closures of a period as a range.
        Index("ix_case_stage_changes_case_at_stage", "case_id", "at", "to_stage"),
        Index("ix_case_stage_changes_stage_at", "to_stage", "at", "case_id", "closure_reason"),
    )


class CaseInvolvement(Base):
    """An organisation's working relationship to a case, over time.

    relation: owner (主担当) | co_lead (副担当) | referral (accepted referral) | task (owns a plan task).
    Closed by `until`.
    Involvement makes a case visible to the organisation; personal data still needs a sharing basis.
    """

    __tablename__ = "case_involvements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    relation: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_case_involvements_org_case", "org_id", "case_id"),
        # an organisation's open involvements, index-only (sharing.visible_case_ids; migration 0007)
        Index("ix_case_involvements_open_org_case", "org_id", "case_id",
              sqlite_where=text("until IS NULL"), postgresql_where=text("until IS NULL")),
    )


class ProgressRecord(Created, Base):
    """支援経過記録: a dated entry by an organisation involved in the case (case_notes data)."""

    __tablename__ = "progress_records"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    author_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_progress_records_case", "case_id", "occurred_on"),)


# The relations of an organisation that works on a case (and has met its people): 主担当, 副担当, an accepted
# referral, a plan task. A pending referral or a meeting seat is not one of them.
WORKING_RELATIONS = ("owner", "co_lead", "referral", "task")
TRANSFER_STATES = ("pending", "accepted", "declined", "withdrawn")


class Offer:
    """Mixin: an offer one organisation makes and another accepts or declines (a transfer, a hand-over):
    why, its state, who asked and who decided, when."""

    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    state_reason: Mapped[str | None] = mapped_column(Text)
    requested_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseTransfer(Offer, Base):
    """転居: a case moving to another municipality. The receiving organisation (a member of the target
    municipality) accepts it; only then does the case, with its household and persons, change tenant.
    Before that the receiving side sees the de-identified view only."""

    __tablename__ = "case_transfers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    from_municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    to_municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    from_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    to_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    from_case_number: Mapped[str] = mapped_column(String(20))
    to_case_number: Mapped[str | None] = mapped_column(String(20))  # numbered by the receiving side

    __table_args__ = (
        one_of("state", TRANSFER_STATES),
        Index("ix_case_transfers_to", "to_org_id", "state", "requested_at"),
        Index("ix_case_transfers_from", "from_org_id", "state", "requested_at"),
        # one pending transfer per case
        Index("uq_case_transfers_pending", "case_id", unique=True,
              sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'")),
    )


HANDOVER_STATES = ("pending", "accepted", "declined", "withdrawn", "lapsed")


class LeadHandover(Offer, Base):
    """主担当の交代: the lead organisation offers the lead of a case to another organisation of the same
    municipality, which accepts or declines. Several offers may be open at once (to different organisations);
    the first acceptance wins and the others lapse. The rows are the hand-over history."""

    __tablename__ = "lead_handovers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    from_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    to_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    # the handing-over organisation stays on the case as a co-lead (副担当) after the hand-over
    previous_lead_stays: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        one_of("state", HANDOVER_STATES),
        Index("ix_lead_handovers_to", "to_org_id", "state", "requested_at"),
        Index("ix_lead_handovers_from", "from_org_id", "state", "requested_at"),
        # one open offer per case and receiving organisation
        Index("uq_lead_handovers_pending", "case_id", "to_org_id", unique=True,
              sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'")),
    )


# Code point order for the prefix ranges of 2-character keys (caseflow.core.text.gram_prefix_range); SQLite's
# default BINARY collation already compares that way.
GRAM_TYPE = String(3).with_variant(String(3, collation="C"), "postgresql")


class PersonSearchGram(Base):
    __tablename__ = "person_search_grams"
    __table_args__ = {"sqlite_with_rowid": False}  # the primary key is the table: stored once

    gram: Mapped[str] = mapped_column(GRAM_TYPE, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)

    # Person.search_grams: kept in step with Person.search_key by caseflow.cases.people.set_search_key.
    person: Mapped[Person] = relationship(backref=backref("search_grams", cascade="all, delete-orphan",
                                                         passive_deletes=True))


class SecrecyDecision(Base):
    """秘匿決定 (住民基本台帳事務における支援措置 and the like): a person's address, contact, household and moves are
    withheld from every organisation the decision does not name (SecrecyRecipient), whatever other basis
    (consent, 支援会議, break-glass, own collection) would show them. Never edited; ending it (with a reason) is
    the only change. At most one decision of a person is in force at a time."""

    __tablename__ = "secrecy_decisions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)

    recipients: Mapped[list[SecrecyRecipient]] = relationship(cascade="all", lazy="selectin",
                                                              order_by="SecrecyRecipient.org_id")

    __table_args__ = (
        # the decision in force, per person (the sharing engine probes it for every person it shows)
        Index("uq_secrecy_decisions_active", "person_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )


class SecrecyRecipient(Base):
    """An organisation a secrecy decision names: it keeps seeing what the decision withholds from others."""

    __tablename__ = "secrecy_recipients"

    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("secrecy_decisions.id"), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)


class CaseReporter(Created, Base):
    """A third party who reported the household (近隣からの通報, 「情報元は言いません」): kept apart from the case
    and shown only to the organisation that received the report -- never in referrals, agendas, minutes or
    exports. Never edited."""

    __tablename__ = "case_reporters"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    received_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    recorded_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str | None] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(String(300))
    relationship_to_household: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    wishes_anonymity: Mapped[bool] = mapped_column(Boolean, default=True)
