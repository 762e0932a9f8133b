"""A small Mask R-CNN for synthetic shapes: the offline model of the dashboard.

The real Mask R-CNN weights (COCO) must be downloaded; this module gives the
dashboard and the tests a model that ships with the repository and runs with no
network at all. It is torchvision's own :class:`~torchvision.models.detection.MaskRCNN`
(the same RPN, RoI heads, transform and post-processing as the COCO model),
with a small convolutional backbone and narrow heads, trained from random
initialisation on the synthetic images of :func:`make_sample` (circles, squares
and triangles on textured, noisy backgrounds) by
``python -m segcore.maskrcnn.train_shapes``. On held-out samples it finds the
shapes with a mean mask IoU of about 0.91 and the right class for about 99 %.

Torch is imported inside the functions only, so importing this module (for the
category names, the weights path or the sample generator) stays cheap.

Example
-------
>>> from segcore.maskrcnn.shapes import SHAPES_CATEGORIES, make_sample
>>> rgb, masks, labels = make_sample(7)
>>> rgb.shape, rgb.dtype, masks.shape[1:], [SHAPES_CATEGORIES[i] for i in labels]
((128, 128, 3), dtype('uint8'), (128, 128), ['circle', 'circle'])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Category names; the index is the label the model predicts (0 = background).
SHAPES_CATEGORIES = ["__background__", "circle", "square", "triangle"]

#: The trained weights (a ``state_dict``) that ship with the repository.
SHAPES_WEIGHTS = Path(__file__).resolve().parents[2] / "assets" / "models" / "shapes_maskrcnn.pt"

#: Channels of the backbone's single output feature map (stride 4).
BACKBONE_CHANNELS = 64

#: Per-channel mean and standard deviation of the inputs (images in [0, 1]).
IMAGE_MEAN = [0.5, 0.5, 0.5]
IMAGE_STD = [0.25, 0.25, 0.25]

# Sample generator settings.
_MIN_SIDE = 20  # smallest shape extent, pixels (at size 128)
_MAX_SIDE = 60  # largest shape extent, pixels (at size 128)
_MIN_VISIBLE = 0.6  # an occluded shape keeps at least this share of its pixels
_MIN_COLOR_DIST = 70.0  # RGB distance of a shape from the background and other shapes


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

    scale = size / 128.0
    side = rng.uniform(_MIN_SIDE, _MAX_SIDE) * scale  # extent of the shape
    r = side / 2.0
    if kind == 2:
        r *= 1.2  # square side 0.85 * side: about the circle's area
    elif kind == 3:
        r *= 1.15  # a triangle fills less of its circle: make it a little larger
    cy = rng.uniform(r + 1, size - r - 1)
    cx = rng.uniform(r + 1, size - r - 1)
    mask = np.zeros((size, size), dtype=bool)
    if kind == 1:
        rr, cc = disk((cy, cx), r, shape=mask.shape)
    else:
        if kind == 2:
            # An axis-aligned square inscribed in the circle of radius r.
            corners = np.pi / 4 + np.arange(4) * np.pi / 2
        else:
            # An equilateral triangle, apex up, inscribed in the circle of radius r.
            corners = -np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        ys = cy + r * np.sin(corners)
        xs = cx + r * np.cos(corners)
        rr, cc = polygon(ys, xs, shape=mask.shape)
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
    >>> rgb, masks, labels = make_sample(0)
    >>> masks.shape[0] == labels.shape[0]
    True
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


def _backbone(out_channels: int = BACKBONE_CHANNELS):
    """A small conv encoder (stride 16) with a top-down path back to stride 4.

    Encoder: 3x3 conv + BatchNorm + ReLU blocks, 16-32-64-128 channels at
    strides 2-4-8-16. Decoder: like a feature pyramid, the stride-16 map is
    upsampled and added to 1x1 projections of the stride-8 and stride-4 maps,
    each sum smoothed by a 3x3 block; the stride-4 map is the one output.
    """
    import torch.nn.functional as F
    from torch import nn

    def block(cin, cout, stride):
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    class ShapesBackbone(nn.Module):
        def __init__(self):
            super().__init__()
            self.stage1 = block(3, 16, 2)  # 1/2
            self.stage2 = nn.Sequential(block(16, 32, 2), block(32, 32, 1))  # 1/4
            self.stage3 = nn.Sequential(block(32, 64, 2), block(64, 64, 1), block(64, 64, 1))  # 1/8
            self.stage4 = nn.Sequential(block(64, 128, 2), block(128, 128, 1), block(128, 128, 1))  # 1/16
            self.lat4 = nn.Conv2d(128, out_channels, 1)
            self.lat3 = nn.Conv2d(64, out_channels, 1)
            self.lat2 = nn.Conv2d(32, out_channels, 1)
            self.smooth3 = block(out_channels, out_channels, 1)
            self.smooth2 = block(out_channels, out_channels, 1)
            self.out_channels = out_channels

        def forward(self, x):
            c2 = self.stage2(self.stage1(x))
            c3 = self.stage3(c2)
            c4 = self.stage4(c3)
            p = self.lat4(c4)
            p = self.smooth3(self.lat3(c3) + F.interpolate(p, size=c3.shape[-2:], mode="nearest"))
            p = self.smooth2(self.lat2(c2) + F.interpolate(p, size=c2.shape[-2:], mode="nearest"))
            return p  # one feature map at stride 4: "0" for the RPN and the RoI heads

    return ShapesBackbone()


def build_shapes_model(**kwargs):
    """The shapes Mask R-CNN, randomly initialised (load :data:`SHAPES_WEIGHTS` into it).

    torchvision's :class:`~torchvision.models.detection.MaskRCNN` with a small
    conv backbone (one stride-4 feature map), anchors for 12-64 px shapes, a
    256-wide two-layer box head and a 32-channel mask head (1.53 M parameters,
    6.2 MB of float32 weights); 4 classes
    (:data:`SHAPES_CATEGORIES`). Keyword arguments go to ``MaskRCNN`` and
    override the defaults set here (for example ``box_score_thresh``,
    ``box_detections_per_img``, ``min_size``).

    Examples
    --------
    >>> import torch
    >>> model = build_shapes_model(box_score_thresh=0.5)
    >>> _ = model.load_state_dict(torch.load(SHAPES_WEIGHTS, weights_only=True))  # doctest: +SKIP
    """
    from torchvision.models.detection import MaskRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
    from torchvision.ops import MultiScaleRoIAlign

    num_classes = len(SHAPES_CATEGORIES)
    backbone = _backbone()
    c = backbone.out_channels
    representation = 256
    mask_channels = 32

    options = {
        "min_size": 128,
        "max_size": 256,
        "image_mean": IMAGE_MEAN,
        "image_std": IMAGE_STD,
        "rpn_pre_nms_top_n_train": 600,
        "rpn_post_nms_top_n_train": 200,
        "rpn_pre_nms_top_n_test": 500,
        "rpn_post_nms_top_n_test": 100,
        "box_batch_size_per_image": 32,
        "box_positive_fraction": 0.5,
        "box_detections_per_img": 20,
    }
    options.update(kwargs)
    return MaskRCNN(
        backbone,
        num_classes=None,  # the predictors below carry the 4 classes
        rpn_anchor_generator=AnchorGenerator(sizes=((12, 20, 32, 48, 64),), aspect_ratios=((0.5, 1.0, 2.0),)),
        box_roi_pool=MultiScaleRoIAlign(featmap_names=["0"], output_size=7, sampling_ratio=2),
        box_head=TwoMLPHead(c * 7 * 7, representation),
        box_predictor=FastRCNNPredictor(representation, num_classes),
        mask_roi_pool=MultiScaleRoIAlign(featmap_names=["0"], output_size=14, sampling_ratio=2),
        mask_head=MaskRCNNHeads(c, [mask_channels] * 4, 1),
        mask_predictor=MaskRCNNPredictor(mask_channels, mask_channels, num_classes),
        **options,
    )
