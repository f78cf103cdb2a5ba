"""Retention (保存年限): the schedule, legal holds, the plan of what is due, and the purge.

The schedule
------------
A closed case is kept for a number of years counted from its closure (cases.closed_at); the years depend on its
issue categories: the longest entry among the case's categories applies, else `default`. The defaults below are
a starting point to be confirmed by each municipality against its own 文書管理規程 (docs/retention.md):

* ``default`` 5 years -- 生活困窮者自立支援制度 の「自立相談支援事業の手引き」(厚生労働省) keeps 支援記録 for
  5 years after 支援終結; most municipal 文書管理規程 file individual case records (ケース記録) as 5年保存.
* ``abuse`` 25 years -- 児童相談所運営指針 (厚生労働省): the 児童記録票 is kept at least until the child is 25,
  and abuse cases longer; a case does not record the child's age at closure here, so a fixed 25 years covers a
  newborn. 要保護児童対策地域協議会 records follow the same practice.
* ``dv``, ``young_carer``, ``futoko``, ``bullying``, ``child_rearing``, ``single_parent`` 10 years -- child- and
  DV-related support, often reopened years later (a child's school years; 住民基本台帳の支援措置 renewals);
  a longer period than the general rule, shorter than child protection.

A deployment overrides entries with CASEFLOW_RETENTION_YEARS, e.g. ``default=5,abuse=30`` (config
RETENTION_YEARS, a string or a dict). Every purge records the rule and years it applied in the tombstone and the
audit trail, so a shortened schedule is visible afterwards.

A legal hold (訴訟・開示請求対応, an open LegalHold) suspends the schedule for its case. A reopened case is not
closed, so it is never due.

The purge
---------
`purge()` handles due cases in batches, one transaction per batch (resumable: a batch commits whole or not at
all, and a rerun picks up the cases not yet purged; a second run finds nothing). For each case it blanks the
free text of the case and its records (summary, stage-change reasons, progress bodies, referral texts,
assessment texts, plan texts, the case's agenda items, minutes and decisions, emergency-access
justifications) and, for each person who belongs to no live case any more, the person's personal columns,
search grams, the household's address (when no live case uses the household), the personal fields of the
person's consents and the reasons of the person's contact link acts; a contact (相談者) none of whose cases is
live any more loses its handle. Rows stay: the case keeps its number, dates, stage history (to/from stage, closure reason,
time) and issue categories, the person keeps birth year (age band) and languages, so the KPI report of past
years gives the same numbers and no foreign key breaks.

Several of these tables are guarded by database triggers (caseflow.core.dbguards). The purge lifts the guards of
exactly those tables inside its batch transaction and installs them again before the commit: the triggers are
off only for the purge's own writes (PostgreSQL takes an exclusive lock on a table whose triggers change, so no
other transaction writes meanwhile; SQLite has one writer at a time), and a failed batch rolls the triggers back
with everything else. Each batch records an audit event naming the tables whose guards it lifted, and one event
per purged case and person (ids, rule, years, counts; never a personal value).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Table, delete, insert, select, update

from caseflow.access import trail
from caseflow.access.sharing import Viewer
from caseflow.cases import people
from caseflow.cases.models import Case, CaseIssue, HouseholdMember
from caseflow.core import db, dbguards
from caseflow.core.db import Base, utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.retention.models import (
    DELETION_GROUNDS,
    HOLD_REASONS,
    CasePurge,
    DeletionRequest,
    LegalHold,
    PersonPurge,
)

DEFAULT_SCHEDULE: dict[str, int] = {
    "default": 5,
    "abuse": 25,
    "dv": 10,
    "young_carer": 10,
    "futoko": 10,
    "bullying": 10,
    "child_rearing": 10,
    "single_parent": 10,
}

# Free text of a case's own records: (table, the column naming the case, the columns blanked).
CASE_TEXT = (
    ("cases", "id", ("summary", "anonymous_label")),
    ("case_stage_changes", "case_id", ("reason",)),
    ("case_transfers", "case_id", ("reason", "state_reason")),
    ("lead_handovers", "case_id", ("reason", "state_reason")),
    ("progress_records", "case_id", ("body",)),
    ("referrals", "case_id", ("reason", "requested_support", "state_reason")),
    ("assessments", "case_id", ("strengths", "wishes", "issues_note", "goals")),
    ("support_plans", "case_id", ("policy",)),
    ("plan_tasks", "case_id", ("title", "description", "result_note")),
    ("agenda_items", "case_id", ("topic", "points")),
    ("meeting_decisions", "case_id", ("title",)),
    ("emergency_accesses", "case_id", ("justification",)),
    ("case_reporters", "case_id", ("name", "contact", "relationship_to_household", "note")),  # a third party's data
)
# Free text of records one step further: (table, its column, parent table, the parent's column naming the case,
# the columns blanked): rows whose `column` is the id of a parent row of the case.
CHILD_TEXT = (
    ("referral_events", "referral_id", "referrals", "case_id", ("reason",)),
    ("assessment_domains", "assessment_id", "assessments", "case_id", ("note",)),
    ("assessment_contributions", "assessment_id", "assessments", "case_id", ("note",)),
    ("plan_goals", "plan_id", "support_plans", "case_id", ("text",)),
    ("meeting_minutes", "agenda_item_id", "agenda_items", "case_id", ("body",)),
    ("minutes_corrections", "agenda_item_id", "agenda_items", "case_id", ("body", "reason")),
)
PERSON_COLUMNS = ("name", "name_kana", "birth_date", "gender", "address", "phone", "email", "line_id",
                  "contact_preferences", "sensitive", "notes", "search_key")
# A secrecy decision's free text (why the person is protected) goes with the person; the decision's dates stay.
SECRECY_COLUMNS = ("reason", "end_reason")
CONSENT_COLUMNS = ("given_by", "representative_relationship", "form_reference", "obtained_place", "revoke_reason")
# What a NOT NULL column becomes (else the empty string).
BLANK = {("persons", "sensitive"): "{}", ("assessments", "goals"): "[]"}
# The guarded tables a purge writes to: their guards are lifted inside the batch transaction.
GUARDED = tuple(t for t in dbguards.GUARDS if t in {
    *(t for t, _c, _cols in CASE_TEXT), *(t for t, *_rest in CHILD_TEXT), "consents", "secrecy_decisions",
    "contact_links"})
# 相談者 (caseflow.contacts): the reasons of a person's link acts go with the person; a contact's handle goes when
# every case of the contact is purged (a LINE display name may be a real one).
CONTACT_LINK_COLUMNS = ("reason",)

PURGED_BY_MAX = 100
DELETION_RULE = "deletion_request"  # the rule of a case purged on a person's 消去請求


# --- the schedule ----------------------------------------------------------------------------------

def schedule(config) -> dict[str, int]:
    """The schedule in force: the defaults with the configured entries over them."""
    raw = config.get("RETENTION_YEARS") if config is not None else None
    out = dict(DEFAULT_SCHEDULE)
    if not raw:
        return out
    items = raw.items() if isinstance(raw, dict) else (
        part.split("=", 1) for part in str(raw).split(",") if part.strip())
    for item in items:
        try:
            key, years = item
            key, years = str(key).strip(), int(years)
        except ValueError:
            raise validation_problem({"retention_years": ["保存年限の設定は「分類=年数」をカンマで区切って指定してください。"]}) from None
        if not key or years < 0 or years > 100:
            raise validation_problem({"retention_years": ["保存年限は0〜100年で指定してください。"]})
        out[key] = years
    return out


def rule_for(issues, sched: dict[str, int]) -> tuple[str, int]:
    """The entry that applies to a case with these issue categories: the longest of theirs, else default."""
    best = ("default", sched["default"])
    for code in sorted(issues):
        if code in sched and sched[code] > best[1]:
            best = (code, sched[code])
    return best


def add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


@dataclass
class Due:
    case_id: uuid.UUID
    municipality_id: uuid.UUID
    case_number: str
    closed_at: datetime
    rule: str
    years: int


def due_cases(now: datetime, sched: dict[str, int], *, municipality_id=None) -> tuple[list[Due], int]:
    """Closed cases past their retention and not yet purged, oldest closure first; and how many more would be
    due but are on legal hold."""
    session = db.session()
    purged = select(CasePurge.case_id)
    held = select(LegalHold.case_id).where(LegalHold.released_at.is_(None))
    q = (select(Case.id, Case.municipality_id, Case.case_number, Case.closed_at, Case.id.in_(held))
         .where(Case.stage == "closed", Case.closed_at.is_not(None), Case.id.not_in(purged))
         .order_by(Case.closed_at, Case.id))
    if municipality_id is not None:
        q = q.where(Case.municipality_id == municipality_id)
    rows = session.execute(q).all()
    issues: dict = {}
    ids = [r[0] for r in rows]
    for chunk in _chunks(ids, 500):
        for case_id, code in session.execute(select(CaseIssue.case_id, CaseIssue.issue_code)
                                             .where(CaseIssue.case_id.in_(chunk))):
            issues.setdefault(case_id, []).append(code)
    due, on_hold = [], 0
    for case_id, muni, number, closed_at, is_held in rows:
        rule, years = rule_for(issues.get(case_id, ()), sched)
        if add_years(closed_at, years) > now:
            continue
        if is_held:
            on_hold += 1
            continue
        due.append(Due(case_id, muni, number, closed_at, rule, years))
    # 利用停止・消去請求: an approved request purges the cases the person is the primary person of, whatever
    # their stage or age (a legal hold still wins)
    listed = {d.case_id for d in due}
    approved = select(DeletionRequest.person_id).where(DeletionRequest.state == "approved")
    q = (select(Case.id, Case.municipality_id, Case.case_number, Case.closed_at, Case.id.in_(held))
         .where(Case.primary_person_id.in_(approved), Case.id.not_in(purged)).order_by(Case.opened_on, Case.id))
    if municipality_id is not None:
        q = q.where(Case.municipality_id == municipality_id)
    for case_id, muni, number, closed_at, is_held in session.execute(q):
        if case_id in listed:
            continue
        if is_held:
            on_hold += 1
        else:
            due.append(Due(case_id, muni, number, closed_at, DELETION_RULE, 0))
    return due, on_hold


def plan(now: datetime, sched: dict[str, int], *, municipality_id=None) -> dict:
    """What a purge at `now` would remove: counts only (no personal data, no case numbers)."""
    due, on_hold = due_cases(now, sched, municipality_id=municipality_id)
    by_rule: dict[str, int] = {}
    for d in due:
        key = f"{d.rule} ({d.years}年)"
        by_rule[key] = by_rule.get(key, 0) + 1
    persons, households = _freed({d.case_id for d in due})
    q = select(DeletionRequest.id).where(DeletionRequest.state == "approved")
    if municipality_id is not None:
        q = q.where(DeletionRequest.municipality_id == municipality_id)
    requests = len(db.session().scalars(q).all())
    return {"requests": requests,"cases": len(due), "by_rule": dict(sorted(by_rule.items())), "persons": len(persons),
            "households": len(households), "on_hold": on_hold, "schedule": sched}


# --- the purge -------------------------------------------------------------------------------------

@dataclass
class PurgeResult:
    cases: int = 0
    persons: int = 0
    households: int = 0
    batches: int = 0
    on_hold: int = 0
    requests: int = 0
    requests_on_hold: int = 0
    by_rule: dict = field(default_factory=dict)


def purge(now: datetime, sched: dict[str, int], *, by: str, batch: int = 100, municipality_id=None,
          limit: int | None = None, progress: Callable[[int, int, PurgeResult], None] | None = None) -> PurgeResult:
    """Purge every due case (at most `limit`), `batch` cases per transaction; `progress(done, total, result)`
    after each committed batch. Safe to rerun: what is purged is not due any more."""
    by = (by or "").strip()[:PURGED_BY_MAX]
    if not by:
        raise validation_problem({"by": ["消去を実行する担当者を指定してください。"]})
    if not 1 <= batch <= 500:
        raise validation_problem({"batch": ["バッチの件数は1〜500で指定してください。"]})
    due, on_hold = due_cases(now, sched, municipality_id=municipality_id)
    if limit is not None:
        due = due[:limit]
    result = PurgeResult(on_hold=on_hold)
    session = db.session()
    for chunk in _chunks(due, batch):
        try:
            _purge_batch(session, chunk, by, result)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        result.batches += 1
        if progress is not None:
            progress(result.cases, len(due), result)
    try:
        _finish_requests(session, by, result, municipality_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _finish_requests(session, by: str, result: PurgeResult, municipality_id) -> None:
    """Carry out the approved deletion requests whose cases are purged: the person's data goes even when the
    person is still a member of another household's live case (the household's own data stays for that case)."""
    q = select(DeletionRequest).where(DeletionRequest.state == "approved").order_by(DeletionRequest.requested_at)
    if municipality_id is not None:
        q = q.where(DeletionRequest.municipality_id == municipality_id)
    requests = session.scalars(q).all()
    held = select(LegalHold.case_id).where(LegalHold.released_at.is_(None))
    ready = [r for r in requests if not session.scalar(select(Case.id).where(
        Case.primary_person_id == r.person_id, Case.id.in_(held)).limit(1))]
    result.requests_on_hold = len(requests) - len(ready)
    if not ready:
        return
    conn = session.connection()
    at = utcnow()
    person_ids = sorted({r.person_id for r in ready})
    already = set(session.scalars(select(PersonPurge.person_id).where(PersonPurge.person_id.in_(person_ids))))
    fresh = [p for p in person_ids if p not in already]
    for table in GUARDED:
        dbguards.uninstall(conn, table)
    _scrub_persons(session, fresh)
    households = _dead_households(session, fresh)
    _scrub_households(session, households)
    for table in GUARDED:
        dbguards.install(conn, table)
    if fresh:
        session.execute(insert(PersonPurge), [{"person_id": p, "case_id": None, "purged_at": at} for p in fresh])
    for r in ready:
        r.state = "purged"
        r.purged_at = at
        trail.record(session, action="retention.deletion_purged", resource_type="deletion_request", resource_id=r.id,
                     detail={"request_id": str(r.id), "person_id": str(r.person_id), "by": by},
                     municipality_id=r.municipality_id)
        if r.person_id in fresh:
            trail.record(session, action="retention.purge_person", resource_type="person", resource_id=r.person_id,
                         detail={"request_id": str(r.id), "by": by}, municipality_id=r.municipality_id)
    result.persons += len(fresh)
    result.households += len(households)
    result.requests += len(ready)


def _dead_households(session, person_ids) -> set:
    """Households the persons are members of that no live (unpurged) case uses."""
    if not person_ids:
        return set()
    purged_cases = select(CasePurge.case_id)
    households = set()
    for chunk in _chunks(person_ids, 500):
        households.update(session.scalars(select(HouseholdMember.household_id)
                                          .where(HouseholdMember.person_id.in_(chunk))))
    live = set()
    for chunk in _chunks(sorted(households), 500):
        live.update(session.scalars(select(Case.household_id).where(Case.household_id.in_(chunk),
                                                                    Case.id.not_in(purged_cases))))
    return households - live


def _purge_batch(session, chunk: list[Due], by: str, result: PurgeResult) -> None:
    conn = session.connection()
    case_ids = [d.case_id for d in chunk]
    persons, households = _freed(set(case_ids))
    at = utcnow()
    for table in GUARDED:
        dbguards.uninstall(conn, table)

    for name, key, columns in CASE_TEXT:
        t = _table(name)
        session.execute(update(t).where(t.c[key].in_(case_ids)).values(_blank(t, columns)))
    for name, column, parent, parent_key, columns in CHILD_TEXT:
        t, p = _table(name), _table(parent)
        session.execute(update(t).where(t.c[column].in_(select(p.c.id).where(p.c[parent_key].in_(case_ids))))
                        .values(_blank(t, columns)))
    _scrub_contacts(session, case_ids)
    person_ids = sorted(persons)
    freed_by = {}
    for pid, case_id in persons.items():
        freed_by[pid] = case_id
    _scrub_persons(session, person_ids)
    _scrub_households(session, households)

    for table in GUARDED:
        dbguards.install(conn, table)

    if chunk:
        session.execute(insert(CasePurge), [
            {"case_id": d.case_id, "municipality_id": d.municipality_id, "case_number": d.case_number,
             "rule": d.rule, "years": d.years, "closed_at": d.closed_at, "purged_at": at, "purged_by": by}
            for d in chunk])
    if person_ids:
        session.execute(insert(PersonPurge), [{"person_id": pid, "case_id": freed_by[pid], "purged_at": at}
                                              for pid in person_ids])
    municipality_of = {d.case_id: d.municipality_id for d in chunk}
    trail.record(session, action="retention.guards_lifted", resource_type="retention_batch", resource_id=None,
                 detail={"tables": list(GUARDED), "cases": len(chunk), "by": by},
                 municipality_id=chunk[0].municipality_id if chunk else None)
    for d in chunk:
        freed_here = sorted(str(p) for p, c in persons.items() if c == d.case_id)
        trail.record(session, action="retention.purge", resource_type="case", resource_id=d.case_id,
                     detail={"case_id": str(d.case_id), "rule": d.rule, "years": d.years, "persons": len(freed_here),
                             "by": by},
                     municipality_id=d.municipality_id)
        result.by_rule[d.rule] = result.by_rule.get(d.rule, 0) + 1
    for pid in person_ids:
        trail.record(session, action="retention.purge_person", resource_type="person", resource_id=pid,
                     detail={"case_id": str(freed_by[pid]), "by": by},
                     municipality_id=municipality_of[freed_by[pid]])
    result.cases += len(chunk)
    result.persons += len(person_ids)
    result.households += len(households)


def _scrub_persons(session, person_ids) -> None:
    for ids in _chunks(person_ids, 500):
        t = _table("persons")
        session.execute(update(t).where(t.c.id.in_(ids)).values(_blank(t, PERSON_COLUMNS)))
        g = _table("person_search_grams")
        session.execute(delete(g).where(g.c.person_id.in_(ids)))
        c = _table("consents")
        session.execute(update(c).where(c.c.person_id.in_(ids)).values(_blank(c, CONSENT_COLUMNS)))
        d = _table("secrecy_decisions")
        session.execute(update(d).where(d.c.person_id.in_(ids)).values(_blank(d, SECRECY_COLUMNS)))
        k = _table("contact_links")
        session.execute(update(k).where(k.c.person_id.in_(ids)).values(_blank(k, CONTACT_LINK_COLUMNS)))


def _scrub_contacts(session, case_ids) -> None:
    """Blank the handle of each contact of `case_ids` that has no other case left unpurged."""
    cc, contacts = _table("contact_cases"), _table("contacts")
    gone = select(CasePurge.case_id)
    for ids in _chunks(case_ids, 500):
        of_batch = select(cc.c.contact_id).where(cc.c.case_id.in_(ids))
        live = select(cc.c.contact_id).where(cc.c.case_id.not_in(ids), cc.c.case_id.not_in(gone))
        session.execute(update(contacts).where(contacts.c.id.in_(of_batch), contacts.c.id.not_in(live))
                        .values(_blank(contacts, ("handle",))))


def _scrub_households(session, households) -> None:
    for ids in _chunks(sorted(households), 500):
        h = _table("households")
        session.execute(update(h).where(h.c.id.in_(ids)).values(address=None))
        # why a member left, why a relationship ended: free text about the persons (the codes and dates stay)
        m = _table("household_members")
        session.execute(update(m).where(m.c.household_id.in_(ids)).values(left_reason=None))
        r = _table("household_relationships")
        session.execute(update(r).where(r.c.household_id.in_(ids)).values(end_reason=None))


def _freed(case_ids: set) -> tuple[dict, set]:
    """The persons (person id -> one of `case_ids`) and households that belong to no live case once `case_ids`
    are purged: a live case is one not purged and not among `case_ids`. Persons already purged are left out."""
    session = db.session()
    if not case_ids:
        return {}, set()
    purged_cases = select(CasePurge.case_id)
    ordered = sorted(case_ids)
    candidates: dict = {}
    households: set = set()
    for chunk in _chunks(ordered, 500):
        for case_id, person_id, household_id in session.execute(
                select(Case.id, Case.primary_person_id, Case.household_id).where(Case.id.in_(chunk))):
            if person_id is not None:
                candidates.setdefault(person_id, case_id)
            if household_id is not None:
                households.add((household_id, case_id))
    household_case = {}
    for household_id, case_id in sorted(households):
        household_case.setdefault(household_id, case_id)
    for chunk in _chunks(sorted(household_case), 500):
        for household_id, person_id in session.execute(
                select(HouseholdMember.household_id, HouseholdMember.person_id)
                .where(HouseholdMember.household_id.in_(chunk))):
            candidates.setdefault(person_id, household_case[household_id])
    already = set()
    for chunk in _chunks(sorted(candidates), 500):
        already.update(session.scalars(select(PersonPurge.person_id).where(PersonPurge.person_id.in_(chunk))))
    # live cases referencing a candidate: as its primary person, or through a household the person is a member of
    live_persons: set = set()
    for chunk in _chunks(sorted(candidates), 500):
        rows = session.execute(select(Case.primary_person_id, Case.id).where(
            Case.primary_person_id.in_(chunk), Case.id.not_in(purged_cases))).all()
        rows += session.execute(select(HouseholdMember.person_id, Case.id)
                                .join(Case, Case.household_id == HouseholdMember.household_id)
                                .where(HouseholdMember.person_id.in_(chunk), Case.id.not_in(purged_cases))).all()
        live_persons.update(p for p, c in rows if c not in case_ids)
    live_households: set = set()
    for chunk in _chunks(sorted(household_case), 500):
        live_households.update(h for h, c in session.execute(
            select(Case.household_id, Case.id).where(Case.household_id.in_(chunk), Case.id.not_in(purged_cases)))
            if c not in case_ids)
    persons = {p: c for p, c in candidates.items() if p not in live_persons and p not in already}
    return persons, set(household_case) - live_households


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _blank(table: Table, columns) -> dict:
    return {c: (None if table.c[c].nullable else BLANK.get((table.name, c), "")) for c in columns}


def _chunks(items, size: int):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- legal holds -----------------------------------------------------------------------------------

def case_by_number(municipality_id, case_number: str) -> Case:
    case = db.session().scalar(select(Case).where(Case.municipality_id == municipality_id,
                                                  Case.case_number == case_number.strip()))
    if case is None:
        raise validation_problem({"case": [f"ケース {case_number} は見つかりません。"]})
    return case


def place_hold(case: Case, *, reason: str, reference: str | None, by: str) -> LegalHold:
    if reason not in HOLD_REASONS:
        raise validation_problem({"reason": [f"保留の理由は {', '.join(HOLD_REASONS)} のいずれかです。"]})
    if not (by or "").strip():
        raise validation_problem({"by": ["担当者を指定してください。"]})
    session = db.session()
    hold = LegalHold(case_id=case.id, reason=reason, reference=(reference or None), placed_by=by.strip()[:100])
    session.add(hold)
    session.flush()
    trail.record(session, action="retention.hold_placed", resource_type="case", resource_id=case.id,
                 detail={"hold_id": str(hold.id), "reason": reason, "by": hold.placed_by},
                 municipality_id=case.municipality_id)
    session.commit()
    return hold


def release_holds(case: Case, *, by: str) -> int:
    if not (by or "").strip():
        raise validation_problem({"by": ["担当者を指定してください。"]})
    session = db.session()
    holds = session.scalars(select(LegalHold).where(LegalHold.case_id == case.id,
                                                    LegalHold.released_at.is_(None))).all()
    if not holds:
        raise validation_problem({"case": ["このケースに解除できる保留はありません。"]})
    for hold in holds:
        hold.released_at = utcnow()
        hold.released_by = by.strip()[:100]
        trail.record(session, action="retention.hold_released", resource_type="case", resource_id=case.id,
                     detail={"hold_id": str(hold.id), "by": hold.released_by}, municipality_id=case.municipality_id)
    session.commit()
    return len(holds)


def person_purged_at(person_id) -> datetime | None:
    return db.session().scalar(select(PersonPurge.purged_at).where(PersonPurge.person_id == person_id))


# --- 利用停止・消去請求 (deletion requests) ------------------------------------------------------------

REVIEWER_ROLES = ("supervisor", "secretariat")


def file_request(viewer: Viewer, data: dict, *, actor) -> DeletionRequest:
    """The organisation that collected the person's data records the person's request (404 unless the person is
    visible, 403 unless collected here); one open request per person."""
    if data["ground"] not in DELETION_GROUNDS:
        raise validation_problem({"ground": [f"請求の理由は {', '.join(DELETION_GROUNDS)} のいずれかです。"]})
    person = people.person_for_edit(viewer, data["person_id"], actor)
    session = db.session()
    if session.scalar(select(PersonPurge.person_id).where(PersonPurge.person_id == person.id)):
        raise Problem(409, detail="この方の個人情報はすでに消去されています。", type_="conflict")
    if session.scalar(select(DeletionRequest.id).where(DeletionRequest.person_id == person.id,
                                                       DeletionRequest.state.in_(("requested", "approved")))):
        raise Problem(409, detail="この方の消去請求はすでに受け付けています。", type_="conflict")
    req = DeletionRequest(municipality_id=person.municipality_id, person_id=person.id, ground=data["ground"],
                          state="requested", received_on=data["received_on"], requested_by_user_id=actor.id,
                          requested_by_org_id=actor.org_id)
    session.add(req)
    session.flush()
    trail.record(session, action="retention.deletion_requested", resource_type="deletion_request",
                 resource_id=req.id, actor=actor,
                 detail={"request_id": str(req.id), "person_id": str(person.id), "ground": req.ground})
    session.commit()
    return req


def _reviewer(actor) -> bool:
    return any(r in REVIEWER_ROLES for r in actor.roles)


def visible_requests(actor, state: str | None = None):
    q = select(DeletionRequest).where(DeletionRequest.municipality_id == actor.municipality_id)
    if not _reviewer(actor):
        q = q.where(DeletionRequest.requested_by_org_id == actor.org_id)
    if state:
        q = q.where(DeletionRequest.state == state)
    return q.order_by(DeletionRequest.requested_at.desc(), DeletionRequest.id)


def get_request(actor, request_id) -> DeletionRequest:
    req = db.session().scalar(visible_requests(actor).where(DeletionRequest.id == request_id))
    if req is None:
        raise Problem(404, detail="消去請求が見つかりません。")
    return req


def review(actor, request_id, *, approve: bool, decline_ground: str | None = None) -> DeletionRequest:
    """A second person -- a supervisor or the secretariat of the municipality, never the one who filed it --
    approves (the next `caseflow retention purge` carries it out) or declines, with a ground code."""
    req = get_request(actor, request_id)
    if not _reviewer(actor):
        raise Problem(403, detail="消去請求の審査は、監督者または事務局が行います。", type_="forbidden")
    if req.requested_by_user_id == actor.id:
        raise Problem(403, detail="消去請求を受け付けた本人は審査できません。別の担当者が審査してください。", type_="forbidden")
    if req.state != "requested":
        raise Problem(409, detail="この消去請求はすでに審査済みです。", type_="conflict")
    if not approve and decline_ground not in ("legal_obligation", "not_identified", "other"):
        raise validation_problem({"ground": ["却下の理由は legal_obligation, not_identified, other のいずれかです。"]})
    session = db.session()
    req.state = "approved" if approve else "declined"
    req.decline_ground = None if approve else decline_ground
    req.reviewed_by_user_id = actor.id
    req.reviewed_at = utcnow()
    trail.record(session, action=f"retention.deletion_{req.state}", resource_type="deletion_request",
                 resource_id=req.id, actor=actor,
                 detail={"request_id": str(req.id), "person_id": str(req.person_id),
                         **({"ground": decline_ground} if not approve else {})})
    session.commit()
    return req


