"""Clustering against the article's code and scikit-learn, on real sample images."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
from skimage import data
from skimage.color import rgb2lab
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from benchmarks.article_code import article_kmeans
from segcore import get_method, list_methods, run_method
from segcore.methods.clustering import (
    _argmin_rows,
    _assign,
    _color_stats,
    _features,
    _sample,
    _spread,
    gmm,
    kmeans,
    kmeans_article,
)
from segcore.render import colorize


@functools.lru_cache(maxsize=None)
def sample_image(name: str) -> np.ndarray:
    img = getattr(data, name)()
    img.setflags(write=False)
    return img


@functools.lru_cache(maxsize=None)
def full_fit(name: str, k: int, seed: int = 0) -> KMeans:
    """The article's call on every pixel: KMeans(n_clusters=k, random_state=seed)."""
    pixels = (sample_image(name) / 255).reshape(-1, 3)
    return KMeans(n_clusters=k, random_state=seed).fit(pixels)


def luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, float)[:, :3] @ [0.2125, 0.7154, 0.0721]


def partner(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """For each of our labels, the one label of ``theirs`` it coincides with (same partition)."""
    pairs = np.unique(np.stack([ours.ravel(), theirs.ravel()]), axis=1)
    assert len(np.unique(pairs[0])) == pairs.shape[1], "not the same partition"
    assert len(np.unique(pairs[1])) == pairs.shape[1], "not the same partition"
    return pairs[1][np.argsort(pairs[0])]


def spatial_spread(labels: np.ndarray) -> float:
    """Mean within-cluster variance of pixel positions (x, y on the long side's 0..1 scale)."""
    h, w = labels.shape
    y, x = np.mgrid[0:h, 0:w] / (max(h, w) - 1)
    flat = labels.ravel()
    n = np.bincount(flat).astype(float)
    total = 0.0
    for coord in (x.ravel(), y.ravel()):
        s = np.bincount(flat, weights=coord)
        s2 = np.bincount(flat, weights=coord**2)
        nz = n > 0
        total += float(np.sum(s2[nz] - s[nz] ** 2 / n[nz]))
    return total / flat.size


def within_ss(features: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances to each label's mean, in the given features."""
    flat = labels.ravel()
    n = np.bincount(flat).astype(float)
    nz = n > 0
    total = float(np.einsum("ij,ij->", features, features))
    for c in range(features.shape[1]):
        s = np.bincount(flat, weights=features[:, c])
        total -= float(np.sum(s[nz] ** 2 / n[nz]))
    return total


# --------------------------------------------------------------------------- the article


def test_kmeans_article_is_the_articles_code():
    img = sample_image("chelsea")[::2, ::2]
    picture, km = article_kmeans(img)
    seg = kmeans_article(img)

    assert seg.method == "kmeans_article" and seg.params == {}
    assert seg.labels.shape == img.shape[:2] and seg.labels.dtype == np.int32
    # The same partition as scikit-learn's labels_, renumbered dark to bright.
    theirs = partner(seg.labels, km.labels_.reshape(img.shape[:2]))
    assert sorted(theirs) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(seg.extras["centers"], km.cluster_centers_[theirs])
    assert np.all(np.diff(luma(seg.extras["centers"])) > 0)
    assert seg.extras["inertia"] == pytest.approx(km.inertia_, rel=1e-12)
    # recolored is the article's cluster_centers_[labels_] picture, and centers[labels].
    expected = np.clip(np.rint(picture * 255), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(seg.extras["recolored"], expected)
    centers_u8 = np.clip(np.rint(seg.extras["centers"] * 255), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(seg.extras["recolored"], centers_u8[seg.labels])
    assert seg.extras["mode"] == "exact" and seg.extras["fit_pixels"] == img.shape[0] * img.shape[1]


# --------------------------------------------------------------------------- fast k-means


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
@pytest.mark.parametrize("k", [3, 5, 8])
def test_fast_kmeans_inertia_is_within_half_a_percent_of_the_full_fit(name, k):
    img = sample_image(name)
    seg = kmeans(img, k=k)
    full = full_fit(name, k)
    ratio = seg.extras["inertia"] / full.inertia_
    # One-sided: the fast fit may land in a better optimum than the full fit's
    # single k-means++ start (coffee, k=5: 0.992), never a worse one by > 0.5 %.
    assert ratio <= 1.005, f"{name} k={k}: inertia ratio {ratio:.4f}"
    assert ratio > 0.95
    # The reported inertia is over all pixels, with the reported centres.
    pixels = (img / 255).reshape(-1, 3)
    diff = pixels - seg.extras["centers"][seg.labels.ravel()]
    assert seg.extras["inertia"] == pytest.approx(float(np.einsum("ij,ij->", diff, diff)), rel=1e-4)
    # ... and every pixel sits at its nearest centre.
    d = ((pixels[:, None, :] - seg.extras["centers"][None]) ** 2).sum(-1)
    assert np.mean(d.argmin(1) == seg.labels.ravel()) > 0.9999
    assert seg.extras["mode"] == "fast" and seg.extras["fit_pixels"] == 50_000


@pytest.mark.parametrize(
    ("name", "k", "seed", "color_space", "xy_weight"),
    [
        ("chelsea", 4, 3, "rgb", 0.0),
        ("coffee", 5, 0, "rgb", 0.0),
        ("coffee", 3, 1, "lab", 0.0),
        ("chelsea", 3, 0, "rgb", 0.5),
    ],
)
def test_exact_reproduces_sklearn_full_fit(name, k, seed, color_space, xy_weight):
    img = sample_image(name)[::2, ::2]
    features = (rgb2lab(img) / 100 if color_space == "lab" else img / 255).reshape(-1, 3)
    if xy_weight:
        h, w = img.shape[:2]
        y, x = np.mgrid[0:h, 0:w] / (max(h, w) - 1) * xy_weight
        features = np.column_stack([features, x.ravel(), y.ravel()])
    km = KMeans(n_clusters=k, random_state=seed).fit(features)
    seg = kmeans(img, k=k, color_space=color_space, xy_weight=xy_weight, exact=True, seed=seed)
    theirs = partner(seg.labels, km.labels_.reshape(img.shape[:2]))
    assert np.allclose(seg.extras["centers"], km.cluster_centers_[theirs])
    assert seg.extras["inertia"] == pytest.approx(km.inertia_)
    assert seg.extras["n_iter"] == km.n_iter_
    assert seg.extras["mode"] == "exact" and seg.extras["fit_pixels"] == len(features)
    assert seg.params == {"k": k, "color_space": color_space, "xy_weight": xy_weight, "exact": True, "seed": seed}


def test_same_seed_same_result_and_seed_matters():
    img = sample_image("coffee")[::2, ::2]
    a, b = kmeans(img, k=6, seed=7), kmeans(img, k=6, seed=7)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.extras["centers"], b.extras["centers"])
    assert a.extras["inertia"] == b.extras["inertia"]
    assert a.legend == b.legend
    others = [kmeans(img, k=6, seed=s).extras["centers"] for s in (8, 9)]
    assert any(not np.array_equal(a.extras["centers"], c) for c in others)
    g1, g2 = gmm(img, k=4, seed=2), gmm(img, k=4, seed=2)
    np.testing.assert_array_equal(g1.labels, g2.labels)


@pytest.mark.parametrize(
    "run",
    [
        lambda img: kmeans(img, k=7),
        lambda img: kmeans(img, k=4, color_space="lab"),
        lambda img: kmeans(img, k=5, xy_weight=1.0),
        lambda img: kmeans(img, k=3, exact=True),
        lambda img: gmm(img, k=5),
        kmeans_article,
    ],
    ids=["fast", "lab", "xy", "exact", "gmm", "article"],
)
def test_result_shape_legend_and_extras(run):
    img = sample_image("astronaut")[::2, ::2]
    seg = run(img)
    k = seg.params.get("k", 5)
    h, w = img.shape[:2]
    assert seg.labels.shape == (h, w) and seg.labels.dtype == np.int32
    assert set(np.unique(seg.labels)) == set(range(k))
    assert len(seg.legend) == k == seg.extras["k_effective"] and seg.extras["note"] is None
    assert [lab.value for lab in seg.legend] == list(range(k))
    assert [lab.name for lab in seg.legend] == [f"cluster {i}" for i in range(k)]
    assert sum(lab.share for lab in seg.legend) == pytest.approx(1.0)
    assert sum(lab.pixels for lab in seg.legend) == h * w
    # Each swatch is the cluster's real mean colour.
    centers_rgb = seg.extras["centers_rgb"]
    assert centers_rgb.shape == (k, 3) and centers_rgb.dtype == np.uint8
    flat, labels = img.reshape(-1, 3).astype(float), seg.labels.ravel()
    for lab in seg.legend:
        mean = flat[labels == lab.value].mean(0)
        assert np.abs(np.array(lab.color) - mean).max() <= 0.5 + 1e-9
        assert lab.color == tuple(centers_rgb[lab.value])
    # The repainted picture is the label map in the legend's colours (the clusters' mean colours) ...
    np.testing.assert_array_equal(colorize(seg), centers_rgb[seg.labels])
    # ... and only the article's method stores one, painted with its centres as the article does.
    assert ("recolored" in seg.extras) == (seg.method == "kmeans_article")
    # Clusters are numbered dark to bright by their centre's lightness.
    centers = seg.extras["centers"]
    lightness = centers[:, 0] if seg.params.get("color_space") == "lab" else luma(centers)
    assert np.all(np.diff(lightness) >= 0)
    assert centers.shape[0] == k and isinstance(seg.extras["inertia"], float) and seg.extras["n_iter"] >= 1
    assert seg.elapsed_s > 0


def test_lab_clusters_by_perceived_colour():
    img = sample_image("coffee")
    rgb, lab = kmeans(img), kmeans(img, color_space="lab")
    assert lab.extras["feature_names"] == ["L*/100", "a*/100", "b*/100"]
    assert adjusted_rand_score(rgb.labels.ravel(), lab.labels.ravel()) < 0.9
    # Each partition is the better one in its own space.
    f_lab = (rgb2lab(img) / 100).reshape(-1, 3)
    f_rgb = (img / 255).reshape(-1, 3)
    assert within_ss(f_lab, lab.labels) < 0.95 * within_ss(f_lab, rgb.labels)
    assert within_ss(f_rgb, rgb.labels) < 0.95 * within_ss(f_rgb, lab.labels)
    assert lab.extras["inertia"] == pytest.approx(within_ss(f_lab, lab.labels), rel=1e-3)
    assert 0 <= lab.extras["centers"][:, 0].min() and lab.extras["centers"][:, 0].max() <= 1


def test_position_features_make_clusters_spatially_compact():
    img = sample_image("coffee")
    spreads = [spatial_spread(kmeans(img, xy_weight=w).labels) for w in (0.0, 1.0, 5.0)]
    assert spreads[0] > 1.5 * spreads[1] > 1.5 * 1.2 * spreads[2]
    seg = kmeans(img, xy_weight=2.0)
    assert seg.extras["centers"].shape == (5, 5)
    assert seg.extras["feature_names"] == ["R/255", "G/255", "B/255", "x*2", "y*2"]
    assert np.all((seg.extras["centers"][:, 3:] >= 0) & (seg.extras["centers"][:, 3:] <= 2))


# --------------------------------------------------------------------------- Gaussian mixture


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_gmm_returns_k_clusters(covariance_type):
    img = sample_image("chelsea")[::2, ::2]
    seg = gmm(img, k=4, covariance_type=covariance_type)
    assert seg.method == "gmm" and len(seg.legend) == 4
    assert set(np.unique(seg.labels)) == {0, 1, 2, 3}
    assert seg.extras["weights"].sum() == pytest.approx(1.0)
    assert seg.extras["covariance_type"] == covariance_type and seg.extras["converged"]
    assert seg.extras["fit_pixels"] == 10_000 and seg.extras["mode"] == "fast"


def test_gmm_labels_are_the_mixtures_predictions():
    from sklearn.mixture import GaussianMixture

    img = sample_image("coffee")[::5, ::5]  # 9,600 pixels: fewer than the sample, so the fit uses them all
    seg = gmm(img, k=3, seed=0)
    assert seg.extras["fit_pixels"] == img.shape[0] * img.shape[1]
    pixels = (img / np.float32(255)).reshape(-1, 3).astype(np.float32)
    rng = np.random.default_rng(0)
    gm = GaussianMixture(n_components=3, init_params="k-means++", random_state=0)
    gm.fit(pixels[rng.permutation(len(pixels))])
    predicted = gm.predict(pixels).reshape(img.shape[:2])
    theirs = partner(seg.labels, predicted)
    assert np.allclose(seg.extras["centers"], gm.means_[theirs], atol=1e-5)
    assert np.array_equal(theirs[seg.labels], predicted)  # every pixel where scikit-learn puts it


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("xy_weight", [0.0, 2.0])
def test_fast_gmm_predict_is_sklearn_predict(covariance_type, xy_weight):
    from sklearn.mixture import GaussianMixture

    from segcore.methods.clustering import _gmm_predict

    img = sample_image("astronaut")
    X = _features(img, "rgb", xy_weight, np.float32)
    rng = np.random.default_rng(1)
    gm = GaussianMixture(6, covariance_type=covariance_type, random_state=0).fit(X[rng.integers(0, len(X), 8000)])
    got, expected = _gmm_predict(gm, X)[0], gm.predict(X)
    assert got.dtype == np.int32 and got.shape == expected.shape
    assert np.count_nonzero(got != expected) <= 5  # of 262,144: only near-exact ties may round the other way
    # Given an order of the components, label i is component order[i]; the colour statistics come along.
    order = rng.permutation(6)
    ranked, stats, squares = _gmm_predict(gm, X, order, img.reshape(-1, 3))
    rank = np.argsort(order)
    np.testing.assert_array_equal(ranked, rank[got])
    np.testing.assert_array_equal(stats, _color_stats(ranked, img.reshape(-1, 3), 6))
    assert stats[:, 3].sum() == len(X) and squares is None
    if xy_weight == 0:  # the features read from the pixels: the same labels, and the sum of |x|^2
        from_pixels, stats2, squares = _gmm_predict(gm, None, order, img.reshape(-1, 3))
        assert np.count_nonzero(from_pixels != ranked) <= 5
        np.testing.assert_array_equal(stats2, _color_stats(from_pixels, img.reshape(-1, 3), 6))
        assert squares == pytest.approx(float(np.square(img / 255.0).sum()), rel=1e-6)


def test_gmm_inertia_is_the_squared_distance_to_the_component_means():
    img = sample_image("coffee")
    for color_space in ("rgb", "lab"):
        seg = gmm(img, k=4, color_space=color_space)
        X = _features(img, color_space, 0.0, np.float64)
        diff = X - seg.extras["centers"][seg.labels.ravel()]
        assert seg.extras["inertia"] == pytest.approx(float(np.einsum("ij,ij->", diff, diff)), rel=1e-6)


# --------------------------------------------------------------------------- edges of the input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 1}, "between 2 and 16"),
        ({"k": 17}, "between 2 and 16"),
        ({"k": 2.5}, "whole number"),
        ({"k": "5"}, "whole number"),
        ({"k": True}, "whole number"),
        ({"color_space": "hsv"}, "rgb, lab"),
        ({"xy_weight": -0.1}, "positive"),
        ({"xy_weight": float("nan")}, "positive"),
        ({"xy_weight": "far"}, "number"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_parameters_raise_clear_errors(kwargs, message):
    img = sample_image("coffee")[:32, :32]
    with pytest.raises(ValueError, match=message):
        kmeans(img, **kwargs)
    with pytest.raises(ValueError, match=message):
        gmm(img, **kwargs)


def test_bad_images_and_covariance_raise():
    img = sample_image("coffee")[:32, :32]
    with pytest.raises(ValueError, match="covariance_type"):
        gmm(img, covariance_type="round")
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        kmeans(img[..., 0])
    with pytest.raises(ValueError, match="uint8"):
        kmeans(img / 255)
    with pytest.raises(ValueError, match="at least 5 pixels"):
        kmeans(img[:2, :2], k=5)
    assert kmeans(img, k=5.0).params["k"] == 5  # a whole float is accepted
    assert kmeans(img, color_space="LAB").params["color_space"] == "lab"


def test_fewer_colours_than_k_gives_fewer_clusters_without_warnings():
    img = np.zeros((40, 60, 3), np.uint8)
    img[:20] = (200, 200, 200)
    img[:, :15] = (10, 100, 30)
    runs = {
        "fast": lambda: kmeans(img, k=5),
        "exact": lambda: kmeans(img, k=5, exact=True),
        "lab": lambda: kmeans(img, k=4, color_space="lab"),
        "gmm": lambda: gmm(img, k=5),
        "article": lambda: kmeans_article(img),
    }
    for name, run in runs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            seg = run()
        assert seg.extras["k_effective"] == 3, name
        assert "found 3" in seg.extras["note"] and "distinct colours" in seg.extras["note"], name
        assert len(seg.legend) == 3 and set(np.unique(seg.labels)) == {0, 1, 2}, name
        assert seg.extras["inertia"] == pytest.approx(0.0, abs=1e-6 * img.size), name  # float32 rounding
        assert sorted(lab.color for lab in seg.legend) == [(0, 0, 0), (10, 100, 30), (200, 200, 200)], name
    # a single colour: one cluster
    flat = np.full((16, 16, 3), 77, np.uint8)
    seg = kmeans(flat, k=2)
    assert seg.extras["k_effective"] == 1 and seg.legend[0].color == (77, 77, 77)


def test_assign_matches_brute_force():
    rng = np.random.default_rng(0)
    X = rng.random((70_001, 5), dtype=np.float32)  # more than two blocks, the last one partial
    C = rng.random((16, 5))
    colors = rng.integers(0, 256, (len(X), 3), dtype=np.uint8)
    labels, inertia, stats = _assign(X, C, colors)
    d = ((X[:, None, :].astype(float) - C[None]) ** 2).sum(-1)
    assert np.mean(labels == d.argmin(1)) > 0.9999
    assert inertia == pytest.approx(d.min(1).sum(), rel=1e-6)
    np.testing.assert_array_equal(stats[:, 3], np.bincount(labels, minlength=16))
    for c in range(3):
        np.testing.assert_array_equal(stats[:, c], np.bincount(labels, weights=colors[:, c], minlength=16))


def test_assign_from_the_pixels_is_the_assignment_on_colour_over_255():
    rng = np.random.default_rng(1)
    colors = rng.integers(0, 256, (70_001, 3), dtype=np.uint8)
    C = rng.random((7, 3))
    labels, inertia, stats = _assign(None, C, colors)  # features read from the pixels, block by block
    X = colors / 255.0
    d = ((X[:, None, :] - C[None]) ** 2).sum(-1)
    assert np.mean(labels == d.argmin(1)) > 0.9999
    assert inertia == pytest.approx(d.min(1).sum(), rel=1e-6)
    np.testing.assert_array_equal(stats[:, 3], np.bincount(labels, minlength=7))
    for c in range(3):
        np.testing.assert_array_equal(stats[:, c], np.bincount(labels, weights=colors[:, c], minlength=7))
    with pytest.raises(ValueError, match="needs the features"):
        _assign(None, C)


def test_sample_is_one_row_from_each_stretch_in_order():
    X = np.arange(1_000_003)[:, None]
    rows = _sample(X, 1000, np.random.default_rng(5)).ravel()
    assert len(rows) == 1000 and np.all(np.diff(rows) > 0)
    bounds = np.linspace(0, len(X), 1001).astype(int)  # 1000 stretches of 1000 or 1001 rows
    assert np.all(bounds[:-1] <= rows) and np.all(rows < bounds[1:])  # one from each stretch
    again = _sample(X, 1000, np.random.default_rng(5)).ravel()
    other = _sample(X, 1000, np.random.default_rng(6)).ravel()
    np.testing.assert_array_equal(rows, again)
    assert np.mean(rows == other) < 0.05
    # Fewer rows than asked: all of them, shuffled.
    few = _sample(np.arange(50)[:, None], 1000, np.random.default_rng(0)).ravel()
    assert sorted(few) == list(range(50)) and list(few) != list(range(50))
    # The starts' share of the sample spans it from first to last.
    spread = _spread(rows, 10)
    assert spread[0] == rows[0] and spread[-1] == rows[-1] and len(spread) == 10


def test_fast_lab_features_agree_with_rgb2lab():
    every_rg = np.stack([*np.meshgrid(np.arange(256), np.arange(256), indexing="ij"), np.full((256, 256), 9)], -1)
    for img in (sample_image("astronaut"), every_rg.astype(np.uint8), every_rg[..., ::-1].astype(np.uint8)):
        fast = _features(img, "lab", 0.0, np.float32)
        assert fast.dtype == np.float32
        np.testing.assert_allclose(fast * 100, rgb2lab(img).reshape(-1, 3), atol=1e-3)
    np.testing.assert_array_equal(_features(img, "lab", 0.0, np.float64), rgb2lab(img).reshape(-1, 3) / 100)


def test_thread_limits_are_restored():
    from threadpoolctl import threadpool_info

    kmeans(sample_image("coffee")[:64, :64], k=3)  # loads scikit-learn's runtimes
    before = [(i["prefix"], i["num_threads"]) for i in threadpool_info()]
    kmeans(sample_image("coffee")[:64, :64], k=3)
    gmm(sample_image("coffee")[:64, :64], k=3)
    assert [(i["prefix"], i["num_threads"]) for i in threadpool_info()] == before


# --------------------------------------------------------------------------- registry


def test_registered_with_the_articles_defaults():
    specs = {s.name: s for s in list_methods("clustering")}
    assert {"kmeans_article", "kmeans", "gmm"} <= set(specs)
    assert specs["kmeans"].defaults == {"k": 5, "color_space": "rgb", "xy_weight": 0.0, "exact": False, "seed": 0}
    assert specs["gmm"].defaults == {
        "k": 5,
        "color_space": "rgb",
        "xy_weight": 0.0,
        "covariance_type": "full",
        "seed": 0,
    }
    assert specs["kmeans_article"].defaults == {}
    assert get_method("kmeans").summary.startswith("k-means on pixel colour")
    img = sample_image("coffee")[::8, ::8]
    seg = run_method("kmeans", img, k=3)
    assert seg.method == "kmeans" and seg.n_labels == 3


def test_openmp_threads_wait_passively_unless_told_otherwise():
    """scikit-learn's OpenMP threads must not spin on a core the rest of the app needs."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import os, numpy as np\n"
        "from segcore.methods.clustering import gmm\n"
        "gmm(np.zeros((8, 8, 3), np.uint8) + np.arange(8, dtype=np.uint8)[:, None, None] * 30, k=2)\n"
        "print(os.environ['OMP_WAIT_POLICY'])\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    for given, expected in ((None, "PASSIVE"), ("ACTIVE", "ACTIVE")):  # an explicit choice is kept
        if given:
            env["OMP_WAIT_POLICY"] = given
        out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected


@pytest.mark.parametrize("k", [3, 6, 14])
def test_lloyd_makes_scikit_learns_iterations(k):
    from sklearn.cluster import KMeans

    from segcore.methods.clustering import _lloyd

    img = sample_image("astronaut")
    X = _sample(img.reshape(-1, 3), 50_000, np.random.default_rng(0)) / 255.0
    rng = np.random.default_rng(1)
    # A poor start (many iterations), off the grid of colours / 255: from a
    # start on it, pixels exactly halfway between two centres are common, and
    # which side rounding puts them on differs with the order of operations.
    start = X[rng.choice(len(X), k, replace=False)] + rng.normal(0, 1e-3, (k, 3))
    for max_iter in (1, 3, 300):
        ours, n_iter, converged = _lloyd(start, X, max_iter=max_iter)
        theirs = KMeans(n_clusters=k, init=start, n_init=1, max_iter=max_iter).fit(X)
        np.testing.assert_allclose(ours, theirs.cluster_centers_, atol=1e-4)
        assert n_iter == min(max_iter, theirs.n_iter_) or not converged
    assert converged and n_iter == theirs.n_iter_
    # Handing over to scikit-learn after a few iterations ends where scikit-learn alone does.
    part, _, _ = _lloyd(start, X, max_iter=2)
    rest = KMeans(n_clusters=k, init=part, n_init=1).fit(X)
    np.testing.assert_allclose(rest.cluster_centers_, theirs.cluster_centers_, atol=1e-4)


def test_lloyd_leaves_an_empty_cluster_to_scikit_learn():
    from segcore.methods.clustering import _lloyd

    X = np.random.default_rng(0).random((1000, 3))
    start = np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.1, 0.1, 0.1]])  # a repeated centre: one gets no row
    centers, n_iter, converged = _lloyd(start, X, max_iter=10)
    assert not converged and n_iter == 0 and np.array_equal(centers, start)


@pytest.mark.parametrize("k", [2, 3, 5, 16])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_centre_is_numpys_argmin_first_index_on_ties(k, dtype):
    rng = np.random.default_rng(k)
    # Few distinct values: ties between centres on most columns.
    d = rng.integers(0, 4, (k, 5000)).astype(dtype)
    d[:, :7] = 2.0  # all k tied
    best, labels, less = np.empty(5000, dtype), np.empty(5000, np.int32), np.empty(5000, bool)
    _argmin_rows(d, best, labels, less)
    assert np.array_equal(labels, d.argmin(axis=0))
    assert np.array_equal(best, d.min(axis=0))
    assert labels[:7].tolist() == [0] * 7
