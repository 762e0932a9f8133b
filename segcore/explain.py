"""Classification vs detection vs semantic vs instance segmentation, on one image.

Given an image with known objects (instance masks and their classes), build
the four answers the four tasks give, so the explainer page can show them side
by side: which classes are present, a box per object, a class per pixel, and
an object per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segcore.palette import label_colors
from segcore.result import Segmentation, build_legend


@dataclass
class TaskViews:
    """The four tasks' outputs for one image.

    Attributes
    ----------
    classes_present : list of str
        Image classification (multi-label): the classes in the image, by area.
    boxes : list of (x0, y0, x1, y1)
        Object detection: one box per object, with ``box_classes``.
    semantic : Segmentation
        Semantic segmentation: label = class id; all objects of a class share it.
    instance : Segmentation
        Instance segmentation: label = object number; each object its own.
    """

    classes_present: list[str]
    boxes: list[tuple[int, int, int, int]]
    box_classes: list[str]
    semantic: Segmentation
    instance: Segmentation


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Tight box (x0, y0, x1, y1), inclusive pixel coordinates, of a non-empty mask."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def task_views(masks: np.ndarray, labels: np.ndarray, names: list[str]) -> TaskViews:
    """Build the four tasks' answers from instance masks (N, H, W) and class ids (N,).

    ``names[c]`` is the name of class ``c`` (0 = background). Later masks win
    where masks overlap. Returns a :class:`TaskViews`.
    """
    masks = np.asarray(masks, dtype=bool)
    labels = np.asarray(labels, dtype=np.int64)
    if masks.ndim != 3 or len(masks) != len(labels):
        raise ValueError("need masks of shape (N, H, W) and N labels")
    h, w = masks.shape[1:]
    instance = np.zeros((h, w), np.int32)
    semantic = np.zeros((h, w), np.int32)
    for i, (m, c) in enumerate(zip(masks, labels), start=1):
        instance[m] = i
        semantic[m] = int(c)
    keep = [i for i, m in enumerate(masks) if m.any()]
    areas: dict[str, int] = {}
    for i in keep:
        areas[names[labels[i]]] = areas.get(names[labels[i]], 0) + int(masks[i].sum())
    class_colors = {c: tuple(int(v) for v in col) for c, col in enumerate(label_colors(len(names)))}
    class_colors[0] = (20, 20, 20)
    sem = Segmentation(
        "semantic", semantic,
        build_legend(semantic, {c: n for c, n in enumerate(names)}, class_colors), {}, 0.0,
    )
    inst_names = {0: "background", **{i + 1: f"{names[labels[i]]} #{i + 1}" for i in range(len(labels))}}
    inst = Segmentation("instance", instance, build_legend(instance, inst_names), {}, 0.0)
    return TaskViews(
        classes_present=sorted(areas, key=areas.get, reverse=True),
        boxes=[mask_box(masks[i]) for i in keep],
        box_classes=[names[labels[i]] for i in keep],
        semantic=sem,
        instance=inst,
    )
