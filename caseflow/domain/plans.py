"""Support plans (支援プラン). The stage guard `assessment -> support` asks this module."""
from __future__ import annotations

from caseflow.models import Case


def support_readiness_problem(case: Case) -> str | None:
    """Why the case cannot move to support yet, or None.

    Until support plans exist (issue 6) there is nothing to check; this is the single place the
    guard will look.
    """
    return None
