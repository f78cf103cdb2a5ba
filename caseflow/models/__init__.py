"""SQLAlchemy models. Import from here; Alembic reads `Base.metadata` after this import."""
from caseflow.db import Base
from caseflow.models.org import ORG_KINDS, Municipality, MunicipalityMembership, Organization
from caseflow.models.user import PRIVILEGED_ROLES, ROLES, ApiToken, LoginSession, RoleRequest, User, UserRole
from caseflow.models.audit import AuditChainHead, AuditEvent, AuditSubject
from caseflow.models.audit_review import AuditReview, AuditSeal, AuditVerification
from caseflow.models.codes import CODE_LISTS, ManagedCode
from caseflow.models.case import (STAGES, Case, CaseCounter, CaseInvolvement, CaseIssue, CaseStageChange, CaseTransfer,
                                  Household, HouseholdMember, Person, ProgressRecord)
from caseflow.models.search import PersonSearchGram
from caseflow.models.sharing import CATEGORIES, Consent, ConsentCategory, ConsentRecipient, EmergencyAccess
from caseflow.models.referral import REFERRAL_STATES, DirectoryEntry, Referral, ReferralEvent
from caseflow.models.meeting import (MEETING_KINDS, AgendaItem, Meeting, MeetingAttendee, MeetingDecision, MeetingMember,
                                     MinutesCorrection, MinutesEntry, Pledge)
from caseflow.models.plan import (LIFE_DOMAINS, RISK_LEVELS, TASK_STATUSES, Assessment, AssessmentContribution,
                                  AssessmentDomain, PlanAgreement, PlanGoal, PlanTask, SupportPlan)

__all__ = [
    "Base", "ORG_KINDS", "Municipality", "MunicipalityMembership", "Organization", "ROLES", "PRIVILEGED_ROLES",
    "User", "UserRole", "RoleRequest", "LoginSession", "ApiToken", "CaseTransfer",
    "AuditEvent", "AuditSubject", "AuditChainHead", "AuditReview", "AuditSeal", "AuditVerification", "CODE_LISTS",
    "ManagedCode",
    "STAGES", "Case", "CaseCounter", "CaseInvolvement", "CaseIssue", "CaseStageChange", "Household", "HouseholdMember",
    "Person", "PersonSearchGram", "ProgressRecord", "CATEGORIES", "Consent", "ConsentCategory", "ConsentRecipient", "EmergencyAccess",
    "REFERRAL_STATES", "DirectoryEntry", "Referral", "ReferralEvent",
    "MEETING_KINDS", "AgendaItem", "Meeting", "MeetingAttendee", "MeetingMember", "Pledge",
    "LIFE_DOMAINS", "RISK_LEVELS", "TASK_STATUSES", "Assessment", "AssessmentContribution", "AssessmentDomain",
    "PlanAgreement", "PlanGoal", "PlanTask", "SupportPlan",
    "MinutesEntry", "MinutesCorrection", "MeetingDecision",
]
