"""Clustering-based segmentation: pixels grouped by colour (and position).

The article's k-means is reproduced exactly: ``pic = image / 255`` reshaped to
``(H * W, 3)``, ``KMeans(n_clusters=5, random_state=0).fit(pic)``, and the
recoloured picture ``cluster_centers_[labels_]``.

Around it, the dashboard's k-means lets a user pick ``k``, cluster in CIELAB
instead of RGB, add pixel position as features, and choose between the
article's full fit (``exact=True``) and a fit on a random sample of pixels
followed by ``KMeans.predict`` for every pixel (the default). A Gaussian
mixture (the alternative the article's FAQ names) shares the same features:
``sklearn.mixture.GaussianMixture`` fitted on a sample, every pixel then
given its most probable component.

Every method numbers its clusters ``0..k-1`` dark to bright by the lightness
of their centre (Rec. 709 luma of an RGB centre, L* of a Lab one), so colours
and names stay put when a parameter changes; the legend shows each cluster in
its real mean colour.

Features
--------
``rgb``
    ``R, G, B / 255`` (the article's features), each in [0, 1].
``lab``
    ``skimage.color.rgb2lab`` (D65, 2 degrees) divided by 100, one factor for
    all three channels: L* falls in [0, 1] like the RGB features, a* and b* in
    about [-1, 1], and Euclidean distance is still CIE76 delta-E (over 100), so
    Lab keeps its meaning of perceptual distance.
``xy_weight > 0``
    Two more columns, ``x`` and ``y``, the pixel's column and row divided by
    the image's long side minus one (so the long side spans [0, 1]) and
    multiplied by ``xy_weight``. ``xy_weight = 1`` makes crossing the whole
    image as costly as going from black to white in one RGB channel.

scikit-learn is imported on first use, so listing the methods stays quick.
"""

from __future__ import annotations

import functools
import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

from segcore.fast.gray import to_lab
from segcore.fast.mixture import predict as mixture_predict
from segcore.imports import load
from segcore.registry import register
from segcore.result import Segmentation, build_legend, stopwatch
from segcore.spec import Cost, Param, megapixels

#: Smallest and largest number of clusters the dashboard offers.
K_MIN, K_MAX = 2, 16
#: Feature spaces for colour.
COLOR_SPACES = ("rgb", "lab")
#: The covariance models of ``sklearn.mixture.GaussianMixture``.
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: CIELAB values are divided by this (see the module notes).
LAB_SCALE = 100.0
#: Pixels the default k-means is fitted on.
FIT_SAMPLE = 10_000
#: k-means++ starts of the default k-means (scikit-learn's ``n_init``); the best is kept.
N_INIT = 2
#: Pixels the Gaussian mixture is fitted on.
GMM_SAMPLE = 2_000

# ITU-R 709 luma, the weights of skimage.color.rgb2gray (the article's gray).
_LUMA = np.array([0.2125, 0.7154, 0.0721])


# --------------------------------------------------------------------------- the article


#: The full fit on every pixel: 1.6 s a megapixel at 1600 x 1200, 6 s at 512 x 512 (more iterations to converge).
_FULL_FIT_S_PER_MP = 4.0


@register("kmeans_article", family="clustering", title="k-means, 5 colours (article)", compare=False,
          cost=Cost(lambda shape, p: 0.1 + _FULL_FIT_S_PER_MP * megapixels(shape)))
def kmeans_article(image: np.ndarray) -> Segmentation:
    """The article's k-means: 5 clusters of RGB colour, fitted on every pixel.

    Exactly the article's code: ``pic = image / 255`` reshaped to
    ``(H * W, 3)``, ``KMeans(n_clusters=5, random_state=0).fit(pic)``. Returns
    labels 0..4 (scikit-learn's clusters renumbered dark to bright);
    ``extras['centers']`` holds the 5 x 3 centres in 0..1 RGB, ``'inertia'``
    scikit-learn's ``inertia_`` and ``'recolored'`` the article's picture
    ``cluster_centers_[labels_]`` as uint8.
    """
    KMeans = load("sklearn.cluster").KMeans  # imported before the stopwatch starts, one thread at a time

    image = _check_image(image, 5)
    with stopwatch() as t:
        pic = image / 255
        pic_n = pic.reshape(pic.shape[0] * pic.shape[1], pic.shape[2])
        with _no_convergence_warnings():
            km = KMeans(n_clusters=5, random_state=0).fit(pic_n)
        seg = _finish("kmeans_article", image, km.labels_, km.cluster_centers_, color_space="rgb",
                      inertia=km.inertia_, params={},
                      extras={"n_iter": int(km.n_iter_), "fit_pixels": len(pic_n), "mode": "exact"})
        # The article's own picture, cluster_centers_[labels_], rather than the
        # clusters' mean colours (they differ by a level at most).
        seg.extras["recolored"] = _to_uint8(seg.extras["centers"] * 255.0)[seg.labels]
    seg.elapsed_s = t[0]
    return seg


# --------------------------------------------------------------------------- the dashboard's k-means


#: The settings k-means and the Gaussian mixture share.
K = Param("k", "Clusters (k)", "int", K_MIN, K_MAX, 1)
COLOR_SPACE = Param("color_space", "Colour space", "choice", choices=COLOR_SPACES,
                    labels=("RGB (the article)", "CIELAB (perceptual)"))
XY_WEIGHT = Param("xy_weight", "Position weight (x, y)", "float", 0.0, 2.0, 0.05,
                  help="0 clusters colours only; larger values make clusters spatially compact.")
SEED = Param("seed", "Seed", "int", 0, 10_000, 1)


@register(
    "kmeans", family="clustering", title="k-means clustering",
    params=(
        K, COLOR_SPACE, XY_WEIGHT,
        Param("exact", "Exact: the article's full fit", "bool",
              help="Fit on every pixel as the article does (slower). Off: fit on a sample, assign all."),
        SEED,
    ),
    # The sample's fit and the assignment of every pixel: about 0.05 s a megapixel.
    cost=Cost(lambda shape, p: 0.05 + (_FULL_FIT_S_PER_MP if p["exact"] else 0.1) * megapixels(shape), knob="exact",
              steps=(False,), says=lambda value, shape: "fitted on every pixel" if value else "fitted on a sample"),
)
def kmeans(
    image: np.ndarray,
    *,
    k: int = 5,
    color_space: str = "rgb",
    xy_weight: float = 0.0,
    exact: bool = False,
    seed: int = 0,
) -> Segmentation:
    """k-means on pixel colour (RGB or Lab), optionally with pixel position.

    Parameters
    ----------
    image : (H, W, 3) uint8
    k : int
        Number of clusters, 2 to 16 (the article uses 5).
    color_space : {"rgb", "lab"}
        ``"rgb"`` clusters ``pixels / 255`` as the article does; ``"lab"``
        clusters ``skimage.color.rgb2lab`` divided by 100, where distance
        follows perceived colour difference.
    xy_weight : float
        Weight of the (x, y) position features, each in [0, 1] along the long
        side; 0 (default) clusters on colour alone. Larger values make
        spatially compact clusters.
    exact : bool
        True runs the article's full fit, ``KMeans(n_clusters=k,
        random_state=seed).fit`` on every pixel (float64 features). False
        (default) fits ``KMeans(n_clusters=k, n_init=2)`` on 10,000 pixels
        drawn at random (float32 features), then assigns every pixel to its
        nearest centre with ``KMeans.predict``. The centres come from far fewer
        pixels, so the fit takes a small share of the full fit's time; keeping
        the better of 2 starts (the full fit makes one) offsets part of the
        sampling error: on 27 photos at k = 3, 5 and 8 the inertia over all
        pixels was within 0.1 % of the full fit's in the median case and
        within 0.6 % in nine cases of ten. Rare colours are under-sampled: a
        small, distinct region may share a cluster that the full fit would
        give it alone.
    seed : int
        Random seed for the sample and the starts; equal seeds, equal results.

    Returns
    -------
    Segmentation
        Labels 0..k-1, dark to bright by centre; each legend entry shows
        the cluster's mean colour and share of pixels. ``extras``:
        ``centers_rgb`` (k x 3 uint8 mean colours), ``centers`` (k x d, in the
        feature space), ``inertia`` (sum of squared distances of all pixels to
        their centre, in the feature space), ``n_iter``, ``fit_pixels``,
        ``mode`` (``"fast"`` or ``"exact"``), ``feature_names``,
        ``k_effective`` and ``note``. An image with fewer distinct colours
        than ``k`` gets as many clusters as it has colours; ``k_effective``
        says how many and ``note`` says why. The image repainted in its
        clusters' mean colours is ``segcore.render.colorize(seg)`` (the
        legend's colours), made when it is shown rather than stored with
        every result (3 MB a megapixel in each cached result).

    Examples
    --------
    >>> from skimage import data
    >>> seg = kmeans(data.coffee(), k=4)
    >>> seg.labels.shape, seg.n_labels
    ((400, 600), 4)
    """
    KMeans = load("sklearn.cluster").KMeans  # imported before the stopwatch starts, one thread at a time

    k, color_space, xy_weight, seed = _check_params(k, color_space, xy_weight, seed)
    image = _check_image(image, k)
    params = {"k": k, "color_space": color_space, "xy_weight": xy_weight, "exact": bool(exact), "seed": seed}
    with stopwatch() as t:
        with _no_convergence_warnings():
            if exact:
                X = _features(image, color_space, xy_weight, np.float64)
                km = KMeans(n_clusters=k, random_state=seed).fit(X)
                labels, inertia, fit_pixels = km.labels_, km.inertia_, len(X)
            else:
                X = _features(image, color_space, xy_weight, np.float32)
                rng = np.random.default_rng(seed)
                sample = _sample(X, FIT_SAMPLE, rng)
                with _one_thread():
                    km = KMeans(n_clusters=k, n_init=N_INIT, random_state=_child_seed(rng)).fit(sample)
                    labels = km.predict(X)
                inertia, fit_pixels = None, len(sample)  # computed by _finish
        seg = _finish("kmeans", image, labels, km.cluster_centers_, color_space=color_space, inertia=inertia,
                      X=X, xy_weight=xy_weight, params=params,
                      extras=_fit_extras(km, fit_pixels, "exact" if exact else "fast", color_space, xy_weight))
    seg.elapsed_s = t[0]
    return seg


# --------------------------------------------------------------------------- Gaussian mixture


@register(
    "gmm", family="clustering", title="Gaussian mixture",
    params=(
        K, COLOR_SPACE, XY_WEIGHT,
        Param("covariance_type", "Cluster shape (covariance)", "choice", choices=COVARIANCE_TYPES,
              labels=("full: any ellipsoid", "tied: one shared ellipsoid", "diag: along the colour axes",
                      "spherical: balls"),
              help="How each Gaussian may stretch: full (any ellipsoid, the default), tied (one ellipsoid shared "
              "by all), diag (ellipsoids along the colour axes), spherical (balls, closest to k-means)."),
        SEED,
    ),
    # Fitted on a sample; every pixel's probability under each component: 0.3 s at k = 16 on 512 x 512.
    cost=Cost(lambda shape, p: 0.15 + 0.05 * int(p["k"]) * megapixels(shape)),
)
def gmm(
    image: np.ndarray,
    *,
    k: int = 5,
    color_space: str = "rgb",
    xy_weight: float = 0.0,
    covariance_type: str = "full",
    seed: int = 0,
) -> Segmentation:
    """Gaussian mixture model on pixel colour: k-means with soft, elliptic clusters.

    ``sklearn.mixture.GaussianMixture(n_components=k,
    covariance_type=covariance_type, init_params="k-means++")`` is fitted on
    2,000 pixels drawn at random; then every pixel goes to its most probable
    component, which is the mixture's ``predict``
    (:func:`segcore.fast.mixture.predict` computes the same labels as
    ``GaussianMixture.predict``, tested, in a fraction of its time on a
    photo). The k-means++ start is scikit-learn's cheaper alternative to a
    full k-means fit before EM. Features are those of :func:`kmeans` (RGB or
    Lab, optional position).

    Returns
    -------
    Segmentation
        Labels 0..k-1, dark to bright; ``extras`` as for :func:`kmeans`
        (``centers`` are the component means, ``inertia`` the squared
        distances of all pixels to their component's mean) plus ``weights``
        (mixing proportions), ``covariance_type``, ``converged`` and
        ``lower_bound`` (the fit's mean log-likelihood bound on the sample).
        Components that end up owning no pixel are dropped (see
        ``k_effective`` and ``note``).
    """
    GaussianMixture = load("sklearn.mixture").GaussianMixture  # before the stopwatch, one thread at a time

    k, color_space, xy_weight, seed = _check_params(k, color_space, xy_weight, seed)
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, got {covariance_type!r}")
    image = _check_image(image, k)
    params = {"k": k, "color_space": color_space, "xy_weight": xy_weight, "covariance_type": covariance_type,
              "seed": seed}
    with stopwatch() as t:
        X = _features(image, color_space, xy_weight, np.float32)
        rng = np.random.default_rng(seed)
        sample = _sample(X, GMM_SAMPLE, rng).astype(np.float64)
        gm = GaussianMixture(
            n_components=k, covariance_type=covariance_type, init_params="k-means++", random_state=_child_seed(rng)
        )
        with _one_thread():
            try:
                with _no_convergence_warnings():
                    gm.fit(sample)
            except ValueError as exc:  # singular covariances on flat colours
                raise ValueError(
                    f"the Gaussian mixture could not be fitted with k={k} on this image ({exc}); "
                    "try a smaller k or covariance_type='diag'"
                ) from exc
            labels = mixture_predict(gm, X)
        extras = {**_fit_extras(gm, len(sample), "fast", color_space, xy_weight), "covariance_type": covariance_type,
                  "converged": bool(gm.converged_), "lower_bound": float(gm.lower_bound_)}
        seg = _finish("gmm", image, labels, gm.means_, color_space=color_space, inertia=None, X=X,
                      xy_weight=xy_weight, params=params, extras=extras, per_cluster={"weights": gm.weights_})
    seg.elapsed_s = t[0]
    return seg


# --------------------------------------------------------------------------- shared pieces


def _check_params(k: Any, color_space: Any, xy_weight: Any, seed: Any) -> tuple[int, str, float, int]:
    """Validate the shared parameters at the boundary; return them normalised."""
    whole = isinstance(k, (int, np.integer)) or (isinstance(k, (float, np.floating)) and float(k).is_integer())
    if isinstance(k, bool) or not whole:
        raise ValueError(f"k must be a whole number of clusters, got {k!r}")
    k = int(k)
    if not K_MIN <= k <= K_MAX:
        raise ValueError(f"k must be between {K_MIN} and {K_MAX} clusters, got {k}")
    cs = str(color_space).lower()
    if cs not in COLOR_SPACES:
        raise ValueError(f"color_space must be one of {', '.join(COLOR_SPACES)}, got {color_space!r}")
    try:
        w = float(xy_weight)
    except (TypeError, ValueError):
        raise ValueError(f"xy_weight must be a number, got {xy_weight!r}") from None
    if not math.isfinite(w) or w < 0:
        raise ValueError(f"xy_weight must be 0 (colour only) or a positive number, got {xy_weight!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must be a whole number from 0 to 2**32 - 1, got {seed!r}")
    return k, cs, w, int(seed)


def _check_image(image: Any, k: int) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        raise ValueError(f"expected an RGB image of uint8 values, got {arr.dtype}")
    if arr.shape[0] * arr.shape[1] < k:
        raise ValueError(f"{k} clusters need at least {k} pixels; the image has {arr.shape[0] * arr.shape[1]}")
    return arr


def _features(image: np.ndarray, color_space: str, xy_weight: float, dtype=np.float32) -> np.ndarray:
    """The (H * W, d) feature matrix described in the module notes, in ``dtype``.

    ``float64`` gives the article's numbers (``image / 255``) for the full
    fit; ``float32`` halves the memory the sampled fit's ``predict`` reads.
    """
    h, w = image.shape[:2]
    if color_space == "rgb":
        color = image.reshape(h * w, 3) / dtype(255)
    else:
        color = (to_lab(image) / LAB_SCALE).reshape(h * w, 3).astype(dtype, copy=False)  # rgb2lab, kept
    if xy_weight == 0:
        return color
    rows, cols = np.indices((h, w), dtype=dtype) * dtype(xy_weight / max(max(h, w) - 1, 1))
    return np.column_stack([color, cols.ravel(), rows.ravel()])


def _sample(X: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` rows of ``X`` drawn at random without replacement (all rows, in order, when there are fewer)."""
    if len(X) <= size:
        return X
    return X[np.sort(rng.choice(len(X), size, replace=False))]


def _child_seed(rng: np.random.Generator) -> int:
    """A seed for scikit-learn drawn from ``rng``, so that the sample and the starts follow from one seed."""
    return int(rng.integers(0, 2**31 - 1))


def _inertia(
    X: np.ndarray, labels: np.ndarray, centers: np.ndarray, stats: ColorStats, color_space: str, xy_weight: float
) -> float:
    """Sum over all rows of ``X`` of the squared distance to the row's own centre.

    For the article's features (``pixels / 255``) it follows from each
    cluster's colour sums and sums of squares: ``sum |x - c|^2 = sum |x|^2 -
    2 c . sum x + n |c|^2``, with no further pass over the pixels; other
    features are subtracted from their centres row by row.
    """
    centers = np.asarray(centers, np.float64)
    if color_space == "rgb" and xy_weight == 0:
        sums, squares, counts = stats.sums / 255.0, stats.squares / 255.0**2, stats.counts
        return float(squares.sum() - 2 * np.sum(centers * sums) + counts @ np.square(centers).sum(axis=1))
    diff = X - centers.astype(X.dtype)[labels]
    return float(np.square(diff).sum(dtype=np.float64))


def _fit_extras(fitted, fit_pixels: int, mode: str, color_space: str, xy_weight: float) -> dict:
    """What every clustering result says of its fit: iterations, pixels fitted on, fast or exact, features."""
    names = ["R/255", "G/255", "B/255"] if color_space == "rgb" else ["L*/100", "a*/100", "b*/100"]
    if xy_weight > 0:
        names += [f"x*{xy_weight:g}", f"y*{xy_weight:g}"]
    return {"n_iter": int(fitted.n_iter_), "fit_pixels": int(fit_pixels), "mode": mode, "feature_names": names}


class ColorStats(NamedTuple):
    """Per cluster: sums of R, G and B (0..255) over its pixels, sums of their squares, and pixel counts."""

    sums: np.ndarray  # (k, 3)
    squares: np.ndarray  # (k, 3)
    counts: np.ndarray  # (k,)


def _color_stats(labels: np.ndarray, pixels: np.ndarray, k: int) -> ColorStats:
    """Each cluster's colour sums, sums of squares and pixel count, exact.

    Per channel, a histogram of (label, value) pairs, ``bincount(labels *
    256 + value)``: a (k, 256) table, whose products with ``v`` and ``v^2``
    give the sums.
    """
    values = np.arange(256, dtype=np.float64)
    offsets = labels.astype(np.int32) * 256  # k * 256 fits; int32 sums are a quarter faster than intp at 2 MP
    sums, squares = np.empty((k, 3)), np.empty((k, 3))
    for c in range(3):
        hist = np.bincount(offsets + pixels[:, c], minlength=256 * k).reshape(k, 256)
        sums[:, c], squares[:, c] = hist @ values, hist @ np.square(values)
    return ColorStats(sums, squares, hist.sum(axis=1))


def _finish(method: str, image: np.ndarray, labels: np.ndarray, centers: np.ndarray, *, color_space: str,
            inertia: float | None, params: dict, extras: dict, X: np.ndarray | None = None, xy_weight: float = 0.0,
            per_cluster: dict | None = None) -> Segmentation:
    """The result: clusters numbered dark to bright, empty ones dropped, legend and extras built.

    Returns a :class:`Segmentation` whose label ``i`` is the ``i``-th
    darkest non-empty cluster, so that colours and names stay put when a
    parameter changes; ``per_cluster`` values (one per cluster) are reordered
    the same way. ``inertia=None`` has it computed from the features ``X``
    (:func:`_inertia`).
    """
    h, w = image.shape[:2]
    k = len(centers)
    labels = np.asarray(labels).ravel()
    stats = _color_stats(labels, image.reshape(-1, 3), k)
    if inertia is None:
        inertia = _inertia(X, labels, centers, stats, color_space, xy_weight)
    counts = stats.counts
    centers = np.asarray(centers, np.float64)
    lightness = centers[:, 0] if color_space == "lab" else centers[:, :3] @ _LUMA  # L*, or Rec. 709 luma
    order = np.argsort(lightness, kind="stable")
    order = order[counts[order] > 0]
    m = len(order)
    rank = np.zeros(k, np.int32)
    rank[order] = np.arange(m, dtype=np.int32)
    labels = rank[labels].reshape(h, w)
    centers_rgb = _to_uint8(stats.sums[order] / counts[order, None])
    note = f"asked for {k} clusters, found {m}: the image has too few distinct colours for more" if m < k else None
    out = {
        "centers_rgb": centers_rgb,
        "centers": centers[order],
        "inertia": float(max(inertia, 0.0)),
        **extras,
        "k_effective": m,
        "note": note,
    }
    for key, values in (per_cluster or {}).items():
        out[key] = np.asarray(values)[order]
    colors = {i: tuple(int(c) for c in centers_rgb[i]) for i in range(m)}
    legend = build_legend(labels, colors=colors, name_prefix="cluster", counts=counts[order].astype(np.int64))
    return Segmentation(method, labels, legend, params, 0.0, out)


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _no_convergence_warnings() -> warnings.catch_warnings:
    """Silence scikit-learn's ConvergenceWarning: on an image with fewer distinct colours than ``k`` it is expected."""
    return warnings.catch_warnings(action="ignore", category=load("sklearn.exceptions").ConvergenceWarning)


_ONE_THREAD_LOCK = threading.Lock()


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run scikit-learn's OpenMP loops and numpy's BLAS calls on one thread inside this block.

    On a small host shared with other work (other sessions, other
    processes), the threads of a parallel loop wait on each other, and the
    small fits here lose more than they gain. The limit is process-wide
    (threadpoolctl), so a lock keeps two sessions from interleaving their set
    and restore, which could leave the process on one thread for good.
    """
    with _ONE_THREAD_LOCK, _thread_controller().limit(limits=1):
        yield


@functools.cache
def _thread_controller():
    """threadpoolctl's view of the loaded OpenMP and BLAS libraries, made once (each scan takes time)."""
    load("sklearn.cluster")  # loads scikit-learn's OpenMP runtime before the scan
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
