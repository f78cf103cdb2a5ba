"""What every feature's commands share: a domain Problem becomes a clear CLI error (exit 2) naming the fields."""
from __future__ import annotations

import sys

import click

from caseflow.core import mynumber
from caseflow.core.errors import Problem


def fail_on_problem(fn):
    """Turn a domain Problem into a clear CLI error (exit 2) naming the fields."""
    import functools

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


def no_my_number(_ctx, param, value):
    """A click callback for options that hold free text (names, labels, reasons): refuse a 個人番号 as the API
    does (caseflow.core.mynumber), without repeating the value (exit 2)."""
    if isinstance(value, str) and mynumber.contains_my_number(value):
        raise click.BadParameter(mynumber.MESSAGE, param=param)
    return value


def finish_import(report, *, dry_run: bool, what: str) -> None:
    """Print an import's outcome; every bad row on stderr and exit 1 (nothing was stored)."""
    if not report.ok:
        for line in report.error_lines():
            click.echo(line, err=True)
        raise click.ClickException(f"{what}: {len(report.errors)} 件の誤りがあるため、何も登録していません。")
    prefix = "確認のみ（登録していません）" if dry_run else "登録しました"
    click.echo(f"{what}: {prefix}: {report.summary()}")


class Progress:
    """Progress of a long command on stderr, fed `(done, total)` by the work as it goes. On a terminal, a bar made
    at the first call (when the total is known) that grows with the total (events appended meanwhile) and is
    closed by the `with` block; elsewhere (a log file, cron) a plain line for each step short of the end ("label:
    5,000 of 1,200,000 items"), the command's closing line giving the final count. quiet=True: nothing."""

    def __init__(self, label: str, *, unit: str = "", quiet: bool = False):
        self.label, self.unit, self.quiet = label, unit, quiet
        self.tty = sys.stderr.isatty()
        self.bar, self.done = None, 0

    def __call__(self, done: int, total: int) -> None:
        total = max(total, done)
        if self.quiet:
            return
        if not self.tty:
            if done < total:
                click.echo(f"{self.label}: {done:,} of {total:,}{' ' + self.unit if self.unit else ''}", err=True)
            return
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label=self.label, file=sys.stderr,
                                         show_pos=True, show_percent=True, show_eta=True)
            self.bar.__enter__()
        self.bar.length = max(total, 1)
        self.bar.update(done - self.done)
        self.done = done

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False
