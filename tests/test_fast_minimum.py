"""segcore.fast.minimum gives skimage.filters.threshold_minimum's threshold, and its errors, on photos."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data, filters
from skimage.color import rgb2gray
from skimage.exposure import histogram

from segcore import run_method
from segcore.fast.minimum import _peaks, threshold_minimum
from segcore.io.samples import SAMPLES


def _expected(**kwargs):
    try:
        return filters.threshold_minimum(**kwargs)
    except RuntimeError as exc:
        return str(exc)


def _got(**kwargs):
    try:
        return threshold_minimum(**kwargs)
    except RuntimeError as exc:
        return str(exc)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "coins", "camera", "rocket", "hubble", "ihc",
                                  "page", "blobs", "mosaic", "shapes"])
def test_equals_skimage_on_the_shipped_images(name):
    img = np.asarray(SAMPLES[name].load())
    gray = rgb2gray(img) if img.ndim == 3 else img / 255.0
    outcomes = set()
    for values in (gray, gray[::3, ::2]):
        for nbins in (256, 64):
            hist = histogram(values, nbins, source_range="image")
            expected = _expected(hist=hist)
            assert _got(hist=hist) == expected, (name, nbins)
            outcomes.add(type(expected))
        # a histogram with empty end bins is trimmed as scikit-image trims it; bare counts get bin numbers
        counts, centers = histogram(values, 256, source_range="image")
        padded = (np.concatenate(([0, 0], counts, [0])), np.concatenate(([-1.0, -0.5], centers, [2.0])))
        assert _got(hist=padded) == _expected(hist=padded)
        assert _got(hist=counts) == _expected(hist=counts)
    assert _got(hist=counts, max_num_iter=3) == _expected(hist=counts, max_num_iter=3)


def test_errors_and_the_image_path_are_scikit_images():
    one_peak = (np.array([1, 5, 20, 5, 1]), np.arange(5.0))
    assert _got(hist=one_peak) == _expected(hist=one_peak) == "Unable to find two maxima in histogram"
    gray = rgb2gray(data.astronaut())
    assert threshold_minimum(gray) == filters.threshold_minimum(gray)


def test_peaks_are_where_the_walk_turns_down():
    h = np.array([1, 3, 3, 2, 2, 5, 5, 5, 1, 4], np.float32)
    assert list(_peaks(h)) == [2, 7]  # a plateau's last bin, as scikit-image's walk reports it
    assert list(_peaks(np.array([5, 4, 3], np.float32))) == [0]  # falling from the start: a peak at 0
    assert list(_peaks(np.ones(4, np.float32))) == []


def test_the_minimum_method_keeps_skimages_threshold():
    image = data.coffee()
    seg = run_method("minimum", image)
    gray = rgb2gray(image)
    assert seg.extras["thresholds"] == [filters.threshold_minimum(gray)]
    assert np.array_equal(seg.labels, (gray > filters.threshold_minimum(gray)).astype(np.int32))
