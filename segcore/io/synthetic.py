"""Synthetic scenes of circles, squares and triangles with exact instance masks.

The pictures the small offline Mask R-CNN is trained on (:mod:`segcore.methods.maskrcnn.shapes`)
and the ``shapes`` sample with its ground truth: numpy only, no model.
"""

from __future__ import annotations

import numpy as np

#: Category names; the index is the label the shapes model predicts (0 = background).
SHAPES_CATEGORIES = ["__background__", "circle", "square", "triangle"]

# Sample generator settings.
_MIN_SIDE = 20  # smallest shape extent, pixels (at size 128)
_MAX_SIDE = 60  # largest shape extent, pixels (at size 128)
_MIN_VISIBLE = 0.6  # an occluded shape keeps at least this share of its pixels
_MIN_COLOR_DIST = 70.0  # RGB distance of a shape from the background and other shapes
#: Circumradius per extent of each kind of shape: a square (side 0.85 * extent) has about the circle's area,
#: a triangle fills less of its circle so is drawn a little larger.
_RADIUS_SCALE = {1: 1.0, 2: 1.2, 3: 1.15}
#: Corner angles of the polygons inscribed in that circle: an axis-aligned square, an apex-up equilateral triangle.
_CORNERS = {2: np.pi / 4 + np.arange(4) * np.pi / 2, 3: -np.pi / 2 + np.arange(3) * 2 * np.pi / 3}


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A coloured, textured background: a smooth colour field, blobs, stripes."""
    from skimage.transform import resize

    # Smooth colour field: a few random colours on a coarse grid, upsampled.
    g = int(rng.integers(2, 5))
    coarse = rng.uniform(30, 225, size=(g, g, 3))
    img = resize(coarse, (size, size), order=1, mode="edge", anti_aliasing=False)
    # Medium-scale texture: upsampled noise (a blotchy pattern).
    t = int(rng.integers(8, 24))
    blot = resize(rng.normal(0.0, 1.0, size=(t, t, 1)), (size, size, 1), order=1, mode="reflect")
    img = img + blot * rng.uniform(5, 20)
    # Sometimes faint stripes.
    if rng.random() < 0.4:
        yy, xx = np.mgrid[0:size, 0:size]
        theta = rng.uniform(0, np.pi)
        period = rng.uniform(6, 20)
        phase = np.cos(theta) * xx + np.sin(theta) * yy
        img = img + (np.sin(2 * np.pi * phase / period)[..., None] * rng.uniform(4, 14))
    return img


def _shape_mask(rng: np.random.Generator, kind: int, size: int) -> np.ndarray:
    """A filled circle (1), axis-aligned square (2) or upright triangle (3) at a random place and size."""
    from skimage.draw import disk, polygon

    side = rng.uniform(_MIN_SIDE, _MAX_SIDE) * (size / 128.0)  # extent of the shape
    r = side / 2.0 * _RADIUS_SCALE[kind]
    cy = rng.uniform(r + 1, size - r - 1)
    cx = rng.uniform(r + 1, size - r - 1)
    mask = np.zeros((size, size), dtype=bool)
    if kind == 1:
        rr, cc = disk((cy, cx), r, shape=mask.shape)
    else:
        rr, cc = polygon(cy + r * np.sin(_CORNERS[kind]), cx + r * np.cos(_CORNERS[kind]), shape=mask.shape)
    mask[rr, cc] = True
    return mask


def make_sample(seed: int, size: int = 128, n_min: int = 1, n_max: int = 3):
    """One synthetic image with its instance masks and labels, fixed by ``seed``.

    Parameters
    ----------
    seed : int
        Seed of the random generator: the same seed gives the same sample.
    size : int
        Side of the square image, pixels.
    n_min, n_max : int
        Range (inclusive) of the number of shapes.

    Returns
    -------
    rgb : (size, size, 3) uint8
        Textured, noisy coloured background with filled shapes of random
        colour, size and position drawn over it (circles, axis-aligned
        squares, upright equilateral triangles).
    masks : (N, size, size) bool
        The visible part of each shape (later shapes occlude earlier ones);
        every shape keeps most of its pixels.
    labels : (N,) int64
        Category index of each shape into :data:`SHAPES_CATEGORIES`.

    Examples
    --------
    >>> rgb, masks, labels = make_sample(7)
    >>> rgb.shape, rgb.dtype, masks.shape[1:], [SHAPES_CATEGORIES[i] for i in labels]
    ((128, 128, 3), dtype('uint8'), (128, 128), ['circle', 'circle'])
    """
    if n_min < 1 or n_max < n_min:
        raise ValueError(f"need 1 <= n_min <= n_max, got n_min={n_min}, n_max={n_max}")
    rng = np.random.default_rng(seed)
    img = _background(rng, size)
    n = int(rng.integers(n_min, n_max + 1))
    full: list[np.ndarray] = []
    kinds: list[int] = []
    colors: list[np.ndarray] = []
    for _ in range(n):
        for _attempt in range(30):
            kind = int(rng.integers(1, 4))
            m = _shape_mask(rng, kind, size)
            # The new shape is drawn on top: the older ones must stay visible enough.
            above = m.copy()  # what lies above shape i: the new one and those drawn after i
            ok = True
            for old in reversed(full):
                if (old & ~above).sum() < _MIN_VISIBLE * old.sum():
                    ok = False
                    break
                above |= old
            if not ok:
                continue
            # A colour that stands out from the background under it and from the other shapes.
            bg = img[m].mean(axis=0)
            for _c in range(30):
                color = rng.uniform(0, 255, size=3)
                if np.linalg.norm(color - bg) >= _MIN_COLOR_DIST and all(
                    np.linalg.norm(color - c) >= _MIN_COLOR_DIST * 0.6 for c in colors
                ):
                    break
            else:
                continue
            full.append(m)
            kinds.append(kind)
            colors.append(color)
            break
    for m, color in zip(full, colors):
        # A little shading on the shape so it is not perfectly flat.
        img[m] = color + rng.normal(0, 4, size=(int(m.sum()), 3))
    img = img + rng.normal(0.0, rng.uniform(3, 12), size=img.shape)
    rgb = np.clip(np.rint(img), 0, 255).astype(np.uint8)

    masks = np.zeros((len(full), size, size), dtype=bool)
    covered = np.zeros((size, size), dtype=bool)
    for i in range(len(full) - 1, -1, -1):  # the last drawn is on top
        masks[i] = full[i] & ~covered
        covered |= full[i]
    return rgb, masks, np.asarray(kinds, dtype=np.int64)
