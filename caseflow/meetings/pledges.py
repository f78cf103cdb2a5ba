"""Confidentiality pledges (守秘義務の誓約): who signs, for which meeting or fiscal year."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from caseflow.access import trail
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem
from caseflow.meetings.models import Meeting, MeetingAttendee, Pledge
from caseflow.meetings.rules import PLEDGE_TEXT, PLEDGE_TEXT_VERSION, shares_without_consent


def pledge_of(meeting: Meeting, user_id: uuid.UUID) -> Pledge | None:
    """The pledge covering this user for this meeting: the meeting's own, or one for its fiscal year."""
    return db.session().scalar(
        select(Pledge).where(Pledge.user_id == user_id,
                             (Pledge.meeting_id == meeting.id)
                             | (Pledge.meeting_id.is_(None) & (Pledge.fiscal_year == meeting.fiscal_year)))
        .order_by(Pledge.signed_at).limit(1))


def pledged_user_ids(meeting: Meeting, user_ids) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    return set(db.session().scalars(
        select(Pledge.user_id).where(Pledge.user_id.in_(list(user_ids)),
                                     (Pledge.meeting_id == meeting.id)
                                     | (Pledge.meeting_id.is_(None) & (Pledge.fiscal_year == meeting.fiscal_year)))))


def sign_pledge(meeting: Meeting, *, actor) -> tuple[Pledge, bool]:
    """守秘義務の誓約 by an attendee: once per meeting, or once per fiscal year when the meeting says so.
    Signing again returns the existing pledge (created=False)."""
    s = db.session()
    attending = s.scalar(select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == meeting.id,
                                                               MeetingAttendee.user_id == actor.id))
    if attending is None:
        raise Problem(403, detail="誓約はこの会議の出席者のみ行えます。", type_="forbidden")
    existing = pledge_of(meeting, actor.id)
    if existing is not None:
        return existing, False
    if meeting.pledge_scope == "fiscal_year":
        pledge = Pledge(user_id=actor.id, meeting_id=None, fiscal_year=meeting.fiscal_year)
    else:
        pledge = Pledge(user_id=actor.id, meeting_id=meeting.id, fiscal_year=None)
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
                 detail={"pledge_id": str(pledge.id), "scope": meeting.pledge_scope,
                         "fiscal_year": meeting.fiscal_year, "text_version": PLEDGE_TEXT_VERSION})
    return pledge, True


def present_pledge(meeting: Meeting, pledge: Pledge | None) -> dict:
    return {
        "meeting_id": meeting.id, "required": shares_without_consent(meeting.kind), "scope": meeting.pledge_scope,
        "fiscal_year": meeting.fiscal_year, "text": PLEDGE_TEXT, "text_version": PLEDGE_TEXT_VERSION,
        "signed": pledge is not None,
        "pledge": None if pledge is None else {
            "id": pledge.id, "scope": "meeting" if pledge.meeting_id else "fiscal_year",
            "meeting_id": pledge.meeting_id, "fiscal_year": pledge.fiscal_year, "signed_at": pledge.signed_at,
            "text_version": pledge.pledge_text_version},
    }
