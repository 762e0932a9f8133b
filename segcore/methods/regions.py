"""Region methods: graph-based segmentation, superpixels, watershed, active contours.

The standard baselines of the field, each one scikit-image call
(``skimage.segmentation``, ``skimage.graph``) wrapped in the dashboard's
result type:

``felzenszwalb``
    Felzenszwalb and Huttenlocher's graph segmentation: pixels are nodes,
    neighbours are joined by edges weighted by their colour difference, and
    regions grow by Kruskal's merge while the edge between two regions is
    weaker than the variation inside each (plus ``scale / size``).
``slic``
    SLIC superpixels: k-means in (L*, a*, b*, x, y) started on a grid of
    ``n_segments`` seeds, each searching only near itself; ``compactness``
    trades colour against position. Merged into regions on a region
    adjacency graph of mean colours (or not: ``merge='none'``): the most
    similar pair merged first, again and again (``merge_hierarchical``, the
    default), or every edge weaker than a threshold joined (``cut_threshold``).
``quickshift``
    Quickshift: each pixel links to its nearest neighbour of higher density
    (a Parzen estimate in colour and position) within ``max_dist``; the
    trees of links are the segments.
``watershed``
    Marker-based watershed on the Sobel gradient: basins flooded from
    markers (the gradient's low regions, or a grid with a compactness
    setting) until they meet on the ridges, the standard way to turn edges
    into regions.
``chan_vese``
    Chan-Vese active contours: a two-phase split into inside and outside
    of a contour, each phase near its own mean gray, with a short contour
    (the morphological version by default, or the classic level set).

Several of these grow much slower than linear in the pixel count (Quickshift
and the contours most), so each runs at most at ``max_side`` pixels on its
long side: the image is reduced by area averaging, segmented, and the label
map scaled back (nearest neighbour) to the input's size, so every result
still has one label per input pixel. ``max_side=None`` runs at the input's
size (the watershed's default). ``benchmarks/bench_regions.py`` measures the
defaults at the dashboard's 1600 px working size; ``extras['run_shape']``
says what size was used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from PIL import Image

from segcore.fast.adjacency import rag_mean_color
from segcore.fast.gray import to_gray
from segcore.fast.watershed import watershed as fast_watershed
from segcore.registry import register
from segcore.result import Segmentation, build_legend, stopwatch
from segcore.spec import Cost, Param, megapixels

__all__ = [
    "CONTOURS",
    "MARKERS",
    "MERGES",
    "chan_vese",
    "felzenszwalb",
    "quickshift",
    "reduce_to",
    "run_shape",
    "scale_labels",
    "slic",
    "watershed",
]

#: How SLIC's superpixels may be merged into regions.
MERGES = ("none", "threshold", "hierarchical")
#: Where the watershed's basins start.
MARKERS = ("low", "grid")
#: The two active-contour algorithms.
CONTOURS = ("morphological", "classic")

#: Long sides a region method may run at; None: the working image's own size.
MAX_SIDES = (None, 128, 192, 256, 320, 400, 480, 640, 800, 1000, 1200, 1600)
#: Every region method's size setting. Its default, per method, keeps it near or under 1 s at 1600 px.
MAX_SIDE = Param(
    "max_side", "Runs at most at (px, long side)", "choice", choices=MAX_SIDES,
    labels=tuple("the working size" if v is None else f"{v} px" for v in MAX_SIDES),
    help="The image is reduced to this long side (area averaging) for the method, and its label map "
    "scaled back to the working size. The default keeps the method near or under 1 s at 1600 px.",
)


def run_shape(shape: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """The (H, W) :func:`reduce_to` gives an image of ``shape`` at ``max_side``."""
    h, w = shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return h, w
    s = max_side / max(h, w)
    return max(2, round(h * s)), max(2, round(w * s))


def _side(value: int | None, shape: tuple[int, int]) -> str:
    side = max(shape[:2])
    return f"at {value} px on its long side" if value is not None and value < side else f"at the working size ({side} px)"


def _sized(seconds: Callable[[tuple[int, int], Mapping[str, Any]], float]) -> Cost:
    """A region method's cost: ``seconds`` at the size it runs at (``max_side``), lowered by a smaller ``max_side``."""
    return Cost(lambda shape, p: seconds(run_shape(shape, p["max_side"]), p), knob="max_side",
                steps=tuple(sorted((s for s in MAX_SIDES if s is not None), reverse=True)), says=_side)


def _slic_seconds(shape: tuple[int, int], p: Mapping[str, Any]) -> float:
    """1.25-1.45 s a megapixel; a merge adds a quarter to a third, and merging hierarchically about 1 ms a
    superpixel on top (5,000 superpixels: 5 s at 512 px)."""
    seconds = 0.05 + 1.5 * megapixels(shape) * (1.0 if p["merge"] == "none" else 1.4)
    if p["merge"] == "hierarchical":
        seconds += 1e-3 * min(int(p["n_segments"]), shape[0] * shape[1] / 16)
    return seconds


def _quickshift_seconds(shape: tuple[int, int], p: Mapping[str, Any]) -> float:
    """Each pixel visits a window of 2 * ceil(3 * kernel_size) + 1 px each way (cut at the image's edges) twice:
    1.1-1.8e-8 s a pixel and window pixel in short runs (128 to 400 px, kernel 3 to 20); max_dist only cuts links."""
    width = 2 * math.ceil(3 * float(p["kernel_size"])) + 1
    h, w = shape
    return 0.05 + h * w * (3e-6 + 1.5e-8 * min(width, h) * min(width, w))


def _chan_vese_seconds(shape: tuple[int, int], p: Mapping[str, Any]) -> float:
    """Per pixel and iteration: morphological 2.6e-8 s + 8e-8 s a smoothing pass (256 px, 60 and 200 steps; 1.7e-7
    at 640 px, smoothing 1), classic 7e-8 s (it may stop early); set higher."""
    per = 5e-8 + 1.2e-7 * int(p["smoothing"]) if p["algorithm"] == "morphological" else 1.2e-7
    return 0.05 + shape[0] * shape[1] * int(p["iterations"]) * per


#: The help of a setting whose default was chosen on photos with human segmentations.
BSDS_HELP = ("Its default was chosen on the BSDS500 train photos (481 x 321 px) against their human "
             "segmentations, and confirmed on val (docs/quality.md).")

# --------------------------------------------------------------------------- validation


def _int(value, name: str, lo: int, hi: int | None = None) -> int:
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number; got {value!r}") from None
    if isinstance(value, bool) or not as_float.is_integer() or as_float < lo or (hi is not None and as_float > hi):
        span = f"{lo} or more" if hi is None else f"{lo} to {hi}"
        raise ValueError(f"{name} is a whole number, {span}; got {value!r}")
    return int(as_float)


def _float(value, name: str, lo: float, hi: float | None = None, *, open_lo: bool = False) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None
    if not np.isfinite(out) or out < lo or (open_lo and out == lo) or (hi is not None and out > hi):
        low = f"above {lo:g}" if open_lo else f"{lo:g} or more"
        span = low if hi is None else f"{low} and at most {hi:g}"
        raise ValueError(f"{name} must be {span}; got {value!r}")
    return out


def _choice(value, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} is one of {', '.join(choices)}; got {value!r}")
    return value


def _max_side(value) -> int | None:
    return None if value is None else _int(value, "max_side", 16)


def _rgb(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {arr.dtype} {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(f"the image is {arr.shape[1]} x {arr.shape[0]} px; region methods need at least 2 x 2")
    return arr


# --------------------------------------------------------------------------- size


def reduce_to(image: np.ndarray, max_side: int | None) -> np.ndarray:
    """``image`` with its long side cut to ``max_side`` pixels by area averaging (itself when it fits or None).

    The aspect ratio is kept (each side rounded, at least 2 px); Pillow's box
    filter averages every input pixel into the output, so thin structures fade
    rather than alias.
    """
    h, w = run_shape(image.shape[:2], max_side)
    if (h, w) == image.shape[:2]:
        return image
    return np.asarray(Image.fromarray(image).resize((w, h), Image.Resampling.BOX))


def scale_labels(labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``labels`` scaled up to ``shape`` by nearest neighbour (pixel centres); itself when already that size.

    Every label survives: when scaling up, each small pixel is the nearest
    of at least one large one.
    """
    h, w = labels.shape
    if (h, w) == tuple(shape):
        return labels
    rows = np.minimum(((np.arange(shape[0]) + 0.5) * (h / shape[0])).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(shape[1]) + 0.5) * (w / shape[1])).astype(np.intp), w - 1)
    return labels[rows[:, None], cols[None, :]]


def _sequential(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 1..n in the order of their first pixel (raster order), as int32."""
    flat = labels.ravel()
    values, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    rank = np.empty(len(values), np.int32)
    rank[np.argsort(first, kind="stable")] = np.arange(1, len(values) + 1, dtype=np.int32)
    return rank[inverse].reshape(labels.shape)


def _result(method: str, small_labels: np.ndarray, image: np.ndarray, small: np.ndarray, params: dict,
            elapsed: float, *, names: dict | None = None, prefix: str = "region", **extras) -> Segmentation:
    labels = scale_labels(small_labels, image.shape[:2])
    legend = build_legend(labels, names, name_prefix=prefix)
    extras = {
        "n_regions": len(legend),
        "run_shape": tuple(small.shape[:2]),
        "reduced": small.shape[:2] != image.shape[:2],
        **extras,
    }
    return Segmentation(method, labels, legend, params, elapsed, extras)


# --------------------------------------------------------------------------- methods


@register(
    "felzenszwalb", family="regions", title="Felzenszwalb graph segmentation",
    params=(
        Param("scale", "Scale (larger: bigger regions)", "float", 10.0, 5000.0, 10.0, help=BSDS_HELP),
        Param("sigma", "Smoothing sigma", "float", 0.0, 5.0, 0.1, help=BSDS_HELP),
        Param("min_size", "Smallest region (px at its size)", "int", 0, 5000, 10, help=BSDS_HELP),
        MAX_SIDE,
    ),
    # Faster than linear: 0.8 s at 640 px, 3.1 s at 1000 x 872, 12.5 s at 1600 x 1200 (4.7 x megapixels^1.5).
    cost=_sized(lambda shape, p: 0.05 + 5.0 * megapixels(shape) ** 1.5),
)
def felzenszwalb(
    image: np.ndarray,
    *,
    scale: float = 300.0,
    sigma: float = 1.2,
    min_size: int = 500,
    max_side: int | None = 800,
) -> Segmentation:
    """Felzenszwalb-Huttenlocher graph segmentation (``skimage.segmentation.felzenszwalb``).

    ``scale`` sets the preference for larger regions (the merge tolerance
    ``scale / size``), ``sigma`` the Gaussian smoothing before the graph is
    built, ``min_size`` the smallest region (merged into a neighbour after
    the main pass), in pixels of the size it runs at. The defaults were
    chosen on the BSDS500 train photos (481 x 321) and confirmed on val
    (docs/quality.md): about 25 regions a photo there, where scikit-image's
    example values (200, 0.8, 50) gave about 200.

    Returns
    -------
    Segmentation
        Regions numbered 1..n in raster order of their first pixel.
        ``extras``: ``n_regions``, ``run_shape`` (the size it ran at),
        ``reduced``.
    """
    from skimage import segmentation

    image = _rgb(image)
    scale = _float(scale, "scale", 0.0, open_lo=True)
    sigma = _float(sigma, "sigma", 0.0)
    min_size = _int(min_size, "min_size", 0)
    max_side = _max_side(max_side)
    with stopwatch() as t:
        small = reduce_to(image, max_side)
        labels = _sequential(segmentation.felzenszwalb(small, scale=scale, sigma=sigma, min_size=min_size))
    params = {"scale": scale, "sigma": sigma, "min_size": min_size, "max_side": max_side}
    return _result("felzenszwalb", labels, image, small, params, t[0])


def _merge_mean_color(graph, src: int, dst: int) -> None:
    """merge_hierarchical's callback: ``dst`` takes ``src``'s pixels, so its mean colour is the pooled one."""
    node = graph.nodes[dst]
    node["total color"] = node["total color"] + graph.nodes[src]["total color"]
    node["pixel count"] += graph.nodes[src]["pixel count"]
    node["mean color"] = node["total color"] / node["pixel count"]


def _mean_color_distance(graph, src: int, dst: int, n: int) -> dict:
    """merge_hierarchical's callback: the weight of the merged node's edge to ``n``, the distance of mean colours."""
    return {"weight": float(np.linalg.norm(graph.nodes[dst]["mean color"] - graph.nodes[n]["mean color"]))}


@register(
    "slic", family="regions", title="SLIC superpixels",
    params=(
        Param("n_segments", "Superpixels (about)", "int", 10, 5000, 10),
        Param("compactness", "Compactness", "float", 0.5, 100.0, 0.5, help=BSDS_HELP),
        Param("merge", "Merge superpixels", "choice", choices=MERGES,
              labels=("no: superpixels", "graph cut at a threshold", "hierarchical merging"),
              help="Superpixels alone split every object into hundreds of tiles; hierarchical merging into "
              "regions is the default. " + BSDS_HELP),
        Param("merge_threshold", "Merge threshold (delta-E)", "float", 0.0, 100.0, 0.5, help=BSDS_HELP),
        MAX_SIDE,
    ),
    cost=_sized(_slic_seconds),
)
def slic(
    image: np.ndarray,
    *,
    n_segments: int = 300,
    compactness: float = 20.0,
    merge: str = "hierarchical",
    merge_threshold: float = 15.0,
    max_side: int | None = 800,
) -> Segmentation:
    """SLIC superpixels in CIELAB (``skimage.segmentation.slic``), optionally merged into regions.

    ``n_segments`` is the approximate number of superpixels, ``compactness``
    the weight of position against colour (higher: squarer superpixels).
    ``merge`` joins superpixels on a region adjacency graph whose edges weigh
    the CIELAB distance (delta-E) of the two mean colours: ``'threshold'``
    joins every edge lighter than ``merge_threshold``
    (``skimage.graph.cut_threshold``); ``'hierarchical'`` merges the closest
    pair first and recomputes the merged mean, until no pair is closer than
    ``merge_threshold`` (``skimage.graph.merge_hierarchical``). The graph is
    built by :func:`segcore.fast.adjacency.rag_mean_color`, equal to
    scikit-image's ``rag_mean_color``. The defaults (300 superpixels of
    compactness 20, merged hierarchically up to delta-E 15) were chosen on
    the BSDS500 train photos and confirmed on val (docs/quality.md): about
    24 regions a photo there, where the 300 unmerged superpixels scored a
    VoI of 5.8 bits against the human segmentations, and 2.2 merged. The
    merge costs time, so it runs at 800 px by default (1000 px unmerged).

    Returns
    -------
    Segmentation
        Superpixels (or merged regions) numbered 1..n in raster order.
        ``extras``: ``n_regions``, ``n_superpixels`` (before merging),
        ``run_shape``, ``reduced``.
    """
    from skimage import color, graph, segmentation

    image = _rgb(image)
    n_segments = _int(n_segments, "n_segments", 2)
    compactness = _float(compactness, "compactness", 0.0, open_lo=True)
    merge = _choice(merge, "merge", MERGES)
    merge_threshold = _float(merge_threshold, "merge_threshold", 0.0)
    max_side = _max_side(max_side)
    with stopwatch() as t:
        small = reduce_to(image, max_side)
        # slic converts to CIELAB itself (and scales it as its compactness expects); the
        # graph's weights are delta-E, so the merge takes the Lab values as they are.
        superpixels = segmentation.slic(small, n_segments=n_segments, compactness=compactness, start_label=1)
        n_superpixels = len(np.unique(superpixels))
        labels = superpixels
        if merge != "none" and n_superpixels > 1:
            rag = rag_mean_color(color.rgb2lab(small), superpixels)
            if merge == "threshold":
                labels = graph.cut_threshold(superpixels, rag, merge_threshold)
            else:
                labels = graph.merge_hierarchical(
                    superpixels, rag, thresh=merge_threshold, rag_copy=False, in_place_merge=True,
                    merge_func=_merge_mean_color, weight_func=_mean_color_distance,
                )
        labels = _sequential(labels)
    params = {"n_segments": n_segments, "compactness": compactness, "merge": merge,
              "merge_threshold": merge_threshold, "max_side": max_side}
    prefix = "superpixel" if merge == "none" else "region"
    return _result("slic", labels, image, small, params, t[0], prefix=prefix, n_superpixels=n_superpixels)


@register(
    "quickshift", family="regions", title="Quickshift",
    params=(
        Param("kernel_size", "Kernel size", "float", 1.0, 20.0, 0.5),
        Param("max_dist", "Max distance", "float", 1.0, 100.0, 1.0, help=BSDS_HELP),
        Param("ratio", "Colour vs position (ratio)", "float", 0.0, 1.0, 0.05, help=BSDS_HELP),
        MAX_SIDE,
    ),
    cost=_sized(_quickshift_seconds),
)
def quickshift(
    image: np.ndarray,
    *,
    kernel_size: float = 5.0,
    max_dist: float = 40.0,
    ratio: float = 0.25,
    max_side: int | None = 320,
) -> Segmentation:
    """Quickshift mode seeking in (L*, a*, b*, x, y) (``skimage.segmentation.quickshift``).

    ``kernel_size`` is the width of the Gaussian density estimate (larger:
    fewer, bigger segments), ``max_dist`` the longest link a pixel may make
    to a denser neighbour (a cut-off on the tree), ``ratio`` the weight of
    colour against position (0 to 1). Its cost grows with
    ``kernel_size`` squared per pixel: the slowest method here, so it runs at
    320 px by default. ``max_dist`` and ``ratio`` were chosen on the BSDS500
    train photos and confirmed on val (docs/quality.md): about 33 segments
    a photo there, where 10 and 0.5 gave about 84 (a larger kernel would
    take it over its time budget).

    Returns
    -------
    Segmentation
        Segments numbered 1..n in raster order. ``extras``: ``n_regions``,
        ``run_shape``, ``reduced``.
    """
    from skimage import segmentation

    image = _rgb(image)
    kernel_size = _float(kernel_size, "kernel_size", 0.0, 50.0, open_lo=True)
    max_dist = _float(max_dist, "max_dist", 0.0, open_lo=True)
    ratio = _float(ratio, "ratio", 0.0, 1.0)
    max_side = _max_side(max_side)
    with stopwatch() as t:
        small = reduce_to(image, max_side)
        labels = segmentation.quickshift(small, ratio=ratio, kernel_size=kernel_size, max_dist=max_dist,
                                         convert2lab=True, rng=0)
        labels = _sequential(labels)
    params = {"kernel_size": kernel_size, "max_dist": max_dist, "ratio": ratio, "max_side": max_side}
    return _result("quickshift", labels, image, small, params, t[0], prefix="segment")


def flood(strength: np.ndarray, markers: np.ndarray, *, compactness: float = 0.0) -> np.ndarray:
    """``skimage.segmentation.watershed(strength, markers)``: every pixel joins the basin it is flooded from.

    The markers' labels spread over ``strength`` (lowest first) until basins
    meet, so the result has no unlabelled pixel; where no marker exists
    (all zero) the markers are returned as they are.
    """
    from skimage import segmentation

    if not markers.any():
        return markers
    return segmentation.watershed(strength, markers=markers, compactness=compactness).astype(np.int32, copy=False)


@register(
    "watershed", family="regions", title="Watershed on the gradient",
    params=(
        Param("markers", "Markers", "choice", choices=MARKERS, labels=("the gradient's low regions", "a regular grid")),
        Param("low_share", "Flattest share of pixels seeding basins", "float", 0.05, 0.9, 0.05, help=BSDS_HELP),
        Param("min_marker", "Smallest marker (px)", "int", 1, 2000, 1, help=BSDS_HELP),
        Param("n_markers", "Grid markers", "int", 2, 5000, 1),
        Param("compactness", "Compactness", "float", 0.0, 1.0, 0.0005),
        Param("sigma", "Smoothing sigma", "float", 0.0, 8.0, 0.1, help=BSDS_HELP),
        MAX_SIDE,
    ),
    # 0.27-0.35 s a megapixel with the low regions' seeds (1000 x 872 and 1600 x 1200; scikit-image alone took
    # 0.9-1.1 s, segcore.fast.watershed), 0.45 s with a grid's markers, on a slow day of this machine.
    cost=_sized(lambda shape, p: 0.05 + (0.4 if p["markers"] == "low" else 0.5) * megapixels(shape)),
)
def watershed(
    image: np.ndarray,
    *,
    markers: str = "low",
    low_share: float = 0.5,
    min_marker: int = 400,
    n_markers: int = 400,
    compactness: float = 0.0,
    sigma: float = 2.0,
    max_side: int | None = None,
) -> Segmentation:
    """Marker-based watershed of the Sobel gradient (``skimage.segmentation.watershed``).

    The gradient is ``skimage.filters.sobel`` of the gray image smoothed by a
    Gaussian of ``sigma`` px. ``markers='low'`` seeds one basin in each
    4-connected patch of the flattest pixels (the ``low_share`` of pixels with
    the lowest gradient) of at least ``min_marker`` pixels; ``'grid'`` seeds
    ``n_markers`` basins on a regular grid. ``compactness`` above 0 makes
    basins grow rounder (compact watershed, about 0.001 to 0.01 at this
    gradient's scale). The defaults (half the pixels, patches of 400 px or
    more, sigma 2) were chosen on the BSDS500 train photos and confirmed on
    val (docs/quality.md): about 15 basins a photo there, where 30 %, 25 px
    and sigma 1 gave about 150. ``min_marker`` counts pixels, so a larger
    photo gets more basins.

    Returns
    -------
    Segmentation
        Basins numbered 1..n in raster order (every pixel belongs to one).
        ``extras``: ``n_regions``, ``n_markers`` (seeds used), ``gradient``
        (at the size it ran at), ``run_shape``, ``reduced``.
    """
    from skimage import filters, segmentation

    from segcore.methods.edges import label_regions

    image = _rgb(image)
    markers = _choice(markers, "markers", MARKERS)
    low_share = _float(low_share, "low_share", 0.0, 1.0, open_lo=True)
    min_marker = _int(min_marker, "min_marker", 1)
    n_markers = _int(n_markers, "n_markers", 2)
    compactness = _float(compactness, "compactness", 0.0)
    sigma = _float(sigma, "sigma", 0.0)
    max_side = _max_side(max_side)
    with stopwatch() as t:
        small = reduce_to(image, max_side)
        gray = to_gray(small, np.float32)
        if sigma > 0:
            gray = filters.gaussian(gray, sigma=sigma, preserve_range=True)
        gradient = filters.sobel(gray).astype(np.float32, copy=False)
        if markers == "low":
            level = np.quantile(gradient, low_share)
            seeds, _, _ = label_regions(gradient <= level, min_marker)
            if not seeds.any():  # a flat image: one patch, whatever its size
                seeds, _, _ = label_regions(gradient <= level)
            # scikit-image's watershed with the seeds' inner pixels out of its queue (segcore.fast.watershed).
            labels = fast_watershed(gradient, seeds, compactness=compactness)
            used = int(seeds.max())
        else:
            labels = segmentation.watershed(gradient, markers=n_markers, compactness=compactness)
            used = int(labels.max())
        labels = _sequential(labels)
    params = {"markers": markers, "low_share": low_share, "min_marker": min_marker, "n_markers": n_markers,
              "compactness": compactness, "sigma": sigma, "max_side": max_side}
    return _result("watershed", labels, image, small, params, t[0], prefix="basin",
                   n_markers=used, gradient=gradient)


@register(
    "chan_vese", family="regions", title="Chan-Vese active contour",
    params=(
        Param("algorithm", "Algorithm", "choice", choices=CONTOURS, labels=("morphological (faster)", "classic level set")),
        Param("iterations", "Iterations", "int", 1, 500, 1, help=BSDS_HELP),
        Param("smoothing", "Smoothing passes (morphological)", "int", 0, 4, 1, help=BSDS_HELP),
        Param("mu", "Length weight mu (classic)", "float", 0.0, 1.0, 0.01),
        MAX_SIDE,
    ),
    cost=_sized(_chan_vese_seconds),
)
def chan_vese(
    image: np.ndarray,
    *,
    algorithm: str = "morphological",
    iterations: int = 20,
    smoothing: int = 3,
    mu: float = 0.25,
    max_side: int | None = 400,
) -> Segmentation:
    """Two-phase Chan-Vese segmentation of the gray image into inside and outside of a contour.

    ``algorithm='morphological'`` is ``skimage.segmentation.morphological_chan_vese``
    (the contour moved by morphological operators, ``smoothing`` passes of
    its curvature smoother per step); ``'classic'`` is
    ``skimage.segmentation.chan_vese`` (a level set, ``mu`` the weight of the
    contour's length). Both start from a checkerboard and run
    ``iterations`` steps; both minimise the squared distance of each phase's
    pixels to the phase's mean gray plus the contour's length. 20 steps of
    3 smoothing passes were chosen on the BSDS500 train photos and confirmed
    on val (docs/quality.md): a smoother contour than 60 steps of 1 follows
    the human segmentations a little better, in less time.

    Returns
    -------
    Segmentation
        Label 1: the contour's inside (level set above 0), label 0 the
        outside; which of the two is the object depends on the picture.
        ``extras``: ``n_regions``, ``means`` (each phase's mean gray, 0..1),
        ``run_shape``, ``reduced``.
    """
    from skimage import segmentation

    image = _rgb(image)
    algorithm = _choice(algorithm, "algorithm", CONTOURS)
    iterations = _int(iterations, "iterations", 1, 2000)
    smoothing = _int(smoothing, "smoothing", 0, 4)
    mu = _float(mu, "mu", 0.0)
    max_side = _max_side(max_side)
    with stopwatch() as t:
        small = reduce_to(image, max_side)
        gray = np.array(to_gray(small), dtype=np.float64)
        if algorithm == "morphological":
            inside = segmentation.morphological_chan_vese(gray, iterations, init_level_set="checkerboard",
                                                          smoothing=smoothing)
        else:
            inside = segmentation.chan_vese(gray, mu=mu, max_num_iter=iterations, init_level_set="checkerboard")
        labels = (np.asarray(inside) > 0).astype(np.int32)
        means = {v: float(gray[labels == v].mean()) for v in (0, 1) if (labels == v).any()}
    params = {"algorithm": algorithm, "iterations": iterations, "smoothing": smoothing, "mu": mu,
              "max_side": max_side}
    names = {0: "outside the contour", 1: "inside the contour"}
    return _result("chan_vese", labels, image, small, params, t[0], names=names, means=means)
