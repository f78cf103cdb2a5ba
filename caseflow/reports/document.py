"""The KPI report's PDF: the shared page furniture of caseflow.core.pdf plus the report's own chart.

``caseflow.core.pdf.BarChart`` draws every value as a bar (a suppressed cell would be a bar of 0), with its
own palette and no labels on crowded charts; the report needs suppressed cells drawn as such. So the chart is
a reportlab Drawing built here, placed in the shared A4 document (header, confidentiality mark, viewer stamp,
page numbers, embedded IPAex fonts) as a ``core.pdf.Figure`` block.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

from caseflow.core import pdf
from caseflow.reports import tables

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
OTHERS_COLOR = "#999999"
MAX_SERIES = 8
OTHERS = "その他"
SUPPRESSED_BOX = 16.0  # height (pt) of the hatched box for a month whose total is suppressed as well


def _series(t: dict) -> list[tuple[str, list[int | None]]]:
    """(label, value per month) for each channel; beyond 8 channels the smallest are grouped as その他
    (suppressed if any of its parts is). Order: largest printed total first (suppressed totals last)."""
    cols = list(range(len(t["columns"])))
    cols.sort(key=lambda j: (t["column_totals"][j] is None, -(t["column_totals"][j] or 0)))
    values = [[row[j] for row in t["cells"]] for j in range(len(t["columns"]))]
    if len(cols) <= MAX_SERIES:
        keep = cols
    else:  # a channel itself called その他 goes into the group, so that one label means one series
        keep = [j for j in cols if t["columns"][j]["label"] != OTHERS][:MAX_SERIES - 1]
    series = [(t["columns"][j]["label"], values[j]) for j in keep]
    rest = [j for j in cols if j not in keep]
    if rest:
        others = [None if any(values[j][i] is None for j in rest) else sum(values[j][i] for j in rest)
                  for i in range(len(t["rows"]))]
        series.append((OTHERS, others))
    return series


def _colour(i: int, label: str) -> colors.Color:
    return colors.HexColor(OTHERS_COLOR if label == OTHERS else OKABE_ITO[i % len(OKABE_ITO)])


def _hatch(d: Drawing, x: float, y: float, w: float, h: float, step: float = 3.5) -> None:
    """A white box with dark diagonal hatching and an outline: a suppressed amount, never a bar of 0."""
    d.add(Rect(x, y, w, h, fillColor=colors.white, strokeColor=pdf.INK, strokeWidth=0.6))
    k = -h
    while k < w:
        t0, t1 = max(0.0, -k), min(h, w - k)
        if t1 > t0:
            d.add(Line(x + k + t0, y + t0, x + k + t1, y + t1, strokeColor=pdf.INK, strokeWidth=0.4))
        k += step


def monthly_chart(t: dict, *, width: float = pdf.FRAME_WIDTH, height: float = 250.0) -> Drawing:
    """Stacked bars of new consultations per month by channel; known parts labelled with their number, the
    suppressed part of a month hatched and labelled 「*」 (its size is shown only when the month's total is
    printed: the total less the known parts; otherwise a fixed-size hatched box labelled 秘匿)."""
    fonts = pdf.register_fonts()
    font = fonts.gothic
    series = _series(t)
    months = [r["label"].split("年", 1)[1] if "年" in r["label"] else r["label"] for r in t["rows"]]
    n = len(months)
    d = Drawing(width, height, initialFontName=font, initialFontSize=8)
    d.add(String(width / 2, height - 12, t["title"], fontName=font, fontSize=10.5, fillColor=pdf.INK,
                 textAnchor="middle"))
    legend_h, left, right, label_h, top_pad = 30.0, 30.0, 6.0, 16.0, 34.0
    plot_x, plot_y = left, legend_h + label_h
    plot_w, plot_h = width - left - right, height - legend_h - label_h - top_pad

    stacks = []  # per month: known parts and the hidden remainder (None: unknown)
    for i in range(n):
        known = [(k, s[1][i]) for k, s in enumerate(series) if s[1][i]]
        hidden = any(s[1][i] is None for s in series)
        total = t["row_totals"][i]
        rest = (total - sum(v for _, v in known)) if hidden and total is not None else None
        stacks.append((known, hidden, rest, total))
    top = max([sum(v for _, v in known) + (rest or 0) for known, _h, rest, _t in stacks] + [1])
    step = pdf._nice_step(top)
    vmax = -(-top * 1.12 // step) * step
    scale = (plot_h - SUPPRESSED_BOX - 12) / vmax

    # value axis with light gridlines
    v = 0
    while v <= vmax:
        y = plot_y + v * scale
        d.add(Line(plot_x, y, plot_x + plot_w, y, strokeColor=colors.HexColor("#D5DBE1"), strokeWidth=0.4))
        d.add(String(plot_x - 4, y - 2.5, f"{int(v):,}", fontName=font, fontSize=7, fillColor=pdf.MUTED,
                     textAnchor="end"))
        v += step
    slot = plot_w / max(n, 1)
    bar_w = min(slot * 0.62, 34.0)
    for i, (known, hidden, rest, total) in enumerate(stacks):
        x = plot_x + slot * i + (slot - bar_w) / 2
        y = plot_y
        for k, value in known:
            h = value * scale
            fill = _colour(k, series[k][0])
            d.add(Rect(x, y, bar_w, h, fillColor=fill, strokeColor=colors.white, strokeWidth=0.5))
            if h >= 8.5:
                dark = fill.red * 0.299 + fill.green * 0.587 + fill.blue * 0.114 < 0.5
                d.add(String(x + bar_w / 2, y + h / 2 - 2.8, str(value), fontName=font, fontSize=7,
                             fillColor=colors.white if dark else pdf.INK, textAnchor="middle"))
            y += h
        if hidden:
            h = rest * scale if rest is not None else SUPPRESSED_BOX
            h = max(h, 9.0)
            _hatch(d, x, y, bar_w, h)
            d.add(Rect(x + bar_w / 2 - 5, y + h / 2 - 4.5, 10, 9, fillColor=colors.white, strokeColor=None))
            d.add(String(x + bar_w / 2, y + h / 2 - 2.8, tables.SUPPRESSED_MARK, fontName=font, fontSize=7.5,
                         fillColor=pdf.INK, textAnchor="middle"))
            y += h
        above = "秘匿" if total is None else str(total)
        d.add(String(x + bar_w / 2, y + 3, above, fontName=font, fontSize=7.5, fillColor=pdf.INK,
                     textAnchor="middle"))
        d.add(String(plot_x + slot * i + slot / 2, plot_y - 11, months[i], fontName=font,
                     fontSize=7.5 if slot > 26 else 6.5, fillColor=pdf.INK, textAnchor="middle"))
    d.add(Line(plot_x, plot_y, plot_x + plot_w, plot_y, strokeColor=pdf.RULE, strokeWidth=0.6))

    # legend: the channels, and the hatched box for suppressed amounts
    items = [(s[0], _colour(k, s[0])) for k, s in enumerate(series)] + [("秘匿（*）", None)]
    size, sw = 7.5, 7.0
    widths = [sw + 3 + pdfmetrics.stringWidth(label, font, size) + 10 for label, _ in items]
    rows: list[list[int]] = [[]]
    used = 0.0
    for idx, w in enumerate(widths):
        if rows[-1] and used + w > width:
            rows.append([])
            used = 0.0
        rows[-1].append(idx)
        used += w
    for r, idxs in enumerate(rows[:2]):
        x = (width - sum(widths[i] for i in idxs)) / 2
        y = legend_h - 10 - r * 11
        for i in idxs:
            label, fill = items[i]
            if fill is None:
                _hatch(d, x, y, sw, sw, step=2.5)
            else:
                d.add(Rect(x, y, sw, sw, fillColor=fill, strokeColor=None))
            d.add(String(x + sw + 3, y + 0.5, label, fontName=font, fontSize=size, fillColor=pdf.INK))
            x += widths[i]
    d.hAlign = "CENTER"
    return d


def render(*, title: str, blocks: Sequence[pdf.Block | Flowable], recipient: str, generated_at: datetime,
           subject: str = "", confidentiality: str = pdf.DEFAULT_CONFIDENTIALITY) -> bytes:
    """``core.pdf.render_pdf`` with reportlab Flowables (the chart) among the blocks."""
    return pdf.render_pdf(title=title, blocks=[pdf.Figure(b) if isinstance(b, Flowable) else b for b in blocks],
                          recipient=recipient, generated_at=generated_at, subject=subject,
                          confidentiality=confidentiality)
