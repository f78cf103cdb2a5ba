from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import (
    select,
)

from caseflow.access import trail
from caseflow.audit.models import AuditEvent, AuditReview
from caseflow.audit.queries import E, Tenant
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem


def get_event(seq: int, tenant: Tenant) -> AuditEvent:
    """One event of the tenant; 404 for any other (no existence leak across municipalities)."""
    session = db.session()
    event = session.scalar(select(E).where(E.seq == seq, tenant.events()))
    if event is None:
        raise Problem(404, detail="指定された監査記録は存在しません。")
    return event


def add_review(seq: int, reviewer, comment: str, *, tenant: Tenant) -> AuditReview:
    """Mark an event reviewed. The review is itself audited, with a hash of its comment."""
    session = db.session()
    event = get_event(seq, tenant)
    if event.actor_user_id is not None and event.actor_user_id == reviewer.id:
        raise Problem(409, detail="自分自身の操作の記録はレビューできません（職務の分離）。", type_="self-review")
    review = AuditReview(id=uuid.uuid4(), event_seq=seq, reviewer_user_id=reviewer.id,
                         reviewer_org_id=reviewer.org_id, comment=comment, reviewed_at=utcnow())
    session.add(review)
    trail.record(session, action="audit.review", resource_type="audit_events", resource_id=seq, actor=reviewer,
                 detail={"review_id": str(review.id), "flagged_event": bool(event.flagged),
                         "comment_sha256": hashlib.sha256(comment.encode("utf-8")).hexdigest()})
    return review


def reviews_of(seq: int, *, tenant: Tenant) -> list[AuditReview]:
    session = db.session()
    get_event(seq, tenant)
    return list(session.scalars(select(AuditReview).where(AuditReview.event_seq == seq)
                                .order_by(AuditReview.reviewed_at, AuditReview.id)))
