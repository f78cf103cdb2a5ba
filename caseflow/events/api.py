from __future__ import annotations

import csv
import io
import uuid

from flask import Response
from flask_login import current_user

from caseflow.access import authz, trail
from caseflow.access.authz import requires
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.pagination import paginate
from caseflow.events import rules as events
from caseflow.events.schemas import (
    EventInSchema,
    EventPage,
    EventQuerySchema,
    EventReportArgs,
    EventReportSchema,
    EventSchema,
    ParticipationInSchema,
)

# Reading events is reading the platform's public face (organisations, the directory): `organizations, read`,
# which every signed-in user holds; what they see is the acting municipality's events only.
blp = Blueprint("events", __name__, url_prefix="/api/v1/events",
                description="Events of the platform (勉強会, 交流会, 研修 …) and the organisations taking part")
reports_blp = Blueprint("event_reports", __name__, url_prefix="/api/v1/reports",
                        description="Events per fiscal year: counts per kind and per organisation")


@blp.route("")
@requires("organizations", "read")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, EventPage)
def list_events(args):
    """The events of the municipality you act in, by date (filter by `fiscal_year` and `kind`)."""
    page = paginate(events.events_query(current_user.municipality_id, fiscal_year=args.get("fiscal_year"),
                                        kind=args.get("kind")), args["limit"], args["offset"])
    return {**page, "items": events.present(page["items"])}


@blp.route("", methods=["POST"])
@requires("events", "manage")
@blp.arguments(EventInSchema)
@blp.response(201, EventSchema)
def create_event(body):
    """Record an event of the municipality you act in, organised by one of its organisations."""
    event = events.create_event(current_user, **body)
    return events.present([event])[0]


@blp.route("/<uuid:event_id>")
@requires("organizations", "read")
@blp.response(200, EventSchema)
def get_event(event_id: uuid.UUID):
    """One event with the organisations that took part and their headcounts."""
    return events.present([events.get_event(event_id, current_user.municipality_id)])[0]


@blp.route("/<uuid:event_id>/participants", methods=["POST"])
@requires("events", "manage")
@blp.arguments(ParticipationInSchema)
@blp.response(201, EventSchema)
def add_participant(body, event_id: uuid.UUID):
    """Record how many people an organisation brought to the event (once per organisation; 409 after).

    The organiser, the organisation that recorded the event and the municipality's secretariat may; others 403."""
    event = events.get_event(event_id, current_user.municipality_id)
    if not events.may_manage(event, current_user):
        raise authz.deny("manage", "events", event.id)
    events.add_participation(event, current_user, org_id=body["org_id"], headcount=body["headcount"])
    return events.present([event])[0]


def _report(args) -> dict:
    data = events.report(current_user.municipality_id, args["fiscal_year"])
    trail.record(db.session(), action="reports.events", resource_type="reports", actor=current_user,
                 detail={"fiscal_year": args["fiscal_year"]})
    return data


@reports_blp.route("/events")
@requires("events", "report")
@reports_blp.arguments(EventReportArgs, location="query")
@reports_blp.response(200, EventReportSchema)
def event_report(args):
    """The fiscal year's events counted per kind and per organisation (organised, took part, headcount)."""
    return _report(args)


@reports_blp.route("/events.csv")
@requires("events", "report")
@reports_blp.arguments(EventReportArgs, location="query")
@reports_blp.response(200, content_type="text/csv")
def event_report_csv(args):
    """The same report as CSV (UTF-8 with BOM, Japanese headers): one row per kind, then per organisation."""
    data = _report(args)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(["区分", "名称", "行事数（主催）", "参加（組織数・回数）", "参加人数"])
    for row in data["by_kind"]:
        writer.writerow(["種別", row["label"], row["events"], row["participating_organisations"], row["headcount"]])
    for row in data["by_organisation"]:
        writer.writerow(["組織", row["org"]["name"], row["organised"], row["participated"], row["headcount"]])
    writer.writerow(["合計", f"{data['fiscal_year']}年度", data["totals"]["events"], "", data["totals"]["headcount"]])
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="events-{data["fiscal_year"]}.csv"'})
