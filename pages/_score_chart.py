"""The compare page's score-against-time chart: one colour per method family, names on hover, labels that fit.

A name is written beside its point (above, below, right or left) only where its box overlaps no name already
written and no other point (the points placed in pixels as the chart draws them at its narrowest: log-scale time
across, the score up); every name is on its point's hover, so a crowded chart loses no method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

#: One colour per family (Okabe and Ito's colour-blind-safe set), in the registry's order, and its legend name.
FAMILY_STYLE = {
    "threshold": ("#0072B2", "thresholds"),
    "edges": ("#E69F00", "edges"),
    "clustering": ("#009E73", "clustering"),
    "regions": ("#CC79A7", "regions"),
    "maskrcnn": ("#D55E00", "Mask R-CNN"),
    "prompts": ("#000000", "prompt methods"),
}
#: The narrowest the chart is drawn (the page at 1280 px with the sidebar open): names that fit here fit wider too.
WIDTH_PX = 760
HEIGHT_PX = 440
MARGIN = {"l": 70, "r": 30, "t": 50, "b": 110}  # room for the titles, ticks and legend: the plot area is what is left
FONT_PX = 13  # the names' font
CHAR_PX = 0.5 * FONT_PX  # a generous average width of a character (Chromium draws 13 px names at 4.5-5.6 px)
TEXT_PX = 18  # a name's height as drawn (17 px at 13 px)
MARKER_PX = 14
# The plot area the names are placed in: the narrowest chart less its margins, and less 20 px of height that
# plotly's automatic margins may take (measured: 271 of 280 px). Smaller than drawn is safe: points only spread.
PLOT_W = WIDTH_PX - MARGIN["l"] - MARGIN["r"]
PLOT_H = HEIGHT_PX - MARGIN["t"] - MARGIN["b"] - 20


@dataclass(frozen=True)
class Point:
    """One method on the chart: its name, family, time (ms), score and whether the score is an oracle score."""

    name: str
    family: str
    ms: float
    score: float
    oracle: bool = False


def axis_ranges(points: Sequence[Point]) -> tuple[list[float], list[float]]:
    """``(x_range, y_range)`` the chart is drawn with: x in log10(ms), y in score units, padded for markers and names.

    Fixed here (not left to plotly's autorange) so that :func:`label_boxes` knows where each point is drawn.
    """
    xs = [math.log10(max(p.ms, 1e-3)) for p in points]
    ys = [p.score for p in points]
    x_pad = max(0.12 * (max(xs) - min(xs)), 0.15)
    y_span = max(ys) - min(ys)
    y_pad = max(0.1 * y_span, 0.02 * max(abs(v) for v in ys), 0.01)
    # the top gets room for one line of names above the highest point
    top = y_pad + (y_span + 2 * y_pad) * (TEXT_PX + MARKER_PX) / PLOT_H
    return [min(xs) - x_pad, max(xs) + x_pad], [min(ys) - y_pad, max(ys) + top]


def _to_px(point: Point, x_range: Sequence[float], y_range: Sequence[float]) -> tuple[float, float]:
    """The point's centre in pixels of the plot area (x rightwards, y upwards), at the narrowest chart size."""
    x = (math.log10(max(point.ms, 1e-3)) - x_range[0]) / (x_range[1] - x_range[0]) * PLOT_W
    y = (point.score - y_range[0]) / (y_range[1] - y_range[0]) * PLOT_H
    return x, y


#: Where a name may go, in the order tried: plotly's textposition and the box's offset from the marker's centre.
POSITIONS = ("top center", "bottom center", "middle right", "middle left")


def _box(position: str, x: float, y: float, w: float) -> tuple[float, float, float, float]:
    """The name box ``(left, bottom, right, top)`` of a ``w`` px wide name at ``position`` beside a marker at x, y.

    Where plotly draws it, with a little to spare (measured in Chromium: 0-2 px from the marker above and below,
    3 px at the sides).
    """
    half, h, gap = MARKER_PX / 2, TEXT_PX, 3
    return {
        "top center": (x - w / 2, y + half, x + w / 2, y + half + gap + h),
        "bottom center": (x - w / 2, y - half - gap - h, x + w / 2, y - half),
        "middle right": (x + half, y - h / 2 - 1, x + half + gap + w, y + h / 2 + 1),
        "middle left": (x - half - gap - w, y - h / 2 - 1, x - half, y + h / 2 + 1),
    }[position]


def label_boxes(points: Sequence[Point], x_range: Sequence[float], y_range: Sequence[float]) -> list[tuple | None]:
    """Each point's written name as ``(position, box)``, box ``(left, bottom, right, top)`` in plot pixels; None
    where it fits nowhere.

    Names are placed in the order given (the page passes the better scores first), each at the first of
    :data:`POSITIONS` whose box stays inside the plot and overlaps neither a name already placed nor another
    point's marker.
    """
    centres = [_to_px(p, x_range, y_range) for p in points]
    half = MARKER_PX / 2
    markers = [(x - half, y - half, x + half, y + half) for x, y in centres]
    area = (0.0, 0.0, PLOT_W, PLOT_H)
    placed: list[tuple] = []
    out: list[tuple | None] = []
    for i, (p, (x, y)) in enumerate(zip(points, centres)):
        obstacles = placed + markers[:i] + markers[i + 1:]
        fits = None
        for position in POSITIONS:
            box = _box(position, x, y, CHAR_PX * len(p.name) + 4)
            inside = area[0] <= box[0] and box[2] <= area[2] and area[1] <= box[1] and box[3] <= area[3]
            if inside and not any(_overlap(box, o) for o in obstacles):
                fits = (position, box)
                break
        out.append(fits)
        if fits:
            placed.append(fits[1])
    return out


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def score_chart(points: Sequence[Point], score_title: str, higher_is_better: bool) -> go.Figure:
    """The chart: one trace per family (legend), open markers for oracle scores, every name on hover."""
    x_range, y_range = axis_ranges(points)
    boxes = label_boxes(points, x_range, y_range)
    fig = go.Figure()
    for family, (color, legend) in FAMILY_STYLE.items():
        mine = [(p, box) for p, box in zip(points, boxes) if p.family == family]
        if not mine:
            continue
        fig.add_trace(go.Scatter(
            x=[p.ms for p, _ in mine], y=[p.score for p, _ in mine], name=legend, mode="markers+text",
            text=[p.name if box else "" for p, box in mine],
            textposition=[box[0] if box else "top center" for _, box in mine],
            textfont={"size": FONT_PX, "color": color}, cliponaxis=False,
            customdata=[[p.name, " (oracle: the ground truth picked its foreground)" if p.oracle else ""]
                        for p, _ in mine],
            hovertemplate=f"<b>%{{customdata[0]}}</b><br>%{{x:.1f}} ms<br>{score_title} %{{y:.3f}}%{{customdata[1]}}"
                          f"<extra>{legend}</extra>",
            marker={"size": MARKER_PX, "color": color, "line": {"width": 2, "color": color},
                       "symbol": ["circle-open" if p.oracle else "circle" for p, _ in mine]},
        ))
    better = "higher" if higher_is_better else "lower"
    oracle = "; open: oracle" if any(p.oracle for p in points) else ""
    fig.update_layout(
        height=HEIGHT_PX, margin=MARGIN, font={"size": 15},
        title=f"{score_title} against time ({better} is better; left is faster{oracle})",
        xaxis={"title": "time (ms, log scale)", "type": "log", "range": x_range},
        yaxis={"title": score_title, "range": y_range},
        legend={"title": "family", "orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0.0},
        meta={"labelled": [p.name for p, box in zip(points, boxes) if box]},
    )
    return fig
