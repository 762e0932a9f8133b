"""Edge-based segmentation: kernels, edge maps, and the regions edges enclose.

The article convolves the grayscale image (``skimage.color.rgb2gray``) with
three 3 x 3 kernels, exactly as reproduced here::

    sobel_horizontal   sobel_vertical   laplace
    [[ 1,  2,  1],     [[-1, 0, 1],     [[1,  1, 1],
     [ 0,  0,  0],      [-2, 0, 2],      [1, -8, 1],
     [-1, -2, -1]]      [-1, 0, 1]]      [1,  1, 1]]

    response = scipy.ndimage.convolve(gray, kernel, mode="reflect")

Around them: Prewitt and Scharr (their two kernels, applied the same way),
Canny (``skimage.feature.canny``) and the Laplacian of Gaussian
(``scipy.ndimage.gaussian_laplace``).

An edge map is not yet a segmentation. Every method here turns its edges into
segments the same way:

1. an edge strength per pixel (gradient magnitude, or the absolute response);
2. an edge mask: ``strength > edge_threshold`` (Otsu's threshold on the
   strength image when none is given); Canny makes its own mask;
3. the regions the edges enclose: connected components of the non-edge pixels
   (4-connectivity, ``skimage.measure.label``);
4. regions smaller than ``min_region`` pixels join the edges in label 0; the
   rest are numbered 1..n consecutively;
5. with ``regions='watershed'``, those regions are then flooded over the
   edge strength (``skimage.segmentation.watershed``, the regions as its
   markers) until they meet on the edges' ridges, so every pixel, edges
   included, belongs to a region and label 0 is gone.

:func:`convolution_steps` spells out, position by position, what the
convolution computes, for the explainer page; :data:`ARTICLE_STEPS` is the
article's own five-step description.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage import filters

from segcore.fast.canny import canny as fast_canny
from segcore.fast.gray import threshold_from_histogram, to_gray
from segcore.fast.laplace import gaussian_laplace
from segcore.registry import register
from segcore.result import Segmentation, build_legend, stopwatch
from segcore.spec import Cost, Param, megapixels

__all__ = [
    "ARTICLE_STEPS",
    "GRADIENTS",
    "KERNELS",
    "LAPLACE",
    "MODES",
    "PREWITT_HORIZONTAL",
    "PREWITT_VERTICAL",
    "REGION_RULES",
    "SCHARR_HORIZONTAL",
    "SCHARR_VERTICAL",
    "SOBEL_HORIZONTAL",
    "SOBEL_VERTICAL",
    "ConvolutionStep",
    "apply_kernel",
    "canny",
    "convolution_steps",
    "laplace",
    "laplacian_of_gaussian",
    "prewitt",
    "scharr",
    "segments_from_edges",
    "sobel",
]


def _const(rows: list[list[float]]) -> np.ndarray:
    arr = np.array(rows, dtype=np.float64)
    arr.setflags(write=False)  # shared module constants: nobody may edit them in place
    return arr


#: The article's kernels, exactly (float64; responses to them are kept in float64).
SOBEL_HORIZONTAL = _const([[1, 2, 1], [0, 0, 0], [-1, -2, -1]])
SOBEL_VERTICAL = _const([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
LAPLACE = _const([[1, 1, 1], [1, -8, 1], [1, 1, 1]])

#: Prewitt and Scharr in the article's layout and sign convention, unnormalised.
#: ``skimage.filters.prewitt_h``/``scharr_h`` use the same kernels divided by 3
#: and 16 (and ``skimage.filters.prewitt``/``scharr`` divide the magnitude by
#: sqrt(2)); the scale changes the strength values, not Otsu's edge mask.
PREWITT_HORIZONTAL = _const([[1, 1, 1], [0, 0, 0], [-1, -1, -1]])
PREWITT_VERTICAL = _const([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
SCHARR_HORIZONTAL = _const([[3, 10, 3], [0, 0, 0], [-3, -10, -3]])
SCHARR_VERTICAL = _const([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]])

#: Every kernel the page can show next to its response, by response name.
KERNELS: dict[str, np.ndarray] = {
    "sobel_horizontal": SOBEL_HORIZONTAL,
    "sobel_vertical": SOBEL_VERTICAL,
    "laplace": LAPLACE,
    "prewitt_horizontal": PREWITT_HORIZONTAL,
    "prewitt_vertical": PREWITT_VERTICAL,
    "scharr_horizontal": SCHARR_HORIZONTAL,
    "scharr_vertical": SCHARR_VERTICAL,
}

#: The gradient methods: name -> (horizontal kernel, vertical kernel, responses' dtype). The
#: article's Sobel stays in float64, its own numbers; Prewitt and Scharr run in float32.
GRADIENTS: dict[str, tuple[np.ndarray, np.ndarray, type]] = {
    "sobel": (SOBEL_HORIZONTAL, SOBEL_VERTICAL, np.float64),
    "prewitt": (PREWITT_HORIZONTAL, PREWITT_VERTICAL, np.float32),
    "scharr": (SCHARR_HORIZONTAL, SCHARR_VERTICAL, np.float32),
}

#: Border modes, in ``scipy.ndimage`` naming (what lies beyond the image edge,
#: for a row ``a b c d``): reflect ``b a | a b c d | d c`` (the default),
#: mirror ``c b | a b c d | c b``, nearest ``a a | a b c d | d d``,
#: wrap ``c d | a b c d | a b``, constant ``0 0 | a b c d | 0 0``.
MODES = ("reflect", "constant", "nearest", "mirror", "wrap")

#: The same borders by ``np.pad``'s and OpenCV's names: ndimage's "reflect" (edge pixel repeated)
#: is np.pad's "symmetric", ndimage's "mirror" (edge pixel not repeated) np.pad's "reflect";
#: OpenCV's filter2D has no 'wrap', which ndimage computes.
_BORDERS = {
    "reflect": ("symmetric", cv2.BORDER_REFLECT),
    "mirror": ("reflect", cv2.BORDER_REFLECT_101),
    "nearest": ("edge", cv2.BORDER_REPLICATE),
    "wrap": ("wrap", None),
    "constant": ("constant", cv2.BORDER_CONSTANT),
}

#: The article's description of a convolution, step by step.
ARTICLE_STEPS = (
    "1. Take the kernel (a small matrix of weights).",
    "2. Place it over the image, centred on a pixel.",
    "3. Multiply each kernel weight by the pixel value under it.",
    "4. Add the products: the sum is the output pixel.",
    "5. Move the kernel by the stride and repeat for the next pixel.",
)

#: How edges become regions: the components they enclose (edges stay label 0), or those
#: components flooded over the edge strength by the watershed (every pixel in a region).
REGION_RULES = ("components", "watershed")

#: Colour of label 0 (edges, and the small regions merged into them).
_EDGE_COLOR = (20, 20, 20)

# --------------------------------------------------------------------------- validation


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown border mode {mode!r}; choose one of {', '.join(MODES)}")
    return mode


def _number(value, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None


def _check_min_region(min_region: int) -> int:
    value = _number(min_region, "min_region")
    if isinstance(min_region, bool) or not value.is_integer() or value < 0:
        raise ValueError(f"min_region is a whole number of pixels, 0 or more; got {min_region!r}")
    return int(value)


def _check_regions(regions: str) -> str:
    if regions not in REGION_RULES:
        raise ValueError(f"regions is one of {', '.join(REGION_RULES)}; got {regions!r}")
    return regions


def _check_edge_threshold(edge_threshold: float | None) -> float | None:
    if edge_threshold is None:
        return None
    value = _number(edge_threshold, "edge_threshold")
    if not np.isfinite(value) or value < 0:
        raise ValueError(
            f"edge_threshold is a strength of 0 or more (or None for Otsu's automatic value); got {edge_threshold!r}"
        )
    return value


#: The checks of the settings edge methods share, by name.
_CHECKS = {
    "mode": _check_mode, "edge_threshold": _check_edge_threshold, "min_region": _check_min_region,
    "regions": _check_regions,
}


def _checked(**settings) -> dict:
    """The shared ``settings`` given, each checked in the order given: a result's ``params``.

    The methods check them before starting the clock; :func:`segments_from_edges` checks its own again.
    """
    return {name: _CHECKS[name](value) for name, value in settings.items()}


def _check_sigma(sigma: float, *, allow_zero: bool) -> float:
    value = _number(sigma, "sigma")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        need = "0 or more" if allow_zero else "greater than 0"
        raise ValueError(f"sigma (the Gaussian's standard deviation, in pixels) must be {need}; got {sigma!r}")
    return value


def _check_kernel(kernel: np.ndarray) -> np.ndarray:
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2 or k.size == 0:
        raise ValueError(f"a kernel is a 2-D matrix of weights; got shape {k.shape}")
    if not np.all(np.isfinite(k)):
        raise ValueError("kernel weights must be finite numbers")
    return k


def _check_gray(gray: np.ndarray) -> np.ndarray:
    g = np.asarray(gray)
    if g.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale image, got shape {g.shape}")
    if g.dtype not in (np.float32, np.float64):
        g = g.astype(np.float64)  # integers keep their values; the sums need a signed float
    return g


# --------------------------------------------------------------------------- kernels


def apply_kernel(gray: np.ndarray, kernel: np.ndarray, *, mode: str = "reflect") -> np.ndarray:
    """Convolve a grayscale image with a kernel, as the article does.

    Parameters
    ----------
    gray : ndarray, shape (H, W)
        Grayscale image, e.g. :func:`segcore.fast.gray.to_gray` (float64 in [0, 1]).
    kernel : array_like, shape (h, w)
        Weight matrix, e.g. one of :data:`KERNELS`.
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}
        What lies beyond the border (see :data:`MODES`); the article uses 'reflect'.

    Returns
    -------
    ndarray, shape (H, W), float64 (float32 for a float32 ``gray``; integers are taken as float64)
        ``scipy.ndimage.convolve(gray, kernel, mode=mode)``: for a float64
        gray, exactly the article's numbers. Computed by ``cv2.filter2D`` with
        the kernel flipped (filter2D correlates) and the same border, which
        gives the same values (tested for every kernel and border here);
        'wrap', which filter2D lacks, and even-sized kernels go to ndimage.
        Convolution flips the kernel by 180 degrees before sliding it
        (``correlate`` does not); for the Sobel kernels that flips the sign
        of the response.

    Examples
    --------
    >>> gray = np.zeros((5, 5)); gray[:, 3:] = 1.0
    >>> apply_kernel(gray, SOBEL_VERTICAL)[2]
    array([ 0.,  0., -4., -4.,  0.])
    """
    g = _check_gray(gray)
    k = _check_kernel(kernel)
    mode = _check_mode(mode)
    if mode == "wrap" or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        return ndi.convolve(g, k.astype(g.dtype), mode=mode)
    # ndimage sums a float32 image's products in double precision and rounds once: so does this.
    out = cv2.filter2D(g.astype(np.float64, copy=False), -1, k[::-1, ::-1], borderType=_BORDERS[mode][1])
    return out if g.dtype == np.float64 else out.astype(g.dtype)


@dataclass(frozen=True)
class ConvolutionStep:
    """One position of the kernel during a convolution.

    Attributes
    ----------
    index : int
        Order in which the position is visited (0, 1, ...).
    row, col : int
        The output pixel, under the kernel's centre.
    window : ndarray
        The image values under the kernel (beyond the border: the ``mode`` rule).
    kernel : ndarray
        The kernel *as applied*: convolution rotates it by 180 degrees first.
    products : ndarray
        ``window * kernel``, element by element.
    total : float
        The sum of the products, added in row-major order: the output pixel,
        equal to ``scipy.ndimage.convolve(gray, kernel, mode=mode)[row, col]``.
    """

    index: int
    row: int
    col: int
    window: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: float


def convolution_steps(
    gray: np.ndarray,
    kernel: np.ndarray,
    *,
    top: int,
    left: int,
    rows: int = 3,
    cols: int = 3,
    stride: int = 1,
    mode: str = "reflect",
) -> list[ConvolutionStep]:
    """Walk the kernel over a small patch and show each multiply-and-add.

    The article's five steps (:data:`ARTICLE_STEPS`), computed: the kernel is
    placed with its centre on pixel (``top``, ``left``), moves ``stride``
    pixels to the right ``cols`` times, then ``stride`` pixels down, for
    ``rows`` rows; positions that would fall off the image are skipped.

    Parameters
    ----------
    gray : ndarray, shape (H, W)
        Grayscale image.
    kernel : array_like, shape (h, w), h and w odd
        The weight matrix as written (the article's layout).
    top, left : int
        First centre pixel.
    rows, cols : int
        Size of the patch of positions, 1 to 16 each.
    stride : int
        Step between positions, 1 or more.
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}
        Border rule, as in :func:`apply_kernel`; windows that overlap the
        border show the values the rule supplies.

    Returns
    -------
    list of ConvolutionStep
        One per position, in visiting order: ``step.kernel`` flipped as
        convolution flips it (unlike correlation), ``step.total`` exactly
        ``scipy.ndimage.convolve(gray, kernel, mode=mode)[row, col]``.
    """
    g = _check_gray(gray)
    k = _check_kernel(kernel)
    mode = _check_mode(mode)
    kh, kw = k.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"the explainer needs a kernel with a centre (odd height and width); got {k.shape}")
    height, width = g.shape
    top, left, rows, cols, stride = (int(v) for v in (top, left, rows, cols, stride))
    if not (0 <= top < height and 0 <= left < width):
        raise ValueError(f"start pixel ({top}, {left}) is outside the {height} x {width} image")
    if not (1 <= rows <= 16 and 1 <= cols <= 16):
        raise ValueError("rows and cols are 1 to 16 positions each")
    if stride < 1:
        raise ValueError("stride is at least 1 pixel")
    ry, rx = kh // 2, kw // 2
    # The border rule as index maps: np.pad on the index vectors, with np.pad's
    # name for the ndimage mode; -1 marks 'constant' padding (value 0).
    np_mode = _BORDERS[mode][0]
    pad_kw = {"constant_values": -1} if np_mode == "constant" else {}
    row_map = np.pad(np.arange(height), ry, mode=np_mode, **pad_kw)
    col_map = np.pad(np.arange(width), rx, mode=np_mode, **pad_kw)
    applied = k[::-1, ::-1].copy()
    steps: list[ConvolutionStep] = []
    for r in range(top, min(top + rows * stride, height), stride):
        for c in range(left, min(left + cols * stride, width), stride):
            ri, ci = row_map[r : r + kh], col_map[c : c + kw]  # padded index r + ry is pixel r
            window = g[np.ix_(np.maximum(ri, 0), np.maximum(ci, 0))].astype(np.float64)
            window[(ri < 0)[:, None] | (ci < 0)[None, :]] = 0.0
            products = window * applied
            total = 0.0  # ndimage adds in row-major order, in double precision
            for p in products.ravel():
                total += float(p)
            total = float(g.dtype.type(total))  # rounded like the output array (float32 or float64)
            steps.append(ConvolutionStep(len(steps), r, c, window, applied, products, total))
    return steps


# --------------------------------------------------------------------------- edges -> segments


def label_regions(mask: np.ndarray, min_size: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """The 4-connected components of ``mask`` with at least ``min_size`` pixels, numbered 1..n.

    ``ndimage.label(mask)`` (as ``skimage.measure.label(mask, connectivity=1)``),
    its smaller components dropped into label 0 and the rest renumbered in
    the same raster order of their first pixel. Returns (int32 labels,
    ``counts[v]`` = pixels with label ``v``, number of components found).
    The components are OpenCV's ``connectedComponents(mask, connectivity=4)``:
    the same labels as ``ndimage.label``, numbered in the same raster order
    (tested on photos).
    """
    mask = np.ascontiguousarray(mask, dtype=bool)
    if mask.size:
        n_found, found = cv2.connectedComponents(mask.view(np.uint8), connectivity=4, ltype=cv2.CV_32S)
        n_found -= 1  # OpenCV counts the background as label 0
    else:
        found, n_found = np.zeros(mask.shape, np.int32), 0
    counts = np.bincount(found.ravel(), minlength=n_found + 1)
    keep = counts >= min_size
    keep[0] = False
    renumber = np.zeros(n_found + 1, np.int32)
    renumber[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    kept = counts[keep]
    return np.take(renumber, found), np.concatenate(([found.size - kept.sum()], kept)), n_found


def segments_from_edges(
    strength: np.ndarray,
    *,
    edge_threshold: float | None = None,
    min_region: int = 64,
    edge_mask: np.ndarray | None = None,
    regions: str = "components",
) -> tuple[np.ndarray, dict]:
    """Turn an edge strength image into a label map of the regions edges enclose.

    Parameters
    ----------
    strength : ndarray, shape (H, W)
        Edge strength, 0 or more.
    edge_threshold : float or None
        Edge pixels are ``strength > edge_threshold``; None uses Otsu's
        threshold on ``strength`` (``skimage.filters.threshold_otsu``).
    min_region : int
        Regions with fewer pixels join label 0.
    edge_mask : bool ndarray, optional
        A ready-made edge mask (Canny's); ``edge_threshold`` is then not
        used, nor ``strength`` unless ``regions='watershed'`` (which floods
        over it; pass the mask as float for Canny).
    regions : {'components', 'watershed'}
        ``'watershed'`` floods the regions over ``strength``
        (:func:`segcore.methods.regions.flood`) so edge pixels join the region on
        their side of the ridge and no label 0 is left (unless no region
        was found at all).

    Returns
    -------
    labels : ndarray of int32, shape (H, W)
        0 on edge pixels (and small regions), 1..n on the regions numbered in
        raster order of their first pixel.
    info : dict
        ``edge_mask`` (bool), ``edge_threshold`` (float, or None with a given
        mask), ``n_regions`` (int), ``n_small`` (regions merged into 0),
        ``names`` ({0: "edges"} or {0: "edges and small regions"}) and
        ``counts`` (``counts[v]`` = pixels with label ``v``).
    """
    min_region = _check_min_region(min_region)
    regions = _check_regions(regions)
    threshold = None
    if edge_mask is None:
        threshold = _check_edge_threshold(edge_threshold)
        if threshold is None:  # skimage.filters.threshold_otsu(strength)
            threshold = threshold_from_histogram(filters.threshold_otsu, strength)
        edge_mask = strength > threshold
    # Regions: 4-connected components of the non-edge pixels; edges are 0.
    labels, counts, n_found = label_regions(~edge_mask, min_region)
    n_regions = len(counts) - 1
    n_small = n_found - n_regions
    if regions == "watershed" and n_regions:
        from segcore.methods.regions import flood

        labels = flood(strength, labels)
        counts = np.bincount(labels.ravel(), minlength=n_regions + 1)
    info = {
        "edge_mask": edge_mask,
        "edge_threshold": threshold,
        "n_regions": n_regions,
        "n_small": n_small,
        "names": {0: "edges and small regions" if n_small else "edges"},
        "counts": counts,
    }
    return labels, info


def _result(method: str, labels: np.ndarray, info: dict, params: dict, elapsed: float, *, strength: np.ndarray,
            responses: dict[str, np.ndarray], kernels: dict | None = None, **more) -> Segmentation:
    """An edge method's result: :func:`segments_from_edges`' labels, with the extras every edge method gives."""
    extras = {
        "responses": responses,
        "kernels": dict(kernels or {}),
        "strength": strength,
        "edge_mask": info["edge_mask"],
        "edge_threshold": info["edge_threshold"],
        "n_regions": info["n_regions"],
        "n_small_regions": info["n_small"],
        **more,
    }
    legend = build_legend(labels, info["names"], {0: _EDGE_COLOR}, name_prefix="region", counts=info["counts"])
    return Segmentation(method, labels, legend, params, elapsed, extras)


def _gradient(
    image: np.ndarray, name: str, *, mode: str, edge_threshold: float | None, min_region: int, regions: str
) -> Segmentation:
    """A gradient method of :data:`GRADIENTS`: its two kernels' responses, their magnitude as the edge strength."""
    horizontal, vertical, dtype = GRADIENTS[name]
    params = _checked(mode=mode, edge_threshold=edge_threshold, min_region=min_region, regions=regions)
    with stopwatch() as t:
        gray = to_gray(image, dtype)
        h = apply_kernel(gray, horizontal, mode=mode)
        v = apply_kernel(gray, vertical, mode=mode)
        strength = np.square(h, dtype=np.float32)  # hypot(h, v) in float32, to its precision, at less cost
        strength += np.square(v, dtype=np.float32)
        np.sqrt(strength, out=strength)
        labels, info = segments_from_edges(
            strength, edge_threshold=edge_threshold, min_region=min_region, regions=regions
        )
    return _result(name, labels, info, params, t[0], strength=strength,
                   responses={f"{name}_horizontal": h, f"{name}_vertical": v, "magnitude": strength},
                   kernels={f"{name}_horizontal": horizontal, f"{name}_vertical": vertical})


# --------------------------------------------------------------------------- methods


#: The settings every edge method shares (Canny has no ``edge_threshold``: it thresholds inside).
MODE = Param(
    "mode", "Border mode (what lies beyond the image edge)", "choice", choices=MODES,
    help="reflect: b a | a b c d | d c (default, as the article); mirror: c b | a b c d | c b; "
    "nearest: a a | a b c d | d d; wrap: c d | a b c d | a b; constant: 0 0 | a b c d | 0 0",
)
EDGE_THRESHOLD = Param(
    "edge_threshold", "Edge threshold (empty: Otsu's)", "auto_float", 0.0, 1e6,
    help="On the detector's edge strength; leave empty for the automatic (Otsu) threshold.",
)
MIN_REGION = Param("min_region", "Smallest region kept (px)", "int", 0, 2000, 16)
REGIONS = Param(
    "regions", "Edges to regions", "choice", choices=REGION_RULES,
    labels=("connected components (edges stay label 0)", "watershed from them (edges flooded)"),
    help="Connected components: the regions the edges enclose; edge pixels stay label 0. Watershed: those "
    "regions flooded over the edge strength until they meet on its ridges, so every pixel belongs to a region "
    "(the standard way to turn edges into regions; slower, about a second at 1600 px).",
)
_SHARED = (MODE, EDGE_THRESHOLD, MIN_REGION, REGIONS)
#: 0.03-0.09 s a megapixel for the edges and their connected components; the watershed from them adds
#: 1.1-1.4 s a megapixel (1000 x 872, 1600 x 1200). Nothing to lower: the region rule changes the result's kind.
EDGE_COST = Cost(lambda shape, p: 0.02 + megapixels(shape) * (0.12 + (1.5 if p["regions"] == "watershed" else 0.0)))


@register("sobel", family="edges", title="Sobel (article kernels)", params=_SHARED, cost=EDGE_COST)
def sobel(
    image: np.ndarray,
    *,
    mode: str = "reflect",
    edge_threshold: float | None = None,
    min_region: int = 64,
    regions: str = "components",
) -> Segmentation:
    """The article's two Sobel kernels; edges where the gradient magnitude is high.

    ``responses['sobel_horizontal']`` and ``responses['sobel_vertical']`` are
    ``scipy.ndimage.convolve(gray, kernel, mode=mode)`` with the article's
    kernels, kept in float64 so they are exactly the article's numbers; the
    gradient magnitude ``hypot(horizontal, vertical)`` (float32) is the edge
    strength. Edge pixels are those with strength above ``edge_threshold``
    (Otsu's threshold when None); the regions they enclose are the segments.

    Returns
    -------
    Segmentation
        Label 0: edge pixels (and regions under ``min_region`` pixels);
        1..n: the enclosed regions. ``extras``: ``responses``, ``kernels``,
        ``strength``, ``edge_mask``, ``edge_threshold`` (the value used),
        ``n_regions``, ``n_small_regions``.
    """
    return _gradient(image, "sobel", mode=mode, edge_threshold=edge_threshold, min_region=min_region, regions=regions)


@register("laplace", family="edges", title="Laplace (article kernel)", params=_SHARED, cost=EDGE_COST)
def laplace(
    image: np.ndarray,
    *,
    mode: str = "reflect",
    edge_threshold: float | None = None,
    min_region: int = 64,
    regions: str = "components",
) -> Segmentation:
    """The article's Laplace kernel; edges where the absolute response is high.

    ``responses['laplace']`` is ``scipy.ndimage.convolve(gray, LAPLACE, mode=mode)``
    in float64, exactly the article's numbers. The Laplacian is a second
    derivative: it is signed and swings through zero at an edge, so the edge
    strength is its absolute value (float32). With no smoothing it also
    responds strongly to noise and fine texture, which shows as many small
    regions (raise ``min_region``, or compare with the Laplacian of Gaussian).

    Returns
    -------
    Segmentation
        Label 0: edge pixels (and regions under ``min_region`` pixels);
        1..n: the enclosed regions. ``extras``: ``responses``, ``kernels``,
        ``strength``, ``edge_mask``, ``edge_threshold`` (the value used),
        ``n_regions``, ``n_small_regions``.
    """
    params = _checked(mode=mode, edge_threshold=edge_threshold, min_region=min_region, regions=regions)
    with stopwatch() as t:
        response = apply_kernel(to_gray(image), LAPLACE, mode=mode)
        strength = np.abs(response, dtype=np.float32)
        labels, info = segments_from_edges(
            strength, edge_threshold=edge_threshold, min_region=min_region, regions=regions
        )
    return _result("laplace", labels, info, params, t[0], strength=strength, responses={"laplace": response},
                   kernels={"laplace": LAPLACE})


@register("prewitt", family="edges", title="Prewitt", params=_SHARED, cost=EDGE_COST)
def prewitt(
    image: np.ndarray,
    *,
    mode: str = "reflect",
    edge_threshold: float | None = None,
    min_region: int = 64,
    regions: str = "components",
) -> Segmentation:
    """Prewitt's two kernels (uniform weights 1, 1, 1 across the edge), applied as the article applies Sobel.

    The kernels are :data:`PREWITT_HORIZONTAL` and :data:`PREWITT_VERTICAL`,
    convolved with ``scipy.ndimage.convolve`` like the article's kernels
    (float32, for speed); the strength is the gradient magnitude. These are
    ``skimage.filters.prewitt_h`` / ``prewitt_v``'s kernels times 3, so the
    magnitude is ``skimage.filters.prewitt`` times 3 * sqrt(2).

    Returns
    -------
    Segmentation
        As :func:`sobel`'s, with the ``prewitt_horizontal`` and ``prewitt_vertical`` responses and kernels.
    """
    return _gradient(image, "prewitt", mode=mode, edge_threshold=edge_threshold, min_region=min_region, regions=regions)


@register("scharr", family="edges", title="Scharr", params=_SHARED, cost=EDGE_COST)
def scharr(
    image: np.ndarray,
    *,
    mode: str = "reflect",
    edge_threshold: float | None = None,
    min_region: int = 64,
    regions: str = "components",
) -> Segmentation:
    """Scharr's two kernels (weights 3, 10, 3: better rotation symmetry than Sobel).

    The kernels are :data:`SCHARR_HORIZONTAL` and :data:`SCHARR_VERTICAL`,
    convolved with ``scipy.ndimage.convolve`` like the article's kernels
    (float32, for speed); the strength is the gradient magnitude. These are
    ``skimage.filters.scharr_h`` / ``scharr_v``'s kernels times 16, so the
    magnitude is ``skimage.filters.scharr`` times 16 * sqrt(2).

    Returns
    -------
    Segmentation
        As :func:`sobel`'s, with the ``scharr_horizontal`` and ``scharr_vertical`` responses and kernels.
    """
    return _gradient(image, "scharr", mode=mode, edge_threshold=edge_threshold, min_region=min_region, regions=regions)


@register(
    "canny", family="edges", title="Canny",
    params=(
        Param("sigma", "Gaussian sigma", "float", 0.0, 6.0, 0.1),
        Param("low_threshold", "Low threshold (gradient)", "float", 0.0, 1.0, 0.005,
              help="Weak edges: the smoothed gradient magnitude above this, kept where linked to a strong edge. "
              "0.05 here; scikit-image's own default for a float image is 0.1."),
        Param("high_threshold", "High threshold (gradient)", "float", 0.0, 1.0, 0.005,
              help="Strong edges: the smoothed gradient magnitude above this. 0.15 here; scikit-image's own "
              "default for a float image is 0.2."),
        MODE, MIN_REGION, REGIONS,
    ),
    cost=EDGE_COST,
)
def canny(
    image: np.ndarray,
    *,
    sigma: float = 1.0,
    low_threshold: float = 0.05,
    high_threshold: float = 0.15,
    mode: str = "reflect",
    min_region: int = 64,
    regions: str = "components",
) -> Segmentation:
    """Canny's edge detector; its thin, linked edges enclose the regions.

    ``skimage.feature.canny(gray, sigma, low_threshold, high_threshold, mode=mode)``:
    Gaussian smoothing (``sigma``), Sobel gradient, thinning to one-pixel
    lines, then hysteresis: pixels whose smoothed gradient magnitude exceeds
    ``high_threshold`` are edges, and so are pixels above ``low_threshold``
    linked to them. The dashboard starts at 0.05 and 0.15, where
    scikit-image's own defaults for a float image are 0.1 and 0.2: on photos
    of the benchmark those keep only the strongest outlines and leave most
    objects open. The edge mask is Canny's output as is (no ``edge_threshold``);
    Canny leaves the one-pixel image border out of its mask. ``mode`` is the
    border rule of the smoothing: 'reflect' here as for every edge method
    (scikit-image's own default is 'constant', which also rescales the
    smoothing near the border). The gray is taken as float32; its smoothing
    makes the precision moot. The edge map is computed by
    :func:`segcore.fast.canny.canny`: the same steps in row bands on every
    core, with the same edges (tested).

    Returns
    -------
    Segmentation
        Label 0: edge pixels (and regions under ``min_region`` pixels);
        1..n: the enclosed regions. ``extras``: ``edge_mask`` (Canny's),
        ``strength`` and ``responses['canny']`` (that mask as 0/1 float32:
        Canny thresholds internally), ``low_threshold`` and
        ``high_threshold`` (the values used), ``edge_threshold`` (=
        ``high_threshold``), ``n_regions``, ``n_small_regions``, ``kernels``
        (empty).
    """
    sigma = _check_sigma(sigma, allow_zero=True)
    shared = _checked(mode=mode, min_region=min_region, regions=regions)
    low, high = _number(low_threshold, "low_threshold"), _number(high_threshold, "high_threshold")
    for name, value in (("low_threshold", low), ("high_threshold", high)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} is a gradient magnitude of 0 or more; got {value!r}")
    if low > high:
        raise ValueError(f"low_threshold ({low:g}) must not exceed high_threshold ({high:g})")
    with stopwatch() as t:
        edge_mask = fast_canny(to_gray(image, np.float32), sigma, low, high, mode=mode)
        strength = edge_mask.astype(np.float32)
        labels, info = segments_from_edges(strength, edge_mask=edge_mask, min_region=min_region, regions=regions)
    info["edge_threshold"] = high
    params = {"sigma": sigma, "low_threshold": low, "high_threshold": high, **shared}
    return _result("canny", labels, info, params, t[0], strength=strength, responses={"canny": strength},
                   low_threshold=low, high_threshold=high)


@register(
    "log", family="edges", title="Laplacian of Gaussian (LoG)",
    params=(Param("sigma", "Gaussian sigma", "float", 0.5, 8.0, 0.1), *_SHARED),
    cost=EDGE_COST,
)
def laplacian_of_gaussian(
    image: np.ndarray,
    *,
    sigma: float = 2.0,
    mode: str = "reflect",
    edge_threshold: float | None = None,
    min_region: int = 64,
    regions: str = "components",
) -> Segmentation:
    """Laplacian of Gaussian: smooth with a Gaussian (``sigma``), then take the Laplacian.

    ``scipy.ndimage.gaussian_laplace(gray, sigma, mode=mode)`` (float32),
    computed by :func:`segcore.fast.laplace.gaussian_laplace`: OpenCV's
    separable filter with ndimage's own kernels, in float32, which gives
    ndimage's values to within a few millionths of the largest response
    (tested). The edge strength is ``|LoG|``: on real photos its zero crossings trace a
    closed contour around every ripple of noise and texture, so labelling
    between them shatters the image into fragments, while thresholding
    ``|LoG|`` (Otsu) keeps the strong transitions and gives regions that
    follow objects (most coins in ``skimage.data.coins()`` come out as
    regions of their own). ``|LoG|`` peaks on both sides of an edge, so edges show as thick
    bands, wider as ``sigma`` grows.

    Returns
    -------
    Segmentation
        Label 0: edge pixels (and regions under ``min_region`` pixels);
        1..n: the enclosed regions. ``extras``: ``responses`` (``log``,
        the signed response), ``strength``, ``edge_mask``,
        ``edge_threshold`` (the value used), ``n_regions``,
        ``n_small_regions``, ``kernels`` (empty).
    """
    sigma = _check_sigma(sigma, allow_zero=False)
    shared = _checked(mode=mode, edge_threshold=edge_threshold, min_region=min_region, regions=regions)
    with stopwatch() as t:
        response = gaussian_laplace(to_gray(image, np.float32), sigma, mode=mode)
        strength = np.abs(response)
        labels, info = segments_from_edges(
            strength, edge_threshold=edge_threshold, min_region=min_region, regions=regions
        )
    params = {"sigma": sigma, **shared}
    return _result("log", labels, info, params, t[0], strength=strength, responses={"log": response})
