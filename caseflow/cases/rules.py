"""Cases and the stage workflow (the Kumamoto four-stage process, then closure and reopening)."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from caseflow.access import trail
from caseflow.access.sharing import Viewer, visible_case_with_relations
from caseflow.accounts.models import User
from caseflow.cases import people, signals
from caseflow.cases.models import (
    WORKING_RELATIONS,
    Case,
    CaseCounter,
    CaseInvolvement,
    CaseIssue,
    CaseStageChange,
    Household,
    Person,
    ProgressRecord,
)
from caseflow.codes import rules as codes
from caseflow.contacts import rules as contacts
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.jpdate import fiscal_year, fiscal_year_prefix, to_tokyo
from caseflow.intake import escalation

# Legal moves. assessment <-> support is the normal feedback loop; a closed case can be reopened.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "intake": ("referral", "assessment", "closed"),
    "referral": ("assessment", "intake", "closed"),
    "assessment": ("support", "referral", "closed"),
    "support": ("assessment", "closed"),
    "closed": ("intake", "assessment"),
}
STAGE_LABELS = {"intake": "初期接触", "referral": "初期対応・他機関紹介", "assessment": "課題と対応策の詳細検討",
                "support": "役割分担・協働による支援", "closed": "終結"}


def today_tokyo() -> date:
    return to_tokyo(utcnow()).date()


def next_case_number(on: date, municipality_id: uuid.UUID) -> str:
    """<era letter and year of the fiscal year>-<6 digits> (R7-000123, H30-000012: jpdate.fiscal_year_prefix),
    numbered per municipality and Japanese fiscal year without gaps or duplicates."""
    s = db.session()
    fy = fiscal_year(on)
    bump = update(CaseCounter).where(CaseCounter.municipality_id == municipality_id, CaseCounter.fiscal_year == fy) \
        .values(last_number=CaseCounter.last_number + 1).returning(CaseCounter.last_number)
    number = s.execute(bump).scalar()
    if number is None:
        try:
            with s.begin_nested():
                s.add(CaseCounter(municipality_id=municipality_id, fiscal_year=fy, last_number=1))
            number = 1
        except IntegrityError:  # another request created the year's counter first
            number = s.execute(bump).scalar()
    return f"{fiscal_year_prefix(on)}-{number:06d}"


def open_case(data: dict, *, actor) -> Case:
    s = db.session()
    codes.check("intake_channel", "intake_channel", data["intake_channel"])
    codes.check("issue_category", "issues", data.get("issues", []))
    codes.check("district", "district", data.get("district"), municipality_id=actor.municipality_id)
    household = None
    if data.get("household"):
        household = people.create_household(data["household"], actor=actor)
    elif data.get("household_id"):
        household = _own_household(data["household_id"], actor, "household_id")
    primary = None
    if data.get("primary_person_id"):
        primary = _own_person(data["primary_person_id"], actor, "primary_person_id")
    elif household is not None:
        primary = household.in_need_person_id()
    if primary is not None and data.get("contact_id"):
        raise validation_problem({"contact_id": ["相談者は人物を指定しない相談にのみ指定できます。"]})
    if primary is None and not data.get("anonymous_label") and not data.get("contact_id"):
        raise validation_problem({"anonymous_label": ["人物を指定しない相談には呼び名（例: チャット相談の表示名）が必要です。"]})
    lead = _lead_worker(data.get("lead_worker_id"), actor)
    opened = data.get("opened_on") or today_tokyo()
    if opened > today_tokyo():
        raise validation_problem({"opened_on": ["未来の日付は指定できません。"]})
    case = Case(
        municipality_id=actor.municipality_id, case_number=next_case_number(opened, actor.municipality_id),
        owner_org_id=actor.org_id, lead_worker_id=lead,
        household_id=household.id if household else None,
        primary_person_id=primary if isinstance(primary, uuid.UUID) else (primary.id if primary else None),
        anonymous_label=data.get("anonymous_label"), intake_channel=data["intake_channel"],
        urgency=data.get("urgency", "normal"), summary=data.get("summary"), stage="intake",
        district_code=data.get("district") or (household.district_code if household else None), opened_on=opened,
        issue_rows=[CaseIssue(issue_code=c) for c in sorted(set(data.get("issues", [])))],
    )
    s.add(case)
    s.flush()
    s.add(CaseInvolvement(case_id=case.id, org_id=actor.org_id, relation="owner"))
    s.add(CaseStageChange(case_id=case.id, from_stage=None, to_stage="intake", reason="受付",
                          actor_user_id=actor.id, actor_org_id=actor.org_id))
    detail = {"case_number": case.case_number}
    if case.primary_person_id is None:  # anonymous: the case belongs to a contact (相談者), new or named
        detail["contact_id"] = str(contacts.attach_new_case(case, data.get("contact_id"), actor=actor).id)
    trail.record(s, action="cases.create", resource_type="cases", resource_id=case.id, actor=actor, detail=detail)
    if case.urgency == "critical":  # the receiving organisation's duty worker, at once (caseflow.intake.escalation)
        escalation.escalate(case, actor=actor, why="opened")
    return case


def _own_household(household_id, actor, field) -> Household:
    h = db.session().get(Household, household_id)
    if h is None or h.collected_by_org_id != actor.org_id or h.municipality_id != actor.municipality_id:
        raise validation_problem({field: ["指定された世帯は使えません。"]})
    return h


def _own_person(person_id, actor, field) -> Person:
    p = people.own_person(person_id, actor)
    if p is None:
        raise validation_problem({field: ["指定された人物は使えません。"]})
    return p


def _lead_worker(user_id, actor) -> uuid.UUID:
    if user_id is None:
        return actor.id
    user = db.session().get(User, user_id)
    if user is None or user.org_id != actor.org_id or not user.active:
        raise validation_problem({"lead_worker_id": ["自組織の有効な職員を指定してください。"]})
    return user.id


def touch_case(case: Case, now=None) -> None:
    """Record activity on the case (the follow-up lists read it).

    A plain UPDATE, not an ORM change: it does not bump the case's version (its ETag is for edits), so
    concurrent work on one case does not collide; it takes the case's row lock (PostgreSQL), which
    serialises plan creation and assessment numbering per case; and on SQLite it opens the transaction
    before any SAVEPOINT (a SAVEPOINT outside a transaction would commit on RELEASE).
    """
    db.session().execute(update(Case).where(Case.id == case.id).values(last_activity_at=now or utcnow())
                         .execution_options(synchronize_session="fetch"))


def decide_offer(offer, new_state: str, *, actor, reason: str | None, now, what: str, labels: dict) -> None:
    """Move a pending offer (a transfer, a hand-over) to `new_state` by a conditional UPDATE: of two requests
    deciding it at once, one wins and the other gets 409 naming the state it found."""
    model = type(offer)
    s = db.session()
    done = s.execute(update(model).where(model.id == offer.id, model.state == "pending")
                     .values(state=new_state, state_reason=reason, decided_by_user_id=actor.id, decided_at=now)
                     .execution_options(synchronize_session=False)).rowcount
    s.refresh(offer)
    if done != 1:
        raise Problem(409, detail=f"{what}は現在「{labels[offer.state]}」です。", type_="illegal-transition",
                      current_state=offer.state)


def require_owner(case: Case, actor) -> None:
    if case.owner_org_id != actor.org_id:
        raise Problem(403, detail="この操作は担当組織（ケースの主担当）のみ行えます。", type_="forbidden")


def update_case(case: Case, data: dict, *, actor) -> Case:
    require_owner(case, actor)
    if "issues" in data:
        codes.check("issue_category", "issues", data["issues"])
        case.issue_rows = [CaseIssue(issue_code=c) for c in sorted(set(data["issues"]))]
    if "district" in data:
        codes.check("district", "district", data["district"], municipality_id=case.municipality_id)
        case.district_code = data["district"]
    if "lead_worker_id" in data:
        case.lead_worker_id = _lead_worker(data["lead_worker_id"], actor)
    detail: dict = {"changed": sorted(data)}
    if data.get("primary_person_id"):
        person = _own_person(data["primary_person_id"], actor, "primary_person_id")
        if person.id != case.primary_person_id:
            _refuse_relinking(case)
            detail.update(person_from=str(case.primary_person_id) if case.primary_person_id else None,
                          person_to=str(person.id))
            case.primary_person_id = person.id
    if data.get("household_id"):
        case.household_id = _own_household(data["household_id"], actor, "household_id").id
    raised = data.get("urgency") == "critical" and case.urgency != "critical"
    for key in ("urgency", "summary", "anonymous_label"):
        if key in data:
            setattr(case, key, data[key])
    case.last_activity_at = utcnow()
    trail.record(db.session(), action="cases.update", resource_type="cases", resource_id=case.id, actor=actor,
                 detail=detail)
    if raised:
        escalation.escalate(case, actor=actor, why="raised")
    return case


def _refuse_relinking(case: Case) -> None:
    """The person of a contact's case comes from the contact's link act (caseflow.contacts), never from an
    edit; and the person an anonymous case was linked to is never silently overwritten (409)."""
    contact = contacts.contact_of_case(case.id)
    if contact is not None:
        raise Problem(409, detail="匿名の相談者のケースの人物は、相談者の結び付け（POST "
                                  f"/api/v1/contacts/{contact.id}/link、解除は /unlink）で記録してください。",
                      type_="use-contact-link", contact_id=str(contact.id))
    if case.anonymous_label and case.primary_person_id is not None:
        raise Problem(409, detail="このケースは既に人物と結び付いています。上書きはできません。",
                      type_="already-linked")


def transition(case: Case, to: str, *, reason: str | None, closure_reason: str | None, actor) -> CaseStageChange:
    require_owner(case, actor)
    allowed = TRANSITIONS[case.stage]
    if to not in allowed:
        raise Problem(409, detail=f"「{STAGE_LABELS[case.stage]}」から「{STAGE_LABELS.get(to, to)}」へは移せません。",
                      type_="illegal-transition", current_stage=case.stage, allowed=list(allowed))
    if to == "closed":
        if not closure_reason:
            raise validation_problem({"closure_reason": ["終結には終結理由が必要です。"]})
        codes.check("closure_reason", "closure_reason", closure_reason)
    elif closure_reason:
        raise validation_problem({"closure_reason": ["終結以外では指定できません。"]})
    if case.stage == "closed" and not reason:
        raise validation_problem({"reason": ["再開には理由が必要です。"]})
    if to == "support":
        _check_ready_for_support(case)
    change = CaseStageChange(case_id=case.id, from_stage=case.stage, to_stage=to, reason=reason,
                             closure_reason=closure_reason, actor_user_id=actor.id, actor_org_id=actor.org_id)
    db.session().add(change)
    case.stage = to
    case.closure_reason = closure_reason if to == "closed" else None
    case.closed_at = utcnow() if to == "closed" else None
    case.last_activity_at = utcnow()
    trail.record(db.session(), action="cases.transition", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"from": change.from_stage, "to": to})
    return change


def _check_ready_for_support(case: Case) -> None:
    """Moving to support needs a current plan with at least one task owned by an organisation."""
    blockers = signals.support_blockers(case)
    if blockers:
        raise Problem(409, detail=blockers[0], type_="precondition-failed", current_stage=case.stage,
                      allowed=list(TRANSITIONS[case.stage]))


def history(case: Case) -> list[CaseStageChange]:
    return list(db.session().scalars(
        select(CaseStageChange).where(CaseStageChange.case_id == case.id).order_by(CaseStageChange.at,
                                                                                   CaseStageChange.id)))


def add_progress(case: Case, data: dict, *, actor, relations: set[str]) -> ProgressRecord:
    if not relations & set(WORKING_RELATIONS):
        raise Problem(403, detail="支援経過はこのケースに関わる組織のみ記録できます。", type_="forbidden")
    codes.check("progress_kind", "kind", data["kind"])
    if data["occurred_on"] > today_tokyo():
        raise validation_problem({"occurred_on": ["未来の日付は指定できません。"]})
    rec = ProgressRecord(case_id=case.id, org_id=actor.org_id, author_user_id=actor.id, kind=data["kind"],
                         occurred_on=data["occurred_on"], body=data["body"])
    db.session().add(rec)
    touch_case(case)
    db.session().flush()
    trail.record(db.session(), action="progress.create", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"progress_id": str(rec.id)})
    return rec





# The name search. `_text_match` is the rule; everything else here only narrows down, by index, the cases
# it has to be checked for, and never drops one it would accept (tests/test_search.py, tests/test_bench.py).

"""Above this many persons matching a name key (a bounded count), a viewer with a large caseload walks
cases newest first; at or below it the matching persons' cases are looked up by key (`_apply_search`).
Measured at 100k cases (the largest department's coordinator): the walk wins for keys that ~7,000 or more
persons share (ろう, いとう) and loses for ~5,500 (さいとう, もり); it reads ~51 ÷ (visible matching cases ÷ all
cases) cases.
CASEFLOW_LARGE_NAME_MATCH overrides it (the tests set 0 to force the walk)."""


def get_visible_case(viewer: Viewer, case_id: uuid.UUID) -> Case:
    """The case, or 404 when it does not exist or the viewer may not see it (no existence leak)."""
    return get_visible_case_and_relations(viewer, case_id)[0]


def get_visible_case_and_relations(viewer: Viewer, case_id: uuid.UUID) -> tuple[Case, set[str]]:
    """The case and the viewer's relations to it (owner, referral, task, referral_pending, meeting,
    emergency) from one statement, or 404 as `get_visible_case`."""
    found = visible_case_with_relations(viewer, case_id)
    if found is None:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    return found
