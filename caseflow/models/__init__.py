"""SQLAlchemy models. Import from here; Alembic reads `Base.metadata` after this import."""
from caseflow.db import Base
from caseflow.models.org import ORG_KINDS, Organization
from caseflow.models.user import ROLES, ApiToken, LoginSession, User, UserRole
from caseflow.models.audit import AuditChainHead, AuditEvent, AuditSubject

__all__ = [
    "Base", "ORG_KINDS", "Organization", "ROLES", "User", "UserRole", "LoginSession", "ApiToken",
    "AuditEvent", "AuditSubject", "AuditChainHead",
]
