"""Where a prompt method works: a crop around the prompts, at a reduced size, and the way back.

The classic promptable methods (:mod:`segcore.methods.prompts.classic`) grow
faster than the pixel count (a random walker solves one linear system over
every pixel left unmarked; GrabCut refits two colour models and cuts a
graph five times), so each runs on a :class:`Window` of the image:

* with a box, only the box and a margin around it (outside the box is
  background whatever the method says, so nothing is lost but a wider view
  of the background);
* then, when the window's long side exceeds the method's ``max_side``,
  reduced to that side by area averaging (``cv2.INTER_AREA``).

The method's answer comes back through :meth:`Window.paste`: a probability
or a 0/1 map is scaled up by linear interpolation (``cv2.resize``) and cut at
0.5, so the scaled mask's edge is smooth rather than blocky, and laid into
the full-size image. :meth:`Window.note` is the sentence a user reads about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from segcore.prompts import Prompts

__all__ = ["MAX_SIDES", "Window", "run_shape", "window"]

#: Long sides a prompt method may work at; None: the size of the window itself (no reduction).
MAX_SIDES = (None, 128, 160, 180, 200, 240, 320, 400, 480, 640, 800, 1000, 1200, 1600)


def run_shape(shape: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """The (H, W) an area of ``shape`` is worked at with ``max_side``: itself when it fits or None."""
    h, w = shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return h, w
    s = max_side / max(h, w)
    return max(2, round(h * s)), max(2, round(w * s))


@dataclass(frozen=True)
class Window:
    """The rows ``y0:y1`` and columns ``x0:x1`` of an image of ``shape`` worked at ``run`` ((H, W)) pixels."""

    shape: tuple[int, int]
    y0: int
    y1: int
    x0: int
    x1: int
    run: tuple[int, int]

    @property
    def cropped(self) -> bool:
        return (self.y1 - self.y0, self.x1 - self.x0) != tuple(self.shape)

    @property
    def reduced(self) -> bool:
        return self.run != (self.y1 - self.y0, self.x1 - self.x0)

    @property
    def scale(self) -> float:
        """Working pixels per image pixel (1.0 when not reduced)."""
        return self.run[1] / (self.x1 - self.x0)

    def take(self, image: np.ndarray) -> np.ndarray:
        """The window's pixels of ``image`` at the working size (area averaging when reduced)."""
        crop = image[self.y0:self.y1, self.x0:self.x1]
        if not self.reduced:
            return np.ascontiguousarray(crop)
        return cv2.resize(np.ascontiguousarray(crop), self.run[::-1], interpolation=cv2.INTER_AREA)

    def prompts(self, prompts: Prompts) -> Prompts:
        """``prompts`` in the working pixels: shifted to the window's origin and scaled (clipped inside it)."""
        return prompts.shifted(-self.x0, -self.y0).scaled(self.scale, self.run)

    def paste(self, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """``values`` (working size, float) scaled to the window (linear) and laid into a full-size map of ``fill``."""
        full = np.full(self.shape, fill, np.float32)
        size = (self.x1 - self.x0, self.y1 - self.y0)
        values = np.asarray(values, np.float32)
        if self.reduced:
            values = cv2.resize(values, size, interpolation=cv2.INTER_LINEAR)
        full[self.y0:self.y1, self.x0:self.x1] = values
        return full

    def note(self, title: str, full_seconds: float | None = None) -> str | None:
        """The sentence saying where ``title`` worked, or None when it used the whole image at its size."""
        if not self.cropped and not self.reduced:
            return None
        h, w = self.y1 - self.y0, self.x1 - self.x0
        where = f"on the {w} x {h} px crop around the box (outside the box is background)" if self.cropped else ""
        if self.reduced:
            at = f"at {max(self.run)} px on the long side"
            if full_seconds is not None:
                at += f" (about {full_seconds:.1f} s at full size)" if full_seconds < 9.95 else \
                    f" (about {full_seconds:.0f} s at full size)"
            text = f"{title} worked {where + ' ' if where else ''}{at}; its answer was scaled back to {w} x {h} px."
        else:
            text = f"{title} worked {where}."
        return text.replace("  ", " ")


def window(shape: tuple[int, int], prompts: Prompts, max_side: int | None, *, margin: float = 0.25,
           min_margin: int = 16) -> Window:
    """The :class:`Window` a method works in: with a box, around every prompt with a margin; else the whole image.

    The margin is ``margin`` times the long side of the prompts' bounds, at
    least ``min_margin`` pixels, cut at the image's edges. The window is then
    reduced to ``max_side`` on its long side (None: not reduced).
    """
    h, w = shape[:2]
    y0, y1, x0, x1 = 0, h, 0, w
    bounds = prompts.bounds()
    if prompts.box is not None and bounds is not None:
        bx0, by0, bx1, by1 = bounds
        pad = max(min_margin, round(margin * max(bx1 - bx0 + 1, by1 - by0 + 1)))
        y0, y1 = max(0, by0 - pad), min(h, by1 + pad + 1)
        x0, x1 = max(0, bx0 - pad), min(w, bx1 + pad + 1)
    return Window((h, w), y0, y1, x0, x1, run_shape((y1 - y0, x1 - x0), max_side))


def max_side_label(value: int | None) -> str:
    return "the size of the image (or the box)" if value is None else f"{value} px"


def says(value: int | None, shape: tuple[int, int]) -> str:
    """How a ``max_side`` reads in the cost model's note."""
    side = max(shape[:2])
    if value is not None and value < side:
        return f"at {value} px on its long side"
    return f"at the working size ({side} px)"


def sized(seconds: Callable[[tuple[int, int], dict], float]) -> Callable:
    """``seconds(run shape, params)`` as a cost over the image's shape: the whole image at ``max_side``, an upper bound
    (a box's crop is smaller)."""
    return lambda shape, p: seconds(run_shape(shape, p["max_side"]), p)
