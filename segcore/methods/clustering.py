"""Clustering-based segmentation: pixels grouped by colour (and position).

The article's k-means is reproduced exactly: ``pic = image / 255`` reshaped to
``(H * W, 3)``, ``KMeans(n_clusters=5, random_state=0).fit(pic)``, and the
recoloured picture ``cluster_centers_[labels_]``.

Around it, the dashboard's k-means lets a user pick ``k``, cluster in CIELAB
instead of RGB, add pixel position as features, and choose between the
article's full fit (``exact=True``) and a fast fit on a sample that reaches
the same inertia (to a fraction of a percent on most photos) in a ninth to a
sixteenth of the time (at 1 MP on 2 cores, depending on the photo and the
load). A Gaussian mixture (the alternative the article's FAQ names, fitted by
:mod:`segcore.fast.mixture`) shares the same features.

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

import math
import os
import threading
import warnings
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from segcore.fast.mixture import (
    COVARIANCE_TYPES,
    fit_mixture,
    log_density_weights,
    quadratic_features,
)
from segcore.fast.parallel import each_band
from segcore.registry import register
from segcore.result import Segmentation, build_legend, stopwatch

#: Smallest and largest number of clusters the dashboard offers.
K_MIN, K_MAX = 2, 16
#: Feature spaces for colour.
COLOR_SPACES = ("rgb", "lab")
#: CIELAB values are divided by this (see the module notes).
LAB_SCALE = 100.0
#: Pixels the fast k-means refines its best start on.
FIT_SAMPLE = 50_000
#: Pixels (evenly spread through that sample) its k-means++ starts are fitted on.
START_SAMPLE = 5_000
#: Lloyd's iterations the fast k-means makes itself before handing over to scikit-learn
#: (:func:`_lloyd` costs ~2 ms + 0.8 ms an iteration on the sample, ``KMeans.fit`` ~7 ms +
#: 0.6 ms: about even at 30 iterations; most photos need 3 to 15).
LLOYD_FIRST = 20
#: Independent k-means++ starts the fast k-means tries (scikit-learn's ``n_init``).
N_STARTS = 4
#: Pixels the Gaussian mixture is fitted on.
GMM_SAMPLE = 10_000
#: Rows per block when every pixel is assigned (bounds temporary memory).
CHUNK = 1 << 15

# ITU-R 709 luma, the weights of skimage.color.rgb2gray (the article's gray).
_LUMA = np.array([0.2125, 0.7154, 0.0721])


# --------------------------------------------------------------------------- #
# the article
# --------------------------------------------------------------------------- #


@register("kmeans_article", family="clustering", title="k-means, 5 colours (article)")
def kmeans_article(image: np.ndarray) -> Segmentation:
    """The article's k-means: 5 clusters of RGB colour, fitted on every pixel.

    Exactly the article's code: ``pic = image / 255`` reshaped to
    ``(H * W, 3)``, ``KMeans(n_clusters=5, random_state=0).fit(pic)``. Returns
    labels 0..4 (scikit-learn's clusters renumbered dark to bright);
    ``extras['centers']`` holds the 5 x 3 centres in 0..1 RGB, ``'inertia'``
    scikit-learn's ``inertia_`` and ``'recolored'`` the article's picture
    ``cluster_centers_[labels_]`` as uint8.
    """
    _controller()  # scikit-learn's import, once, before the stopwatch
    from sklearn.cluster import KMeans

    image = _check_image(image, 5)
    with stopwatch() as t:
        pic = image / 255
        pic_n = pic.reshape(pic.shape[0] * pic.shape[1], pic.shape[2])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _convergence_warning())
            km = KMeans(n_clusters=5, random_state=0).fit(pic_n)
        seg = _finish(
            "kmeans_article",
            image,
            km.labels_,
            km.cluster_centers_,
            color_space="rgb",
            inertia=km.inertia_,
            params={},
            extras={"n_iter": int(km.n_iter_), "fit_pixels": len(pic_n), "mode": "exact"},
        )
        # The article's own picture, cluster_centers_[labels_], rather than the
        # clusters' mean colours (they differ by a level at most).
        seg.extras["recolored"] = np.take(_to_uint8(seg.extras["centers"] * 255.0), seg.labels, axis=0)
    seg.elapsed_s = t[0]
    return seg


# --------------------------------------------------------------------------- #
# the dashboard's k-means
# --------------------------------------------------------------------------- #


@register("kmeans", family="clustering", title="k-means clustering")
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
        random_state=seed)`` on every pixel. False (default) fits on a
        sample: 50,000 pixels, one from each stretch of the image; 4
        k-means++ starts (``n_init=4``) on 5,000 of them, spread through the
        sample; the best start refined by Lloyd's iterations on all 50,000
        (:func:`_lloyd`, then scikit-learn if more than 20 are needed); then
        every pixel assigned to its nearest centre. Its inertia over all pixels is
        typically within 0.1 % of the full fit's, sometimes lower (it keeps
        the best of 4 starts where the full fit makes one), in a ninth to a
        sixteenth of the time at 1 MP (fewer refining iterations, more
        gain). Rare colours are under-sampled: on a dark star field
        (``skimage.data.hubble_deep_field``) or at k = 12 and more, some
        seeds end up 1-2 % above the full fit, about as far as the full
        fit's own seeds are from each other there.
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
        every result: a full-size copy would add 3 MB a megapixel to each
        cached result and a fifth to the fast fit's time.

    Examples
    --------
    >>> from skimage import data
    >>> seg = kmeans(data.coffee(), k=4)
    >>> seg.labels.shape, seg.n_labels
    ((400, 600), 4)
    """
    k, color_space, xy_weight, seed = _check_params(k, color_space, xy_weight, seed)
    image = _check_image(image, k)
    params = {"k": k, "color_space": color_space, "xy_weight": xy_weight, "exact": bool(exact), "seed": seed}
    _controller()
    with stopwatch() as t:
        if exact:
            seg = _kmeans_exact(image, k, color_space, xy_weight, seed, params)
        else:
            seg = _kmeans_fast(image, k, color_space, xy_weight, seed, params)
    seg.elapsed_s = t[0]
    return seg


def _kmeans_exact(image, k, color_space, xy_weight, seed, params) -> Segmentation:
    from sklearn.cluster import KMeans

    X = _features(image, color_space, xy_weight, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _convergence_warning())
        km = KMeans(n_clusters=k, random_state=seed).fit(X)
    return _finish(
        "kmeans",
        image,
        km.labels_,
        km.cluster_centers_,
        color_space=color_space,
        inertia=km.inertia_,
        params=params,
        extras=_fit_extras(km, len(X), "exact", color_space, xy_weight),
    )


def _kmeans_fast(image, k, color_space, xy_weight, seed, params) -> Segmentation:
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    colors, X, sample = _features_and_sample(image, color_space, xy_weight, FIT_SAMPLE, rng)
    with _one_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore", _convergence_warning())
        # Several cheap starts in one call (scikit-learn keeps the one with
        # the lowest inertia on the 5,000 pixels): a single start, which is
        # all the full fit makes, lands in a poor local optimum now and then.
        km = KMeans(n_clusters=k, n_init=N_STARTS, random_state=_child_seed(rng)).fit(_spread(sample, START_SAMPLE))
        # Refined on the whole sample: the first iterations here, the rest (if
        # any) in scikit-learn's compiled loop; the same iterations either way.
        centers, n_iter, converged = _lloyd(km.cluster_centers_, sample, max_iter=LLOYD_FIRST)
        if not converged:
            km = KMeans(n_clusters=k, init=centers, n_init=1).fit(sample)
            centers, n_iter = km.cluster_centers_, n_iter + km.n_iter_
        # Sorting the centres first makes the labels come out dark to bright.
        centers = centers[_dark_to_bright(centers, color_space)]
        labels, inertia, stats = _assign(X, centers, colors)
    return _finish(
        "kmeans",
        image,
        labels,
        centers,
        color_space=color_space,
        inertia=inertia,
        params=params,
        stats=stats,
        ordered=True,
        extras={**_fit_extras(km, len(sample), "fast", color_space, xy_weight), "n_iter": int(n_iter)},
    )


def _lloyd(centers: np.ndarray, X: np.ndarray, *, max_iter: int, tol: float = 1e-4) -> tuple[np.ndarray, int, bool]:
    """Up to ``max_iter`` of Lloyd's iterations from ``centers`` on the rows of ``X``.

    Returns ``(centers, iterations made, converged)``. The iterations and the
    stopping rule are those of ``KMeans(init=centers, n_init=1, tol=tol).fit(X)``
    (tested to give its centres): assign each row to its nearest centre, move
    each centre to the mean of its rows; stop when no row changes centre or
    the centres move by at most ``tol`` times the features' mean variance
    (squared, summed). A centre left without rows keeps its place (scikit-learn
    would move it; the caller hands such a case to scikit-learn).

    Why: on the fast k-means' 50,000-pixel sample the refinement usually
    needs 3 to 15 iterations of about 0.8 ms, while ``KMeans.fit`` spends about
    7 ms around its iterations (checks, copies, the feature variance, a
    final labelling pass). Here every pass is two matrix products over the
    sample with a column of ones beside the features: ``[-2 c, |c|^2] @
    [x, 1]`` gives each centre's ``|c|^2 - 2 x.c`` (the distance less
    ``|x|^2``), and the 0/1 membership matrix times ``[x, 1]`` gives each
    cluster's sums and its count at once (four columns suit BLAS: 2.3 x
    faster than the sums and counts taken apart). The nearest centre is the
    running minimum of :func:`_argmin_rows`.
    """
    X = np.asarray(X, np.float64)
    C = np.asarray(centers, np.float64)
    k, d = C.shape
    n = len(X)
    X1 = np.ones((n, d + 1))
    X1[:, :d] = X
    X1T = np.ascontiguousarray(X1.T)
    # scikit-learn's tolerance, tol * mean(var(X, axis=0)), its sums as
    # matrix-vector products (numpy's reductions down the 3-long rows of an
    # (n, 3) array take ~3 ms on 50,000 rows).
    ones = X1T[d] / n
    threshold = tol * float(np.mean(np.square(X1T[:d]) @ ones - np.square(X1T[:d] @ ones)))
    # float64 like scikit-learn's own pass on a float64 sample, so that rows
    # near a boundary between two centres fall on the same side.
    weights = np.empty((k, d + 1))
    dist = np.empty((k, n))
    best = np.empty(n)
    less = np.empty(n, bool)
    member = np.empty((k, n))
    ids = np.arange(k)[:, None]
    labels, previous = np.empty(n, np.int32), np.full(n, -1, np.int32)
    for n_iter in range(1, max_iter + 1):
        np.multiply(C, -2.0, out=weights[:, :d])
        weights[:, d] = np.einsum("ij,ij->i", C, C)
        np.matmul(weights, X1T, out=dist)
        _argmin_rows(dist, best, labels, less)
        np.equal(labels[None, :], ids, out=member, casting="unsafe")
        sums = member @ X1  # (k, d + 1): each cluster's feature sums, then its count
        counts = sums[:, d]
        if np.any(counts == 0):
            return C, n_iter - 1, False  # an empty cluster: scikit-learn relocates it
        moved = sums[:, :d] / counts[:, None]
        shift = float(np.square(moved - C).sum())
        C = moved
        if np.array_equal(labels, previous) or shift <= threshold:
            return C, n_iter, True
        labels, previous = previous, labels
    return C, max_iter, False


# --------------------------------------------------------------------------- #
# Gaussian mixture
# --------------------------------------------------------------------------- #


@register("gmm", family="clustering", title="Gaussian mixture")
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

    The mixture ``sklearn.mixture.GaussianMixture(n_components=k,
    covariance_type=..., init_params="k-means++", random_state=seed)`` fits
    on 10,000 sampled pixels, made by :func:`segcore.fast.mixture.fit_mixture`:
    the same start and EM iterations, the same parameters to 1e-9 (tested),
    about 5 x faster. Then every pixel goes to its most probable component
    (the mixture's ``predict``, computed by :func:`_gmm_predict`). The
    k-means++ start is scikit-learn's cheaper alternative to a full k-means
    fit before EM, with a likelihood within 0.1 % of it. Features are those
    of :func:`kmeans` (RGB or Lab, optional position).

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
    _controller()  # scikit-learn's import, once, before the stopwatch
    k, color_space, xy_weight, seed = _check_params(k, color_space, xy_weight, seed)
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, got {covariance_type!r}")
    image = _check_image(image, k)
    params = {
        "k": k,
        "color_space": color_space,
        "xy_weight": xy_weight,
        "covariance_type": covariance_type,
        "seed": seed,
    }
    with stopwatch() as t:
        colors, X, sample = _features_and_sample(image, color_space, xy_weight, GMM_SAMPLE, np.random.default_rng(seed))
        with _one_thread():
            try:
                gm = fit_mixture(sample, k, covariance_type, seed)
            except ValueError as exc:  # singular covariances on flat colours
                raise ValueError(
                    f"the Gaussian mixture could not be fitted with k={k} on this image ({exc}); "
                    "try a smaller k or covariance_type='diag'"
                ) from exc
            # Components sorted dark to bright first, so the labels come out in that order.
            order = _dark_to_bright(gm.means_, color_space)
            labels, stats, squares = _gmm_predict(gm, X, order, colors)
        means = gm.means_[order]
        if X is None:  # from the colour sums: sum |x - m|^2 = sum |x|^2 - 2 m.S + n |m|^2 per cluster
            sums, counts = stats[:, :3] / 255.0, stats[:, 3]
            inertia = max(squares - 2 * float(np.sum(means * sums)) + float(counts @ np.square(means).sum(axis=1)), 0.0)
        else:
            inertia = _inertia(X, labels, means)
        seg = _finish(
            "gmm",
            image,
            labels,
            means,
            color_space=color_space,
            inertia=inertia,
            params=params,
            stats=stats,
            ordered=True,
            extras={
                **_fit_extras(gm, len(sample), "fast", color_space, xy_weight),
                "covariance_type": covariance_type,
                "converged": bool(gm.converged_),
                "lower_bound": float(gm.lower_bound_),
            },
            per_cluster={"weights": gm.weights_[order]},
        )
    seg.elapsed_s = t[0]
    return seg


# --------------------------------------------------------------------------- #
# shared pieces
# --------------------------------------------------------------------------- #


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


def _features(image: np.ndarray, color_space: str, xy_weight: float, dtype) -> np.ndarray:
    """The (H * W, d) feature matrix described in the module notes.

    ``float64`` is the exact path: ``image / 255`` as the article computes it,
    or ``skimage.color.rgb2lab``. ``float32`` is the fast path, whose Lab comes
    from :func:`_lab_features` (same formula, 3 to 4 x quicker).
    """
    from skimage.color import rgb2lab

    h, w = image.shape[:2]
    n = h * w
    X = np.empty((n, 5 if xy_weight > 0 else 3), dtype)
    flat = image.reshape(n, 3)
    if color_space == "rgb":
        _by_rows(lambda r: np.divide(flat[r], dtype(255), out=X[r, :3], casting="unsafe"), n)
    elif dtype == np.float64:
        X[:, :3] = rgb2lab(image).reshape(n, 3) / LAB_SCALE
    else:
        _by_rows(lambda r: _lab_features(flat[r], out=X[r, :3]), n)
    if xy_weight > 0:
        scale = xy_weight / max(max(h, w) - 1, 1)
        grid = X.reshape(h, w, X.shape[1])
        grid[:, :, 3] = (np.arange(w) * scale).astype(dtype)[None, :]
        grid[:, :, 4] = (np.arange(h) * scale).astype(dtype)[:, None]
    return X


_LAB_TABLES: tuple[np.ndarray, np.ndarray] | None = None


def _lab_tables() -> tuple[np.ndarray, np.ndarray]:
    """scikit-image's sRGB decoding as a 256-entry table, and its RGB -> XYZ / white matrix."""
    global _LAB_TABLES
    if _LAB_TABLES is None:
        from skimage.color.colorconv import xyz_from_rgb, xyz_tristimulus_values

        c = np.arange(256) / 255.0
        linear = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)  # as rgb2xyz
        white = xyz_tristimulus_values(illuminant="D65", observer="2")
        _LAB_TABLES = linear.astype(np.float32), (xyz_from_rgb / white[:, None]).astype(np.float32)
    return _LAB_TABLES


def _lab_features(flat: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``skimage.color.rgb2lab(flat) / 100`` for (N, 3) uint8 pixels, in float32, into ``out``.

    scikit-image's formula step by step (sRGB decoding by table lookup, the
    D65 / 2 degree XYZ matrix and white point, its cube-root / linear split)
    in blocks that stay in cache: on a 1600 x 1200 image 0.07 s of CPU
    against 0.3 s for ``rgb2lab`` itself (which works in float64 with
    boolean-mask indexing). Agrees with ``rgb2lab`` to 1e-3 in L*, a*, b*
    (tested; 6e-5 seen).
    """
    linear, to_xyz = _lab_tables()
    third = np.float32(1.0 / 3.0)
    for s in range(0, len(flat), 8 * CHUNK):
        block = flat[s : s + 8 * CHUNK]
        rgb = [np.take(linear, block[:, c]) for c in range(3)]
        f = []
        for row in to_xyz:  # X / Xn, Y / Yn, Z / Zn
            t = row[0] * rgb[0]
            t += row[1] * rgb[1]
            t += row[2] * rgb[2]
            small = t <= np.float32(0.008856)
            v = np.power(t, third)
            np.copyto(v, np.float32(7.787) * t + np.float32(16.0 / 116.0), where=small)
            f.append(v)
        o = out[s : s + 8 * CHUNK]
        # L* = 116 fy - 16, a* = 500 (fx - fy), b* = 200 (fy - fz); all over 100
        o[:, 0] = np.float32(1.16) * f[1] - np.float32(0.16)
        o[:, 1] = np.float32(5.0) * (f[0] - f[1])
        o[:, 2] = np.float32(2.0) * (f[1] - f[2])
    return out


def _fit_extras(fitted, fit_pixels: int, mode: str, color_space: str, xy_weight: float) -> dict:
    """What every clustering result says of its fit: iterations, pixels fitted on, fast or exact, features."""
    return {
        "n_iter": int(fitted.n_iter_),
        "fit_pixels": int(fit_pixels),
        "mode": mode,
        "feature_names": _feature_names(color_space, xy_weight),
    }


def _feature_names(color_space: str, xy_weight: float) -> list[str]:
    names = ["R/255", "G/255", "B/255"] if color_space == "rgb" else ["L*/100", "a*/100", "b*/100"]
    if xy_weight > 0:
        names += [f"x*{xy_weight:g}", f"y*{xy_weight:g}"]
    return names


def _features_and_sample(
    image: np.ndarray, color_space: str, xy_weight: float, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The pixels, their float32 features and a float64 sample of ``size`` rows of those features.

    Returns ``(colors, X, sample)``. For the article's features (RGB, no
    position) ``X`` is None: they are ``colors / 255``, read straight from
    the pixels block by block (:func:`_assign`, :func:`_gmm_predict`), with no
    million-row float copy of the image. The sample is float64 because
    scikit-learn's k-means++ start takes a slower, upcasting path for float32
    data (a tenth of the whole fast fit).
    """
    colors = image.reshape(-1, 3)
    if color_space == "rgb" and xy_weight == 0:
        return colors, None, _sample(colors, size, rng) / 255.0
    X = _features(image, color_space, xy_weight, np.float32)
    return colors, X, _sample(X, size, rng).astype(np.float64)


def _sample(X: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` rows of ``X`` drawn stratified: one at random from each of ``size`` equal runs of rows.

    Returns the rows in image order; when ``X`` has no more rows than
    ``size``, all of them, shuffled. A pixel from every stretch of the image covers it more
    evenly than independent draws do, and reading the rows in order is
    several times faster than a random gather from the 12 MB feature array
    (0.4 against 3.7 ms for 50,000 of a million rows).
    """
    n = len(X)
    if n <= size:
        return np.take(X, rng.permutation(n), axis=0)
    bounds = np.linspace(0, n, size + 1).astype(np.intp)  # runs of n // size or one more rows
    idx = bounds[:-1] + (rng.random(size) * np.diff(bounds)).astype(np.intp)
    return np.take(X, idx, axis=0)


def _spread(rows: np.ndarray, size: int) -> np.ndarray:
    """``size`` rows of ``rows`` evenly spaced from first to last (all of them when there are fewer)."""
    if len(rows) <= size:
        return rows
    return rows[np.linspace(0, len(rows) - 1, size).round().astype(np.intp)]


def _child_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _by_rows(fn, n: int) -> list:
    """``fn(rows)`` for a few slices that cover ``range(n)``, one per core (:mod:`segcore.fast.parallel`)."""
    return each_band(lambda b: fn(b.own), (n,))


def _assign(
    X: np.ndarray | None, centers: np.ndarray, colors: np.ndarray | None = None
) -> tuple[np.ndarray, float, np.ndarray | None]:
    """Nearest centre (squared Euclidean) for every row of ``X``.

    Returns ``(labels, inertia, stats)``: int32 labels, the sum over all rows
    of the squared distance to the nearest centre and, when ``colors`` (the
    (N, 3) uint8 pixels) is given, the per-cluster colour sums and counts of
    :func:`_color_stats`. ``X=None`` stands for the article's features,
    ``colors / 255``, which are then read from ``colors`` block by block
    instead of from a float copy of the whole image. Large inputs are split
    into one slice of rows per core; each slice works in blocks of
    :data:`CHUNK` rows with ``|c|^2 - 2 x.c`` (one small matrix product per
    block) and a running minimum over the centres; ``|x|^2`` is added once
    per block to the total. Temporary memory stays at a few ``k * CHUNK``
    floats per core whatever the image size, and the colour sums are taken
    while the block is still in cache.
    """
    if X is None and colors is None:
        raise ValueError("_assign needs the features X or the pixels' colors")
    X = None if X is None else np.asarray(X, np.float32)
    C = np.asarray(centers, np.float32)
    n = len(colors) if X is None else len(X)
    labels = np.empty(n, np.int32)
    parts = _by_rows(lambda rows: _assign_rows(X, C, colors, labels, rows), n)
    inertia = sum(p[0] for p in parts)
    stats = None if colors is None else np.sum([p[1] for p in parts], axis=0)
    return labels, max(inertia, 0.0), stats


def _assign_rows(
    X: np.ndarray | None, C: np.ndarray, colors: np.ndarray | None, labels: np.ndarray, rows: slice
) -> tuple[float, np.ndarray | None]:
    """:func:`_assign` for rows ``rows``: writes ``labels[rows]``, returns (inertia, stats) of those rows."""
    k = len(C)
    cc = np.einsum("ij,ij->i", C, C)
    D = np.empty((k, CHUNK), np.float32)
    best = np.empty(CHUNK, np.float32)
    less = np.empty(CHUNK, bool)
    acc = _StatsAccumulator(k) if colors is not None else None
    if X is None:
        # From the pixels, x = colour / 255: the 1 / 255 goes into the centres'
        # side, and |c|^2 rides on the accumulator's row of ones, so one
        # product gives |c|^2 - 2 x.c.
        M = np.empty((k, 4), np.float32)
        M[:, :3] = (-2.0 / 255.0) * C
        M[:, 3] = cc
    else:
        M = -2.0 * C
    inertia = 0.0
    for s in range(rows.start, rows.stop, CHUNK):
        e = min(s + CHUNK, rows.stop)
        m = e - s
        d = D[:, :m]
        if X is None:
            x1 = acc.load(colors[s:e])  # (4, m): the block's R, G, B and ones, also the colour sums' input
            np.matmul(M, x1, out=d)
            sq = acc.squares() / 65025.0
        else:
            x = X[s:e]
            np.matmul(M, x.T, out=d)
            d += cc[:, None]
            sq = float(np.square(x).sum())
        b, lab = best[:m], labels[s:e]
        _argmin_rows(d, b, lab, less[:m])
        # numpy's pairwise float32 sum is accurate here; BLAS's dot is not (1e-4).
        inertia += float(b.sum(dtype=np.float64)) + sq
        if acc is not None:
            acc.add(lab, None if X is None else colors[s:e])
    return inertia, (acc.stats if acc is not None else None)


def _argmin_rows(d: np.ndarray, best: np.ndarray, labels: np.ndarray, less: np.ndarray) -> None:
    """Column-wise minimum and argmin of a (k, m) block, into ``best`` and ``labels`` (first index on ties).

    A running minimum over the k rows, without a masked copy: at row j,
    ``less`` marks the columns where row j beats the best so far, and the
    label is the largest j that did (the last improvement is the minimum;
    a tie is no improvement, so the first index wins), kept as the maximum
    of ``less * j`` in uint8 (k is at most 16). Every step is a plain
    vector operation: about 5 x faster on photos than ``np.copyto(...,
    where=less)``, whose masked copies branch pixel by pixel, and several
    times faster than ``d.argmin(axis=0)``, which walks the short axis.
    """
    index = np.zeros(len(best), np.uint8)
    step = less.view(np.uint8)
    np.copyto(best, d[0])
    for j in range(1, len(d)):
        np.less(d[j], best, out=less)
        np.minimum(best, d[j], out=best)
        np.multiply(step, np.uint8(j), out=step)
        np.maximum(index, step, out=index)
    labels[:] = index


def _gmm_predict(
    gm, X: np.ndarray | None, order: np.ndarray | None = None, colors: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None, float | None]:
    """``gm.predict(X)`` for a fitted mixture (scikit-learn's or :class:`segcore.fast.mixture.Mixture`), as int32.

    Returns ``(labels, stats, squares)``. With ``order`` (a permutation of
    the components), label ``i`` stands for component ``order[i]``: sorted
    dark to bright here, the labels need no second pass to renumber them.
    With ``colors`` (the (N, 3) uint8 pixels), ``stats`` holds each label's
    colour sums and pixel count (:func:`_color_stats`), taken block by block
    while the labels are in cache; else None. ``X=None`` stands for the
    features ``colors / 255``, read from the pixels block by block; then
    ``squares`` is the sum of ``|x|^2`` over all pixels (else None).

    ``predict`` is the argmax over components of ``log w_j + log N(x | mu_j,
    Sigma_j)``, a quadratic form in ``x``
    (:func:`segcore.fast.mixture.log_density_weights`): one small matrix product
    with the features' pairwise products, the features and 1 (10 rows for
    RGB), in float32 block by block on every core, followed by the same
    running-best loop as :func:`_assign`. scikit-learn's own ``predict``
    forms ``(x - mu) P`` per component and sums squares along the short
    feature axis, which on 2 MP takes ~0.45 s of a 0.6 s run. Agrees with
    ``gm.predict`` (tested); an exact tie between components could round
    the other way.
    """
    if X is None and colors is None:
        raise ValueError("_gmm_predict needs the features X or the pixels' colors")
    means = np.asarray(gm.means_, np.float64)
    k, d = means.shape
    # Features are taken relative to the mixture's mean, which keeps the
    # expanded terms small enough for float32 (the error in a log-density
    # stays near 1e-5, the level of scikit-learn's own float32 arithmetic).
    origin = means.T @ np.asarray(gm.weights_, np.float64)
    pairs = [(a, b) for a in range(d) for b in range(a, d)]
    p = len(pairs)
    # Weights of -log-density, so the running minimum finds the most probable component.
    W = -log_density_weights(gm.weights_, means - origin, gm.precisions_cholesky_, gm.covariance_type, pairs)
    W = W.astype(np.float32)
    if order is not None:
        W = W[np.asarray(order)]
    origin32 = origin.astype(np.float32)[:, None]
    n = len(colors) if X is None else len(X)
    labels = np.empty(n, np.int32)

    def rows(r: slice) -> tuple[np.ndarray | None, float]:
        acc = _StatsAccumulator(k) if colors is not None else None
        phi = np.empty((p + d + 1, CHUNK), np.float32)
        score = np.empty((k, CHUNK), np.float32)
        best = np.empty(CHUNK, np.float32)
        less = np.empty(CHUNK, bool)
        squares = 0.0
        for s in range(r.start, r.stop, CHUNK):
            e = min(s + CHUNK, r.stop)
            m = e - s
            f = phi[:, :m]
            x = f[p : p + d]
            if X is None:
                planar = acc.load(colors[s:e])[:3]
                squares += acc.squares() / 65025.0
                np.multiply(planar, np.float32(1 / 255), out=x)
                x -= origin32
            else:
                np.subtract(X[s:e].T, origin32, out=x)
            quadratic_features(None, out=f, pairs=pairs)
            sc = score[:, :m]
            np.matmul(W, f, out=sc)
            _argmin_rows(sc, best[:m], labels[s:e], less[:m])
            if acc is not None:
                acc.add(labels[s:e], None if X is None else colors[s:e])
        return (acc.stats if acc is not None else None), squares

    parts = _by_rows(rows, n)
    stats = None if colors is None else np.sum([q[0] for q in parts], axis=0)
    return labels, stats, (sum(q[1] for q in parts) if X is None else None)


class _StatsAccumulator:
    """Per-cluster sums of R, G, B and pixel counts, block by block.

    Per block: a 0/1 row per cluster (float32) and the block's colours laid
    out channel by channel with a row of ones, then one (k x m) @ (m x 4)
    product: every cluster's three colour sums and its count at once. At
    k = 12 that takes 9 ns a pixel, where a vector dot per (cluster,
    channel) took 15. Float32 sums of at most :data:`CHUNK` values of 0..255
    stay below 2**24, so every partial sum is an exact integer, in any
    order BLAS adds them; blocks are added up in float64.
    """

    def __init__(self, k: int):
        self.stats = np.zeros((k, 4), np.float64)
        self._ids = np.arange(k, dtype=np.int32)[:, None]
        self._onehot = np.empty((k, CHUNK), np.float32)
        self._planar = np.ones((4, CHUNK), np.float32)  # R, G, B, 1
        self._block = np.empty((k, 4), np.float32)
        self._m = 0

    def load(self, colors: np.ndarray) -> np.ndarray:
        """Lay a block's (m, 3) uint8 colours out channel by channel; returns that (4, m) float32 view.

        Its rows are R, G, B (0..255) and a row of ones.
        """
        self._m = m = len(colors)
        self._planar[:3, :m] = colors.T
        return self._planar[:, :m]

    def squares(self) -> float:
        """Sum over the block last loaded of R^2 + G^2 + B^2 (0..255 each).

        numpy's pairwise float32 sum of the squares: exact while it stays
        below 2**24, within ~1e-7 beyond (BLAS's dot drifts to 1e-4).
        """
        return float(np.square(self._planar[:3, : self._m]).sum())

    def add(self, labels: np.ndarray, colors: np.ndarray | None) -> None:
        """Add a block's labels and colours (None: the block last given to :meth:`load`)."""
        m = len(labels)
        onehot, planar = self._onehot[:, :m], self._planar[:, :m]
        np.equal(labels[None, :], self._ids, out=onehot, casting="unsafe")
        if colors is not None:
            self.load(colors)
        np.matmul(onehot, planar.T, out=self._block)
        self.stats += self._block


def _color_stats(labels: np.ndarray, colors: np.ndarray, k: int) -> np.ndarray:
    """(k, 4) array: sums of R, G, B over each cluster's pixels, and its pixel count."""

    def rows_stats(rows: slice) -> np.ndarray:
        acc = _StatsAccumulator(k)
        for s in range(rows.start, rows.stop, CHUNK):
            e = min(s + CHUNK, rows.stop)
            acc.add(labels[s:e], colors[s:e])
        return acc.stats

    return np.sum(_by_rows(rows_stats, len(labels)), axis=0)


def _inertia(X: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> float:
    """Sum over all rows of the squared distance to the row's own centre."""
    C = np.asarray(centers, X.dtype)

    def rows_inertia(rows: slice) -> float:
        total = 0.0
        for s in range(rows.start, rows.stop, 8 * CHUNK):
            e = min(s + 8 * CHUNK, rows.stop)
            diff = X[s:e] - np.take(C, labels[s:e], axis=0)
            total += float(np.einsum("ij,ij->", diff, diff, dtype=np.float64))
        return total

    total = sum(_by_rows(rows_inertia, len(X)))
    return total


def _lightness(centers: np.ndarray, color_space: str) -> np.ndarray:
    """How light each centre's colour is: Rec. 709 luma of RGB, or L* for Lab."""
    centers = np.asarray(centers, np.float64)
    return centers[:, 0] if color_space == "lab" else centers[:, :3] @ _LUMA


def _dark_to_bright(centers: np.ndarray, color_space: str) -> np.ndarray:
    """Indices that sort the centres dark to bright (ties keep their order)."""
    return np.argsort(_lightness(centers, color_space), kind="stable")


def _finish(
    method: str,
    image: np.ndarray,
    labels: np.ndarray,
    centers: np.ndarray,
    *,
    color_space: str,
    inertia: float,
    params: dict,
    extras: dict,
    stats: np.ndarray | None = None,
    ordered: bool = False,
    per_cluster: dict | None = None,
) -> Segmentation:
    """Number clusters dark to bright, drop empty ones, build legend and extras.

    ``ordered=True`` says ``centers`` (and so ``labels``) are already sorted
    dark to bright, which spares the fast path one pass over the labels.
    """
    h, w = image.shape[:2]
    k = len(centers)
    labels = np.asarray(labels, np.int32).ravel()
    if stats is None:
        stats = _color_stats(labels, image.reshape(-1, 3), k)
    counts = stats[:, 3]
    order = np.arange(k) if ordered else _dark_to_bright(centers, color_space)
    order = order[counts[order] > 0]
    m = len(order)
    if m < k or not np.array_equal(order, np.arange(k)):
        rank = np.zeros(k, np.int32)
        rank[order] = np.arange(m, dtype=np.int32)
        src, labels = labels, np.empty_like(labels)
        _by_rows(lambda r: np.take(rank, src[r], out=labels[r]), len(src))
    labels = labels.reshape(h, w)
    centers_rgb = _to_uint8(stats[order, :3] / counts[order, None])
    note = None
    if m < k:
        note = f"asked for {k} clusters, found {m}: the image has too few distinct colours for more"
    out = {
        "centers_rgb": centers_rgb,
        "centers": np.asarray(centers, np.float64)[order],
        "inertia": float(inertia),
        **extras,
        "k_effective": m,
        "note": note,
    }
    for key, values in (per_cluster or {}).items():
        out[key] = np.asarray(values)[order]
    colors = {i: tuple(int(c) for c in centers_rgb[i]) for i in range(m)}
    names = {i: f"cluster {i}" for i in range(m)}
    legend = build_legend(labels, names, colors, counts=counts[order].astype(np.int64))
    return Segmentation(method, labels, legend, params, 0.0, out)


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _convergence_warning() -> type[Warning]:
    from sklearn.exceptions import ConvergenceWarning

    return ConvergenceWarning


_CONTROLLER = None
_ONE_THREAD_LOCK = threading.Lock()


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run the sample fits and the assignment on one thread (OpenMP and BLAS), without re-validation.

    On a 2-core host shared with other work, OpenMP's thread barriers make a
    fit on a few thousand pixels about 10 x slower than on one thread
    (measured: 15 ms on one thread, 150 to 300 ms on two under load). The
    limit is process-wide and restored on exit, so a lock keeps two sessions'
    threads from interleaving their set / restore (which could leave the
    process on one thread for good); the sections it guards last ~0.1 s.

    Inside, scikit-learn skips its checks of parameters and of finite values
    (``config_context``, which is per thread): the features are made here,
    finite by construction, and the parameters are checked at the boundary by
    :func:`_check_params`. On a sample of a few thousand pixels those checks
    are a tenth of a fit.
    """
    import sklearn

    controller = _controller()
    with _ONE_THREAD_LOCK:
        with controller.limit(limits=1), sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            yield


def _controller():
    """Import scikit-learn and build the thread-pool controller, once per process.

    Called before any stopwatch starts, so the first result's time is the
    method's, not the ~1 s of importing scikit-learn and scanning its libraries.

    Before the import, ``OMP_WAIT_POLICY`` defaults to ``PASSIVE`` (unless set):
    scikit-learn's OpenMP threads then sleep when a parallel loop ends instead
    of spinning on a core the rest of the app (other sessions, the row bands)
    needs. Measured with the full fit and the fast fit in alternation at 1 MP
    on 2 cores: the full fit 515 -> 415 ms, the fast one 58 -> 51 ms.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when OpenMP loads, below
        import sklearn.cluster  # noqa: F401  (load its OpenMP runtime first)
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER
