"""`caseflow demo`: build the demo world from caseflow.demo.world, idempotently.

Every step looks up what exists by a natural key (organisation code, user email …) and adds
only what is missing, so running it twice changes nothing but the printed demo passwords.
"""
from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Callable

from flask import current_app
from sqlalchemy import select, text

from caseflow.accounts import rules as accounts
from caseflow.accounts.models import User
from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.db import Base
from caseflow.demo import story, world
from caseflow.indicators import rules as indicators
from caseflow.organizations import rules as org_rules
from caseflow.organizations.models import DirectoryEntry, Municipality, MunicipalityMembership, Organization


class DemoRefused(RuntimeError):
    pass


def load(*, reset: bool = False, password: str | None = None, households: int = 200,
         echo: Callable[[str], None] = print) -> dict:
    if current_app.config["CASEFLOW_ENV"] == "production":
        raise DemoRefused("the demo world is never loaded in production mode")
    s = db.session()
    if reset:
        echo("resetting: deleting all data …")
        _delete_everything()
    municipalities = _load_municipalities(echo)
    orgs = _load_organizations(municipalities, echo)
    _load_secretariats(municipalities, orgs, echo)
    _load_districts(echo)
    _load_directory(orgs, echo)
    credentials = _load_users(orgs, password, echo)
    _load_indicators(municipalities, echo)
    s.commit()
    story.build(orgs, echo, households=households)
    s.commit()
    echo("")
    echo("demo users (email / password / role / organisation):")
    for email, pw, role, org_name in credentials:
        echo(f"  {email}  {pw}  {role}  {org_name}")
    return {"organizations": len(orgs), "users": len(credentials)}


def _delete_everything() -> None:
    s = db.session()
    dialect = s.get_bind().dialect.name
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if dialect == "postgresql":
        # The guarded tables refuse DELETE and TRUNCATE by trigger (the audit trail, and every record the
        # domain never edits: caseflow.core.dbguards); a reset is an operator action on a demo database, and a
        # superuser's replica role switches the triggers off for this transaction only.
        s.execute(text("SET LOCAL session_replication_role = replica"))
        s.execute(text("TRUNCATE " + ", ".join(tables) + " CASCADE"))
    else:
        # SQLite has no switch: drop every trigger, delete, and create each again exactly as it was (read
        # from sqlite_master first, so guards added by any migration survive the reset).
        conn = s.connection()
        triggers = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                        "AND sql IS NOT NULL ORDER BY name").all()
        for name, _sql in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        # municipalities and organisations refer to each other (the secretariat): break the cycle first
        s.execute(text("UPDATE municipalities SET secretariat_org_id = NULL"))
        for t in tables:
            s.execute(text(f"DELETE FROM {t}"))
        for _name, sql in triggers:
            conn.exec_driver_sql(sql, execution_options={"no_parameters": True})
    s.execute(text("INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
    s.commit()


def _load_districts(echo) -> None:
    added = sum(codes.ensure("district", m["districts"], scope=m["code"]) for m in world.MUNICIPALITIES)
    codes.seed_standard_lists()
    echo(f"districts: {added} added")


def _load_municipalities(echo) -> dict[str, Municipality]:
    s = db.session()
    existing = {m.code: m for m in s.scalars(select(Municipality))}
    added = 0
    for spec in world.MUNICIPALITIES:
        if spec["code"] not in existing:
            existing[spec["code"]] = org_rules.create_municipality(code=spec["code"], name=spec["name"])
            added += 1
    echo(f"municipalities: {added} added, {len(existing)} in total")
    return existing


def _load_secretariats(municipalities: dict[str, Municipality], orgs: dict[str, Organization], echo) -> None:
    """Each city's secretariat organisation, and the organisations taking part in another city's platform."""
    s = db.session()
    for spec in world.MUNICIPALITIES:
        m = municipalities[spec["code"]]
        if m.secretariat_org_id != orgs[spec["secretariat"]].id:
            org_rules.set_secretariat(m, orgs[spec["secretariat"]])
    live = {(ms.municipality_id, ms.org_id) for ms in s.scalars(
        select(MunicipalityMembership).where(MunicipalityMembership.ended_at.is_(None)))}
    for spec in world.MEMBERSHIPS:
        m, org = municipalities[spec["municipality"]], orgs[spec["org"]]
        if (m.id, org.id) not in live:
            org_rules.grant_membership(m, org, reason=spec["reason"])
    echo(f"secretariats: {len(world.MUNICIPALITIES)}; memberships: {len(world.MEMBERSHIPS)}")


def _load_organizations(municipalities: dict[str, Municipality], echo) -> dict[str, Organization]:
    s = db.session()
    existing = {o.code: o for o in s.scalars(select(Organization))}
    added = 0
    # Parents first: the world lists bureaus before their sections, but do not rely on it.
    pending = [o for o in world.ORGANIZATIONS if o["code"] not in existing]
    while pending:
        progressed = False
        for spec in list(pending):
            if spec.get("parent") and spec["parent"] not in existing:
                continue
            org = org_rules.create_organization(code=spec["code"], name=spec["name"], kind=spec["kind"],
                                               parent_code=spec.get("parent"),
                                               municipality=municipalities[spec["city"]])
            existing[org.code] = org
            pending.remove(spec)
            added += 1
            progressed = True
        if not progressed:
            raise RuntimeError("demo organisations reference unknown parents: "
                               + ", ".join(p["code"] for p in pending))
    echo(f"organisations: {added} added, {len(existing)} in total")
    return existing


def _load_directory(orgs: dict[str, Organization], echo) -> None:
    """Each organisation's directory entry from the world (the Kumamoto leaflet, the city sections …).

    Upsert: a missing entry is added, an entry that differs from the world is set back to it, an equal
    one is left alone (so a second run changes nothing)."""
    s = db.session()
    existing = {e.org_id: e for e in s.scalars(select(DirectoryEntry))}
    added = updated = 0
    for spec in world.ORGANIZATIONS:
        org = orgs[spec["code"]]
        d = spec["directory"]
        values = {
            "fields": ",".join(d["fields"]), "languages": ",".join(d["languages"]),
            "service_area": ",".join(d["service_area"]), "lgbtq": d["lgbtq"], "eligibility": d["eligibility"] or None,
            "age_min": d["age_min"], "age_max": d["age_max"], "hours": d["hours"] or None, "phone": d["phone"],
            "email": d["email"], "website": d["website"], "description": d["description"] or None,
            "takes_consultations": d["takes_consultations"], "joint_support": d["joint_support"],
        }
        entry = existing.get(org.id)
        if entry is None:
            s.add(DirectoryEntry(org_id=org.id, capacity="accepting", **values))
            added += 1
        elif any(getattr(entry, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(entry, k, v)
            updated += 1
    s.flush()
    echo(f"directory entries: {added} added, {updated} updated")


def _load_users(orgs: dict[str, Organization], password: str | None, echo) -> list[tuple]:
    s = db.session()
    out = []
    added = 0
    for spec in world.DEMO_USERS:
        pw = password or _demo_password()
        user = s.scalar(select(User).where(User.email == spec["email"]))
        if user is None:
            accounts.create_user(org=orgs[spec["org"]], email=spec["email"], password=pw,
                                 display_name=spec["display_name"], roles=[spec["role"]])
            added += 1
        else:
            accounts.update_user(user, actor=None, password=pw, active=True)
        out.append((spec["email"], pw, spec["role"], orgs[spec["org"]].name))
    echo(f"users: {added} added, {len(out)} demo users (passwords set anew on every run)")
    return out


def _load_indicators(municipalities: dict[str, Municipality], echo) -> None:
    """鎌倉市's 地域福祉計画 indicators from its 行政評価シート (seed 004); values already there are left alone."""
    kamakura = municipalities["kamakura"]
    added = 0
    for spec in world.KAMAKURA_INDICATORS:
        for n, (target, actual) in enumerate(zip(spec["targets"], spec["actuals"])):
            fiscal_year = world.INDICATOR_FIRST_YEAR + n
            if indicators.get(kamakura.id, spec["code"], fiscal_year) is not None:
                continue
            indicators.save(kamakura.id, spec["code"], fiscal_year, {
                "name": spec["name"], "unit": spec["unit"], "direction": spec["direction"], "source": spec["source"],
                "target": Decimal(target), "actual": None if actual is None else Decimal(actual)}, actor=None)
            added += 1
    echo(f"plan indicators (鎌倉市): {added} added")


def _demo_password() -> str:
    return "demo-" + secrets.token_urlsafe(12)
