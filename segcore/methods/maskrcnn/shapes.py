"""A small Mask R-CNN for synthetic shapes: the offline model of the dashboard.

The real Mask R-CNN weights (COCO) must be downloaded; this module gives the
dashboard and the tests a model that ships with the repository and runs with no
network at all. It is torchvision's own :class:`~torchvision.models.detection.MaskRCNN`
(the same RPN, RoI heads, transform and post-processing as the COCO model),
with a small convolutional backbone and narrow heads, trained from random
initialisation on the synthetic images of :func:`make_sample` (circles, squares
and triangles on textured, noisy backgrounds) by
``python -m segcore.methods.maskrcnn.train_shapes``. On held-out samples it finds the
shapes with a mean mask IoU of about 0.91 and the right class for about 99 %.

Torch is imported inside the functions only, so importing this module (for the
category names, the weights path or the sample generator) stays cheap.

"""

from __future__ import annotations

from pathlib import Path

from segcore.io.synthetic import SHAPES_CATEGORIES, make_sample  # noqa: F401  (the model's classes and pictures)

#: The trained weights (a ``state_dict``) that ship with the repository.
SHAPES_WEIGHTS = Path(__file__).resolve().parents[3] / "assets" / "models" / "shapes_maskrcnn.pt"

#: Channels of the backbone's single output feature map (stride 4).
BACKBONE_CHANNELS = 64

#: Per-channel mean and standard deviation of the inputs (images in [0, 1]).
IMAGE_MEAN = [0.5, 0.5, 0.5]
IMAGE_STD = [0.25, 0.25, 0.25]

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
