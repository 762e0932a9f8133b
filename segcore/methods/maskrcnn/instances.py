"""Instance results: assemble one from painted instances, or narrow one without the model.

:func:`instances_to_segmentation` is the single place that turns a painted
instance label map plus its instance records into the result's legend,
semantic map and counts; the model's post-processing and
:func:`select_instances` both use it. The page runs the model once per (image,
variant, inference size, score and mask thresholds) and applies the class
filter and the instance cap afterwards with :func:`select_instances`, so those
controls answer at once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

import numpy as np

from segcore.io.coco import decode_rle_patch
from segcore.result import Segmentation, build_legend


def instances_to_segmentation(
    labels: np.ndarray,
    instances: list[dict[str, Any]],
    rles: list[dict],
    *,
    method: str,
    params: dict[str, Any],
    elapsed_s: float = 0.0,
) -> Segmentation:
    """Build the result from an instance label map (0 background, i = ``instances[i-1]``).

    Each instance record holds ``id``, ``class``, ``category_id``, ``score``,
    ``box``, ``mask_area``, ``mask_share``; this adds ``visible_area`` (pixels
    it owns in ``labels``). ``extras`` gets ``instances``, ``masks`` (the
    RLEs), ``semantic`` (category id per pixel), ``semantic_names`` (for the ids
    present, 0 = background) and ``class_counts`` (most frequent first).
    """
    visible = np.bincount(labels.ravel(), minlength=len(instances) + 1)
    for inst in instances:
        inst["visible_area"] = int(visible[inst["id"]])
    lut = np.zeros(len(instances) + 1, np.int32)
    for inst in instances:
        lut[inst["id"]] = inst["category_id"]
    semantic = lut[labels]
    names_by_id = {inst["category_id"]: inst["class"] for inst in instances}
    present = sorted({int(lut[v]) for v in np.flatnonzero(visible)})
    semantic_names = {c: ("background" if c == 0 else names_by_id[c]) for c in present}
    counts: dict[str, int] = {}
    for inst in instances:
        counts[inst["class"]] = counts.get(inst["class"], 0) + 1
    legend_names = {0: "background", **{i["id"]: f"{i['class']} {i['score']:.2f}" for i in instances}}
    return Segmentation(
        method=method,
        labels=labels,
        legend=build_legend(labels, legend_names, counts=visible),
        params=params,
        elapsed_s=elapsed_s,
        extras={
            "instances": instances,
            "masks": rles,
            "semantic": semantic,
            "semantic_names": semantic_names,
            "class_counts": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
    )


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
    returned the kept ones; each mask is decoded within its box only
    (:func:`segcore.io.coco.decode_rle_patch`). Other extras (device,
    timings...) are kept. When every instance is kept, the label map and
    extras are the input's own (no repainting: this runs on each re-render of
    the page).
    """
    ex = seg.extras
    wanted = set(classes)
    order = [
        k for k, inst in enumerate(ex["instances"])
        if (not wanted or inst["class"] in wanted) and (min_score is None or inst["score"] > min_score)
    ]
    if max_instances is not None:
        order = order[: int(max_instances)]
    params = dict(seg.params, classes=tuple(sorted(wanted)), max_instances=max_instances)
    if order == list(range(len(ex["instances"]))):  # all kept: the same label map and extras
        return replace(seg, params=params, extras=dict(ex))
    labels = np.zeros(seg.labels.shape, np.int32)
    for n in range(len(order), 0, -1):  # worst first: a better-scoring instance paints over it
        patch, (y0, y1, x0, x1) = decode_rle_patch(ex["masks"][order[n - 1]])
        np.copyto(labels[y0:y1, x0:x1], n, where=patch)
    instances = [dict(ex["instances"][k], id=n) for n, k in enumerate(order, start=1)]
    rles = [ex["masks"][k] for k in order]
    narrowed = instances_to_segmentation(labels, instances, rles, method=seg.method, params=params,
                                         elapsed_s=seg.elapsed_s)
    narrowed.extras = {**ex, **narrowed.extras}
    return narrowed
