"""個人番号 (My Number) detection: this system is not a 個人番号利用事務 system, so 番号法 forbids it to
collect or keep My Numbers. Every free-text field refuses a string containing one (caseflow.core.schemas.Text),
and `caseflow mynumber scan` finds any already stored.

A My Number is 12 digits whose last digit is the check digit of the first 11 (番号法施行令 第8条):
for the first 11 digits P_n, n = 1..11 counted from the right (P_1 is the 11th digit),
Q_n = n + 1 for 1 <= n <= 6 and n - 5 for 7 <= n <= 11; r = sum(P_n * Q_n) mod 11; the check digit is
0 when r <= 1, else 11 - r. Test vector (a sequential, generated number): 12345678901 -> r = 212 mod 11 = 3,
check digit 8, so "123456789018" is valid and "123456789010" is not.

What counts as "containing" one, after NFKC (full-width digits and spaces become ASCII):
- the digits are cut into groups (maximal runs of ASCII digits);
- groups joined by exactly one separator (a space or a hyphen/dash) form a chain, e.g. "1234 5678-9012";
- any consecutive groups of a chain holding 12 digits in all, with a valid check digit, are a My Number.
So a 12-digit group alone, "1234-5678-9012", "1 2 3 4 5 6 7 8 9 0 1 8" and a number inside Japanese text
("番号は1234 5678 9018です") are found; 12 digits inside a longer digit run ("1234567890180") are not, nor
digits separated by anything else ("1234.5678.9018", two spaces). A chain glued to an ASCII letter, directly or by a hyphen, is part of an
identifier (a hexadecimal hash, a UUID whose middle groups happen to be digits, a token in a URL:
"ab123456789018cd", "b5b02973-1234-4567-9018-c655...") and is not checked, nor is one that starts with
"+", an international phone number (+81 90 1234 5678). Japanese text around a number does not hide it.
"""
from __future__ import annotations

import json
import re
import unicodedata
import warnings
from dataclasses import dataclass, field

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SAWarning
from sqlalchemy.sql import sqltypes

MESSAGE = ("個人番号（マイナンバー）と思われる12桁の番号が含まれています。"
           "この番号は本システムに記録できません（番号法）。番号を削除してから入力してください。")

_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\uff70"
_SEPARATORS = " \u3000\u00a0" + _HYPHENS
# A chain: digit groups joined by single separators; the optional "+" marks an international phone number.
_H = "[" + re.escape(_HYPHENS) + "]"
_CHAIN = re.compile(r"(?<![A-Za-z0-9])(?<![A-Za-z0-9]" + _H + r")"  # not the tail of an identifier
                    r"(\+?)(\d++(?:[" + re.escape(_SEPARATORS) + r"]\d++)*+)"
                    r"(?![A-Za-z0-9])(?!" + _H + r"[A-Za-z0-9])", re.ASCII)  # nor its head
_GROUPS = re.compile(r"\d+", re.ASCII)
_WEIGHTS = tuple(n + 1 if n <= 6 else n - 5 for n in range(1, 12))  # Q_1 .. Q_11


def check_digit(first11: str) -> int:
    """The check digit of 11 ASCII digits (番号法施行令 第8条)."""
    if len(first11) != 11 or not first11.isascii() or not first11.isdigit():
        raise ValueError("expected 11 ASCII digits")
    # P_n is the n-th digit counted from the right of the 11.
    total = sum(int(first11[11 - n]) * _WEIGHTS[n - 1] for n in range(1, 12))
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid(digits: str) -> bool:
    """12 ASCII digits whose last is the check digit of the first 11."""
    return (len(digits) == 12 and digits.isascii() and digits.isdigit()
            and check_digit(digits[:11]) == int(digits[11]))


def contains_my_number(text: str) -> bool:
    """Whether `text` holds a valid My Number (rules in the module docstring). NFKC is applied here."""
    if not text:
        return False
    text = unicodedata.normalize("NFKC", text)
    for chain in _CHAIN.finditer(text):
        if chain.group(1):
            continue
        groups = _GROUPS.findall(chain.group(2))
        for i in range(len(groups)):
            digits = ""
            for group in groups[i:]:
                digits += group
                if len(digits) >= 12:
                    break
            if len(digits) == 12 and is_valid(digits):
                return True
    return False


# --- finding numbers already stored ----------------------------------------------------------------------

@dataclass
class Finding:
    """Where a My Number was found: the table, the column and the primary keys of the rows (never the value)."""

    table: str
    column: str
    row_ids: list[str] = field(default_factory=list)


def _text_of(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return json.dumps(value, ensure_ascii=False, default=str)  # JSON columns (dicts, lists)


def scan(engine: Engine, *, progress=None, batch: int = 2000) -> list[Finding]:
    """Every text-like column (VARCHAR, TEXT, JSON, CLOB ...) of every table of the database (reflected, so
    tables no model declares are read too), row by row. `progress(table, index, total, rows)` after each table."""
    meta = MetaData()
    with warnings.catch_warnings():  # expression indexes cannot be reflected; only the columns matter here
        warnings.simplefilter("ignore", SAWarning)
        meta.reflect(bind=engine)
    tables = sorted(meta.tables.values(), key=lambda t: t.name)
    findings: list[Finding] = []
    with engine.connect() as conn:
        for index, table in enumerate(tables, 1):
            columns = [c for c in table.columns if isinstance(c.type, (sqltypes.String, sqltypes.JSON))]
            key = list(table.primary_key.columns) or [c for c in table.columns][:1]
            rows = 0
            if columns:
                hits: dict[str, list[str]] = {}
                result = conn.execution_options(yield_per=batch).execute(select(*key, *columns))
                for row in result:
                    rows += 1
                    ids = "/".join(str(v) for v in row[:len(key)])
                    for c, value in zip(columns, row[len(key):]):
                        if value is not None and contains_my_number(_text_of(value)):
                            hits.setdefault(c.name, []).append(ids)
                findings.extend(Finding(table.name, name, ids) for name, ids in hits.items())
            if progress is not None:
                progress(table.name, index, len(tables), rows)
    return findings
