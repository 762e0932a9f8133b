"""The classic promptable methods: flood fill, seeded watershed, random walker, GrabCut, a pixel classifier.

Each answers the user's clicks, box and scribbles (:class:`segcore.prompts.Prompts`)
with one mask, in library calls:

``flood``
    ``skimage.segmentation.flood`` from each positive click on its colour
    distance in CIELAB (a magic wand), less the floods of negative clicks.
``seeded_watershed``
    ``skimage.segmentation.watershed`` of the Sobel gradient of the CIELAB
    image from two markers: the object's seeds and the background's.
``random_walker``
    ``skimage.segmentation.random_walker`` (Grady 2006): each pixel's
    probability that a random walk from it meets an object seed first.
``grabcut``
    ``cv2.grabCut`` (Rother et al. 2004): colour models of object and
    background and a graph cut, refitted a few times.
``pixel_classifier``
    ``skimage.future.fit_segmenter`` with a scikit-learn random forest on
    ``skimage.feature.multiscale_basic_features``, trained on the scribbles and
    clicks (the approach of ilastik and Fiji's Trainable Weka Segmentation).

Seeds are what :meth:`Prompts.seeds` marks (a 3 px disc per click, the
scribbles' lines); with a box, everything outside it is background. Each
method works on a :mod:`window <segcore.methods.prompts.window>` of the image
(the box and a margin; the whole image without one), reduced to ``max_side``
on its long side where the window is larger, and says so in
``extras["note"]``. Flood fill, the watershed, the random walker and GrabCut
take the seeds as definite: the answer holds every positive seed pixel and no
negative one. Prompts that cannot give an answer (no positive click, say)
raise ValueError saying what to add.

``benchmarks/bench_prompts.py`` times each at the dashboard's 1600 x 1200.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np
from skimage.feature import multiscale_basic_features
from skimage.filters import sobel
from skimage.segmentation import flood as sk_flood
from skimage.segmentation import random_walker as sk_random_walker
from skimage.segmentation import watershed as sk_watershed

from segcore.fast.parallel import n_threads
from segcore.imports import load
from segcore.methods.prompts.window import (
    MAX_SIDES,
    Window,
    max_side_label,
    says,
    sized,
    window,
)
from segcore.prompts import Prompts
from segcore.registry import register
from segcore.result import Segmentation, build_legend, stopwatch
from segcore.spec import Cost, Param, megapixels

__all__ = ["flood", "grabcut", "pixel_classifier", "random_walker", "seeded_watershed"]

#: The two labels every promptable method answers with.
NAMES = {0: "background", 1: "object"}
#: Radius of a click's seed disc at full size (:meth:`Prompts.seeds`' default).
CLICK_RADIUS = 3


def _max_side(help_text: str) -> Param:
    return Param("max_side", "Works at most at (px, long side)", "choice", choices=MAX_SIDES,
                 labels=tuple(max_side_label(v) for v in MAX_SIDES),
                 help="The box (with a margin), or the whole image without a box, is reduced to this long side "
                 "for the method and its answer scaled back. " + help_text)


def _cost(seconds) -> Cost:
    """A prompt method's cost: ``seconds(run shape, params)`` of the whole image at ``max_side`` (a box's crop costs
    less), lowered by a smaller ``max_side``."""
    return Cost(sized(seconds), knob="max_side", steps=tuple(sorted((s for s in MAX_SIDES if s), reverse=True)),
                says=says)


# --------------------------------------------------------------------------- shared steps


def _rgb(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {arr.dtype} {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(f"the image is {arr.shape[1]} x {arr.shape[0]} px; prompt methods need at least 2 x 2")
    return arr


def _number(value, name: str, lo: float, hi: float, cast=float):
    try:
        out = cast(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number from {lo:g} to {hi:g}; got {value!r}") from None
    if isinstance(value, bool) or not (lo <= out <= hi) or (cast is int and out != float(value)):
        raise ValueError(f"{name} must be {'a whole number ' if cast is int else ''}from {lo:g} to {hi:g}; "
                         f"got {value!r}")
    return out


def _side(value) -> int | None:
    return None if value is None else _number(value, "max_side", 16, 100_000, int)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65; L* 0..100) of an RGB uint8 image, float32: OpenCV's ``cvtColor`` on [0, 1] floats.

    Within 0.5 of ``skimage.color.rgb2lab`` on every pixel, about ten times faster (83 ms against 0.9 s at
    1600 x 1200): the answer to a click may not spend its time budget converting colours.
    """
    return cv2.cvtColor(rgb.astype(np.float32) / np.float32(255.0), cv2.COLOR_RGB2Lab)


def _squared_distance(lab: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Squared CIELAB distance (ΔE²) of each pixel of ``lab`` to ``colour``, float32 (H, W).

    OpenCV's per-pixel arithmetic: 27 ms at 1600 x 1200 against 140 ms for
    numpy's ``np.square(lab - colour).sum(-1)`` and its temporaries (flood fill
    computes one per click).
    """
    diff = cv2.subtract(lab, (*map(float, colour), 0.0))
    return cv2.transform(cv2.multiply(diff, diff), np.ones((1, 3), np.float32))


def _inside_box(shape: tuple[int, int], box: tuple[int, int, int, int] | None) -> np.ndarray:
    """Boolean (H, W): True inside ``box`` (corners inclusive); everywhere when there is no box."""
    inside = np.zeros(shape, bool)
    if box is None:
        inside[:] = True
    else:
        x0, y0, x1, y1 = box
        inside[y0:y1 + 1, x0:x1 + 1] = True
    return inside


def _work_seeds(win: Window, prompts: Prompts) -> tuple[Prompts, np.ndarray, np.ndarray, np.ndarray]:
    """The prompts in working pixels, their object and background seeds there, and the box's inside there."""
    wp = win.prompts(prompts)
    fg, bg = wp.seeds(win.run, click_radius=max(1, round(CLICK_RADIUS * win.scale)))
    return wp, fg, bg, _inside_box(win.run, wp.box)


def _border(shape: tuple[int, int]) -> np.ndarray:
    edge = np.zeros(shape, bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    return edge


#: A positive seed this close to the window's border (a share of its short side) frees the border near it.
NEAR_BORDER = 0.1


def _border_background(fg: np.ndarray) -> np.ndarray:
    """The window's border as background seeds, less the stretch of it nearest each positive seed close to it.

    A photo's object seldom fills the frame, so with no box the border is the background's best guess, and it
    stays one after negative clicks (dropping it then made the next answer worse: mean IoU fell from the first
    click to the second on the development set). An object may touch the border, though: a positive seed (a
    connected part of ``fg``) whose centre lies within :data:`NEAR_BORDER` of the short side from the border
    frees the border pixels within twice that distance, plus 3 px, of it.
    """
    h, w = fg.shape
    edge = _border(fg.shape) & ~fg
    n, _, _, centres = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    ys, xs = np.nonzero(edge)
    for cx, cy in centres[1:n]:
        d = min(cx, cy, w - 1 - cx, h - 1 - cy)
        if d < NEAR_BORDER * min(h, w):
            near = (xs - cx) ** 2 + (ys - cy) ** 2 <= (2 * d + 3) ** 2
            edge[ys[near], xs[near]] = False
    return edge


def _markers(fg: np.ndarray, bg: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, str]:
    """Labels 2 (object seeds), 1 (background: its seeds, outside the box, and with no box the window's border
    as :func:`_border_background` keeps it), 0 (unknown), and where the background came from."""
    outside = ~inside & ~fg
    edge = _border_background(fg) if inside.all() else np.zeros_like(fg)
    where = (("negative clicks and scribbles", bg), ("outside the box", outside), ("the image border", edge))
    source = " and ".join(words for words, marked in where if marked.any())
    markers = np.zeros(fg.shape, np.int32)
    markers[bg | outside | edge] = 1
    markers[fg] = 2
    return markers, source


def _snapped(image: np.ndarray, mask: np.ndarray, prompts: Prompts, band: int, smoothing: float = 0.5) -> np.ndarray:
    """``mask`` (full size, bool) with its edge moved onto the image's strongest edge within ``band`` px.

    A method that worked at a reduced size returns an edge as coarse as its pixels. Here the pixels within
    ``band`` of that edge are given again by ``skimage.segmentation.watershed`` of the full-size CIELAB Sobel
    gradient (smoothed by ``smoothing``), from markers: the mask beyond the band inside as object, beyond it
    outside as background, and the prompts' seeds. Only the band and the pixels touching it are flooded
    (``mask=``), on a crop around them: about 50 ms at 1600 x 1200. Seeds stay definite.
    """
    if band <= 0:
        return mask
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    m8 = mask.astype(np.uint8)
    fg, bg = prompts.seeds(mask.shape, click_radius=CLICK_RADIUS)
    markers = np.zeros(mask.shape, np.int32)
    markers[~cv2.dilate(m8, disc).astype(bool) | bg] = 1
    markers[cv2.erode(m8, disc).astype(bool) | fg] = 2
    unknown = markers == 0
    if not (unknown.any() and (markers == 1).any() and (markers == 2).any()):
        return mask
    flooded = cv2.dilate(unknown.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    ys, xs = np.nonzero(flooded)
    pad = 3 + int(np.ceil(3 * smoothing))  # the gradient at the crop's edge is the image's
    y0, x0 = max(0, ys.min() - pad), max(0, xs.min() - pad)
    y1, x1 = min(mask.shape[0], ys.max() + 1 + pad), min(mask.shape[1], xs.max() + 1 + pad)
    lab = _lab(np.ascontiguousarray(image[y0:y1, x0:x1]))
    if smoothing > 0:
        lab = cv2.GaussianBlur(lab, (0, 0), smoothing)
    crop = flooded[y0:y1, x0:x1]
    labels = sk_watershed(_gradient(lab), markers[y0:y1, x0:x1], mask=crop)
    out = mask.copy()
    out[y0:y1, x0:x1][crop] = labels[crop] == 2
    return out


def _definite(full: np.ndarray, prompts: Prompts, shape: tuple[int, int]) -> np.ndarray:
    """``full`` (a full-size boolean mask) with the positive seeds in, the negative seeds and outside the box out."""
    fg, bg = prompts.seeds(shape, click_radius=CLICK_RADIUS)
    if prompts.box is not None:
        full &= _inside_box(shape, prompts.box) | fg
    full[bg] = False
    full[fg] = True
    return full


def _answer(method: str, mask: np.ndarray, params: dict, elapsed: float, win: Window, *,
            confidence: float | None, note: str | None, **extras: Any) -> Segmentation:
    labels = mask.astype(np.int32)
    n_object = int(np.count_nonzero(mask))
    counts = np.array([mask.size - n_object, n_object])
    extras = {"confidence": confidence, "note": note, "run_shape": tuple(win.run),
              "window": (win.x0, win.y0, win.x1 - 1, win.y1 - 1), "reduced": win.reduced, **extras}
    return Segmentation(method, labels, build_legend(labels, NAMES, counts=counts), params, elapsed, extras)


def _positive_seeds(prompts: Prompts) -> bool:
    return bool(prompts.positives or any(s.positive for s in prompts.strokes))


# --------------------------------------------------------------------------- flood fill


def _flood_seconds(shape: tuple[int, int], p: Mapping[str, Any]) -> float:
    """Colour conversion and smoothing about 60 ms a megapixel, each click's distance and flood about 40 ms;
    three clicks assumed."""
    return 0.02 + megapixels(shape) * (0.06 + 3 * 0.05)


@register(
    "flood", family="prompts", title="Flood fill", compare=False,
    params=(
        Param("tolerance", "Tolerance (colour difference, CIELAB ΔE)", "float", 1.0, 60.0, 1.0,
              help="A pixel joins a click's flood when its colour lies within this distance of the clicked "
              "colour (CIE 1976 ΔE: about 2.3 is a just noticeable difference) and it touches the flood."),
        Param("smoothing", "Smoothing (Gaussian sigma, px)", "float", 0.0, 4.0, 0.5,
              help="The colours are smoothed first, so that a photo's noise and fine texture do not stop the flood."),
        _max_side("None keeps every pixel (flood fill is fast)."),
    ),
    cost=_cost(_flood_seconds),
)
def flood(image: np.ndarray, prompts: Prompts, *, tolerance: float = 12.0, smoothing: float = 1.0,
          max_side: int | None = None) -> Segmentation:
    """Flood fill from each positive click (``skimage.segmentation.flood``), less the floods of negative clicks.

    A click's flood is every pixel connected to it whose colour lies within
    ``tolerance`` of the clicked colour: ``flood`` on the image of squared CIELAB
    distances to that colour (ΔE², within ``tolerance`` squared), where the
    click's own value is 0. CIELAB
    and not gray because a photo's object and background often share a
    brightness and differ in hue (a red apple on green leaves is one gray),
    and because ΔE is close to perceptual, so one tolerance serves dark and
    bright regions alike. Positive scribbles are added to the mask and
    negative ones taken out (they do not flood); with a box, the floods stop
    at its edges.

    Returns a two-label :class:`Segmentation` (1: the object); ``extras``:
    ``confidence`` None (a flood has no probability), ``note`` where it
    worked on a crop or at a reduced size.
    """
    image = _rgb(image)
    prompts = prompts.check(image.shape[:2])
    tolerance = _number(tolerance, "tolerance", 0.0, 442.0)
    smoothing = _number(smoothing, "smoothing", 0.0, 50.0)
    params = {"tolerance": tolerance, "smoothing": smoothing, "max_side": max_side}
    if not prompts.positives:
        raise ValueError("Flood fill needs a positive click: click on the object")
    with stopwatch() as t:
        win = window(image.shape[:2], prompts, _side(max_side), margin=0.0, min_margin=2)
        lab = _lab(win.take(image))
        if smoothing > 0:
            lab = cv2.GaussianBlur(lab, (0, 0), smoothing * win.scale)
        wp = win.prompts(prompts)

        def filled(click) -> np.ndarray:
            distance = _squared_distance(lab, lab[click.y, click.x])
            if wp.box is not None:  # a box stops the flood
                x0, y0, x1, y1 = wp.box
                distance[:y0] = distance[y1 + 1:] = distance[:, :x0] = distance[:, x1 + 1:] = np.inf
            distance[click.y, click.x] = 0.0
            return sk_flood(distance, (click.y, click.x), tolerance=tolerance**2)

        mask = np.zeros(win.run, bool)
        for click in wp.positives:
            mask |= filled(click)
        for click in wp.negatives:
            mask &= ~filled(click)
        full = _definite(win.paste(mask) > 0.5, prompts, image.shape[:2])
    note = win.note("Flood fill", _flood_seconds((win.y1 - win.y0, win.x1 - win.x0), params))
    return _answer("flood", full, params, t[0], win, confidence=None, note=note)


# --------------------------------------------------------------------------- seeded watershed


def _gradient(lab: np.ndarray) -> np.ndarray:
    """The Sobel gradient magnitude of a CIELAB image: ``skimage.filters.sobel`` of each channel, root sum of
    squares."""
    return np.sqrt(sum(np.square(sobel(lab[..., c])) for c in range(3)))


def _watershed_seconds(shape: tuple[int, int], p: Mapping[str, Any]) -> float:
    """Colour, gradient and the flooding: 0.33 s a megapixel measured (0.16 s at 800 x 600, 0.63 s at
    1600 x 1200), set at 0.4; a compact watershed half as much again."""
    return 0.02 + megapixels(shape) * (0.4 if float(p["compactness"]) == 0 else 0.6)


@register(
    "seeded_watershed", family="prompts", title="Seeded watershed", compare=False,
    params=(
        Param("smoothing", "Smoothing (Gaussian sigma, px)", "float", 0.0, 4.0, 0.5,
              help="The colours are smoothed before the gradient is taken, so that noise and fine texture raise "
              "fewer ridges for the object's flooding to stop at."),
        Param("compactness", "Compactness", "float", 0.0, 0.1, 0.001,
              help="0: the classic watershed, the basins meet on the gradient's ridges. Larger: the object and "
              "background grow rounder (skimage's compact watershed), crossing weak edges."),
        _max_side("The default keeps an answer under 0.5 s at 1600 x 1200 px (benchmarks/bench_prompts.py)."),
    ),
    cost=_cost(_watershed_seconds),
)
def seeded_watershed(image: np.ndarray, prompts: Prompts, *, smoothing: float = 1.0, compactness: float = 0.0,
                     max_side: int | None = 800) -> Segmentation:
    """Marker watershed (``skimage.segmentation.watershed``) of the CIELAB Sobel gradient from the prompts' seeds.

    Markers: 2 on the object's seeds (positive clicks and scribbles), 1 on
    the background's (negative ones, and everything outside the box); with
    no background seed and no box, the image's border is background. Both
    flood the gradient until they meet on its ridges, so the mask is the
    region the object's seeds reach first: it holds every positive seed.

    Returns a two-label :class:`Segmentation` (1: the object); ``extras``:
    ``confidence`` None, ``note`` where it worked on a crop or at a reduced
    size, ``background`` where the background marker came from.
    """
    image = _rgb(image)
    prompts = prompts.check(image.shape[:2])
    smoothing = _number(smoothing, "smoothing", 0.0, 50.0)
    compactness = _number(compactness, "compactness", 0.0, 1e6)
    params = {"smoothing": smoothing, "compactness": compactness, "max_side": max_side}
    if not _positive_seeds(prompts):
        raise ValueError("Seeded watershed needs a positive click or scribble on the object")
    with stopwatch() as t:
        win = window(image.shape[:2], prompts, _side(max_side), margin=0.0, min_margin=2)
        _, fg, bg, inside = _work_seeds(win, prompts)
        if not fg.any():
            raise ValueError("Seeded watershed needs a positive click or scribble on the object "
                             "(the positive and negative ones cancel out)")
        markers, source = _markers(fg, bg, inside)
        lab = _lab(win.take(image))
        if smoothing > 0:
            lab = cv2.GaussianBlur(lab, (0, 0), smoothing * win.scale)
        labels = sk_watershed(_gradient(lab), markers, compactness=compactness)
        full = _definite(win.paste(labels == 2) > 0.5, prompts, image.shape[:2])
    note = win.note("Seeded watershed", _watershed_seconds((win.y1 - win.y0, win.x1 - win.x0), params))
    return _answer("seeded_watershed", full, params, t[0], win, confidence=None, note=note, background=source)


# --------------------------------------------------------------------------- random walker


def _walker_seconds(shape: tuple[int, int], p: Mapping[str, Any]) -> float:
    """A direct sparse solve (mode "bf") grows as the pixel count to the power 1.5: 0.13 s at 160 x 120, 0.39 s at
    240 x 180, 0.81 s at 320 x 240, 2.1 s at 400 x 300 (every pixel unmarked: a box's outside costs nothing)."""
    return 0.02 + 50.0 * megapixels(shape) ** 1.5


@register(
    "random_walker", family="prompts", title="Random walker", compare=False,
    params=(
        Param("beta", "Beta (edge sharpness)", "float", 10.0, 500.0, 10.0,
              help="How hard a colour edge is to cross: the larger, the more the walk stays inside uniform "
              "regions. 90 is the value the design notes measured on photos; scikit-image's default is 130."),
        Param("snap", "Snap to edges (the walker's pixels)", "float", 0.0, 5.0, 0.5,
              help="The walker works at a reduced size, so its edge is as coarse as its pixels. Its edge is then "
              "moved onto the image's strongest edge within this many of the walker's pixels (a seeded watershed "
              "of the full-size image in that band): 1.5 is 4 px on a 481 x 321 photo worked at 180 px, 13 px at "
              "1600 x 1200. 0 keeps the walker's own edge, scaled up. 1.5 took the fewest clicks on the "
              "development set at both sizes (docs/interactive.md)."),
        _max_side("A random walker solves a linear system over every unmarked pixel: the default keeps an answer "
                  "under 0.5 s at 1600 x 1200 px (benchmarks/bench_prompts.py)."),
    ),
    cost=_cost(_walker_seconds),
)
def random_walker(image: np.ndarray, prompts: Prompts, *, beta: float = 90.0, snap: float = 1.5,
                  max_side: int | None = 180) -> Segmentation:
    """Random walker segmentation (``skimage.segmentation.random_walker``) from the prompts' seeds, on CIELAB.

    Seeds: the object's (positive clicks and scribbles) and the background's
    (negative ones, everything outside the box; with neither, the image's
    border). Each unmarked pixel gets the probability that a random walk from
    it, slowed at colour edges by ``beta``, reaches an object seed first; the
    mask is where that probability exceeds 0.5 (scaled back by linear
    interpolation when it worked at a reduced size), its edge then snapped
    to the image's within ``snap`` of the walker's pixels, ``snap / scale``
    full-size pixels (:func:`_snapped`). The linear system is
    solved directly (``mode="bf"``): on these images scipy's sparse solve
    beat the Jacobi-preconditioned conjugate gradient many times over.

    Returns a two-label :class:`Segmentation` (1: the object); ``extras``:
    ``confidence`` = the mean object probability inside the mask, ``note``
    where it worked on a crop or at a reduced size.
    """
    image = _rgb(image)
    prompts = prompts.check(image.shape[:2])
    beta = _number(beta, "beta", 0.0, 1e5)
    snap = _number(snap, "snap", 0.0, 100.0)
    params = {"beta": beta, "snap": snap, "max_side": max_side}
    if not _positive_seeds(prompts):
        raise ValueError("Random walker needs a positive click or scribble on the object")
    with stopwatch() as t:
        win = window(image.shape[:2], prompts, _side(max_side), margin=0.0, min_margin=2)
        _, fg, bg, inside = _work_seeds(win, prompts)
        if not fg.any():
            raise ValueError("Random walker needs a positive click or scribble on the object "
                             "(the positive and negative ones cancel out)")
        markers, source = _markers(fg, bg, inside)
        if (markers == 0).any() and (markers == 1).any():
            prob = sk_random_walker(_lab(win.take(image)), markers, beta=beta, mode="bf", channel_axis=-1,
                                    return_full_prob=True)[1]
        else:  # every pixel is a seed, or all unmarked pixels reach only the object: nothing to walk
            prob = (markers != 1).astype(np.float32)
        full_prob = win.paste(prob)
        band = round(snap / win.scale) if snap > 0 else 0  # the walker's pixels, in full-size pixels
        full = _definite(_snapped(image, full_prob > 0.5, prompts, band), prompts, image.shape[:2])
        confidence = float(full_prob[full].mean()) if full.any() else 0.0
    note = win.note("Random walker", _walker_seconds((win.y1 - win.y0, win.x1 - win.x0), params))
    return _answer("random_walker", full, params, t[0], win, confidence=confidence, note=note, background=source)


# --------------------------------------------------------------------------- GrabCut


def _grabcut_seconds(shape: tuple[int, int], p: Mapping[str, Any]) -> float:
    """A little faster than linear in the pixels per iteration, 5 iterations: 0.17 s at 240 x 180, 0.54 s at
    400 x 300, 3.1 s at 640 x 480 (0.66 s at 481 x 321 in the design notes)."""
    mp = megapixels(shape)
    return 0.02 + 1.2 * mp * (1 + 2 * mp) * max(1, int(p["iterations"]))


@register(
    "grabcut", family="prompts", title="GrabCut", compare=False,
    params=(
        Param("iterations", "Iterations", "int", 1, 20, 1,
              help="Rounds of refitting the two colour models and cutting again (OpenCV's iterCount)."),
        Param("band", "Band around positive clicks (share of the short side)", "float", 0.0, 0.5, 0.025,
              help="Pixels this close to a positive click start as probable object, the rest as probable "
              "background (inside a box: all probable object), as a share of the image's short side: 0.125 is "
              "40 px on a 481 x 321 photo, the band the design notes measured there, and 150 px at 1600 x 1200. "
              "A band in pixels left a click on a 1600 px photo a disc too small to model the object's colours."),
        _max_side("GrabCut refits colour models and cuts a graph each iteration: the default keeps an answer "
                  "under 0.5 s at 1600 x 1200 px (benchmarks/bench_prompts.py)."),
    ),
    cost=_cost(_grabcut_seconds),
)
def grabcut(image: np.ndarray, prompts: Prompts, *, iterations: int = 5, band: float = 0.125,
            max_side: int | None = 240) -> Segmentation:
    """GrabCut (``cv2.grabCut``, Rother et al. 2004) from a box and/or clicks and scribbles.

    The starting mask: outside the box definite background, inside it
    probable object; without a box, a disc around each positive click, its
    radius ``band`` times the image's short side, probable object and the
    rest probable background (the protocol measured in the design notes:
    NoC@90 6.8 on 481 x 321 photos, with a 40 px band).
    Clicks and scribbles are definite seeds. Each iteration fits a Gaussian
    mixture of colours to the object and one to the background and cuts the
    graph between them; OpenCV's random generator is seeded first, so the
    same prompts give the same mask.

    Returns a two-label :class:`Segmentation` (1: the object); ``extras``:
    ``confidence`` None (a graph cut has no probability), ``note`` where it
    worked on a crop or at a reduced size.
    """
    image = _rgb(image)
    prompts = prompts.check(image.shape[:2])
    iterations = _number(iterations, "iterations", 1, 100, int)
    band = _number(band, "band", 0.0, 1.0)
    params = {"iterations": iterations, "band": band, "max_side": max_side}
    if prompts.box is None and not _positive_seeds(prompts):
        raise ValueError("GrabCut needs a box or a positive click")
    with stopwatch() as t:
        win = window(image.shape[:2], prompts, _side(max_side))
        wp, fg, bg, inside = _work_seeds(win, prompts)
        mask = np.full(win.run, cv2.GC_PR_BGD, np.uint8)
        if wp.box is not None:
            mask[inside] = cv2.GC_PR_FGD
            mask[~inside] = cv2.GC_BGD
        else:
            radius = round(band * min(win.run))
            for c in wp.positives:
                cv2.circle(mask, (c.x, c.y), radius, cv2.GC_PR_FGD, -1)
        mask[fg] = cv2.GC_FGD
        mask[bg] = cv2.GC_BGD
        if not np.isin(mask, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():  # its background model would have no colour
            raise ValueError("GrabCut needs some background: draw a box smaller than the image, add a negative click "
                             "or narrow the band")
        if not np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).any():
            raise ValueError("GrabCut needs a box or a positive click (the positive and negative ones cancel out)")
        cv2.setRNGSeed(0)  # its colour models start from k-means with OpenCV's random generator
        cv2.grabCut(win.take(image), mask, None, np.zeros((1, 65)), np.zeros((1, 65)), iterations,
                    cv2.GC_INIT_WITH_MASK)
        obj = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
        full = _definite(win.paste(obj) > 0.5, prompts, image.shape[:2])
    note = win.note("GrabCut", _grabcut_seconds((win.y1 - win.y0, win.x1 - win.x0), params))
    return _answer("grabcut", full, params, t[0], win, confidence=None, note=note)


# --------------------------------------------------------------------------- pixel classifier

#: Feature sets offered: which of multiscale_basic_features' groups are on (intensity is always on).
FEATURES = {"intensity": (False, False), "intensity+edges": (True, False), "intensity+edges+texture": (True, True)}


def _classifier_seconds(shape: tuple[int, int], p: Mapping[str, Any]) -> float:
    """Features about 1 s a megapixel a group (intensity, edges, texture), training and prediction about
    50 ms a megapixel and tree: 0.34 s at 320 x 240, 1.35 s at 640 x 480 with the defaults."""
    groups = 1 + sum(FEATURES.get(p["features"], (True, True)))
    return 0.05 + megapixels(shape) * (1.0 * groups + 0.05 * int(p["n_estimators"]))


@register(
    "pixel_classifier", family="prompts", title="Pixel classifier (random forest)", compare=False,
    params=(
        Param("n_estimators", "Trees", "int", 5, 200, 5,
              help="Trees of the random forest (scikit-learn's n_estimators): more give steadier probabilities, "
              "slower."),
        Param("sigma_max", "Largest feature scale (sigma, px)", "float", 1.0, 32.0, 1.0,
              help="Features are computed at Gaussian scales from 1 px up to this (doubling), at the size it works "
              "at: larger scales see wider context, blur edges more."),
        Param("features", "Features", "choice", choices=tuple(FEATURES),
              labels=("intensity", "intensity and edges", "intensity, edges and texture"),
              help="Which of scikit-image's multiscale basic features each pixel is described by, per colour "
              "channel and scale: smoothed intensity, gradient magnitude, and the Hessian's eigenvalues (texture)."),
        _max_side("Features and prediction cost time with every pixel: the default keeps an answer "
                  "under 0.5 s at 1600 x 1200 px (benchmarks/bench_prompts.py)."),
    ),
    cost=_cost(_classifier_seconds),
)
def pixel_classifier(image: np.ndarray, prompts: Prompts, *, n_estimators: int = 20, sigma_max: float = 8.0,
                     features: str = "intensity+edges+texture", max_side: int | None = 320) -> Segmentation:
    """A random forest trained on the scribbles and clicks, predicting every pixel (``skimage.future.fit_segmenter``).

    Each pixel is described by ``skimage.feature.multiscale_basic_features``
    (per RGB channel and Gaussian scale: intensity, edges, texture); a
    scikit-learn ``RandomForestClassifier`` learns object from background
    on the marked pixels (positive clicks and scribbles against negative
    ones; with a box, a thin ring just outside it is background too, and the
    answer stays inside it) and gives every pixel a probability of being the
    object (``predict_proba``). The mask is where it exceeds 0.5, the class
    ``predict_segmenter`` would pick, scaled back by linear interpolation.
    Seeds are not forced into the mask: it shows what the forest learnt.

    Returns a two-label :class:`Segmentation` (1: the object); ``extras``:
    ``confidence`` = the mean object probability inside the mask, ``note``
    where it worked on a crop or at a reduced size, ``n_features``.
    """
    image = _rgb(image)
    prompts = prompts.check(image.shape[:2])
    n_estimators = _number(n_estimators, "n_estimators", 1, 1000, int)
    sigma_max = _number(sigma_max, "sigma_max", 1.0, 256.0)
    if features not in FEATURES:
        raise ValueError(f"features is one of {', '.join(FEATURES)}; got {features!r}")
    # Imported here, before the stopwatch, one thread at a time (segcore.imports): at the module's top they added
    # 1.7 s to every cold start (the registry loads every method), the command line's and each new server's first page.
    fit_segmenter = load("skimage.future").fit_segmenter
    RandomForestClassifier = load("sklearn.ensemble").RandomForestClassifier

    params = {"n_estimators": n_estimators, "sigma_max": sigma_max, "features": features, "max_side": max_side}
    has_negative = prompts.box is not None or prompts.negatives or any(not s.positive for s in prompts.strokes)
    if not (_positive_seeds(prompts) and has_negative):
        raise ValueError("The pixel classifier needs examples of both the object and the background: add a positive "
                         "and a negative click or scribble (or a box: just outside it is background)")
    with stopwatch() as t:
        win = window(image.shape[:2], prompts, _side(max_side), margin=0.1)
        wp, fg, bg, inside = _work_seeds(win, prompts)
        if wp.box is not None:
            ring = cv2.dilate(inside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~inside
            bg |= ring & ~fg
        if not (fg.any() and bg.any()):
            raise ValueError("The pixel classifier needs examples of both the object and the background "
                             "(the positive and negative ones cancel out)")
        training = np.zeros(win.run, np.uint8)
        training[bg] = 1
        training[fg] = 2
        edges, texture = FEATURES[features]
        described = multiscale_basic_features(win.take(image), intensity=True, edges=edges, texture=texture,
                                              sigma_min=1.0, sigma_max=sigma_max, channel_axis=-1)
        forest = RandomForestClassifier(n_estimators=n_estimators, max_depth=10, n_jobs=n_threads(), random_state=0)
        forest = fit_segmenter(training, described, forest)
        prob = np.zeros(win.run, np.float32)
        rows = np.flatnonzero(inside.ravel())
        column = list(forest.classes_).index(2)
        prob.ravel()[rows] = forest.predict_proba(described.reshape(-1, described.shape[-1])[rows])[:, column]
        full_prob = win.paste(prob)
        full = full_prob > 0.5
        if prompts.box is not None:
            full &= _inside_box(image.shape[:2], prompts.box)
        confidence = float(full_prob[full].mean()) if full.any() else 0.0
    note = win.note("The pixel classifier", _classifier_seconds((win.y1 - win.y0, win.x1 - win.x0), params))
    return _answer("pixel_classifier", full, params, t[0], win, confidence=confidence, note=note,
                   n_features=int(described.shape[-1]))
