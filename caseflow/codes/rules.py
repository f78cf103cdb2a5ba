"""Managed lists: validation of codes against the database, labels for display, and seeding."""
from __future__ import annotations

from sqlalchemy import select

from caseflow.access import trail
from caseflow.codes import standard
from caseflow.codes.models import CODE_LISTS, ManagedCode
from caseflow.core import db
from caseflow.core.errors import Problem, validation_problem
from caseflow.organizations.models import Municipality

# Lists kept per municipality (ManagedCode.scope = the municipality's code); the others are the deployment's.
MUNICIPAL_LISTS = ("district",)
# Lists whose entries the code itself gives meaning: a consent purpose counts only where the sharing engine
# reads for it (caseflow.access.sharing.PURPOSE_OF_CONTEXT), so a purpose added by hand would be accepted on a
# consent and silently disclose nothing.
FIXED_LISTS = ("consent_purpose",)
LIST_LABELS = {"issue_category": "課題分類", "intake_channel": "相談経路", "closure_reason": "終結理由",
               "district": "地区", "consent_purpose": "同意の利用目的", "progress_kind": "支援経過記録の種別",
               "event_kind": "行事の種別"}


def check_extensible(list_name: str) -> None:
    """422 for a list no one may add to: unknown, or fixed by the code (FIXED_LISTS)."""
    if list_name not in CODE_LISTS:
        raise validation_problem({"list": [f"次のいずれかを指定してください: {', '.join(CODE_LISTS)}"]})
    if list_name in FIXED_LISTS:
        raise validation_problem({"list": ["このリストはシステムが定める固定のリストで、追加できません。"]})



def in_list(list_name: str, municipality_id=None):
    """SQL: the entries of a list; for a municipal list, those of the municipality only."""
    cond = [ManagedCode.list_name == list_name]
    if list_name in MUNICIPAL_LISTS:
        cond.append(ManagedCode.scope == select(Municipality.code).where(Municipality.id == municipality_id)
                    .scalar_subquery())
    return cond


def active_codes(list_name: str, municipality_id=None) -> dict[str, str]:
    rows = db.session().execute(
        select(ManagedCode.code, ManagedCode.label)
        .where(*in_list(list_name, municipality_id), ManagedCode.active.is_(True))
        .order_by(ManagedCode.sort_order, ManagedCode.code))
    return dict(rows.all())


def labels(list_name: str) -> dict[str, str]:
    """All labels, inactive ones included, so old records still read well."""
    return dict(db.session().execute(
        select(ManagedCode.code, ManagedCode.label).where(ManagedCode.list_name == list_name)).all())


def check(list_name: str, field: str, values: list[str] | str | None, municipality_id=None) -> None:
    """422 naming `field` when a value is not an active code of the list (of `municipality_id`, for a
    municipal list such as districts)."""
    if values is None:
        return
    if list_name in MUNICIPAL_LISTS and municipality_id is None:
        raise ValueError(f"the {list_name} list is kept per municipality: pass municipality_id")
    values = [values] if isinstance(values, str) else list(values)
    known = active_codes(list_name, municipality_id)
    bad = [v for v in values if v not in known]
    if bad:
        raise validation_problem({field: [unknown_code_message(list_name, bad, known)]})


def unknown_code_message(list_name: str, bad: list[str], known: dict[str, str]) -> str:
    """Japanese: which values are not on which list, and where to read the list (or how to fill an empty one)."""
    where = f"有効な値は GET /api/v1/codes/{list_name} で確認できます"
    if not known and list_name in MUNICIPAL_LISTS:
        where = (f"この自治体の {LIST_LABELS[list_name]}リスト（{list_name}）はまだ空です。事務局が "
                 f"POST /api/v1/codes/{list_name} で、運用者が caseflow codes import で登録してください")
        return f"{LIST_LABELS[list_name]}リスト（{list_name}）にないコードです: {', '.join(bad)}。{where}。"
    shown = "、".join(list(known)[:30]) + (" …" if len(known) > 30 else "")
    return (f"{LIST_LABELS[list_name]}リスト（{list_name}）にないコードです: {', '.join(bad)}。"
            f"{where}（{shown}）。")


def add(list_name: str, code: str, label: str, *, municipality: Municipality | None = None, actor=None) -> ManagedCode:
    """Add one entry at the end of a list (a municipal list needs its municipality); 409 when the code exists."""
    s = db.session()
    check_extensible(list_name)
    if list_name in MUNICIPAL_LISTS and municipality is None:
        raise validation_problem({"municipality": ["地区などの自治体別リストには自治体の指定が必要です。"]})
    if s.get(ManagedCode, (list_name, code)):
        raise Problem(409, detail="このコードはすでに登録されています。", errors={"code": ["すでに使われています。"]})
    order = (s.scalar(select(ManagedCode.sort_order).where(ManagedCode.list_name == list_name)
                      .order_by(ManagedCode.sort_order.desc()).limit(1)) or 0) + 1
    entry = ManagedCode(list_name=list_name, code=code, label=label, sort_order=order, active=True,
                        scope=municipality.code if list_name in MUNICIPAL_LISTS else None)
    s.add(entry)
    trail.record(s, action="codes.create", resource_type="codes", resource_id=f"{list_name}:{code}", actor=actor,
                 municipality_id=municipality.id if municipality is not None else None)
    return entry


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
    ensure("issue_category", standard.ISSUE_CATEGORIES)
    ensure("intake_channel", standard.INTAKE_CHANNELS)
    ensure("closure_reason", standard.CLOSURE_REASONS)
    ensure("consent_purpose", standard.CONSENT_PURPOSES)
    ensure("progress_kind", standard.PROGRESS_KINDS)
    ensure("event_kind", standard.EVENT_KINDS)
