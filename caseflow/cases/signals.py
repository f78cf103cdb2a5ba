"""Signals a case sends so that other features can take part without the cases feature importing them.

`entering_support` is sent before a case moves to 役割分担・協働による支援; a receiver returns a reason (str)
why the case is not ready, or None. The plans feature answers it (a current plan with an owned task).
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

entering_support = _signals.signal("case-entering-support")


def support_blockers(case) -> list[str]:
    """What every receiver says against moving `case` to support. Without a receiver the check cannot be
    made, so the move is refused rather than let through (fail closed)."""
    if not entering_support.receivers:
        raise RuntimeError("no receiver for cases.signals.entering_support (the plans feature is not loaded)")
    return [reason for _receiver, reason in entering_support.send(case) if reason]
