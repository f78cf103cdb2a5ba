"""SQLAlchemy models. Import from here; Alembic reads `Base.metadata` after this import."""
from caseflow.core.db import Base
from caseflow.organizations.models import ORG_KINDS, Municipality, MunicipalityMembership, Organization
from caseflow.accounts.models import PRIVILEGED_ROLES, ROLES, ApiToken, LoginSession, RoleRequest, User, UserRole
from caseflow.access.trail import AuditChainHead, AuditEvent, AuditSubject
from caseflow.audit.models import AuditReview, AuditSeal, AuditVerification
from caseflow.codes.models import CODE_LISTS, ManagedCode
from caseflow.cases.models import (STAGES, Case, CaseCounter, CaseInvolvement, CaseIssue, CaseStageChange, CaseTransfer,
                                  Household, HouseholdMember, Person, ProgressRecord)
from caseflow.cases.models import PersonSearchGram
from caseflow.consents.models import CATEGORIES, Consent, ConsentCategory, ConsentRecipient, EmergencyAccess
from caseflow.referrals.models import REFERRAL_STATES, Referral, ReferralEvent
from caseflow.organizations.models import DirectoryEntry
from caseflow.meetings.models import (MEETING_KINDS, AgendaItem, Meeting, MeetingAttendee, MeetingDecision, MeetingMember,
                                     MinutesCorrection, MinutesEntry, Pledge)
from caseflow.plans.models import (LIFE_DOMAINS, RISK_LEVELS, TASK_STATUSES, Assessment, AssessmentContribution,
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
