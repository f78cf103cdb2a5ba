"""What a viewer is shown of progress notes, persons and households: each item redacted by its sharing basis,
and the disclosure log of what was shown (the caller records it as one audited read)."""
from __future__ import annotations

from sqlalchemy import select

from caseflow.access.disclosure import DisclosureLog, age_band, current_household_addresses, present_person
from caseflow.access.refs import user_refs
from caseflow.access.sharing import Viewer, address_secret_in, bases_for_persons, case_notes_basis
from caseflow.cases.models import RELATIONSHIP_LABELS, Case, Household, Person, ProgressRecord
from caseflow.core import db
from caseflow.organizations.models import Organization


def offer_context(offers) -> tuple[dict, dict]:
    """For a page of offers (transfers, hand-overs): their organisations by id and the de-identified view
    of their cases by id (issues, stage, urgency, age band; no personal data), in three queries whatever the
    page size."""
    s = db.session()
    org_ids = {o.from_org_id for o in offers} | {o.to_org_id for o in offers}
    orgs = {o.id: o for o in s.scalars(select(Organization).where(Organization.id.in_(org_ids)))} if org_ids else {}
    case_ids = {o.case_id for o in offers}
    cases = list(s.scalars(select(Case).where(Case.id.in_(case_ids)))) if case_ids else []
    person_ids = [c.primary_person_id for c in cases if c.primary_person_id]
    birth_years = dict(s.execute(select(Person.id, Person.birth_year).where(Person.id.in_(person_ids))).all()) \
        if person_ids else {}
    views = {c.id: {"id": c.id, "case_number": c.case_number, "issues": c.issues, "stage": c.stage,
                    "urgency": c.urgency, "age_band": age_band(birth_years.get(c.primary_person_id))} for c in cases}
    return orgs, views


def progress_view(viewer: Viewer, case: Case) -> tuple[list[dict], DisclosureLog]:
    """支援経過記録, newest first. Bodies are case_notes: shown for the viewer's own entries or on a basis."""
    s = db.session()
    records = s.scalars(select(ProgressRecord).where(ProgressRecord.case_id == case.id)
                        .order_by(ProgressRecord.occurred_on.desc(), ProgressRecord.created_at.desc())).all()
    primary = None
    if case.primary_person_id:
        person = s.get(Person, case.primary_person_id)
        primary = bases_for_persons(viewer, {person.id: person.collected_by_org_id})[person.id]
    basis = case_notes_basis(viewer, case, primary)
    orgs = {o.id: o for o in s.scalars(select(Organization).where(Organization.id.in_({r.org_id for r in records})))}
    authors = user_refs(r.author_user_id for r in records)
    log = DisclosureLog()
    out = []
    for r in records:
        own = r.org_id == viewer.org_id
        visible = own or basis is not None
        if visible and case.primary_person_id:
            log.add(case.primary_person_id, "own_collection" if own else basis, "case_notes")
        out.append(progress_item(r, orgs[r.org_id], visible, authors.get(r.author_user_id)))
    return out, log


def progress_item(record: ProgressRecord, org: Organization, visible: bool = True, author: dict | None = None) -> dict:
    return {"id": record.id, "org": org, "author": author, "kind": record.kind, "occurred_on": record.occurred_on,
            "body": record.body if visible else None, "body_withheld": not visible, "created_at": record.created_at}


def person_view(viewer: Viewer, person: Person) -> tuple[dict, DisclosureLog]:
    log = DisclosureLog()
    bases = bases_for_persons(viewer, {person.id: person.collected_by_org_id})[person.id]
    homes = current_household_addresses(viewer, [person.id]) if "contact" in bases.allowed() else {}
    data = present_person(person, bases, log, household_address=homes.get(person.id))
    data["version"] = person.version
    return data, log


def persons_view(viewer: Viewer, persons: list[Person]) -> tuple[list[dict], DisclosureLog]:
    log = DisclosureLog()
    bases = bases_for_persons(viewer, {p.id: p.collected_by_org_id for p in persons})
    homes = current_household_addresses(viewer, [p.id for p in persons if "contact" in bases[p.id].allowed()])
    return [present_person(p, bases[p.id], log, household_address=homes.get(p.id)) for p in persons], log


def household_view(viewer: Viewer, h: Household) -> tuple[dict, DisclosureLog]:
    """The household and its current members, each member redacted by its own basis; the address on a contact
    basis for the person in need (or the collector's own). A member under a secrecy decision that does not
    name the viewer's organisation is not shown at all (住所秘匿: neither that they live here nor that they left)."""
    log = DisclosureLog()
    members = [m for m in h.members if m.until is None]
    persons = {p.id: p for p in db.session().scalars(select(Person).where(Person.id.in_([m.person_id for m in members])))}
    bases = bases_for_persons(viewer, {p.id: p.collected_by_org_id for p in persons.values()})
    home = None if address_secret_in(members, persons, bases) else h.address
    members = [m for m in members if not bases[m.person_id].secret]
    out = {"id": h.id, "district": h.district_code, "version": h.version, "members": []}
    for m in members:
        out["members"].append(present_person(persons[m.person_id], bases[m.person_id], log, extra={
            "relationship": m.relationship_code, "relationship_label": RELATIONSHIP_LABELS[m.relationship_code],
            "in_need": m.in_need, "member_id": m.id}, household_address=home))
    anchor = h.in_need_person_id()
    basis = bases[anchor].basis("contact") if anchor in bases else (
        "own_collection" if h.collected_by_org_id == viewer.org_id else None)
    if basis and home is not None:
        out["address"] = home
        if anchor:
            log.add(anchor, basis, "contact")
    out["address_withheld"] = basis is None or home is None
    return out, log
