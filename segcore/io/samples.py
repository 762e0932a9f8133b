"""Sample images that need no download, some with a ground truth to score against.

Two sources: scikit-image's bundled pictures, and synthetic scenes drawn here
from a fixed seed (so their ground truth is exact: the pixels were drawn from it).
Each sample is handed out as PNG bytes so it goes through the same loader as
an upload (one code path, one set of conversions); :func:`sample_ground_truth`
gives its ground truth, when it has one, at the sample's own size.

Samples with a ground truth: the synthetic ``shapes`` (instances: the pictures
the small shapes Mask R-CNN was trained on), ``blobs`` (binary) and ``mosaic``
(labels), and scikit-image's ``coins`` (instances), ``coffee`` and ``chelsea``
(binary) with masks made in this repository, shipped in ``assets/ground_truth/``
(see its README for how they were made, how good they are and the licences).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from segcore.io.ground_truth import GroundTruth, load_ground_truth

#: Where the ground-truth files of the photo samples live.
GROUND_TRUTH_DIR = Path(__file__).resolve().parents[2] / "assets" / "ground_truth"

#: Seed of the ``shapes`` scene: outside the shapes model's training seeds [0, 100000)
#: and its held-out (100000+) and test (200000+) ranges' first values.
SHAPES_SEED = 300_010
BLOBS_SEED = 6
MOSAIC_SEED = 7_000_007


@dataclass(frozen=True)
class Sample:
    """One sample picture.

    Attributes
    ----------
    name : str
        Key in :data:`SAMPLES` and the file name stem (``<name>.png``).
    title, description : str
        For the sidebar.
    load : callable
        Returns the picture as a uint8 array, (H, W) or (H, W, 3).
    ground_truth : callable, optional
        Returns its :class:`~segcore.io.ground_truth.GroundTruth` at the picture's
        own size; None when the sample has none.
    """

    name: str
    title: str
    description: str
    load: Callable[[], np.ndarray]
    ground_truth: Callable[[], GroundTruth] | None = None


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data  # only when a sample is asked for

        return getattr(skimage.data, name)()

    return load


@lru_cache(maxsize=1)
def shapes_scene() -> tuple[np.ndarray, GroundTruth]:
    """The ``shapes`` sample: a 320 x 320 picture and its instance ground truth.

    Returns
    -------
    rgb : (320, 320, 3) uint8
        :func:`segcore.io.synthetic.make_sample` with seed :data:`SHAPES_SEED`
        and five shapes: filled circles, squares and triangles (some overlapping)
        on a textured, noisy background.
    gt : GroundTruth
        ``"instances"``: value i + 1 is the visible part of the i-th shape drawn,
        ``categories`` maps it to ``"circle"``, ``"square"`` or ``"triangle"``.
        Exact: the generator drew the picture from these masks.
    """
    from segcore.io.synthetic import SHAPES_CATEGORIES, make_sample

    rgb, masks, labels = make_sample(SHAPES_SEED, size=320, n_min=5, n_max=5)
    inst = np.zeros(rgb.shape[:2], np.int32)
    for i, m in enumerate(masks, start=1):  # the visible parts: disjoint
        inst[m] = i
    categories = {i: SHAPES_CATEGORIES[int(c)] for i, c in enumerate(labels, start=1)}
    source = (
        f"synthetic, exact ground truth: segcore.io.synthetic.make_sample(seed={SHAPES_SEED}, "
        "size=320, 5 shapes) drew the picture from these masks"
    )
    gt = GroundTruth("instances", (inst,), name="shapes: exact instance masks", categories=categories, source=source)
    return rgb, gt


def _smooth_blob(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, r0: float) -> np.ndarray:
    """A smooth star-shaped blob: radius r0 * (1 + a few low-frequency wobbles) around (cy, cx)."""
    theta = np.arctan2(yy - cy, xx - cx)
    radius = np.full_like(theta, r0)
    for k in (2, 3, 5):
        radius += r0 * rng.uniform(0.04, 0.12) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    return np.hypot(yy - cy, xx - cx) < radius


@lru_cache(maxsize=1)
def blobs_scene() -> tuple[np.ndarray, GroundTruth]:
    """The ``blobs`` sample: 480 x 360 smooth blobs under uneven light, and their mask.

    Six smooth blobs (foreground) on a background; the gray level of both rises
    from the top-left to the bottom-right corner (an illumination gradient),
    so one global threshold must trade the dim blobs against the bright
    background; colour noise on top. Otsu separates most of it, a local
    threshold follows the light but breaks flat areas into speckle, and
    k-means on colour may split by light rather than by object.

    Returns
    -------
    rgb : (360, 480, 3) uint8
    gt : GroundTruth
        ``"binary"``: 1 on the blobs, exactly the pixels drawn as blobs.
    """
    h, w = 360, 480
    rng = np.random.default_rng(BLOBS_SEED)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    fg = np.zeros((h, w), bool)
    placed = 0
    for _attempt in range(200):
        r0 = rng.uniform(28, 62)
        cy, cx = rng.uniform(r0 + 8, h - r0 - 8), rng.uniform(r0 + 8, w - r0 - 8)
        blob = _smooth_blob(rng, yy, xx, cy, cx, r0)
        grown = np.hypot(yy - cy, xx - cx) < r0 * 1.45 + 10  # keep blobs apart
        if (grown & fg).any():
            continue
        fg |= blob
        placed += 1
        if placed == 6:
            break
    light = (xx / (w - 1) + yy / (h - 1)) / 2.0  # 0 at top-left .. 1 at bottom-right
    gray = 0.22 + 0.38 * light + 0.30 * fg  # background 0.22..0.60, blobs 0.52..0.90
    tint_bg = np.array([0.92, 0.98, 1.08])  # slightly bluish background
    tint_fg = np.array([1.10, 0.98, 0.82])  # warm blobs
    rgb = gray[..., None] * np.where(fg[..., None], tint_fg, tint_bg)
    rgb = rgb * 255.0 + rng.normal(0.0, 9.0, size=rgb.shape)
    rgb = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    source = f"synthetic, exact ground truth: six blobs drawn with seed {BLOBS_SEED} (segcore.io.samples.blobs_scene)"
    return rgb, GroundTruth("binary", (fg.astype(np.int32),), name="blobs: exact foreground mask", source=source)


@lru_cache(maxsize=1)
def mosaic_scene() -> tuple[np.ndarray, GroundTruth]:
    """The ``mosaic`` sample: 480 x 360 Voronoi cells of distinct colour and texture.

    Seven cells (each pixel belongs to its nearest of seven seeded points),
    each painted with its own colour and one of several textures (flat,
    stripes at some angle, checks, blotches), then noise. Two cells share a
    gray level but not a hue, so gray thresholds merge them and colour
    clustering need not.

    Returns
    -------
    rgb : (360, 480, 3) uint8
    gt : GroundTruth
        ``"labels"``: values 0..6, the cell of each pixel, exactly as painted.
    """
    from skimage.transform import resize

    h, w = 360, 480  # seven cells
    rng = np.random.default_rng(MOSAIC_SEED)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    # Seed points spread out: a jittered 4 x 2 grid, one cell dropped.
    grid = [(r, c) for r in range(2) for c in range(4)]
    del grid[int(rng.integers(len(grid)))]
    pts = np.array([((r + rng.uniform(0.2, 0.8)) * h / 2, (c + rng.uniform(0.2, 0.8)) * w / 4) for r, c in grid])
    d2 = (yy[None] - pts[:, 0, None, None]) ** 2 + (xx[None] - pts[:, 1, None, None]) ** 2
    labels = np.argmin(d2, axis=0).astype(np.int32)
    # Colours (RGB 0..255): red, blue, yellow, slate, violet, green, off-white; blue and violet
    # share a gray level (Rec. 709 ~ 0.50).
    colours = np.array(
        [[200, 60, 50], [40, 150, 210], [235, 200, 60], [60, 70, 90], [180, 110, 190], [70, 170, 80], [240, 235, 225]],
        dtype=np.float64,
    )
    img = colours[labels]
    textures = ["flat", "stripes", "checks", "blotches", "stripes", "flat", "blotches"]
    for v, tex in enumerate(textures):
        cell = labels == v
        if tex == "stripes":
            ang = rng.uniform(0, np.pi)
            period = rng.uniform(7, 14)
            wave = np.sin(2 * np.pi * (np.cos(ang) * xx + np.sin(ang) * yy) / period)
            img[cell] += 45.0 * wave[cell][:, None]
        elif tex == "checks":
            sq = int(rng.integers(8, 14))
            chk = ((yy // sq + xx // sq) % 2) * 2 - 1
            img[cell] += 40.0 * chk[cell][:, None]
        elif tex == "blotches":
            coarse = rng.normal(0.0, 1.0, size=(h // 24, w // 24))
            blot = resize(coarse, (h, w), order=1, mode="reflect")
            img[cell] += 30.0 * blot[cell][:, None]
    img += rng.normal(0.0, 12.0, size=img.shape)
    rgb = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    source = (
        f"synthetic, exact ground truth: seven Voronoi cells drawn with seed {MOSAIC_SEED} "
        "(segcore.io.samples.mosaic_scene)"
    )
    return rgb, GroundTruth("labels", (labels,), name="mosaic: exact region map", source=source)


def _scene(name: str, title: str, description: str, scene: Callable[[], tuple[np.ndarray, GroundTruth]]) -> Sample:
    """A synthetic sample: ``scene()`` gives both the picture and its exact ground truth."""
    return Sample(name, title, description, lambda: scene()[0], lambda: scene()[1])


def _photo(name: str, title: str, description: str, kind: str, truth_name: str, source: str) -> Sample:
    """scikit-image's photo ``name`` with the mask ``assets/ground_truth/<name>.png``.

    ``truth_name`` says what the mask marks; ``source`` how it was made and the photo's licence.
    """

    def ground_truth() -> GroundTruth:
        data = (GROUND_TRUTH_DIR / f"{name}.png").read_bytes()
        return replace(load_ground_truth(data, name=truth_name, kind=kind), source=source)

    return Sample(name, title, description, _skimage(name), ground_truth)


SAMPLES: dict[str, Sample] = {
    s.name: s
    for s in [
        Sample("astronaut", "Astronaut", "Eileen Collins, colour portrait (512 x 512)", _skimage("astronaut")),
        _photo(
            "coffee",
            "Coffee",
            "A cup of coffee on a saucer (600 x 400); ground truth: cup, saucer and spoon (made here)",
            "binary",
            "coffee: cup, saucer and spoon",
            "mask made in this repository (OpenCV GrabCut with hand-placed strokes; boundary ~1-2 px); "
            "photo: CC0, Rachel Michetti (scikit-image data)",
        ),
        _photo(
            "chelsea",
            "Chelsea the cat",
            "A cat, colour (451 x 300); ground truth: the cat (made here)",
            "binary",
            "chelsea: the cat",
            "mask made in this repository (OpenCV GrabCut with hand-placed regions; fur edge ~2-3 px, "
            "lower right uncertain); photo: CC0, Stefan van der Walt (scikit-image data)",
        ),
        _photo(
            "coins",
            "Coins",
            "Greek coins on a dark background, grayscale (384 x 303); ground truth: one label per coin (made here)",
            "instances",
            "coins: one label per coin",
            "mask made in this repository (Sobel watershed, convex hull per coin; boundary ~1-2 px); "
            "photo: Brooklyn Museum, no known copyright restrictions (scikit-image data)",
        ),
        Sample("camera", "Cameraman", "The classic grayscale test picture (512 x 512)", _skimage("camera")),
        Sample("rocket", "Rocket", "A rocket on the launch pad (640 x 427)", _skimage("rocket")),
        Sample("hubble", "Hubble deep field", "Galaxies on black (1000 x 872)", _skimage("hubble_deep_field")),
        Sample("ihc", "Immunohistochemistry", "Stained tissue, colour (512 x 512)", _skimage("immunohistochemistry")),
        Sample("page", "Page of text", "Unevenly lit text: a case for local thresholds (384 x 191)", _skimage("page")),
        _scene(
            "shapes",
            "Shapes (synthetic)",
            "Circles, squares and triangles (320 x 320), synthetic, exact ground truth: one instance per shape",
            shapes_scene,
        ),
        _scene(
            "blobs",
            "Blobs under uneven light (synthetic)",
            "Six blobs, an illumination gradient and noise (480 x 360), synthetic, exact ground truth: binary mask",
            blobs_scene,
        ),
        _scene(
            "mosaic",
            "Colour mosaic (synthetic)",
            "Seven regions of distinct colour and texture (480 x 360), synthetic, exact ground truth: label map",
            mosaic_scene,
        ),
    ]
}

DEFAULT_SAMPLE = "astronaut"


def _sample(name: str) -> Sample:
    try:
        return SAMPLES[name]
    except KeyError:
        raise KeyError(f"unknown sample {name!r}; choose one of {', '.join(SAMPLES)}") from None


@lru_cache(maxsize=16)
def sample_bytes(name: str) -> bytes:
    """Return the sample ``name`` encoded as PNG bytes (KeyError lists valid names)."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(_sample(name).load())).save(buf, format="PNG")
    return buf.getvalue()


@lru_cache(maxsize=16)
def sample_ground_truth(name: str) -> GroundTruth | None:
    """Return the ground truth of sample ``name`` at the sample's own size, or None.

    Returns
    -------
    GroundTruth or None
        None when the sample has no ground truth. Cached: the maps are
        read-only, so every caller may share one object.

    Raises
    ------
    KeyError
        For an unknown sample (the message lists the valid names).
    """
    ground_truth = _sample(name).ground_truth
    return None if ground_truth is None else ground_truth()
