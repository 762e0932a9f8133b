"""Make the ground-truth masks of the photo samples, exactly as shipped.

    python assets/ground_truth/make_masks.py            # write coins.png, coffee.png, chelsea.png here
    python assets/ground_truth/make_masks.py --check    # recompute and compare with the files here
    python assets/ground_truth/make_masks.py --overlays /tmp/gt   # also write overlays to check by eye

The photos are scikit-image's bundled ``skimage.data.coins``, ``coffee`` and
``chelsea`` (no download). Every step, parameter, rectangle and stroke used to
make the masks is in this file; README.md beside it says what each mask marks,
how good it is and the licences. Needs scikit-image, SciPy, Pillow and, for the
two GrabCut masks, ``opencv-python-headless`` (a dev dependency:
requirements-dev.txt). OpenCV's GrabCut fits colour models with k-means seeded
from OpenCV's random generator: the seed and one thread are fixed here, so
the same OpenCV version gives the same masks bit for bit (``--check``).

Files written (the photo's own size, lossless PNG, 8-bit grayscale):

* ``coins.png``: instance map, 0 = background, 1..24 = one coin each (raster order).
* ``coffee.png``: binary, 255 = cup, saucer and spoon, 0 = table.
* ``chelsea.png``: binary, 255 = the cat, 0 = background.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage as ndi
from skimage import data, filters, measure, morphology, segmentation

HERE = Path(__file__).resolve().parent


def coins_mask() -> np.ndarray:
    """One label per coin (uint8, 0 = background), from ``skimage.data.coins()``.

    1. scikit-image's coins recipe: watershed of the Sobel gradient from
       markers "gray < 30" (background) and "gray > 150" (coin), holes filled,
       specks of 50 px or less removed: 24 coins, but dark patches on some
       coins cut notches into their outline.
    2. Per coin, a second watershed on the Sobel gradient of the photo smoothed
       with a Gaussian (sigma 1), from markers made of the coin's convex hull:
       eroded by a disk of 5 px (coin) and outside the hull dilated by 6 px
       (background): the outline moves to the strongest edge near the first one.
    3. The coin is the convex hull of that result (ancient coins are convex
       to within a pixel or two; this closes the notches). No two coins touch.
    """
    g = data.coins()
    markers = np.zeros(g.shape, np.uint8)
    markers[g < 30] = 1
    markers[g > 150] = 2
    first = segmentation.watershed(filters.sobel(g), markers) == 2
    first = ndi.binary_fill_holes(first)
    first = morphology.remove_small_objects(first, max_size=50)
    lab0 = measure.label(first)

    elevation = filters.sobel(filters.gaussian(g, sigma=1.0, preserve_range=True))
    out = np.zeros(g.shape, np.uint8)
    for p in measure.regionprops(lab0):
        hull = np.zeros(g.shape, bool)
        r0, c0, r1, c1 = p.bbox
        hull[r0:r1, c0:c1] = p.image_convex
        mk = np.zeros(g.shape, np.int32)
        mk[~ndi.binary_dilation(hull, morphology.disk(6))] = 1
        mk[ndi.binary_erosion(hull, morphology.disk(5))] = 2
        coin = ndi.binary_fill_holes(segmentation.watershed(elevation, mk) == 2)
        coin = morphology.convex_hull_image(coin)
        if (out[coin] > 0).any():  # pragma: no cover - a guard: coins never touch here
            raise RuntimeError(f"coin {p.label} overlaps another")
        out[coin] = p.label
    return out


def _grabcut(rgb: np.ndarray, mask: np.ndarray, iterations: int = 8) -> np.ndarray:
    """OpenCV GrabCut from an initial trimap-like mask; the largest part, holes filled."""
    import cv2  # noqa: PLC0415 - a dev dependency, needed only here

    cv2.setRNGSeed(0)
    cv2.setNumThreads(1)
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    mask = mask.copy()
    cv2.grabCut(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    fg = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD))
    lab = measure.label(fg)
    largest = int(np.argmax(np.bincount(lab.ravel())[1:])) + 1
    return ndi.binary_fill_holes(lab == largest)


def coffee_mask() -> np.ndarray:
    """Cup, saucer and spoon (uint8 0/255) from ``skimage.data.coffee()``.

    GrabCut (8 iterations): certain background outside the rectangle
    x 70..484, y 10..394; inside it "probably foreground"; hand-placed
    strokes (polylines in x, y pixels): certain background along the dark
    shadow under the saucer's left, bottom and right rim (3 px wide) and a
    1 px stroke against the rim at x = 74, y 226..250 (where the table's grain
    leaked in); certain foreground across the coffee, the saucer, the spoon's
    bowl and the cup's rim. Then the largest connected part, holes filled
    (inside the handle: saucer).
    """
    import cv2  # noqa: PLC0415

    rgb = data.coffee()
    mask = np.full(rgb.shape[:2], cv2.GC_BGD, np.uint8)
    x, y, w, h = 70, 10, 415, 385
    mask[y : y + h, x : x + w] = cv2.GC_PR_FGD
    shadow = [(92, 296), (108, 328), (128, 352), (150, 370), (180, 388), (220, 396), (300, 397),
              (360, 395), (400, 386), (405, 372), (430, 350), (450, 330), (465, 305), (478, 282)]  # fmt: skip
    cv2.polylines(mask, [np.array(shadow, np.int32)], False, int(cv2.GC_BGD), 3)
    cv2.polylines(mask, [np.array([(74, 226), (74, 250)], np.int32)], False, int(cv2.GC_BGD), 1)
    for line in ([(200, 200), (380, 200)], [(120, 250), (300, 330), (440, 250)],
                 [(350, 280), (370, 300)], [(280, 120), (290, 180)]):  # fmt: skip
        cv2.polylines(mask, [np.array(line, np.int32)], False, int(cv2.GC_FGD), 3)
    return _grabcut(rgb, mask).astype(np.uint8) * 255


def chelsea_mask() -> np.ndarray:
    """The cat (uint8 0/255) from ``skimage.data.chelsea()``.

    GrabCut (8 iterations): "probably foreground" left of x = 390, "probably
    background" from there to x = 404, certain background from x = 405 (the
    out-of-focus room on the right) and in the top-left corner x < 20, y < 95;
    certain foreground inside the polygon (70, 40) (330, 40) (330, 170)
    (290, 230) (270, 299) (70, 299) (the face and chest, well inside the fur
    outline, so GrabCut places the whole outline). Then the largest connected
    part, holes filled. Whiskers beyond the fur are background.
    """
    import cv2  # noqa: PLC0415

    rgb = data.chelsea()
    mask = np.full(rgb.shape[:2], cv2.GC_PR_BGD, np.uint8)
    mask[:, :390] = cv2.GC_PR_FGD
    mask[:, 405:] = cv2.GC_BGD
    mask[:95, :20] = cv2.GC_BGD
    core = [(70, 40), (330, 40), (330, 170), (290, 230), (270, 299), (70, 299)]
    cv2.fillPoly(mask, [np.array(core, np.int32)], int(cv2.GC_FGD))
    return _grabcut(rgb, mask).astype(np.uint8) * 255


MASKS = {"coins": coins_mask, "coffee": coffee_mask, "chelsea": chelsea_mask}


def overlay(name: str, mask: np.ndarray, path: Path, scale: int = 2) -> None:
    """Photo with the background dimmed and tinted blue and each outline in yellow, enlarged."""
    photo = getattr(data, name)()
    rgb = np.stack([photo] * 3, axis=-1) if photo.ndim == 2 else photo
    fg = mask > 0
    img = rgb.astype(np.float64)
    img[~fg] = img[~fg] * 0.45 + np.array([0.0, 0.0, 140.0]) * 0.55
    big = np.kron(img.astype(np.uint8), np.ones((scale, scale, 1), np.uint8))
    lab = np.kron(mask, np.ones((scale, scale), mask.dtype))
    big[segmentation.find_boundaries(lab, mode="inner") & (lab > 0)] = (255, 255, 0)
    Image.fromarray(big).save(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped files instead of writing them")
    ap.add_argument("--out", type=Path, default=HERE, help="folder for the PNG files (default: beside this script)")
    ap.add_argument("--overlays", type=Path, help="also write <name>_overlay.png here, to check by eye")
    ap.add_argument("names", nargs="*", help=f"which masks: {', '.join(MASKS)} (default: all)")
    a = ap.parse_args(argv)
    unknown = sorted(set(a.names) - set(MASKS))
    if unknown:
        ap.error(f"unknown mask(s) {', '.join(unknown)}; choose from {', '.join(MASKS)}")
    bad = 0
    for name in a.names or list(MASKS):
        mask = MASKS[name]()
        path = a.out / f"{name}.png"
        if a.check:
            shipped = np.asarray(Image.open(path))
            same = shipped.shape == mask.shape and np.array_equal(shipped, mask)
            print(f"{name}: {'same as' if same else 'DIFFERS from'} {path}")
            bad += not same
        else:
            Image.fromarray(mask).save(path, optimize=True)
            print(f"{name}: wrote {path} ({mask.shape[1]} x {mask.shape[0]}, values {np.unique(mask).tolist()[:6]}...)")
        if a.overlays:
            a.overlays.mkdir(parents=True, exist_ok=True)
            overlay(name, mask, a.overlays / f"{name}_overlay.png")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
