"""The audit trail as an auditor's spreadsheet: CSV (UTF-8 with BOM) and .xlsx, the same columns.

Times in Japan time with the offset and no fractions of a second, the actor's display name and
organisation beside the ids, the bases and categories of what was disclosed as columns of their own,
Japanese headers (English keys with ``header=en``). In the .xlsx the time is a real date cell (Excel has
no time zones: the header says JST). Plain functions, no Flask.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from caseflow.core.jpdate import to_tokyo

# (English key, Japanese header, .xlsx column width)
COLUMNS: list[tuple[str, str, int]] = [
    ("seq", "連番", 9),
    ("occurred_at", "日時（日本時間）", 21),
    ("actor_name", "操作者", 16),
    ("actor_org", "操作者の所属", 24),
    ("action", "操作", 22),
    ("resource_type", "対象の種類", 14),
    ("resource_id", "対象ID", 38),
    ("outcome", "結果", 9),
    ("legal_basis", "根拠（操作）", 24),
    ("disclosure_bases", "開示の根拠", 24),
    ("disclosure_categories", "開示した項目", 28),
    ("disclosed_persons", "開示対象者ID", 38),
    ("flagged", "要確認", 8),
    ("request_id", "リクエストID", 20),
    ("actor_user_id", "操作者ID", 38),
    ("actor_org_id", "所属ID", 38),
    ("detail", "詳細", 40),
    ("hash", "ハッシュ", 20),
]
OUTCOME_JA = {"allowed": "許可", "denied": "拒否"}
SEP = "、"


def headers(lang: str) -> list[str]:
    return [key if lang == "en" else ja for key, ja, _w in COLUMNS]


def jst(dt: datetime) -> datetime:
    """Japan time, whole seconds, offset kept."""
    return to_tokyo(dt).replace(microsecond=0)


def row_of(ev: dict, lang: str) -> dict:
    """One event (the selected columns plus actor_name/actor_org) as export values (datetime kept)."""
    disclosures = json.loads(ev["disclosures"] or "[]")
    bases = sorted({d["basis"] for d in disclosures})
    cats = sorted({c for d in disclosures for c in d.get("categories", [])})
    persons = sorted({d["person"] for d in disclosures})
    flagged = bool(ev["flagged"])
    return {
        "seq": ev["seq"],
        "occurred_at": jst(ev["occurred_at"]),
        "actor_name": ev["actor_name"] or "",
        "actor_org": ev["actor_org"] or "",
        "action": ev["action"],
        "resource_type": ev["resource_type"],
        "resource_id": ev["resource_id"] or "",
        "outcome": ev["outcome"] if lang == "en" else OUTCOME_JA.get(ev["outcome"], ev["outcome"]),
        "legal_basis": ev["legal_basis"] or "",
        "disclosure_bases": SEP.join(bases),
        "disclosure_categories": SEP.join(cats),
        "disclosed_persons": " ".join(persons),
        "flagged": ("true" if flagged else "false") if lang == "en" else ("○" if flagged else ""),
        "request_id": ev["request_id"] or "",
        "actor_user_id": str(ev["actor_user_id"] or ""),
        "actor_org_id": str(ev["actor_org_id"] or ""),
        "detail": "" if ev["detail"] in (None, "{}") else ev["detail"],
        "hash": ev["hash"],
    }


def csv_chunks(events: Iterable[dict], lang: str, every: int = 500) -> Iterator[str]:
    """CSV text in chunks: BOM, header, one line per event; times as 2026-12-05T09:40:00+09:00."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow(headers(lang))
    for n, ev in enumerate(events, 1):
        row = row_of(ev, lang)
        row["occurred_at"] = row["occurred_at"].isoformat()
        writer.writerow(row[k] for k, _ja, _w in COLUMNS)
        if n % every == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def xlsx_bytes(events: Iterable[dict], lang: str) -> bytes:
    """An .xlsx workbook (write-only: rows go to a temporary file, not memory), one sheet, frozen header."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("監査記録" if lang != "en" else "audit_events")
    ws.freeze_panes = "A2"
    for i, (_k, _ja, width) in enumerate(COLUMNS):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE4EE")
    head = []
    for text in headers(lang):
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill = bold, fill
        head.append(cell)
    ws.append(head)
    for ev in events:
        row = row_of(ev, lang)
        when = WriteOnlyCell(ws, value=row["occurred_at"].replace(tzinfo=None))  # JST wall time
        when.number_format = "yyyy-mm-dd hh:mm:ss"
        ws.append([when if k == "occurred_at" else row[k] for k, _ja, _w in COLUMNS])
    with tempfile.TemporaryFile() as tmp:
        wb.save(tmp)
        tmp.seek(0)
        return tmp.read()
