"""Councils (会議体): standing bodies of one municipality, each with its kind and legal basis, member
organisations over time, a chair, a secretariat (事務局), a 設置要綱 (quorum, invited non-members) and a schedule.

Who sees a council: its member organisations and its secretariat (anyone else: 404). Who runs it: supervisors
(casbin `councils, manage`) of the secretariat. A council that shares without consent (支援会議 and the
statutory councils) is set up by the municipality: its secretariat is a municipal department at home there.
Its membership is the boundary of what its meetings share: a meeting's members are the council's members, kept
in step when an organisation joins or leaves (a leaving organisation loses the meetings whose window is open).
"""
from __future__ import annotations

import math
import uuid

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from caseflow.access import tenancy, trail
from caseflow.access.refs import org_ref, user_ref
from caseflow.access.sharing import Viewer
from caseflow.accounts.models import User
from caseflow.core import db
from caseflow.core.db import new_id, utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.jpdate import fiscal_year
from caseflow.meetings.models import (
    COUNCIL_KINDS,
    Council,
    CouncilMember,
    Meeting,
    MeetingAttendee,
    MeetingMember,
    Pledge,
)
from caseflow.organizations.models import Organization

NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"
EDITABLE = ("name", "chair_user_id", "bylaws_title", "bylaws_text", "quorum_percent", "invites_non_members",
            "schedule", "pledge_scope", "active")


def kind_label(kind: str) -> str:
    return COUNCIL_KINDS[kind][0]


def shares_without_consent(kind: str) -> bool:
    return COUNCIL_KINDS[kind][1]


def quorum_of(council: Council, members: int) -> int | None:
    """Member organisations that must be present (定足数): `quorum_percent` of the members, rounded up
    (須坂市's 要綱: 委員の半数以上 → 50)."""
    if council.quorum_percent is None:
        return None
    return max(1, math.ceil(members * council.quorum_percent / 100))


def quorum_rule(council: Council) -> str | None:
    if council.quorum_percent is None:
        return None
    if council.quorum_percent == 50:
        return "構成機関の半数以上の出席"
    return f"構成機関の{council.quorum_percent}%以上の出席"


# --- which councils ------------------------------------------------------------------------------

def open_member(org_id) -> Select:
    """Ids of the councils `org_id` is a current member of."""
    return select(CouncilMember.council_id).where(CouncilMember.org_id == org_id, CouncilMember.until.is_(None))


def visible_council_ids(viewer: Viewer) -> Select:
    return select(Council.id).where(Council.municipality_id == viewer.municipality_id,
                                    or_(Council.secretariat_org_id == viewer.org_id,
                                        Council.id.in_(open_member(viewer.org_id))))


def get_visible_council(viewer: Viewer, council_id: uuid.UUID) -> Council:
    council = db.session().scalar(select(Council).where(Council.id == council_id,
                                                        Council.id.in_(visible_council_ids(viewer))))
    if council is None:
        raise Problem(404, detail=NOT_FOUND)
    return council


def council_list_query(viewer: Viewer, filters: dict) -> Select:
    stmt = select(Council).where(Council.id.in_(visible_council_ids(viewer)))
    if filters.get("kind"):
        stmt = stmt.where(Council.kind.in_(filters["kind"]))
    if not filters.get("include_inactive"):
        stmt = stmt.where(Council.active.is_(True))
    return stmt.order_by(Council.name, Council.id)


def member_org_ids(council: Council) -> list[uuid.UUID]:
    return list(db.session().scalars(select(CouncilMember.org_id).where(CouncilMember.council_id == council.id,
                                                                        CouncilMember.until.is_(None))))


def require_secretariat(council: Council, actor) -> None:
    if council.secretariat_org_id != actor.org_id:
        raise Problem(403, detail="会議体の運営は事務局の組織のみ行えます。", type_="forbidden")


# --- create and edit ----------------------------------------------------------------------------

def _orgs_of_municipality(org_ids, municipality_id: uuid.UUID, field: str) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(org_ids))
    found = set(db.session().scalars(select(Organization.id).where(Organization.id.in_(ids),
                                                                   Organization.active.is_(True),
                                                                   tenancy.org_is_member(municipality_id))))
    if set(ids) - found:
        raise validation_problem({field: ["存在しないか無効な組織が含まれています。"]})
    return ids


def valid_chair(user_id, members: list[uuid.UUID]) -> uuid.UUID:
    """A council's or a meeting's chair: an active supervisor of a member organisation."""
    user = db.session().get(User, user_id)
    if user is None or not user.active or "supervisor" not in user.roles or user.org_id not in members:
        raise validation_problem({"chair_user_id": ["議長には構成組織の有効なスーパーバイザーを指定してください。"]})
    return user.id


def _require_statutory_secretariat(kind: str, actor) -> None:
    """A council that shares without consent is the municipality's: organised by one of its departments."""
    if not shares_without_consent(kind):
        return
    org = db.session().get(Organization, actor.org_id)
    if org.kind != "department" or org.municipality_id != actor.municipality_id:
        raise Problem(403, detail="同意によらず情報を共有する会議体（支援会議・法定協議会）は、市町村の部署が事務局として設置します。",
                      type_="forbidden")


def create_council(data: dict, *, actor) -> Council:
    s = db.session()
    _require_statutory_secretariat(data["kind"], actor)
    members = _orgs_of_municipality([actor.org_id, *data.get("member_org_ids", [])], actor.municipality_id,
                                    "member_org_ids")
    council = Council(
        id=new_id(), municipality_id=actor.municipality_id, kind=data["kind"], name=data["name"],
        legal_basis=COUNCIL_KINDS[data["kind"]][2], secretariat_org_id=actor.org_id,
        chair_user_id=valid_chair(data.get("chair_user_id") or actor.id, members),
        bylaws_title=data.get("bylaws_title"), bylaws_text=data.get("bylaws_text"),
        quorum_percent=data.get("quorum_percent"), invites_non_members=data.get("invites_non_members", False),
        schedule=data.get("schedule"), pledge_scope=data.get("pledge_scope", "fiscal_year"), active=True,
        created_by_user_id=actor.id)
    try:
        with s.begin_nested():
            s.add(council)
            s.flush()
    except IntegrityError:
        raise validation_problem({"name": ["この自治体に同じ名称の会議体があります。"]}) from None
    now = utcnow()
    s.add_all([CouncilMember(council_id=council.id, org_id=o, since=now) for o in members])
    trail.record(s, action="councils.create", resource_type="councils", resource_id=council.id, actor=actor,
                 detail={"kind": council.kind, "members": len(members), "quorum_percent": council.quorum_percent})
    return council


def update_council(council: Council, data: dict, *, actor) -> Council:
    require_secretariat(council, actor)
    s = db.session()
    if "chair_user_id" in data:
        council.chair_user_id = valid_chair(data["chair_user_id"], member_org_ids(council))
    for key in EDITABLE:
        if key in data and key != "chair_user_id":
            setattr(council, key, data[key])
    council.updated_at = utcnow()
    try:
        with s.begin_nested():
            s.flush()
    except IntegrityError:
        raise validation_problem({"name": ["この自治体に同じ名称の会議体があります。"]}) from None
    trail.record(s, action="councils.update", resource_type="councils", resource_id=council.id, actor=actor,
                 detail={"changed": sorted(data)})
    return council


def add_member(council: Council, org_id: uuid.UUID, *, actor) -> None:
    """A new member organisation; it joins the council's meetings that are still planned."""
    require_secretariat(council, actor)
    s = db.session()
    _orgs_of_municipality([org_id], council.municipality_id, "org_id")
    if org_id in member_org_ids(council):
        raise Problem(409, detail="この組織はすでに構成機関です。", type_="duplicate")
    s.add(CouncilMember(council_id=council.id, org_id=org_id, since=utcnow()))
    planned = list(s.scalars(select(Meeting.id).where(Meeting.council_id == council.id, Meeting.status == "planned")))
    have = set(s.scalars(select(MeetingMember.meeting_id).where(MeetingMember.meeting_id.in_(planned),
                                                                MeetingMember.org_id == org_id))) if planned else set()
    s.add_all([MeetingMember(meeting_id=m, org_id=org_id) for m in planned if m not in have])
    council.updated_at = utcnow()
    trail.record(s, action="councils.member.add", resource_type="councils", resource_id=council.id, actor=actor,
                 detail={"org_id": str(org_id), "meetings_joined": len(planned)})


def end_member(council: Council, org_id: uuid.UUID, *, actor) -> None:
    """An organisation leaves: it leaves every meeting of the council whose sharing window is still open
    (and the attendance of its users at planned ones). Meetings whose window closed keep it as a record."""
    require_secretariat(council, actor)
    if org_id == council.secretariat_org_id:
        raise validation_problem({"org_id": ["事務局の組織は構成機関から外せません。"]})
    s = db.session()
    row = s.scalar(select(CouncilMember).where(CouncilMember.council_id == council.id,
                                               CouncilMember.org_id == org_id, CouncilMember.until.is_(None)))
    if row is None:
        raise Problem(404, detail=NOT_FOUND)
    chair_org = s.scalar(select(User.org_id).where(User.id == council.chair_user_id))
    if chair_org == org_id:
        raise validation_problem({"org_id": ["会長（議長）の所属組織は、会長を替えてから外してください。"]})
    now = utcnow()
    row.until = now
    open_meetings = select(Meeting.id).where(Meeting.council_id == council.id, Meeting.window_end > now)
    left = s.execute(MeetingMember.__table__.delete().where(MeetingMember.meeting_id.in_(open_meetings),
                                                            MeetingMember.org_id == org_id)).rowcount
    users = select(User.id).where(User.org_id == org_id)
    planned = select(Meeting.id).where(Meeting.council_id == council.id, Meeting.status == "planned")
    s.execute(MeetingAttendee.__table__.delete().where(MeetingAttendee.meeting_id.in_(planned),
                                                       MeetingAttendee.user_id.in_(users)))
    council.updated_at = now
    trail.record(s, action="councils.member.end", resource_type="councils", resource_id=council.id, actor=actor,
                 detail={"org_id": str(org_id), "meetings_left": left})


# --- views --------------------------------------------------------------------------------------

def present_councils(councils: list[Council], viewer_user) -> list[dict]:
    s = db.session()
    ids = [c.id for c in councils]
    orgs_of: dict[uuid.UUID, list] = {i: [] for i in ids}
    past_of: dict[uuid.UUID, list] = {i: [] for i in ids}
    if ids:
        for m in s.scalars(select(CouncilMember).where(CouncilMember.council_id.in_(ids))
                           .order_by(CouncilMember.since, CouncilMember.id)):
            (orgs_of if m.until is None else past_of)[m.council_id].append(m)
    org_ids = {m.org_id for ms in (*orgs_of.values(), *past_of.values()) for m in ms} | \
        {c.secretariat_org_id for c in councils}
    orgs = {o.id: o for o in s.scalars(select(Organization).where(Organization.id.in_(org_ids)))} if org_ids else {}
    chairs = {u.id: u for u in s.scalars(select(User).where(User.id.in_({c.chair_user_id for c in councils})))} \
        if councils else {}
    year = fiscal_year(utcnow())
    signed = set(s.scalars(select(Pledge.council_id).where(Pledge.user_id == viewer_user.id, Pledge.meeting_id.is_(None),
                                                           Pledge.council_id.in_(ids), Pledge.fiscal_year == year))) \
        if ids else set()
    out = []
    for c in councils:
        members = orgs_of[c.id]
        out.append({
            "id": c.id, "kind": c.kind, "kind_label": kind_label(c.kind), "name": c.name,
            "legal_basis": c.legal_basis, "shares_without_consent": shares_without_consent(c.kind),
            "secretariat_org": org_ref(orgs.get(c.secretariat_org_id)), "chair": user_ref(chairs.get(c.chair_user_id)),
            "bylaws_title": c.bylaws_title, "bylaws_text": c.bylaws_text, "quorum_percent": c.quorum_percent,
            "quorum_rule": quorum_rule(c), "quorum_now": quorum_of(c, len(members)),
            "invites_non_members": c.invites_non_members, "schedule": c.schedule, "pledge_scope": c.pledge_scope,
            "active": c.active, "member_count": len(members),
            "members": [{"org": org_ref(orgs.get(m.org_id)), "since": m.since} for m in members],
            "former_members": [{"org": org_ref(orgs.get(m.org_id)), "since": m.since, "until": m.until}
                               for m in past_of[c.id]],
            "can_manage": c.secretariat_org_id == viewer_user.org_id,
            "my_fiscal_year_pledge": {"fiscal_year": year, "signed": c.id in signed},
            "version": c.version, "created_at": c.created_at,
        })
    return out


def present_council(council: Council, viewer_user) -> dict:
    return present_councils([council], viewer_user)[0]


def councils_of_meetings(meeting_ids) -> dict[uuid.UUID, Council]:
    """meeting id -> its council (one query)."""
    ids = list(meeting_ids)
    if not ids:
        return {}
    return {m: c for m, c in db.session().execute(
        select(Meeting.id, Council).join(Council, Council.id == Meeting.council_id).where(Meeting.id.in_(ids)))}
