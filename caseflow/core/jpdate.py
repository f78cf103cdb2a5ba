"""Japanese calendar helpers: era (和暦) dates, Tokyo-local timestamps, fiscal years.

Municipal documents conventionally show the era date with the Gregorian year
in parentheses, e.g. "令和8年（2026年）11月26日", and count budgets and statistics
by fiscal year (年度), which starts on 1 April.

Functions that take a ``date`` also accept an *aware* ``datetime``, which is
first converted to Japan time so that e.g. 2026-03-31T20:00Z counts as
2026-04-01 (fiscal year 2026).  Naive datetimes are rejected because their
calendar day is ambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "TOKYO",
    "DateFormatError",
    "fiscal_era",
    "fiscal_year",
    "fiscal_year_prefix",
    "format_fiscal_year",
    "format_jp_date",
    "format_jp_date_weekday",
    "format_jp_datetime",
    "parse_date",
    "reiwa_fiscal_year",
    "to_tokyo",
    "to_wareki",
]


def _load_tokyo() -> tzinfo:
    try:
        return ZoneInfo("Asia/Tokyo")
    except ZoneInfoNotFoundError:
        # Slim containers may lack tzdata.  Japan has had no DST since 1951,
        # so a fixed +09:00 offset is exact for any date this service handles.
        return timezone(timedelta(hours=9), "JST")


TOKYO: tzinfo = _load_tokyo()

# (first day of era, era name, letter), newest first: the days of the change (改元) are 1912-07-30,
# 1926-12-25, 1989-01-08 and 2019-05-01. Meiji is only supported from 1873-01-01, when Japan adopted the
# Gregorian calendar; earlier dates would need lunisolar conversion (the API accepts dates from 1900 on).
_ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
    (date(1912, 7, 30), "大正", "T"),
    (date(1873, 1, 1), "明治", "M"),
)
_MEIJI_ORIGIN_YEAR = 1868  # 明治元年; the table start above is the calendar switch
_REIWA_OFFSET = 2018  # Reiwa year = Gregorian year - 2018
_ORIGIN = {name: (_MEIJI_ORIGIN_YEAR if name == "明治" else start.year) for start, name, _ in _ERAS}


class DateFormatError(ValueError):
    """A date string that is not a date (the message is Japanese, for the user, and never quotes the input)."""


def to_tokyo(dt: datetime) -> datetime:
    """Convert an aware datetime to Japan time; reject naive ones."""
    if not isinstance(dt, datetime):
        raise TypeError(f"expected datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError("naive datetime: attach a timezone (e.g. UTC) before formatting")
    return dt.astimezone(TOKYO)


def _as_date(d: date) -> date:
    # datetime is a subclass of date, so check it first.
    if isinstance(d, datetime):
        return to_tokyo(d).date()
    if isinstance(d, date):
        return d
    raise TypeError(f"expected date, got {type(d).__name__}")


def _era_of(d: date) -> tuple[date, str, str]:
    for era in _ERAS:
        if d >= era[0]:
            return era
    raise ValueError(f"dates before 1873-01-01 are not supported: {d.isoformat()}")


def _era_year(d: date) -> tuple[str, int]:
    _start, name, _letter = _era_of(d)
    return name, d.year - _ORIGIN[name] + 1


def _year_label(n: int) -> str:
    # The first year of an era is written 元年, never 1年.
    return "元" if n == 1 else str(n)


def to_wareki(d: date) -> str:
    """date(2026, 11, 26) -> "令和8年11月26日"; date(2019, 5, 1) -> "令和元年5月1日"."""
    d = _as_date(d)
    era, year = _era_year(d)
    return f"{era}{_year_label(year)}年{d.month}月{d.day}日"


def format_jp_date(d: date) -> str:
    """date(2026, 11, 26) -> "令和8年（2026年）11月26日"."""
    d = _as_date(d)
    era, year = _era_year(d)
    return f"{era}{_year_label(year)}年（{d.year}年）{d.month}月{d.day}日"


WEEKDAYS = "月火水木金土日"


def format_jp_date_weekday(d: date) -> str:
    """date(2026, 11, 26) -> "令和8年（2026年）11月26日（木）", as a 会議次第 writes the day of a meeting."""
    d = _as_date(d)
    return f"{format_jp_date(d)}（{WEEKDAYS[d.weekday()]}）"


def format_jp_datetime(dt: datetime) -> str:
    """Aware datetime -> "令和8年（2026年）11月26日 14:30" in Japan time."""
    local = to_tokyo(dt)
    return f"{format_jp_date(local.date())} {local.hour:02d}:{local.minute:02d}"


def fiscal_year(d: date) -> int:
    """Japanese fiscal year (年度), starting 1 April: 2026-03-31 -> 2025."""
    d = _as_date(d)
    return d.year if d.month >= 4 else d.year - 1


def fiscal_era(d: date) -> tuple[str, str, int]:
    """The era of the fiscal year (年度) of `d`: (era name, letter, year of the era), e.g. ("平成", "H", 30).

    A fiscal year takes the era in force on its 1 October, the middle of the year, and is numbered from
    the era's first calendar year. That is the conventional name at every change of era: FY1912 is
    大正元年度, FY1926 大正15年度, FY1988 昭和63年度 (平成 began in January 1989, within it) and FY2019
    令和元年度 (as municipalities call it, although 1 April 2019 was still 平成31年)."""
    fy = fiscal_year(d)
    _start, name, letter = _era_of(date(fy, 10, 1))
    return name, letter, fy - _ORIGIN[name] + 1


def fiscal_year_prefix(d: date) -> str:
    """The era letter and number of the fiscal year of `d`, as case numbers start: "R7", "H30", "S63"."""
    _name, letter, n = fiscal_era(d)
    return f"{letter}{n}"


def reiwa_fiscal_year(d: date) -> int:
    """Fiscal year as a Reiwa number: FY2025 -> 7.

    FY2019 is officially 令和元年度 even though April 2019 was still Heisei,
    so this is simply fiscal_year - 2018.
    """
    n = fiscal_year(d) - _REIWA_OFFSET
    if n < 1:
        raise ValueError(f"fiscal year {fiscal_year(d)} predates Reiwa")
    return n


def format_fiscal_year(d: date) -> str:
    """date(2026, 3, 31) -> "令和7年度（2025年度）"; FY2019 -> "令和元年度（2019年度）"; FY2018 -> "平成30年度（2018年度）"."""
    name, _letter, n = fiscal_era(d)
    return f"{name}{_year_label(n)}年度（{fiscal_year(d)}年度）"


def wareki_fiscal_year(d: date) -> str:
    """date(2026, 3, 31) -> "令和7年度"; FY2019 -> "令和元年度" (the form a 実績報告 is titled with)."""
    name, _letter, n = fiscal_era(d)
    return f"{name}{_year_label(n)}年度"


def wareki_month(d: date) -> str:
    """date(2025, 5, 20) -> "令和7年5月"; date(2019, 5, 1) -> "令和元年5月"."""
    d = _as_date(d)
    era, year = _era_year(d)
    return f"{era}{_year_label(year)}年{d.month}月"


def format_wareki_period(start: date, end: date) -> str:
    """(2025-04-01, 2026-03-31) -> "令和7年4月1日〜令和8年3月31日"."""
    return f"{to_wareki(start)}〜{to_wareki(end)}"


# --- reading dates people type ------------------------------------------------------------------

_ERA_NAMES = {name: name for _s, name, _l in _ERAS} | {letter: name for _s, name, letter in _ERAS} | {
    name[0]: name for _s, name, _l in _ERAS}
_SEP = r"\s*[./\-]\s*"
_WAREKI = re.compile(r"(?P<era>明治|大正|昭和|平成|令和|[明大昭平令MTSHR])\s*(?P<year>\d{1,2}|元)\s*"
                     r"(?:年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*日?"
                     r"|[./\-]\s*(?P<m2>\d{1,2})" + _SEP + r"(?P<d2>\d{1,2}))", re.IGNORECASE)
_SEIREKI = re.compile(r"(?P<year>\d{4})\s*(?:年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*日?"
                      r"|[./\-]\s*(?P<m2>\d{1,2})" + _SEP + r"(?P<d2>\d{1,2}))")
NOT_A_DATE = "日付は 2025-04-01、令和7年4月1日、R7.4.1 のように入力してください。"
NO_SUCH_DAY = "存在しない日付です。"


def _era_span(name: str) -> tuple[date, date | None]:
    """First and last day of an era (None: the current era)."""
    for i, (start, era, _l) in enumerate(_ERAS):
        if era == name:
            return start, (_ERAS[i - 1][0] - timedelta(days=1)) if i else None
    raise KeyError(name)


def parse_date(value: str) -> date:
    """A date as people type it: ISO 8601 (2025-04-01), Gregorian (2025/4/1, 2025年4月1日) or 和暦 with the
    era's name, first character or letter (令和7年4月1日, 令7.4.1, R7.4.1, r7/4/1, H30-6-1, 平成元年1月8日),
    full-width digits and spaces allowed (NFKC). An era year must name a day of that era: 平成31年5月1日,
    平成32年1月1日 and 令和元年4月30日 do not exist and are refused (DateFormatError) -- the day is 令和元年
    5月1日, 令和2年1月1日 and 平成31年4月30日. Meiji dates count from 1873-01-01 (the Gregorian calendar)."""
    text = unicodedata.normalize("NFKC", value).strip()
    m = _WAREKI.fullmatch(text)
    if m:
        era = _ERA_NAMES[m.group("era").upper() if m.group("era").isascii() else m.group("era")]
        n = 1 if m.group("year") == "元" else int(m.group("year"))
        month, day = int(m.group("m1") or m.group("m2")), int(m.group("d1") or m.group("d2"))
        if n < 1:
            raise DateFormatError(NO_SUCH_DAY)
        try:
            d = date(_ORIGIN[era] + n - 1, month, day)
        except ValueError:
            raise DateFormatError(NO_SUCH_DAY) from None
        first, last = _era_span(era)
        if d < first or (last is not None and d > last):
            until = f"{last.year}年{last.month}月{last.day}日まで" if last else ""
            raise DateFormatError(f"{NO_SUCH_DAY}{era}は{first.year}年{first.month}月{first.day}日から{until}です。")
        return d
    m = _SEIREKI.fullmatch(text)
    if m:
        try:
            return date(int(m.group("year")), int(m.group("m1") or m.group("m2")), int(m.group("d1") or m.group("d2")))
        except ValueError:
            raise DateFormatError(NO_SUCH_DAY) from None
    raise DateFormatError(NOT_A_DATE)
