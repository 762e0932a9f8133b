"""Grayscale as the article computes it."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from skimage.color import rgb2gray

from segcore.fast import histogram
from segcore.fast.parallel import each_band, map_rows

#: Pixels per block when converting to gray: the float64 temporaries stay in cache.
GRAY_BLOCK = 1 << 16


def to_gray(image: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Return the article's grayscale: ``skimage.color.rgb2gray(image)``.

    A float64 (H, W) array in [0, 1] (ITU-R 709 luma weights); with
    ``dtype=np.float32``, the same values rounded to float32 (as
    ``.astype(np.float32)`` rounds them), without the float64 copy. A 2-D
    input is taken as already gray and scaled to [0, 1] when it is uint8.

    Large images are converted in row bands on every core
    (:mod:`segcore.fast.parallel`), each band a few rows at a time
    (:data:`GRAY_BLOCK` pixels): ``rgb2gray`` makes a float64 copy of all
    three channels first, 46 MB for a 2 MP image, and converting in blocks
    whose copies stay in cache takes half the time (8 against 17 ms on one
    core). Each pixel's value is the same as from one ``rgb2gray`` call.

    The gray of the last read-only image over read-only memory (the working
    image) is kept and returned read-only to the next caller asking for the
    same image and dtype, without converting again.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        gray = arr.astype(np.float64) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float64)
        return gray if dtype == np.float64 else gray.astype(dtype)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {arr.shape}")
    key = _frozen_key(arr, dtype) if arr.shape[0] * arr.shape[1] >= KEEP_MIN_PIXELS else None
    if key is not None:
        with _kept_lock:
            entry = _kept.get(key)
            if entry is not None:
                _kept.move_to_end(key)
                return entry[1]
    gray = map_rows(lambda rgb: _rgb2gray_in_blocks(rgb, dtype), arr)
    if key is not None:
        gray.setflags(write=False)  # shared by the next callers: nobody may change it
        with _kept_lock:
            _kept[key] = (arr, gray, {})  # {}: its histograms by bin count
            while len(_kept) > KEEP_ENTRIES:
                _kept.popitem(last=False)
    return gray


#: Grays kept (the working image's float64 and float32), each with its image so that the image's
#: id cannot be reused while the entry lives. The compare page runs twelve threshold methods on one
#: image: each converted it again (12-20 ms at 1600 x 1200) before this. Smaller arrays (the edge
#: methods' row blocks among them) are converted as asked.
KEEP_ENTRIES = 2
KEEP_MIN_PIXELS = 1 << 18
_kept: OrderedDict = OrderedDict()
_kept_lock = threading.Lock()


def _kept_entry(values: np.ndarray) -> tuple | None:
    """The kept (image, gray, histograms) entry whose gray is ``values`` itself, if any."""
    for entry in _kept.values():
        if entry[1] is values:
            return entry
    return None


def _frozen_key(arr: np.ndarray, dtype) -> tuple | None:
    """A key for ``arr`` if no one can change its pixels (read-only, over read-only memory), else None.

    The working image of the dashboard (:class:`segcore.io.loading.LoadedImage`) is such an array.
    """
    if arr.flags.writeable:
        return None
    base = arr.base
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return None
        base = base.base
    if base is not None and not isinstance(base, bytes):
        return None  # a buffer we cannot vouch for (bytearray, mmap, ...)
    return (id(arr), arr.__array_interface__["data"][0], arr.shape, arr.strides, arr.dtype.str, np.dtype(dtype).str)


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
    combined. The counting is :func:`segcore.fast.histogram.counts`, numpy's
    counts in about half its time. Returns None for a constant image, where scikit-image's
    threshold functions take a shortcut that a histogram does not show.
    scikit-image's ``threshold_*(hist=...)`` functions take the result
    (:func:`threshold_from_histogram`).
    """
    values = np.asarray(values)
    with _kept_lock:  # a kept gray's histogram is kept beside it (the threshold methods each ask)
        entry = _kept_entry(values)
        if entry is not None and nbins in entry[2]:
            return entry[2][nbins]
    hist = _image_histogram(values, nbins)
    if entry is not None:
        with _kept_lock:
            entry[2][nbins] = hist
    return hist


def _image_histogram(values: np.ndarray, nbins: int) -> tuple[np.ndarray, np.ndarray] | None:
    ends = each_band(lambda b: (values[b.own].min(), values[b.own].max()), values.shape)
    lo, hi = min(e[0] for e in ends), max(e[1] for e in ends)
    if lo == hi:
        return None
    parts = each_band(lambda b: histogram.counts(values[b.own], nbins, lo, hi), values.shape)
    counts = np.sum(parts, axis=0)
    edges = histogram.bin_edges(values, nbins, lo, hi)
    return counts, (edges[:-1] + edges[1:]) / 2.0


def threshold_from_histogram(func, values: np.ndarray, *, scalar: bool = True):
    """``func(values)`` for a scikit-image threshold that takes ``hist=``: the same value, the histogram on every core.

    scikit-image histograms the values on one core (about a third of such a
    threshold's time on 2 million pixels); :func:`image_histogram` gives it the
    same counts, computed once per working image for every threshold that asks.
    A constant image goes to ``func`` itself, which has a shortcut for it (or
    says why it finds no threshold). Returns a float, or with ``scalar=False``
    what ``func`` returns (multi-Otsu's array of thresholds).
    """
    hist = image_histogram(values)
    out = func(values) if hist is None else func(hist=hist)
    return float(out) if scalar else out
