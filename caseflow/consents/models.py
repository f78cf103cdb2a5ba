"""Consent records and emergency (break-glass) access: the recorded legal bases for disclosure."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.core.db import Base, Created, UTCDateTime, new_id, one_of, utcnow

CATEGORIES = ("identity", "contact", "sensitive", "case_notes")
CONSENT_METHODS = ("written", "oral", "electronic")  # 書面 / 口頭 / 電子
GIVERS = ("self", "representative")  # 本人 / 代理人
# Under this age (at the time of consent) a guardian's consent is needed besides the child's own assent
# (docs/app-intake.md, "A child's own consent": the 15-year line of the PPC's Q&A on 個人情報保護法).
CHILD_CONSENT_AGE = 15
REVIEW_STATES = ("unreviewed", "confirmed", "not_confirmed")  # an emergency access's latest supervisor review
CONSENT_STATUSES = ("active", "not_yet_valid", "expired", "revoked")


class Consent(Created, Base):
    """本人同意. Never edited in place: a change is a new record that supersedes the old one."""

    __tablename__ = "consents"
    __table_args__ = (one_of("given_by", GIVERS), one_of("method", CONSENT_METHODS),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    # where it was recorded: a recipient named by kind ("every municipal department") means the
    # organisations of that kind acting in this municipality, never another's
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    given_by: Mapped[str] = mapped_column(String(16), default="self")  # self | representative
    representative_relationship: Mapped[str | None] = mapped_column(String(50))
    purpose: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    obtained_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    obtained_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    obtained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    form_reference: Mapped[str | None] = mapped_column(String(200))  # where the signed form is kept
    obtained_place: Mapped[str | None] = mapped_column(String(200))  # where the worker met the person
    # the recording organisation named itself (or its kind) as a recipient: evidence required, flagged
    self_recipient: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoked_by_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    # a child's consent (migration 0023): the subject's age when it was obtained (NULL: birth date unknown), the
    # child's own assent, and a guardian's consent; under CHILD_CONSENT_AGE both are needed for the consent to count
    subject_age: Mapped[int | None] = mapped_column(Integer)
    assent_by_subject: Mapped[bool | None] = mapped_column()
    guardian_consent: Mapped[bool | None] = mapped_column()

    recipients: Mapped[list[ConsentRecipient]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    category_rows: Mapped[list[ConsentCategory]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def categories(self) -> list[str]:
        return sorted(c.category for c in self.category_rows)


class ConsentRecipient(Base):
    """A named organisation, or every organisation of a kind (e.g. all municipal departments)."""

    __tablename__ = "consent_recipients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents.id"), index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    org_kind: Mapped[str | None] = mapped_column(String(32))


class ConsentCategory(Base):
    __tablename__ = "consent_categories"

    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)


class EmergencyAccess(Base):
    """Break-glass access (個人情報保護法27条1項2号): one user, one person, time-boxed, always reviewed."""

    __tablename__ = "emergency_accesses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    justification: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_emergency_accesses_user_person", "user_id", "person_id"),
                      Index("ix_emergency_accesses_case", "case_id"))


class EmergencyAccessReview(Base):
    """A supervisor of the case's owner organisation reviews a break-glass opening: was the reason given a real
    emergency (個人情報保護法27条1項2号)? Append-only (caseflow.core.dbguards): a second look is a new row, the
    latest is the state. Separate from the auditor's review of the audit event (audit_reviews): both may exist."""

    __tablename__ = "emergency_access_reviews"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    access_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("emergency_accesses.id"))
    reviewer_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    reviewer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    reason_confirmed: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_emergency_access_reviews_access", "access_id", "reviewed_at"),)
