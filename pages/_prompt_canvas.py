"""The picture a visitor clicks, drags a box and paints scribbles on, and the way back to working-size pixels.

The input is ``streamlit-drawable-canvas`` (Fabric.js): its ``point`` tool
gives clicks, ``rect`` a box, ``freedraw`` painted scribbles, each at the
canvas's CSS pixels. The canvas shows the working image at :class:`Fit`'s
size, sent at exactly that size (reduced by area averaging, or enlarged by
a whole factor, nearest pixel), so the browser draws it one to one: no
blurry upscaling. :meth:`Fit.to_image` maps a canvas point to the working
pixel under it, :meth:`Fit.to_canvas` a working pixel to its centre on the
canvas.

The page keeps the prompts (:class:`segcore.prompts.Prompts`) and passes the
canvas a drawing of them only when they changed by something other than the
canvas itself (undo, clear, a link, a snap back): :func:`drawing` makes it,
:func:`read` turns what the canvas sends back into prompts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from segcore.prompts import LIMITS, Click, Prompts, Stroke

#: Colours of an object click / scribble, a background one, and the box (on the canvas and in the answers).
POSITIVE = "#22c55e"
NEGATIVE = "#ef4444"
BOX = "#facc15"
#: Largest canvas, CSS pixels (width, height): beside the page's controls and below its title on a 1280 x 800 screen.
MAX_SIZE = (600, 480)
#: A picture far smaller than that is enlarged by a whole factor, at most this one (nearest pixel: still crisp).
MAX_ENLARGE = 4
#: Radius of a click's dot on the canvas, CSS pixels.
DOT = 5
#: Points kept of one painted scribble (evenly spaced along it): a link and a method never get more.
STROKE_POINTS = 100

#: How the canvas tools map to the page's modes: (Fabric tool, colour, positive).
MODES = {
    "positive": ("point", POSITIVE, True),
    "negative": ("point", NEGATIVE, False),
    "box": ("rect", BOX, True),
    "fg_scribble": ("freedraw", POSITIVE, True),
    "bg_scribble": ("freedraw", NEGATIVE, False),
}
MODE_LABELS = {
    "positive": "Object click",
    "negative": "Background click",
    "box": "Box",
    "fg_scribble": "Object scribble",
    "bg_scribble": "Background scribble",
}

_ORIGIN = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}


@dataclass(frozen=True)
class Fit:
    """An image of ``shape`` ((H, W) working pixels) shown on a canvas of ``size`` ((width, height) CSS pixels)."""

    shape: tuple[int, int]
    size: tuple[int, int]

    @property
    def kx(self) -> float:
        """Canvas pixels per working pixel across (the same down, up to rounding)."""
        return self.size[0] / self.shape[1]

    @property
    def ky(self) -> float:
        return self.size[1] / self.shape[0]

    def to_image(self, cx: float, cy: float) -> tuple[int, int]:
        """The working pixel ``(x, y)`` under the canvas point ``(cx, cy)``, clipped inside the image."""
        h, w = self.shape
        x = math.floor(cx * w / self.size[0])
        y = math.floor(cy * h / self.size[1])
        return min(max(x, 0), w - 1), min(max(y, 0), h - 1)

    def to_canvas(self, x: int, y: int) -> tuple[float, float]:
        """The canvas point at the centre of working pixel ``(x, y)``."""
        return (x + 0.5) * self.kx, (y + 0.5) * self.ky

    def brush(self, width: int) -> int:
        """A scribble ``width`` working pixels wide, in canvas pixels (at least 1)."""
        return max(1, round(width * self.kx))


def fit(shape: tuple[int, ...]) -> Fit:
    """The canvas for an image of ``shape``: as large as :data:`MAX_SIZE` allows, never enlarged by a fraction.

    Reduced when larger; shown as it is when it fits; enlarged by a whole
    factor (up to :data:`MAX_ENLARGE`) when even twice its size fits.
    """
    h, w = int(shape[0]), int(shape[1])
    scale = min(MAX_SIZE[0] / w, MAX_SIZE[1] / h)
    if scale >= 1:
        scale = min(math.floor(scale), MAX_ENLARGE)
    return Fit((h, w), (max(1, round(w * scale)), max(1, round(h * scale))))


def picture(rgb: np.ndarray, f: Fit) -> np.ndarray:
    """The working image at the canvas's size: area-averaged when smaller, whole pixels repeated when larger."""
    if f.size == (rgb.shape[1], rgb.shape[0]):
        return rgb
    if f.size[0] > rgb.shape[1]:
        return cv2.resize(rgb, f.size, interpolation=cv2.INTER_NEAREST)
    return cv2.resize(rgb, f.size, interpolation=cv2.INTER_AREA)


# -- prompts to the canvas --------------------------------------------------------------------


def drawing(prompts: Prompts, f: Fit, nonce: int = 0) -> dict[str, Any]:
    """Fabric.js JSON showing ``prompts`` on the canvas of ``f``: scribbles, then the box, then the clicks on top.

    ``nonce`` makes a new drawing of the same prompts differ from the last
    one, so the canvas replaces what it shows (it redraws only on a change).
    """
    objects: list[dict[str, Any]] = []
    for s in prompts.strokes:
        points = [f.to_canvas(x, y) for x, y in s.path]
        if len(points) == 1:
            points = points * 2  # a dot: a line of no length, drawn with round ends
        path = [["M", *points[0]]] + [["L", *p] for p in points[1:]]
        objects.append({
            "type": "Path", "path": path, "fill": None, "stroke": POSITIVE if s.positive else NEGATIVE,
            "strokeWidth": f.brush(s.width), "strokeLineCap": "round", "strokeLineJoin": "round",
        })
    if prompts.box is not None:
        x0, y0, x1, y1 = prompts.box
        (l, t), (r, b) = f.to_canvas(x0, y0), f.to_canvas(x1, y1)
        objects.append({
            "type": "Rect", "left": l, "top": t, "width": r - l, "height": b - t, "originX": "left", "originY": "top",
            "fill": "rgba(0,0,0,0)", "stroke": BOX, "strokeWidth": 2, "strokeUniform": True,
        })
    for c in prompts.clicks:
        cx, cy = f.to_canvas(c.x, c.y)
        objects.append({
            "type": "Circle", "left": cx, "top": cy, "originX": "center", "originY": "center", "radius": DOT,
            "fill": POSITIVE if c.positive else NEGATIVE, "stroke": "#ffffff", "strokeWidth": 2,
        })
    return {"objects": objects, "nonce": nonce}


# -- the canvas to prompts --------------------------------------------------------------------


def _plain(obj: dict[str, Any]) -> bool:
    """Whether ``obj`` is drawn as created: not rotated, skewed or scaled (the toolbar's edit toggle does those)."""
    return (float(obj.get("angle") or 0) == 0 and float(obj.get("skewX") or 0) == 0 and float(obj.get("skewY") or 0) == 0
            and float(obj.get("scaleX", 1)) == 1 and float(obj.get("scaleY", 1)) == 1)


def _corner(obj: dict[str, Any], width: float, height: float) -> tuple[float, float]:
    """The top-left corner of an object ``width`` x ``height`` placed at ``left``/``top`` by its origin."""
    left = float(obj.get("left", 0)) - _ORIGIN.get(obj.get("originX", "left"), 0.0) * width
    top = float(obj.get("top", 0)) - _ORIGIN.get(obj.get("originY", "top"), 0.0) * height
    return left, top


def _path_points(path: list) -> list[tuple[float, float]]:
    """The points a Fabric path passes through as drawn: the pointer's samples of a pencil stroke.

    Fabric's pencil draws ``M p0, Q p1 m12, Q p2 m23, ..., L pn``: each sample
    is a curve's control point, each curve ends midway to the next sample.
    So a ``Q`` gives its control point; any other command all of its points.
    """
    out = []
    for command in path or []:
        numbers = [float(v) for v in command[1:] if isinstance(v, (int, float))]
        if command and command[0] == "Q":
            numbers = numbers[:2]
        out += list(zip(numbers[0::2], numbers[1::2]))
    return out


def _thinned(points: list[tuple[int, int]], at_most: int) -> tuple[tuple[int, int], ...]:
    """``points`` without repeats in a row, then at most ``at_most`` of them, evenly spaced, ends kept."""
    kept = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    if len(kept) > at_most:
        kept = [kept[i] for i in np.linspace(0, len(kept) - 1, at_most).round().astype(int)]
    return tuple(kept)


def read(raw: dict[str, Any] | None, f: Fit) -> tuple[Prompts, bool]:
    """The prompts the canvas's drawing ``raw`` (Fabric.js JSON) shows, and whether it shows exactly those.

    Circles are clicks (their fill says object or background), the last
    rectangle is the box, paths are scribbles (their stroke colour says which);
    every point is mapped to the working pixel under it (:meth:`Fit.to_image`).
    The second value is False when the drawing holds something the prompts
    cannot (a second box, another kind of object, one rotated or resized
    with the toolbar's edit toggle): the page then draws the prompts afresh.
    Not checked against :data:`segcore.prompts.LIMITS`: :meth:`Prompts.check` does that.
    """
    clicks: list[Click] = []
    strokes: list[Stroke] = []
    boxes: list[tuple[int, int, int, int]] = []
    exact = True
    for obj in (raw or {}).get("objects") or []:
        kind = obj.get("type")
        exact &= _plain(obj)
        sx, sy = float(obj.get("scaleX", 1)), float(obj.get("scaleY", 1))
        if kind == "Circle":
            size = 2 * float(obj.get("radius", 0)) + float(obj.get("strokeWidth", 0))
            left, top = _corner(obj, size * sx, size * sy)
            clicks.append(Click(*f.to_image(left + size * sx / 2, top + size * sy / 2), obj.get("fill") != NEGATIVE))
        elif kind == "Rect":
            width, height = float(obj.get("width", 0)) * sx, float(obj.get("height", 0)) * sy
            left, top = _corner(obj, width, height)
            (x0, y0), (x1, y1) = f.to_image(left, top), f.to_image(left + width, top + height)
            boxes.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        elif kind == "Path":
            points = [f.to_image(x, y) for x, y in _path_points(obj.get("path"))]
            if not points:
                exact = False
                continue
            width = min(max(1, round(float(obj.get("strokeWidth", 1)) / f.kx)), LIMITS["width"])
            strokes.append(Stroke(_thinned(points, STROKE_POINTS), obj.get("stroke") != NEGATIVE, width))
        else:
            exact = False
    exact &= len(boxes) <= 1
    return Prompts(tuple(clicks), boxes[-1] if boxes else None, tuple(strokes)), exact


def prompt_canvas(background: bytes, f: Fit, mode: str, shown: dict[str, Any], *, key: str,
                  on_change: Callable[[], None]) -> None:
    """Draw the canvas: ``background`` (an encoded picture of ``f.size``) under the drawing ``shown``, in ``mode``.

    What the visitor draws reaches the page through ``on_change``, which
    reads ``st.session_state[key]["drawing"]["raw"]`` (:func:`read`).
    """
    # Imported here, in a script run: the component declares its files when imported, which needs Streamlit's
    # runtime (it has read the installed components' manifests); the mapping above is plain Python, tested without it.
    from streamlit_drawable_canvas import st_canvas  # noqa: PLC0415

    tool, colour, _ = MODES[mode]
    point = tool == "point"
    st_canvas(
        background_image=background,
        width=f.size[0],
        height=f.size[1],
        drawing_mode=tool,
        stroke_color="#ffffff" if point else colour,
        fill_color=colour if point else "rgba(0,0,0,0)",
        stroke_width=2 if tool != "freedraw" else f.brush(Stroke(((0, 0),)).width),
        point_display_radius=DOT,
        initial_drawing=shown,
        key=key,
        on_change=on_change,
    )
