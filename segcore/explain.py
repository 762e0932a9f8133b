"""Classification vs detection vs semantic vs instance segmentation, on one image.

Build the four answers the four tasks give, so the explainer page can show
them side by side: which classes are present, a box per object, a class per
pixel, and an object per pixel. Two sources:

- :func:`task_views`: an image whose objects are known exactly (instance
  masks and their classes), such as a synthetic picture;
- :func:`task_views_from_instances`: a Mask R-CNN result (any image), the
  four answers derived from its detections, with :attr:`TaskViews.derivation`
  saying how each was derived.

:func:`coco_weights_missing` and :data:`COCO_SETTINGS` tell the page whether,
and how, it can run Mask R-CNN with COCO weights on the user's image without a
download. Nothing here imports torch at module level.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from segcore.palette import label_colors
from segcore.result import Segmentation, build_legend

#: The registered method and settings the explainer runs on the user's image: COCO v1 as the
#: Mask R-CNN page runs it by default, so the two pages share one cached result.
COCO_METHOD = "maskrcnn"
COCO_SETTINGS: dict[str, Any] = {
    "variant": "v1",
    "score_threshold": 0.5,
    "mask_threshold": 0.5,
    "max_instances": 100,
    "min_size": 800,
}


@dataclass
class TaskViews:
    """The four tasks' outputs for one image.

    Attributes
    ----------
    classes_present : list of str
        Image classification (multi-label): the classes in the image, by area.
    boxes : list of (x0, y0, x1, y1)
        Object detection: one box per object, with ``box_classes``.
    box_classes : list of str
        The class of each box.
    semantic : Segmentation
        Semantic segmentation: label = class id; all objects of a class share it.
    instance : Segmentation
        Instance segmentation: label = object number; each object its own.
    class_scores : list of float or None
        Best detection score of each entry of ``classes_present`` (None when
        the objects are known, not detected).
    box_scores : list of float or None
        Score of each box (None when the objects are known).
    box_colors : list of (r, g, b) or None
        Colour of each box: its object's colour in ``instance``.
    derivation : dict of str -> str
        How each answer was derived, keyed ``"classification"``,
        ``"detection"``, ``"semantic"``, ``"instance"`` (empty when the
        answers come from known objects).
    """

    classes_present: list[str]
    boxes: list[tuple[float, float, float, float]]
    box_classes: list[str]
    semantic: Segmentation
    instance: Segmentation
    class_scores: list[float] | None = None
    box_scores: list[float] | None = None
    box_colors: list[tuple[int, int, int]] | None = None
    derivation: dict[str, str] = field(default_factory=dict)

    @property
    def box_texts(self) -> list[str]:
        """The tag of each box: ``"class score"`` when there are scores, else the class."""
        if self.box_scores is None:
            return list(self.box_classes)
        return [f"{c} {s:.2f}" for c, s in zip(self.box_classes, self.box_scores)]


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
    areas: Counter[str] = Counter()
    for i in keep:
        areas[names[labels[i]]] += int(masks[i].sum())
    sem = Segmentation("semantic", semantic, build_legend(semantic, dict(enumerate(names))), {}, 0.0)
    inst_names = {0: "background", **{i + 1: f"{names[labels[i]]} #{i + 1}" for i in range(len(labels))}}
    inst = Segmentation("instance", instance, build_legend(instance, inst_names), {}, 0.0)
    return TaskViews(
        classes_present=sorted(areas, key=areas.get, reverse=True),
        boxes=[mask_box(masks[i]) for i in keep],
        box_classes=[names[labels[i]] for i in keep],
        semantic=sem,
        instance=inst,
        box_colors=_object_colors(inst, [i + 1 for i in keep]),
    )


def _object_colors(instance: Segmentation, ids: list[int]) -> list[tuple[int, int, int]]:
    """The colour of each object ``ids[k]`` in ``instance`` (its legend's, else the shared palette's).

    An object with no visible pixel has no legend entry; it gets the colour
    :func:`segcore.result.build_legend` would have given it.
    """
    colors = instance.colors()
    palette = label_colors(max(ids, default=0) + 1)
    return [tuple(int(v) for v in colors.get(i, palette[i])) for i in ids]


def class_color(category_id: int) -> tuple[int, int, int]:
    """The colour of a Mask R-CNN class, the same on every page and for every image.

    Class ``c`` takes the shared palette's colour ``c + 1`` (as the Mask R-CNN
    page's semantic view does), so a class keeps its colour whatever other
    classes are present.
    """
    c = int(category_id)
    return tuple(int(v) for v in label_colors(c + 2)[c + 1])


def task_views_from_instances(seg: Segmentation) -> TaskViews:
    """Derive the four tasks' answers from a Mask R-CNN result.

    Parameters
    ----------
    seg : Segmentation
        As :func:`segcore.methods.maskrcnn.maskrcnn` returns it (or
        :func:`segcore.methods.maskrcnn.instances.select_instances`): an instance
        label map whose ``extras`` hold ``instances`` (``id``, ``class``,
        ``category_id``, ``score``, ``box``), ``semantic`` (category id per
        pixel) and ``semantic_names``.

    Returns
    -------
    TaskViews
        - ``classes_present``: the classes of the detections, ordered by their
          best score (ties by name), with that score in ``class_scores``. Mask
          R-CNN has no image-level classifier: the detections are its only
          evidence of what the image holds.
        - ``boxes`` (x0, y0, x1, y1, model pixels as floats), ``box_classes``,
          ``box_scores``, ``box_colors``: one per detection, best score first.
        - ``semantic``: ``extras["semantic"]``, i.e. each pixel takes the
          category id of the instance owning it in the label map (0
          background), so a class's pixels are the union of its instances'
          pixels; the legend names the classes, coloured by :func:`class_color`.
        - ``instance``: ``seg`` itself (the label map and its legend,
          ``"class score"`` per object).
        - ``derivation``: one sentence per task saying how it was derived,
          with the thresholds ``seg.params`` records.
    """
    ex = seg.extras
    instances = list(ex["instances"])
    best: dict[str, float] = {}
    for inst in instances:
        name, score = str(inst["class"]), float(inst["score"])
        best[name] = max(best.get(name, score), score)
    classes = sorted(best, key=lambda name: (-best[name], name))

    semantic = np.asarray(ex["semantic"], dtype=np.int32)
    names = {int(c): str(n) for c, n in ex["semantic_names"].items()}
    names[0] = "background"
    colors = {c: class_color(c) if c else (20, 20, 20) for c in names}
    sem = Segmentation("semantic", semantic, build_legend(semantic, names, colors), dict(seg.params), 0.0)

    score_t = seg.params.get("score_threshold")
    mask_t = seg.params.get("mask_threshold")
    above = f" scoring above {score_t:g}" if score_t is not None else ""
    at = f" at probability {mask_t:g}" if mask_t is not None else ""
    n = len(instances)
    derivation = {
        "classification": (
            f"Classification: the classes of the detections{above}, each with its best score; "
            "Mask R-CNN has no image-level classifier, so a class is 'present' when at least one object "
            "of it was detected."
        ),
        "detection": (
            f"Detection: Mask R-CNN's own boxes for its {n} detection{'s' if n != 1 else ''}{above}, "
            "each tagged 'class score'; the masks are not used."
        ),
        "semantic": (
            "Semantic segmentation: each pixel takes the class of the instance that owns it (the "
            "better-scoring one where masks overlap), so all objects of a class share one label; "
            "pixels no instance covers are background."
        ),
        "instance": (
            f"Instance segmentation: Mask R-CNN's instance label map: each object's mask thresholded{at}, "
            "numbered by score, the better score owning overlapping pixels."
        ),
    }
    return TaskViews(
        classes_present=classes,
        boxes=[tuple(float(v) for v in inst["box"]) for inst in instances],
        box_classes=[str(inst["class"]) for inst in instances],
        semantic=sem,
        instance=seg,
        class_scores=[best[name] for name in classes],
        box_scores=[float(inst["score"]) for inst in instances],
        box_colors=_object_colors(seg, [int(inst["id"]) for inst in instances]),
        derivation=derivation,
    )


def coco_weights_missing() -> str | None:
    """Why Mask R-CNN with COCO weights cannot run here without a download, or None when it can.

    Looks for the weights of ``COCO_SETTINGS["variant"]`` as
    :func:`segcore.methods.maskrcnn.resolve_weights` does (a file named by
    ``$SEGCORE_MASKRCNN_WEIGHTS``, else torch hub's cache) with downloading
    turned off: the explainer never starts a download.

    Returns
    -------
    str or None
        None when a weights file is there; else the
        :class:`~segcore.methods.maskrcnn.WeightsUnavailable` message (what was
        tried, how to fix it). Finding the file's name imports torchvision.
    """
    from segcore.methods.maskrcnn import WeightsUnavailable, resolve_weights

    try:
        resolve_weights(COCO_SETTINGS["variant"], allow_download=False)
    except WeightsUnavailable as exc:
        return str(exc)
    return None
