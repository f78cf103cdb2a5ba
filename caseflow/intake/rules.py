"""Intake clients and their one act, and the duty worker.

An intake client is registered by the secretariat (事務局) of a municipality for one receiving organisation of
that municipality. Its token is shown once and kept as a SHA-256 hash; revoking it ends it at once. With it an
app can open anonymous consultations (no person: a contact with the app's pseudonymous handle, channel `app`)
in that organisation -- nothing else: the token is not an account, so every other route answers 401.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from caseflow.access import tenancy, trail
from caseflow.accounts.models import User
from caseflow.cases import rules as cases
from caseflow.cases.models import Case
from caseflow.contacts.models import Contact, ContactCase
from caseflow.core import db
from caseflow.core.db import new_id, utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.intake.models import DutyAssignment, IntakeClient, IntakeConsultation
from caseflow.organizations.models import Organization

TOKEN_PREFIX = "cfi_"
APP_CHANNEL = "app"
NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- the secretariat's acts ---------------------------------------------------------------------

def _administered(actor) -> uuid.UUID:
    mid = tenancy.administered_municipality_id(actor)
    if mid is None:
        raise Problem(403, detail="受付アプリの登録は、自治体のプラットフォーム事務局のみ行えます。", type_="forbidden")
    return mid


def visible_clients(actor):
    return (select(IntakeClient).where(IntakeClient.municipality_id == _administered(actor))
            .order_by(IntakeClient.created_at, IntakeClient.id))


def get_client(actor, client_id: uuid.UUID) -> IntakeClient:
    client = db.session().scalar(visible_clients(actor).where(IntakeClient.id == client_id))
    if client is None:
        raise Problem(404, detail=NOT_FOUND)
    return client


def register_client(data: dict, *, actor) -> tuple[IntakeClient, str]:
    mid = _administered(actor)
    org = db.session().get(Organization, data["org_id"])
    if org is None or not org.active or not tenancy.is_member(org.id, mid):
        raise validation_problem({"org_id": ["この自治体の有効な組織を指定してください。"]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = IntakeClient(id=new_id(), municipality_id=mid, org_id=org.id, name=data["name"], token_hash=_sha256(raw),
                          prefix=raw[:10], created_by_user_id=actor.id)
    db.session().add(client)
    trail.record(db.session(), action="intake_clients.create", resource_type="intake_clients", resource_id=client.id,
                 actor=actor, detail={"org_id": str(org.id), "municipality_id": str(mid)})
    return client, raw


def revoke_client(client: IntakeClient, *, actor) -> IntakeClient:
    if client.revoked_at is not None:
        raise Problem(409, detail="この受付アプリは既に失効しています。", type_="already-revoked")
    client.revoked_at, client.revoked_by_user_id = utcnow(), actor.id
    trail.record(db.session(), action="intake_clients.revoke", resource_type="intake_clients", resource_id=client.id,
                 actor=actor)
    return client


# --- the app's one act ----------------------------------------------------------------------------

@dataclass
class ClientActor:
    """Who acts when an app opens a consultation: no user; the receiving organisation, in the client's
    municipality. The audit events name the client (detail `intake_client_id`)."""

    client: IntakeClient
    org: Organization
    id = None

    @property
    def org_id(self) -> uuid.UUID:
        return self.org.id

    @property
    def municipality_id(self) -> uuid.UUID:
        return self.client.municipality_id

    roles: tuple = ()


def client_of_token(raw: str) -> IntakeClient | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    client = db.session().scalar(select(IntakeClient).where(IntakeClient.token_hash == _sha256(raw)))
    if client is None or client.revoked_at is not None:
        return None
    org = db.session().get(Organization, client.org_id)
    return client if org is not None and org.active else None


def open_consultation(client: IntakeClient, data: dict) -> Case:
    """An anonymous case in the client's organisation: the handle's contact (a further contact when the app's
    handle is known there already), channel `app`; critical urgency escalates at once (caseflow.cases.rules)."""
    s = db.session()
    actor = ClientActor(client=client, org=s.get(Organization, client.org_id))
    known = s.scalar(select(Contact.id).where(Contact.owner_org_id == client.org_id,
                                              Contact.municipality_id == client.municipality_id,
                                              Contact.channel == APP_CHANNEL, Contact.handle == data["handle"])
                     .order_by(Contact.created_at, Contact.id).limit(1))
    case = cases.open_case({"intake_channel": APP_CHANNEL, "issues": data.get("issues", []),
                            "anonymous_label": data["handle"], "summary": data.get("summary"),
                            "urgency": data.get("urgency", "normal"), "contact_id": known}, actor=actor)
    s.add(IntakeConsultation(case_id=case.id, client_id=client.id, municipality_id=client.municipality_id))
    client.last_used_at = utcnow()
    trail.record(s, action="intake.consultations.create", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"intake_client_id": str(client.id), "case_number": case.case_number,
                         "urgency": case.urgency})
    return case


# --- the duty worker ------------------------------------------------------------------------------

def set_duty(org_id: uuid.UUID, user_id: uuid.UUID, *, actor) -> DutyAssignment:
    """Name the organisation's duty worker: the caller's own organisation (its admin or supervisor), an active
    case worker of it."""
    if org_id != actor.org_id:
        raise Problem(404, detail=NOT_FOUND)
    user = db.session().get(User, user_id)
    if user is None or user.org_id != org_id or not user.active or \
            not {"coordinator", "staff", "npo_staff", "supervisor"} & set(user.roles):
        raise validation_problem({"user_id": ["自組織の有効な相談担当職員を指定してください。"]})
    s = db.session()
    duty = s.get(DutyAssignment, org_id)
    if duty is None:
        duty = DutyAssignment(org_id=org_id, user_id=user.id, set_by_user_id=actor.id, set_at=utcnow())
        s.add(duty)
    else:
        duty.user_id, duty.set_by_user_id, duty.set_at = user.id, actor.id, utcnow()
    trail.record(s, action="duty.update", resource_type="organizations", resource_id=org_id, actor=actor,
                 detail={"user_id": str(user.id)})
    return duty


def get_duty(org_id: uuid.UUID, *, actor) -> DutyAssignment | None:
    if org_id != actor.org_id:
        raise Problem(404, detail=NOT_FOUND)
    return db.session().get(DutyAssignment, org_id)


def contact_id_of(case: Case) -> uuid.UUID | None:
    return db.session().scalar(select(ContactCase.contact_id).where(ContactCase.case_id == case.id))
