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

from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "TOKYO",
    "fiscal_year",
    "format_fiscal_year",
    "format_jp_date",
    "format_jp_datetime",
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

# (first day of era, era name), newest first.  Meiji is only supported from
# 1873-01-01, when Japan adopted the Gregorian calendar; earlier dates would
# need lunisolar conversion.
_ERAS: tuple[tuple[date, str], ...] = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
    (date(1873, 1, 1), "明治"),
)
_MEIJI_ORIGIN_YEAR = 1868  # 明治元年; the table start above is the calendar switch
_REIWA_OFFSET = 2018  # Reiwa year = Gregorian year - 2018


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


def _era_year(d: date) -> tuple[str, int]:
    for start, name in _ERAS:
        if d >= start:
            origin = _MEIJI_ORIGIN_YEAR if name == "明治" else start.year
            return name, d.year - origin + 1
    raise ValueError(f"dates before 1873-01-01 are not supported: {d.isoformat()}")


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


def format_jp_datetime(dt: datetime) -> str:
    """Aware datetime -> "令和8年（2026年）11月26日 14:30" in Japan time."""
    local = to_tokyo(dt)
    return f"{format_jp_date(local.date())} {local.hour:02d}:{local.minute:02d}"


def fiscal_year(d: date) -> int:
    """Japanese fiscal year (年度), starting 1 April: 2026-03-31 -> 2025."""
    d = _as_date(d)
    return d.year if d.month >= 4 else d.year - 1


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
    """date(2026, 3, 31) -> "令和7年度（2025年度）"; FY2019 -> "令和元年度（2019年度）"."""
    return f"令和{_year_label(reiwa_fiscal_year(d))}年度（{fiscal_year(d)}年度）"
