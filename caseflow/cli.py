"""The `caseflow` command: Flask's CLI group plus database, bootstrap, audit and demo commands."""
from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from caseflow import create_app


def _create_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False,
             set_debug_flag=False)
def main():
    """caseflow — case coordination for 重層的支援 and 孤独・孤立 platforms."""


# --- database -------------------------------------------------------------------------------

@main.group("db")
def db_group():
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision):
    """Apply migrations up to REVISION (default: every head)."""
    from caseflow.core import migrate

    migrate.upgrade(revision)
    click.echo(f"database at {migrate.current() or 'base'}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Revert migrations down to REVISION."""
    from caseflow.core import migrate

    migrate.downgrade(revision)
    click.echo(f"database at {migrate.current() or 'base'}")


@db_group.command("current")
@with_appcontext
def db_current():
    """Print the applied migration revision."""
    from caseflow.core import migrate

    click.echo(migrate.current() or "base")


# --- bootstrap ------------------------------------------------------------------------------

def _fail_on_problem(fn):
    """Turn a domain Problem into a clear CLI error (exit 2) naming the fields."""
    import functools

    from caseflow.core.errors import Problem

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Problem as exc:
            lines = [exc.detail or exc.title]
            for field, msgs in (exc.errors or {}).items():
                lines.append(f"  {field}: {' '.join(msgs) if isinstance(msgs, list) else msgs}")
            raise click.ClickException("\n".join(lines)) from None

    return wrapper


@main.group("orgs")
def orgs_group():
    """Organisations."""


@orgs_group.command("create")
@click.option("--code", required=True, help="Short ASCII code, e.g. kmk-chiiki-kyosei")
@click.option("--name", required=True, help="Japanese name, e.g. 鎌倉市 地域共生課")
@click.option("--kind", required=True, help="department, shakyo, npo, association, welfare_corporation, care_center, other")
@click.option("--municipality", "municipality_code", default=None,
              help="Code of its home municipality (needed when the deployment has several)")
@click.option("--parent", "parent_code", default=None, help="Code of the parent organisation (a bureau)")
@with_appcontext
@_fail_on_problem
def orgs_create(code, name, kind, municipality_code, parent_code):
    """Register an organisation (in the deployment's only municipality unless --municipality names one)."""
    from caseflow.core import db

    municipality = org_rules.default_for_new_organization(municipality_code, echo=click.echo)
    org = org_rules.create_organization(code=code, name=name, kind=kind, parent_code=parent_code,
                                       municipality=municipality)
    db.session().commit()
    click.echo(f"created organisation {org.code} ({org.id}) in {municipality.code}")


# --- municipalities (the operator's) -------------------------------------------------------------

@main.group("municipalities")
def municipalities_group():
    """Municipalities (the tenants), their secretariat and memberships (the platform operator's tool)."""


@municipalities_group.command("create")
@click.option("--code", required=True, help="Short ASCII code, e.g. kamakura")
@click.option("--name", required=True, help="Japanese name, e.g. 鎌倉市")
@with_appcontext
@_fail_on_problem
def municipalities_create(code, name):
    """Create a municipality."""
    from caseflow.core import db

    m = org_rules.create_municipality(code=code, name=name)
    db.session().commit()
    click.echo(f"created municipality {m.code} ({m.id})")


@municipalities_group.command("list")
@with_appcontext
def municipalities_list():
    """Every municipality with its secretariat."""
    from sqlalchemy import select

    from caseflow.core import db
    from caseflow.organizations.models import Municipality, Organization

    s = db.session()
    for m in s.scalars(select(Municipality).order_by(Municipality.code)):
        secretariat = s.get(Organization, m.secretariat_org_id) if m.secretariat_org_id else None
        click.echo(f"{m.code}\t{m.name}\tsecretariat={secretariat.code if secretariat else '-'}")


@municipalities_group.command("rename")
@click.option("--code", required=True, help="Current code")
@click.option("--new-code", default=None)
@click.option("--name", default=None)
@with_appcontext
@_fail_on_problem
def municipalities_rename(code, new_code, name):
    """Change a municipality's code or name (its district lists follow)."""
    from caseflow.core import db

    m = org_rules.rename_municipality(org_rules.get_by_code(code), code=new_code, name=name)
    db.session().commit()
    click.echo(f"municipality {m.code}: {m.name}")


@municipalities_group.command("secretariat")
@click.option("--code", required=True, help="Municipality code")
@click.option("--org", "org_code", required=True, help="Code of the organisation that runs the platform (事務局)")
@with_appcontext
@_fail_on_problem
def municipalities_secretariat(code, org_code):
    """Name the municipality's secretariat organisation (its `secretariat` users administer the municipality)."""
    from caseflow.core import db

    m = org_rules.set_secretariat(org_rules.get_by_code(code), org_rules.get_organization_by_code(org_code))
    db.session().commit()
    click.echo(f"secretariat of {m.code}: {org_code}")


@municipalities_group.command("grant-membership")
@click.option("--code", required=True, help="Municipality code")
@click.option("--org", "org_code", required=True, help="Code of an organisation at home elsewhere")
@click.option("--reason", default=None)
@with_appcontext
@_fail_on_problem
def municipalities_grant(code, org_code, reason):
    """Let an organisation of another municipality take part in this one."""
    from caseflow.core import db

    ms = org_rules.grant_membership(org_rules.get_by_code(code), org_rules.get_organization_by_code(org_code), reason=reason)
    db.session().commit()
    click.echo(f"{org_code} is a member of {code} ({ms.id})")


# --- managed lists ------------------------------------------------------------------------------

@main.group("codes")
def codes_group():
    """Managed code lists (issue categories, channels, districts …)."""


@codes_group.command("add")
@click.option("--list", "list_name", required=True, help="issue_category, intake_channel, closure_reason, district …")
@click.option("--code", required=True)
@click.option("--label", required=True, help="Japanese label")
@click.option("--municipality", "municipality_code", default=None, help="Municipality code (for districts)")
@with_appcontext
@_fail_on_problem
def codes_add(list_name, code, label, municipality_code):
    """Add an entry to a managed list."""
    from caseflow.core import db
    from caseflow.codes import rules as codes
    from caseflow.codes.models import CODE_LISTS

    if list_name not in CODE_LISTS:
        raise click.ClickException(f"unknown list {list_name}: {', '.join(CODE_LISTS)}")
    m = org_rules.get_by_code(municipality_code) if municipality_code else None
    codes.add(list_name, code, label, municipality=m)
    db.session().commit()
    click.echo(f"added {list_name}:{code}")


@main.group("users")
def users_group():
    """Users."""


@users_group.command("create")
@click.option("--org", "org_code", required=True, help="Organisation code")
@click.option("--role", "roles", required=True, multiple=True, help="coordinator, staff, npo_staff, supervisor, auditor, admin (repeatable)")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 12 characters")
@click.option("--name", "display_name", default="", help="Display name")
@with_appcontext
@_fail_on_problem
def users_create(org_code, roles, email, password, display_name):
    """Create a user."""
    from caseflow.core import db
    from caseflow.accounts import rules as accounts

    org = org_rules.get_organization_by_code(org_code)
    user = accounts.create_user(org=org, email=email, password=password, display_name=display_name,
                                roles=list(roles))
    db.session().commit()
    click.echo(f"created user {user.email} ({user.id}) in {org.code} with roles {', '.join(user.roles)}")


# --- audit ----------------------------------------------------------------------------------

@main.group("audit")
def audit_group():
    """The audit trail."""


def _fail_on_seal_error(fn):
    """A refusal of the sealing rules (bad key, log that does not match …) is a clear error, exit 1."""
    import functools

    from caseflow.audit.seals import SealError

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SealError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _passphrase(var):
    import os

    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        raise click.ClickException(f"--passphrase-env {var}: the environment variable {var} is not set or empty")
    return value.encode("utf-8")


def _trusted_keys(public_keys):
    from flask import current_app

    from caseflow.audit import seals as audit_seals

    return audit_seals.TrustedKeys.of(public_keys or current_app.config["AUDIT_PUBLIC_KEYS"])


_PUBLIC_KEY_HELP = ("A trusted auditor's public key (base64, or a file holding it); repeatable. "
                    "Default: CASEFLOW_AUDIT_PUBLIC_KEYS.")


@audit_group.command("verify")
@click.option("--incremental/--full", default=False,
              help="--full (default): the whole chain, or from the signed checkpoint ending an archived range. "
                   "--incremental: only events after the latest signed checkpoint (fast; for frequent runs).")
@click.option("--public-key", "public_keys", multiple=True, metavar="KEY", help=_PUBLIC_KEY_HELP)
@click.option("--seal-log", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A copy of the auditor's seal log: each seal in it must be in the database, unchanged.")
@click.option("--no-record", is_flag=True, help="Do not store this run (a witness with read-only access).")
@with_appcontext
@_fail_on_seal_error
def audit_verify(incremental, public_keys, seal_log, no_record):
    """Check the hash chain against every earlier checkpoint and seal; exit 1 naming the first bad event.

    Each run is stored as a new checkpoint (never overwriting one); an ok checkpoint only when every check passed.
    """
    from flask import current_app

    from caseflow.core import db
    from caseflow.audit import verification as audit_verification

    trusted = _trusted_keys(public_keys)
    s = db.session()
    run = audit_verification.run_verification(s, audit_verification.checkpoint_key(current_app.config),
                                         incremental=incremental, trusted_keys=trusted, seal_log=seal_log,
                                         record=not no_record)
    s.commit()
    _echo_verification(run, trusted)
    if not run.ok:
        sys.exit(1)


def _echo_verification(run, trusted) -> None:
    for w in run.warnings:
        click.echo(f"warning: {w}", err=True)
    for n in run.notes:
        click.echo(f"note: {n}")
    speed = f"{run.events_per_second:,.0f} events/s"
    if not run.ok:
        where = f" at event {run.first_bad_seq}" if run.first_bad_seq is not None else ""
        click.echo(f"audit chain BROKEN{where}: {run.problem} "
                   f"({run.checked} events recomputed; {run.mode}, {speed})", err=True)
        for f in run.findings[1:10]:
            click.echo(f"  also: {f.text}", err=True)
        if len(run.findings) > 10:
            click.echo(f"  … and {len(run.findings) - 10} more", err=True)
        return
    if run.checked == 0:
        scope = f"nothing new after checkpoint {run.from_seq}"
    else:
        scope = f"events {run.from_seq + 1}..{run.to_seq}" if run.from_seq else "from the genesis"
    click.echo(f"audit chain intact: {run.checked} events verified in {run.seconds:.2f}s ({speed}; "
               f"{run.mode}, {scope}); checkpoint {run.to_seq}")
    seals = run.seals.seals
    if seals:
        checked = (f"signatures checked with {len(trusted.keys)} trusted key(s)" if run.seals.signatures_checked
                   else "signatures NOT checked")
        compared = "every sealed event" if run.mode == "full" else "the last event of each"
        click.echo(f"seals agree: #{seals[0].seal_no}..#{seals[-1].seal_no} cover events "
                   f"{seals[0].from_seq}..{seals[-1].to_seq} ({compared} compared); {checked}")
    if run.seals.log_seals is not None:
        click.echo(f"seal log: {run.seals.log_seals} seals, each in the database unchanged")


@audit_group.command("keygen", with_appcontext=False)
@click.option("--private-key", "path", required=True, type=click.Path(dir_okay=False),
              help="Where to write the new private key (a new file; never overwritten).")
@click.option("--passphrase-env", metavar="VAR", default=None,
              help="Encrypt the key with the passphrase in environment variable VAR (recommended).")
@_fail_on_seal_error
def audit_keygen(path, passphrase_env):
    """Make an auditor's Ed25519 sealing key. Run it on the auditor's machine, not the server.

    Prints the public key (for CASEFLOW_AUDIT_PUBLIC_KEYS and for witnesses) and its fingerprint.
    """
    import base64

    from caseflow.audit import seals as audit_seals

    raw = audit_seals.generate_key_file(path, _passphrase(passphrase_env))
    how = f"encrypted with the passphrase in ${passphrase_env}" if passphrase_env else "NOT encrypted"
    click.echo(f"wrote a new private key to {path} (mode 0600, {how})")
    click.echo(f"public key:  {base64.b64encode(raw).decode('ascii')}")
    click.echo(f"fingerprint: {audit_seals.fingerprint(raw)}")
    click.echo("Keep the private key offline (two copies, see docs/audit-sealing.md); never put it on the server.")


@audit_group.command("seal")
@click.option("--private-key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The auditor's private key (from `caseflow audit keygen`).")
@click.option("--log", "log_path", required=True, type=click.Path(dir_okay=False),
              help="The seal log: each new seal is appended to it (the file is never rewritten).")
@click.option("--passphrase-env", metavar="VAR", default=None, help="The key's passphrase is in this variable.")
@click.option("--public-key", "public_keys", multiple=True, metavar="KEY",
              help="Earlier seals' keys besides this one (after a rotation). " + _PUBLIC_KEY_HELP)
@click.option("--incremental/--full", default=False,
              help="How to verify the chain before sealing (default --full; the events to seal are always "
                   "recomputed from the previous seal).")
@click.option("--max-events", type=click.IntRange(1, 1_000_000), default=100_000, show_default=True,
              help="Events per seal at most (a longer range becomes several seals).")
@with_appcontext
@_fail_on_seal_error
def audit_seal(key_path, log_path, passphrase_env, public_keys, incremental, max_events):
    """Verify the chain, then seal the events since the last seal with the auditor's key.

    Refuses (exit 1) when the chain or an earlier seal does not verify, or when the log does not end with
    the database's latest seal. The seal goes into the database and is appended to the log.
    """
    from flask import current_app

    from caseflow.core import db
    from caseflow.audit import verification as audit_verification
    from caseflow.audit import seals as audit_seals

    key = audit_seals.load_private_key(key_path, _passphrase(passphrase_env))
    if audit_seals.key_file_too_open(key_path):
        click.echo(f"warning: {key_path} is readable by others than its owner (chmod 600 it)", err=True)
    trusted = _trusted_keys(public_keys)
    s = db.session()

    def progress(done, total):
        click.echo(f"sealing: {done:,} of {total:,} events read", err=True)

    try:
        run, seals = audit_seals.seal(s, hmac_key=audit_verification.checkpoint_key(current_app.config),
                                      private_key=key, log_path=log_path, trusted=trusted, incremental=incremental,
                                      max_events=max_events, progress=progress,
                                      say=lambda msg: click.echo(f"sealing: {msg}", err=True))
    except audit_seals.SealError:
        s.rollback()
        raise
    try:
        s.commit()
    except Exception:
        if seals:
            click.echo(f"error: seal(s) #{seals[0].seal_no}..#{seals[-1].seal_no} were appended to {log_path} but "
                       "the database did not store them; keep the log as it is (it is evidence) and note this in "
                       "the audit register: a verify with this log will report them missing", err=True)
        raise
    if not run.ok:
        _echo_verification(run, trusted)
        click.echo("nothing was sealed: the chain does not verify", err=True)
        sys.exit(1)
    for w in run.warnings:
        click.echo(f"warning: {w}", err=True)
    if not seals:
        click.echo(f"nothing to seal: the chain ends at event {run.to_seq}, already sealed")
        return
    for seal in seals:
        click.echo(f"seal #{seal.seal_no}: events {seal.from_seq}..{seal.to_seq} ({seal.count} events), "
                   f"hash of event {seal.to_seq} {seal.to_hash[:16]}…, key {seal.key}")
    click.echo(f"sealed {seals[-1].to_seq - seals[0].from_seq + 1} events in {len(seals)} seal(s); "
               f"appended to {log_path}")


# --- follow-up ------------------------------------------------------------------------------

@main.group("followup")
def followup_group():
    """Follow-up lists: overdue tasks, cases without progress, cases without an owner."""


@followup_group.command("digest")
@click.option("--org", "org_code", default=None, help="Only the cases this organisation works on (default: all)")
@click.option("--days", type=click.IntRange(0, 3650), default=None,
              help="Cases with no progress record for N days (default: CASEFLOW_FOLLOWUP_STALE_DAYS or 30)")
@click.option("--lead", "lead_email", default=None, help="Only the cases whose lead worker (coordinator) is EMAIL")
@click.option("--municipality", "municipality_code", default=None, help="Only this municipality's cases")
@with_appcontext
@_fail_on_problem
def followup_digest(org_code, days, lead_email, municipality_code):
    """Print the daily follow-up digest (no personal data: case numbers, organisations, dates)."""
    from sqlalchemy import select

    from caseflow.core import db
    from caseflow.plans import followup
    from caseflow.core.errors import validation_problem
    from caseflow.accounts.models import User

    org = org_rules.get_organization_by_code(org_code) if org_code else None
    lead = None
    if lead_email:
        lead = db.session().scalar(select(User).where(User.email == lead_email.strip().lower()))
        if lead is None:
            raise validation_problem({"lead": [f"利用者 {lead_email} は登録されていません。"]})

    municipality = org_rules.get_by_code(municipality_code) if municipality_code else None
    for line in followup.digest(org=org, days=days, lead=lead, municipality_id=municipality.id if municipality else None):
        click.echo(line)


# --- demo -----------------------------------------------------------------------------------

@main.command("demo")
@click.option("--reset", is_flag=True, help="Delete all data first (never in production).")
@click.option("--password", envvar="CASEFLOW_DEMO_PASSWORD", default=None,
              help="Give every demo user this password instead of random ones.")
@click.option("--households", default=200, show_default=True, type=click.IntRange(1, 5000),
              help="How many demo households (each with a case).")
@with_appcontext
@_fail_on_problem
def demo(reset, password, households):
    """Load the demo world (organisations, users with printed passwords, cases …). Idempotent."""
    from caseflow.demo import loader

    try:
        loader.load(reset=reset, password=password, households=households, echo=click.echo)
    except loader.DemoRefused as exc:
        raise click.ClickException(str(exc)) from None


# --- benchmarks -------------------------------------------------------------------------------

from caseflow.bench import bench_group  # noqa: E402  (benchmark data: `caseflow bench seed`)
from caseflow.organizations import rules as org_rules

main.add_command(bench_group)
