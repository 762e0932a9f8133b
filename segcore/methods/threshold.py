"""Region-based segmentation by thresholds on the article's grayscale.

The article's two rules are reproduced exactly (and vectorised):

* global: foreground where ``gray > gray.mean()``;
* multi-level: 3 where ``gray > mean``; else 2 where ``gray > 0.5``; else 1
  where ``gray > 0.25``; else 0.

Around them: any user-set list of thresholds, scikit-image's automatic
methods (Otsu, multi-Otsu, Li, Yen, Triangle, Isodata, Mean, Minimum) and a
local (adaptive) threshold that varies across the image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from skimage import filters

from segcore.fast.gray import threshold_from_histogram, to_gray
from segcore.fast.minimum import threshold_minimum
from segcore.registry import register
from segcore.result import Segmentation, build_legend, stopwatch
from segcore.spec import Cost, Param, megapixels, per_megapixel


def threshold_li_16bit(gray: np.ndarray) -> float:
    """Li's minimum cross-entropy threshold: ``skimage.filters.threshold_li`` on 16-bit levels.

    Given float gray levels, scikit-image iterates over every pixel (and first
    sorts them all); given integers it runs the same iteration on a histogram.
    Quantising gray to 65,536 levels takes that path, and the threshold stays
    within 1e-5 of the float result on photos (a few pixels in a million can
    change side). Returns the threshold on the 0..1 gray scale.
    """
    levels = np.rint(np.asarray(gray, dtype=np.float64) * 65535.0).astype(np.uint16)
    return float(filters.threshold_li(levels)) / 65535.0


#: Automatic global methods: registry name -> (title, threshold of a gray image).
AUTO_METHODS: dict[str, tuple[str, Callable[[np.ndarray], float]]] = {
    "otsu": ("Otsu", partial(threshold_from_histogram, filters.threshold_otsu)),
    "li": ("Li", threshold_li_16bit),
    "yen": ("Yen", partial(threshold_from_histogram, filters.threshold_yen)),
    "triangle": ("Triangle", filters.threshold_triangle),
    "isodata": ("Isodata", partial(threshold_from_histogram, filters.threshold_isodata)),
    "mean": ("Mean", filters.threshold_mean),
    # scikit-image's threshold_minimum, its peaks counted by numpy (segcore.fast.minimum, tested equal)
    "minimum": ("Minimum", partial(threshold_from_histogram, threshold_minimum)),
}

_BINARY_COLORS = {0: (25, 25, 60), 1: (255, 200, 40)}
#: A global threshold: the gray image, its histogram and one comparison, 0.03-0.06 s a megapixel.
GLOBAL_COST = per_megapixel(0.08, 0.01)


def _binary(method: str, gray: np.ndarray, t: float, elapsed: float) -> Segmentation:
    """The two-label result of threshold ``t``: 1 where ``gray > t``, else 0."""
    above = gray > t
    foreground = int(np.count_nonzero(above))
    labels = above.astype(np.int32)
    names = {0: f"background (gray <= {t:.4f})", 1: f"foreground (gray > {t:.4f})"}
    legend = build_legend(labels, names, _BINARY_COLORS, counts=np.array([gray.size - foreground, foreground]))
    return Segmentation(method, labels, legend, {}, elapsed, {"thresholds": [float(t)]})


def _levels(gray: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Label = how many of the thresholds (any order) the pixel is strictly above (0..len), as int32.

    ``np.searchsorted(sorted(thresholds), gray, side="left")`` (tested), as one
    comparison per threshold added up: quicker for the few thresholds a page offers.
    """
    labels = np.zeros(gray.shape, np.int32)
    for t in np.asarray(thresholds, dtype=np.float64):
        labels += gray > t
    return labels


def _level_names(thresholds: Sequence[float]) -> dict[int, str]:
    ts = sorted(float(t) for t in thresholds)
    bounds = [0.0, *ts, 1.0]
    return {i: f"level {i} ({bounds[i]:.3f} < gray <= {bounds[i + 1]:.3f})" for i in range(len(ts) + 1)}


def _multilevel(method: str, labels: np.ndarray, thresholds: list[float], params: dict, elapsed: float,
                names: dict[int, str] | None = None) -> Segmentation:
    """Labels 0..len(thresholds) coloured dark to bright (:func:`_ramp`); ``extras['thresholds']`` holds them."""
    legend = build_legend(labels, names or _level_names(thresholds), _ramp(len(thresholds) + 1))
    return Segmentation(method, labels, legend, params, elapsed, {"thresholds": thresholds})


@register("global_mean", family="threshold", title="Global threshold at the mean (article)", cost=GLOBAL_COST)
def global_mean(image: np.ndarray) -> Segmentation:
    """The article's global threshold: foreground where ``gray > gray.mean()``.

    Returns a two-label map (0 background, 1 foreground); ``extras['thresholds']``
    holds the mean. The article loops over pixels and recomputes the mean of the
    array it is overwriting; this is the vectorised rule it describes.
    """
    with stopwatch() as t:
        gray = to_gray(image)
        mean = _mean(gray)
    return _binary("global_mean", gray, mean, t[0])


@register("multilevel_article", family="threshold", title="Multi-level threshold (article)", cost=GLOBAL_COST)
def multilevel_article(image: np.ndarray) -> Segmentation:
    """The article's multi-level rule: 3 if gray > mean, else 2 if > 0.5, else 1 if > 0.25, else 0.

    Returns labels 0..3 exactly as the article defines them; ``extras['thresholds']``
    holds [0.25, 0.5, mean]. When the mean is below 0.5, level 2 is empty (every
    pixel above 0.5 is already above the mean).
    """
    with stopwatch() as t:
        gray = to_gray(image)
        mean = _mean(gray)
        labels = np.zeros(gray.shape, np.int32)
        labels[gray > 0.25] = 1
        labels[gray > 0.5] = 2
        labels[gray > mean] = 3
    names = {
        0: "0: gray <= 0.25",
        1: "1: 0.25 < gray <= 0.5",
        2: "2: gray > 0.5, not above mean",
        3: f"3: gray > mean ({mean:.4f})",
    }
    return _multilevel("multilevel_article", labels, [0.25, 0.5, mean], {}, t[0], names)


@register(
    "multilevel", family="threshold", title="Multi-level threshold (your values)",
    params=(Param("thresholds", "Thresholds (0 to 1, comma-separated)", "floats", 0.0, 1.0),),
    cost=GLOBAL_COST,
)
def multilevel(image: np.ndarray, *, thresholds: Sequence[float] = (0.25, 0.5, 0.75)) -> Segmentation:
    """Several global thresholds make a multi-level threshold.

    Returns labels 0..len(thresholds): each pixel's label counts the thresholds
    its gray value is strictly above. Thresholds are gray values in [0, 1].
    """
    ts = sorted(float(x) for x in thresholds)
    if not ts:
        raise ValueError("give at least one threshold")
    if ts[0] < 0 or ts[-1] > 1:
        raise ValueError("thresholds are gray values between 0 and 1")
    with stopwatch() as t:
        gray = to_gray(image)
        labels = _levels(gray, ts)
    return _multilevel("multilevel", labels, ts, {"thresholds": tuple(ts)}, t[0])


def _automatic(name: str, title: str, func: Callable[[np.ndarray], float]) -> Callable[..., Segmentation]:
    """The registered method for one automatic threshold of :data:`AUTO_METHODS`."""

    def method(image: np.ndarray) -> Segmentation:
        with stopwatch() as t:
            gray = to_gray(image)
            level = None if name == "isodata" else _one_level(gray)  # Isodata refuses it, saying why (below)
            try:
                thr = level if level is not None else float(func(gray))
            except RuntimeError as exc:  # threshold_minimum on a histogram without two peaks
                raise ValueError(f"{title} threshold not found on this image: {exc}") from exc
            except IndexError as exc:  # threshold_isodata finds no level: one colour, or a few pixels' levels
                if gray.size and gray.min() == gray.max():
                    raise ValueError(f"{title} threshold not found on this image: it has one gray level only "
                                     f"({float(gray.flat[0]):.4f} everywhere), so nothing to separate") from exc
                raise ValueError(f"{title} threshold not found on this image: no gray level lies halfway between "
                                 "the mean gray below it and the mean above it (too few pixels or gray levels). "
                                 "Try Otsu or the mean instead.") from exc
        return _binary(name, gray, thr, t[0])

    method.__name__ = f"threshold_{name}"
    method.__doc__ = (
        f"{title}'s automatic global threshold (``skimage.filters.threshold_{name}``) on the article's gray.\n\n"
        "Returns a two-label map (0 at or below, 1 above); ``extras['thresholds']`` holds the value."
    )
    return register(name, family="threshold", title=title, cost=GLOBAL_COST)(method)


#: The registered automatic methods, by name (the order of :data:`AUTO_METHODS`).
AUTOMATIC: dict[str, Callable[..., Segmentation]] = {
    name: _automatic(name, title, func) for name, (title, func) in AUTO_METHODS.items()
}


def _mean(gray: np.ndarray) -> float:
    """``gray.mean()``, but exactly the level of a one-level image: the rounded sum put such an
    image all above its own mean ("foreground") for about a third of the levels."""
    level = _one_level(gray)
    return float(gray.mean()) if level is None else level


def _one_level(gray: np.ndarray) -> float | None:
    """The gray level of a one-level (constant) image, else None.

    Such an image's threshold is its level, every pixel at it (background), as
    Otsu, Li and Triangle give; scikit-image's Yen gave -0.498 for black (all
    "foreground (gray > -0.4980)"), Minimum found none and Mean's rounded mean
    could fall a hair below the level (all foreground). The first and last pixels
    differ on nearly every other image, so the full comparison is rarely made.
    """
    if gray.size == 0 or gray.flat[0] != gray.flat[-1]:
        return None
    lo = float(gray.min())
    return lo if lo == float(gray.max()) else None


#: Seconds per nbins ** (classes - 1) of scikit-image's exhaustive search, by classes: 0.26 s at 4 classes
#: and 256 bins, 5.0 s at 5 (the issue: 7 s), 0.12 s at 6 classes and 64 bins and 4.8 s of CPU at 128 (the
#: issue: 96 s at 256); set at or above the highest.
_MULTIOTSU_SEARCH = {2: 1e-6, 3: 2e-7, 4: 2e-8, 5: 1.7e-9, 6: 1.5e-10}
#: The histogram sizes multi-Otsu may be given to fit a time budget, largest first.
MULTIOTSU_BINS = (192, 128, 96, 64, 48, 32)


def _multiotsu_seconds(shape: tuple[int, int], p: dict) -> float:
    classes = int(p["classes"])
    return 0.01 + 0.08 * megapixels(shape) + _MULTIOTSU_SEARCH.get(classes, 1e-10) * int(p["nbins"]) ** (classes - 1)


@register(
    "multiotsu", family="threshold", title="Multi-Otsu", params=(Param("classes", "Classes", "int", 2, 6, 1),),
    cost=Cost(_multiotsu_seconds, knob="nbins", steps=MULTIOTSU_BINS,
              says=lambda value, shape: f"with {value} histogram bins"),
)
def multiotsu(image: np.ndarray, *, classes: int = 3, nbins: int = 256) -> Segmentation:
    """Multi-Otsu: ``classes - 1`` thresholds that maximise between-class variance.

    Returns labels 0..classes-1 (``skimage.filters.threshold_multiotsu`` then
    ``np.digitize``, as scikit-image documents); ``extras['thresholds']`` holds them.
    ``nbins``: the gray histogram's bins the search runs over; its time grows
    as ``nbins ** (classes - 1)`` (6 classes at 256 bins: about 100 s), so the
    dashboard lowers it to fit its time budget (:mod:`segcore.cost`).
    """
    classes = int(classes)
    if not 2 <= classes <= 6:
        raise ValueError("multi-Otsu takes 2 to 6 classes")
    nbins = int(nbins)
    if not 2 <= nbins <= 65536:
        raise ValueError(f"multi-Otsu's histogram takes 2 to 65536 bins; got {nbins}")
    with stopwatch() as t:
        gray = to_gray(image)
        try:  # 256 bins: from the histogram the other thresholds share (the same counts as scikit-image's own)
            ts = (threshold_from_histogram(partial(filters.threshold_multiotsu, classes=classes), gray, scalar=False)
                  if nbins == 256 else filters.threshold_multiotsu(gray, classes=classes, nbins=nbins))
        except ValueError as exc:  # scikit-image's own text names an `nbins` that no control here has
            levels = int(np.count_nonzero(np.histogram(gray, bins=256)[0]))
            raise ValueError(
                f"multi-Otsu with {classes} classes needs at least {classes} distinct gray levels, and this image "
                f"has {levels}. Choose fewer classes{' (2 at least)' if levels >= 2 else ''}, or another image."
                if levels < classes else f"multi-Otsu with {classes} classes failed on this image: {exc}"
            ) from exc
        labels = np.digitize(gray, bins=ts).astype(np.int32)
    params = {"classes": classes} if nbins == 256 else {"classes": classes, "nbins": nbins}
    return _multilevel("multiotsu", labels, [float(x) for x in ts], params, t[0])


#: Gray above the local threshold by less than this is rounding, not "above": the running mean of
#: a flat area comes out a few 1e-16 either side of its level, which put about half of a flat
#: background "above local threshold" at offset 0 (in stripes). Real differences of a pixel and its
#: block's mean are at least ~1e-11 (block 201).
_LOCAL_ROUNDING = 1e-12


def _local_seconds(shape: tuple[int, int], p: dict) -> float:
    """The mean: 0.03 s a megapixel, the Gaussian 0.5; the median sorts each pixel's block: 2-6e-8 s a pixel and
    block pixel (256 px at block 51: 4 s; at block 201: 153 s), slower per pixel in larger blocks."""
    block = int(p["block_size"])
    mp = megapixels(shape)
    per = {"mean": 0.1, "gaussian": 0.6}.get(p["method"], 3e-8 * 1e6 * block * block * (1 + block / 200))
    return 0.02 + per * mp


@register(
    "local", family="threshold", title="Local (adaptive) threshold",
    params=(
        Param("block_size", "Block size (odd, px)", "int", 3, 201, 2),
        Param("offset", "Offset (subtracted from the local mean)", "float", -0.2, 0.2, 0.005),
        Param("method", "Local weighting", "choice", choices=("mean", "gaussian", "median")),
    ),
    cost=Cost(_local_seconds, knob="method", steps=("mean",),
              says=lambda value, shape: f"with the block's {value}"),
)
def local(image: np.ndarray, *, block_size: int = 35, offset: float = 0.0, method: str = "mean") -> Segmentation:
    """A local (adaptive) threshold: one that varies across the image.

    Each pixel is compared with the mean (or Gaussian-weighted mean, or
    median) of its ``block_size`` x ``block_size`` neighbourhood minus
    ``offset`` (``skimage.filters.threshold_local``). The plain mean is the
    default: faster than the Gaussian, with near-identical maps. Returns 0/1
    labels; ``extras['threshold_image']`` holds the threshold surface and
    ``extras['thresholds']`` its minimum, mean and maximum.
    """
    block_size = int(block_size)
    if block_size < 3 or block_size % 2 == 0:
        raise ValueError("block size must be an odd number of at least 3")
    if method not in ("gaussian", "mean", "median"):
        raise ValueError("method is one of gaussian, mean, median")
    with stopwatch() as t:
        gray = to_gray(image)
        surface = filters.threshold_local(gray, block_size=block_size, method=method, offset=float(offset))
        labels = (gray > surface + _LOCAL_ROUNDING).astype(np.int32)
    legend = build_legend(labels, {0: "below local threshold", 1: "above local threshold"}, _BINARY_COLORS)
    params = {"block_size": block_size, "offset": float(offset), "method": method}
    extras = {"thresholds": [float(surface.min()), float(surface.mean()), float(surface.max())],
              "threshold_image": surface.astype(np.float32)}
    return Segmentation("local", labels, legend, params, t[0], extras)


def try_all(image: np.ndarray) -> dict[str, Segmentation | str]:
    """Run every automatic global method; returns name -> result, or the error text."""
    out: dict[str, Segmentation | str] = {}
    for name in AUTO_METHODS:
        try:
            out[name] = AUTOMATIC[name](image)
        except ValueError as exc:
            out[name] = str(exc)
    return out


def _ramp(n: int) -> dict[int, tuple[int, int, int]]:
    """n colours from dark blue to bright yellow, so levels read in order."""
    stops = np.array([[30, 30, 90], [40, 120, 180], [60, 180, 120], [250, 220, 50]], dtype=float)
    x = np.arange(n) / max(n - 1, 1) * (len(stops) - 1)
    rgb = np.column_stack([np.interp(x, np.arange(len(stops)), channel) for channel in stops.T])
    return {i: tuple(int(v) for v in np.rint(c)) for i, c in enumerate(rgb)}
