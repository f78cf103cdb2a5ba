"""Importing a table all or nothing: every row is tried, every bad row is reported with its line number and
field, and nothing is stored unless every row is good (a dry run stores nothing either way). An import that
documents it may instead keep the good rows (`keep_good_rows`): the bad ones are still all reported.

A row is applied inside a savepoint, so a refused row leaves no half-written trace while the rows after it
are still checked -- the person fixing the file sees every problem at once, not one per attempt. Re-importing
the same file changes nothing (each kind of row says whether it was created, updated or unchanged).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from caseflow.core import db
from caseflow.core.errors import Problem
from caseflow.core.tabular import Row

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
OUTCOME_LABELS = {CREATED: "追加", UPDATED: "更新", UNCHANGED: "変更なし"}


@dataclass
class ImportReport:
    outcomes: Counter = field(default_factory=Counter)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, message)
    stored: bool = False  # whether the good rows were committed

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return "、".join(f"{OUTCOME_LABELS[k]} {self.outcomes[k]} 件" for k in (CREATED, UPDATED, UNCHANGED))

    def error_lines(self) -> list[str]:
        return [f"{line} 行目 {name}: {message}" for line, name, message in self.errors]


def _messages(exc: Problem) -> list[tuple[str, str]]:
    if exc.errors:
        return [(name, " ".join(m) if isinstance(m, list) else str(m)) for name, m in exc.errors.items()]
    return [("-", exc.detail or exc.title)]


def apply_rows(rows: list[Row], apply: Callable[[Row], str], *, dry_run: bool,
               progress: Callable[[int], None] | None = None, keep_good_rows: bool = False,
               before_commit: Callable[[ImportReport], None] | None = None) -> ImportReport:
    """Apply each row with `apply` (which returns CREATED/UPDATED/UNCHANGED or raises a Problem); commit only
    when every row passed (or `keep_good_rows`) and this is not a dry run. `before_commit` is called with the
    report just before that commit (to stage one audit event summing the import up)."""
    s = db.session()
    db.begin_for_savepoints(s)
    report = ImportReport()
    for row in rows:
        savepoint = s.begin_nested()
        try:
            report.outcomes[apply(row)] += 1
            savepoint.commit()
        except Problem as exc:
            savepoint.rollback()
            report.errors.extend((row.number, name, message) for name, message in _messages(exc))
        if progress:
            progress(1)
    report.stored = (report.ok or keep_good_rows) and not dry_run
    if report.stored:
        if before_commit:
            before_commit(report)
        s.commit()
    else:
        s.rollback()
    return report
