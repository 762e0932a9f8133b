"""The settings each method offers on the dashboard: ranges, page defaults, text form.

A technique page draws its own controls; the compare page draws the same
settings for every method from this table, and a shared link carries them as
text (``st.query_params`` holds strings). :func:`parse` turns such text back
into a value and refuses anything outside the page's range, so a link is
validated like any other user input.

The defaults here are the technique pages' defaults, which can differ from
the function's: the edge page starts Canny at hysteresis thresholds 0.05 and
0.15, where ``skimage.feature.canny`` alone would take 10 % and 20 % of the
dtype's range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from segcore.methods.edges import MODES, REGION_RULES
from segcore.methods.regions import CONTOURS, MARKERS, MERGES

__all__ = ["Param", "PAGE_PARAMS", "COMPARE_METHODS", "page_defaults", "parse", "to_text"]


@dataclass(frozen=True)
class Param:
    """One setting of one method.

    ``kind`` is ``"int"``, ``"float"``, ``"choice"``, ``"bool"``, ``"floats"``
    (a comma-separated list of floats in ``[lo, hi]``) or ``"auto_float"`` (a
    float, or None for the method's automatic value). ``lo``/``hi``/``step``
    bound numbers; ``choices`` lists a choice's values, ``labels`` their names.
    """

    name: str
    label: str
    kind: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    choices: tuple = ()
    labels: tuple = ()
    help: str = ""


_MODE = Param("mode", "Border mode", "choice", "reflect", choices=MODES)
_MIN_REGION = Param("min_region", "Smallest region kept (px)", "int", 64, 0, 2000, 16)
_EDGE_THRESHOLD = Param(
    "edge_threshold", "Edge threshold (empty: Otsu's)", "auto_float", None, 0.0, 1e6,
    help="On the detector's edge strength; leave empty for the automatic (Otsu) threshold.",
)
_COLOR = Param("color_space", "Colour space", "choice", "rgb", choices=("rgb", "lab"), labels=("RGB", "CIELAB"))
_K = Param("k", "Clusters (k)", "int", 5, 2, 16, 1)
_XY = Param("xy_weight", "Position weight", "float", 0.0, 0.0, 2.0, 0.05)
_SEED = Param("seed", "Seed", "int", 0, 0, 10_000, 1)
_REGIONS = Param(
    "regions", "Edges to regions", "choice", "components", choices=REGION_RULES,
    labels=("connected components (edges stay label 0)", "watershed from them (edges flooded)"),
    help="Components: the regions the edges enclose, edges left as label 0. Watershed: those regions "
    "flooded over the edge strength until they meet, so every pixel belongs to a region.",
)
#: Long sides a region method may run at; None: the working image's own size.
MAX_SIDES = (None, 256, 320, 400, 480, 640, 800, 1000, 1200, 1600)


def _max_side(default: int | None) -> Param:
    return Param(
        "max_side", "Runs at most at (px, long side)", "choice", default, choices=MAX_SIDES,
        labels=tuple("the working size" if v is None else f"{v} px" for v in MAX_SIDES),
        help="The image is reduced to this long side (area averaging) for the method, and its label map "
        "scaled back to the working size. The default keeps the method near or under 1 s at 1600 px.",
    )

#: Per method, the settings its page offers, with that page's defaults.
PAGE_PARAMS: dict[str, tuple[Param, ...]] = {
    "global_mean": (),
    "multilevel_article": (),
    "multilevel": (Param("thresholds", "Thresholds (0 to 1, comma-separated)", "floats", (0.25, 0.5, 0.75), 0.0, 1.0),),
    **{name: () for name in ("otsu", "li", "yen", "triangle", "isodata", "mean", "minimum")},
    "multiotsu": (Param("classes", "Classes", "int", 3, 2, 6, 1),),
    "local": (
        Param("block_size", "Block size (odd, px)", "int", 35, 3, 201, 2),
        Param("offset", "Offset", "float", 0.0, -0.2, 0.2, 0.005),
        Param("method", "Local weighting", "choice", "mean", choices=("mean", "gaussian", "median")),
    ),
    **{name: (_MODE, _EDGE_THRESHOLD, _MIN_REGION, _REGIONS) for name in ("sobel", "laplace", "prewitt", "scharr")},
    "canny": (
        Param("sigma", "Gaussian sigma", "float", 1.0, 0.0, 6.0, 0.1),
        Param("low_threshold", "Low threshold", "float", 0.05, 0.0, 1.0, 0.005),
        Param("high_threshold", "High threshold", "float", 0.15, 0.0, 1.0, 0.005),
        _MODE,
        _MIN_REGION,
        _REGIONS,
    ),
    "log": (Param("sigma", "Gaussian sigma", "float", 2.0, 0.5, 8.0, 0.1), _MODE, _EDGE_THRESHOLD, _MIN_REGION, _REGIONS),
    "kmeans": (_K, _COLOR, _XY, Param("exact", "Exact: the article's full fit", "bool", False), _SEED),
    "gmm": (
        _K, _COLOR, _XY,
        Param("covariance_type", "Cluster shape", "choice", "full", choices=("full", "tied", "diag", "spherical")),
        _SEED,
    ),
    "felzenszwalb": (
        Param("scale", "Scale (larger: bigger regions)", "float", 200.0, 10.0, 5000.0, 10.0),
        Param("sigma", "Smoothing sigma", "float", 0.8, 0.0, 5.0, 0.1),
        Param("min_size", "Smallest region (px at its size)", "int", 50, 0, 5000, 10),
        _max_side(800),
    ),
    "slic": (
        Param("n_segments", "Superpixels (about)", "int", 300, 10, 5000, 10),
        Param("compactness", "Compactness", "float", 10.0, 0.5, 100.0, 0.5),
        Param("merge", "Merge superpixels", "choice", "none", choices=MERGES,
              labels=("no: superpixels", "graph cut at a threshold", "hierarchical merging")),
        Param("merge_threshold", "Merge threshold (delta-E)", "float", 12.0, 0.0, 100.0, 0.5),
        _max_side(1000),
    ),
    "quickshift": (
        Param("kernel_size", "Kernel size", "float", 5.0, 1.0, 20.0, 0.5),
        Param("max_dist", "Max distance", "float", 10.0, 1.0, 100.0, 1.0),
        Param("ratio", "Colour vs position (ratio)", "float", 0.5, 0.0, 1.0, 0.05),
        _max_side(320),
    ),
    "watershed": (
        Param("markers", "Markers", "choice", "low", choices=MARKERS,
              labels=("the gradient's low regions", "a regular grid")),
        Param("low_share", "Flattest share of pixels seeding basins", "float", 0.3, 0.05, 0.9, 0.05),
        Param("min_marker", "Smallest marker (px)", "int", 25, 1, 2000, 1),
        Param("n_markers", "Grid markers", "int", 400, 2, 5000, 1),
        Param("compactness", "Compactness", "float", 0.0, 0.0, 1.0, 0.0005),
        Param("sigma", "Smoothing sigma", "float", 1.0, 0.0, 8.0, 0.1),
        _max_side(None),
    ),
    "chan_vese": (
        Param("algorithm", "Algorithm", "choice", "morphological", choices=CONTOURS,
              labels=("morphological (faster)", "classic level set")),
        Param("iterations", "Iterations", "int", 60, 1, 500, 1),
        Param("smoothing", "Smoothing passes (morphological)", "int", 1, 0, 4, 1),
        Param("mu", "Length weight mu (classic)", "float", 0.25, 0.0, 1.0, 0.01),
        _max_side(400),
    ),
    "maskrcnn": (
        Param("variant", "Model", "choice", "v1", choices=("v1", "v2", "shapes"),
              labels=("v1 (COCO)", "v2 (COCO)", "small shapes model")),
        Param("score_threshold", "Score threshold", "float", 0.5, 0.05, 0.95, 0.05),
        Param("mask_threshold", "Mask threshold", "float", 0.5, 0.05, 0.95, 0.05),
        Param("min_size", "Inference size (px)", "choice", 800, choices=(320, 480, 512, 640, 800, 1024),
              help="The shorter side the COCO models see; the small shapes model always runs at 128 px, its training size."),
    ),
}

#: The methods the compare page offers, in the dashboard's order. ``kmeans_article`` is left
#: out: it is ``kmeans`` with ``exact=True`` (the clustering page's *Exact* switch).
COMPARE_METHODS: tuple[str, ...] = tuple(PAGE_PARAMS)


def page_defaults(method: str) -> dict[str, Any]:
    """The settings ``method`` starts with on its page, as keyword arguments (KeyError if unknown)."""
    return {p.name: p.default for p in PAGE_PARAMS[method]}


def _number(p: Param, text: str, cast) -> Any:
    try:
        value = cast(text)
    except (TypeError, ValueError):
        raise ValueError(f"{p.label}: {text!r} is not a number") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{p.label}: {text!r} is not a finite number")
    if (p.lo is not None and value < p.lo) or (p.hi is not None and value > p.hi):
        raise ValueError(f"{p.label}: {text} is outside {p.lo:g} to {p.hi:g}")
    if p.kind == "int" and p.step and p.step > 1 and (value - p.lo) % p.step:
        raise ValueError(f"{p.label}: {text} is not one of {p.lo:g}, {p.lo + p.step:g}, ... {p.hi:g}")
    return value


def parse(p: Param, text: str) -> Any:
    """The value of ``p`` written as ``text`` (as :func:`to_text` writes it).

    Raises ValueError naming the setting and the accepted values when the
    text is not one of them: a link is user input.
    """
    text = str(text).strip()
    if p.kind == "int":
        return _number(p, text, int)
    if p.kind == "float":
        return _number(p, text, float)
    if p.kind == "auto_float":
        return None if text in ("", "auto", "None") else _number(p, text, float)
    if p.kind == "bool":
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{p.label}: {text!r} is not on/off")
    if p.kind == "floats":
        parts = [s for s in text.replace(";", ",").split(",") if s.strip()]
        if not parts:
            raise ValueError(f"{p.label}: give at least one value")
        if len(parts) > 10:
            raise ValueError(f"{p.label}: at most 10 values")
        return tuple(sorted(_number(p, s.strip(), float) for s in parts))
    if p.kind == "choice":
        for c in p.choices:
            if text == str(c):
                return c
        raise ValueError(f"{p.label}: {text!r} is not one of {', '.join(map(str, p.choices))}")
    raise ValueError(f"unknown setting kind {p.kind!r}")  # pragma: no cover - the table's own error


def to_text(p: Param, value: Any) -> str:
    """``value`` written for a link; :func:`parse` reads it back to the same value."""
    if p.kind == "floats":
        return ",".join(f"{float(v):g}" for v in value)
    if p.kind == "bool":
        return "1" if value else "0"
    if p.kind == "auto_float":
        return "" if value is None else f"{float(value):.6g}"
    if p.kind == "float":
        return f"{float(value):.6g}"
    return str(value)
