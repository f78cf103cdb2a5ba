from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.core.db import Base, Created, UTCDateTime, new_id, one_of, utcnow
from caseflow.organizations.models import Organization

ROLES = {
    "coordinator": "相談支援包括化推進員（コーディネーター）",
    "staff": "部署職員",
    "npo_staff": "連携団体職員",
    "supervisor": "スーパーバイザー（支援会議運営）",
    "auditor": "監査担当",
    "admin": "組織管理者（自組織の利用者管理）",
    "secretariat": "プラットフォーム事務局（自治体の会員組織の管理）",
}
# Roles whose grant takes a second approver (four eyes): they see the trail or administer others.
PRIVILEGED_ROLES = ("admin", "auditor", "secretariat")
ROLE_REQUEST_STATES = ("pending", "approved", "rejected", "withdrawn")


class User(Created, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    # The municipality this request acts in (caseflow.access.authz sets it from the X-Caseflow-Municipality header
    # once the caller is known); not stored. None means the organisation's home municipality.
    acting_municipality_id = None

    @property
    def roles(self) -> list[str]:
        return [r.role for r in self.role_rows]

    @property
    def municipality_id(self) -> uuid.UUID:
        """The municipality the user acts in now: the request's choice, else the organisation's home."""
        return self.acting_municipality_id or self.org.municipality_id

    # flask-login protocol. The id flask-login keeps in the cookie is the login
    # session's id (set in caseflow.access.sessions), so logout can revoke it server-side.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:  # pragma: no cover - flask-login calls this only via login_user
        from flask import g

        return g.login_session_key


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class RoleRequest(Base):
    """A grant of a privileged role waiting for a second approver. Approval adds the UserRole; every step
    is audited (and listed in the role-change anomaly report)."""

    __tablename__ = "role_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    requested_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        one_of("state", ROLE_REQUEST_STATES),
        # one open request per (user, role)
        Index("uq_role_requests_pending", "user_id", "role", unique=True,
              sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'")),
    )


class LoginSession(Created, Base):
    """A browser login. The cookie carries a random key; only its hash is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(Created, Base):
    """Bearer token for integrations. Shown once at creation; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
