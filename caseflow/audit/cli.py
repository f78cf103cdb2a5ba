from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext

from caseflow.audit import seals as audit_seals
from caseflow.audit import verification as audit_verification
from caseflow.audit.seals import SealError
from caseflow.core import db
from caseflow.core.cli import Progress

_PUBLIC_KEY_HELP = ("A trusted auditor's public key (base64, or a file holding it); repeatable. "
                    "Default: CASEFLOW_AUDIT_PUBLIC_KEYS.")


@click.group("audit", cls=AppGroup)
def audit_group():
    """The audit trail."""


def _fail_on_seal_error(fn):
    """A refusal of the sealing rules (bad key, log that does not match …) is a clear error, exit 1."""
    import functools

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

    return audit_seals.TrustedKeys.of(public_keys or current_app.config["AUDIT_PUBLIC_KEYS"])


@audit_group.command("verify")
@click.option("--incremental/--full", default=False,
              help="--full (default): the whole chain, or from the signed checkpoint ending an archived range. "
                   "--incremental: only events after the latest signed checkpoint (fast; for frequent runs).")
@click.option("--public-key", "public_keys", multiple=True, metavar="KEY", help=_PUBLIC_KEY_HELP)
@click.option("--seal-log", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A copy of the auditor's seal log: each seal in it must be in the database, unchanged.")
@click.option("--no-record", is_flag=True, help="Do not store this run (a witness with read-only access).")
@click.option("--quiet", is_flag=True, help="No progress on stderr (the closing line still gives the counts).")
@with_appcontext
@_fail_on_seal_error
def audit_verify(incremental, public_keys, seal_log, no_record, quiet):
    """Check the hash chain against every earlier checkpoint and seal; exit 1 naming the first bad event.

    Each run is stored as a new checkpoint (never overwriting one); an ok checkpoint only when every check passed.
    """
    from flask import current_app

    trusted = _trusted_keys(public_keys)
    s = db.session()
    with Progress("verifying the audit chain", unit="events", quiet=quiet) as progress:
        run = audit_verification.run_verification(audit_verification.checkpoint_key(current_app.config),
                                                  incremental=incremental, trusted_keys=trusted, seal_log=seal_log,
                                                  record=not no_record, progress=progress)
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

    key = audit_seals.load_private_key(key_path, _passphrase(passphrase_env))
    if audit_seals.key_file_too_open(key_path):
        click.echo(f"warning: {key_path} is readable by others than its owner (chmod 600 it)", err=True)
    trusted = _trusted_keys(public_keys)
    s = db.session()

    def progress(done, total):
        click.echo(f"sealing: {done:,} of {total:,} events read", err=True)

    try:
        run, seals = audit_verification.verify_and_seal(hmac_key=audit_verification.checkpoint_key(current_app.config),
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
