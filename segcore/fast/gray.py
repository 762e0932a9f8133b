"""The article's grayscale and CIELAB, converted once per working image, and the gray's histogram, counted once.

The compare page runs a dozen threshold methods and six edge methods on one
image: each would convert it to gray again (``skimage.color.rgb2gray``) and
the histogram thresholds would each count the same histogram. The working
image of the dashboard (:class:`segcore.io.loading.LoadedImage`) is read-only,
so its gray, and that gray's histogram, can be kept and handed to the next
caller. Both are the library's own values: a kept gray is ``rgb2gray(image)``,
a kept histogram ``skimage.exposure.histogram(gray, 256)``, which is what
scikit-image's ``threshold_*(image)`` functions count themselves. The same
holds for ``skimage.color.rgb2lab`` (:func:`to_lab`), which k-means and the
Gaussian mixture in CIELAB would otherwise convert again at every change of k.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from skimage.color import rgb2gray, rgb2lab
from skimage.exposure import histogram

#: Conversions kept (the working image's float64 and float32 gray, its Lab), each with its image, so
#: that the image's id cannot be reused while the entry lives; smaller images are converted as asked.
KEEP_ENTRIES = 3
KEEP_MIN_PIXELS = 1 << 18
_kept: OrderedDict = OrderedDict()
_kept_lock = threading.Lock()


def to_gray(image: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Return the article's grayscale: ``skimage.color.rgb2gray(image)``, as ``dtype``.

    A float (H, W) array in [0, 1] (ITU-R 709 luma weights). A 2-D input is
    taken as already gray and scaled to [0, 1] when it is uint8. The gray of a
    read-only image over read-only memory (the working image) is kept and
    returned, read-only, to the next caller asking for the same image and dtype.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        gray = arr.astype(np.float64) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float64)
        return gray if dtype == np.float64 else gray.astype(dtype)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {arr.shape}")
    return _kept_conversion(arr, np.dtype(dtype).str, lambda: rgb2gray(arr).astype(dtype, copy=False))


def to_lab(image: np.ndarray) -> np.ndarray:
    """Return ``skimage.color.rgb2lab(image)`` (float64, D65); kept, read-only, for a read-only working image."""
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {arr.shape}")
    return _kept_conversion(arr, "lab", lambda: rgb2lab(arr))


def _kept_conversion(arr: np.ndarray, kind: str, convert) -> np.ndarray:
    """``convert()`` of the (H, W, 3) ``arr``; kept under ``kind`` and returned read-only when ``arr`` is frozen.

    Small images are converted as asked; the entry holds ``arr`` too, so its id cannot be reused
    while the entry lives, and a dict for what is derived from the conversion (its histogram).
    """
    key = _frozen_key(arr, kind) if arr.shape[0] * arr.shape[1] >= KEEP_MIN_PIXELS else None
    if key is not None:
        with _kept_lock:
            entry = _kept.get(key)
            if entry is not None:
                _kept.move_to_end(key)
                return entry[1]
    out = convert()
    if key is not None:
        out.setflags(write=False)  # shared by the next callers: nobody may change it
        with _kept_lock:
            _kept[key] = (arr, out, {})
            while len(_kept) > KEEP_ENTRIES:
                _kept.popitem(last=False)
    return out


def _frozen_key(arr: np.ndarray, kind: str) -> tuple | None:
    """A key for ``arr`` if no one can change its pixels (read-only, over read-only memory), else None."""
    if arr.flags.writeable:
        return None
    base = arr.base
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return None
        base = base.base
    if base is not None and not isinstance(base, bytes):
        return None  # a buffer we cannot vouch for (bytearray, mmap, ...)
    return (id(arr), arr.__array_interface__["data"][0], arr.shape, arr.strides, arr.dtype.str, kind)


def gray_histogram(gray: np.ndarray, bins: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Return (counts, bin_edges) of gray values over [0, 1] with ``bins`` bins.

    Pages plot this small summary instead of shipping every pixel to the browser.
    """
    return np.histogram(gray, bins=bins, range=(0.0, 1.0))


def threshold_from_histogram(func, values: np.ndarray, *, scalar: bool = True):
    """``func(values)`` for a scikit-image threshold that takes ``hist=``, from the histogram it would count.

    ``func(hist=skimage.exposure.histogram(values, 256))`` is ``func(values)``
    (scikit-image counts that same histogram inside); the histogram of a kept
    gray (:func:`to_gray`) is counted once for every threshold that asks. A
    constant image goes to ``func`` itself, which has a shortcut for it (or
    says why it finds no threshold). Returns a float, or with ``scalar=False``
    what ``func`` returns (multi-Otsu's array of thresholds).
    """
    values = np.asarray(values)
    if values.size == 0 or values.min() == values.max():
        out = func(values)
    else:
        out = func(hist=_histogram(values))
    return float(out) if scalar else out


def _histogram(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with _kept_lock:
        entry = next((e for e in _kept.values() if e[1] is values), None)
        if entry is not None and "hist" in entry[2]:
            return entry[2]["hist"]
    hist = histogram(values, nbins=256, source_range="image")
    if entry is not None:
        with _kept_lock:
            entry[2]["hist"] = hist
    return hist
