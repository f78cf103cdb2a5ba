"""Cases and the stage workflow (the Kumamoto four-stage process, then closure and reopening)."""
from __future__ import annotations

import os
import uuid
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import and_, any_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from caseflow.access import trail
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.codes import rules as codes
from caseflow.cases import people
from caseflow.access.sharing import (CASE_WORK, SHARING_MEETING_KINDS, Viewer, case_is_visible, consent_counts,
                                     has_large_caseload, pledged_attendee, visible_case_ids,
                                     visible_case_with_relations)
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.jpdate import fiscal_year, reiwa_fiscal_year, to_tokyo
from caseflow.accounts.models import User
from caseflow.cases.models import Case, CaseCounter, CaseInvolvement, CaseIssue, CaseStageChange, Household, HouseholdMember, Person, ProgressRecord
from caseflow.cases.models import PersonSearchGram
from caseflow.consents.models import Consent, EmergencyAccess
from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember
from caseflow.core.text import gram_prefix_range, like_pattern, query_grams, search_key

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
    """R<令和年度>-<6 digits>, numbered per municipality and Japanese fiscal year without gaps or duplicates."""
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
    return f"R{reiwa_fiscal_year(on)}-{number:06d}"


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
        primary = people.in_need_person_id(household)
    if primary is None and not data.get("anonymous_label"):
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
    trail.record(s, action="cases.create", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"case_number": case.case_number})
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
    if data.get("primary_person_id"):
        case.primary_person_id = _own_person(data["primary_person_id"], actor, "primary_person_id").id
    if data.get("household_id"):
        case.household_id = _own_household(data["household_id"], actor, "household_id").id
    for key in ("urgency", "summary", "anonymous_label"):
        if key in data:
            setattr(case, key, data[key])
    case.last_activity_at = utcnow()
    trail.record(db.session(), action="cases.update", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"changed": sorted(data)})
    return case


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
    from caseflow.plans import rules as plans

    problem = plans.support_readiness_problem(case)
    if problem:
        raise Problem(409, detail=problem, type_="precondition-failed", current_stage=case.stage,
                      allowed=list(TRANSITIONS[case.stage]))


def history(case: Case) -> list[CaseStageChange]:
    return list(db.session().scalars(
        select(CaseStageChange).where(CaseStageChange.case_id == case.id).order_by(CaseStageChange.at,
                                                                                   CaseStageChange.id)))


def add_progress(case: Case, data: dict, *, actor, relations: set[str]) -> ProgressRecord:
    if not relations & {"owner", "referral", "task"}:
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


# --- listing and search -----------------------------------------------------------------------

def case_list_query(viewer: Viewer, filters: dict, now: datetime | None = None) -> Select:
    """The cases the viewer may see, filtered, in a stable order (newest first). All in SQL.

    Two equivalent forms of the visibility filter, chosen by the organisation's caseload: a small
    visible set is built once and joined (`id IN (…)`); a large one (a department with thousands of
    cases) is probed per case while the newest-first index is walked, so a page costs about the same
    at 10k and at 100k cases. Filters are keyed probes too, never a list of every matching case; the
    name search (`q`) has two plans of its own (`_apply_search`)."""
    now = now or utcnow()
    large = has_large_caseload(viewer)
    stmt = select(Case)
    if not large:
        stmt = stmt.where(_in(Case.id, visible_case_ids(viewer, now)))
    if filters.get("stage"):
        stmt = stmt.where(Case.stage.in_(filters["stage"]))
    if filters.get("issue"):
        stmt = stmt.where(select(CaseIssue.case_id).where(CaseIssue.case_id == Case.id,
                                                          CaseIssue.issue_code.in_(filters["issue"])).exists())
    if filters.get("district"):
        stmt = stmt.where(Case.district_code.in_(filters["district"]))
    if filters.get("owner_org_id"):
        stmt = stmt.where(Case.owner_org_id == filters["owner_org_id"])
    if filters.get("lead_worker_id"):
        stmt = stmt.where(Case.lead_worker_id == filters["lead_worker_id"])
    if filters.get("urgency"):
        stmt = stmt.where(Case.urgency.in_(filters["urgency"]))
    if filters.get("opened_from"):
        stmt = stmt.where(Case.opened_on >= filters["opened_from"])
    if filters.get("opened_to"):
        stmt = stmt.where(Case.opened_on <= filters["opened_to"])
    # The per-case visibility probes after the filters: on a walk the cheaper tests reject most cases first.
    probe = case_is_visible(viewer, now) if large else None
    if filters.get("q"):
        stmt = _apply_search(stmt, viewer, filters["q"], now, probe)
    elif probe is not None:
        stmt = stmt.where(probe)
    return stmt.order_by(Case.opened_on.desc(), Case.id.desc())


# The name search. `_text_match` is the rule; everything else here only narrows down, by index, the cases
# it has to be checked for, and never drops one it would accept (tests/test_search.py, tests/test_bench.py).

LARGE_NAME_MATCH = 6000
"""Above this many persons matching a name key (a bounded count), a viewer with a large caseload walks
cases newest first; at or below it the matching persons' cases are looked up by key (`_apply_search`).
Measured at 100k cases (the largest department's coordinator): the walk wins for keys that ~7,000 or more
persons share (ろう, いとう) and loses for ~5,500 (さいとう, もり); it reads ~51 ÷ (visible matching cases ÷ all
cases) cases.
CASEFLOW_LARGE_NAME_MATCH overrides it (the tests set 0 to force the walk)."""
MAX_QUERY_GRAMS = 6  # a long key is looked up by this many of its trigrams, spread over it


class _NameHits(NamedTuple):
    persons: Select  # ids of the persons whose search key may contain the key (a superset)
    many: bool  # more than LARGE_NAME_MATCH of them, by a bounded count (False when not counted)


def _apply_search(stmt: Select, viewer: Viewer, q: str, now: datetime, visibility_probe) -> Select:
    """`stmt` narrowed to the cases `_text_match` accepts (the rule, identity basis included), by one of
    two plans that return the same rows in the same order.

    The persons whose name or reading contains the key come from the n-gram index (`_name_hits`), not
    from a scan of every person's key. Then either
    * keyed (`_mentions_keyed`): the cases of those persons are looked up by index and the visibility and
      the exact rule are checked for them only -- linear in the matching persons (a common surname: ~1 %
      of all persons, ~2,800 at 100k cases), which is what a viewer who sees thousands of cases needs
      for an ordinary key; or
    * probed (`_mentions_probed`): each case the plan reads is tested against the matching persons
      (a set built once). For a viewer with a small caseload that plan reads the visible set, whatever
      the key; for one with thousands of cases and a key that more than LARGE_NAME_MATCH persons have
      (short keys: ろう, いとう), it walks all cases newest first (ix_cases_opened) and stops after a
      page, which comes soon because matching cases are then dense.

    `visibility_probe` is the per-case visibility test of a large caseload (`case_is_visible`); None for a
    small one, whose visible set `stmt` already holds. It goes after the cheap name test and before the
    costlier identity check (SQLite evaluates them in the order written; PostgreSQL orders by cost)."""
    key = search_key(q)
    number = q.strip().upper()
    visible = [] if visibility_probe is None else [visibility_probe]
    hits = _name_hits(key, count=bool(visible)) if key else None
    if hits is None:  # no person can match: the case number only
        return stmt.where(Case.case_number == number, *visible)
    checks = [*visible, _text_match(viewer, q, now)]
    if not visible or hits.many:
        return stmt.where(_mentions_probed(hits, number), *checks)
    return stmt.where(_mentions_keyed(hits, number), *checks)


def _name_hits(key: str, count: bool) -> _NameHits | None:
    """The persons whose search key may contain `key` (a superset: the exact check is `_text_match`), or
    None when the index shows that no person can. With `count`, whether more than LARGE_NAME_MATCH may.

    * 1 character: no index helps; the substring scan of every key (`ix_persons_search_key_id`).
    * 2 characters: the trigrams that start with the key (`gram_prefix_range`): two characters of a
      name part are followed by a third, or end the part (`ab` + GRAM_END).
    * 3 or more: the persons having the key's rarest trigram, probed by primary key for the others. One
      statement counts each trigram's persons, stopping at LARGE_NAME_MATCH + 1: the smallest count
      picks the driving trigram and bounds the matches; a trigram no one has means no match. (Having
      every trigram does not prove they are contiguous; `_text_match` does.)"""
    cap = int(os.environ.get("CASEFLOW_LARGE_NAME_MATCH", LARGE_NAME_MATCH)) + 1
    if len(key) < 3:
        if len(key) == 1:
            persons = select(Person.id).where(Person.search_key.like(like_pattern(key), escape="\\"))
        else:
            low, high = gram_prefix_range(key)
            persons = select(PersonSearchGram.person_id).where(PersonSearchGram.gram >= low,
                                                               PersonSearchGram.gram < high).distinct()
        many = count and db.session().scalar(_bounded_count(persons, cap)) >= cap
        return _NameHits(persons, many)
    grams = _spread(query_grams(key), MAX_QUERY_GRAMS)
    many = False
    if count or len(grams) > 1:
        counts = db.session().execute(
            select(*(_bounded_count(_persons_with(g), cap).scalar_subquery() for g in grams))).one()
        if min(counts) == 0:
            return None
        grams = [g for _n, g in sorted(zip(counts, grams))]
        many = min(counts) >= cap
    driver = aliased(PersonSearchGram)
    persons = select(driver.person_id).where(driver.gram == grams[0])
    for gram in grams[1:]:
        other = aliased(PersonSearchGram)
        persons = persons.where(select(other.person_id).where(other.gram == gram,
                                                              other.person_id == driver.person_id).exists())
    return _NameHits(persons, many)


def _spread(items: list, n: int) -> list:
    """At most n of the items, evenly spaced, the first and the last included."""
    if len(items) <= n:
        return items
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def _persons_with(gram: str) -> Select:
    return select(PersonSearchGram.person_id).where(PersonSearchGram.gram == gram)


def _bounded_count(rows: Select, cap: int) -> Select:
    """How many rows `rows` has, counting at most `cap` (the database stops reading there)."""
    return select(func.count()).select_from(rows.limit(cap).subquery())


def _mentions_keyed(hits: _NameHits, number: str):
    """SQL: the case is one `_text_match` could accept -- it has the case number, or a matching person as
    primary person or as a current member of its household. Answered from the persons: their cases are
    looked up by index (on SQLite a MULTI-INDEX OR; on PostgreSQL a BitmapOr, see `_in`)."""
    persons = select(hits.persons.cte("name_hits").c[0])
    households = select(HouseholdMember.household_id).where(HouseholdMember.person_id.in_(persons),
                                                            HouseholdMember.until.is_(None))
    return or_(Case.case_number == number, _in(Case.primary_person_id, persons), _in(Case.household_id, households))


def _mentions_probed(hits: _NameHits, number: str):
    """The same condition as `_mentions_keyed`, written as probes of each case: the primary person in
    the set of matching persons (built once), a current household member in it (a keyed EXISTS). No
    index of cases can answer these, so the rest of the statement drives: the visible set (small
    caseload), or the ORDER BY index ix_cases_opened, newest first, up to the page's LIMIT (large)."""
    name_hits = hits.persons.cte("name_hits")
    primary = select(name_hits.c[0]).where(name_hits.c[0] == Case.primary_person_id)
    member = select(HouseholdMember.id).where(HouseholdMember.household_id == Case.household_id,
                                              HouseholdMember.until.is_(None),
                                              HouseholdMember.person_id.in_(select(name_hits.c[0])))
    return or_(Case.case_number == number, primary.exists(), member.exists())


def _in(column, ids: Select):
    """`column IN (ids)`. On PostgreSQL written `column = ANY(ARRAY(ids))`: the same rows, but the planner
    then fetches by key, where for IN it hashes the set and scans the whole table (measured at 100k
    cases: NPO list 22 -> 8 ms, a common-surname search 186 -> 69 ms; benchmarks/README.md)."""
    if db.session().get_bind().dialect.name == "postgresql":
        return column == any_(func.array(ids.scalar_subquery()))
    return column.in_(ids)


def _text_match(viewer: Viewer, q: str, now: datetime):
    """Case number, or a person's name/reading -- only among persons whose identity the viewer may see,
    so a search never confirms a name the viewer has no basis to know."""
    key = search_key(q)
    conditions = [Case.case_number == q.strip().upper()]
    if key:
        pattern = like_pattern(key)
        # The primary person, or a current household member, whose name matches and whose identity the
        # viewer may see. Two keyed EXISTS rather than one with `id = primary OR id IN members`, which
        # PostgreSQL can only answer by scanning every person for every case.
        primary = select(Person.id).where(
            Person.id == Case.primary_person_id, Person.search_key.like(pattern, escape="\\"),
            _identity_visible(viewer, now))
        member = select(Person.id).join(HouseholdMember, HouseholdMember.person_id == Person.id).where(
            HouseholdMember.household_id == Case.household_id, HouseholdMember.until.is_(None),
            Person.search_key.like(pattern, escape="\\"), _identity_visible(viewer, now))
        conditions += [primary.exists(), member.exists()]
    return or_(*conditions)


def _identity_visible(viewer: Viewer, now: datetime):
    """SQL: the viewer has a basis for the identity of `Person` in the context of `Case` (case work)."""
    consent = select(Consent.id).where(consent_counts(viewer, "identity", CASE_WORK, now))
    emergency = select(EmergencyAccess.id).where(
        EmergencyAccess.person_id == Person.id, EmergencyAccess.user_id == viewer.user_id,
        EmergencyAccess.opened_at <= now, EmergencyAccess.expires_at > now, EmergencyAccess.closed_at.is_(None))
    meeting = (select(AgendaItem.id).join(Meeting, Meeting.id == AgendaItem.meeting_id)
               .join(MeetingMember, and_(MeetingMember.meeting_id == Meeting.id,
                                         MeetingMember.org_id == viewer.org_id))
               .where(AgendaItem.case_id == Case.id, Meeting.kind.in_(SHARING_MEETING_KINDS),
                      Meeting.municipality_id == viewer.municipality_id,
                      Meeting.window_start <= now, Meeting.window_end > now,
                      pledged_attendee(viewer))
               .correlate(Case))
    return or_(Person.collected_by_org_id == viewer.org_id, consent.exists(), emergency.exists(), meeting.exists())


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
