"""The case list and the name search: which cases a viewer sees, filtered, newest first, all in SQL."""
from __future__ import annotations

import os
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, any_, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from caseflow.access.sharing import (
    CASE_WORK,
    SHARING_MEETING_KINDS,
    Viewer,
    case_is_visible,
    consent_counts,
    has_large_caseload,
    pledged_attendee,
    pledged_guest,
    secret_from,
    visible_case_ids,
)
from caseflow.cases.models import Case, CaseIssue, HouseholdMember, Person, PersonSearchGram
from caseflow.consents.models import Consent, EmergencyAccess
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.text import gram_prefix_range, like_pattern, query_grams, search_key
from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember


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


LARGE_NAME_MATCH = 6000


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
    so a search never confirms a name the viewer has no basis to know, and never among persons under a
    secrecy decision that does not name the viewer's organisation (住所秘匿: a search by their name finds
    nothing)."""
    key = search_key(q)
    conditions = [Case.case_number == q.strip().upper()]
    if key:
        pattern = like_pattern(key)
        # The primary person, or a current household member, whose name matches and whose identity the
        # viewer may see. Two keyed EXISTS rather than one with `id = primary OR id IN members`, which
        # PostgreSQL can only answer by scanning every person for every case.
        primary = select(Person.id).where(
            Person.id == Case.primary_person_id, Person.search_key.like(pattern, escape="\\"),
            _identity_visible(viewer, now), ~secret_from(viewer))
        member = select(Person.id).join(HouseholdMember, HouseholdMember.person_id == Person.id).where(
            HouseholdMember.household_id == Case.household_id, HouseholdMember.until.is_(None),
            Person.search_key.like(pattern, escape="\\"), _identity_visible(viewer, now), ~secret_from(viewer))
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
    guest = (select(AgendaItem.id).join(Meeting, Meeting.id == AgendaItem.meeting_id)
             .where(AgendaItem.case_id == Case.id, Meeting.kind.in_(SHARING_MEETING_KINDS),
                    Meeting.municipality_id == viewer.municipality_id,
                    Meeting.window_start <= now, Meeting.window_end > now, pledged_guest(viewer))
             .correlate(Case))
    return or_(Person.collected_by_org_id == viewer.org_id, consent.exists(), emergency.exists(), meeting.exists(),
               guest.exists())
