"""The KPI report as an .xlsx workbook (openpyxl): a 概要 sheet, then one sheet per cross-tab.

Numbers are numbers (Excel can add them up); a suppressed number is the text 「*」 with a cell comment and a
note under the table, never 0 and never blank.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from caseflow.reports import tables

HEADER_FILL = PatternFill("solid", fgColor="DCE4EE")
TOTAL_FILL = PatternFill("solid", fgColor="EEF2F6")
THIN = Side(style="thin", color="9AA5B1")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TABLE_FIRST_ROW = 4  # title, facts line, blank, then the table's header


def _cell(ws, row: int, col: int, value, note: str | None, *, bold: bool = False, fill=None):
    c = ws.cell(row=row, column=col)
    if value is None:
        c.value = tables.SUPPRESSED_MARK
        c.alignment = Alignment(horizontal="right")
        if note:
            c.comment = Comment(note, "caseflow")
    else:
        c.value = value
        if isinstance(value, int | float):
            c.number_format = "#,##0" if isinstance(value, int) else "#,##0.0"
    c.border = BOX
    if bold:
        c.font = Font(bold=True)
    if fill is not None:
        c.fill = fill
    return c


def workbook(report: dict, *, title: str, facts: list[tuple[str, str]], others: list[tuple[str, str, object]],
             note: str | None) -> bytes:
    """Bytes of the workbook. ``facts`` head the 概要 sheet; ``note`` explains 「*」 (None: not suppressed)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "概要"
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    row = 3
    for label, value in facts:
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        ws.cell(row=row, column=2, value=value)
        row += 1
    row += 1
    for col, label in enumerate(["区分", "項目", "件数・値"], 1):
        _cell(ws, row, col, label, None, bold=True, fill=HEADER_FILL)
    for section, item, value in others:
        row += 1
        _cell(ws, row, 1, section, None)
        _cell(ws, row, 2, item, None)
        _cell(ws, row, 3, value, note)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 14

    period = next((v for k, v in facts if k == "対象期間"), "")
    for t in report["crosstabs"].values():
        sheet = wb.create_sheet(t["title"][:31].replace("/", "・"))
        sheet["A1"] = t["title"]
        sheet["A1"].font = Font(bold=True, size=12)
        sheet["A2"] = f"{title}　{period}"
        header, body = tables.grid(t)
        r = TABLE_FIRST_ROW
        for col, label in enumerate(header, 1):
            _cell(sheet, r, col, label, None, bold=True, fill=HEADER_FILL)
        for line in body:
            r += 1
            is_total = line[0] == tables.TOTAL_LABEL
            for col, value in enumerate(line, 1):
                last = col == len(line) and len(header) > 2
                _cell(sheet, r, col, value, note, bold=col == 1 or is_total,
                      fill=TOTAL_FILL if is_total or last else None)
        if note:
            sheet.cell(row=r + 2, column=1, value=note)
        sheet.column_dimensions["A"].width = 24
        for col in range(2, len(header) + 1):
            sheet.column_dimensions[get_column_letter(col)].width = 12
        sheet.freeze_panes = sheet.cell(row=TABLE_FIRST_ROW + 1, column=2)
    wb.properties.creator = "caseflow"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
