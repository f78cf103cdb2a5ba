"""Contacts (相談者) and the link to a person.

Who: the case workers of the organisation that took the contact (its owner), in the municipality it acts in;
every other organisation and municipality gets 404 (no existence leak). A contact is created with an anonymous
case (caseflow.cases.rules.open_case calls `attach_new_case`) or on its own (`create_contact`); each further
contact moves `last_contact_at`.

Linking is an explicit act with a reason: the contact stays a record of its own (with `linked_person_id`,
`linked_at`, `linked_by_user_id`), its cases gain the person as their primary person, and a `contact_links` row
(append-only) records who linked whom, when and why. Linking a linked contact is refused (409): unlink first.
Unlinking (with a reason) restores the anonymous state of the contact and of the cases that got the person
from the link; the history keeps both acts. The person must be one the owner collected itself, so the link
never gives the owner a basis it did not have; what others see of the person follows the sharing engine.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select

from caseflow.access import trail
from caseflow.access.disclosure import DisclosureLog
from caseflow.access.sharing import Viewer, bases_for_persons, case_is_visible
from caseflow.cases.models import Case, Person
from caseflow.codes import rules as codes
from caseflow.contacts.models import Contact, ContactCase, ContactLink
from caseflow.core import db
from caseflow.core.db import new_id, utcnow
from caseflow.core.errors import Problem, validation_problem

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


def visible_contacts(viewer: Viewer, *, linked: bool | None = None, channel: str | None = None) -> Select:
    """The contacts of the viewer's organisation in the municipality it acts in, most recent contact first."""
    stmt = select(Contact).where(Contact.owner_org_id == viewer.org_id, Contact.municipality_id == viewer.municipality_id)
    if linked is not None:
        stmt = stmt.where(Contact.linked_person_id.is_not(None) if linked else Contact.linked_person_id.is_(None))
    if channel:
        stmt = stmt.where(Contact.channel == channel)
    return stmt.order_by(Contact.last_contact_at.desc(), Contact.id.desc())


def get_contact(viewer: Viewer, contact_id: uuid.UUID) -> Contact:
    contact = db.session().scalar(visible_contacts(viewer).where(Contact.id == contact_id))
    if contact is None:
        raise Problem(404, detail=NOT_FOUND)
    return contact


def _check_time(at: datetime | None, field: str) -> datetime:
    now = utcnow()
    if at is None:
        return now
    if at > now:
        raise validation_problem({field: ["未来の日時は指定できません。"]})
    return at


def create_contact(data: dict, *, actor) -> Contact:
    codes.check("intake_channel", "channel", data["channel"])
    at = _check_time(data.get("first_contact_at"), "first_contact_at")
    contact = Contact(id=new_id(), municipality_id=actor.municipality_id, owner_org_id=actor.org_id, channel=data["channel"],
                      handle=data["handle"], first_contact_at=at, last_contact_at=at, contact_count=1,
                      created_by_user_id=actor.id)
    db.session().add(contact)  # no flush: the caller's unit of work decides when (an id is set already)
    trail.record(db.session(), action="contacts.create", resource_type="contacts", resource_id=contact.id, actor=actor,
                 detail={"contact_id": str(contact.id), "channel": contact.channel})
    return contact


def record_contact(contact: Contact, at: datetime | None, *, actor) -> Contact:
    """A further contact: `last_contact_at` moves to it (a contact recorded late, before the first, moves the
    first back); the count grows by one."""
    at = _check_time(at, "at")
    contact.last_contact_at = max(contact.last_contact_at, at)
    contact.first_contact_at = min(contact.first_contact_at, at)
    contact.contact_count += 1
    trail.record(db.session(), action="contacts.contact", resource_type="contacts", resource_id=contact.id, actor=actor,
                 detail={"contact_id": str(contact.id), "count": contact.contact_count})
    return contact


def attach_new_case(case: Case, contact_id: uuid.UUID | None, *, actor) -> Contact:
    """An anonymous case just opened: attach it to the named contact of the caller's organisation (a further
    contact; a linked contact gives the case its person) or to a new contact with the case's label and channel."""
    with db.session().no_autoflush:  # the case's own unit of work (its stage change) flushes when its caller does
        if contact_id is None:
            contact = create_contact({"channel": case.intake_channel, "handle": case.anonymous_label}, actor=actor)
        else:
            contact = db.session().scalar(visible_contacts(Viewer.of(actor)).where(Contact.id == contact_id))
            if contact is None:
                raise validation_problem({"contact_id": ["指定された相談者は使えません。"]})
            record_contact(contact, None, actor=actor)
            case.anonymous_label = case.anonymous_label or contact.handle
            case.primary_person_id = contact.linked_person_id
        db.session().add(ContactCase(contact_id=contact.id, case_id=case.id))
    return contact


def contact_of_case(case_id: uuid.UUID) -> Contact | None:
    return db.session().scalar(select(Contact).join(ContactCase, ContactCase.contact_id == Contact.id)
                               .where(ContactCase.case_id == case_id))


def _own_cases(contact: Contact, actor) -> list[Case]:
    """The contact's cases the actor's organisation owns here (a case transferred away is not touched)."""
    return list(db.session().scalars(
        select(Case).join(ContactCase, ContactCase.case_id == Case.id)
        .where(ContactCase.contact_id == contact.id, Case.owner_org_id == actor.org_id,
               Case.municipality_id == actor.municipality_id).order_by(Case.opened_on, Case.created_at, Case.id)))


def link(contact: Contact, person_id: uuid.UUID, reason: str, *, actor) -> Contact:
    if contact.linked_person_id is not None:
        raise Problem(409, detail="この相談者は既に人物と結び付いています。結び付けを変えるには先に解除してください"
                                  f"（POST /api/v1/contacts/{contact.id}/unlink）。", type_="already-linked",
                      contact_id=str(contact.id))
    person = db.session().get(Person, person_id)
    if person is None or person.collected_by_org_id != actor.org_id or person.municipality_id != actor.municipality_id:
        raise validation_problem({"person_id": ["指定された人物は使えません（自組織が記録した人物のみ）。"]})
    cases = _own_cases(contact, actor)
    taken = [c for c in cases if c.primary_person_id not in (None, person.id)]
    if taken:
        raise Problem(409, detail=f"ケース {taken[0].case_number} には既に別の人物が記録されています。",
                      type_="already-linked", case_id=str(taken[0].id))
    now = utcnow()
    changed = [c for c in cases if c.primary_person_id is None]
    for case in changed:
        case.primary_person_id = person.id
        case.last_activity_at = now
    contact.linked_person_id, contact.linked_at, contact.linked_by_user_id = person.id, now, actor.id
    _append(contact, "link", person.id, reason, actor, [c.id for c in changed])
    return contact


def unlink(contact: Contact, reason: str, *, actor) -> Contact:
    if contact.linked_person_id is None:
        raise Problem(409, detail="この相談者は人物と結び付いていません。", type_="not-linked",
                      contact_id=str(contact.id))
    person_id = contact.linked_person_id
    changed = [c for c in _own_cases(contact, actor) if c.primary_person_id == person_id]
    now = utcnow()
    for case in changed:
        case.primary_person_id = None
        case.last_activity_at = now
    contact.linked_person_id, contact.linked_at, contact.linked_by_user_id = None, None, None
    _append(contact, "unlink", person_id, reason, actor, [c.id for c in changed])
    return contact


def _append(contact: Contact, act: str, person_id: uuid.UUID, reason: str, actor, case_ids: list) -> None:
    s = db.session()
    s.add(ContactLink(contact_id=contact.id, act=act, person_id=person_id, reason=reason, actor_user_id=actor.id,
                      actor_org_id=actor.org_id))
    s.flush()
    trail.record(s, action=f"contacts.{act}", resource_type="contacts", resource_id=contact.id, actor=actor,
                 detail={"act": act, "contact_id": str(contact.id), "person_id": str(person_id),
                         "case_ids": [str(c) for c in case_ids]})


def links_of(contact: Contact) -> list[ContactLink]:
    return list(db.session().scalars(select(ContactLink).where(ContactLink.contact_id == contact.id)
                                     .order_by(ContactLink.created_at, ContactLink.id)))


# --- presentation -------------------------------------------------------------------------------

def present(viewer: Viewer, contacts: list[Contact], log: DisclosureLog, *, with_links: bool = False) -> list[dict]:
    """Contacts as the API shows them: their cases that the viewer may see (filtered in SQL), and the linked
    person as a reference whose name appears only on the viewer's identity basis (sharing engine)."""
    s = db.session()
    ids = [c.id for c in contacts]
    cases: dict[uuid.UUID, list[dict]] = {i: [] for i in ids}
    if ids:
        rows = s.execute(select(ContactCase.contact_id, Case.id, Case.case_number, Case.stage)
                         .join(Case, Case.id == ContactCase.case_id)
                         .where(ContactCase.contact_id.in_(ids), case_is_visible(viewer))
                         .order_by(Case.opened_on, Case.created_at, Case.id)).all()
        for contact_id, case_id, number, stage in rows:
            cases[contact_id].append({"id": case_id, "case_number": number, "stage": stage})
    links = {i: [] for i in ids}
    if with_links and ids:
        for row in s.scalars(select(ContactLink).where(ContactLink.contact_id.in_(ids))
                             .order_by(ContactLink.created_at, ContactLink.id)):
            links[row.contact_id].append(row)
    person_ids = {c.linked_person_id for c in contacts if c.linked_person_id} | \
        {r.person_id for rows in links.values() for r in rows}
    persons = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(person_ids)))} if person_ids else {}
    bases = bases_for_persons(viewer, {p.id: p.collected_by_org_id for p in persons.values()})

    def ref(pid):
        if pid is None:
            return None
        out = {"id": pid, "redacted": True}
        basis = bases[pid].basis("identity")
        if basis is not None:
            out.update(name=persons[pid].name, name_kana=persons[pid].name_kana, redacted=False)
            log.add(pid, basis, "identity")
        return out

    out = []
    for c in contacts:
        item = {"id": c.id, "channel": c.channel, "handle": c.handle, "first_contact_at": c.first_contact_at,
                "last_contact_at": c.last_contact_at, "contact_count": c.contact_count,
                "municipality_id": c.municipality_id, "owner_org_id": c.owner_org_id, "cases": cases[c.id],
                "linked": c.linked_person_id is not None, "linked_person": ref(c.linked_person_id),
                "linked_at": c.linked_at, "linked_by_user_id": c.linked_by_user_id, "version": c.version}
        if with_links:
            item["links"] = [{"id": r.id, "act": r.act, "person": ref(r.person_id), "reason": r.reason,
                              "actor_user_id": r.actor_user_id, "actor_org_id": r.actor_org_id, "at": r.created_at}
                             for r in links[c.id]]
        out.append(item)
    return out

