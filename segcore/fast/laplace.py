"""``scipy.ndimage.gaussian_laplace`` for a float32 gray, as OpenCV's separable filter with ndimage's kernels.

ndimage computes the Laplacian of Gaussian as two separable filters, the second derivative
of the Gaussian down the rows times the Gaussian across, plus the same the other way round,
each pass in double precision and rounded to float32. OpenCV's ``sepFilter2D`` applies the
same two pairs of kernels (ndimage's own weights, read from ``gaussian_filter1d`` of a unit
impulse) with the same border rule, summing in float32. The values are ndimage's to within a
few millionths of the largest response, not bit for bit (tested on the shipped photos at
several sigmas and borders, with the edge regions they give).
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
from scipy import ndimage as ndi

__all__ = ["gaussian_laplace"]

#: ndimage's border modes by OpenCV's names ('wrap' has none: ndimage computes it).
BORDERS = {
    "reflect": cv2.BORDER_REFLECT,
    "mirror": cv2.BORDER_REFLECT_101,
    "nearest": cv2.BORDER_REPLICATE,
    "constant": cv2.BORDER_CONSTANT,
}
#: ndimage's Gaussian reads ``truncate * sigma`` pixels each side.
TRUNCATE = 4.0


def gaussian_laplace(gray: np.ndarray, sigma: float, *, mode: str = "reflect") -> np.ndarray:
    """``scipy.ndimage.gaussian_laplace(gray, sigma, mode=mode)`` of a 2-D float32 image, as float32.

    Within a few millionths of the largest absolute response of ndimage's result (ndimage's
    ``cval`` 0 for 'constant'). Another dtype, another dimension or 'wrap' go to ndimage itself,
    and so does a constant image: ndimage gives every pixel of it the same (near-zero) response,
    where float32 sums in different orders at the borders and inside would differ in their last
    bits, and an edge threshold between such values cannot be placed.
    """
    gray = np.asarray(gray)
    if gray.dtype != np.float32 or gray.ndim != 2 or mode not in BORDERS or min(gray.shape) == 0 \
            or gray.min() == gray.max():
        return ndi.gaussian_laplace(gray, sigma, mode=mode)
    smooth, second = _kernels(float(sigma))
    border = BORDERS[mode]
    # sepFilter2D(src, depth, kernel along a row, kernel down a column)
    out = cv2.sepFilter2D(gray, cv2.CV_32F, smooth, second, borderType=border)
    out += cv2.sepFilter2D(gray, cv2.CV_32F, second, smooth, borderType=border)
    return out


@functools.lru_cache(maxsize=16)
def _kernels(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """ndimage's 1-D Gaussian and its second derivative for ``sigma``, as correlation weights (float32).

    ``gaussian_filter1d`` of a unit impulse, read backwards (a filter's response to an impulse
    is its kernel flipped), holds the weights ndimage correlates with.
    """
    radius = int(TRUNCATE * sigma + 0.5)
    impulse = np.zeros(2 * radius + 1)
    impulse[radius] = 1.0
    weights = []
    for order in (0, 2):
        w = ndi.gaussian_filter1d(impulse, sigma, order=order, mode="constant", truncate=TRUNCATE)[::-1]
        w = w.astype(np.float32)
        w.setflags(write=False)  # kept for the next call: nobody may change it
        weights.append(w)
    return weights[0], weights[1]
