"""SQLAlchemy models. Import from here; Alembic reads `Base.metadata` after this import."""
from caseflow.accounts.models import PRIVILEGED_ROLES, ROLES, ApiToken, LoginSession, RoleRequest, User, UserRole
from caseflow.audit.models import AuditChainHead, AuditEvent, AuditReview, AuditSeal, AuditSubject, AuditVerification
from caseflow.cases.models import (
                                  STAGES,
                                  Case,
                                  CaseCounter,
                                  CaseInvolvement,
                                  CaseIssue,
                                  CaseReporter,
                                  CaseStageChange,
                                  CaseTransfer,
                                  Household,
                                  HouseholdMember,
                                  Person,
                                  PersonSearchGram,
                                  ProgressRecord,
                                  SecrecyDecision,
                                  SecrecyRecipient,
)
from caseflow.codes.models import CODE_LISTS, ManagedCode
from caseflow.consents.models import CATEGORIES, Consent, ConsentCategory, ConsentRecipient, EmergencyAccess
from caseflow.contacts.models import Contact, ContactCase, ContactLink
from caseflow.core.db import Base
from caseflow.events.models import Event, EventParticipation
from caseflow.indicators.models import PlanIndicator
from caseflow.intake.models import DutyAssignment, IntakeClient, IntakeConsultation, Notification
from caseflow.meetings.models import (
                                  MEETING_KINDS,
                                  AgendaItem,
                                  Meeting,
                                  MeetingAttendee,
                                  MeetingDecision,
                                  MeetingMember,
                                  MinutesCorrection,
                                  MinutesEntry,
                                  Pledge,
)
from caseflow.organizations.models import ORG_KINDS, DirectoryEntry, Municipality, MunicipalityMembership, Organization
from caseflow.plans.models import (
                                  LIFE_DOMAINS,
                                  RISK_LEVELS,
                                  TASK_STATUSES,
                                  Assessment,
                                  AssessmentContribution,
                                  AssessmentDomain,
                                  PlanAgreement,
                                  PlanGoal,
                                  PlanTask,
                                  SupportPlan,
)
from caseflow.referrals.models import REFERRAL_STATES, Referral, ReferralEvent
from caseflow.retention.models import CasePurge, DeletionRequest, LegalHold, PersonPurge

__all__ = [
    "Base", "ORG_KINDS", "Municipality", "MunicipalityMembership", "Organization", "ROLES", "PRIVILEGED_ROLES",
    "User", "UserRole", "RoleRequest", "LoginSession", "ApiToken", "CaseTransfer",
    "AuditEvent", "AuditSubject", "AuditChainHead", "AuditReview", "AuditSeal", "AuditVerification", "CODE_LISTS",
    "ManagedCode",
    "STAGES", "Case", "CaseCounter", "CaseInvolvement", "CaseIssue", "CaseStageChange", "Household", "HouseholdMember",
    "Person", "PersonSearchGram", "ProgressRecord", "SecrecyDecision", "SecrecyRecipient", "CaseReporter",
    "CATEGORIES", "Consent", "ConsentCategory", "ConsentRecipient", "EmergencyAccess",
    "REFERRAL_STATES", "DirectoryEntry", "Referral", "ReferralEvent",
    "MEETING_KINDS", "AgendaItem", "Meeting", "MeetingAttendee", "MeetingMember", "Pledge",
    "LIFE_DOMAINS", "RISK_LEVELS", "TASK_STATUSES", "Assessment", "AssessmentContribution", "AssessmentDomain",
    "PlanAgreement", "PlanGoal", "PlanTask", "SupportPlan",
    "MinutesEntry", "MinutesCorrection", "MeetingDecision", "LegalHold", "CasePurge", "DeletionRequest", "PersonPurge",
    "Contact", "ContactCase", "ContactLink", "Event", "EventParticipation", "PlanIndicator",
    "DutyAssignment", "IntakeClient", "IntakeConsultation", "Notification",
]
