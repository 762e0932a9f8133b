"""segcore.fast.components: labelling in row bands gives ndimage.label's labels and numbering exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import data, feature, filters

from segcore.fast import components, parallel
from segcore.fast.gray import to_gray


@pytest.fixture(params=["1", "2", "3", "4"], ids=lambda n: f"{n}-bands")
def bands_of(request, monkeypatch):
    """Split even small masks into 1 to 4 row bands."""
    monkeypatch.setenv("SEGCORE_THREADS", request.param)
    monkeypatch.setattr(parallel, "MIN_BAND_PIXELS", 16)
    return int(request.param)


def _masks() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    coins = data.coins()
    camera_edges = filters.sobel(to_gray(data.camera())) > 0.05
    masks = {
        "coins > otsu": coins > filters.threshold_otsu(coins),
        "camera non-edges": ~camera_edges,
        "camera edges": camera_edges,
        "canny coins": feature.canny(coins / 255.0, sigma=1.0),
        "all": np.ones((40, 30), bool),
        "none": np.zeros((40, 30), bool),
        "one column": rng.random((50, 1)) > 0.3,
        "one row": rng.random((1, 70)) > 0.3,
    }
    for p in (0.3, 0.5, 0.6, 0.8):  # around the percolation thresholds: long winding components
        masks[f"random {p}"] = rng.random((97, 61)) < p
    # A spiral: one component that crosses every band cut many times.
    spiral = np.zeros((64, 64), bool)
    for k in range(0, 32, 4):
        spiral[k, k : 64 - k] = spiral[k : 64 - k, 63 - k] = spiral[63 - k, k + 2 : 64 - k] = True
        spiral[k + 4 : 64 - k, k + 2] = True
    masks["spiral"] = spiral
    return masks


MASKS = _masks()


@pytest.mark.parametrize("name", sorted(MASKS))
@pytest.mark.parametrize("connectivity", [1, 2])
def test_labels_and_numbering_equal_ndimage(bands_of, name, connectivity):
    mask = MASKS[name]
    expected, n = ndi.label(mask, ndi.generate_binary_structure(2, connectivity))
    got, counts, found = components.label(mask, connectivity)
    assert found == n
    assert got.dtype == np.int32
    assert np.array_equal(got, expected), name
    assert np.array_equal(counts, np.bincount(expected.ravel(), minlength=n + 1))


@pytest.mark.parametrize("min_size", [2, 10, 200])
def test_small_components_are_dropped_and_the_rest_renumbered_in_order(bands_of, min_size):
    mask = MASKS["random 0.6"]
    full, n = ndi.label(mask, ndi.generate_binary_structure(2, 1))
    sizes = np.bincount(full.ravel(), minlength=n + 1)
    keep = sizes >= min_size
    keep[0] = False
    lut = np.zeros(n + 1, np.int32)
    lut[keep] = np.arange(1, keep.sum() + 1)
    got, counts, found = components.label(mask, 1, min_size=min_size)
    assert found == n
    assert np.array_equal(got, lut[full])
    assert counts.tolist() == np.bincount(lut[full].ravel(), minlength=keep.sum() + 1).tolist()
    assert counts[1:].min(initial=min_size) >= min_size


@pytest.mark.parametrize("name", ["canny coins", "camera edges", "random 0.5", "spiral"])
def test_keep_seeded_is_hysteresis(bands_of, name):
    weak = MASKS[name]
    rng = np.random.default_rng(5)
    strong = weak & (rng.random(weak.shape) < 0.01)
    full, _ = ndi.label(weak, np.ones((3, 3), bool))
    good = np.zeros(full.max() + 1, bool)
    good[full[strong]] = True
    good[0] = False
    got = components.keep_seeded(weak, strong, 2)
    assert got.dtype == bool
    assert np.array_equal(got, good[full])
    assert got[strong].all() and not got[~weak].any()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="connectivity"):
        components.label(np.ones((4, 4), bool), 3)
    with pytest.raises(ValueError, match="2-D"):
        components.label(np.ones((4, 4, 2), bool))


def test_keep_seeded_with_nothing_to_keep(bands_of):
    weak = MASKS["random 0.5"]
    assert not components.keep_seeded(weak, np.zeros_like(weak), 2).any()  # no strong pixel
    none = np.zeros((40, 30), bool)
    assert not components.keep_seeded(none, none, 2).any()  # no weak pixel at all
    full = np.ones((40, 30), bool)
    seed = np.zeros_like(full)
    seed[-1, -1] = True
    assert components.keep_seeded(full, seed, 1).all()  # one component, seeded in its last pixel
