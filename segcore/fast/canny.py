"""Canny's edge mask, ``skimage.feature.canny``'s, computed in row bands on every core.

scikit-image's Canny runs on one core: about 100 ms at 1600 x 1200, so
that with the gray and the regions the Canny method missed its 100 ms target
(docs/benchmarks.md) without this. Its steps are scikit-image's, in public calls:
Gaussian smoothing (``skimage.filters.gaussian``), ``ndimage.sobel`` both
ways, the gradient magnitude, non-maximum suppression, then hysteresis
(weak edges kept where 8-connected to a strong one). All but the last are
local, so they run in row bands that read ``4 sigma + 2`` rows beyond their
own; the hysteresis labels the whole image once. Non-maximum suppression is
the one step scikit-image keeps private: :func:`nonmaximum_suppression`
states its rule (interpolating the magnitude at the two neighbours along the
gradient) in array operations, with scikit-image's arithmetic. The mask is
tested equal to ``feature.canny`` pixel for pixel on photos and noise.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
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
    return good[labels]


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
    return nonmaximum_suppression(isobel, jsobel, magnitude, low)


def nonmaximum_suppression(isobel: np.ndarray, jsobel: np.ndarray, magnitude: np.ndarray, low: float) -> np.ndarray:
    """Canny's non-maximum suppression: ``magnitude`` where it is a maximum along the gradient and ``>= low``, else 0.

    A pixel (not on the array's outer rows and columns) survives when its
    magnitude is at least the magnitude interpolated linearly between the two
    neighbours on each side along the gradient direction, as scikit-image's
    bilinear rule computes it: the weight ``w`` in the arrays' precision, the
    interpolation in double precision.
    """
    rows, cols = magnitude.shape
    out = np.zeros_like(magnitude)
    threshold = np.float32(low) if low else np.float32(1e-14)  # scikit-image takes it as a C float
    cand = magnitude >= threshold
    cand[[0, -1], :] = False
    cand[:, [0, -1]] = False
    idx = np.flatnonzero(cand)
    if idx.size == 0:
        return out
    i, j, m = isobel.ravel()[idx], jsobel.ravel()[idx], magnitude.ravel()[idx]
    ai, aj = np.abs(i), np.abs(j)
    same = (i > 0) == (j > 0)  # both gradients positive, or both not: the first diagonal
    steep = np.where(same, ai > aj, ai >= aj)  # the gradient closer to the rows' axis
    w = np.where(steep, aj, ai) / np.where(steep, ai, aj)
    # The neighbours as flat offsets: beside the pixel (n1) and diagonal to it (n1d) on one side of
    # the gradient's line, n2 and n2d on the other.
    down, right = cols, 1
    diag = np.where(same, down + right, right - down)
    along = np.where(steep, np.where(same, down, -down), right)
    flat = magnitude.ravel()
    n1, n1d, n2, n2d = flat[idx + along], flat[idx + diag], flat[idx - along], flat[idx - diag]
    w64 = 1.0 - w.astype(np.float64)
    m64 = m.astype(np.float64)
    keep = ((n1d * w).astype(np.float64) + n1.astype(np.float64) * w64 <= m64) & (
        (n2d * w).astype(np.float64) + n2.astype(np.float64) * w64 <= m64
    )
    out.ravel()[idx[keep]] = m[keep]
    return out
