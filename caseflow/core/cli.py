"""What every feature's commands share: a domain Problem becomes a clear CLI error (exit 2) naming the fields."""
from __future__ import annotations

import click

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
