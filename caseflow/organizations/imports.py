"""The organisation list of a municipality, imported from the file the city keeps (CSV or .xlsx)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from caseflow.access import trail
from caseflow.core import db
from caseflow.core.errors import validation_problem
from caseflow.core.imports import CREATED, UNCHANGED, UPDATED, ImportReport, apply_rows
from caseflow.core.tabular import Row, read_table
from caseflow.core.text import unsafe_characters
from caseflow.organizations import rules as org_rules
from caseflow.organizations.models import ORG_KINDS, Municipality, Organization

COLUMNS = {
    "code": ("コード", "組織コード", "団体コード"),
    "name": ("名称", "団体名", "組織名", "機関名"),
    "kind": ("種別", "団体種別", "組織種別"),
    "parent": ("上位組織", "上位組織コード"),
}
REQUIRED = ("code", "name", "kind")
# The kinds as a city writes them (the labels of ORG_KINDS, and a few common variants).
KIND_WORDS = {label: code for code, label in ORG_KINDS.items()} | {
    "市役所": "department", "課": "department", "社協": "shakyo", "NPO": "npo", "特定非営利活動法人": "npo",
    "社団法人": "association", "包括": "care_center", "地域包括": "care_center"}


def kind_code(value: str) -> str:
    return value if value in ORG_KINDS else KIND_WORDS.get(value, value)


def import_organizations(path: Path, municipality: Municipality, *, dry_run: bool, progress=None) -> ImportReport:
    """Create the file's organisations in `municipality`, or bring existing ones (same code) up to date. A code
    already used by another municipality's organisation is a bad row."""
    rows = read_table(path, COLUMNS, REQUIRED)

    def apply(row: Row) -> str:
        v = row.values
        kind = kind_code(v.get("kind", ""))
        s = db.session()
        org = s.scalar(select(Organization).where(Organization.code == v["code"]))
        if org is None:
            org_rules.create_organization(code=v["code"], name=v.get("name", ""), kind=kind,
                                          parent_code=v.get("parent") or None, municipality=municipality)
            return CREATED
        if org.municipality_id != municipality.id:
            raise validation_problem({"code": ["他の自治体の組織がこのコードを使っています。"]})
        if kind not in ORG_KINDS:
            raise validation_problem({"kind": [f"次のいずれかを指定してください: {', '.join(ORG_KINDS)}"]})
        parent = None
        if v.get("parent"):
            parent = s.scalar(select(Organization).where(Organization.code == v["parent"],
                                                         Organization.municipality_id == municipality.id))
            if parent is None:
                raise validation_problem({"parent": ["指定された上位組織が見つかりません。"]})
        wanted = {"name": v.get("name", ""), "kind": kind, "parent_id": parent.id if parent else None}
        changed = sorted(k for k, value in wanted.items() if getattr(org, k) != value)
        if not changed:
            return UNCHANGED
        if not wanted["name"]:
            raise validation_problem({"name": ["名称は必須です。"]})
        if unsafe_characters(wanted["name"]):
            raise validation_problem({"name": [unsafe_characters(wanted["name"])]})
        for key in changed:
            setattr(org, key, wanted[key])
        trail.record(s, action="organizations.update", resource_type="organizations", resource_id=org.id,
                     municipality_id=municipality.id, detail={"changed": changed, "via": "import"})
        return UPDATED

    return apply_rows(rows, apply, dry_run=dry_run, progress=progress)
