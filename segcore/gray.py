"""Grayscale as the article computes it."""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2gray

from segcore import histogram
from segcore.parallel import each_band, map_rows


#: Pixels per block when converting to gray: the float64 temporaries stay in cache.
GRAY_BLOCK = 1 << 16


def to_gray(image: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Return the article's grayscale: ``skimage.color.rgb2gray(image)``.

    A float64 (H, W) array in [0, 1] (ITU-R 709 luma weights); with
    ``dtype=np.float32``, the same values rounded to float32 (as
    ``.astype(np.float32)`` rounds them), without the float64 copy. A 2-D
    input is taken as already gray and scaled to [0, 1] when it is uint8.

    Large images are converted in row bands on every core
    (:mod:`segcore.parallel`), each band a few rows at a time
    (:data:`GRAY_BLOCK` pixels): ``rgb2gray`` makes a float64 copy of all
    three channels first, 46 MB for a 2 MP image, and converting in blocks
    whose copies stay in cache takes half the time (8 against 17 ms on one
    core). Each pixel's value is the same as from one ``rgb2gray`` call.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        gray = arr.astype(np.float64) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float64)
        return gray if dtype == np.float64 else gray.astype(dtype)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {arr.shape}")
    return map_rows(lambda rgb: _rgb2gray_in_blocks(rgb, dtype), arr)


def _rgb2gray_in_blocks(rgb: np.ndarray, dtype) -> np.ndarray:
    """``rgb2gray(rgb).astype(dtype)``, a few rows at a time."""
    h, w = rgb.shape[:2]
    out = np.empty((h, w), dtype)
    step = max(1, GRAY_BLOCK // max(w, 1))
    for s in range(0, h, step):
        out[s : s + step] = rgb2gray(rgb[s : s + step])
    return out


def gray_histogram(gray: np.ndarray, bins: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Return (counts, bin_edges) of gray values over [0, 1] with ``bins`` bins.

    Pages plot this small summary instead of shipping every pixel to the browser.
    """
    counts, edges = np.histogram(gray, bins=bins, range=(0.0, 1.0))
    return counts, edges


def image_histogram(values: np.ndarray, nbins: int = 256) -> tuple[np.ndarray, np.ndarray] | None:
    """``skimage.exposure.histogram(values, nbins)`` of a float image, taken in row bands on every core.

    Returns ``(counts, bin_centers)`` over the values' own range, exactly as
    scikit-image computes them (``np.histogram`` over [min, max]): every
    value falls in the same bin when the bands' minima, maxima and counts are
    combined. The counting is :func:`segcore.histogram.counts`, numpy's
    counts in about half its time. Returns None for a constant image, where scikit-image's
    threshold functions take a shortcut that a histogram does not show.
    scikit-image's ``threshold_*(hist=...)`` functions take the result
    (:func:`threshold_from_histogram`).
    """
    values = np.asarray(values)
    ends = each_band(lambda b: (values[b.own].min(), values[b.own].max()), values.shape)
    lo, hi = min(e[0] for e in ends), max(e[1] for e in ends)
    if lo == hi:
        return None
    parts = each_band(lambda b: histogram.counts(values[b.own], nbins, lo, hi), values.shape)
    counts = np.sum(parts, axis=0)
    edges = histogram.bin_edges(values, nbins, lo, hi)
    return counts, (edges[:-1] + edges[1:]) / 2.0


def threshold_from_histogram(func, values: np.ndarray) -> float:
    """``func(values)`` for a scikit-image threshold that takes ``hist=``: the same value, the histogram on every core.

    scikit-image histograms the values on one core (about a third of such a
    threshold's time on 2 million pixels); :func:`image_histogram` gives it the
    same counts. A constant image goes to ``func`` itself, which has a
    shortcut for it.
    """
    hist = image_histogram(values)
    return func(values) if hist is None else func(hist=hist)
