"""Managed lists: validation of codes against the database, labels for display, and seeding."""
from __future__ import annotations

from sqlalchemy import select

from caseflow import db
from caseflow.errors import validation_problem
from caseflow.models import ManagedCode

# The lists every deployment starts with (the demo adds districts of its municipalities).
CONSENT_PURPOSES = [("support_coordination", "支援のための関係機関との情報共有"),
                    ("support_meeting", "支援会議・ケース会議での検討"),
                    ("statistics", "統計・事業評価（個人を特定しない形）")]
PROGRESS_KINDS = [("interview", "面談"), ("visit", "訪問"), ("phone", "電話"), ("meeting", "会議"),
                  ("accompany", "同行支援"), ("other", "その他")]


def active_codes(list_name: str) -> dict[str, str]:
    rows = db.session().execute(
        select(ManagedCode.code, ManagedCode.label)
        .where(ManagedCode.list_name == list_name, ManagedCode.active.is_(True))
        .order_by(ManagedCode.sort_order, ManagedCode.code))
    return dict(rows.all())


def labels(list_name: str) -> dict[str, str]:
    """All labels, inactive ones included, so old records still read well."""
    return dict(db.session().execute(
        select(ManagedCode.code, ManagedCode.label).where(ManagedCode.list_name == list_name)).all())


def check(list_name: str, field: str, values: list[str] | str | None) -> None:
    """422 naming `field` when a value is not an active code of the list."""
    if values is None:
        return
    values = [values] if isinstance(values, str) else list(values)
    known = active_codes(list_name)
    bad = [v for v in values if v not in known]
    if bad:
        raise validation_problem({field: [f"未登録のコードです: {', '.join(bad)}"]})


def ensure(list_name: str, entries: list[tuple[str, str]], scope: str | None = None) -> int:
    """Add missing entries (idempotent); returns how many were added."""
    s = db.session()
    have = set(s.scalars(select(ManagedCode.code).where(ManagedCode.list_name == list_name)))
    added = 0
    for order, (code, label) in enumerate(entries):
        if code not in have:
            s.add(ManagedCode(list_name=list_name, code=code, label=label, sort_order=order, scope=scope))
            added += 1
    return added


def seed_standard_lists() -> None:
    """Issue categories, channels, closure reasons, purposes and progress kinds from the domain brief."""
    from caseflow.demo import world

    ensure("issue_category", world.ISSUE_CATEGORIES)
    ensure("intake_channel", world.INTAKE_CHANNELS)
    ensure("closure_reason", world.CLOSURE_REASONS)
    ensure("consent_purpose", CONSENT_PURPOSES)
    ensure("progress_kind", PROGRESS_KINDS)
