"""Immediate escalation: a case opened or raised to urgency `critical` notifies the duty worker of the organisation
that owns it -- a `notifications` row in the case's own unit of work, and an e-mail sent as soon as that unit of
work is committed (the request's teardown; `caseflow notifications retry` for what could not be sent). The mail
holds no personal data: the case id and a link. A failing SMTP server leaves the notification undelivered and
never the case unsaved."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from caseflow.access import trail
from caseflow.accounts.models import User
from caseflow.cases.models import Case
from caseflow.core import db
from caseflow.core.db import new_id, utcnow
from caseflow.intake.models import DutyAssignment, Notification

_STAGED = "caseflow.notifications_staged"  # made in the open transaction
_READY = "caseflow.notifications_ready"    # committed: to send

REASON_CRITICAL = "critical"


def escalate(case: Case, *, actor, why: str) -> Notification | None:
    """Notify the duty worker of the case's owner organisation (none on duty: an audit event says so, with
    `duty_worker: null`; nothing to send)."""
    s = db.session()
    # Never flush the caller's unit of work from here: open_case's stage change may still be adjusted before it
    # is written (the stage history is immutable once flushed).
    with s.no_autoflush:
        duty = s.get(DutyAssignment, case.owner_org_id)
    if duty is None:
        trail.record(s, action="notifications.create", resource_type="cases", resource_id=case.id, actor=actor,
                     municipality_id=case.municipality_id,
                     detail={"reason": REASON_CRITICAL, "why": why, "duty_worker": None})
        return None
    note = Notification(id=new_id(), municipality_id=case.municipality_id, recipient_user_id=duty.user_id,
                        org_id=case.owner_org_id, case_id=case.id, reason=REASON_CRITICAL, attempts=0)
    s.add(note)
    s.info.setdefault(_STAGED, []).append(note.id)
    trail.record(s, action="notifications.create", resource_type="notifications", resource_id=note.id, actor=actor,
                 municipality_id=case.municipality_id,
                 detail={"case_id": str(case.id), "reason": REASON_CRITICAL, "why": why,
                         "recipient_user_id": str(duty.user_id)})
    return note


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    staged = session.info.pop(_STAGED, None)
    if staged:
        session.info.setdefault(_READY, []).extend(staged)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous) -> None:
    session.info.pop(_STAGED, None)


def deliver_ready() -> int:
    """Send what the committed unit of work notified (called once the request is done)."""
    s = db.session()
    ids = s.info.pop(_READY, None)
    if not ids:
        return 0
    notes = list(s.scalars(select(Notification).where(Notification.id.in_(ids), Notification.delivered_at.is_(None))))
    return deliver(notes)


def undelivered() -> list[Notification]:
    return list(db.session().scalars(select(Notification).where(Notification.delivered_at.is_(None))
                                     .order_by(Notification.created_at, Notification.id)))


def deliver(notes: list[Notification]) -> int:
    """E-mail each notification to its recipient and mark it delivered; a failure is kept on the row (no
    personal data: the exception's class and the SMTP reply code) and the row stays undelivered. Commits."""
    s = db.session()
    sent = 0
    for note in notes:
        note.attempts += 1
        try:
            _send(note)
        except (OSError, smtplib.SMTPException) as exc:
            note.last_error = f"{type(exc).__name__}: {getattr(exc, 'smtp_code', '')}".rstrip(": ")
            trail.record(s, action="notifications.deliver", resource_type="notifications", resource_id=note.id,
                         municipality_id=note.municipality_id,
                         detail={"case_id": str(note.case_id), "delivered": False, "error": note.last_error,
                                 "attempt": note.attempts})
        else:
            note.delivered_at, note.last_error = utcnow(), None
            sent += 1
            trail.record(s, action="notifications.deliver", resource_type="notifications", resource_id=note.id,
                         municipality_id=note.municipality_id,
                         detail={"case_id": str(note.case_id), "delivered": True, "attempt": note.attempts})
        s.commit()
    return sent


def _send(note: Notification) -> None:
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        raise smtplib.SMTPException("no SMTP server configured (CASEFLOW_SMTP_HOST)")
    recipient = db.session().get(User, note.recipient_user_id)
    link = f"{cfg.get('PUBLIC_URL', '').rstrip('/')}/api/v1/cases/{note.case_id}"
    msg = EmailMessage()
    msg["Subject"] = "【caseflow】緊急度「至急」の相談があります"
    msg["From"] = cfg["SMTP_FROM"]
    msg["To"] = recipient.email
    msg["X-Caseflow-Notification"] = str(note.id)
    msg.set_content("当番の担当者さま\n\n緊急度「至急」（critical）のケースがあります。すぐに確認してください。\n\n"
                    f"ケースID: {note.case_id}\n{link}\n\n"
                    "このメールには個人情報を含めていません。内容は caseflow にログインして確認してください。\n")
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT"]) as smtp:
        smtp.send_message(msg)


def init_app(app) -> None:
    @app.teardown_request
    def _deliver(exc):
        if exc is None:
            try:
                deliver_ready()
            except Exception:  # never break the finished request; the CLI retries what stays undelivered
                app.logger.exception("notification delivery failed")
