"""What every feature's commands share: a domain Problem becomes a clear CLI error (exit 2) naming the fields."""
from __future__ import annotations

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
    """Print an import's outcome; every bad row on stderr and exit 2 (nothing was stored)."""
    if not report.ok:
        for line in report.error_lines():
            click.echo(line, err=True)
        raise click.ClickException(f"{what}: {len(report.errors)} 件の誤りがあるため、何も登録していません。")
    prefix = "確認のみ（登録していません）" if dry_run else "登録しました"
    click.echo(f"{what}: {prefix}: {report.summary()}")
