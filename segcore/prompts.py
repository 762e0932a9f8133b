"""What a user points at: clicks, a box and scribbles, in working-size pixels.

A :class:`Prompts` value is what every promptable method takes beside the
image (``method(image, prompts, *, setting=default, ...)``), what the robot
user of the interactive-segmentation protocol adds clicks to, and what a
shared link carries (:meth:`Prompts.to_text` / :meth:`Prompts.from_text`).
Coordinates are ``(x, y)`` = (column, row) of the image the method is given,
integers, inside the image. It is immutable: adding a click or undoing one
returns a new value, so a cache can key on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

__all__ = ["Click", "Prompts", "Stroke", "LIMITS"]

#: The most a link or a page may hold: a request never makes the server draw without bound.
LIMITS = {"clicks": 100, "strokes": 40, "points": 4000, "width": 64}


@dataclass(frozen=True)
class Click:
    """One click at column ``x``, row ``y``: on the object (``positive``) or off it."""

    x: int
    y: int
    positive: bool = True


@dataclass(frozen=True)
class Stroke:
    """One scribble: a polyline through ``path`` ((x, y) points), ``width`` pixels wide."""

    path: tuple[tuple[int, int], ...]
    positive: bool = True
    width: int = 9


@dataclass(frozen=True)
class Prompts:
    """Clicks (in the order made), at most one box ``(x0, y0, x1, y1)`` (corners, inclusive) and scribbles."""

    clicks: tuple[Click, ...] = ()
    box: tuple[int, int, int, int] | None = None
    strokes: tuple[Stroke, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.clicks or self.box or self.strokes)

    @property
    def positives(self) -> tuple[Click, ...]:
        return tuple(c for c in self.clicks if c.positive)

    @property
    def negatives(self) -> tuple[Click, ...]:
        return tuple(c for c in self.clicks if not c.positive)

    def add(self, click: Click) -> Prompts:
        """These prompts and one more click."""
        return replace(self, clicks=self.clicks + (click,))

    def undo(self) -> Prompts:
        """These prompts less the last click (or, with no click, the last scribble, then the box)."""
        if self.clicks:
            return replace(self, clicks=self.clicks[:-1])
        if self.strokes:
            return replace(self, strokes=self.strokes[:-1])
        return replace(self, box=None)

    def scaled(self, factor: float, shape: tuple[int, int]) -> Prompts:
        """The same prompts on the image resized by ``factor`` to ``shape`` ((H, W)), clipped inside it."""
        h, w = shape

        def xy(x: float, y: float) -> tuple[int, int]:
            return min(max(int(round(x * factor)), 0), w - 1), min(max(int(round(y * factor)), 0), h - 1)

        clicks = tuple(Click(*xy(c.x, c.y), c.positive) for c in self.clicks)
        box = None if self.box is None else (*xy(*self.box[:2]), *xy(*self.box[2:]))
        strokes = tuple(Stroke(tuple(xy(*p) for p in s.path), s.positive, max(1, int(round(s.width * factor))))
                        for s in self.strokes)
        return Prompts(clicks, box, strokes)

    def shifted(self, dx: int, dy: int) -> Prompts:
        """The same prompts with ``(dx, dy)`` added to every coordinate (a crop's origin subtracted, say)."""
        clicks = tuple(Click(c.x + dx, c.y + dy, c.positive) for c in self.clicks)
        box = None if self.box is None else (self.box[0] + dx, self.box[1] + dy, self.box[2] + dx, self.box[3] + dy)
        strokes = tuple(Stroke(tuple((x + dx, y + dy) for x, y in s.path), s.positive, s.width) for s in self.strokes)
        return Prompts(clicks, box, strokes)

    def bounds(self) -> tuple[int, int, int, int] | None:
        """The smallest ``(x0, y0, x1, y1)`` holding every click, the box and every scribble; None if empty."""
        xs = [c.x for c in self.clicks] + [x for s in self.strokes for x, _ in s.path]
        ys = [c.y for c in self.clicks] + [y for s in self.strokes for _, y in s.path]
        if self.box is not None:
            xs += [self.box[0], self.box[2]]
            ys += [self.box[1], self.box[3]]
        return (min(xs), min(ys), max(xs), max(ys)) if xs else None

    def seeds(self, shape: tuple[int, int], click_radius: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """Boolean (H, W) masks of the pixels marked object and marked background.

        Each click marks a disc of ``click_radius`` pixels, each scribble its
        drawn line (``cv2.polylines``, its width); the box marks nothing (a
        method reads it itself). A pixel marked both ways counts as neither.
        """
        marks = np.zeros((2, *shape), np.uint8)  # 0: object, 1: background
        for c in self.clicks:
            cv2.circle(marks[0 if c.positive else 1], (c.x, c.y), click_radius, 1, -1)
        for s in self.strokes:
            pts = np.asarray(s.path, np.int32).reshape(-1, 1, 2)
            cv2.polylines(marks[0 if s.positive else 1], [pts], False, 1, thickness=max(1, s.width))
            if len(s.path) == 1:
                cv2.circle(marks[0 if s.positive else 1], s.path[0], max(1, s.width // 2), 1, -1)
        fg, bg = marks.astype(bool)
        both = fg & bg
        return fg & ~both, bg & ~both

    def check(self, shape: tuple[int, int]) -> Prompts:
        """These prompts if they fit an image of ``shape`` and :data:`LIMITS`; else ValueError saying what is wrong."""
        h, w = shape
        points = [(c.x, c.y) for c in self.clicks] + [p for s in self.strokes for p in s.path]
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            if x1 < x0 or y1 < y0:
                raise ValueError(f"the box {self.box} has its corners the wrong way round")
            points += [(x0, y0), (x1, y1)]
        for x, y in points:
            if not (0 <= x < w and 0 <= y < h):
                raise ValueError(f"the point ({x}, {y}) lies outside the {w} x {h} image")
        if len(self.clicks) > LIMITS["clicks"]:
            raise ValueError(f"{len(self.clicks)} clicks: at most {LIMITS['clicks']}")
        if len(self.strokes) > LIMITS["strokes"]:
            raise ValueError(f"{len(self.strokes)} scribbles: at most {LIMITS['strokes']}")
        if len(points) > LIMITS["points"]:
            raise ValueError(f"{len(points)} points in all: at most {LIMITS['points']}")
        if any(not 1 <= s.width <= LIMITS["width"] or not s.path for s in self.strokes):
            raise ValueError(f"a scribble needs at least one point and a width of 1 to {LIMITS['width']} pixels")
        return self

    # -- links -------------------------------------------------------------------------------
    def to_text(self) -> dict[str, str]:
        """Query-parameter texts: ``clicks`` ("x,y+" / "x,y-" joined by "."), ``box`` ("x0,y0,x1,y1"),
        ``strokes`` ("+9:x,y;x,y..." joined by "."); empty ones left out."""
        out = {}
        if self.clicks:
            out["clicks"] = ".".join(f"{c.x},{c.y}{'+' if c.positive else '-'}" for c in self.clicks)
        if self.box is not None:
            out["box"] = ",".join(map(str, self.box))
        if self.strokes:
            out["strokes"] = ".".join(
                f"{'+' if s.positive else '-'}{s.width}:" + ";".join(f"{x},{y}" for x, y in s.path) for s in self.strokes)
        return out

    @classmethod
    def from_text(cls, texts: dict[str, str], shape: tuple[int, int]) -> Prompts:
        """The prompts :meth:`to_text` wrote, checked against an image of ``shape``.

        A link is user input: any text that is not prompts inside the image and
        within :data:`LIMITS` raises ValueError saying what is wrong.
        """
        total = sum(len(str(t)) for t in texts.values())
        if total > 16 * LIMITS["points"]:
            raise ValueError(f"the prompts' text is {total} characters long; at most {16 * LIMITS['points']}")
        clicks, box, strokes = (), None, ()
        if texts.get("clicks"):
            parts = str(texts["clicks"]).split(".")
            if len(parts) > LIMITS["clicks"]:
                raise ValueError(f"{len(parts)} clicks: at most {LIMITS['clicks']}")
            found = [re.fullmatch(r"(\d{1,5}),(\d{1,5})([+-])", p.strip()) for p in parts]
            if not all(found):
                raise ValueError(f"clicks: {texts['clicks'][:60]!r} is not a list of x,y+ or x,y- points")
            clicks = tuple(Click(int(m[1]), int(m[2]), m[3] == "+") for m in found)
        if texts.get("box"):
            m = re.fullmatch(r"(\d{1,5}),(\d{1,5}),(\d{1,5}),(\d{1,5})", str(texts["box"]).strip())
            if not m:
                raise ValueError(f"box: {texts['box'][:60]!r} is not x0,y0,x1,y1")
            box = tuple(int(v) for v in m.groups())
        if texts.get("strokes"):
            parts = str(texts["strokes"]).split(".")
            if len(parts) > LIMITS["strokes"]:
                raise ValueError(f"{len(parts)} scribbles: at most {LIMITS['strokes']}")
            out = []
            for p in parts:
                m = re.fullmatch(r"([+-])(\d{1,3}):((?:\d{1,5},\d{1,5};?)+)", p.strip())
                if not m:
                    raise ValueError(f"scribbles: {p[:60]!r} is not +width:x,y;x,y...")
                path = tuple(tuple(int(v) for v in q.split(",")) for q in m[3].rstrip(";").split(";"))
                out.append(Stroke(path, m[1] == "+", int(m[2])))
            strokes = tuple(out)
        return cls(clicks, box, strokes).check(shape)
