"""Referrals between agencies (初期対応／他機関紹介): send, answer, follow up; inbox, outbox, suggestions.

States: `pending` → `accepted` | `declined` (reason required) | `withdrawn` (by the sender);
`accepted` → `completed`. Only the receiving organisation accepts, declines and completes; only the
sending organisation withdraws. A referral you cannot see answers 404; one you can see but may not act
on answers 403; an action the current state does not allow answers 409 with `current_state` and
`allowed` (the actions your organisation may take now). Simultaneous answers are race-safe: exactly one
wins, the others get 409.
"""
from __future__ import annotations

import contextlib
import uuid

from flask_login import current_user

from caseflow.access import authz
from caseflow.access.authz import requires
from caseflow.access.requests import record_read, viewer
from caseflow.access.sharing import relations_to_cases
from caseflow.cases import rules as case_domain
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.errors import Problem
from caseflow.core.pagination import paginate
from caseflow.organizations import directory
from caseflow.referrals import rules as referral_domain
from caseflow.referrals.schemas import (
    ReferralActionSchema,
    ReferralCountsSchema,
    ReferralCreateSchema,
    ReferralPageSchema,
    ReferralQuerySchema,
    ReferralSchema,
    SuggestionListSchema,
    SuggestionQuerySchema,
)

blp = Blueprint("referrals", __name__, url_prefix="/api/v1/referrals",
                description="Referrals between agencies (初期対応／他機関紹介)")


@contextlib.contextmanager
def _audit_refusal(action: str, resource_id=None):
    """Domain 403s (wrong side of the referral, not involved in the case) enter the audit trail as denied
    attempts, like the role check's refusals."""
    try:
        yield
    except Problem as exc:
        if exc.status == 403:
            authz.deny(action, "referrals", resource_id)
            exc.audited = True  # recorded under its own action name; not again by the generic hook
        raise


def _detail(ref, status: int = 200):
    items, log = referral_domain.present(viewer(), [ref], detail=True, today=case_domain.today_tokyo())
    record_read("referrals.read", "referrals", ref.id, log)
    return items[0], status


@blp.route("")
@requires("referrals", "read")
@blp.arguments(ReferralQuerySchema, location="query")
@blp.response(200, ReferralPageSchema)
def list_referrals(args):
    """Inbox, outbox, or all referrals you may see.

    `box=inbox`: sent to your organisation; `box=outbox`: sent by it; `box=all` (default): also those of
    cases your organisation works on.

    Order: pending first, and among them overdue ones (reply due before today, Asia/Tokyo) first, then
    by urgency and due date; answered referrals after, most recently changed first. Filters: `state`,
    `urgency` (repeatable), `case_id`, `overdue`. Each item carries the de-identified case facts; the
    primary person's name appears only where your organisation has a basis for it."""
    today = case_domain.today_tokyo()
    page = paginate(referral_domain.list_query(viewer(), args, today), args["limit"], args["offset"])
    items, log = referral_domain.present(viewer(), page["items"], detail=False, today=today)
    record_read("referrals.list", "referrals", None, log, detail={"count": len(items), "box": args["box"]})
    return {**page, "items": items}


@blp.route("", methods=["POST"])
@requires("referrals", "create")
@blp.arguments(ReferralCreateSchema)
@blp.response(201, ReferralSchema)
def create_referral(body):
    """Refer a case to another organisation.

    From the case's owner or any organisation involved in it (owner / accepted referral / task). `reason` and `requested_support` are shown to the receiving
    organisation before it accepts, so they must not name the person. A second pending referral of the
    same case to the same organisation answers 409 (`duplicate-referral`, with `existing_referral_id`); a
    closed case cannot be referred (409)."""
    with _audit_refusal("create"):
        ref = referral_domain.create_referral(body, actor=current_user, today=case_domain.today_tokyo())
    db.session().flush()
    return _detail(ref, 201)


@blp.route("/counts")
@requires("referrals", "read")
@blp.response(200, ReferralCountsSchema)
def referral_counts():
    """Dashboard counts of your inbox and outbox.

    pending, overdue (pending and past the reply date, Asia/Tokyo) and accepted (in progress)."""
    return referral_domain.counts(viewer(), case_domain.today_tokyo())


@blp.route("/suggestions")
@requires("referrals", "read")
@blp.arguments(SuggestionQuerySchema, location="query")
@blp.response(200, SuggestionListSchema)
def referral_suggestions(args):
    """Organisations that fit a case, best first, with reasons and caveats (Japanese).

    Scored from the directory: matching fields of activity (3 points each), languages the case's persons
    need (2 each), LGBTQ+ expertise when the case has the lgbtq issue (2), service area (1), eligible age
    range (1), accepting (1; full −3, paused −5), takes consultations (1; otherwise −2), joint support (1).
    Left out: your own organisation, organisations already holding a pending or accepted referral for the
    case, those whose service area or age range excludes the case, and those with no matching field,
    language or LGBTQ+ expertise. For organisations involved in the case (those who may refer it)."""
    v = viewer()
    case = case_domain.get_visible_case(v, args["case_id"])
    if not relations_to_cases(v, [case.id]).get(case.id, set()) & referral_domain.INVOLVED:
        authz.deny("suggest", "referrals", case.id)
        raise Problem(403, detail="紹介先の候補はケースに関わっている組織のみ表示できます。", type_="forbidden")
    items = directory.suggest(case, viewer_org_id=v.org_id, today=case_domain.today_tokyo(), limit=args["limit"])
    return {"case_id": case.id, "items": items}


@blp.route("/<uuid:referral_id>")
@requires("referrals", "read")
@blp.response(200, ReferralSchema)
def get_referral(referral_id):
    """One referral with its history and the case as you may see it.

    `events`: who changed it, when, why. Before accepting, and without a sharing basis, the case is only
    the de-identified view (persons `redacted`)."""
    return _detail(referral_domain.get_visible_referral(viewer(), referral_id))


def _act(referral_id: uuid.UUID, action: str, body: dict):
    ref = referral_domain.get_visible_referral(viewer(), referral_id)
    with _audit_refusal(action, ref.id):
        referral_domain.change_state(ref, action, reason=(body or {}).get("reason"), actor=current_user)
    return _detail(ref)


@blp.route("/<uuid:referral_id>/accept", methods=["POST"])
@requires("referrals", "respond")
@blp.arguments(ReferralActionSchema, required=False)
@blp.response(200, ReferralSchema)
def accept_referral(body, referral_id):
    """Accept (receiving organisation, pending only).

    Your organisation becomes involved in the case (relation `referral`); which personal data it then
    sees is still decided by the sharing rules."""
    return _act(referral_id, "accept", body)


@blp.route("/<uuid:referral_id>/decline", methods=["POST"])
@requires("referrals", "respond")
@blp.arguments(ReferralActionSchema)
@blp.response(200, ReferralSchema)
def decline_referral(body, referral_id):
    """Decline (receiving organisation, pending only); `reason` is required."""
    return _act(referral_id, "decline", body)


@blp.route("/<uuid:referral_id>/withdraw", methods=["POST"])
@requires("referrals", "create")
@blp.arguments(ReferralActionSchema, required=False)
@blp.response(200, ReferralSchema)
def withdraw_referral(body, referral_id):
    """Withdraw (sending organisation, pending only); `reason` optional."""
    return _act(referral_id, "withdraw", body)


@blp.route("/<uuid:referral_id>/complete", methods=["POST"])
@requires("referrals", "respond")
@blp.arguments(ReferralActionSchema, required=False)
@blp.response(200, ReferralSchema)
def complete_referral(body, referral_id):
    """Complete: the requested support is done (receiving organisation, accepted only).

    This ends the involvement the acceptance created: the organisation no longer sees the case through
    this referral (it keeps the referral and its own records); the case's organisations refer again if
    needed."""
    return _act(referral_id, "complete", body)
