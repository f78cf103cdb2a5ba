"""Meetings, agendas, minutes and decisions as each viewer may see them: persons and case notes only on a basis,
the rest de-identified; the disclosure log of every view."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from caseflow.access.disclosure import DisclosureLog, age_band, known_members
from caseflow.access.refs import org_ref, user_ref
from caseflow.access.sharing import PersonBases, Viewer, bases_for_persons, case_notes_basis
from caseflow.accounts.models import User
from caseflow.cases.models import RELATIONSHIP_LABELS, Case, HouseholdMember, HouseholdRelationship, Person
from caseflow.cases.relationships import present_relationships
from caseflow.cases.rules import STAGE_LABELS
from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.meetings.agenda import agenda_items
from caseflow.meetings.councils import councils_of_meetings, kind_label, quorum_rule, shares_without_consent
from caseflow.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingAttendee,
    MeetingDecision,
    MeetingGuest,
    MeetingMember,
    MinutesCorrection,
    MinutesEntry,
)
from caseflow.meetings.pledges import pledge_of, pledged_user_ids
from caseflow.meetings.rules import (
    STATUS_LABELS,
    TRANSITIONS,
    attendee_user_ids,
    guest_item_ids,
    guests_of,
    member_org_ids,
)
from caseflow.organizations.models import Organization


def _orgs(ids) -> dict[uuid.UUID, Organization]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {o.id: o for o in db.session().scalars(select(Organization).where(Organization.id.in_(ids)))}


def _users(ids) -> dict[uuid.UUID, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session().scalars(select(User).where(User.id.in_(ids)))}


def window_open(meeting: Meeting, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return meeting.window_start <= now < meeting.window_end


def present_meetings(meetings: list[Meeting], viewer_user) -> list[dict]:
    """List items, with the page's organisations, chairs and agenda counts in one query each."""
    ids = [m.id for m in meetings]
    chairs = _users(m.chair_user_id for m in meetings)
    councils = councils_of_meetings(ids)
    orgs = _orgs([m.organizer_org_id for m in meetings] + [c.secretariat_org_id for c in councils.values()])
    counts: dict = defaultdict(lambda: (0, 0))
    if ids:
        for meeting_id, items, cases in db.session().execute(
                select(AgendaItem.meeting_id, func.count(AgendaItem.id), func.count(AgendaItem.case_id))
                .where(AgendaItem.meeting_id.in_(ids)).group_by(AgendaItem.meeting_id)):
            counts[meeting_id] = (items, cases)
    now = utcnow()
    return [{
        "id": m.id, "kind": m.kind, "kind_label": kind_label(m.kind), "title": m.title, "starts_at": m.starts_at,
        "council": _council_ref(councils.get(m.id), orgs),
        "place": m.place, "online_url": m.online_url, "status": m.status, "status_label": STATUS_LABELS[m.status],
        "organizer_org": org_ref(orgs.get(m.organizer_org_id)), "chair": user_ref(chairs.get(m.chair_user_id)),
        "agenda_items": counts[m.id][0], "cases_discussed": counts[m.id][1], "window_open": window_open(m, now),
        "can_manage": m.organizer_org_id == viewer_user.org_id,
    } for m in meetings]


def _council_ref(council, orgs: dict | None = None) -> dict | None:
    """The council of a meeting; with `orgs` loaded, also its secretariat (事務局)."""
    if council is None:
        return None
    secretariat = (orgs or {}).get(council.secretariat_org_id)
    return {"secretariat_org": org_ref(secretariat) if secretariat else None,"id": council.id, "name": council.name, "kind": council.kind, "kind_label": kind_label(council.kind),
            "legal_basis": council.legal_basis, "quorum_percent": council.quorum_percent,
            "quorum_rule": quorum_rule(council), "invites_non_members": council.invites_non_members}


def quorum_of_meeting(meeting: Meeting) -> dict:
    """The quorum as recorded when the meeting was held, and what it means for its decisions."""
    note = None
    if meeting.quorum_met is False:
        note = (f"出席した構成機関が{meeting.members_present}で定足数（{meeting.quorum_required}）に達しなかったため、"
                "設置要綱の定めにより、この会議での決定は成立していません。")
    return {"required": meeting.quorum_required, "present": meeting.members_present, "met": meeting.quorum_met,
            "decisions_carried": meeting.quorum_met is not False, "note": note}


def next_meeting(meeting: Meeting) -> dict | None:
    """The council's next meeting after this one (次回開催予定 on the agenda and minutes): date and place only."""
    row = db.session().execute(select(Meeting.id, Meeting.starts_at, Meeting.place)
                               .where(Meeting.council_id == meeting.council_id, Meeting.starts_at > meeting.starts_at)
                               .order_by(Meeting.starts_at, Meeting.id).limit(1)).first()
    return {"id": row.id, "starts_at": row.starts_at, "place": row.place} if row else None


def present_meeting(meeting: Meeting, viewer_user) -> dict:
    s = db.session()
    out = present_meetings([meeting], viewer_user)[0]
    members = _orgs(member_org_ids(meeting))
    attendees = _users(attendee_user_ids(meeting))
    present = dict(s.execute(select(MeetingAttendee.user_id, MeetingAttendee.present)
                             .where(MeetingAttendee.meeting_id == meeting.id)).all())
    pledged = pledged_user_ids(meeting, attendees)
    att_orgs = _orgs(u.org_id for u in attendees.values())
    approver = s.get(User, meeting.minutes_approved_by) if meeting.minutes_approved_by else None
    mine = pledge_of(meeting, viewer_user.id)
    out.update({
        "shares_without_consent": shares_without_consent(meeting.kind), "fiscal_year": meeting.fiscal_year,
        "members": [org_ref(o) for o in sorted(members.values(), key=lambda o: (o.id != meeting.organizer_org_id,
                                                                                   o.code))],
        "attendees": [{"id": u.id, "display_name": u.display_name, "org": org_ref(att_orgs.get(u.org_id)),
                       "is_chair": u.id == meeting.chair_user_id, "pledged": u.id in pledged,
                       "present": present.get(u.id)}
                      for u in sorted(attendees.values(), key=lambda u: (u.id != meeting.chair_user_id,
                                                                         att_orgs[u.org_id].code, u.display_name,
                                                                         str(u.id)))],
        "window_start": meeting.window_start, "window_end": meeting.window_end,
        "sharing_days_after": meeting.sharing_days_after, "pledge_scope": meeting.pledge_scope,
        "held_at": meeting.held_at, "ended_at": meeting.ended_at, "next_meeting": next_meeting(meeting),
        "minutes_approved_at": meeting.minutes_approved_at,
        "minutes_approved_by": user_ref(approver), "created_at": meeting.created_at, "version": meeting.version,
        "my_pledge": {"signed": mine is not None, "signed_at": mine.signed_at if mine else None,
                      "scope": ("meeting" if mine.meeting_id else "fiscal_year") if mine else None},
        "allowed_transitions": list(TRANSITIONS[meeting.status]),
        "quorum": quorum_of_meeting(meeting),
        "my_role": "member" if viewer_user.org_id in members else "guest",
    })
    return out


class _CaseContext:
    """Everything the agenda and minutes need about the agenda's cases, loaded set-wise:
    the cases, their persons (primary + current household members), and the viewer's bases."""

    def __init__(self, viewer: Viewer, case_ids: list[uuid.UUID], meeting_id: uuid.UUID | None = None):
        s = db.session()
        self.viewer = viewer
        # in one meeting's papers only that meeting's 支援会議 basis counts (a council's boundary)
        self.meeting_id = meeting_id
        self.cases = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(case_ids)))} if case_ids else {}
        households = {c.household_id for c in self.cases.values() if c.household_id}
        self.members: dict[uuid.UUID, list[HouseholdMember]] = defaultdict(list)
        if households:
            for m in s.scalars(select(HouseholdMember).where(HouseholdMember.household_id.in_(households),
                                                             HouseholdMember.until.is_(None))
                               .order_by(HouseholdMember.position, HouseholdMember.id)):
                self.members[m.household_id].append(m)
        # relationships in force between members (the agenda shows those among the case's known persons)
        self.relationships: dict[uuid.UUID, list[HouseholdRelationship]] = defaultdict(list)
        if households:
            for r in s.scalars(select(HouseholdRelationship).where(
                    HouseholdRelationship.household_id.in_(households), HouseholdRelationship.ended_at.is_(None))
                    .order_by(HouseholdRelationship.created_at, HouseholdRelationship.id)):
                self.relationships[r.household_id].append(r)
        person_ids = {c.primary_person_id for c in self.cases.values() if c.primary_person_id} | \
            {m.person_id for ms in self.members.values() for m in ms}
        self.persons = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(person_ids)))} \
            if person_ids else {}
        self.bases: dict[uuid.UUID, PersonBases] = bases_for_persons(
            viewer, {p.id: p.collected_by_org_id for p in self.persons.values()})
        self._notes: dict[uuid.UUID, str | None] = {}
        self.issue_labels = codes.labels("issue_category") if self.cases else {}
        self.district_labels = codes.labels("district") if self.cases else {}

    def facts(self, case_id: uuid.UUID) -> dict:
        """The de-identified view: always shown to members."""
        case = self.cases[case_id]
        primary = self.persons.get(case.primary_person_id)
        return {"id": case.id, "case_number": case.case_number, "stage": case.stage,
                "stage_label": STAGE_LABELS.get(case.stage), "issues": case.issues,
                "issue_labels": [self.issue_labels.get(c, c) for c in case.issues], "district": case.district_code,
                "district_label": self.district_labels.get(case.district_code, case.district_code),
                "age_band": age_band(primary.birth_year) if primary else None}

    def persons_of(self, case_id: uuid.UUID, log: DisclosureLog) -> list[dict]:
        """Names only where the engine gives an identity basis *in the context of this case*."""
        case = self.cases[case_id]
        members = self.members.get(case.household_id, []) if case.household_id else []
        members = known_members(members, self.bases, case.primary_person_id)  # 住所秘匿
        order = [m.person_id for m in members]
        if case.primary_person_id and case.primary_person_id not in order:
            order.append(case.primary_person_id)
        order.sort(key=lambda pid: pid != case.primary_person_id)  # stable: primary first, then by position
        member_of = {m.person_id: m for m in members}
        out = []
        for pid in order:
            person = self.persons[pid]
            m = member_of.get(pid)
            item = {"id": pid, "is_primary": pid == case.primary_person_id,
                    "relationship": m.relationship_code if m else None,
                    "relationship_label": RELATIONSHIP_LABELS.get(m.relationship_code) if m else None,
                    "age_band": age_band(person.birth_year)}
            basis = self.bases[pid].basis("identity", case_id, self.meeting_id)
            if basis:
                item.update(name=person.name, name_kana=person.name_kana, basis=basis)
                log.add(pid, basis, "identity")
            item["redacted"] = basis is None
            out.append(item)
        return out

    def relationships_of(self, case_id: uuid.UUID, log: DisclosureLog) -> list[dict]:
        """Relationships between the persons of the case the agenda may name, each in full only on an identity
        basis for both persons in this meeting's context (住所秘匿: none with a secret member)."""
        case = self.cases[case_id]
        if not case.household_id:
            return []
        members = known_members(self.members.get(case.household_id, []), self.bases, case.primary_person_id)
        known = {m.person_id: self.persons[m.person_id] for m in members}
        return present_relationships(self.relationships.get(case.household_id, []), known, self.bases, log,
                                     case_id, self.meeting_id)

    def notes_basis(self, case_id: uuid.UUID) -> str | None:
        """The case_notes basis (discussion points, minutes, decisions of the case)."""
        if case_id not in self._notes:
            case = self.cases[case_id]
            primary = self.bases.get(case.primary_person_id) if case.primary_person_id else None
            self._notes[case_id] = case_notes_basis(self.viewer, case, primary, meeting_id=self.meeting_id)
        return self._notes[case_id]

    def disclose_notes(self, case_id: uuid.UUID, log: DisclosureLog) -> bool:
        basis = self.notes_basis(case_id)
        if basis is None:
            return False
        case = self.cases[case_id]
        if case.primary_person_id:
            log.add(case.primary_person_id, basis, "case_notes")
        return True


def _item_base(item: AgendaItem, ctx: _CaseContext, orgs: dict, log: DisclosureLog) -> tuple[dict, bool]:
    """Common fields of an agenda item; returns it and whether case_notes-level text may be shown."""
    out = {"id": item.id, "position": item.position, "kind": "case" if item.case_id else "topic",
           "topic": item.topic, "presenting_org": org_ref(orgs.get(item.presenting_org_id)),
           "minutes_allotted": item.minutes_allotted, "case": None, "persons": []}
    if item.case_id is None:
        return out, True  # general topics are the members' business
    out["case"] = ctx.facts(item.case_id)
    out["persons"] = ctx.persons_of(item.case_id, log)
    return out, ctx.notes_basis(item.case_id) is not None


def _points(item: AgendaItem, out: dict, notes: bool, ctx: _CaseContext, log: DisclosureLog) -> None:
    show = notes and item.points is not None
    if show and item.case_id:
        ctx.disclose_notes(item.case_id, log)
    out["points"] = item.points if show else None
    out["points_withheld"] = item.points is not None and not show


def visible_items(viewer: Viewer, meeting: Meeting) -> list[AgendaItem]:
    """The agenda items this viewer may see: all for members, the invited ones for a guest."""
    items = agenda_items(meeting)
    allowed = guest_item_ids(viewer, meeting)
    return items if allowed is None else [i for i in items if i.id in allowed]


def _guests(meeting: Meeting, items: list[AgendaItem]) -> dict[uuid.UUID, list[dict]]:
    by_item = guests_of(meeting)
    users = _users(u for i in items for u in by_item.get(i.id, []))
    orgs = _orgs(u.org_id for u in users.values())
    return {i.id: [{"id": u, "display_name": users[u].display_name, "org": org_ref(orgs.get(users[u].org_id))}
                   for u in by_item.get(i.id, [])] for i in items}


def agenda_item_view(viewer: Viewer, meeting: Meeting, item_id, viewer_user) -> tuple[dict | None, DisclosureLog]:
    """One agenda item as this viewer may see it (None when it is not on the viewer's agenda); only its own
    disclosures are logged."""
    data, log = agenda_view(viewer, meeting, viewer_user, only_item_id=item_id)
    return (data["items"][0] if data["items"] else None), log


def agenda_view(viewer: Viewer, meeting: Meeting, viewer_user, *, only_item_id=None) -> tuple[dict, DisclosureLog]:
    """The agenda as this viewer may see it (the same dict feeds the JSON and the PDF)."""
    log = DisclosureLog()
    items = visible_items(viewer, meeting)
    if only_item_id is not None:
        items = [i for i in items if i.id == only_item_id]
    ctx = _CaseContext(viewer, [i.case_id for i in items if i.case_id], meeting.id)
    orgs = _orgs(i.presenting_org_id for i in items)
    guests = _guests(meeting, items)
    out_items = []
    for item in items:
        out, notes = _item_base(item, ctx, orgs, log)
        _points(item, out, notes, ctx, log)
        out["relationships"] = ctx.relationships_of(item.case_id, log) if item.case_id else []
        out["guests"] = guests[item.id]
        out_items.append(out)
    mine = pledge_of(meeting, viewer_user.id)
    return {"meeting": present_meeting(meeting, viewer_user), "pledged": mine is not None,
            "window_open": window_open(meeting), "items": out_items}, log


def _decisions(meeting_ids: list[uuid.UUID], case_id: uuid.UUID | None = None) -> list[MeetingDecision]:
    if not meeting_ids:
        return []
    stmt = select(MeetingDecision).where(MeetingDecision.meeting_id.in_(meeting_ids))
    if case_id is not None:
        stmt = stmt.where(MeetingDecision.case_id == case_id)
    return list(db.session().scalars(stmt.order_by(MeetingDecision.created_at, MeetingDecision.id)))


def _present_decision(d: MeetingDecision, orgs: dict, show: bool, case_number: str | None) -> dict:
    return {"id": d.id, "meeting_id": d.meeting_id, "agenda_item_id": d.agenda_item_id, "case_id": d.case_id,
            "case_number": case_number, "title": d.title if show else None, "title_withheld": not show,
            "owner_org": org_ref(orgs.get(d.owner_org_id)), "due_on": d.due_on, "task_id": d.task_id,
            "carried": d.carried, "carried_label": "成立" if d.carried else "不成立（定足数不足）",
            "created_at": d.created_at}


def present_decision(viewer: Viewer, d: MeetingDecision) -> tuple[dict, DisclosureLog]:
    log = DisclosureLog()
    ctx = _CaseContext(viewer, [d.case_id], d.meeting_id)
    show = ctx.disclose_notes(d.case_id, log)
    return _present_decision(d, _orgs([d.owner_org_id]), show, ctx.cases[d.case_id].case_number), log


def decisions_view(viewer: Viewer, meeting: Meeting) -> tuple[list[dict], DisclosureLog]:
    log = DisclosureLog()
    allowed = guest_item_ids(viewer, meeting)
    decisions = [d for d in _decisions([meeting.id]) if allowed is None or d.agenda_item_id in allowed]
    ctx = _CaseContext(viewer, list({d.case_id for d in decisions}), meeting.id)
    orgs = _orgs(d.owner_org_id for d in decisions)
    out = []
    for d in decisions:
        show = ctx.disclose_notes(d.case_id, log)
        out.append(_present_decision(d, orgs, show, ctx.cases[d.case_id].case_number))
    return out, log


def minutes_view(viewer: Viewer, meeting: Meeting, viewer_user) -> tuple[dict, DisclosureLog]:
    """議事録: per item the recorded text (the latest correction when corrected), its corrections, and the
    decisions; case_notes-level text only where the viewer has a case_notes basis for the case."""
    s = db.session()
    log = DisclosureLog()
    items = visible_items(viewer, meeting)
    ctx = _CaseContext(viewer, [i.case_id for i in items if i.case_id], meeting.id)
    entries = {e.agenda_item_id: e
               for e in s.scalars(select(MinutesEntry).where(MinutesEntry.meeting_id == meeting.id))}
    corrections: dict[uuid.UUID, list[MinutesCorrection]] = defaultdict(list)
    for c in s.scalars(select(MinutesCorrection).where(MinutesCorrection.meeting_id == meeting.id)
                       .order_by(MinutesCorrection.created_at, MinutesCorrection.id)):
        corrections[c.agenda_item_id].append(c)
    decisions: dict[uuid.UUID, list[MeetingDecision]] = defaultdict(list)
    for d in _decisions([meeting.id]):
        decisions[d.agenda_item_id].append(d)
    orgs = _orgs([i.presenting_org_id for i in items] + [d.owner_org_id for ds in decisions.values() for d in ds])
    users = _users([e.recorded_by_user_id for e in entries.values()]
                   + [c.created_by_user_id for cs in corrections.values() for c in cs])
    out_items = []
    for item in items:
        out, notes = _item_base(item, ctx, orgs, log)
        _points(item, out, notes, ctx, log)
        entry = entries.get(item.id)
        fixes = corrections.get(item.id, [])
        has_text = entry is not None or bool(fixes)
        if notes and item.case_id and (has_text or decisions.get(item.id)):
            ctx.disclose_notes(item.case_id, log)
        out.update({
            "text": (fixes[-1].body if fixes else entry.body if entry else None) if notes else None,
            "original_text": (entry.body if entry else None) if notes else None,
            "text_withheld": has_text and not notes,
            "recorded_by": user_ref(users.get(entry.recorded_by_user_id)) if entry else None,
            "recorded_at": entry.updated_at if entry else None,
            "entry_version": entry.version if entry else None,
            "corrections": [{"id": c.id, "body": c.body if notes else None, "reason": c.reason if notes else None,
                             "withheld": not notes, "previous_id": c.previous_id,
                             "created_by": user_ref(users.get(c.created_by_user_id)), "created_at": c.created_at}
                            for c in fixes],
            "decisions": [_present_decision(d, orgs, notes, ctx.cases[d.case_id].case_number)
                          for d in decisions.get(item.id, [])],
        })
        out_items.append(out)
    approver = s.get(User, meeting.minutes_approved_by) if meeting.minutes_approved_by else None
    return {"meeting": present_meeting(meeting, viewer_user), "pledged": pledge_of(meeting, viewer_user.id) is not None,
            "window_open": window_open(meeting), "status": meeting.status, "quorum": quorum_of_meeting(meeting),
            "locked": meeting.status == "minutes_approved", "approved_at": meeting.minutes_approved_at,
            "approved_by": user_ref(approver), "items": out_items}, log


def meeting_cases(viewer: Viewer, meeting: Meeting) -> list[dict]:
    """Cases discussed at the meeting: de-identified facts, with the number of decisions on each."""
    items = [i for i in visible_items(viewer, meeting) if i.case_id]
    ctx = _CaseContext(viewer, [i.case_id for i in items], meeting.id)
    counts = dict(db.session().execute(
        select(MeetingDecision.case_id, func.count(MeetingDecision.id))
        .where(MeetingDecision.meeting_id == meeting.id).group_by(MeetingDecision.case_id)).all())
    return [{**ctx.facts(i.case_id), "agenda_item_id": i.id, "position": i.position,
             "decisions": counts.get(i.case_id, 0)} for i in items]


def case_meeting_history(viewer: Viewer, case: Case) -> tuple[list[dict], DisclosureLog]:
    """Meetings (of the viewer's organisation) that had the case on the agenda, newest first, with the
    decisions taken on it; decision titles are case_notes-level."""
    s = db.session()
    log = DisclosureLog()
    member = select(MeetingMember.org_id).where(MeetingMember.meeting_id == Meeting.id,
                                                MeetingMember.org_id == viewer.org_id).exists()
    guest = select(MeetingGuest.user_id).where(MeetingGuest.agenda_item_id == AgendaItem.id,
                                               MeetingGuest.user_id == viewer.user_id).exists()
    rows = s.execute(select(Meeting, AgendaItem).join(AgendaItem, and_(AgendaItem.meeting_id == Meeting.id,
                                                                       AgendaItem.case_id == case.id))
                     .where(or_(member, guest), Meeting.municipality_id == viewer.municipality_id)
                     .order_by(Meeting.starts_at.desc(), Meeting.id)).all()
    decisions: dict[uuid.UUID, list[MeetingDecision]] = defaultdict(list)
    for d in _decisions([m.id for m, _ in rows], case.id):
        decisions[d.meeting_id].append(d)
    ctx = _CaseContext(viewer, [case.id])
    orgs = _orgs([d.owner_org_id for ds in decisions.values() for d in ds] + [i.presenting_org_id for _, i in rows]
                 + [m.organizer_org_id for m, _ in rows])
    councils = councils_of_meetings([m.id for m, _ in rows])
    show = any(decisions.values()) and ctx.disclose_notes(case.id, log)
    out = []
    for m, item in rows:
        out.append({
            "meeting": {"id": m.id, "kind": m.kind, "kind_label": kind_label(m.kind), "title": m.title,
                        "council": _council_ref(councils.get(m.id)),
                        "starts_at": m.starts_at, "status": m.status, "status_label": STATUS_LABELS[m.status],
                        "organizer_org": org_ref(orgs.get(m.organizer_org_id))},
            "agenda_item_id": item.id, "position": item.position,
            "presenting_org": org_ref(orgs.get(item.presenting_org_id)),
            "decisions": [_present_decision(d, orgs, bool(show), case.case_number) for d in decisions.get(m.id, [])],
        })
    return out, log
