"""Unit tests for the PDF renderer (caseflow.core.pdf) and Japanese date helpers (caseflow.core.jpdate).

The rendered PDF is inspected with poppler-utils (pdftotext, pdffonts, pdfinfo,
pdftoppm) so the assertions are about what a reader actually sees, not about
reportlab internals.  HTTP-level PDF tests live elsewhere.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from caseflow.core import jpdate, pdf
from caseflow.core.jpdate import (
    fiscal_year,
    format_fiscal_year,
    format_jp_date,
    format_jp_datetime,
    reiwa_fiscal_year,
    to_wareki,
)
from caseflow.core.pdf import (
    BarChart,
    FontsMissingError,
    Heading,
    KeyValues,
    PageBreak,
    Para,
    Table,
    render_pdf,
)

from support import collapse_spaces, page_count, page_text, parse_pgm, run

TITLE = "支援会議 会議次第"
RECIPIENT = "福祉課 佐藤 花子"
MEETING_DAY = date(2026, 11, 26)
GENERATED_AT = datetime(2026, 11, 26, 5, 30, tzinfo=UTC)  # 14:30 in Tokyo
HOSTILE = "<script>&"
LONG_NOTE = (
    "本人は長期にわたり就労が困難な状況にあり、家族からの支援も限定的である。"
    "生活保護担当・地域包括支援センター・社会福祉協議会の三者で今後の連携方針と役割分担を確認する必要がある。"
)


def agenda_blocks(n_rows: int = 30) -> list[pdf.Block]:
    rows = [
        [str(i + 1), f"ケース{i + 1:03d}", LONG_NOTE if i % 3 == 0 else "見守り継続。次回訪問で状況確認。", HOSTILE, "福祉課"]
        for i in range(n_rows)
    ]
    return [
        Heading("会議概要"),
        KeyValues([
            ("会議名", "重層的支援体制整備事業 支援会議"),
            ("開催日", format_jp_date(MEETING_DAY)),
            ("場所", "市役所本庁舎 3階 第2会議室"),
            ("備考", "資料は会議終了後に回収 &amp; 廃棄"),
        ]),
        Heading("協議事項", level=2),
        Para("本会議は社会福祉法第106条の6に基づく支援会議であり、構成員には守秘義務が課される。\n会議資料は会議終了後に回収する。"),
        Table(["No.", "ケース", "概要・協議内容", "備考", "担当"], rows, [0.07, 0.14, 0.53, 0.12, 0.14]),
        BarChart(
            "月別 新規相談件数",
            ["4月", "5月", "6月", "7月", "8月", "9月"],
            [("高齢", [12, 15, 9, 20, 18, 14]), ("障害", [5, 7, 6, 8, 4, 9]), ("子ども・子育て", [3, 4, 8, 6, 7, 5])],
        ),
    ]


def render_agenda(n_rows: int = 30, **overrides: object) -> bytes:
    kwargs = {
        "title": TITLE,
        "blocks": agenda_blocks(n_rows),
        "recipient": RECIPIENT,
        "generated_at": GENERATED_AT,
        "subject": "支援会議資料",
    }
    kwargs.update(overrides)
    return render_pdf(**kwargs)


@pytest.fixture(scope="module")
def agenda_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pdf.register_fonts()  # keep one-off font loading out of the timing below
    started = time.perf_counter()
    data = render_agenda()
    elapsed = time.perf_counter() - started
    print(f"\n[timing] 30-row agenda rendered in {elapsed * 1000:.0f} ms ({len(data):,} bytes)")
    assert data.startswith(b"%PDF-")
    path = tmp_path_factory.mktemp("pdf") / "agenda.pdf"
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------
# Rendered output, as seen by poppler
# ---------------------------------------------------------------------------


def test_text_layer_has_title_date_recipient_and_literal_user_text(agenda_pdf: Path) -> None:
    text = collapse_spaces(run(["pdftotext", "-layout", str(agenda_pdf), "-"]))
    assert TITLE in text
    assert "令和8年（2026年）11月26日" in text
    assert f"閲覧者: {RECIPIENT}" in text
    assert "出力日時: 令和8年（2026年）11月26日 14:30" in text  # UTC 05:30 shown in Japan time
    assert "【取扱注意（守秘義務）】" in text
    # User text is escaped, not interpreted: markup-like input prints verbatim,
    # and an already-escaped entity is not decoded.
    assert HOSTILE in text
    assert "回収 &amp; 廃棄" in text
    assert "月別 新規相談件数" in text and "子ども・子育て" in text  # chart title and legend


def test_fonts_are_embedded_ipaex_only(agenda_pdf: Path) -> None:
    out = run(["pdffonts", str(agenda_pdf)])
    assert out.splitlines()[0].split()[3] == "emb"  # column layout is what the indexing assumes
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows, out
    gothic = [r for r in rows if "IPAexGothic" in r[0]]
    assert gothic and all(r[-5] == "yes" for r in gothic), out  # "emb" column
    # No unembedded fallbacks (e.g. Helvetica or HeiseiMin CID fonts) anywhere.
    assert all(r[-5] == "yes" for r in rows), out


def test_page_one_is_not_blank(agenda_pdf: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "page"
    run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-gray", str(agenda_pdf), str(prefix)])
    (pgm,) = tmp_path.glob("page*.pgm")
    width, height, pixels = parse_pgm(pgm.read_bytes())
    assert abs(width - 413) <= 1 and abs(height - 585) <= 1  # A4 at 50 dpi (poppler rounds up)
    dark = sum(1 for p in pixels if p < 200)
    fraction = dark / len(pixels)
    assert 0.02 < fraction < 0.5, fraction  # text, rules and shading, but not a black page

    def band_dark(y0: int, y1: int) -> int:
        return sum(1 for p in pixels[y0 * width:y1 * width] if p < 200)

    assert band_dark(0, height // 12) > 50  # running header
    assert band_dark(height - height // 12, height) > 50  # running footer


def test_multi_page_footer_numbers_and_repeated_table_header(agenda_pdf: Path) -> None:
    pages = page_count(agenda_pdf)
    assert pages > 1
    assert f"1 / {pages} ページ" in collapse_spaces(page_text(agenda_pdf, 1))
    assert f"{pages} / {pages} ページ" in collapse_spaces(page_text(agenda_pdf, pages))
    assert "概要・協議内容" in collapse_spaces(page_text(agenda_pdf, 2))  # header row repeated after the page break
    for page in range(1, pages + 1):
        text = collapse_spaces(page_text(agenda_pdf, page))
        assert "取扱注意" in text and RECIPIENT in text, f"page {page} lacks header/footer"


def test_metadata(agenda_pdf: Path) -> None:
    info = run(["pdfinfo", str(agenda_pdf)])
    assert re.search(r"^Title:\s+支援会議 会議次第$", info, re.MULTILINE)
    assert re.search(r"^Author:\s+caseflow$", info, re.MULTILINE)
    assert re.search(r"^Subject:\s+支援会議資料$", info, re.MULTILINE)
    assert re.search(r"^Page size:.*\(A4\)", info, re.MULTILINE)


def test_page_break_block_and_huge_cell_do_not_fail(tmp_path: Path) -> None:
    # A single cell taller than a page must split instead of raising LayoutError.
    huge = "長文の支援経過記録。" * 800
    data = render_pdf(
        title="経過記録", recipient="担当者", generated_at=GENERATED_AT,
        blocks=[Para("前半"), PageBreak(), Table(["記録"], [[huge], ["短い行"]]), Table(["空"], [])],
    )
    path = tmp_path / "huge.pdf"
    path.write_bytes(data)
    assert page_count(path) >= 4
    assert "前半" not in page_text(path, 2)
    assert "（該当なし）" in run(["pdftotext", str(path), "-"])


def test_unsupported_characters_are_visible_not_dropped(tmp_path: Path) -> None:
    # 𠮷 (outside JIS X 0208) and emoji have no IPAex glyph: print the geta mark.
    # A lone surrogate (possible via JSON "\ud800") must not crash rendering.
    data = render_pdf(
        title="文字", recipient="𠮷田 太郎", generated_at=GENERATED_AT,
        blocks=[Para("氏名: 𠮷田 太郎 \U0001f642 葛\U000e0100飾区 \ud800終")],
    )
    path = tmp_path / "glyphs.pdf"
    path.write_bytes(data)
    text = collapse_spaces(run(["pdftotext", str(path), "-"]))
    assert "氏名: 〓田 太郎 〓 葛飾区 終" in text
    assert "閲覧者: 〓田 太郎" in text


# ---------------------------------------------------------------------------
# Renderer behaviour that needs no external tools
# ---------------------------------------------------------------------------


def test_output_is_deterministic() -> None:
    assert render_agenda(5) == render_agenda(5)


def test_naive_generated_at_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        render_agenda(1, generated_at=datetime(2026, 11, 26, 14, 30))


@pytest.mark.parametrize(
    "block, error",
    [
        (Table(["a", "b"], [["only one"]]), ValueError),
        (Table(["a", "b"], [["x", "y"]], [0.7, 0.5]), ValueError),
        (Table(["a", "b"], [["x", "y"]], [1.0]), ValueError),
        (KeyValues([("a", "b", "c")]), ValueError),  # type: ignore[list-item]
        (BarChart("t", ["a", "b"], [("s", [1])]), ValueError),
        (BarChart("t", ["a"], [("s", ["1"])]), ValueError),  # type: ignore[list-item]
        (BarChart("t", [], [("s", [])]), ValueError),
        (Heading("x", level=3), ValueError),  # type: ignore[arg-type]
        ("plain string", TypeError),
    ],
)
def test_malformed_blocks_raise(block: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        render_pdf(title="t", blocks=[block], recipient="r", generated_at=GENERATED_AT)  # type: ignore[list-item]


def test_concurrent_renders_are_independent() -> None:
    # TTFont subsetting state is per document; renders on several threads must
    # not corrupt each other (the app serves PDFs from threaded workers).
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = render_agenda(8, recipient=f"閲覧者{i}")
        except BaseException as exc:  # noqa: BLE001 - surfaced via the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 6
    for i, data in results.items():
        assert data == render_agenda(8, recipient=f"閲覧者{i}")


def test_font_registration_is_cached_and_thread_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "_fonts", None)
    seen: list[pdf.FontSet] = []
    threads = [threading.Thread(target=lambda: seen.append(pdf.register_fonts())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and all(s is seen[0] for s in seen)
    assert seen[0].gothic_path.name == "ipaexg.ttf"


def test_missing_fonts_error_names_debian_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FontsMissingError, match="fonts-ipaexfont-gothic"):
        pdf.find_font_files([str(tmp_path)])
    # The env var replaces (not extends) the default search list.
    monkeypatch.setenv(pdf.FONT_DIR_ENV, str(tmp_path))
    with pytest.raises(FontsMissingError, match=pdf.FONT_DIR_ENV):
        pdf.find_font_files()


def test_font_dir_env_override_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = pdf.register_fonts().gothic_path
    (tmp_path / "ipaexg.ttf").symlink_to(real)
    monkeypatch.setenv(pdf.FONT_DIR_ENV, str(tmp_path))
    gothic, mincho = pdf.find_font_files()
    assert gothic == tmp_path / "ipaexg.ttf"
    assert mincho is None  # Mincho is optional; the title falls back to Gothic


def test_timing_of_30_row_agenda() -> None:
    pdf.register_fonts()
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        render_agenda(30)
        runs.append(time.perf_counter() - started)
    print(f"\n[timing] 30-row agenda: best {min(runs) * 1000:.0f} ms of {len(runs)} runs")


# ---------------------------------------------------------------------------
# jpdate
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2026, 11, 26), "令和8年11月26日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1990, 12, 31), "平成2年12月31日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1912, 7, 29), "明治45年7月29日"),
    ],
)
def test_to_wareki_era_boundaries(d: date, expected: str) -> None:
    assert to_wareki(d) == expected


def test_to_wareki_rejects_pre_gregorian_dates() -> None:
    with pytest.raises(ValueError):
        to_wareki(date(1872, 12, 31))


def test_format_jp_date_and_datetime() -> None:
    assert format_jp_date(date(2026, 11, 26)) == "令和8年（2026年）11月26日"
    assert format_jp_date(date(2019, 5, 1)) == "令和元年（2019年）5月1日"
    assert format_jp_datetime(datetime(2026, 11, 26, 5, 30, tzinfo=UTC)) == "令和8年（2026年）11月26日 14:30"
    # Converted to Tokyo, so the calendar day (and era) can change.
    assert format_jp_datetime(datetime(2019, 4, 30, 15, 5, tzinfo=UTC)) == "令和元年（2019年）5月1日 00:05"
    ny = timezone(timedelta(hours=-5))
    assert format_jp_datetime(datetime(2026, 1, 1, 9, 0, tzinfo=ny)) == "令和8年（2026年）1月1日 23:00"


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 11, 26, 14, 30)
    for fn in (format_jp_datetime, format_jp_date, to_wareki, fiscal_year, reiwa_fiscal_year):
        with pytest.raises(ValueError, match="naive"):
            fn(naive)


@pytest.mark.parametrize(
    "d, fy, reiwa",
    [
        (date(2026, 3, 31), 2025, 7),
        (date(2026, 4, 1), 2026, 8),
        (date(2019, 4, 1), 2019, 1),  # 令和元年度 although April 2019 was still Heisei
        (date(2020, 3, 31), 2019, 1),
        (date(2025, 12, 31), 2025, 7),
    ],
)
def test_fiscal_years(d: date, fy: int, reiwa: int) -> None:
    assert fiscal_year(d) == fy
    assert reiwa_fiscal_year(d) == reiwa


def test_fiscal_year_of_aware_datetime_uses_japan_time() -> None:
    # 2026-03-31 20:00 UTC is already 1 April in Japan: the new fiscal year.
    assert fiscal_year(datetime(2026, 3, 31, 20, 0, tzinfo=UTC)) == 2026


def test_reiwa_fiscal_year_before_reiwa_and_label() -> None:
    with pytest.raises(ValueError):
        reiwa_fiscal_year(date(2019, 3, 31))
    assert format_fiscal_year(date(2026, 3, 31)) == "令和7年度（2025年度）"
    assert format_fiscal_year(date(2019, 4, 1)) == "令和元年度（2019年度）"


def test_tokyo_zone_is_nine_hours_ahead() -> None:
    assert jpdate.TOKYO.utcoffset(datetime(2026, 7, 1)) == timedelta(hours=9)
