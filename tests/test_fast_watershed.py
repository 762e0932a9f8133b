"""segcore.fast.watershed: scikit-image's watershed with the markers' inner pixels out of its queue gives scikit-image's
basins, pixel for pixel, wherever no two markers tie; where they tie, still one connected basin per marker."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage as ndi
from skimage import segmentation

import segcore.methods.regions as regions
from segcore import run_method
from segcore.fast.watershed import watershed
from segcore.io.samples import SAMPLES

PHOTOS = ("astronaut", "coffee", "chelsea", "coins", "camera", "rocket")


def _photo(name: str, width: int | None = None) -> np.ndarray:
    img = np.asarray(SAMPLES[name].load())
    img = np.stack([img] * 3, -1) if img.ndim == 2 else img
    if width is not None:
        pil = Image.fromarray(img)
        img = np.asarray(pil.resize((width, round(pil.height * width / pil.width)), Image.Resampling.LANCZOS))
    return img


@pytest.mark.parametrize("photo", PHOTOS)
@pytest.mark.parametrize("width, params", [
    (None, {}),  # the page's defaults at the photo's own size
    (900, {}),
    (None, {"sigma": 1.0, "low_share": 0.3, "min_marker": 25}),  # many small basins
    (700, {"sigma": 4.0, "low_share": 0.7}),
])
def test_the_region_watershed_is_scikit_images_on_photos(monkeypatch, photo, width, params):
    img = _photo(photo, width)
    fast = run_method("watershed", img, **params)
    monkeypatch.setattr(regions, "fast_watershed", lambda image, markers, **kw: segmentation.watershed(
        image, markers=markers, **kw))
    plain = run_method("watershed", img, **params)
    assert fast.labels.max() > 1
    np.testing.assert_array_equal(fast.labels, plain.labels)
    assert fast.extras["n_markers"] == plain.extras["n_markers"]


def _scene(seed: int, levels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A smooth random relief (quantized to ``levels`` values: plateaus, so ties) and seeds at its low ground."""
    rng = np.random.default_rng(seed)
    relief = ndi.gaussian_filter(rng.random((120, 150)), 4)
    if levels:
        relief = np.round((relief - relief.min()) / np.ptp(relief) * (levels - 1))
    seeds, _ = ndi.label(relief <= np.quantile(relief, 0.4))
    return relief, seeds


@pytest.mark.parametrize("seed", range(6))
def test_equal_on_a_relief_without_ties_with_and_without_a_mask(seed):
    relief, seeds = _scene(seed)
    assert seeds.max() > 2
    np.testing.assert_array_equal(watershed(relief, seeds), segmentation.watershed(relief, markers=seeds))
    mask = np.ones(relief.shape, bool)
    mask[:, 60:64] = False  # a wall through seeds and ground alike: the markers under it are dropped too
    mask[100:, :] = False
    np.testing.assert_array_equal(watershed(relief, seeds, mask=mask),
                                  segmentation.watershed(relief, markers=seeds, mask=mask))


def test_the_compact_watershed_is_scikit_images_own():
    relief, seeds = _scene(1)
    np.testing.assert_array_equal(watershed(relief, seeds, compactness=0.01),
                                  segmentation.watershed(relief, markers=seeds, compactness=0.01))


@pytest.mark.parametrize("seed", range(4))
def test_where_markers_tie_each_basin_is_still_one_piece_around_its_marker(seed):
    relief, seeds = _scene(seed, levels=16)  # sixteen values: ties everywhere
    assert seeds.max() >= 6
    labels = watershed(relief, seeds)
    plain = segmentation.watershed(relief, markers=seeds)
    assert (labels > 0).all()
    np.testing.assert_array_equal(labels[seeds > 0], seeds[seeds > 0])
    for value in range(1, seeds.max() + 1):
        _, pieces = ndi.label(labels == value)
        assert pieces == 1, f"basin {value} in {pieces} pieces"
    # The same flood; only a few tied pixels go to a neighbouring basin (0.1-0.4 % of these reliefs).
    assert (labels == plain).mean() > 0.99
