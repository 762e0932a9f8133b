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
    FIT_SAMPLE,
    GMM_SAMPLE,
    _color_stats,
    _features,
    _sample,
    gmm,
    kmeans,
    kmeans_article,
)
from segcore.render import colorize


@functools.cache
def sample_image(name: str) -> np.ndarray:
    img = getattr(data, name)()
    img.setflags(write=False)
    return img


@functools.cache
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
    assert seg.extras["mode"] == "fast" and seg.extras["fit_pixels"] == FIT_SAMPLE


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
    assert seg.extras["fit_pixels"] == GMM_SAMPLE and seg.extras["mode"] == "fast"


def test_gmm_labels_are_the_mixtures_predictions():
    from sklearn.mixture import GaussianMixture

    img = sample_image("coffee")[::12, ::12]  # 1,700 pixels: fewer than the sample, so the fit uses them all
    assert img.shape[0] * img.shape[1] <= GMM_SAMPLE
    seg = gmm(img, k=3, seed=0)
    assert seg.extras["fit_pixels"] == img.shape[0] * img.shape[1]
    pixels = (img / np.float32(255)).reshape(-1, 3)
    child_seed = int(np.random.default_rng(0).integers(0, 2**31 - 1))  # the method's generator gives the fit's seed
    gm = GaussianMixture(n_components=3, init_params="k-means++", random_state=child_seed)
    gm.fit(pixels.astype(np.float64))
    predicted = gm.predict(pixels).reshape(img.shape[:2])
    theirs = partner(seg.labels, predicted)
    np.testing.assert_allclose(seg.extras["centers"], gm.means_[theirs])
    np.testing.assert_allclose(seg.extras["weights"], gm.weights_[theirs])
    assert np.array_equal(theirs[seg.labels], predicted)  # every pixel where scikit-learn puts it


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


def test_sample_is_seeded_rows_without_repeats():
    X = np.arange(1_000_003)[:, None]
    rows = _sample(X, 1000, np.random.default_rng(5)).ravel()
    assert len(rows) == 1000 and len(np.unique(rows)) == 1000
    np.testing.assert_array_equal(rows, _sample(X, 1000, np.random.default_rng(5)).ravel())
    assert np.mean(rows == _sample(X, 1000, np.random.default_rng(6)).ravel()) < 0.05
    few = np.arange(50)[:, None]  # fewer rows than asked: all of them
    assert _sample(few, 1000, np.random.default_rng(0)) is few


def test_features_are_rgb_over_255_or_rgb2lab_over_100():
    img = sample_image("astronaut")[::4, ::4]
    np.testing.assert_array_equal(_features(img, "rgb", 0.0, np.float64), (img / 255).reshape(-1, 3))
    np.testing.assert_array_equal(_features(img, "lab", 0.0, np.float64), rgb2lab(img).reshape(-1, 3) / 100)
    fast = _features(img, "lab", 0.0, np.float32)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, rgb2lab(img).reshape(-1, 3) / 100, atol=1e-6)
    xy = _features(img, "rgb", 3.0, np.float32)
    h, w = img.shape[:2]
    assert xy.shape == (h * w, 5) and xy.dtype == np.float32
    assert xy[w - 1, 3] == pytest.approx(3.0) and xy[-1, 4] == pytest.approx(3.0 * (h - 1) / (max(h, w) - 1))


def test_color_stats_are_per_cluster_sums_squares_and_counts():
    rng = np.random.default_rng(0)
    colors = rng.integers(0, 256, (70_001, 3), dtype=np.uint8)
    labels = rng.integers(0, 7, len(colors))
    stats = _color_stats(labels, colors, 7)
    np.testing.assert_array_equal(stats.counts, np.bincount(labels, minlength=7))
    for c in range(3):
        np.testing.assert_array_equal(stats.sums[:, c], np.bincount(labels, weights=colors[:, c], minlength=7))
        squares = np.bincount(labels, weights=colors[:, c].astype(float) ** 2, minlength=7)
        np.testing.assert_array_equal(stats.squares[:, c], squares)


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


def test_the_working_images_lab_is_converted_once_and_is_rgb2lab():
    from skimage.color import rgb2lab

    from segcore.fast.gray import to_lab
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes

    image = load_image(sample_bytes("hubble"))  # read-only pixels over read-only memory
    first = to_lab(image.rgb)
    assert to_lab(image.rgb) is first and not first.flags.writeable
    assert np.array_equal(first, rgb2lab(image.rgb))
    writable = np.array(image.rgb)
    assert to_lab(writable) is not to_lab(writable)  # anyone may change these pixels: never kept
    a = run_method("kmeans", image.rgb, color_space="lab", k=4)
    assert np.array_equal(a.labels, run_method("kmeans", writable, color_space="lab", k=4).labels)
