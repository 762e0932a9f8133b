"""The compare page's pictures: a grid of equal panels with linked zoom, and a before/after wipe.

Each panel is one method's result on the same image, drawn as an image trace
of a plotly subplot. All x axes match and all y axes match, so zooming or
panning one panel moves every other panel to the same pixels; the first panel's y
axis is anchored to its x axis so that pixels stay square, and the others
share its ranges in cells of the same size. The pictures are sent
at the working size (PNG or JPEG data URIs), so zooming in shows every pixel.
"""

from __future__ import annotations

import base64
import math
import textwrap
from dataclasses import dataclass

import numpy as np

from pages._prompt_canvas import BOX, NEGATIVE, POSITIVE
from segcore.prompts import Prompts

VIEWS = {
    "labels": "Label map",
    "overlay": "Overlay on the photo",
    "boundaries": "Boundaries on the photo",
}


@dataclass(frozen=True)
class Panel:
    """One cell of the grid.

    ``picture`` is a data URI of the label map (view ``labels``/``overlay``)
    or of its outlines on transparency (view ``boundaries``); None for a
    method that gave no result, whose ``message`` says why.
    """

    title: str
    picture: str | None
    width: int
    height: int
    message: str = ""
    scale: int = 1  # the picture holds every scale-th pixel of the working image, each way
    prompts: Prompts | None = None  # what a prompt method was asked, drawn over its picture


def prompt_traces(prompts: Prompts, xaxis: str, yaxis: str) -> list[dict]:
    """Plotly traces (plain dicts) that draw ``prompts`` on the axes ``xaxis``/``yaxis``, in working-image pixels.

    The scribbles as lines, the box as its outline, then the clicks as dots with a white rim, green on the object
    and red on the background: a reader of the grid sees what each prompt method was asked. Markers and lines
    keep their size in screen pixels (colours as on Point and click), so they stay visible at any zoom.
    """
    common = dict(type="scatter", xaxis=xaxis, yaxis=yaxis, hoverinfo="skip", showlegend=False)
    traces = []
    for s in prompts.strokes:
        xs, ys = zip(*s.path)
        colour = POSITIVE if s.positive else NEGATIVE
        traces.append(dict(x=list(xs), y=list(ys), mode="lines+markers" if len(xs) == 1 else "lines",
                           line=dict(color=colour, width=3), marker=dict(color=colour, size=6), **common))
    if prompts.box is not None:
        x0, y0, x1, y1 = prompts.box
        traces.append(dict(x=[x0, x1, x1, x0, x0], y=[y0, y0, y1, y1, y0], mode="lines",
                           line=dict(color=BOX, width=2), **common))
    for positive in (True, False):
        clicks = [c for c in prompts.clicks if c.positive == positive]
        if clicks:
            colour = POSITIVE if positive else NEGATIVE
            traces.append(dict(x=[c.x for c in clicks], y=[c.y for c in clicks], mode="markers",
                               marker=dict(color=colour, size=10, line=dict(color="white", width=2)), **common))
    return traces


#: Most pixels the grid's pictures hold together at full detail (decoding them is the browser's
#: main cost: 20 full 1600 x 1200 pictures took ~0.5 s to draw in Chromium here, at half size 0.16 s;
#: the compare page's re-render went from 1.1 s to 0.5 s).
PIXEL_BUDGET = 6_000_000


def panel_scale(n_panels: int, size: tuple[int, int], budget: int = PIXEL_BUDGET) -> int:
    """The smallest whole factor f such that ``n_panels`` pictures of every f-th pixel fit ``budget`` pixels.

    1 (every pixel) for a few panels or small images: e.g. three 1600 x 1200
    panels fit, or twenty of the 512 x 512 samples; twenty 1600 x 1200 panels
    are drawn at f = 3 (534 x 400 each, still more than a third of the page wide).
    """
    w, h = size
    f = 1
    while n_panels * math.ceil(w / f) * math.ceil(h / f) > budget:
        f += 1
    return f


def data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...``: a picture plotly can show without a file."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def grid_shape(n: int, columns: int) -> tuple[int, int]:
    """(rows, columns) of a grid for ``n`` panels, at most ``columns`` wide."""
    cols = max(1, min(int(columns), n))
    return max(1, math.ceil(n / cols)), cols


def _wrapped(message: str, width: int) -> str:
    """``message`` in lines of at most ``width`` characters joined by ``<br>``: plotly does not wrap annotations."""
    return "<br>".join(line for part in message.split("\n") for line in textwrap.wrap(part, width) or [""])


def grid_figure(
    panels: list[Panel],
    *,
    photo: str | None,
    view: str = "labels",
    alpha: float = 0.5,
    columns: int = 3,
    panel_height: int = 300,
    font_size: int = 14,
):
    """A plotly figure of ``panels`` in a grid whose axes all zoom and pan together.

    ``photo`` (a data URI of the working image) is drawn under each panel's
    picture for the ``overlay`` view (the label map at opacity ``alpha``) and
    the ``boundaries`` view. Returns a ``plotly.graph_objects.Figure``.
    """
    import plotly.graph_objects as go  # noqa: PLC0415 - only the compare page draws this

    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    if not panels:
        raise ValueError("no panels to draw")
    rows, cols = grid_shape(len(panels), columns)
    width, height = panels[0].width, panels[0].height
    title_px = int(font_size * 2.8)  # two lines of title above each panel
    plot_h = rows * panel_height + (rows - 1) * title_px
    gap_x, gap_y = 0.012, title_px / plot_h
    cell_w, cell_h = (1 - gap_x * (cols - 1)) / cols, panel_height / plot_h
    traces: list[dict] = []
    layout: dict = {}
    annotations = []
    for i, panel in enumerate(panels):
        r, c = divmod(i, cols)
        n = "" if i == 0 else str(i + 1)
        x0 = c * (cell_w + gap_x)
        y1 = 1 - r * (cell_h + gap_y)
        xd = [max(0.0, x0), min(1.0, x0 + cell_w)]  # clamped: the float sums stray below 0 or above 1 by 1e-17
        yd = [max(0.0, y1 - cell_h), min(1.0, y1)]
        xa, ya = f"x{n}", f"y{n}"
        # Hidden axes still zoom and pan; drawing no lines or ticks makes each redraw ~30 % quicker.
        axis = dict(visible=False, constrain="domain")
        layout[f"xaxis{n}"] = dict(domain=xd, anchor=ya, range=[-0.5, width - 0.5], **axis)
        layout[f"yaxis{n}"] = dict(domain=yd, anchor=xa, range=[height - 0.5, -0.5], **axis)
        if i == 0:  # square pixels; the others match its ranges (plotly ignores scaleanchor beside matches)
            layout["yaxis"].update(scaleanchor="x", scaleratio=1)
        else:
            layout[f"xaxis{n}"]["matches"], layout[f"yaxis{n}"]["matches"] = "x", "y"
        # Axes in working-image pixels whatever the scale: picture pixel i covers pixels i*f .. i*f + f - 1.
        f = panel.scale
        common = dict(type="image", x0=(f - 1) / 2, y0=(f - 1) / 2, dx=f, dy=f, xaxis=xa, yaxis=ya,
                      hoverinfo="skip", name=panel.title)
        if panel.picture is not None and photo is not None and view in ("overlay", "boundaries"):
            traces.append(dict(source=photo, **common))
        if panel.picture is not None:
            opacity = alpha if view == "overlay" else 1.0
            traces.append(dict(source=panel.picture, opacity=opacity, **common))
            if panel.prompts is not None:
                traces += prompt_traces(panel.prompts, xa, ya)
        else:
            # An empty trace on its axes: plotly.js makes a subplot only for axes that carry a trace, and
            # without one this panel's title and message were drawn over the first panel.
            traces.append(dict(type="scatter", x=[], y=[], xaxis=xa, yaxis=ya, hoverinfo="skip", name=panel.title))
            annotations.append(dict(
                text=_wrapped(panel.message, max(24, 110 // cols)), xref=f"{xa} domain", yref=f"{ya} domain", x=0.5, y=0.5,
                showarrow=False, font=dict(size=font_size), align="center",
            ))
        annotations.append(dict(
            text=panel.title, xref=f"{xa} domain", yref=f"{ya} domain", x=0.0, y=1.0, xanchor="left",
            yanchor="bottom", showarrow=False, font=dict(size=font_size, color="#111827"), align="left",
        ))
    layout.update(
        annotations=annotations,
        height=plot_h + title_px + 8,
        margin=dict(l=4, r=4, t=title_px + 4, b=4),
        showlegend=False,
        dragmode="zoom",
        plot_bgcolor="white",
        meta={"panels": [p.title for p in panels]},
    )
    # Built from plain dicts and not validated here: plotly's validators took ~140 ms for 20 panels,
    # on every rerun; tests build the same figure with validation on.
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


def before_after(original: np.ndarray, result: np.ndarray, split: float) -> np.ndarray:
    """``original`` left of ``split`` (0 to 1 of the width) and ``result`` right of it, with a white line between.

    The before/after wipe: both pictures (H, W, 3) uint8 of one size.
    """
    if original.shape != result.shape:
        raise ValueError(f"pictures of {original.shape} and {result.shape} differ in size")
    w = original.shape[1]
    cut = int(round(float(np.clip(split, 0.0, 1.0)) * w))
    out = result.copy()
    out[:, :cut] = original[:, :cut]
    line = max(1, w // 300)
    lo, hi = max(cut - line, 0), min(cut + line, w)
    if 0 < cut < w:
        out[:, lo:hi] = 255
    return out
