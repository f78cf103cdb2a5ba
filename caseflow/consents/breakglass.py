"""Break-glass that someone reviews: a supervisor of the case's owner organisation confirms (or not) that an
emergency access (個人情報保護法27条1項2号) had a real emergency behind it.

The supervisor's review is its own record (EmergencyAccessReview, append-only), beside the auditor's review of
the `emergency.open` audit event (audit_reviews): both may exist and neither overwrites the other. Only a
supervisor of the organisation that owns the access's case, acting in the case's municipality, reviews; the
worker who opened the access never reviews it (職務の分離), and anyone else gets 404 (no existence leak). A
second review is a new row; the latest is the access's review state (`confirmed` / `not_confirmed`; none:
`unreviewed`). Every review is audited with the hash of its note (the note may describe the person).
"""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import func, select

from caseflow.access import trail
from caseflow.access.refs import user_ref
from caseflow.access.sharing import Viewer
from caseflow.accounts.models import User
from caseflow.audit.models import AuditEvent, AuditReview
from caseflow.cases.models import Case
from caseflow.consents.models import EmergencyAccess, EmergencyAccessReview
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


def reviewable_access(viewer: Viewer, access_id: uuid.UUID) -> EmergencyAccess:
    """The access if its case is owned by the viewer's organisation in the municipality it acts in; else 404."""
    access = db.session().scalar(
        select(EmergencyAccess).join(Case, Case.id == EmergencyAccess.case_id)
        .where(EmergencyAccess.id == access_id, Case.owner_org_id == viewer.org_id,
               Case.municipality_id == viewer.municipality_id))
    if access is None:
        raise Problem(404, detail=NOT_FOUND)
    return access


def add_review(access: EmergencyAccess, reason_confirmed: bool, note: str, *, actor) -> EmergencyAccessReview:
    """Record a supervisor's review of the access (a new row, never an edit)."""
    if access.user_id == actor.id:
        raise Problem(403, detail="自分が開始した緊急アクセスはレビューできません（職務の分離）。", type_="self-review")
    s = db.session()
    review = EmergencyAccessReview(id=uuid.uuid4(), access_id=access.id, reviewer_user_id=actor.id,
                                   reviewer_org_id=actor.org_id, reason_confirmed=reason_confirmed, note=note,
                                   reviewed_at=utcnow())
    s.add(review)
    s.flush()
    trail.record(s, action="emergency.review", resource_type="emergency_accesses", resource_id=access.id,
                 actor=actor, detail={"review_id": str(review.id), "reason_confirmed": reason_confirmed,
                                      "opened_by": str(access.user_id),
                                      "note_sha256": hashlib.sha256(note.encode("utf-8")).hexdigest()})
    return review


def in_review_state(state: str):
    """SQL, correlated to EmergencyAccess: the supervisors' latest review gives `state` (none: unreviewed)."""
    latest = (select(EmergencyAccessReview.reason_confirmed).where(EmergencyAccessReview.access_id == EmergencyAccess.id)
              .order_by(EmergencyAccessReview.reviewed_at.desc(), EmergencyAccessReview.id.desc()).limit(1)
              .correlate(EmergencyAccess).scalar_subquery())
    if state == "unreviewed":
        return ~select(EmergencyAccessReview.id).where(EmergencyAccessReview.access_id == EmergencyAccess.id).exists()
    return latest.is_(True) if state == "confirmed" else latest.is_(False)


def review_states(access_ids) -> dict[uuid.UUID, dict]:
    """Per access: the supervisors' review state (latest review decides) and whether an auditor reviewed its
    `emergency.open` event, for a whole page in two queries."""
    ids = list(access_ids)
    out = {i: {"state": "unreviewed", "reviews": 0, "last_reviewed_at": None, "audit_reviewed": False}
           for i in ids}
    if not ids:
        return out
    s = db.session()
    for r in s.scalars(select(EmergencyAccessReview).where(EmergencyAccessReview.access_id.in_(ids))
                       .order_by(EmergencyAccessReview.reviewed_at, EmergencyAccessReview.id)):
        st = out[r.access_id]
        st.update(state="confirmed" if r.reason_confirmed else "not_confirmed", reviews=st["reviews"] + 1,
                  last_reviewed_at=r.reviewed_at)
    by_key = {str(i): i for i in ids}
    for resource_id, n in s.execute(
            select(AuditEvent.resource_id, func.count(AuditReview.id))
            .join(AuditReview, AuditReview.event_seq == AuditEvent.seq)
            .where(AuditEvent.action == "emergency.open", AuditEvent.resource_type == "emergency_accesses",
                   AuditEvent.resource_id.in_(list(by_key))).group_by(AuditEvent.resource_id)):
        if resource_id in by_key:
            out[by_key[resource_id]]["audit_reviewed"] = n > 0
    return out


def present(accesses: list[EmergencyAccess], *, with_reviews: bool = False) -> list[dict]:
    """Accesses with their review state (and, for one access, the supervisors' reviews in order)."""
    states = review_states([a.id for a in accesses])
    reviews: dict[uuid.UUID, list[EmergencyAccessReview]] = {}
    users = {}
    if with_reviews and accesses:
        s = db.session()
        for r in s.scalars(select(EmergencyAccessReview)
                           .where(EmergencyAccessReview.access_id.in_([a.id for a in accesses]))
                           .order_by(EmergencyAccessReview.reviewed_at, EmergencyAccessReview.id)):
            reviews.setdefault(r.access_id, []).append(r)
        user_ids = {r.reviewer_user_id for rs in reviews.values() for r in rs}
        users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    out = []
    for a in accesses:
        item = {"id": a.id, "user_id": a.user_id, "org_id": a.org_id, "person_id": a.person_id, "case_id": a.case_id,
                "justification": a.justification, "opened_at": a.opened_at, "expires_at": a.expires_at,
                "closed_at": a.closed_at, "review": states[a.id]}
        if with_reviews:
            item["reviews"] = [present_review(r, users.get(r.reviewer_user_id)) for r in reviews.get(a.id, [])]
        out.append(item)
    return out


def present_review(r: EmergencyAccessReview, reviewer=None) -> dict:
    return {"id": r.id, "access_id": r.access_id, "reason_confirmed": r.reason_confirmed, "note": r.note,
            "reviewed_at": r.reviewed_at, "reviewer": user_ref(reviewer), "reviewer_org_id": r.reviewer_org_id}
