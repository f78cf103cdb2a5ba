"""Events and participation: creating them inside the municipality one acts in, and the yearly counts.

Everything here is organisational data (an event, an organisation, a number of people); no person is named.
Every read and count is filtered in SQL by the acting municipality; an event of another municipality does not
exist for the caller (404)."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from caseflow.access import tenancy, trail
from caseflow.access.refs import org_refs
from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.errors import Problem, validation_problem
from caseflow.events.models import Event, EventParticipation
from caseflow.organizations.models import Organization

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


def fiscal_year_of(day: date) -> int:
    """年度: April to March."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_range(fiscal_year: int) -> tuple[date, date]:
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def _member_org(org_id: uuid.UUID, municipality_id: uuid.UUID, field: str) -> Organization:
    org = db.session().scalar(select(Organization).where(Organization.id == org_id, Organization.active.is_(True),
                                                         tenancy.org_is_member(municipality_id)))
    if org is None:
        raise validation_problem({field: ["この自治体のプラットフォームに参加している組織を指定してください。"]})
    return org


def create_event(actor, *, kind: str, title: str, held_on: date, organiser_org_id: uuid.UUID,
                 description: str | None = None) -> Event:
    """An event of the municipality the actor acts in, organised by one of its (member) organisations."""
    codes.check("event_kind", "kind", kind)
    organiser = _member_org(organiser_org_id, actor.municipality_id, "organiser_org_id")
    s = db.session()
    event = Event(municipality_id=actor.municipality_id, kind=kind, title=title, held_on=held_on,
                  organiser_org_id=organiser.id, description=description, created_by_user_id=actor.id,
                  created_by_org_id=actor.org_id)
    s.add(event)
    s.flush()
    trail.record(s, action="events.create", resource_type="events", resource_id=event.id, actor=actor,
                 detail={"kind": kind, "organiser_org_id": str(organiser.id), "held_on": held_on.isoformat()})
    return event


def events_query(municipality_id: uuid.UUID, *, fiscal_year: int | None = None, kind: str | None = None) -> Select:
    stmt = select(Event).where(Event.municipality_id == municipality_id)
    if fiscal_year is not None:
        start, end = fiscal_range(fiscal_year)
        stmt = stmt.where(Event.held_on >= start, Event.held_on <= end)
    if kind:
        stmt = stmt.where(Event.kind == kind)
    return stmt.order_by(Event.held_on, Event.id)


def get_event(event_id: uuid.UUID, municipality_id: uuid.UUID) -> Event:
    event = db.session().scalar(select(Event).where(Event.id == event_id, Event.municipality_id == municipality_id))
    if event is None:
        raise Problem(404, detail=NOT_FOUND)
    return event


def may_manage(event: Event, actor) -> bool:
    """The organiser, the organisation that recorded the event, and the municipality's secretariat keep its
    participants; other organisations of the platform read it."""
    return (actor.org_id in (event.organiser_org_id, event.created_by_org_id)
            or tenancy.administered_municipality_id(actor) == event.municipality_id)


def add_participation(event: Event, actor, *, org_id: uuid.UUID, headcount: int) -> EventParticipation:
    """Record how many people an organisation brought to the event; once per organisation (409 after)."""
    org = _member_org(org_id, event.municipality_id, "org_id")
    s = db.session()
    if s.scalar(select(EventParticipation.id).where(EventParticipation.event_id == event.id,
                                                    EventParticipation.org_id == org.id)):
        raise Problem(409, detail="この組織の参加はすでに記録されています。", type_="duplicate",
                      errors={"org_id": ["この行事への参加はすでに記録されています。"]})
    part = EventParticipation(event_id=event.id, org_id=org.id, headcount=headcount, created_by_user_id=actor.id)
    s.add(part)
    s.flush()
    trail.record(s, action="events.participation", resource_type="events", resource_id=event.id, actor=actor,
                 detail={"org_id": str(org.id), "headcount": headcount})
    return part


def present(events: list[Event]) -> list[dict]:
    """Events with their organiser and participations (two queries for a page)."""
    ids = [e.id for e in events]
    parts: dict[uuid.UUID, list[EventParticipation]] = {i: [] for i in ids}
    if ids:
        for p in db.session().scalars(select(EventParticipation).where(EventParticipation.event_id.in_(ids))
                                      .order_by(EventParticipation.created_at, EventParticipation.id)):
            parts[p.event_id].append(p)
    refs = org_refs([e.organiser_org_id for e in events] + [p.org_id for ps in parts.values() for p in ps])
    labels = codes.labels("event_kind")
    out = []
    for e in events:
        ps = parts[e.id]
        out.append({"id": e.id, "kind": e.kind, "kind_label": labels.get(e.kind, e.kind), "title": e.title,
                    "held_on": e.held_on, "fiscal_year": fiscal_year_of(e.held_on),
                    "organiser": refs.get(e.organiser_org_id), "description": e.description,
                    "created_at": e.created_at,
                    "participants": [{"id": p.id, "org": refs.get(p.org_id), "headcount": p.headcount}
                                     for p in ps],
                    "total_headcount": sum(p.headcount for p in ps)})
    return out


def report(municipality_id: uuid.UUID, fiscal_year: int) -> dict:
    """The year's events counted per kind and per organisation (organised, took part in, people brought)."""
    s = db.session()
    start, end = fiscal_range(fiscal_year)
    in_year = (Event.municipality_id == municipality_id, Event.held_on >= start, Event.held_on <= end)
    heads = (select(EventParticipation.event_id, func.sum(EventParticipation.headcount).label("people"),
                    func.count().label("orgs"))
             .group_by(EventParticipation.event_id).subquery())
    labels = codes.labels("event_kind")
    by_kind = [{"kind": kind, "label": labels.get(kind, kind), "events": n, "participating_organisations": orgs,
                "headcount": people}
               for kind, n, orgs, people in s.execute(
                   select(Event.kind, func.count(Event.id), func.coalesce(func.sum(heads.c.orgs), 0),
                          func.coalesce(func.sum(heads.c.people), 0))
                   .outerjoin(heads, heads.c.event_id == Event.id).where(*in_year)
                   .group_by(Event.kind).order_by(Event.kind))]
    organised = dict(s.execute(select(Event.organiser_org_id, func.count(Event.id)).where(*in_year)
                               .group_by(Event.organiser_org_id)).all())
    took_part = {org_id: (n, people) for org_id, n, people in s.execute(
        select(EventParticipation.org_id, func.count(EventParticipation.id), func.sum(EventParticipation.headcount))
        .join(Event, Event.id == EventParticipation.event_id).where(*in_year)
        .group_by(EventParticipation.org_id))}
    refs = org_refs(set(organised) | set(took_part))
    by_org = [{"org": refs[org_id], "organised": organised.get(org_id, 0),
               "participated": took_part.get(org_id, (0, 0))[0], "headcount": int(took_part.get(org_id, (0, 0))[1])}
              for org_id in refs]
    by_org.sort(key=lambda row: row["org"]["code"])
    return {"fiscal_year": fiscal_year, "period": {"start": start, "end": end},
            "by_kind": [{**row, "participating_organisations": int(row["participating_organisations"]),
                         "headcount": int(row["headcount"])} for row in by_kind],
            "by_organisation": by_org,
            "totals": {"events": sum(r["events"] for r in by_kind),
                       "headcount": sum(int(r["headcount"]) for r in by_kind)}}

