"""Narrow a Mask R-CNN result without running the model again.

The page runs the model once per (image, variant, inference size, score
threshold, mask threshold) and applies the class filter and the instance cap
afterwards with :func:`select_instances`, so those controls answer at once.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from segcore.result import Segmentation, build_legend


def select_instances(
    seg: Segmentation,
    *,
    classes: Iterable[str] = (),
    max_instances: int | None = None,
    min_score: float | None = None,
) -> Segmentation:
    """Return a new result holding only the chosen instances, renumbered 1..n by score.

    Instances are kept when their class is in ``classes`` (empty keeps all) and
    their score is above ``min_score``, at most ``max_instances`` of them, best
    first. Labels are repainted from the instances' own masks (the RLEs in
    ``extras['masks']``), so a pixel that a dropped instance owned goes to the
    next-best kept instance covering it, exactly as if the model had only
    returned the kept ones.
    """
    from pycocotools import mask as mask_utils  # noqa: PLC0415

    ex = seg.extras
    wanted = set(classes)
    order = [
        k for k, inst in enumerate(ex["instances"])
        if (not wanted or inst["class"] in wanted) and (min_score is None or inst["score"] > min_score)
    ]
    if max_instances is not None:
        order = order[: int(max_instances)]
    h, w = seg.labels.shape
    labels = np.zeros((h, w), np.int32)
    instances, rles = [], []
    for n, k in enumerate(order, start=1):
        rle = ex["masks"][k]
        mask = mask_utils.decode(_bytes_counts(rle)).astype(bool)
        labels[mask & (labels == 0)] = n
        inst = dict(ex["instances"][k], id=n)
        instances.append(inst)
        rles.append(rle)
    visible = np.bincount(labels.ravel(), minlength=len(instances) + 1)
    for inst in instances:
        inst["visible_area"] = int(visible[inst["id"]])
    lut = np.zeros(len(instances) + 1, np.int32)
    for inst in instances:
        lut[inst["id"]] = inst["category_id"]
    semantic = lut[labels]
    names_by_id = {inst["category_id"]: inst["class"] for inst in instances}
    semantic_names = {int(c): ("background" if c == 0 else names_by_id[int(c)]) for c in np.unique(semantic)}
    counts: dict[str, int] = {}
    for inst in instances:
        counts[inst["class"]] = counts.get(inst["class"], 0) + 1
    legend_names = {0: "background", **{i["id"]: f"{i['class']} {i['score']:.2f}" for i in instances}}
    params = dict(seg.params, classes=tuple(sorted(wanted)), max_instances=max_instances)
    return Segmentation(
        seg.method,
        labels,
        build_legend(labels, legend_names),
        params,
        seg.elapsed_s,
        {
            **ex,
            "instances": instances,
            "masks": rles,
            "semantic": semantic,
            "semantic_names": semantic_names,
            "class_counts": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
    )


def _bytes_counts(rle: dict) -> dict:
    """pycocotools decodes RLE whose 'counts' are bytes; JSON-ready RLEs carry str."""
    counts = rle["counts"]
    return {"size": rle["size"], "counts": counts.encode() if isinstance(counts, str) else counts}
