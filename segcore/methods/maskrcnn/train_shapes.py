"""Train the shapes Mask R-CNN on the CPU and save its weights.

Usage::

    python -m segcore.methods.maskrcnn.train_shapes [--minutes M] [--seed S] [--out PATH]
    python -m segcore.methods.maskrcnn.train_shapes --max-steps N   # same run on any machine

Every batch (4 images) is made fresh by :func:`~segcore.methods.maskrcnn.shapes.make_sample`
from seeds in ``[0, 100000)`` (a permutation fixed by ``--seed``); the held-out
evaluation at the end uses seeds from 100000 up, which training never sees
(the tests use seeds from 200000 up). AdamW, learning rate 2e-3 after a
100-step warm-up, cosine decay over the budget: ``--minutes`` of wall time
(default 13), or ``--max-steps`` steps, which makes the run independent of the
machine's speed. Besides Mask R-CNN's own losses, a training-only 1x1 conv
classifies every pixel of the backbone's feature map (background, circle,
square, triangle): dense labels teach the small backbone shape features much
faster than the box classifier's few RoIs. It is not part of the saved model.

One torch thread by default: on a 2-core machine shared with other work, two
OpenMP threads spend most of their time waiting for each other (a step took
10x longer with 2 threads than with 1 when the machine was busy).

The ``state_dict`` is saved with ``torch.save`` and loads back with
``torch.load(path, weights_only=True)`` into
:func:`~segcore.methods.maskrcnn.shapes.build_shapes_model` (``strict=True``).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from segcore.methods.maskrcnn.shapes import (
    SHAPES_CATEGORIES,
    SHAPES_WEIGHTS,
    build_shapes_model,
    make_sample,
)

TRAIN_SEED_RANGE = 100_000  # training seeds lie in [0, TRAIN_SEED_RANGE)
HELD_OUT_START = 100_000  # evaluation seeds of this script (tests use 200000+)
DEFAULT_MINUTES = 13.0


def to_inputs(rgb: np.ndarray, masks: np.ndarray | None = None, labels: np.ndarray | None = None):
    """An image (and, given masks and labels, its target) as torchvision's detection models take them."""
    import torch

    image = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255.0)
    if masks is None:
        return image
    boxes = np.zeros((len(masks), 4), dtype=np.float32)
    for i, m in enumerate(masks):
        ys, xs = np.nonzero(m)
        boxes[i] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    target = {
        "boxes": torch.from_numpy(boxes),
        "labels": torch.as_tensor(labels, dtype=torch.int64),
        "masks": torch.from_numpy(masks.astype(np.uint8)),
    }
    return image, target


def semantic_onehot(masks: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-pixel one-hot class map (C x H x W float32; channel 0 = background)."""
    out = np.zeros((len(SHAPES_CATEGORIES), *masks.shape[1:]), dtype=np.float32)
    for m, lab in zip(masks, labels):
        out[lab][m] = 1.0
    out[0] = 1.0 - out[1:].sum(0)
    return out


def match_scores(gt_masks, gt_labels, pred_masks, pred_labels):
    """Hungarian matching by mask IoU; per ground-truth instance: (IoU, class right).

    An instance without a matched prediction scores IoU 0 and a wrong class.
    """
    from scipy.optimize import linear_sum_assignment

    n = len(gt_masks)
    ious = np.zeros(n)
    right = np.zeros(n, dtype=bool)
    if n == 0 or len(pred_masks) == 0:
        return ious, right
    g = gt_masks.reshape(n, -1).astype(np.float64)
    p = pred_masks.reshape(len(pred_masks), -1).astype(np.float64)
    inter = g @ p.T
    union = g.sum(1)[:, None] + p.sum(1)[None, :] - inter
    iou = inter / np.maximum(union, 1)
    rows, cols = linear_sum_assignment(-iou)
    for r, c in zip(rows, cols):
        if iou[r, c] > 0:
            ious[r] = iou[r, c]
            right[r] = pred_labels[c] == gt_labels[r]
    return ious, right


def evaluate(model, seeds, score_thresh: float = 0.5, mask_thresh: float = 0.5) -> dict:
    """Mean mask IoU and class accuracy over the ground-truth instances of ``seeds``."""
    import torch

    was_training = model.training
    model.eval()
    all_iou, all_right = [], []
    t0 = time.perf_counter()
    with torch.inference_mode():
        for seed in seeds:
            rgb, masks, labels = make_sample(int(seed))
            out = model([to_inputs(rgb)])[0]
            keep = out["scores"] >= score_thresh
            pm = (out["masks"][keep, 0] > mask_thresh).numpy()
            pl = out["labels"][keep].numpy()
            ious, right = match_scores(masks, labels, pm, pl)
            all_iou.append(ious)
            all_right.append(right)
    model.train(was_training)
    ious = np.concatenate(all_iou)
    right = np.concatenate(all_right)
    return {
        "images": len(seeds),
        "instances": int(ious.size),
        "mask_iou": float(ious.mean()),
        "class_acc": float(right.mean()),
        "found_iou50": float((ious >= 0.5).mean()),
        "seconds_per_image": (time.perf_counter() - t0) / max(len(seeds), 1),
    }


def train(minutes: float | None = None, seed: int = 0, out: Path = SHAPES_WEIGHTS, batch_size: int = 4,
          lr: float = 2e-3, max_steps: int | None = None, threads: int = 1, eval_images: int = 50) -> dict:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    order = np.random.default_rng(seed).permutation(TRAIN_SEED_RANGE)

    model = build_shapes_model()
    model.train()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params:,} parameters; classes {SHAPES_CATEGORIES[1:]}", flush=True)
    # Auxiliary semantic head, used in training only (not saved): a 1x1 conv that
    # classifies every pixel of the backbone's stride-4 map as background, circle,
    # square or triangle. Dense labels teach the backbone shape features far faster
    # than the few RoIs of the box classifier alone.
    aux = torch.nn.Conv2d(model.backbone.out_channels, len(SHAPES_CATEGORIES), 1)
    feats = {}
    model.backbone.register_forward_hook(lambda mod, inp, out: feats.__setitem__("p", out))
    params = list(model.named_parameters()) + [("aux." + n, p) for n, p in aux.named_parameters()]
    decay = [p for n, p in params if p.ndim > 1]
    no_decay = [p for n, p in params if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-4}, {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    warmup = 100
    if minutes is None:
        minutes = DEFAULT_MINUTES if max_steps is None else math.inf
    budget = minutes * 60.0
    t0 = time.perf_counter()
    step = 0
    used = 0
    running: dict[str, float] = {}
    while True:
        elapsed = time.perf_counter() - t0
        if elapsed >= budget or (max_steps is not None and step >= max_steps):
            break
        frac = step / max_steps if max_steps is not None else elapsed / budget
        scale = min(1.0, (step + 1) / warmup) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        for g in opt.param_groups:
            g["lr"] = lr * scale
        images, targets, sem = [], [], []
        for _ in range(batch_size):
            s = int(order[used % TRAIN_SEED_RANGE])
            used += 1
            rgb, masks, labels = make_sample(s)
            img, tgt = to_inputs(rgb, masks, labels)
            images.append(img)
            targets.append(tgt)
            sem.append(semantic_onehot(masks, labels))
        losses = model(images, targets)
        logits = aux(feats.pop("p"))
        soft = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(np.stack(sem)), logits.shape[-2:])
        losses["loss_aux_semantic"] = -(soft * torch.log_softmax(logits, 1)).sum(1).mean()
        loss = sum(losses.values())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        step += 1
        for k, v in losses.items():
            v = v.item()
            running[k] = 0.9 * running.get(k, v) + 0.1 * v
        if step % 25 == 0 or step == 1:
            parts = " ".join(f"{k.replace('loss_', '')} {v:.3f}" for k, v in running.items())
            print(f"step {step:5d}  {time.perf_counter() - t0:6.0f}s  lr {lr * scale:.2e}  "
                  f"loss {sum(running.values()):.3f}  ({parts})", flush=True)
    train_s = time.perf_counter() - t0
    print(f"trained {step} steps ({used} images) in {train_s / 60:.1f} min", flush=True)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out)
    size = out.stat().st_size
    print(f"saved {out} ({size / 1e6:.2f} MB)", flush=True)

    metrics = evaluate(model, range(HELD_OUT_START, HELD_OUT_START + eval_images))
    print(f"held-out ({metrics['images']} images, {metrics['instances']} shapes, seeds {HELD_OUT_START}+): "
          f"mask IoU {metrics['mask_iou']:.3f}, class accuracy {metrics['class_acc']:.3f}, "
          f"found (IoU>=0.5) {metrics['found_iou50']:.3f}, {metrics['seconds_per_image'] * 1000:.0f} ms/image",
          flush=True)
    return {"steps": step, "train_s": train_s, "params": n_params, "bytes": size, **metrics}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=None,
                    help=f"training wall time (default {DEFAULT_MINUTES:g}; none with --max-steps)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the initialisation and the sample order")
    ap.add_argument("--out", type=Path, default=SHAPES_WEIGHTS, help=f"where to save (default {SHAPES_WEIGHTS})")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--max-steps", type=int, default=None,
                    help="train this many steps (the schedule follows steps, not time)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1: on a busy 2-core machine, 2 OpenMP threads wait on each other)")
    ap.add_argument("--eval-images", type=int, default=50)
    a = ap.parse_args(argv)
    train(a.minutes, a.seed, a.out, a.batch_size, a.lr, a.max_steps, a.threads, a.eval_images)


if __name__ == "__main__":
    main()
