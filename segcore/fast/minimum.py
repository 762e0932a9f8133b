"""``skimage.filters.threshold_minimum`` from a histogram, its peaks counted by numpy.

scikit-image smooths the histogram (``scipy.ndimage.uniform_filter1d``, size 3) until it has
fewer than three peaks, and after each smoothing walks the 256 bins in a Python loop to count
them: on a photo's histogram that loop takes most of the time. :func:`threshold_minimum`
makes the same smoothing calls and finds the same peaks with array operations (tested equal,
errors included, on the shipped photos).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage import filters

__all__ = ["threshold_minimum"]


def threshold_minimum(image=None, nbins: int = 256, max_num_iter: int = 10000, *, hist=None) -> float:
    """Return ``skimage.filters.threshold_minimum(image, nbins, max_num_iter, hist=hist)``.

    With ``hist`` ((counts, bin_centers), as ``skimage.exposure.histogram`` returns it) the
    threshold is found here; without it scikit-image counts the image itself. Raises
    scikit-image's RuntimeError where it finds no two peaks or runs out of iterations.
    """
    if hist is None:
        return filters.threshold_minimum(image, nbins, max_num_iter)
    counts, centers = hist if isinstance(hist, (tuple, list)) else (hist, np.arange(np.asarray(hist).size))
    counts, centers = np.asarray(counts), np.asarray(centers)
    if counts[0] == 0 or counts[-1] == 0:  # scikit-image trims the empty bins at both ends
        filled = counts > 0
        start, end = np.argmax(filled), filled.size - np.argmax(filled[::-1])
        counts, centers = counts[start:end], centers[start:end]
    smooth = counts.astype(np.float32, copy=False)
    peaks = np.zeros(0, np.intp)
    counter = 0
    for counter in range(max_num_iter):
        smooth = ndi.uniform_filter1d(smooth, 3)
        peaks = _peaks(smooth)
        if len(peaks) < 3:
            break
    if len(peaks) != 2:
        raise RuntimeError("Unable to find two maxima in histogram")
    if counter == max_num_iter - 1:
        raise RuntimeError("Maximum iteration reached for histogram" "smoothing")
    lowest = np.argmin(smooth[peaks[0] : peaks[1] + 1])
    return centers[peaks[0] + lowest]


def _peaks(hist: np.ndarray) -> np.ndarray:
    """The bins where ``hist`` turns from rising (or flat from the start) to falling: scikit-image's maxima.

    scikit-image walks the bins with a direction, rising at first: a bin followed by a lower one
    is a peak when the direction is rising (it then falls), a bin followed by a higher one makes
    it rise again, equal neighbours keep it. So a peak is a fall whose previous rise-or-fall was
    a rise, or which comes before any.
    """
    rises, falls = hist[1:] > hist[:-1], hist[1:] < hist[:-1]
    steps = np.flatnonzero(rises | falls)
    rising = rises[steps]
    before = np.empty_like(rising)
    before[:1] = True
    before[1:] = rising[:-1]
    return steps[~rising & before]
