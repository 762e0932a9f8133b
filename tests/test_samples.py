"""Samples: the sidebar's list, and every sample with a ground truth at its image's size, of its kind, exact."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage as ndi
from skimage import filters, measure, segmentation
from skimage.color import rgb2gray

from segcore.io import samples
from segcore.io.ground_truth import GroundTruth
from segcore.io.loading import load_image
from segcore.io.samples import (
    DEFAULT_SAMPLE,
    SAMPLES,
    sample_bytes,
    sample_ground_truth,
)

ROOT = Path(__file__).resolve().parents[1]

#: Samples with a ground truth and its kind.
WITH_TRUTH = {
    "coins": "instances",
    "coffee": "binary",
    "chelsea": "binary",
    "shapes": "instances",
    "blobs": "binary",
    "mosaic": "labels",
}
SYNTHETIC = ("shapes", "blobs", "mosaic")


def test_existing_samples_keep_their_names_and_the_default():
    old = ["astronaut", "coffee", "chelsea", "coins", "camera", "rocket", "hubble", "ihc", "page"]
    assert list(SAMPLES)[: len(old)] == old
    assert DEFAULT_SAMPLE == "astronaut"
    assert {n for n, s in SAMPLES.items() if s.ground_truth is not None} == set(WITH_TRUTH)
    assert sample_ground_truth("astronaut") is None
    with pytest.raises(KeyError, match="unknown sample 'nope'; choose one of astronaut"):
        sample_ground_truth("nope")


@pytest.mark.parametrize("name", list(WITH_TRUTH))
def test_ground_truth_has_the_image_size_and_the_stated_kind(name):
    image = load_image(sample_bytes(name), max_side=None, name=f"{name}.png")
    gt = sample_ground_truth(name)
    assert isinstance(gt, GroundTruth)
    assert gt.shape == image.rgb.shape[:2]
    assert gt.kind == WITH_TRUTH[name]
    assert len(gt.maps) == 1 and gt.maps[0].dtype == np.int32
    assert gt.source and "\n" not in gt.source
    values = np.unique(gt.maps[0])
    if gt.kind == "binary":
        assert values.tolist() == [0, 1]
        assert 0.05 < gt.maps[0].mean() < 0.95
    elif gt.kind == "instances":
        assert values[0] == 0 and values.tolist() == list(range(len(values)))
    assert sample_ground_truth(name) is gt  # cached, read-only: safe to share
    assert not gt.maps[0].flags.writeable


def test_synthetic_samples_say_so():
    for name in SYNTHETIC:
        assert "synthetic, exact ground truth" in SAMPLES[name].description
        assert "synthetic" in SAMPLES[name].title.lower()
        assert sample_ground_truth(name).source.startswith("synthetic, exact ground truth")


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_scenes_are_deterministic(name):
    scene = getattr(samples, f"{name}_scene")
    first_rgb, first_gt = scene()
    scene.cache_clear()
    try:
        rgb, gt = scene()
        assert rgb is not first_rgb  # really drawn again
        np.testing.assert_array_equal(rgb, first_rgb)
        np.testing.assert_array_equal(gt.maps[0], first_gt.maps[0])
        assert gt.categories == first_gt.categories
        png = sample_bytes(name)
        sample_bytes.cache_clear()
        assert sample_bytes(name) == png
    finally:
        sample_bytes.cache_clear()
        sample_ground_truth.cache_clear()


def _band_means(values: np.ndarray, region: np.ndarray) -> tuple[float, float, float, float]:
    """Mean of ``values`` inside, on the inner edge, on the outer edge and outside ``region``."""
    inner = segmentation.find_boundaries(region, mode="inner") & region
    outer = segmentation.find_boundaries(region, mode="outer") & ~region
    return values[region & ~inner].mean(), values[inner].mean(), values[outer].mean(), values[~region & ~outer].mean()


def test_blobs_mask_is_exactly_the_blobs_drawn():
    rgb, gt = samples.blobs_scene()
    assert rgb.shape == (360, 480, 3)
    fg = gt.maps[0] == 1
    assert measure.label(fg).max() == 6
    warmth = rgb[..., 0].astype(float) - rgb[..., 2]  # blobs are warm, the background bluish
    inside, inner, outer, outside = _band_means(warmth, fg)
    assert inside > 30 and outside < -5
    # The edge pixels of the mask belong to the blob, the pixels just outside to the background:
    # a mask shifted or grown by one pixel would put a band half-way.
    assert abs(inner - inside) < 4 and abs(outer - outside) < 4


def test_blobs_suit_otsu_but_are_not_trivial():
    rgb, gt = samples.blobs_scene()
    gray = rgb2gray(rgb)
    fg = gt.maps[0] == 1
    otsu = gray > filters.threshold_otsu(gray)
    iou = (otsu & fg).sum() / (otsu | fg).sum()
    assert 0.75 < iou < 0.97  # the light gradient costs Otsu the dim blob and the bright corner
    local = gray > filters.threshold_local(gray, 35)
    assert ((local & fg).sum() / (local | fg).sum()) < iou  # local thresholds speckle flat areas


def test_shapes_instances_are_make_samples_masks():
    from segcore.methods.maskrcnn.shapes import SHAPES_CATEGORIES, make_sample

    rgb, gt = samples.shapes_scene()
    ref_rgb, masks, labels = make_sample(samples.SHAPES_SEED, size=320, n_min=5, n_max=5)
    np.testing.assert_array_equal(rgb, ref_rgb)
    assert samples.SHAPES_SEED >= 100_000  # outside the small model's training seeds
    inst = gt.maps[0]
    assert inst.max() == len(masks) == 5
    for i, m in enumerate(masks):
        np.testing.assert_array_equal(inst == i + 1, m)
    assert gt.categories == {i + 1: SHAPES_CATEGORIES[c] for i, c in enumerate(labels)}
    assert set(gt.categories.values()) <= {"circle", "square", "triangle"}
    # Each shape's edge pixels carry its colour, not the background's.
    for v in range(1, 6):
        region = inst == v
        for c in range(3):
            inside, inner, _, _ = _band_means(rgb[..., c].astype(float), region)
            assert abs(inner - inside) < 8


def test_mosaic_cells_are_exact_voronoi_regions():
    rgb, gt = samples.mosaic_scene()
    labels = gt.maps[0]
    assert rgb.shape == (360, 480, 3) and labels.shape == (360, 480)
    assert np.unique(labels).tolist() == list(range(7))
    smooth = ndi.uniform_filter(rgb.astype(float), size=(15, 15, 1))  # average the textures out
    means = np.array([rgb[labels == v].mean(axis=0) for v in range(7)])
    for v in range(7):
        cell = labels == v
        assert measure.label(cell).max() == 1  # one convex cell
        assert measure.regionprops(cell.astype(int))[0].solidity > 0.98
        # Well inside a cell, the texture-averaged colour is the cell's own.
        core = ndi.binary_erosion(cell, iterations=10)
        near = np.argmin(((smooth[core][:, None, :] - means[None]) ** 2).sum(-1), axis=1)
        assert (near == v).mean() > 0.99
    # Two cells share a gray level but not a hue (gray thresholds merge them).
    gray = [rgb2gray(rgb)[labels == v].mean() for v in range(7)]
    assert abs(gray[1] - gray[4]) < 0.02 and np.abs(means[1] - means[4]).max() > 40


def test_photo_masks_match_what_the_readme_says():
    coins = sample_ground_truth("coins").maps[0]
    assert coins.max() == 24
    for p in measure.regionprops(coins):
        assert p.solidity > 0.97 and 900 < p.area < 6000  # convex coins, no specks
    coffee = sample_ground_truth("coffee").maps[0]
    chelsea = sample_ground_truth("chelsea").maps[0]
    assert measure.label(coffee).max() == 1 and measure.label(chelsea).max() == 1
    assert 0.4 < coffee.mean() < 0.7 and 0.6 < chelsea.mean() < 0.85
    assert coffee[200, 300] == 1 and coffee[20, 20] == 0  # the cup; the dark corner
    assert chelsea[150, 200] == 1 and chelsea[150, 440] == 0  # the face; the room
    for name in ("coins", "coffee", "chelsea"):
        with Image.open(ROOT / "assets" / "ground_truth" / f"{name}.png") as img:
            assert img.format == "PNG" and img.mode == "L"


def test_make_masks_reproduces_the_shipped_files():
    pytest.importorskip("cv2")
    spec = importlib.util.spec_from_file_location("make_masks", ROOT / "assets" / "ground_truth" / "make_masks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--check"]) == 0
