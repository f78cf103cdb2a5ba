"""Confidentiality pledges (守秘義務の誓約): who signs, for which meeting, or for a council's fiscal year.

A fiscal-year pledge covers the meetings of one council in one 年度, never another council's; an invited guest
always signs an individual pledge for the meeting."""
from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from caseflow.access import trail
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem
from caseflow.meetings.councils import shares_without_consent
from caseflow.meetings.models import Council, Meeting, MeetingAttendee, MeetingGuest, Pledge
from caseflow.meetings.rules import PLEDGE_TEXT_VERSION, pledge_text


def _covers(meeting: Meeting):
    """A meeting's own pledge; a fiscal-year pledge of its council only when the meeting takes one (its
    `pledge_scope`): a meeting that requires a per-meeting pledge is never covered by a yearly one."""
    if meeting.pledge_scope != "fiscal_year":
        return Pledge.meeting_id == meeting.id
    return or_(Pledge.meeting_id == meeting.id,
               and_(Pledge.meeting_id.is_(None), Pledge.council_id == meeting.council_id,
                    Pledge.fiscal_year == meeting.fiscal_year))


def _is_guest(meeting: Meeting, user_id: uuid.UUID) -> bool:
    return db.session().scalar(select(MeetingGuest.user_id).where(MeetingGuest.meeting_id == meeting.id,
                                                                  MeetingGuest.user_id == user_id).limit(1)) is not None


def pledge_of(meeting: Meeting, user_id: uuid.UUID) -> Pledge | None:
    """The pledge covering this user for this meeting: the meeting's own, or the council's for its fiscal year
    (for a guest, only the meeting's own)."""
    covers = Pledge.meeting_id == meeting.id if _is_guest(meeting, user_id) else _covers(meeting)
    return db.session().scalar(select(Pledge).where(Pledge.user_id == user_id, covers)
                               .order_by(Pledge.signed_at).limit(1))


def pledged_user_ids(meeting: Meeting, user_ids) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    return set(db.session().scalars(select(Pledge.user_id).where(Pledge.user_id.in_(list(user_ids)),
                                                                 _covers(meeting))))


def sign_pledge(meeting: Meeting, *, actor) -> tuple[Pledge, bool]:
    """守秘義務の誓約 by an attendee or an invited guest: once per meeting, or once per council and fiscal year
    when the council says so (never for a guest). Signing again returns the existing pledge (created=False)."""
    s = db.session()
    attending = s.scalar(select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == meeting.id,
                                                               MeetingAttendee.user_id == actor.id))
    guest = attending is None and _is_guest(meeting, actor.id)
    if attending is None and not guest:
        raise Problem(403, detail="誓約はこの会議の出席者と招へいされた者のみ行えます。", type_="forbidden")
    existing = pledge_of(meeting, actor.id)
    if existing is not None:
        return existing, False
    scope = "meeting" if guest else meeting.pledge_scope
    if scope == "fiscal_year":
        pledge = Pledge(user_id=actor.id, meeting_id=None, council_id=meeting.council_id,
                        fiscal_year=meeting.fiscal_year)
    else:
        pledge = Pledge(user_id=actor.id, meeting_id=meeting.id, council_id=None, fiscal_year=None)
    pledge.pledge_text_version = PLEDGE_TEXT_VERSION
    pledge.signed_at = utcnow()
    try:
        with s.begin_nested():
            s.add(pledge)
    except IntegrityError:  # a concurrent request of the same user signed first
        existing = pledge_of(meeting, actor.id)
        if existing is None:
            raise
        return existing, False
    trail.record(s, action="meetings.pledge", resource_type="meetings", resource_id=meeting.id, actor=actor,
                 detail={"pledge_id": str(pledge.id), "scope": scope, "guest": guest,
                         "council_id": str(meeting.council_id), "fiscal_year": meeting.fiscal_year,
                         "text_version": PLEDGE_TEXT_VERSION})
    return pledge, True


def present_pledge(meeting: Meeting, pledge: Pledge | None) -> dict:
    return {
        "meeting_id": meeting.id, "council_id": meeting.council_id, "required": shares_without_consent(meeting.kind),
        "scope": meeting.pledge_scope,
        "fiscal_year": meeting.fiscal_year, "text": pledge_text(db.session().get(Council, meeting.council_id)), "text_version": PLEDGE_TEXT_VERSION,
        "signed": pledge is not None,
        "pledge": None if pledge is None else {
            "id": pledge.id, "scope": "meeting" if pledge.meeting_id else "fiscal_year",
            "meeting_id": pledge.meeting_id, "council_id": pledge.council_id, "fiscal_year": pledge.fiscal_year,
            "signed_at": pledge.signed_at,
            "text_version": pledge.pledge_text_version},
    }
