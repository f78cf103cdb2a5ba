"""Reading the lists a municipality keeps: CSV (UTF-8, with or without BOM, or Shift_JIS as Excel writes it)
and .xlsx, into rows keyed by our column names.

A city's list has Japanese headers in its own words ("団体名", "名称", "組織名"), full-width characters and
stray spaces; `read_table` maps headers through the caller's aliases after NFKC, so one import accepts both
the English keys and the headers people actually type. Row numbers are the file's own (the header is row 1),
so an error message points at the line a person sees in Excel.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from caseflow.core.errors import validation_problem

ENCODINGS = ("utf-8-sig", "cp932")  # cp932 is Windows' Shift_JIS, which Excel writes for "CSV"


@dataclass(frozen=True)
class Row:
    number: int  # the line in the file (the header is 1)
    values: dict[str, str]


def normalize(text) -> str:
    return unicodedata.normalize("NFKC", "" if text is None else str(text)).strip()


def _decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise validation_problem({"file": ["文字コードを判別できません。UTF-8 または Shift_JIS の CSV にしてください。"]})


def _csv_records(data: bytes) -> list[list[str]]:
    return [record for record in csv.reader(io.StringIO(_decode(data), newline=""))]


def _xlsx_records(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # only imports of spreadsheets pay for it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises several kinds for a file that is not a workbook
        raise validation_problem({"file": ["Excel ファイル (.xlsx) として読めません。"]}) from None
    sheet = book.worksheets[0]
    records = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return records


def read_table(path: Path | bytes, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> list[Row]:
    """Rows of the file at `path` (or of the file's bytes, as uploaded), keyed by the names of `columns` ({key: accepted headers}). A header that
    names none of them is refused (a typo would otherwise silently drop a column), as is a missing required
    column. Blank lines are skipped."""
    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    records = _xlsx_records(data) if data[:2] == b"PK" else _csv_records(data)
    if not records:
        raise validation_problem({"file": ["ファイルが空です。"]})
    lookup = {normalize(alias).lower(): key for key, aliases in columns.items() for alias in (key, *aliases)}
    header = [normalize(h).lower() for h in records[0]]
    unknown = [h for h in header if h and h not in lookup]
    keys = [lookup.get(h) for h in header]
    missing = [columns[k][0] if columns[k] else k for k in required if k not in keys]
    errors = {}
    if unknown:
        errors["header"] = [f"知らない列名です: {', '.join(unknown)}"]
    if missing:
        errors.setdefault("header", []).append(f"必須の列がありません: {', '.join(missing)}")
    if errors:
        raise validation_problem(errors)
    rows = []
    for number, record in enumerate(records[1:], start=2):
        values = {key: normalize(v) for key, v in zip(keys, record) if key}
        if any(values.values()):
            rows.append(Row(number, values))
    return rows
