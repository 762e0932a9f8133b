"""``skimage.feature.canny`` in row bands on every core, from public calls only.

scikit-image's Canny runs on one core: a Gaussian (``scipy.ndimage.gaussian_filter``),
two Sobel filters (``scipy.ndimage.sobel``), the gradient magnitude, a non-maximum
suppression that interpolates the magnitude across the edge (compiled, not public),
then hysteresis (``scipy.ndimage.label`` of the thinned weak edges, keeping the
components that hold a strong one). :func:`canny` computes the same steps:

1. in row bands (:mod:`segcore.fast.parallel`), and within a band in tiles of
   :data:`TILE_ROWS` rows, each reading ``4 sigma + 2`` rows beyond its own, so
   that its own rows' smoothing, gradients and magnitudes are those of the whole
   image (each output row of a 1-D filter reads its own neighbourhood only): the
   smoothing is scikit-image's call, the Sobel filters :func:`sobel` (ndimage's
   arithmetic on array slices);
2. the non-maximum suppression in numpy, on the pixels whose magnitude reaches the
   low threshold only, with scikit-image's arithmetic: the neighbours' weight
   ``w = min(|gi|, |gj|) / max(|gi|, |gj|)`` in the image's precision,
   ``n2 * w + n1 * (1.0 - w)`` in double, compared with the pixel's magnitude;
3. hysteresis over the whole image at once (edges cross the bands): the
   8-connected components of the thinned edges (``cv2.connectedComponents``; their
   numbering does not matter here), kept where one of their pixels reaches the
   high threshold.

The result is scikit-image's, pixel for pixel (tests/test_fast_canny.py, on the
shipped photos at several sizes, sigmas, thresholds and border modes).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage import feature

from segcore.fast.parallel import bands, run_all

__all__ = ["canny"]

#: Rows filtered and thinned at a time: few enough that a tile's arrays stay in the CPU's cache.
TILE_ROWS = 128
#: scikit-image's Gaussian reads ``truncate * sigma`` pixels each side (``skimage.filters.gaussian``).
TRUNCATE = 4.0


def canny(gray: np.ndarray, sigma: float = 1.0, low_threshold: float = 0.1, high_threshold: float = 0.2, *,
          mode: str = "constant") -> np.ndarray:
    """Return ``skimage.feature.canny(gray, sigma, low_threshold, high_threshold, mode=mode)``.

    Parameters are scikit-image's for a float image (thresholds on the gradient magnitude of the
    smoothed image, ``cval`` 0). Returns the same (H, W) bool edge map, computed in row bands on
    every core. A 'wrap' border (the top rows read the bottom ones), an image that is not a 2-D
    float32 or float64 array and ``low_threshold > high_threshold`` go to scikit-image itself.
    """
    gray = np.asarray(gray)
    low, high = float(low_threshold), float(high_threshold)
    if mode == "wrap" or gray.ndim != 2 or gray.dtype not in (np.float32, np.float64) or low > high \
            or min(gray.shape) < 3 or not sigma >= 0:
        return feature.canny(gray, sigma, low, high, mode=mode)
    height, width = gray.shape
    # scikit-image's suppression takes its low threshold as a C float, and 0 as "above 0"; the
    # thinned magnitudes (gray's dtype) are compared with the high threshold in that dtype.
    low_f, high_t = np.float32(low), gray.dtype.type(high)
    if low_f == 0:
        low_f = np.float32(1e-14)
    halo = int(TRUNCATE * float(sigma) + 0.5) + 2
    step = max(TILE_ROWS, 4 * halo)

    def band(b) -> list[tuple[np.ndarray, np.ndarray]]:
        found = []
        for top in range(b.start, b.stop, step):
            bottom = min(top + step, b.stop)
            lo, hi = max(top - halo, 0), min(bottom + halo, height)
            gi, gj = sobel(_smoothed(gray[lo:hi], sigma, mode))
            magnitude = gi * gi
            magnitude += gj * gj
            np.sqrt(magnitude, out=magnitude)
            # the tile's own rows, the image's first and last rows left out (scikit-image's eroded mask)
            first, last = max(top, 1), min(bottom, height - 1)
            if first < last:
                at, strong = _suppress(gi, gj, magnitude, low_f, high_t, first - lo, last - lo)
                found.append((at.astype(np.intp) + lo * width, strong))
        return found

    parts = [p for found in run_all(band, bands(height, width)) for p in found]
    at = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.intp)
    if at.size == 0:
        return np.zeros((height, width), bool)
    strong = np.concatenate([p[1] for p in parts])
    thin = np.zeros((height, width), bool)
    thin.ravel()[at] = True
    count, labels = cv2.connectedComponents(thin.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    component = labels.ravel().take(at)
    keep = np.zeros(count, bool)
    keep[component[strong]] = True  # the components holding a strong edge pixel
    edges = np.zeros((height, width), bool)
    edges.ravel()[at[keep.take(component)]] = True
    return edges


def _smoothed(gray: np.ndarray, sigma: float, mode: str) -> np.ndarray:
    """``skimage.filters.gaussian(gray, sigma, mode=mode, preserve_range=False)``, as canny smooths.

    With ``mode='constant'`` canny divides by the smoothing of an image of ones (plus the dtype's
    epsilon), the share of each pixel's weights that fell inside the image.
    """
    smoothed = ndi.gaussian_filter(gray, sigma, mode=mode, cval=0.0, truncate=TRUNCATE)
    if mode == "constant":
        ones = np.ones(gray.shape, gray.dtype)
        smoothed /= ndi.gaussian_filter(ones, sigma, mode=mode, cval=0.0, truncate=TRUNCATE) \
            + np.finfo(gray.dtype).eps
    return smoothed


def sobel(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ndimage.sobel(image, axis=0), ndimage.sobel(image, axis=1))``, the same values, from array slices.

    ndimage filters each axis in turn, in double precision, and rounds each pass to the image's
    dtype: the difference ``[-1, 0, 1]`` (``c - a``: exact in double, so rounded once), then the
    smoothing ``[1, 2, 1]`` across, which it adds as ``2 b + (a + c)``. The same operations on
    slices of the image, padded by its edge pixels (ndimage's 'reflect'), in the same order and
    precision, give the same numbers (tested) with fewer passes over memory.
    """
    dtype = image.dtype
    padded = np.pad(image, 1, mode="symmetric")
    out = []
    for diff in (padded[2:] - padded[:-2], padded[:, 2:] - padded[:, :-2]):  # along axis 0, then axis 1
        d = diff.astype(np.float64)
        if diff.shape[0] == image.shape[0]:  # differenced down the rows: smooth along them
            total = d[:, :-2] + d[:, 2:]
            total += 2.0 * d[:, 1:-1]
        else:
            total = d[:-2] + d[2:]
            total += 2.0 * d[1:-1]
        out.append(total.astype(dtype, copy=False))
    return out[0], out[1]


def _suppress(gi, gj, magnitude, low, high, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
    """The local maxima across the edge in rows ``r0:r1`` (columns 1 to W-2): (flat indices, which are strong).

    A pixel at or above ``low`` survives when its magnitude is at least the magnitude interpolated
    at both of its neighbours along the gradient: on each side, the two pixels that straddle the
    gradient's direction (an axial one and a diagonal one), weighted by the tangent of its angle.
    Strong: its magnitude is at least ``high``.
    """
    width = magnitude.shape[1]
    candidates = magnitude[r0:r1] >= low
    candidates[:, 0] = candidates[:, -1] = False
    index = np.intp if magnitude.size >= 2**31 else np.int32
    at = np.flatnonzero(candidates).astype(index)
    at += index(r0 * width)
    flat = magnitude.ravel()
    i, j, m = gi.ravel().take(at), gj.ravel().take(at), flat.take(at)
    abs_i, abs_j = np.abs(i), np.abs(j)
    # Gradient down-right or up-left: the neighbours lie on the main diagonal, one row down (up on the
    # other side); else on the other diagonal, one row up. The axial neighbour is above/below where
    # |gi| dominates, else beside. (scikit-image breaks a tie |gi| == |gj| by the signs; there the
    # weight is 1 and the axial neighbour counts 0 times, so either gives the same value.)
    vertical = np.where((i > 0) == (j > 0), index(width), index(-width))
    axial = np.where(abs_i > abs_j, vertical, index(1))
    diagonal = vertical
    diagonal += index(1)
    w = np.minimum(abs_i, abs_j)
    w /= np.maximum(abs_i, abs_j)
    rest = 1.0 - w.astype(np.float64)
    m64 = m.astype(np.float64)
    keep = None
    for near, far in ((at + axial, at + diagonal), (at - axial, at - diagonal)):
        beyond = flat.take(far)
        beyond *= w  # in the image's precision, then the sum in double, as scikit-image adds them
        interpolated = beyond.astype(np.float64)
        interpolated += flat.take(near) * rest
        ok = interpolated <= m64
        keep = ok if keep is None else np.logical_and(keep, ok, out=keep)
    kept = np.flatnonzero(keep)
    return at.take(kept), m.take(kept) >= high
