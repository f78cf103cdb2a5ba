"""Japanese A4 PDF documents (agendas, case summaries, statistics) via reportlab.

Callers describe a document as a list of plain blocks (``Heading``, ``Para``,
``KeyValues``, ``Table``, ``BarChart``, ``PageBreak``) and call ``render_pdf``.
All block text is treated as untrusted plain text: it is escaped before it
reaches reportlab's mini-markup parser, so ``<`` and ``&`` print literally.

Fonts: IPAex Gothic (body) and, if present, IPAex Mincho (document title) are
embedded as TrueType subsets.  reportlab's built-in CID fonts (HeiseiMin-W3 etc.)
are deliberately not used: they are not embedded and render differently per
viewer.  Fonts are looked up in ``$CASEFLOW_PDF_FONT_DIR`` (if set, exclusively)
or a few distribution directories, and registered once per process.

This module must not import Flask: it is used from CLI jobs and tests too.
"""

from __future__ import annotations

import functools
import io
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeAlias
from xml.sax.saxutils import escape as _xml_escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)
from reportlab.platypus import PageBreak as _RLPageBreak
from reportlab.platypus import Table as _RLTable

from caseflow.core.jpdate import format_jp_date, format_jp_datetime, to_tokyo

__all__ = [
    "DEFAULT_CONFIDENTIALITY",
    "FONT_DIR_ENV",
    "BarChart",
    "Block",
    "FontSet",
    "FontsMissingError",
    "Heading",
    "KeyValues",
    "PageBreak",
    "Para",
    "Table",
    "find_font_files",
    "register_fonts",
    "render_pdf",
]

# ---------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------

FONT_DIR_ENV = "CASEFLOW_PDF_FONT_DIR"
GOTHIC_FILE = "ipaexg.ttf"
MINCHO_FILE = "ipaexm.ttf"
GOTHIC_FONT_NAME = "IPAexGothic"
MINCHO_FONT_NAME = "IPAexMincho"

# Debian/Ubuntu (fonts-ipaexfont-*), Fedora (ipa-ex-*-fonts), Arch, and local installs.
DEFAULT_FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/ipaexfont-gothic",
    "/usr/share/fonts/opentype/ipaexfont-mincho",
    "/usr/share/fonts/truetype/ipaexfont-gothic",
    "/usr/share/fonts/truetype/ipaexfont-mincho",
    "/usr/share/fonts/ipa-ex-gothic",
    "/usr/share/fonts/ipa-ex-mincho",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
)


class FontsMissingError(RuntimeError):
    """The Japanese TrueType fonts needed for PDF output are not installed."""


@dataclass(frozen=True)
class FontSet:
    """Registered reportlab font names (and the files they came from)."""

    gothic: str
    mincho: str  # falls back to the gothic font when Mincho is not installed
    gothic_path: Path
    mincho_path: Path | None


def _env_font_dirs() -> tuple[str, ...] | None:
    raw = os.environ.get(FONT_DIR_ENV, "").strip()
    if not raw:
        return None
    return tuple(p for p in raw.split(os.pathsep) if p)


def find_font_files(search_dirs: Iterable[str] | None = None) -> tuple[Path, Path | None]:
    """Locate (gothic, mincho-or-None) font files; raise FontsMissingError if no gothic.

    Without ``search_dirs`` the env var wins; it replaces the default list rather
    than extending it, so a misconfigured override fails loudly instead of
    silently picking up some other font.
    """
    dirs = tuple(search_dirs) if search_dirs is not None else (_env_font_dirs() or DEFAULT_FONT_DIRS)

    def first(name: str) -> Path | None:
        for d in dirs:
            p = Path(d) / name
            if p.is_file():
                return p
        return None

    gothic = first(GOTHIC_FILE)
    if gothic is None:
        raise FontsMissingError(
            f"Japanese PDF font {GOTHIC_FILE} (IPAex Gothic) not found in: {', '.join(dirs)}. "
            "Install the Debian packages fonts-ipaexfont-gothic and fonts-ipaexfont-mincho "
            f"(apt-get install fonts-ipaexfont-gothic fonts-ipaexfont-mincho), "
            f"or set {FONT_DIR_ENV} to a directory containing {GOTHIC_FILE} (and optionally {MINCHO_FILE})."
        )
    return gothic, first(MINCHO_FILE)


_font_lock = threading.Lock()
_fonts: FontSet | None = None
_glyphs: frozenset[int] = frozenset()  # code points the body font can draw


def register_fonts() -> FontSet:
    """Register the IPAex fonts with reportlab once per process (thread-safe).

    Call at application start-up to fail fast when fonts are missing.  A failed
    attempt is not cached, so installing the fonts later needs no restart.
    """
    global _fonts, _glyphs
    fonts = _fonts
    if fonts is not None:
        return fonts
    with _font_lock:
        if _fonts is None:
            gothic_path, mincho_path = find_font_files()
            gothic = TTFont(GOTHIC_FONT_NAME, str(gothic_path))
            pdfmetrics.registerFont(gothic)
            _glyphs = frozenset(gothic.face.charToGlyph)
            mincho = GOTHIC_FONT_NAME
            if mincho_path is not None:
                pdfmetrics.registerFont(TTFont(MINCHO_FONT_NAME, str(mincho_path)))
                mincho = MINCHO_FONT_NAME
            # IPAex has no bold/italic faces; mapping every variant to the regular
            # face keeps any <b>/<i> markup from raising "can't map font" errors.
            for name in {GOTHIC_FONT_NAME, mincho}:
                pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
            _fonts = FontSet(GOTHIC_FONT_NAME, mincho, gothic_path, mincho_path)
        return _fonts


# ---------------------------------------------------------------------------
# Blocks
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    text: str
    level: Literal[1, 2] = 1


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text; newlines are kept as line breaks."""

    text: str


@dataclass(frozen=True)
class KeyValues:
    """Two-column label/value grid, e.g. 会議日 / 令和8年11月26日."""

    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Table:
    """Grid table; the header row repeats on every page the table spans.

    ``col_widths`` are fractions of the text width (summing to at most 1.0);
    ``None`` means equal widths; ``"auto"`` sizes the columns from their content
    (a short label such as a name or an organisation is kept on one line; long
    text takes the rest).  Rows are kept whole: a row moves to the next page
    rather than being split, unless a single row is taller than a page.
    """

    header: list[str]
    rows: list[list[str]]
    col_widths: list[float] | Literal["auto"] | None = None


@dataclass(frozen=True)
class BarChart:
    """Grouped vertical bar chart: one bar per series within each category."""

    title: str
    categories: list[str]
    series: list[tuple[str, list[int]]]


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass(frozen=True)
class Figure:
    """A ready-drawn reportlab flowable (a chart a feature draws itself), placed with space around it."""

    drawing: Flowable


Block: TypeAlias = Heading | Para | KeyValues | Table | BarChart | PageBreak | Figure

DEFAULT_CONFIDENTIALITY = "取扱注意（守秘義務）"

# ---------------------------------------------------------------------------
# Layout constants
# ---------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = MARGIN_RIGHT = 18 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 20 * mm
# The frame has zero padding, so content, header and footer rules align exactly.
FRAME_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

INK = colors.HexColor("#1A1A1A")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#8A96A3")
GRID = colors.HexColor("#9AA5B1")
HEADER_FILL = colors.HexColor("#DCE4EE")
KEY_FILL = colors.HexColor("#EEF2F6")
ZEBRA_FILL = colors.HexColor("#F7F9FB")
ACCENT = colors.HexColor("#1F3A5F")
CONFIDENTIAL_RED = colors.HexColor("#B3261E")
# Tableau-10 subset: distinguishable in greyscale print and for common colour blindness.
SERIES_COLORS = [colors.HexColor(c) for c in ("#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#EDC948", "#B07AA1", "#9C755F")]

# ---------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------

# C0/C1 controls (except tab/newline) break reportlab's XML-ish parser, and lone
# surrogates (JSON allows "\ud800") cannot be encoded at all: drop both.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Ideographic variation selectors (e.g. 葛 + U+E0100 in registered names) have no
# glyphs in IPAex; dropping them prints the base kanji, the best available form.
_VARIATION_SELECTORS = re.compile(r"[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# Conventional Japanese stand-in (geta) for a character the font lacks, e.g. 𠮷 or
# emoji: visible, unlike reportlab's default of an invisible .notdef glyph.
GETA = "〓"


def _plain(value: Any) -> str:
    """Coerce a value to drawable text; None renders as empty."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = _UNPRINTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _VARIATION_SELECTORS.sub("", text)
    glyphs = _glyphs
    if glyphs and not all(ord(c) in glyphs for c in text if c not in "\n\t"):
        text = "".join(c if c in "\n\t" or ord(c) in glyphs else GETA for c in text)
    return text


def _markup(value: Any) -> str:
    """Untrusted text -> safe Paragraph markup (escaped, newlines as <br/>)."""
    return _xml_escape(_plain(value)).replace("\t", " ").replace("\n", "<br/>")


def _fit(text: str, font: str, size: float, max_width: float) -> str:
    """Truncate with an ellipsis so canvas-drawn header/footer text never overlaps."""
    if pdfmetrics.stringWidth(text, font, size) <= max_width:
        return text
    text = text[:200]  # nothing longer fits on a line; bounds the loop below
    ell = "…"
    while text and pdfmetrics.stringWidth(text + ell, font, size) > max_width:
        text = text[:-1]
    return text + ell


@dataclass(frozen=True)
class _Styles:
    date: ParagraphStyle
    title: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    cell: ParagraphStyle
    header_cell: ParagraphStyle
    key_cell: ParagraphStyle


@functools.lru_cache(maxsize=4)
def _styles(fonts: FontSet) -> _Styles:
    # wordWrap="CJK" is essential: the default wrapper only breaks at spaces,
    # so unspaced Japanese would overflow the frame.
    body = ParagraphStyle(
        "cf-body", fontName=fonts.gothic, fontSize=10, leading=16, textColor=INK,
        wordWrap="CJK", spaceAfter=6, alignment=TA_LEFT,
    )
    cell = ParagraphStyle("cf-cell", parent=body, fontSize=9, leading=13, spaceAfter=0)
    return _Styles(
        date=ParagraphStyle("cf-date", parent=body, alignment=TA_RIGHT, fontSize=10, spaceAfter=2),
        title=ParagraphStyle(
            "cf-title", parent=body, fontName=fonts.mincho, fontSize=17, leading=24,
            alignment=TA_CENTER, spaceBefore=4, spaceAfter=4,
        ),
        h1=ParagraphStyle(
            "cf-h1", parent=body, fontSize=12.5, leading=17, textColor=ACCENT,
            # Indents equal to the horizontal padding keep the shaded box inside the frame.
            backColor=KEY_FILL, borderPadding=(3, 5, 3, 5), leftIndent=5, rightIndent=5,
            spaceBefore=12, spaceAfter=8,
            keepWithNext=1,
        ),
        h2=ParagraphStyle(
            "cf-h2", parent=body, fontSize=11, leading=15, textColor=ACCENT,
            spaceBefore=8, spaceAfter=4, keepWithNext=1,
        ),
        body=body,
        cell=cell,
        header_cell=ParagraphStyle("cf-th", parent=cell, textColor=colors.black),
        key_cell=ParagraphStyle("cf-key", parent=cell, textColor=ACCENT),
    )


# ---------------------------------------------------------------------------
# Block -> flowables
# ---------------------------------------------------------------------------

_GRID_STYLE = [
    # Cells are Paragraphs, but Table still sets each cell's (default Helvetica)
    # font on the canvas, which would reference an unembedded font.
    ("FONTNAME", (0, 0), (-1, -1), GOTHIC_FONT_NAME),
    ("GRID", (0, 0), (-1, -1), 0.5, GRID),
    ("BOX", (0, 0), (-1, -1), 0.9, RULE),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 4),
    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
]


def _split_in_row(data: list[list[Any]], widths: list[float]) -> int:
    """1 (a row may break across pages) only when some row could not fit on a page whole, else 0."""
    limit = FRAME_HEIGHT * 0.8
    for row in data:
        height = 0.0
        for cell, w in zip(row, widths, strict=False):
            if isinstance(cell, Paragraph):
                height = max(height, cell.wrap(w - CELL_PADDING, FRAME_HEIGHT)[1] + 7)
        if height > limit:
            return 1
    return 0


def _heading(block: Heading, st: _Styles) -> list[Flowable]:
    if block.level == 1:
        return [Paragraph(_markup(block.text), st.h1)]
    if block.level == 2:
        return [Paragraph(f"■ {_markup(block.text)}", st.h2)]
    raise ValueError(f"Heading level must be 1 or 2, got {block.level!r}")


def _key_values(block: KeyValues, st: _Styles) -> list[Flowable]:
    if not block.rows:
        return []
    data = []
    for i, row in enumerate(block.rows):
        if len(row) != 2:
            raise ValueError(f"KeyValues row {i} must be a (label, value) pair, got {len(row)} items")
        data.append([Paragraph(_markup(row[0]), st.key_cell), Paragraph(_markup(row[1]), st.cell)])
    widths = [FRAME_WIDTH * 0.26, FRAME_WIDTH * 0.74]
    table = _RLTable(
        data, colWidths=widths, splitInRow=_split_in_row(data, widths),
        style=TableStyle([*_GRID_STYLE, ("BACKGROUND", (0, 0), (0, -1), KEY_FILL)]),
        hAlign="LEFT", spaceAfter=8,
    )
    return [table]


# Cells up to this many characters are labels (names, organisations, dates): kept on one line if at all possible.
SHORT_CELL = 24
CELL_PADDING = 8.0  # LEFTPADDING + RIGHTPADDING of _GRID_STYLE
_BREAKS = re.compile(r"[\s、・/／（）()]+")


def _auto_widths(block: Table, st: _Styles) -> list[float]:
    """Column widths from content.

    Each column's minimum is the whole of its short labels (a name, an organisation, a date: never broken)
    or, for longer text, its longest unbreakable run (Latin words; Japanese may break between any two
    characters).  Each column would like its longest line, up to 40% of the frame.  The space beyond the
    minimums is poured in evenly, the most modest columns being satisfied first (water-filling); whatever
    is left goes to the columns with the longest text.
    """
    font, size = st.cell.fontName, st.cell.fontSize
    n = len(block.header)
    cap = FRAME_WIDTH * 0.45

    def width(text: str) -> float:
        return pdfmetrics.stringWidth(text, font, size)

    def unbreakable(token: str) -> float:
        return width(token) if token.isascii() else width(token[:4])

    minimum, natural = [0.0] * n, [0.0] * n
    for row in [block.header, *block.rows]:
        for c, cell in enumerate(row):
            text = _plain(cell)
            natural[c] = max(natural[c], *(width(line) for line in text.split("\n")))
            if len(text) <= SHORT_CELL and "\n" not in text:
                least = width(text)
            else:
                least = max((unbreakable(t) for t in _BREAKS.split(text) if t), default=0.0)
            minimum[c] = max(minimum[c], min(least, cap))
    minimum = [m + CELL_PADDING + 1 for m in minimum]
    natural = [max(a + CELL_PADDING + 1, m) for a, m in zip(natural, minimum, strict=True)]
    if sum(minimum) >= FRAME_WIDTH:
        return [FRAME_WIDTH * m / sum(minimum) for m in minimum]
    wanted = [max(min(a, FRAME_WIDTH * 0.4), m) for a, m in zip(natural, minimum, strict=True)]
    widths = list(minimum)
    budget = FRAME_WIDTH - sum(minimum)
    order = sorted(range(n), key=lambda c: wanted[c] - minimum[c])
    for k, c in enumerate(order):
        give = min(wanted[c] - minimum[c], budget / (n - k))
        widths[c] += give
        budget -= give
    if budget > 0:  # every column has what it wanted: the rest to those with longer lines still
        longer = [max(a - w, 0.0) for a, w in zip(natural, widths, strict=True)]
        weights = longer if sum(longer) > 0 else widths
        widths = [w + budget * x / sum(weights) for w, x in zip(widths, weights, strict=True)]
    return widths


def _column_widths(block: Table, st: _Styles) -> list[float]:
    n = len(block.header)
    if block.col_widths is None:
        return [FRAME_WIDTH / n] * n
    if block.col_widths == "auto":
        return _auto_widths(block, st)
    if len(block.col_widths) != n:
        raise ValueError(f"Table has {n} columns but {len(block.col_widths)} col_widths")
    if any(w <= 0 for w in block.col_widths):
        raise ValueError("Table col_widths must be positive fractions")
    if sum(block.col_widths) > 1.0 + 1e-6:
        raise ValueError(f"Table col_widths sum to {sum(block.col_widths):.3f}; must be at most 1.0")
    return [FRAME_WIDTH * w for w in block.col_widths]


def _table(block: Table, st: _Styles) -> list[Flowable]:
    if not block.header:
        raise ValueError("Table needs at least one header column")
    n = len(block.header)
    for i, row in enumerate(block.rows):
        if len(row) != n:
            raise ValueError(f"Table row {i} has {len(row)} cells, header has {n}")
    widths = _column_widths(block, st)
    data: list[list[Any]] = [[Paragraph(_markup(h), st.header_cell) for h in block.header]]
    for row in block.rows:
        data.append([Paragraph(_markup(c), st.cell) for c in row])
    style = [
        *_GRID_STYLE,
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.9, RULE),
    ]
    if block.rows:
        style.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_FILL]))
    else:
        data.append([Paragraph("（該当なし）", st.cell)] + [""] * (n - 1))
        style.append(("SPAN", (0, 1), (-1, 1)))
    # repeatRows=1 repeats the header after page breaks.  Rows are atomic (a row
    # moves to the next page whole); only a row taller than most of a page (long
    # case notes) may continue on the next page, instead of raising LayoutError.
    table = _RLTable(
        data, colWidths=widths, repeatRows=1, splitInRow=_split_in_row(data, widths),
        style=TableStyle(style), hAlign="LEFT", spaceAfter=8,
    )
    return [table]


def _nice_step(max_value: float) -> int:
    """Integer axis step giving about five gridlines (1, 2, 5 x 10^k)."""
    target = max(max_value / 5.0, 1.0)
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude >= target:
                return m * magnitude
        magnitude *= 10


def _bar_chart(block: BarChart, fonts: FontSet) -> list[Flowable]:
    cats = [_plain(c) for c in block.categories]
    if not cats:
        raise ValueError("BarChart needs at least one category")
    if not block.series:
        raise ValueError("BarChart needs at least one series")
    for name, values in block.series:
        if len(values) != len(cats):
            raise ValueError(f"BarChart series {name!r} has {len(values)} values for {len(cats)} categories")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            raise ValueError(f"BarChart series {name!r} must contain only numbers")

    font = fonts.gothic
    width, height = FRAME_WIDTH, 240.0
    left, right = 42.0, 12.0

    # Rotate category labels (30 degrees) only when they would collide; clip very
    # long ones so the plot keeps a sensible height.
    label_size = 8.0
    slot = (width - left - right) / len(cats)
    widest = max(pdfmetrics.stringWidth(c, font, label_size) for c in cats)
    rotate = widest > slot - 4
    if rotate:
        cats = [_fit(c, font, label_size, 100) for c in cats]
        widest = max(pdfmetrics.stringWidth(c, font, label_size) for c in cats)
        # The first label runs down-left from its tick: widen the left margin
        # so it stays inside the drawing (cos 30 ~ 0.87).
        left = max(left, widest * 0.87 - slot / 2 + 6)
        slot = (width - left - right) / len(cats)
    plot_width = width - left - right
    # Rotated text depth: w*sin30 + h*cos30, plus the label offset.
    label_depth = (widest * 0.5 + label_size * 0.87 + 8) if rotate else 14.0

    # Legend: a single row when it fits, otherwise as many rows as needed.
    legend_size, swatch, swatch_gap, item_gap = 8.0, 7.0, 4.0, 12.0
    names = [_fit(_plain(name), font, legend_size, 150) for name, _ in block.series]
    legend_total = sum(pdfmetrics.stringWidth(n, font, legend_size) + swatch + swatch_gap + item_gap for n in names)
    legend_rows = min(len(names), int(legend_total // (width * 0.9)) + 1)
    legend_row_step = legend_size * 1.6
    legend_height = legend_rows * legend_row_step + 6
    title_height = 22.0
    bottom = legend_height + label_depth + 6
    plot_height = height - bottom - title_height - 8

    # initialFontName: otherwise the renderer's default state pulls in Helvetica.
    drawing = Drawing(width, height, initialFontName=font, initialFontSize=8)
    drawing.add(String(width / 2, height - 14, _plain(block.title), fontName=font, fontSize=11,
                       fillColor=INK, textAnchor="middle"))

    chart = VerticalBarChart()
    chart.x, chart.y = left, bottom
    chart.width, chart.height = plot_width, plot_height
    chart.data = [[v for v in values] for _, values in block.series]
    chart.barSpacing = 1
    chart.groupSpacing = max(4.0, slot * 0.2)
    chart.strokeColor = None
    for i in range(len(block.series)):
        chart.bars[i].fillColor = SERIES_COLORS[i % len(SERIES_COLORS)]
        chart.bars[i].strokeColor = None

    all_values = [v for _, values in block.series for v in values]
    vmin, vmax = min(0, min(all_values)), max(0, max(all_values))
    step = _nice_step(vmax - vmin)
    axis = chart.valueAxis
    axis.valueMin = (vmin // step) * step
    # Round up with ~8% headroom so the tallest bar's value label is not clipped;
    # max(step, ...) also avoids a zero range when all values are 0.
    axis.valueMax = max(step, -(-(vmax * 1.08) // step) * step)
    axis.valueStep = step
    axis.labels.fontName, axis.labels.fontSize = font, 7.5
    axis.labelTextFormat = "{:,.0f}".format
    axis.visibleGrid = True
    axis.gridStrokeColor = colors.HexColor("#D5DBE1")
    axis.gridStrokeWidth = 0.4
    axis.strokeColor = RULE

    cat_axis = chart.categoryAxis
    cat_axis.categoryNames = cats
    cat_axis.labels.fontName, cat_axis.labels.fontSize = font, label_size
    cat_axis.strokeColor = RULE
    cat_axis.labelAxisMode = "low"  # keep labels below the plot even with negative bars
    if rotate:
        cat_axis.labels.angle = 30
        cat_axis.labels.boxAnchor = "ne"
        cat_axis.labels.dx, cat_axis.labels.dy = 4, -4
    else:
        cat_axis.labels.boxAnchor = "n"
        cat_axis.labels.dy = -4

    # Value labels on bars help in black-and-white print; skip when crowded.
    if len(cats) * len(block.series) <= 36:
        chart.barLabelFormat = "{:,.0f}".format
        chart.barLabels.fontName, chart.barLabels.fontSize = font, 6.5
        chart.barLabels.nudge = 6
        chart.barLabels.fillColor = MUTED
    drawing.add(chart)

    legend = Legend()
    legend.colorNamePairs = [(SERIES_COLORS[i % len(SERIES_COLORS)], n) for i, n in enumerate(names)]
    legend.fontName, legend.fontSize = font, legend_size
    legend.alignment = "right"
    legend.columnMaximum = legend_rows  # items fill columns top-down
    legend.boxAnchor = "n"  # anchor the top edge: the rows grow downwards
    legend.x, legend.y = width / 2, legend_height
    legend.deltay = legend_row_step
    legend.dx = legend.dy = swatch
    legend.dxTextSpace = swatch_gap
    legend.variColumn = 1  # size each column to its own label (Japanese names vary a lot)
    legend.autoXPadding = item_gap
    legend.strokeColor = None
    drawing.add(legend)

    drawing.hAlign = "CENTER"
    return [Spacer(1, 4), drawing, Spacer(1, 8)]


def _flowables(blocks: Sequence[Block], fonts: FontSet, st: _Styles) -> list[Flowable]:
    out: list[Flowable] = []
    for block in blocks:
        if isinstance(block, Heading):
            out += _heading(block, st)
        elif isinstance(block, Para):
            out.append(Paragraph(_markup(block.text), st.body))
        elif isinstance(block, KeyValues):
            out += _key_values(block, st)
        elif isinstance(block, Table):
            out += _table(block, st)
        elif isinstance(block, BarChart):
            out += _bar_chart(block, fonts)
        elif isinstance(block, PageBreak):
            out.append(_RLPageBreak())
        elif isinstance(block, Figure):
            out += [Spacer(1, 4), block.drawing, Spacer(1, 8)]
        else:
            raise TypeError(f"unsupported PDF block type: {type(block).__name__}")
    return out


# ---------------------------------------------------------------------------
# Page furniture and rendering
# ---------------------------------------------------------------------------

PageDecorator: TypeAlias = Callable[[Canvas, int, int], None]


class _NumberedCanvas(Canvas):
    """Defers page output until save() so each page can show "n / N".

    Platypus only knows the total page count after layout; buffering each
    page's state (the standard reportlab recipe) avoids a second layout pass.
    """

    def __init__(self, *args: Any, decorate: PageDecorator, pdf_date: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decorate = decorate
        self._pending_pages: list[dict[str, Any]] = []
        # Invariant mode pins the timestamp (for byte-stable output); report the
        # document's own generation time as CreationDate/ModDate instead of 2000-01-01.
        self.setDateFormatter(lambda *_: pdf_date)

    def showPage(self) -> None:  # camelCase: overrides reportlab's API
        self._pending_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = self._pending_pages
        total = len(pages)
        for number, state in enumerate(pages, start=1):
            self.__dict__.update(state)
            self._decorate(self, number, total)
            super().showPage()
        super().save()


FOOTER_BASE = 8 * mm  # the footer text's lowest line sits on this
FOOTER_GAP = 6 * mm  # between the footer rule and the body frame


def _page_decorator(*, fonts: FontSet, title: str, mark: str, recipient: str, generated: str
                    ) -> tuple[PageDecorator, float]:
    """The page furniture, and the height the footer takes from the bottom of the page.

    The viewer stamp (who printed the document, and when) is the detail meant to deter leaks, so it is never
    clipped: it wraps onto as many lines as it needs and the body frame gives way.
    """
    font = fonts.gothic
    left, right = MARGIN_LEFT, PAGE_WIDTH - MARGIN_RIGHT
    header_y = PAGE_HEIGHT - 13 * mm
    mark_text = f"【{mark}】"
    mark_size, header_size, footer_size = 9.0, 8.5, 8.0
    mark_width = pdfmetrics.stringWidth(mark_text, font, mark_size)
    header_title = _fit(title, font, header_size, FRAME_WIDTH - mark_width - 10 * mm)
    number_width = 70.0  # "999 / 999 ページ" at the right of the footer's first line
    style = ParagraphStyle("cf-footer", fontName=font, fontSize=footer_size, leading=footer_size * 1.4,
                           textColor=MUTED, wordWrap="CJK")
    stamp = Paragraph(_markup(f"閲覧者: {recipient}\u3000出力日時: {generated}"), style)
    _, stamp_height = stamp.wrap(FRAME_WIDTH - number_width, PAGE_HEIGHT)
    rule_y = FOOTER_BASE + stamp_height + 1.5 * mm

    def decorate(canv: Canvas, page: int, total: int) -> None:
        canv.saveState()
        # Header: document title left, confidentiality mark right, hairline below.
        canv.setFont(font, header_size)
        canv.setFillColor(MUTED)
        canv.drawString(left, header_y, header_title)
        canv.setFont(font, mark_size)
        canv.setFillColor(CONFIDENTIAL_RED)
        canv.drawRightString(right, header_y, mark_text)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.line(left, header_y - 2.5 * mm, right, header_y - 2.5 * mm)
        # Footer: who printed it and when (wrapped, never clipped), and page n / N on the first line.
        canv.line(left, rule_y, right, rule_y)
        stamp.drawOn(canv, left, FOOTER_BASE)
        canv.setFont(font, footer_size)
        canv.setFillColor(MUTED)
        first_baseline = FOOTER_BASE + stamp_height - footer_size * 1.15
        canv.drawRightString(right, first_baseline, f"{page} / {total} ページ")
        canv.restoreState()

    return decorate, rule_y + FOOTER_GAP


def render_pdf(
    *,
    title: str,
    blocks: Sequence[Block],
    recipient: str,
    confidentiality: str = DEFAULT_CONFIDENTIALITY,
    generated_at: datetime,
    subject: str = "",
) -> bytes:
    """Render an A4 portrait Japanese document and return the PDF bytes.

    Every page carries a header (title, confidentiality mark) and a footer
    (recipient, generation time in Japan time, "n / N ページ").  Output is
    byte-for-byte deterministic for identical inputs.

    Raises FontsMissingError if the IPAex fonts are not installed, ValueError
    for a naive ``generated_at`` or malformed blocks, TypeError for unknown blocks.
    """
    fonts = register_fonts()
    st = _styles(fonts)
    generated = format_jp_datetime(generated_at)  # also rejects naive datetimes
    local = to_tokyo(generated_at)
    offset = local.utcoffset()
    assert offset is not None  # to_tokyo guarantees an aware datetime
    off_min = int(offset.total_seconds() // 60)
    pdf_date = f"D:{local:%Y%m%d%H%M%S}{'+' if off_min >= 0 else '-'}{abs(off_min) // 60:02d}'{abs(off_min) % 60:02d}'"

    title_text = _plain(title)
    story: list[Flowable] = [
        Paragraph(_markup(format_jp_date(local.date())), st.date),
        Paragraph(_markup(title_text), st.title),
        HRFlowable(width="100%", thickness=0.8, color=ACCENT, spaceBefore=2, spaceAfter=10),
        *_flowables(blocks, fonts, st),
    ]

    decorate, footer_height = _page_decorator(
        fonts=fonts, title=title_text, mark=_plain(confidentiality),
        recipient=_plain(recipient), generated=generated,
    )
    canvasmaker = functools.partial(_NumberedCanvas, decorate=decorate, pdf_date=pdf_date)
    buf = io.BytesIO()
    bottom = max(MARGIN_BOTTOM, footer_height)
    frame = Frame(
        MARGIN_LEFT, bottom, FRAME_WIDTH, PAGE_HEIGHT - MARGIN_TOP - bottom,
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body",
    )
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        pageTemplates=[PageTemplate(id="a4", frames=[frame])],
        title=title_text,
        author="caseflow",
        creator="caseflow",
        subject=_plain(subject),
        lang="ja-JP",
        # A TrueType initial font keeps reportlab from referencing (unembedded) Helvetica.
        initialFontName=fonts.gothic,
        invariant=1,  # fixed document ID and no timestamps -> reproducible bytes
    )
    doc.build(story, canvasmaker=canvasmaker)
    return buf.getvalue()
