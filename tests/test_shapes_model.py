"""The shipped shapes Mask R-CNN finds held-out shapes: pixels in, right masks and classes out.

Offline: the weights are a file of the repository (assets/models/shapes_maskrcnn.pt),
made by ``python -m segcore.methods.maskrcnn.train_shapes``. The images come from seeds
200000+; training uses seeds below 100000 and its own evaluation 100000+.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from segcore.methods.maskrcnn.shapes import (
    SHAPES_CATEGORIES,
    SHAPES_WEIGHTS,
    build_shapes_model,
    make_sample,
)

HELD_OUT_SEEDS = range(200_000, 200_020)
SCORE_THRESH = 0.5
MASK_THRESH = 0.5


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def model(torch):
    assert SHAPES_WEIGHTS.is_file(), f"missing weights {SHAPES_WEIGHTS}"
    m = build_shapes_model(box_score_thresh=SCORE_THRESH)
    state = torch.load(SHAPES_WEIGHTS, map_location="cpu", weights_only=True)
    m.load_state_dict(state, strict=True)
    return m.eval()


def _mask_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every mask in ``a`` (N x H x W) with every mask in ``b`` (M x H x W)."""
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return inter / np.maximum(union, 1.0)


def test_make_sample_is_deterministic_and_consistent():
    rgb, masks, labels = make_sample(200_000)
    rgb2, masks2, labels2 = make_sample(200_000)
    assert rgb.shape == (128, 128, 3) and rgb.dtype == np.uint8
    assert masks.dtype == bool and masks.shape[1:] == (128, 128)
    assert 1 <= len(masks) == len(labels) <= 3
    assert set(labels.tolist()) <= {1, 2, 3}
    assert masks.reshape(len(masks), -1).sum(1).min() > 0  # no fully hidden shape
    assert (masks.sum(0) <= 1).all()  # visible parts do not overlap
    assert np.array_equal(rgb, rgb2) and np.array_equal(masks, masks2) and np.array_equal(labels, labels2)


def test_shapes_module_does_not_import_torch():
    code = "import sys, segcore.methods.maskrcnn.shapes as s; s.make_sample(1); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_weights_file_is_small_and_plain(torch):
    assert SHAPES_WEIGHTS.stat().st_size < 8_000_000
    state = torch.load(SHAPES_WEIGHTS, map_location="cpu", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_model_finds_held_out_shapes_with_right_masks_and_classes(torch, model):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: one thread is fastest, and never stalls on a busy machine
    ious, right = [], []
    try:
        with torch.inference_mode():
            for seed in HELD_OUT_SEEDS:
                rgb, gt_masks, gt_labels = make_sample(seed)
                image = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255.0
                out = model([image])[0]
                keep = out["scores"] >= SCORE_THRESH
                pred_masks = (out["masks"][keep, 0] >= MASK_THRESH).numpy()
                pred_labels = out["labels"][keep].numpy()
                img_iou = np.zeros(len(gt_masks))
                img_right = np.zeros(len(gt_masks), dtype=bool)
                if len(pred_masks):
                    iou = _mask_iou(gt_masks, pred_masks)
                    for g, p in zip(*linear_sum_assignment(-iou)):
                        img_iou[g] = iou[g, p]
                        img_right[g] = iou[g, p] > 0 and pred_labels[p] == gt_labels[g]
                ious.extend(img_iou)
                right.extend(img_right)
    finally:
        torch.set_num_threads(threads)
    ious, right = np.array(ious), np.array(right)
    summary = (
        f"{len(ious)} held-out shapes: mean mask IoU {ious.mean():.3f}, class accuracy {right.mean():.3f}, "
        f"worst IoU {ious.min():.3f}; categories {SHAPES_CATEGORIES[1:]}"
    )
    print(summary)
    assert len(ious) >= 20
    assert ious.mean() >= 0.8, summary
    assert right.mean() >= 0.8, summary
