"""Region methods (Felzenszwalb, SLIC, Quickshift, watershed, Chan-Vese) against scikit-image, the fast RAG,
the size reduction, and the edge methods' watershed regions."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import color, filters, graph, measure, segmentation

from segcore import get_method, list_methods, run_method
from segcore.fast.adjacency import rag_mean_color
from segcore.methods.edges import segments_from_edges
from segcore.methods.regions import (
    CONTOURS,
    MARKERS,
    MERGES,
    chan_vese,
    felzenszwalb,
    quickshift,
    reduce_to,
    scale_labels,
    slic,
    watershed,
)

REGION_METHODS = ("felzenszwalb", "slic", "quickshift", "watershed", "chan_vese")
EDGE_METHODS = ("sobel", "laplace", "prewitt", "scharr", "canny", "log")

# Every variant of every region method, as (method, params); small settings where the default is for 1600 px.
VARIANTS = [
    ("felzenszwalb", {}),
    ("slic", {"n_segments": 60}),
    ("slic", {"n_segments": 60, "merge": "threshold"}),
    ("slic", {"n_segments": 60, "merge": "hierarchical"}),
    ("quickshift", {}),
    ("watershed", {}),
    ("watershed", {"markers": "grid", "n_markers": 60}),
    ("chan_vese", {}),
    ("chan_vese", {"algorithm": "classic"}),
]
VARIANT_IDS = [f"{m}-{'-'.join(str(v) for v in p.values()) or 'defaults'}" for m, p in VARIANTS]


# --------------------------------------------------------------------------- helpers and pictures


def by_first_pixel(labels: np.ndarray) -> np.ndarray:
    """``labels`` renumbered 1..n in raster order of each value's first pixel (a plain loop, not the module's)."""
    order: dict[int, int] = {}
    for v in labels.ravel().tolist():
        if v not in order:
            order[v] = len(order) + 1
    lut = np.zeros(int(labels.max()) + 1, np.int64)
    for v, rank in order.items():
        lut[v] = rank
    return lut[labels]


def assert_same_partition(ours: np.ndarray, theirs: np.ndarray) -> None:
    """The two label maps split the pixels the same way: one-to-one between their values."""
    assert ours.shape == theirs.shape
    pairs = np.unique(np.stack([ours.ravel(), theirs.ravel()]), axis=1)
    n_ours, n_theirs = len(np.unique(ours)), len(np.unique(theirs))
    assert n_ours == n_theirs, f"{n_ours} regions against {n_theirs}"
    assert pairs.shape[1] == n_ours, f"{pairs.shape[1] - n_ours} regions straddle the other map's boundaries"


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.fixture(scope="module")
def photo(astronaut) -> np.ndarray:
    """A small real photo, 84 x 128 (not square, to catch a swapped width and height)."""
    return np.ascontiguousarray(astronaut[40:460:5, ::4])


@pytest.fixture(scope="module")
def halves() -> np.ndarray:
    """60 x 80: left half flat red, right half flat blue."""
    img = np.zeros((60, 80, 3), np.uint8)
    img[:, :40] = (200, 30, 30)
    img[:, 40:] = (30, 30, 200)
    return img


@pytest.fixture(scope="module")
def three_discs() -> tuple[np.ndarray, list[np.ndarray]]:
    """80 x 100: three flat-coloured discs on a flat dark gray background, and the 4 masks (discs, background)."""
    yy, xx = np.mgrid[:80, :100]
    img = np.full((80, 100, 3), 40, np.uint8)
    masks = []
    for (cy, cx), r, rgb in (((20, 25), 12, (220, 60, 60)), ((55, 30), 14, (60, 220, 60)), ((40, 75), 15, (60, 60, 220))):
        m = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        img[m] = rgb
        masks.append(m)
    masks.append(~np.any(masks, axis=0))
    return img, masks


@pytest.fixture(scope="module")
def bright_disc() -> tuple[np.ndarray, np.ndarray]:
    """60 x 80: a gray-220 disc of radius 15 on a gray-30 background, and the disc's mask."""
    yy, xx = np.mgrid[:60, :80]
    disc = (yy - 30) ** 2 + (xx - 42) ** 2 <= 15**2
    img = np.full((60, 80, 3), 30, np.uint8)
    img[disc] = 220
    return img, disc


@pytest.fixture(scope="module")
def small_coins(coins_rgb) -> np.ndarray:
    return np.ascontiguousarray(coins_rgb[::2, ::2])


# --------------------------------------------------------------------------- each method is its scikit-image call


def test_felzenszwalb_defaults_give_tens_of_regions_on_a_photo(coffee):
    # The defaults chosen on BSDS500 (docs/quality.md): a 600 x 400 photo in a few dozen regions,
    # where scikit-image's example values (scale 200, sigma 0.8, min_size 50) made about 190.
    assert 10 <= felzenszwalb(coffee).extras["n_regions"] <= 50


@pytest.mark.parametrize("params", [{}, {"scale": 50.0, "sigma": 0.5, "min_size": 20}])
def test_felzenszwalb_is_skimage_felzenszwalb(photo, params):
    seg = felzenszwalb(photo, max_side=None, **params)
    p = {**{k: v for k, v in get_method("felzenszwalb").settings.items() if k != "max_side"}, **params}
    ref = segmentation.felzenszwalb(photo, scale=p["scale"], sigma=p["sigma"], min_size=p["min_size"])
    assert_same_partition(seg.labels, ref)
    assert np.array_equal(seg.labels, by_first_pixel(ref))  # renumbered in raster order
    assert seg.params == {**p, "max_side": None}
    assert seg.method == "felzenszwalb" and seg.elapsed_s > 0


def test_slic_is_skimage_slic(photo):
    seg = slic(photo, n_segments=50, compactness=10.0, merge="none", max_side=None)
    ref = segmentation.slic(photo, n_segments=50, compactness=10.0, start_label=1)
    assert_same_partition(seg.labels, ref)


def test_slic_superpixels_are_about_n_segments(photo):
    for n in (30, 120):
        seg = slic(photo, n_segments=n, merge="none", max_side=None)
        assert 0.5 * n <= seg.extras["n_regions"] <= 1.5 * n
        assert seg.extras["n_superpixels"] == seg.extras["n_regions"]
        assert np.array_equal(seg.labels, by_first_pixel(seg.labels))
        assert [lab.name for lab in seg.legend[:2]] == ["superpixel 1", "superpixel 2"]


def test_quickshift_is_skimage_quickshift(photo):
    seg = quickshift(photo, kernel_size=4.0, max_dist=8.0, ratio=0.7, max_side=None)
    ref = segmentation.quickshift(photo, ratio=0.7, kernel_size=4.0, max_dist=8.0, convert2lab=True, rng=0)
    assert_same_partition(seg.labels, ref)
    assert np.array_equal(seg.labels, by_first_pixel(ref))
    assert seg.params == {"kernel_size": 4.0, "max_dist": 8.0, "ratio": 0.7, "max_side": None}
    assert seg.legend[0].name == "segment 1"


def _gradient(img: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    gray = color.rgb2gray(img).astype(np.float32)
    return filters.sobel(filters.gaussian(gray, sigma=sigma, preserve_range=True)).astype(np.float32)


@pytest.mark.parametrize("compactness", [0.0, 0.005])
def test_watershed_grid_is_skimage_watershed(photo, compactness):
    seg = watershed(photo, markers="grid", n_markers=50, compactness=compactness, sigma=1.0, max_side=None)
    ref = segmentation.watershed(_gradient(photo), markers=50, compactness=compactness)
    assert_same_partition(seg.labels, ref)
    assert seg.extras["n_markers"] == len(np.unique(ref)) == seg.extras["n_regions"]
    np.testing.assert_array_equal(seg.extras["gradient"], _gradient(photo))


def test_watershed_low_markers_are_the_flattest_patches(photo):
    seg = watershed(photo, low_share=0.3, min_marker=25, sigma=1.0, max_side=None)
    grad = _gradient(photo)
    seeds = measure.label(grad <= np.quantile(grad, 0.3), connectivity=1)
    small = np.bincount(seeds.ravel()) < 25
    small[0] = False
    seeds[small[seeds]] = 0
    ref = segmentation.watershed(grad, markers=seeds)
    assert_same_partition(seg.labels, ref)
    n_seeds = len(np.unique(seeds)) - 1
    assert seg.extras["n_markers"] == n_seeds == seg.extras["n_regions"]
    assert seg.legend[0].name == "basin 1"


@pytest.mark.parametrize("algorithm", CONTOURS)
def test_chan_vese_is_skimage_chan_vese(photo, algorithm):
    seg = chan_vese(photo, algorithm=algorithm, iterations=30, smoothing=1, max_side=None)
    gray = color.rgb2gray(photo)
    if algorithm == "morphological":
        ref = segmentation.morphological_chan_vese(gray, 30, init_level_set="checkerboard", smoothing=1)
    else:
        ref = segmentation.chan_vese(gray, mu=0.25, max_num_iter=30, init_level_set="checkerboard")
    assert np.array_equal(seg.labels, (np.asarray(ref) > 0).astype(np.int32))
    assert {lab.value: lab.name for lab in seg.legend} == {0: "outside the contour", 1: "inside the contour"}
    for v in (0, 1):
        assert seg.extras["means"][v] == pytest.approx(gray[seg.labels == v].mean(), abs=1e-9)


# --------------------------------------------------------------------------- labels, legend, extras


@pytest.mark.parametrize("method, params", VARIANTS, ids=VARIANT_IDS)
def test_labels_and_legend(photo, method, params):
    seg = run_method(method, photo, max_side=None, **params)
    labels = seg.labels
    assert labels.dtype == np.int32 and labels.shape == photo.shape[:2]
    values = np.unique(labels)
    if method == "chan_vese":
        assert values.tolist() == [0, 1]
    else:
        assert values.tolist() == list(range(1, len(values) + 1))  # 1..n, consecutive
        assert np.array_equal(labels, by_first_pixel(labels))  # in raster order of their first pixel
    counts = np.bincount(labels.ravel())
    assert [lab.value for lab in seg.legend] == values.tolist()
    assert [lab.pixels for lab in seg.legend] == counts[values].tolist()
    assert sum(lab.share for lab in seg.legend) == pytest.approx(1.0)
    assert seg.extras["n_regions"] == len(values) == len(seg.legend)
    assert seg.extras["run_shape"] == photo.shape[:2] and seg.extras["reduced"] is False
    assert seg.method == method and seg.params["max_side"] is None
    assert set(seg.params) == set(get_method(method).defaults)


# --------------------------------------------------------------------------- reduce_to, scale_labels


@pytest.mark.parametrize("shape, max_side, expected", [
    ((300, 200), 64, (64, 43)),
    ((200, 300), 64, (43, 64)),
    ((84, 128), 32, (21, 32)),
    ((512, 100), 50, (50, 10)),
    ((1000, 3), 16, (16, 2)),  # a side is never under 2 px
])
def test_reduce_to_keeps_the_aspect_ratio(shape, max_side, expected):
    img = np.zeros((*shape, 3), np.uint8)
    small = reduce_to(img, max_side)
    assert small.shape == (*expected, 3) and small.dtype == np.uint8
    assert max(small.shape[:2]) == max_side


def test_reduce_to_is_identity_when_it_fits(photo):
    assert reduce_to(photo, None) is photo
    assert reduce_to(photo, 128) is photo  # the long side is exactly 128
    assert reduce_to(photo, 1000) is photo


def test_reduce_to_averages_areas():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (40, 60, 3)).astype(np.uint8)
    small = reduce_to(img, 30)  # exactly half: each output pixel averages a 2 x 2 block
    blocks = img.reshape(20, 2, 30, 2, 3).astype(float).mean(axis=(1, 3))
    assert small.shape == (20, 30, 3)
    assert np.abs(small - blocks).max() <= 1.0


def test_scale_labels_is_nearest_neighbour_and_keeps_every_label():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 20, (7, 5)).astype(np.int32)
    big = scale_labels(labels, (70, 50))
    assert big.shape == (70, 50) and big.dtype == np.int32
    assert set(np.unique(big)) == set(np.unique(labels))
    assert np.array_equal(big, np.kron(labels, np.ones((10, 10), np.int32)))  # each 10 x 10 block constant
    odd = scale_labels(labels, (23, 17))  # not an integer factor: still every label
    assert set(np.unique(odd)) == set(np.unique(labels))
    assert odd[0, 0] == labels[0, 0] and odd[-1, -1] == labels[-1, -1]
    assert scale_labels(labels, (7, 5)) is labels


@pytest.mark.parametrize("method, params", VARIANTS, ids=VARIANT_IDS)
def test_reduced_run_is_scaled_back_to_the_input_size(photo, method, params):
    seg = run_method(method, photo, max_side=32, **params)
    assert seg.extras["reduced"] is True
    assert seg.extras["run_shape"] == (21, 32)  # 84 x 128 at a long side of 32
    assert seg.labels.shape == photo.shape[:2] and seg.labels.dtype == np.int32
    assert seg.params["max_side"] == 32
    # the same as running on the reduced picture and scaling its labels up
    direct = run_method(method, reduce_to(photo, 32), max_side=None, **params)
    assert np.array_equal(seg.labels, scale_labels(direct.labels, photo.shape[:2]))
    assert seg.extras["n_regions"] == direct.extras["n_regions"] == len(seg.legend)
    assert sum(lab.pixels for lab in seg.legend) == photo.shape[0] * photo.shape[1]


def test_default_max_side_reduces_only_larger_images(astronaut):
    seg = quickshift(astronaut)  # 512 px, over quickshift's 320
    assert seg.extras["reduced"] is True and seg.extras["run_shape"] == (320, 320)
    assert seg.labels.shape == (512, 512)
    small = np.ascontiguousarray(astronaut[::4, ::4])
    seg = quickshift(small)
    assert seg.extras["reduced"] is False and seg.extras["run_shape"] == (128, 128)


# --------------------------------------------------------------------------- SLIC merging


@pytest.fixture(scope="module")
def slic_merges(photo):
    return {m: slic(photo, n_segments=120, compactness=10.0, merge=m, merge_threshold=12.0, max_side=None)
            for m in MERGES}


def test_slic_merging_gives_fewer_regions(slic_merges):
    none = slic_merges["none"].extras["n_regions"]
    for m in ("threshold", "hierarchical"):
        seg = slic_merges[m]
        assert 1 < seg.extras["n_regions"] < none
        assert seg.extras["n_superpixels"] == none
        assert seg.legend[0].name == "region 1"
        assert seg.params["merge"] == m and seg.params["merge_threshold"] == 12.0
        # merging only joins superpixels: each superpixel lies inside one region
        pairs = np.unique(np.stack([slic_merges["none"].labels.ravel(), seg.labels.ravel()]), axis=1)
        assert pairs.shape[1] == none


def test_slic_threshold_merge_is_cut_threshold_on_skimage_rag(photo, slic_merges):
    superpixels = slic_merges["none"].labels
    rag = graph.rag_mean_color(color.rgb2lab(photo), superpixels, mode="distance")
    assert_same_partition(slic_merges["threshold"].labels, graph.cut_threshold(superpixels, rag, 12.0))


def test_slic_hierarchical_leaves_no_pair_closer_than_the_threshold(photo, slic_merges):
    """merge_hierarchical merges until every pair of touching regions differs by the threshold or more."""
    lab = color.rgb2lab(photo)
    merged = graph.rag_mean_color(lab, slic_merges["hierarchical"].labels, mode="distance")
    assert min(w for _, _, w in merged.edges(data="weight")) >= 12.0
    assert merged.number_of_nodes() == slic_merges["hierarchical"].extras["n_regions"]


@pytest.mark.parametrize("merge", ["threshold", "hierarchical"])
def test_slic_huge_threshold_merges_everything_and_zero_merges_nothing(photo, slic_merges, merge):
    seg = slic(photo, n_segments=120, merge=merge, merge_threshold=1000.0, max_side=None)
    assert seg.extras["n_regions"] == 1 and np.all(seg.labels == 1)
    assert seg.legend[0].share == 1.0
    if merge == "threshold":
        seg = slic(photo, n_segments=120, compactness=10.0, merge=merge, merge_threshold=0.0, max_side=None)
        assert np.array_equal(seg.labels, slic_merges["none"].labels)


@pytest.mark.parametrize("merge", ["threshold", "hierarchical"])
def test_slic_merge_recovers_two_flat_halves(halves, merge):
    seg = slic(halves, n_segments=20, merge=merge, max_side=None)
    assert seg.extras["n_superpixels"] > 2
    expected = np.ones(halves.shape[:2], np.int32)
    expected[:, 40:] = 2
    assert np.array_equal(seg.labels, expected)
    assert seg.extras["n_regions"] == 2


# --------------------------------------------------------------------------- the fast RAG


@pytest.fixture(scope="module")
def superpixels(astronaut):
    crop = np.ascontiguousarray(astronaut[:80, 100:200])
    return color.rgb2lab(crop), segmentation.slic(crop, n_segments=60, start_label=1)


@pytest.mark.parametrize("connectivity", [1, 2])
def test_rag_mean_color_equals_skimage(superpixels, connectivity):
    lab, labels = superpixels
    ref = graph.rag_mean_color(lab, labels, connectivity=connectivity, mode="distance")
    ours = rag_mean_color(lab, labels, connectivity=connectivity)
    assert set(ours.nodes) == set(ref.nodes) == set(np.unique(labels).tolist())
    assert {frozenset(e) for e in ours.edges} == {frozenset(e) for e in ref.edges}
    assert ours.number_of_edges() == ref.number_of_edges() > 0
    for n in ref.nodes:
        mine, theirs = ours.nodes[n], ref.nodes[n]
        assert mine["labels"] == theirs["labels"] == [n]
        assert mine["pixel count"] == theirs["pixel count"] == int((labels == n).sum())
        np.testing.assert_allclose(mine["total color"], theirs["total color"], rtol=1e-12)
        np.testing.assert_allclose(mine["mean color"], theirs["mean color"], rtol=0, atol=1e-9)
    for u, v in ref.edges:
        assert ours[u][v]["weight"] == pytest.approx(ref[u][v]["weight"], abs=1e-9)


def test_rag_connectivity_two_adds_the_diagonal_neighbours():
    quads = np.kron(np.array([[1, 2], [3, 4]]), np.ones((3, 3), int))
    img = np.random.default_rng(1).random((6, 6, 3))
    four = {frozenset(e) for e in rag_mean_color(img, quads, connectivity=1).edges}
    eight = {frozenset(e) for e in rag_mean_color(img, quads, connectivity=2).edges}
    assert four == {frozenset(p) for p in ((1, 2), (1, 3), (2, 4), (3, 4))}
    assert eight == four | {frozenset((1, 4)), frozenset((2, 3))}


def test_rag_mean_color_with_gaps_in_the_labels(superpixels):
    lab, labels = superpixels
    sparse = labels * 3 + 7
    sparse[:4] = 0  # a label 0 too
    ref = graph.rag_mean_color(lab, sparse, mode="distance")
    ours = rag_mean_color(lab, sparse)
    assert set(ours.nodes) == set(ref.nodes) and 0 in ours.nodes
    assert {frozenset(e) for e in ours.edges} == {frozenset(e) for e in ref.edges}


def test_rag_mean_color_of_one_label_is_one_node():
    img = np.random.default_rng(2).integers(0, 256, (10, 12, 3)).astype(np.uint8)
    labels = np.full((10, 12), 3)
    rag = rag_mean_color(img, labels)
    assert list(rag.nodes) == [3] and rag.number_of_edges() == 0
    assert rag.nodes[3]["pixel count"] == 120
    np.testing.assert_allclose(rag.nodes[3]["mean color"], img.reshape(-1, 3).mean(axis=0))
    assert np.all(graph.cut_threshold(labels, rag, 10.0) == graph.cut_threshold(labels, rag, 10.0)[0, 0])


@pytest.mark.parametrize("thresh", [5.0, 12.0, 25.0])
def test_cut_threshold_on_both_rags_gives_the_same_partition(superpixels, thresh):
    lab, labels = superpixels
    ref = graph.cut_threshold(labels, graph.rag_mean_color(lab, labels, mode="distance"), thresh)
    ours = graph.cut_threshold(labels, rag_mean_color(lab, labels), thresh)
    assert_same_partition(ours, ref)
    assert 1 < len(np.unique(ours)) < len(np.unique(labels))


def test_rag_mean_color_refuses_bad_input():
    img = np.zeros((5, 6, 3))
    with pytest.raises(ValueError, match="connectivity"):
        rag_mean_color(img, np.zeros((5, 6), int), connectivity=3)
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        rag_mean_color(img, np.zeros((6, 5), int))


# --------------------------------------------------------------------------- watershed and Chan-Vese on pictures


def test_watershed_low_markers_find_three_discs_and_background(three_discs):
    img, masks = three_discs
    seg = watershed(img, low_share=0.3, min_marker=25, sigma=1.0, max_side=None)  # discs of ~500 px
    assert seg.extras["n_regions"] == 4 and seg.extras["n_markers"] == 4
    majority = []
    for m in masks:
        values, counts = np.unique(seg.labels[m], return_counts=True)
        majority.append(int(values[counts.argmax()]))
        assert counts.max() / m.sum() > 0.95
    assert sorted(majority) == [1, 2, 3, 4]  # one label each, none shared
    assert majority[3] == 1  # the background holds the first pixel


def test_watershed_params_and_markers_choices(three_discs):
    img, _ = three_discs
    grid = watershed(img, markers="grid", n_markers=12, max_side=None)
    assert grid.params["markers"] == "grid" and grid.params["n_markers"] == 12
    assert grid.extras["n_markers"] == grid.extras["n_regions"] >= 8
    assert MARKERS == ("low", "grid")


@pytest.mark.parametrize("algorithm", CONTOURS)
def test_chan_vese_splits_a_bright_disc_from_the_background(bright_disc, algorithm):
    img, disc = bright_disc
    # one smoothing pass: the default's 3 round a disc this small (r = 15 px) by a pixel or so; 60 steps:
    # the classic level set needs more than the default's 20 to settle here
    seg = chan_vese(img, algorithm=algorithm, iterations=60, smoothing=1, max_side=None)
    assert np.unique(seg.labels).tolist() == [0, 1] and seg.extras["n_regions"] == 2
    disc_label = 1 if iou(seg.labels == 1, disc) > iou(seg.labels == 0, disc) else 0
    assert iou(seg.labels == disc_label, disc) > 0.95
    means = seg.extras["means"]
    assert set(means) == {0, 1}
    assert means[disc_label] == pytest.approx(220 / 255, abs=0.02)
    assert means[1 - disc_label] == pytest.approx(30 / 255, abs=0.02)
    gray = color.rgb2gray(img)
    for v in (0, 1):
        assert means[v] == pytest.approx(gray[seg.labels == v].mean(), abs=1e-9)


# --------------------------------------------------------------------------- edge methods: regions='watershed'


@pytest.mark.parametrize("method", EDGE_METHODS)
def test_edge_methods_watershed_floods_the_edges(small_coins, method):
    comp = run_method(method, small_coins)
    flooded = run_method(method, small_coins, regions="watershed")
    assert comp.params["regions"] == "components" and flooded.params["regions"] == "watershed"
    assert (comp.labels == 0).any()
    assert flooded.labels.min() == 1  # no label 0 left: edges joined a region
    assert flooded.labels.dtype == np.int32 and flooded.labels.shape == small_coins.shape[:2]
    n = comp.extras["n_regions"]
    assert n > 1 and flooded.extras["n_regions"] == n
    assert np.unique(flooded.labels).tolist() == list(range(1, n + 1))
    inside = comp.labels > 0
    assert np.array_equal(flooded.labels[inside], comp.labels[inside])  # regions keep their pixels
    # the legend counts the flooded map: no "edges" entry, pixels as they are
    counts = np.bincount(flooded.labels.ravel())
    assert [lab.value for lab in flooded.legend] == list(range(1, n + 1))
    assert [lab.pixels for lab in flooded.legend] == counts[1:].tolist()
    assert sum(lab.share for lab in flooded.legend) == pytest.approx(1.0)
    # the edge mask is still the detector's
    assert np.array_equal(flooded.extras["edge_mask"], comp.extras["edge_mask"])


def test_segments_from_edges_watershed_splits_the_wall_at_its_ridge():
    strength = np.zeros((20, 20), np.float32)
    strength[:, 9] = 0.6  # a wall of 3 columns, strongest in the middle
    strength[:, 10] = 1.0
    strength[:, 11] = 0.6
    comp, info = segments_from_edges(strength, edge_threshold=0.5, min_region=1)
    assert info["n_regions"] == 2 and np.all(comp[:, 9:12] == 0)
    flooded, info = segments_from_edges(strength, edge_threshold=0.5, min_region=1, regions="watershed")
    assert info["n_regions"] == 2
    assert np.all(flooded[:, :10] == 1) and np.all(flooded[:, 11:] == 2)  # each side takes its slope
    assert set(np.unique(flooded[:, 10])) <= {1, 2}
    assert info["counts"].tolist() == np.bincount(flooded.ravel(), minlength=3).tolist()


def test_segments_from_edges_watershed_without_regions_keeps_label_zero():
    strength = np.ones((10, 10), np.float32)  # all edge: nothing to flood from
    labels, info = segments_from_edges(strength, edge_threshold=0.5, regions="watershed")
    assert info["n_regions"] == 0 and np.all(labels == 0)
    with pytest.raises(ValueError, match="regions"):
        segments_from_edges(strength, edge_threshold=0.5, regions="flood")
    with pytest.raises(ValueError, match="regions"):
        run_method("sobel", np.zeros((10, 10, 3), np.uint8), regions="basins")


# --------------------------------------------------------------------------- validation, registry, page defaults


@pytest.mark.parametrize("method, params, match", [
    ("slic", {"merge": "bogus"}, "merge"),
    ("slic", {"n_segments": 0}, "n_segments"),
    ("slic", {"n_segments": "many"}, "n_segments"),
    ("slic", {"n_segments": True}, "n_segments"),
    ("slic", {"compactness": float("nan")}, "compactness"),
    ("slic", {"merge_threshold": -1}, "merge_threshold"),
    ("quickshift", {"ratio": 2}, "ratio"),
    ("quickshift", {"kernel_size": 60}, "kernel_size"),
    ("quickshift", {"max_dist": 0}, "max_dist"),
    ("felzenszwalb", {"max_side": 3}, "max_side"),
    ("felzenszwalb", {"max_side": 64.5}, "max_side"),
    ("felzenszwalb", {"scale": 0}, "scale"),
    ("felzenszwalb", {"min_size": 2.5}, "min_size"),
    ("felzenszwalb", {"sigma": -1}, "sigma"),
    ("watershed", {"markers": "peaks"}, "markers"),
    ("watershed", {"low_share": 0}, "low_share"),
    ("watershed", {"n_markers": 1}, "n_markers"),
    ("watershed", {"min_marker": 0}, "min_marker"),
    ("chan_vese", {"iterations": 0}, "iterations"),
    ("chan_vese", {"algorithm": "snake"}, "algorithm"),
    ("chan_vese", {"smoothing": 5}, "smoothing"),
    ("chan_vese", {"mu": -0.1}, "mu"),
])
def test_bad_params_raise_valueerror_naming_them(method, params, match):
    img = np.zeros((20, 20, 3), np.uint8)
    with pytest.raises(ValueError, match=match):
        run_method(method, img, **params)


@pytest.mark.parametrize("method", REGION_METHODS)
@pytest.mark.parametrize("image, match", [
    (np.zeros((1, 1, 3), np.uint8), "1 x 1 px"),
    (np.zeros((1, 10, 3), np.uint8), "10 x 1 px"),
    (np.zeros((10, 10, 3)), "uint8"),
    (np.zeros((10, 10), np.uint8), r"\(H, W, 3\)"),
    (np.zeros((10, 10, 4), np.uint8), r"\(H, W, 3\)"),
], ids=["1x1", "1x10", "float", "gray", "rgba"])
def test_bad_images_raise_valueerror(method, image, match):
    with pytest.raises(ValueError, match=match):
        run_method(method, image)


def test_unknown_parameter_is_a_typeerror():
    with pytest.raises(TypeError, match="n_segment"):
        run_method("slic", np.zeros((20, 20, 3), np.uint8), n_segment=10)
    with pytest.raises(TypeError, match="threshold"):
        run_method("watershed", np.zeros((20, 20, 3), np.uint8), threshold=0.5)


def test_registry_lists_the_region_methods():
    specs = list_methods("regions")
    assert [s.name for s in specs] == list(REGION_METHODS)
    assert all(s.family == "regions" and s.summary and s.title for s in specs)
    assert get_method("slic").func is slic and get_method("chan_vese").func is chan_vese
    assert get_method("slic").defaults == {
        "n_segments": 300, "compactness": 20.0, "merge": "hierarchical", "merge_threshold": 15.0, "max_side": 800,
    }
    assert MERGES == ("none", "threshold", "hierarchical") and CONTOURS == ("morphological", "classic")


@pytest.mark.parametrize("method", REGION_METHODS)
def test_page_defaults_are_the_functions_defaults(method):
    assert get_method(method).settings == get_method(method).defaults


# --------------------------------------------------------------------------- a constant image


@pytest.mark.parametrize("method, params", VARIANTS, ids=VARIANT_IDS)
def test_constant_image(method, params):
    img = np.full((40, 50, 3), 128, np.uint8)
    seg = run_method(method, img, **params)
    assert seg.labels.shape == (40, 50) and seg.labels.dtype == np.int32
    assert seg.labels.min() >= 0
    assert sum(lab.share for lab in seg.legend) == pytest.approx(1.0)
    assert seg.extras["n_regions"] == len(seg.legend)
    if method == "chan_vese":
        assert all(np.isfinite(m) and m == pytest.approx(128 / 255) for m in seg.extras["means"].values())
    elif {**get_method(method).settings, **params}.get("merge", "none") != "none" or method in (
            "felzenszwalb", "quickshift") or params == {}:
        assert np.all(seg.labels == 1)  # nothing to tell apart: one region
    if method == "watershed":
        assert np.all(np.isfinite(seg.extras["gradient"]))
