"""Canny's edge mask, ``skimage.feature.canny``'s, computed in row bands on every core.

scikit-image's Canny runs on one core: about 100 ms at 1600 x 1200, so
that with the gray and the regions the Canny method missed its 100 ms target
(docs/benchmarks.md) without this. Its steps are scikit-image's, in public calls:
Gaussian smoothing (``skimage.filters.gaussian``), ``ndimage.sobel`` both
ways, the gradient magnitude, non-maximum suppression, then hysteresis
(weak edges kept where 8-connected to a strong one). All but the last are
local, so they run in row bands that read ``4 sigma + 2`` rows beyond their
own; the hysteresis labels the whole image once. The mask is tested equal to
``feature.canny`` pixel for pixel on photos and noise, in every border mode,
so a scikit-image upgrade that changes a step fails a test rather than the page.

Non-maximum suppression is the one step scikit-image keeps private
(``skimage.feature._canny_cy._nonmaximum_suppression_bilinear``), and the one
private name this module calls: stated in numpy array operations with the
same arithmetic it took 110-127 ms at 1600 x 1200 against about 15 ms, and
that version made the banded Canny no faster than ``feature.canny`` itself
(both about 137 ms on 2 cores, the method's target is 100 ms); with the
private function the mask takes 55-80 ms (measured 2026-12-07, issue 20).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.feature._canny_cy import _nonmaximum_suppression_bilinear  # noqa: PLC2701 - see the module notes
from skimage.filters import gaussian

from segcore.fast.parallel import Band, bands, run_all


def canny_mask(gray: np.ndarray, sigma: float, low: float, high: float, mode: str) -> np.ndarray:
    """``skimage.feature.canny(gray, sigma, low, high, mode=mode)`` for a 2-D float gray: the same bool mask."""
    gray = np.asarray(gray)
    halo = int(4.0 * float(sigma) + 0.5) + 2  # the Gaussian's reach (scipy's radius), then Sobel's and NMS's row
    cut = bands(*gray.shape, halo=halo, n=1 if mode == "wrap" else None)  # 'wrap' reads the far rows: whole

    def band(b: Band) -> tuple[np.ndarray, np.ndarray]:
        nms = _suppressed(gray[b.read], sigma, low, mode)[b.keep]
        weak = nms > 0
        return weak, weak & (nms >= high)

    parts = run_all(band, cut)
    weak = np.concatenate([p[0] for p in parts])
    strong = np.concatenate([p[1] for p in parts])
    labels, count = ndi.label(weak, np.ones((3, 3), bool))
    if count == 0:
        return weak
    good = np.zeros(count + 1, bool)
    good[np.unique(labels[strong])] = True
    good[0] = False
    return np.take(good, labels)


def _suppressed(gray: np.ndarray, sigma: float, low: float, mode: str) -> np.ndarray:
    """The gradient magnitude of the smoothed ``gray`` where it survives non-maximum suppression and ``low``, else 0."""
    smoothed = gaussian(gray, sigma=sigma, mode=mode, cval=0.0, preserve_range=False)
    if mode == "constant":  # scikit-image rescales the smoothing by the share of the kernel inside the image
        dtype = smoothed.dtype
        smoothed /= gaussian(np.ones(gray.shape, dtype), sigma=sigma, mode=mode, cval=0.0) + np.finfo(dtype).eps
    jsobel = ndi.sobel(smoothed, axis=1)
    isobel = ndi.sobel(smoothed, axis=0)
    magnitude = isobel * isobel
    magnitude += jsobel * jsobel
    np.sqrt(magnitude, out=magnitude)
    eroded = np.ones(gray.shape, bool)  # scikit-image leaves the outer rows and columns out
    eroded[[0, -1], :] = False
    eroded[:, [0, -1]] = False
    return _nonmaximum_suppression_bilinear(isobel, jsobel, magnitude, eroded, low)
