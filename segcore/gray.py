"""Grayscale as the article computes it."""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2gray

from segcore.parallel import map_rows


def to_gray(image: np.ndarray) -> np.ndarray:
    """Return the article's grayscale: ``skimage.color.rgb2gray(image)``.

    A float64 (H, W) array in [0, 1] (ITU-R 709 luma weights). A 2-D input is
    taken as already gray and scaled to [0, 1] when it is uint8. Large images
    are converted in row bands on every core (:mod:`segcore.parallel`); each
    pixel's value is the same as from one ``rgb2gray`` call.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        return arr.astype(np.float64) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float64)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {arr.shape}")
    return map_rows(rgb2gray, arr)


def gray_histogram(gray: np.ndarray, bins: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Return (counts, bin_edges) of gray values over [0, 1] with ``bins`` bins.

    Pages plot this small summary instead of shipping every pixel to the browser.
    """
    counts, edges = np.histogram(gray, bins=bins, range=(0.0, 1.0))
    return counts, edges
