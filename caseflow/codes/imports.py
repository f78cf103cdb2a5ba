"""A managed list (districts above all) imported from a file: code and label per row, in the file's order."""
from __future__ import annotations

from pathlib import Path

from caseflow.access import trail
from caseflow.codes import rules as codes
from caseflow.codes.models import ManagedCode
from caseflow.core import db
from caseflow.core.errors import validation_problem
from caseflow.core.imports import CREATED, UNCHANGED, UPDATED, ImportReport, apply_rows
from caseflow.core.tabular import Row, read_table
from caseflow.core.text import unsafe_characters
from caseflow.organizations.models import Municipality

COLUMNS = {"code": ("コード", "地区コード"), "label": ("名称", "表示名", "地区名", "ラベル")}


def import_codes(list_name: str, path: Path, municipality: Municipality | None, *, dry_run: bool,
                 progress=None) -> ImportReport:
    """Add the file's entries to `list_name` (a municipal list needs its municipality); an existing code of the
    same list and municipality takes the file's label; a code of another municipality is a bad row."""
    codes.check_extensible(list_name)
    rows = read_table(path, COLUMNS, ("code", "label"))
    scope = municipality.code if list_name in codes.MUNICIPAL_LISTS else None

    def apply(row: Row) -> str:
        s = db.session()
        code, label = row.values.get("code", ""), row.values.get("label", "")
        if not code or len(code) > 64:
            raise validation_problem({"code": ["コードは1〜64文字で指定してください。"]})
        if not label or len(label) > 100:
            raise validation_problem({"label": ["名称は1〜100文字で指定してください。"]})
        if unsafe_characters(label):
            raise validation_problem({"label": [unsafe_characters(label)]})
        entry = s.get(ManagedCode, (list_name, code))
        if entry is None:
            codes.add(list_name, code, label, municipality=municipality)
            return CREATED
        if entry.scope != scope:
            raise validation_problem({"code": ["他の自治体のリストがこのコードを使っています。"]})
        if entry.label == label and entry.active:
            return UNCHANGED
        entry.label, entry.active = label, True
        trail.record(s, action="codes.update", resource_type="codes", resource_id=f"{list_name}:{code}",
                     municipality_id=municipality.id if municipality is not None else None,
                     detail={"via": "import"})
        return UPDATED

    return apply_rows(rows, apply, dry_run=dry_run, progress=progress)
