"""The KPI report as a municipal 実績報告 (issue 21): 和暦 title and period, the municipality named, cross-tabs
with totals, suppressed cells shown as suppressed (never 0) in JSON, CSV, .xlsx and PDF, with secondary
suppression so that no hidden number can be worked out from the totals; the PDF keeps its ink inside the
margins; LibreOffice reads the CSV with its Japanese headers."""
from __future__ import annotations

import csv
import io
import os
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from caseflow.cases.models import Case, CaseIssue, CaseStageChange, Person
from caseflow.core import db

from support import page_count, parse_pgm, run, without_spaces

FY = 2025
TOKYO = timezone(timedelta(hours=9))
CHANNELS = ["counter", "phone", "email", "chat", "outreach", "minsei", "school", "agency", "self", "family"]
ISSUES = ["hikikomori", "poverty", "housing", "young_carer"]
BIRTH_YEARS = [2012, 2009, 1990, 1975, 1950, None]  # in 2025: 13 (15歳未満), 16 (15〜17歳), 35, 50, 75, unknown
SHARED = f"fiscal_year={FY}"


@pytest.fixture
def report_world(app, basic):
    """Some 150 new consultations of FY2025 over 12 months and 10 channels (so that channels are grouped in the
    chart), with many small cells to suppress; a few closed."""
    owner, kamakura = basic.orgs["kmk-chiiki"], basic.municipalities["kamakura"]
    with app.app_context():
        s = db.session()
        n = 0
        for m in range(12):
            y, month = (FY, 4 + m) if m < 9 else (FY + 1, m - 8)
            for c, channel in enumerate(CHANNELS):
                for k in range((m * 3 + c * 7) % 5 if c else 4 + m % 3):
                    n += 1
                    birth = BIRTH_YEARS[(n + c) % len(BIRTH_YEARS)]
                    person = None
                    if birth:
                        person = Person(name=f"人{n}", birth_year=birth, collected_by_org_id=owner, search_key="",
                                        municipality_id=kamakura)
                        s.add(person)
                        s.flush()
                    opened = date(y, month, 1 + k)
                    closed = n % 9 == 0
                    case = Case(case_number=f"K-{n:06d}", municipality_id=kamakura, owner_org_id=owner,
                                intake_channel=channel, district_code="ofuna", opened_on=opened,
                                primary_person_id=person.id if person else None, anonymous_label="x",
                                stage="closed" if closed else "intake",
                                issue_rows=[CaseIssue(issue_code=ISSUES[(n + i) % len(ISSUES)])
                                            for i in range(1 + n % 2)])
                    s.add(case)
                    s.flush()
                    at = datetime.combine(opened, datetime.min.time(), TOKYO) + timedelta(hours=10)
                    s.add(CaseStageChange(case_id=case.id, to_stage="intake", at=at))
                    if closed:
                        s.add(CaseStageChange(case_id=case.id, from_stage="intake", to_stage="closed",
                                              closure_reason="goal_achieved" if n % 2 else "moved",
                                              at=at + timedelta(days=20)))
        s.commit()
    app.config["REPORT_LEAD_ORGS"] = ["kmk-chiiki"]
    return basic


def _get(client, path: str, query: str):
    r = client.get(f"/api/v1/reports/{path}?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r


def test_shared_report_agrees_in_json_csv_and_xlsx_and_never_shows_a_suppressed_cell_as_0(report_world, tmp_path):
    sup, lead = report_world.client("super@example.jp"), report_world.client("coord@example.jp")
    exact = _get(lead, "kpi", f"{SHARED}&audience=internal").get_json()
    k = _get(sup, "kpi", SHARED).get_json()
    assert k["title"] == "令和7年度 実績報告" and k["period"]["wareki"] == "令和7年4月1日〜令和8年3月31日"
    assert k["municipality"]["name"] == "鎌倉市" and k["suppressed_below"] == 3
    tabs = k["crosstabs"]
    assert list(tabs) == ["month_by_channel", "issue_by_age_band", "stage_at_end", "closures_by_reason"]
    monthly = tabs["month_by_channel"]
    assert [r["label"] for r in monthly["rows"]][:2] == ["令和7年4月", "令和7年5月"] and len(monthly["rows"]) == 12
    assert monthly["rows"][-1]["label"] == "令和8年3月"
    bands = [c["label"] for c in tabs["issue_by_age_band"]["columns"]]
    assert bands == ["15歳未満", "15〜17歳", "30代", "50代", "70代", "不明"]  # by lower bound, 不明 last
    assert list(k["new_consultations"]["by_age_band"]) == bands

    hidden = 0
    for key, t in tabs.items():
        e = exact["crosstabs"][key]
        assert e["total"] == sum(e["row_totals"]) == sum(e["column_totals"])
        lines = [cells + [total] for cells, total in zip(t["cells"], t["row_totals"])]
        lines.append(t["column_totals"] + [t["total"]])
        exact_lines = [cells + [total] for cells, total in zip(e["cells"], e["row_totals"])]
        exact_lines.append(e["column_totals"] + [e["total"]])
        for line, exact_line in zip(lines, exact_lines):
            for v, x in zip(line, exact_line):
                assert v is None or (v == x and not 0 < v < 3)  # printed numbers are exact and not small
                assert v is not None or 0 < x < 3 or x >= 3  # (hidden: small, or hidden to protect one)
                hidden += v is None
        # secondary suppression: no row or column (totals included) with exactly one hidden number, which
        # its total would give away
        for line in [*lines, *zip(*lines)]:
            assert sum(v is None for v in line) != 1, (key, line)
    assert hidden >= 10
    assert k["new_consultations"]["total"] == monthly["total"] == exact["new_consultations"]["total"]
    assert k["new_consultations"]["by_channel"] == {c["key"]: v for c, v in zip(monthly["columns"],
                                                                                  monthly["column_totals"])}

    # CSV (UTF-8 with BOM): every cross-tab number, 「*」 where the JSON has null
    r = _get(sup, "kpi.csv", SHARED)
    assert r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == ["区分", "項目", "件数・値"]
    flat = {(a, b): c for a, b, c in rows[1:]}
    assert flat[("報告", "自治体")] == "鎌倉市" and flat[("報告", "対象期間")] == "令和7年4月1日〜令和8年3月31日"

    # .xlsx: one sheet per table; numbers are numbers, suppressed cells the text 「*」 with a note
    book = load_workbook(io.BytesIO(_get(sup, "kpi.xlsx", SHARED).data))
    assert book.sheetnames == ["概要"] + [t["title"][:31] for t in tabs.values()]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(min_row=3, max_row=8, max_col=2, values_only=True)}
    assert summary["自治体"] == "鎌倉市" and summary["対象期間"] == "令和7年4月1日〜令和8年3月31日"
    for t in tabs.values():
        sheet = book[t["title"][:31]]
        single = len(t["columns"]) == 1
        header = [c.value for c in sheet[4]]
        assert header == [t["row_title"], *(c["label"] for c in t["columns"])] + ([] if single else ["合計"])
        printed = [[r["label"], *cells] + ([] if single else [total])
                   for r, cells, total in zip(t["rows"], t["cells"], t["row_totals"])]
        printed.append(["合計", *t["column_totals"]] + ([] if single else [t["total"]]))
        for i, line in enumerate(printed):
            cells = sheet[5 + i]
            assert cells[0].value == line[0]
            for cell, v, col in zip(cells[1:], line[1:], header[1:]):
                item = line[0] if single else ("合計" if line[0] == col == "合計" else f"{line[0]} × {col}")
                if v is None:
                    assert cell.value == "*" and cell.data_type == "s" and "秘匿" in cell.comment.text
                    assert flat[(t["title"], item)] == "*"
                else:
                    assert cell.value == v and isinstance(v, int) and cell.data_type == "n"
                    assert flat[(t["title"], item)] == str(v)
        assert "0ではありません" in sheet.cell(row=5 + len(printed) + 1, column=1).value


def test_pdf_is_a_wareki_report_with_totals_and_suppression_marks_inside_the_margins(report_world, tmp_path):
    sup = report_world.client("super@example.jp")
    k = _get(sup, "kpi", SHARED).get_json()
    path = tmp_path / "kpi.pdf"
    path.write_bytes(_get(sup, "kpi.pdf", SHARED).data)
    text = run(["pdftotext", "-layout", str(path), "-"])
    flat = without_spaces(text)
    assert "令和7年度実績報告" in flat and "令和7年4月1日〜令和8年3月31日" in flat
    assert "自治体鎌倉市" in flat and "出力日時令和" in flat
    for t in k["crosstabs"].values():
        assert without_spaces(t["title"]) in flat
    assert "その他" in flat and "秘匿（*）" in flat  # the chart groups channels beyond 7 and keys the hatching
    # the month × channel table, row by row: the printed numbers and 「*」 where the JSON has null, never 0
    monthly = k["crosstabs"]["month_by_channel"]
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines()
             if line.strip().startswith("令和") and "月" in line.split()[0] and len(line.split()) > 5}
    for row, cells, total in zip(monthly["rows"], monthly["cells"], monthly["row_totals"]):
        assert lines[row["label"]] == ["*" if v is None else str(v) for v in [*cells, total]], row["label"]
    # no ink beyond the 18 mm side margins nor in the top and bottom 5 mm, on any page (A4 at 50 dpi)
    run(["pdftoppm", "-r", "50", "-gray", str(path), str(tmp_path / "page")])
    pages = sorted(tmp_path.glob("page*.pgm"))
    assert len(pages) == page_count(path) >= 2
    for pgm in pages:
        width, height, pixels = parse_pgm(pgm.read_bytes())
        side, edge = int(17 / 25.4 * 50), int(5 / 25.4 * 50)
        ink = [(x, y) for y in range(height) for x in range(width)
               if pixels[y * width + x] < 200 and (x < side or x >= width - side or y < edge or y >= height - edge)]
        assert not ink, (pgm.name, ink[:5])

    # filtered by organisation: the organisation is named too
    org = report_world.orgs["kmk-chiiki"]
    path.write_bytes(_get(sup, "kpi.pdf", f"{SHARED}&org_id={org}").data)
    assert "組織鎌倉市地域共生課" in without_spaces(run(["pdftotext", str(path), "-"]))


def test_libreoffice_reads_the_kpi_csv_with_japanese_headers_and_numbers(report_world, tmp_path):
    src = tmp_path / "kpi-report.csv"
    src.write_bytes(_get(report_world.client("super@example.jp"), "kpi.csv", SHARED).data)
    profile = tmp_path / "lo-profile"
    # headless LibreOffice does not take the BOM as a hint: the filter options name UTF-8 (76), comma, quote
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx",
                    "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=300, env={**os.environ, "HOME": str(tmp_path)})
    sheet = load_workbook(tmp_path / "kpi-report.xlsx").active
    rows = [[c.value for c in row] for row in sheet.iter_rows(max_col=3)]
    assert rows[0] == ["区分", "項目", "件数・値"]  # the BOM taken as a BOM, not as part of the first cell
    by_item = {(a, b): c for a, b, c in rows[1:]}
    assert by_item[("報告", "自治体")] == "鎌倉市"
    assert by_item[("報告", "対象期間")] == "令和7年4月1日〜令和8年3月31日"
    values = [c for a, _b, c in rows[1:] if a == "月別・相談経路別 新規相談件数"]
    assert any(isinstance(v, int | float) and v >= 3 for v in values) and "*" in values
    assert not any("\ufffd" in str(v) for row in rows for v in row)


def _determined(matrix: list[list[int]], hidden: set[tuple[int, int]], entry: tuple[int, int]) -> bool:
    """Whether the equations of a table with totals (each row and column of the augmented table adds up)
    fix a hidden entry: its unit vector lies in the row space of the equations over the hidden entries."""
    from fractions import Fraction

    n_rows, n_cols = len(matrix), len(matrix[0])
    var = sorted(hidden)
    eqs = []
    for r in range(n_rows):  # row r: cells minus the total (the last column) = 0
        eqs.append([Fraction((-1 if j == n_cols - 1 else 1) if i == r else 0) for (i, j) in var])
    for c in range(n_cols):
        eqs.append([Fraction((-1 if i == n_rows - 1 else 1) if j == c else 0) for (i, j) in var])

    def rank(rows: list[list[Fraction]]) -> int:
        rows = [r[:] for r in rows]
        rk, col = 0, 0
        while rk < len(rows) and col < len(var):
            pivot = next((i for i in range(rk, len(rows)) if rows[i][col]), None)
            if pivot is None:
                col += 1
                continue
            rows[rk], rows[pivot] = rows[pivot], rows[rk]
            for i in range(len(rows)):
                if i != rk and rows[i][col]:
                    f = rows[i][col] / rows[rk][col]
                    rows[i] = [a - f * b for a, b in zip(rows[i], rows[rk])]
            rk, col = rk + 1, col + 1
        return rk

    unit = [Fraction(1 if v == entry else 0) for v in var]
    return rank(eqs + [unit]) == rank(eqs)


@pytest.mark.parametrize("cells", [
    [[1, 5, 7], [6, 8, 9], [4, 4, 10]],          # one small cell: a rectangle of three more
    [[2, 0, 9, 4], [5, 1, 0, 6], [7, 8, 3, 12]],  # small cells in different rows and columns
    [[1], [7], [9]],                              # a plain breakdown (one column)
    [[1, 1], [1, 1]],                             # everything small: the grand total protects
    [[0, 4, 5], [3, 0, 1]],                       # zeros are not worth hiding
])
def test_no_hidden_number_can_be_worked_out_from_the_rest(cells):
    from caseflow.reports import tables

    t = tables.crosstab("t", "t", row_title="r", column_title="c", rows=[(str(i), str(i)) for i in range(len(cells))],
                        columns=[(str(j), str(j)) for j in range(len(cells[0]))],
                        counts={str(i): {str(j): v for j, v in enumerate(row)} for i, row in enumerate(cells)})
    matrix = [row + [sum(row)] for row in cells] + [[sum(col) for col in zip(*cells)] + [sum(map(sum, cells))]]
    hidden = tables.protect(matrix, 3)
    assert {(i, j) for i, row in enumerate(matrix) for j, v in enumerate(row) if 0 < v < 3} <= hidden
    assert not [e for e in hidden if _determined(matrix, hidden, e)]
    shown = tables.suppress_crosstab(t, 3)
    assert sum(v is None for row in shown["cells"] for v in row) == sum(1 for (i, j) in hidden
                                                                        if i < len(cells) and j < len(cells[0]))
