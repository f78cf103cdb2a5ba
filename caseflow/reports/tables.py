"""Cross-tabulated tables of the KPI report (様式) and their suppression: plain rules, no Flask, no database.

A cross-tab is a dict (the same in JSON, CSV, .xlsx and PDF):
``{"key", "title", "row_title", "column_title", "rows": [{"key", "label"}], "columns": [{"key", "label"}],
"cells": [[n, ...], ...], "row_totals": [...], "column_totals": [...], "total": n}``; a suppressed number is
``None``. Totals are sums of the cells (for 課題 × 年代 a case with two issues counts under each: 延べ件数).

Suppression (outputs shared outside the lead department): every number below the threshold is hidden
(primary suppression), totals included; then more numbers are hidden until none of the hidden ones can be
worked out from the rest (secondary suppression), while the totals stay printed wherever that is enough.
The table with its totals is a set of equations (each row and each column adds up to its total). A hidden
number is recoverable exactly when it lies on no cycle of hidden numbers (rows and columns as the nodes of a
bipartite graph, hidden numbers as its edges: a bridge); so every hidden number is put on a cycle, choosing
the cheapest rectangle of further numbers to hide (small inner cells first, totals last, the grand total only
when nothing else works). See docs/outputs.md.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

SUPPRESSED_MARK = "*"
TOTAL_LABEL = "合計"

_BAND = re.compile(r"^(\d+)")


def age_band_key(band: str) -> tuple[int, int]:
    """Natural order of age bands: by lower bound (「15歳未満」 0, 「15〜17歳」 15, 「20代」 20, 「80歳以上」 80), 不明 last."""
    if band.endswith("歳未満"):
        return (0, 0)
    m = _BAND.match(band)
    return (0, int(m.group(1))) if m else (1, 0)


def crosstab(key: str, title: str, *, row_title: str, column_title: str, rows: Sequence[tuple[str, str]],
             columns: Sequence[tuple[str, str]], counts: dict[str, dict[str, int]]) -> dict:
    """Build an exact cross-tab from ``counts[row_key][column_key]`` (missing: 0)."""
    cells = [[int(counts.get(r, {}).get(c, 0)) for c, _ in columns] for r, _ in rows]
    return {
        "key": key, "title": title, "row_title": row_title, "column_title": column_title,
        "rows": [{"key": k, "label": label} for k, label in rows],
        "columns": [{"key": k, "label": label} for k, label in columns],
        "cells": cells,
        "row_totals": [sum(row) for row in cells],
        "column_totals": [sum(row[j] for row in cells) for j in range(len(columns))],
        "total": sum(sum(row) for row in cells),
    }


def ordered(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    """Keys in the order of a code list; keys not in it after, alphabetically."""
    keys = set(keys)
    return [k for k in order if k in keys] + sorted(keys - set(order))


# --- suppression ---------------------------------------------------------------------------------

def _augmented(t: dict) -> list[list[int]]:
    """The table with its totals as one more column and one more row (grand total in the corner)."""
    return [row + [total] for row, total in zip(t["cells"], t["row_totals"])] + [t["column_totals"] + [t["total"]]]


def _is_bridge(edge: tuple[int, int], hidden: set[tuple[int, int]]) -> bool:
    """Whether a hidden entry is on no cycle of hidden entries (so the equations determine it)."""
    start, goal = ("r", edge[0]), ("c", edge[1])
    adj: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for i, j in hidden:
        if (i, j) != edge:
            adj.setdefault(("r", i), []).append(("c", j))
            adj.setdefault(("c", j), []).append(("r", i))
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return False
        for nxt in adj.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return True


def protect(matrix: list[list[int]], threshold: int) -> set[tuple[int, int]]:
    """Entries of an augmented table (last row and column: totals) to hide: primary and secondary."""
    n_rows, n_cols = len(matrix), len(matrix[0])
    last_r, last_c = n_rows - 1, n_cols - 1
    hidden = {(i, j) for i in range(n_rows) for j in range(n_cols) if 0 < matrix[i][j] < threshold}

    def cost(i: int, j: int) -> float:
        if (i, j) in hidden:
            return 0
        v = matrix[i][j]
        if i == last_r and j == last_c:
            return 1_000_000 + v  # the grand total: only when nothing else can protect
        weight = 2 if (i == last_r or j == last_c) else 1  # inner cells before totals
        return (1000 if v == 0 else v) * weight  # hiding a zero protects little and misleads

    while True:
        bridge = next((e for e in sorted(hidden) if _is_bridge(e, hidden)), None)
        if bridge is None:
            return hidden
        i, j = bridge
        best = min(((cost(i, j2) + cost(i2, j) + cost(i2, j2), i2, j2)
                    for i2 in range(n_rows) for j2 in range(n_cols) if i2 != i and j2 != j))
        _, i2, j2 = best
        hidden |= {(i, j2), (i2, j), (i2, j2)}  # a rectangle through the bridge: now on a cycle


def suppress_crosstab(t: dict, threshold: int) -> dict:
    """A copy of a cross-tab with primary and secondary suppression applied (hidden numbers are None)."""
    if not t["rows"] or not t["columns"]:
        return {**t}
    matrix = _augmented(t)
    hidden = protect(matrix, threshold)
    n, m = len(t["rows"]), len(t["columns"])

    def value(i: int, j: int) -> int | None:
        return None if (i, j) in hidden else matrix[i][j]

    return {**t,
            "cells": [[value(i, j) for j in range(m)] for i in range(n)],
            "row_totals": [value(i, m) for i in range(n)],
            "column_totals": [value(n, j) for j in range(m)],
            "total": value(n, m)}


def lookup(t: dict, row_key: str | None = None, column_key: str | None = None) -> int | None:
    """A cell (both keys), a row total (row only), a column total (column only) or the grand total."""
    rows = [r["key"] for r in t["rows"]]
    cols = [c["key"] for c in t["columns"]]
    if row_key is not None and column_key is not None:
        return t["cells"][rows.index(row_key)][cols.index(column_key)]
    if row_key is not None:
        return t["row_totals"][rows.index(row_key)]
    if column_key is not None:
        return t["column_totals"][cols.index(column_key)]
    return t["total"]


def grid(t: dict) -> tuple[list[str], list[list[int | None]]]:
    """Header and rows as printed (labels, numbers, totals; None for a suppressed number).

    A one-column table (a plain breakdown) has no row-total column (it would repeat the column)."""
    single = len(t["columns"]) == 1
    header = [t["row_title"], *(c["label"] for c in t["columns"])] + ([] if single else [TOTAL_LABEL])
    body = [[r["label"], *cells] + ([] if single else [total])
            for r, cells, total in zip(t["rows"], t["cells"], t["row_totals"])]
    body.append([TOTAL_LABEL, *t["column_totals"]] + ([] if single else [t["total"]]))
    return header, body


def shown(v: int | None) -> str:
    """A number as text; a suppressed one as 「*」 (never 0 and never blank)."""
    return SUPPRESSED_MARK if v is None else str(v)
