"""The sharing engine: which cases an organisation sees, and which personal data, on which legal basis.

Two questions, both answered in SQL, set-wise, for a whole page at once:

1. Which cases may the viewer see at all? (`visible_case_ids`) -- its organisation is involved
   (owner, co-lead, accepted referral, task), has a pending referral for it, is a member of a meeting that has
   the case on its agenda within the sharing window, the user is an invited guest of that agenda item, or the
   user holds an open emergency access.
2. For each person shown, which categories of personal data, and on what basis? (`bases_for_persons`)
   -- own collection (the viewer's organisation collected it), consent (本人同意 naming the viewer's
   organisation or its kind, for the category and purpose, valid now, not revoked), support meeting
   (社会福祉法106条の6 and the statutory councils: the case is on the agenda of a meeting of a council that
   shares without consent, the viewer's organisation is a member and the viewer attends and signed the
   pledge for the meeting or for the council's fiscal year -- or the viewer is an invited guest of that very
   agenda item with an individual pledge -- within the window), or emergency (個人情報保護法27条1項2号, the viewer's own
   time-boxed break-glass access).

Without a basis the caller gets the de-identified view (case number, age band, district, issues,
stage, the referral's request text). `describe()` turns the SQL results into basis strings:
`own_collection`, `consent:<id>`, `support_meeting:<id>`, `emergency:<id>`, or None.

Secrecy (住所秘匿, `SecrecyDecision`) overrides every basis: for a person under a decision in force that does not
name the viewer's organisation, the contact category (address, phone, e-mail, LINE) and the household facts
(which household, its address, the membership itself -- so that a move cannot be inferred) are withheld,
whatever else applies (`PersonBases.secret`, `secret_from` for search conditions).
"""
from __future__ import annotations

import functools
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Integer,
    String,
    Uuid,
    and_,
    any_,
    bindparam,
    func,
    literal,
    null,
    or_,
    select,
    text,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement, Select

from caseflow.cases.models import Case, CaseInvolvement, HouseholdMember, Person, SecrecyDecision, SecrecyRecipient
from caseflow.consents.models import (
    CATEGORIES,
    CHILD_CONSENT_AGE,
    Consent,
    ConsentCategory,
    ConsentRecipient,
    EmergencyAccess,
)
from caseflow.core import db
from caseflow.core.db import UTCDateTime, utcnow
from caseflow.meetings.models import (
    MEETING_KINDS,
    AgendaItem,
    Meeting,
    MeetingAttendee,
    MeetingGuest,
    MeetingMember,
    Pledge,
)
from caseflow.referrals.models import Referral

# What a reading is for, and the consent purpose (managed list `consent_purpose`) that counts for it: a
# consent counts only for its own purpose. Case work is everything a case page, list, search, referral or
# plan shows; a meeting's agenda and minutes are 支援会議 preparation; statistics never show a person.
CASE_WORK, MEETING, STATISTICS = "case_work", "meeting", "statistics"
PURPOSE_OF_CONTEXT = {CASE_WORK: "support_coordination", MEETING: "support_meeting", STATISTICS: "statistics"}
DEFAULT_PURPOSE = PURPOSE_OF_CONTEXT[CASE_WORK]
SHARING_MEETING_KINDS = tuple(k for k, (_label, shares) in MEETING_KINDS.items() if shares)
# Which basis is named when several apply: the person's own collection and will come first;
# break-glass is the last resort so it is never recorded when something else suffices.
PRECEDENCE = ("own_collection", "consent", "support_meeting", "emergency")


@dataclass(frozen=True)
class Viewer:
    user_id: uuid.UUID
    org_id: uuid.UUID
    org_kind: str
    # the municipality the request acts in: every answer below is bounded by it (caseflow.access.tenancy)
    municipality_id: uuid.UUID

    @classmethod
    def of(cls, user) -> Viewer:
        return cls(user_id=user.id, org_id=user.org_id, org_kind=user.org.kind, municipality_id=user.municipality_id)


@dataclass
class PersonBases:
    """Everything that could justify showing one person's data to the viewer."""

    own: bool = False
    consent: dict[str, uuid.UUID] = field(default_factory=dict)  # category -> consent id
    # case id -> the meetings that give the basis for it, newest first
    meetings_by_case: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    emergency: uuid.UUID | None = None
    # a secrecy decision in force does not name the viewer's organisation: contact and household facts are
    # withheld whatever the basis
    secret: bool = False

    def basis(self, category: str, case_id: uuid.UUID | None = None,
              meeting_id: uuid.UUID | None = None) -> str | None:
        """The basis for `category` (in the context of `case_id`, or any case), or None. In the context of one
        meeting (`meeting_id`: its agenda, minutes, PDFs) only that meeting's own basis counts: what one
        council shares is never shown in another's papers. A secrecy decision not naming the viewer withholds
        its categories whatever the basis."""
        if self.secret and category in SECRET_CATEGORIES:
            return None
        if self.own:
            return "own_collection"
        if category in self.consent:
            return f"consent:{self.consent[category]}"
        meetings = self.meetings_by_case.get(case_id, []) if case_id else \
            next(iter(self.meetings_by_case.values()), [])
        if meeting_id is not None:
            meetings = [m for m in meetings if m == meeting_id]
        if meetings:
            return f"support_meeting:{meetings[0]}"
        if self.emergency is not None:
            return f"emergency:{self.emergency}"
        return None

    def allowed(self, case_id: uuid.UUID | None = None, meeting_id: uuid.UUID | None = None) -> dict[str, str]:
        return {c: b for c in CATEGORIES if (b := self.basis(c, case_id, meeting_id))}

    def withheld_reason(self, category: str) -> str:
        """Why a withheld category is withheld: `secrecy` (a decision not naming the viewer) or `no_basis`."""
        return "secrecy" if self.secret and category in SECRET_CATEGORIES else "no_basis"


# What a secrecy decision withholds from the organisations it does not name (besides the household facts).
SECRET_CATEGORIES = ("contact",)


def secret_from(viewer: Viewer, person_id=Person.id) -> ColumnElement[bool]:
    """SQL, correlated to `person_id` (default Person.id): a secrecy decision in force for the person does not
    name the viewer's organisation. A keyed probe (the partial unique index of decisions in force)."""
    named = select(SecrecyRecipient.org_id).where(SecrecyRecipient.decision_id == SecrecyDecision.id,
                                                  SecrecyRecipient.org_id == viewer.org_id).exists()
    return select(SecrecyDecision.id).where(SecrecyDecision.person_id == person_id,
                                            SecrecyDecision.ended_at.is_(None), ~named).exists()


def household_address_secret(viewer: Viewer, household_id) -> ColumnElement[bool]:
    """SQL, correlated to `household_id`: a current member of the household is secret from the viewer and has no
    address of their own -- the household's address is theirs, so it is withheld too (from the household view,
    the case's household reference, and as the default address of the other members)."""
    return (select(HouseholdMember.id).join(Person, Person.id == HouseholdMember.person_id)
            .where(HouseholdMember.household_id == household_id, HouseholdMember.until.is_(None),
                   Person.address.is_(None), secret_from(viewer, Person.id)).exists())


def address_secret_in(members, persons: dict, bases: dict) -> bool:
    """The same rule as `household_address_secret`, for a household whose current members (HouseholdMember rows),
    persons and bases are loaded already."""
    return any(m.until is None and m.person_id in bases and bases[m.person_id].secret
               and m.person_id in persons and persons[m.person_id].address is None for m in members)


# --- which cases ------------------------------------------------------------------------------

def involved_case_ids(viewer: Viewer) -> Select:
    return select(CaseInvolvement.case_id).where(CaseInvolvement.org_id == viewer.org_id,
                                                 CaseInvolvement.until.is_(None))


def pending_referral_case_ids(viewer: Viewer) -> Select:
    return select(Referral.case_id).where(Referral.to_org_id == viewer.org_id, Referral.state == "pending")


def meeting_case_ids(viewer: Viewer, now: datetime) -> Select:
    """Cases on the agenda of a meeting of the viewer's municipality that the viewer's organisation belongs
    to, inside its window."""
    return (select(AgendaItem.case_id)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .join(MeetingMember, and_(MeetingMember.meeting_id == Meeting.id, MeetingMember.org_id == viewer.org_id))
            .where(AgendaItem.case_id.is_not(None), Meeting.municipality_id == viewer.municipality_id,
                   Meeting.window_start <= now, Meeting.window_end > now))


def guest_case_ids(viewer: Viewer, now: datetime) -> Select:
    """Cases of the agenda items the viewer (the user) is invited to as a non-member guest, inside the
    meeting's window, in the viewer's municipality."""
    return (select(AgendaItem.case_id)
            .join(MeetingGuest, and_(MeetingGuest.agenda_item_id == AgendaItem.id,
                                     MeetingGuest.user_id == viewer.user_id))
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .where(AgendaItem.case_id.is_not(None), Meeting.municipality_id == viewer.municipality_id,
                   Meeting.window_start <= now, Meeting.window_end > now))


def emergency_case_ids(viewer: Viewer, now: datetime) -> Select:
    return select(EmergencyAccess.case_id).where(*_emergency_active(viewer, now))


def visible_case_ids(viewer: Viewer, now: datetime | None = None) -> Select:
    """Ids of every case the viewer may see in some form: the UNION of its relations, bounded by the
    municipality the viewer acts in."""
    now = now or utcnow()
    related = union(involved_case_ids(viewer), pending_referral_case_ids(viewer), meeting_case_ids(viewer, now),
                    guest_case_ids(viewer, now), emergency_case_ids(viewer, now)).subquery()
    return (select(Case.id).join(related, related.c.case_id == Case.id)
            .where(Case.municipality_id == viewer.municipality_id))


def in_municipality(viewer: Viewer, municipality_id=Case.municipality_id) -> ColumnElement[bool]:
    """SQL: the record belongs to the municipality the viewer acts in (default: the correlated case)."""
    return municipality_id == viewer.municipality_id


def case_is_visible(viewer: Viewer, now=None, case_id=Case.id) -> ColumnElement[bool]:
    """SQL condition, correlated to `Case` (and `case_id`, default Case.id): the viewer may see that case --
    it belongs to the viewer's municipality and the viewer's organisation or user is related to it.

    The same rule as `visible_case_ids`, written as keyed EXISTS probes. Use it for one case, or to walk
    cases in an index order and stop at a page; `Case.id IN visible_case_ids(...)` builds the viewer's
    whole visible set first, which is what you want only when that set is small."""
    if now is None:
        now = utcnow()
    return and_(in_municipality(viewer), or_(
        select(CaseInvolvement.id).where(CaseInvolvement.case_id == case_id, CaseInvolvement.org_id == viewer.org_id,
                                         CaseInvolvement.until.is_(None)).exists(),
        select(Referral.id).where(Referral.case_id == case_id, Referral.to_org_id == viewer.org_id,
                                  Referral.state == "pending").exists(),
        select(AgendaItem.id).join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .join(MeetingMember, and_(MeetingMember.meeting_id == Meeting.id, MeetingMember.org_id == viewer.org_id))
        .where(AgendaItem.case_id == case_id, Meeting.municipality_id == viewer.municipality_id,
               Meeting.window_start <= now, Meeting.window_end > now).exists(),
        select(AgendaItem.id).join(MeetingGuest, and_(MeetingGuest.agenda_item_id == AgendaItem.id,
                                                      MeetingGuest.user_id == viewer.user_id))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.case_id == case_id, Meeting.municipality_id == viewer.municipality_id,
               Meeting.window_start <= now, Meeting.window_end > now).exists(),
        select(EmergencyAccess.id).where(EmergencyAccess.case_id == case_id, *_emergency_active(viewer, now)).exists(),
    ))


# Above this many open involvements, list pages walk cases newest first and probe visibility per case
# (cost ~ page size / share of visible cases) instead of building the visible set (cost ~ its size).
LARGE_CASELOAD = 1000


def has_large_caseload(viewer: Viewer) -> bool:
    """Does the viewer's organisation work on more than LARGE_CASELOAD cases? (A bounded count.)"""
    limit = int(os.environ.get("CASEFLOW_LARGE_CASELOAD", LARGE_CASELOAD))  # tests force either form
    return db.session().scalar(_caseload_statement(), {"viewer_org_id": viewer.org_id, "cap": limit + 1}) > limit


def relations_to_cases(viewer: Viewer, case_ids: list[uuid.UUID], now: datetime | None = None) -> dict:
    """For each case: the viewer organisation's relations ("owner", "referral", "task", "referral_pending",
    "meeting", "emergency"), in one query (UNION ALL of the four kinds) for the whole page."""
    now = now or utcnow()
    out: dict[uuid.UUID, set[str]] = defaultdict(set)
    if not case_ids:
        return out
    for case_id, relation in _execute_prebuilt(_relations_statement(_on_postgresql()),
                                               {**statement_params(viewer, now), "case_ids": list(case_ids)}):
        out[case_id].add(relation)
    return out


def involvement_periods() -> Select:
    """(case_id, org_id, since, until) of every involvement, for audit anomaly reports."""
    return select(CaseInvolvement.case_id, CaseInvolvement.org_id, CaseInvolvement.since.label("involved_from"),
                  CaseInvolvement.until.label("involved_until"))


# --- which personal data ----------------------------------------------------------------------

def pledged_attendee(viewer: Viewer):
    """SQL, correlated to `Meeting`: the viewer attends the meeting and signed the confidentiality pledge
    for it, or the fiscal-year pledge of the meeting's council (never another council's). Only such users of
    member organisations receive data on the 支援会議 basis."""
    pledged = or_(Pledge.meeting_id == Meeting.id,
                  and_(Meeting.pledge_scope == "fiscal_year", Pledge.meeting_id.is_(None),
                       Pledge.council_id == Meeting.council_id, Pledge.fiscal_year == Meeting.fiscal_year))
    return and_(
        select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == Meeting.id,
                                              MeetingAttendee.user_id == viewer.user_id).exists(),
        select(Pledge.id).where(Pledge.user_id == viewer.user_id, pledged).exists())


def pledged_guest(viewer: Viewer):
    """SQL, correlated to `Meeting` and `AgendaItem`: the viewer is an invited guest of this agenda item and
    signed an individual pledge for this meeting."""
    return and_(
        select(MeetingGuest.user_id).where(MeetingGuest.agenda_item_id == AgendaItem.id,
                                           MeetingGuest.user_id == viewer.user_id).exists(),
        select(Pledge.id).where(Pledge.user_id == viewer.user_id, Pledge.meeting_id == Meeting.id).exists())


def _emergency_active(viewer: Viewer, now: datetime):
    return (EmergencyAccess.user_id == viewer.user_id, EmergencyAccess.opened_at <= now,
            EmergencyAccess.expires_at > now, EmergencyAccess.closed_at.is_(None))


def bases_for_persons(viewer: Viewer, persons: dict[uuid.UUID, uuid.UUID], *, context: str = CASE_WORK,
                      now: datetime | None = None) -> dict[uuid.UUID, PersonBases]:
    """`persons` maps person id -> the organisation that collected the person's data; `context` is what the
    reading is for (a consent counts only for its purpose, PURPOSE_OF_CONTEXT).

    One set-based query for any number of persons: consents, meetings and emergency accesses, as the
    three branches of a UNION ALL (one round trip instead of three), built once (`_bases_statement`).
    """
    now = now or utcnow()
    result = {pid: PersonBases(own=(collector == viewer.org_id)) for pid, collector in persons.items()}
    if not result:
        return result
    others = [pid for pid, b in result.items() if not b.own]
    # Secrecy is probed for every person, own collection included (it overrides every basis).
    rows = _execute_prebuilt(_bases_statement(_on_postgresql()),
                             {**statement_params(viewer, now), "persons": others, "all_persons": list(result),
                              "purpose": PURPOSE_OF_CONTEXT[context]})
    meetings_by_case: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    persons_of_case: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for kind, person_id, case_id, category, ref_id in rows:
        if kind == "consent":
            result[person_id].consent.setdefault(category, ref_id)
        elif kind == "meeting":
            if ref_id not in meetings_by_case[case_id]:
                meetings_by_case[case_id].append(ref_id)  # the latest meeting of the case first
            persons_of_case[case_id].add(person_id)
        elif kind == "secret":
            result[person_id].secret = True
        else:
            result[person_id].emergency = ref_id
    for case_id, pids in persons_of_case.items():
        for pid in pids:
            result[pid].meetings_by_case[case_id] = meetings_by_case[case_id]
    return result


# --- statements built once ----------------------------------------------------------------------
# Building a SQLAlchemy statement of this size costs more Python time than the database needs to run
# it; the hot ones are built once, with bound parameters for the viewer, the time and the ids, and
# executed with `statement_params(...)`. The builders above are reused, so the rules live in one place.

PARAM_VIEWER = Viewer(user_id=bindparam("viewer_user_id", type_=Uuid()),  # type: ignore[arg-type]
                      org_id=bindparam("viewer_org_id", type_=Uuid()),  # type: ignore[arg-type]
                      org_kind=bindparam("viewer_org_kind", type_=String()),  # type: ignore[arg-type]
                      municipality_id=bindparam("viewer_municipality_id", type_=Uuid()))  # type: ignore[arg-type]
PARAM_NOW = bindparam("now", type_=UTCDateTime())


def statement_params(viewer: Viewer, now: datetime) -> dict:
    return {"viewer_user_id": viewer.user_id, "viewer_org_id": viewer.org_id, "viewer_org_kind": viewer.org_kind,
            "viewer_municipality_id": viewer.municipality_id, "now": now}


def _on_postgresql() -> bool:
    return db.session().get_bind().dialect.name == "postgresql"


def _execute_prebuilt(stmt, params: dict):
    """Execute one of the statements below. On PostgreSQL, first ask for generic plans for the rest of
    the transaction (once per transaction).

    Why: planning these UNIONs costs PostgreSQL 1-2 ms, running them 0.1-0.3 ms. psycopg prepares a
    statement after a few executions, but PostgreSQL still re-plans a prepared statement for every call
    ("custom plan") when the generic plan's estimate for an array parameter of unknown length looks
    dearer -- which it does for the one-household calls of a case detail. Their best plan does not
    depend on the values (every branch is a keyed probe; the shape-changing choice, small or large
    caseload, is made in Python by choosing a different statement), so a generic plan is safe; the
    setting ends with the transaction and the later statements of a request are keyed look-ups too."""
    s = db.session()
    if _on_postgresql():
        s.connection()  # begin the transaction, so that it can be told apart from the previous one
        tx = s.get_transaction()
        if s.info.get("generic_plans_tx") is not tx:
            s.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
            s.info["generic_plans_tx"] = tx
    return s.execute(stmt, params)


def _id_list(name: str, postgresql: bool):
    """A bound list of ids, and `column IN list` for it. On PostgreSQL one array parameter
    (`column = ANY(:ids)`), so the SQL text is the same for any number of ids and psycopg's prepared
    statement (planned once per connection) is reused; an expanding IN list makes a new text, planned
    anew, for every length -- and planning these statements costs more than running them."""
    if postgresql:
        param = bindparam(name, type_=ARRAY(Uuid()))
        return lambda column: column == any_(param)
    param = bindparam(name, expanding=True, type_=Uuid())
    return lambda column: column.in_(param)


@functools.cache
def _caseload_statement():
    """How many open involvements the organisation has, counting at most :cap (index-only, partial index)."""
    capped = (select(CaseInvolvement.id).where(CaseInvolvement.org_id == PARAM_VIEWER.org_id,
                                               CaseInvolvement.until.is_(None))
              .limit(bindparam("cap", type_=Integer())).subquery())
    return select(func.count()).select_from(capped)


def _relations_union(among):
    """(case_id, relation) for the cases `among(column)` selects: the four branches of the visibility rule,
    each labelled (an involvement's own relation, referral_pending, meeting, emergency), for the cases of the
    viewer's municipality only."""
    v, now = PARAM_VIEWER, PARAM_NOW
    kinds = [select(CaseInvolvement.case_id.label("case_id"), CaseInvolvement.relation.label("relation")).where(
        CaseInvolvement.org_id == v.org_id, CaseInvolvement.until.is_(None), among(CaseInvolvement.case_id))]
    for label, stmt in (("referral_pending", pending_referral_case_ids(v)),
                        ("meeting", meeting_case_ids(v, now)),
                        ("meeting", guest_case_ids(v, now)),
                        ("emergency", emergency_case_ids(v, now))):
        col = stmt.selected_columns[0]
        kinds.append(stmt.add_columns(literal(label, String).label("relation")).where(among(col)))
    related = union_all(*kinds).subquery()
    return (select(related.c.case_id, related.c.relation).join(Case, Case.id == related.c.case_id)
            .where(in_municipality(v)))


@functools.cache
def _relations_statement(postgresql: bool):
    return _relations_union(_id_list("case_ids", postgresql))


@functools.cache
def _case_with_relations_statement():
    """(case, relation) rows for the case :case_id, one per relation of the viewer to it; no row when the
    viewer may not see it. The relations are the branches of `case_is_visible`, so one statement answers
    both "may the viewer see it?" and "as what?" (a case detail needs both)."""
    one = bindparam("case_id", type_=Uuid())
    relations = _relations_union(lambda column: column == one).subquery()
    return select(Case, relations.c.relation).join(relations, relations.c.case_id == Case.id)


def visible_case_with_relations(viewer: Viewer, case_id: uuid.UUID,
                                now: datetime | None = None) -> tuple[Case, set[str]] | None:
    """The case and the viewer's relations to it, or None when the viewer may not see it (or it does not
    exist). Keyed probes: the cost does not depend on how many cases the viewer sees."""
    rows = _execute_prebuilt(_case_with_relations_statement(),
                             {**statement_params(viewer, now or utcnow()), "case_id": case_id}).all()
    if not rows:
        return None
    return rows[0][0], {relation for _case, relation in rows}


@functools.cache
def _bases_statement(postgresql: bool):
    v, now = PARAM_VIEWER, PARAM_NOW
    among = _id_list("persons", postgresql)

    def typed_null(type_):
        return type_coerce(null(), type_)

    # Consent: recipient is the viewer's organisation or its kind; valid now; not revoked.
    consents = (
        select(literal("consent", String).label("kind"), Consent.person_id.label("person_id"),
               typed_null(Uuid()).label("case_id"), ConsentCategory.category.label("category"),
               Consent.id.label("ref_id"), Consent.obtained_at.label("sort_at"))
        .join(ConsentCategory, ConsentCategory.consent_id == Consent.id)
        .where(among(Consent.person_id), Consent.purpose == bindparam("purpose", type_=String()),
               Consent.revoked_at.is_(None), Consent.valid_from <= now,
               or_(Consent.valid_until.is_(None), Consent.valid_until > now), consent_names_viewer(v),
               consent_is_complete()))
    # 支援会議: the person's cases (primary person or current household member) on a sharing meeting's
    # agenda; member organisation; pledged user; window.
    person_cases = _person_cases(None, among).subquery()
    meetings = (
        select(literal("meeting", String), person_cases.c.person_id, AgendaItem.case_id, typed_null(String()),
               Meeting.id, Meeting.starts_at)
        .join(AgendaItem, AgendaItem.case_id == person_cases.c.case_id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        # a case transferred away (転居) leaves the basis of its old municipality's meetings behind
        .join(Case, and_(Case.id == AgendaItem.case_id, Case.municipality_id == Meeting.municipality_id))
        .join(MeetingMember, and_(MeetingMember.meeting_id == Meeting.id, MeetingMember.org_id == v.org_id))
        .where(Meeting.kind.in_(SHARING_MEETING_KINDS), Meeting.municipality_id == v.municipality_id,
               Meeting.window_start <= now, Meeting.window_end > now, pledged_attendee(v)))
    # An invited guest: the case of the very agenda item, after an individual pledge for the meeting.
    guests = (
        select(literal("meeting", String), person_cases.c.person_id, AgendaItem.case_id, typed_null(String()),
               Meeting.id, Meeting.starts_at)
        .join(AgendaItem, AgendaItem.case_id == person_cases.c.case_id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .join(Case, and_(Case.id == AgendaItem.case_id, Case.municipality_id == Meeting.municipality_id))
        .where(Meeting.kind.in_(SHARING_MEETING_KINDS), Meeting.municipality_id == v.municipality_id,
               Meeting.window_start <= now, Meeting.window_end > now, pledged_guest(v)))
    # Emergency: this user's own open break-glass access to the person.
    emergencies = (
        select(literal("emergency", String), EmergencyAccess.person_id, typed_null(Uuid()), typed_null(String()),
               EmergencyAccess.id, EmergencyAccess.opened_at)
        .where(among(EmergencyAccess.person_id), *_emergency_active(v, now)))
    # Secrecy: a decision in force for the person that does not name the viewer's organisation.
    all_persons = _id_list("all_persons", postgresql)
    named = select(SecrecyRecipient.org_id).where(SecrecyRecipient.decision_id == SecrecyDecision.id,
                                                  SecrecyRecipient.org_id == v.org_id).exists()
    secrets = (
        select(literal("secret", String), SecrecyDecision.person_id, typed_null(Uuid()), typed_null(String()),
               SecrecyDecision.id, SecrecyDecision.decided_at)
        .where(all_persons(SecrecyDecision.person_id), SecrecyDecision.ended_at.is_(None), ~named))
    u = union_all(consents, meetings, guests, emergencies, secrets).subquery()
    # newest consent per category and newest meeting per case first (they win in bases_for_persons)
    return (select(u.c.kind, u.c.person_id, u.c.case_id, u.c.category, u.c.ref_id)
            .order_by(u.c.kind, u.c.sort_at.desc(), u.c.ref_id))


def consent_names_viewer(viewer: Viewer) -> ColumnElement[bool]:
    """SQL, correlated to Consent: a recipient of the consent is the viewer's organisation, or its kind when
    the viewer acts in the municipality the consent was given in ("every municipal department" means that
    municipality's departments). (A keyed EXISTS per consent: `Consent.id IN (recipients of the viewer)` read
    the whole consent_recipients table on every request.)"""
    by_kind = and_(ConsentRecipient.org_kind == viewer.org_kind, Consent.municipality_id == viewer.municipality_id)
    return (select(ConsentRecipient.id)
            .where(ConsentRecipient.consent_id == Consent.id, or_(ConsentRecipient.org_id == viewer.org_id, by_kind))
            .exists())


def consent_is_complete() -> ColumnElement[bool]:
    """SQL, on Consent: a child's consent counts only when complete -- under CHILD_CONSENT_AGE at the time it
    was obtained, the child's own assent and a guardian's consent both (caseflow.consents.rules refuses to record
    less; this keeps any other row from counting). Age unknown or at/over the age: the consent as given."""
    return or_(Consent.subject_age.is_(None), Consent.subject_age >= CHILD_CONSENT_AGE,
               and_(Consent.assent_by_subject.is_(True), Consent.guardian_consent.is_(True)))


def consent_counts(viewer: Viewer, category: str, context: str, now) -> ColumnElement[bool]:
    """SQL, correlated to Consent (and Person as its person): a consent that gives the viewer `category` now,
    for the purpose of `context`. The rule the bases statement applies, for search conditions."""
    return and_(Consent.person_id == Person.id, Consent.purpose == PURPOSE_OF_CONTEXT[context],
                Consent.revoked_at.is_(None), Consent.valid_from <= now,
                or_(Consent.valid_until.is_(None), Consent.valid_until > now), consent_names_viewer(viewer),
                consent_is_complete(), select(ConsentCategory.consent_id).where(ConsentCategory.consent_id == Consent.id,
                                                         ConsentCategory.category == category).exists())


def _person_cases(person_ids: list[uuid.UUID] | None, among=None):
    """(person_id, case_id): cases where the person is the primary person or a current household member.
    `among(column)` replaces `column IN person_ids` (bound parameters, `_id_list`)."""
    among = among or (lambda column: column.in_(person_ids))
    return union(
        select(Case.primary_person_id.label("person_id"), Case.id.label("case_id"))
        .where(among(Case.primary_person_id)),
        select(HouseholdMember.person_id, Case.id)
        .join(Case, Case.household_id == HouseholdMember.household_id)
        .where(among(HouseholdMember.person_id), HouseholdMember.until.is_(None)),
    )


def _cases_of_persons(person_ids: list[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    """person -> cases where the person is the primary person or a current household member."""
    out: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for person_id, case_id in db.session().execute(_person_cases(person_ids)):
        out[person_id].add(case_id)
    return out


def case_notes_basis(viewer: Viewer, case: Case, primary: PersonBases | None, now: datetime | None = None,
                     meeting_id: uuid.UUID | None = None) -> str | None:
    """The basis for the case's own narrative (summary, assessments): the primary person's case_notes
    basis; for an anonymous case, the owner's own collection or a 支援会議 that has it on its agenda (in a
    meeting's papers, `meeting_id`: that meeting only)."""
    if primary is not None:
        return primary.basis("case_notes", case.id, meeting_id)
    if case.owner_org_id == viewer.org_id:
        return "own_collection"
    meeting = _meeting_basis_for_case(viewer, case.id, now or utcnow(), meeting_id)
    return f"support_meeting:{meeting}" if meeting else None


def _meeting_basis_for_case(viewer: Viewer, case_id: uuid.UUID, now: datetime,
                            meeting_id: uuid.UUID | None = None) -> uuid.UUID | None:
    member = and_(select(MeetingMember.org_id).where(MeetingMember.meeting_id == Meeting.id,
                                                     MeetingMember.org_id == viewer.org_id).exists(),
                  pledged_attendee(viewer))
    stmt = (select(Meeting.id).join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
            .where(AgendaItem.case_id == case_id, Meeting.kind.in_(SHARING_MEETING_KINDS),
                   Meeting.municipality_id == viewer.municipality_id, Meeting.window_start <= now,
                   Meeting.window_end > now, or_(member, pledged_guest(viewer))))
    if meeting_id is not None:
        stmt = stmt.where(Meeting.id == meeting_id)
    return db.session().scalar(stmt.order_by(Meeting.starts_at.desc()).limit(1))


def basis_for(viewer: Viewer, person, category: str, *, case_id: uuid.UUID | None = None,
              context: str = CASE_WORK) -> str:
    """The one-person form of the decision: the basis string, or "none"."""
    bases = bases_for_persons(viewer, {person.id: person.collected_by_org_id}, context=context)[person.id]
    return bases.basis(category, case_id) or "none"
