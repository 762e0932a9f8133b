"""Scores of a segmentation against a ground truth: binary, partition and instance.

Three kinds of ground truth, three families of scores (see :data:`COLUMNS`):

* **binary** (a foreground mask): IoU, Dice, precision, recall and boundary
  F1 of the method's own foreground where it has one
  (:func:`natural_foreground`: label 1 of a one-threshold result, every
  Mask R-CNN instance); any other label map has none, so the ground truth
  picks it by the majority rule (:func:`majority_foreground`), and the row's
  ``oracle`` column says so (:data:`SCORE_RULE`).
* **labels** (one or several partitions, as BSDS500 gives five per image):
  variation of information with its split and merge halves, the
  (probabilistic) Rand index, the adjusted Rand index and the adapted Rand
  error, each averaged over the ground truths, from one contingency table per
  ground truth (the Berkeley benchmark's definitions).
* **instances** (0 background, 1..N objects): COCO mask AP from
  ``pycocotools.cocoeval.COCOeval`` and a one-to-one matching at IoU 0.5;
  the partition and binary scores as well.

:func:`score` makes one flat row of every column for a result and a
ground truth (NaN where a score does not apply), for the compare page's
table and the command line's CSV. Nothing here imports streamlit.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import skimage.metrics
from scipy import sparse

from segcore.fast.boundaries import inner_boundary, near
from segcore.imports import load
from segcore.result import Segmentation

__all__ = [
    "COLUMNS",
    "SCORE_RULE",
    "Column",
    "binary_scores",
    "boundary_f1",
    "instance_scores",
    "label_scores",
    "majority_foreground",
    "natural_foreground",
    "rand_index",
    "score",
    "score_details",
    "variation_of_information",
]

NAN = float("nan")


@dataclass(frozen=True)
class Column:
    """One score column: its key in a row, a short table header, its direction and meaning."""

    key: str
    title: str
    higher_is_better: bool
    description: str


#: Every score column, in table order (``oracle`` is not a score: it says how the binary scores' foreground was made).
_FG = "the foreground (the method's own, else the ground truth's majority pick)"
COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("iou", "IoU", True, f"Intersection over union of {_FG} and the ground-truth foreground."),
        Column("dice", "Dice", True, f"Dice coefficient 2|A∩B| / (|A| + |B|) of {_FG} and the ground truth."),
        Column("precision", "Precision", True, f"Share of the pixels of {_FG} that are ground-truth foreground."),
        Column("recall", "Recall", True, f"Share of the ground-truth foreground covered by {_FG}."),
        Column(
            "boundary_f1", "Boundary F1", True,
            f"F1 of the boundary pixels of {_FG} and of the ground truth, matched within the tolerance (px).",
        ),
        Column(
            "oracle", "Oracle", False,
            "1 where the ground truth picked the foreground of the binary scores (majority rule: the method has "
            "no foreground of its own), 0 where it is the method's own.",
        ),
        Column(
            "voi", "VoI (bits)", False,
            "Variation of information H(seg|gt) + H(gt|seg) in bits, mean over the ground truths (0: identical).",
        ),
        Column("voi_split", "VoI split", False, "H(seg|gt) in bits: how much the result splits ground-truth regions."),
        Column("voi_merge", "VoI merge", False, "H(gt|seg) in bits: how much the result merges ground-truth regions."),
        Column(
            "pri", "PRI", True,
            "Probabilistic Rand index: the share of pixel pairs grouped alike, mean over the ground truths.",
        ),
        Column("ari", "ARI", True, "Adjusted Rand index (corrected for chance), mean over the ground truths."),
        Column(
            "are", "Adapted Rand error", False,
            "1 - F-score of same-region pixel pairs (SNEMI3D), mean over the ground truths (0: identical).",
        ),
        Column("ap", "AP (0.50:0.95)", True, "COCO mask average precision over IoU thresholds 0.50 to 0.95."),
        Column("ap50", "AP50", True, "COCO mask average precision at IoU 0.50."),
        Column(
            "precision50", "Precision @0.5", True,
            "Share of detections matched one-to-one to a ground-truth object at mask IoU >= 0.5.",
        ),
        Column(
            "recall50", "Recall @0.5", True,
            "Share of ground-truth objects matched one-to-one to a detection at mask IoU >= 0.5.",
        ),
        Column("mean_matched_iou", "Matched mask IoU", True, "Mean mask IoU of the matched detection-object pairs."),
    )
}  # fmt: skip

#: The foreground rule of the binary scores, for the page and the CSV docs.
SCORE_RULE = (
    "Binary scores use the method's own foreground where it has one (label 1 of a one-threshold result, the object "
    "a prompt method answers with, Mask R-CNN's instances); otherwise the ground truth picks it by the majority rule (a label is foreground when most "
    "of its pixels are): an oracle score, which fits any shape more closely the more labels a result has."
)

#: A label map whose largest value exceeds this many times its size (plus a margin) is
#: renumbered 0..n-1 first, so that counting by value does not allocate a huge table.
_SPARSE_FACTOR = 4
#: Largest dense contingency table (ground-truth values x result values) counted by bincount.
_MAX_DENSE_TABLE = 1 << 22
#: Labels shown in ``foreground_labels`` before "…".
_MAX_LABELS_SHOWN = 20
_IOU_MATCH = 0.5


# --------------------------------------------------------------------------- helpers


def _label_map(labels: Any, what: str = "label map") -> np.ndarray:
    """``labels`` as a 2-D array of non-negative integers (bool becomes uint8)."""
    a = np.asarray(labels)
    if a.ndim != 2:
        raise ValueError(f"a {what} is 2-D (H, W), got shape {a.shape}")
    if a.dtype == bool:
        return a.view(np.uint8)
    if not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"a {what} holds non-negative integers, got dtype {a.dtype}")
    if a.size and np.issubdtype(a.dtype, np.signedinteger) and a.min() < 0:
        raise ValueError(f"a {what} holds non-negative integers; this one has negative values")
    return a


def _mask(mask: Any, what: str = "mask") -> np.ndarray:
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"a {what} is 2-D (H, W), got shape {m.shape}")
    return m if m.dtype == bool else m != 0


def _same_shape(a: np.ndarray, gt: np.ndarray, a_name: str = "the result") -> None:
    if a.shape != gt.shape:
        (ah, aw), (gh, gw) = a.shape, gt.shape
        raise ValueError(
            f"the ground truth is {gw} x {gh} px, {a_name} {aw} x {ah} px; fit the ground truth to the image's "
            "working size first"
        )


def _compact(a: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(codes, values)``: small non-negative codes for ``a`` and ``values[codes] == a``.

    A map whose values are already small (the usual 0..n-1 label maps) is
    returned as it is with ``values`` None (codes are the values); a map with
    large values is renumbered by ``np.unique`` (a sort: slower, but only then).
    """
    if a.size == 0 or int(a.max()) < _SPARSE_FACTOR * a.size + 65536:
        return a, None
    values, codes = np.unique(a, return_inverse=True)
    return codes.reshape(a.shape).astype(np.int64, copy=False), values


def _value_text(values: Sequence[int]) -> str:
    """``"1"``, ``"0, 3, 4"``; the first 20 then ``"…"``; ``"none"`` for no label."""
    if not len(values):
        return "none"
    shown = ", ".join(str(int(v)) for v in values[:_MAX_LABELS_SHOWN])
    return shown + (", …" if len(values) > _MAX_LABELS_SHOWN else "")


def _overlap(tp: int, pred: int, truth: int) -> dict[str, float]:
    """IoU, Dice, precision and recall from pixel counts.

    Both masks empty is full agreement (all four 1.0). Otherwise a ratio with
    nothing to divide by is 0.0: precision with no predicted pixels, recall
    with no ground-truth pixels. NaN is not used.
    """
    tp, pred, truth = int(tp), int(pred), int(truth)
    if pred == 0 and truth == 0:
        return {"iou": 1.0, "dice": 1.0, "precision": 1.0, "recall": 1.0}
    return {
        "iou": tp / (pred + truth - tp),
        "dice": 2.0 * tp / (pred + truth),
        "precision": tp / pred if pred else 0.0,
        "recall": tp / truth if truth else 0.0,
    }


# --------------------------------------------------------------------------- binary


def _majority(labels: np.ndarray, gt: np.ndarray) -> tuple[list[int], int, int, int]:
    """The majority foreground's labels and counts: ``(chosen_values, tp, pred, truth)``."""
    codes, values = _compact(labels)
    n = np.bincount(codes.ravel())
    f = np.bincount(codes[gt], minlength=len(n))
    chosen = np.flatnonzero(2 * f > n)  # more than half of the label's pixels are foreground (n > 0 follows)
    chosen_values = [int(v) for v in (chosen if values is None else values[chosen])]
    return chosen_values, int(f[chosen].sum()), int(n[chosen].sum()), int(np.count_nonzero(gt))


def majority_foreground(labels: np.ndarray, gt_mask: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The foreground the ground truth picks from a label map: each label that is mostly foreground.

    A label goes to the foreground when more than half of its pixels are
    ground-truth foreground (a tie stays background): the usual rule for scoring
    a partition against a binary mask. It is an oracle (the ground truth decides
    every label) and its help grows with the label count: each label can follow
    the object's outline, so many small labels fit any shape. Unlike the best
    union of labels (the IoU optimum), it never takes a label that is mostly
    background to gain a few foreground pixels.

    Parameters
    ----------
    labels : ndarray of int, shape (H, W)
        Any non-negative label values.
    gt_mask : ndarray of bool, shape (H, W)
        Ground-truth foreground (non-zero = foreground).

    Returns
    -------
    mask : ndarray of bool, shape (H, W)
        Pixels of the chosen labels; empty when the ground truth has no foreground.
    chosen : list of int
        The chosen label values, in increasing order.
    """
    lab, gt = _label_map(labels), _mask(gt_mask, "ground-truth mask")
    _same_shape(lab, gt)
    values, *_ = _majority(lab, gt)
    return np.isin(lab, values), values


def _boundary_prf(pred_edge: np.ndarray, truth_edge: np.ndarray, tolerance: float) -> tuple[float, float, float]:
    """Boundary precision, recall, F1 of two boundaries."""
    has_pred, has_truth = bool(pred_edge.any()), bool(truth_edge.any())
    if not has_pred and not has_truth:
        return 1.0, 1.0, 1.0
    if not has_pred or not has_truth:
        return 0.0, 0.0, 0.0
    p = float(np.mean(near(truth_edge, tolerance)[pred_edge]))
    r = float(np.mean(near(pred_edge, tolerance)[truth_edge]))
    return p, r, (2.0 * p * r / (p + r) if p + r > 0 else 0.0)


def _tolerance(tolerance: float) -> float:
    t = float(tolerance)
    if not (t >= 0 and math.isfinite(t)):
        raise ValueError(f"the boundary tolerance is a distance in pixels >= 0, got {tolerance!r}")
    return t


def boundary_f1(pred_mask: np.ndarray, gt_mask: np.ndarray, *, tolerance: int = 2) -> tuple[float, float, float]:
    """Boundary precision, recall and F1 of two masks, matched within ``tolerance`` px.

    Boundaries are the masks' inner boundary pixels,
    ``skimage.segmentation.find_boundaries(mask, mode="inner")``. Precision is
    the share of predicted boundary pixels within ``tolerance`` px of a
    ground-truth boundary pixel (``scipy.ndimage.distance_transform_edt(~edge)
    <= tolerance``), recall the share of ground-truth boundary pixels within it
    of a predicted one, F1 their harmonic mean (0 when both are 0). Computed
    by the same pixels from OpenCV's morphology (:mod:`segcore.fast.boundaries`:
    the fast path, tested equal to these calls).

    Returns
    -------
    (precision, recall, f1) : tuple of float
        ``(1, 1, 1)`` when neither mask has a boundary (both empty or full),
        ``(0, 0, 0)`` when only one has none.
    """
    pred, gt = _mask(pred_mask, "predicted mask"), _mask(gt_mask, "ground-truth mask")
    _same_shape(pred, gt, "the prediction")
    return _boundary_prf(inner_boundary(pred), inner_boundary(gt), _tolerance(tolerance))


def binary_scores(
    labels: np.ndarray,
    gt_mask: np.ndarray,
    *,
    tolerance: int = 2,
    own_foreground: np.ndarray | None = None,
) -> dict:
    """Binary scores of a result's foreground against a foreground mask.

    Parameters
    ----------
    labels : ndarray of int, shape (H, W)
    gt_mask : ndarray of bool, shape (H, W)
    tolerance : int
        Boundary F1 tolerance in pixels.
    own_foreground : ndarray of bool, shape (H, W), optional
        The method's own foreground (:func:`natural_foreground`). Without it
        the ground truth picks the foreground (:func:`majority_foreground`).

    Returns
    -------
    dict
        ``iou``, ``dice``, ``precision``, ``recall``, ``boundary_f1`` of the
        foreground; ``oracle``, 1.0 when the ground truth picked it and 0.0
        when it is ``own_foreground``; ``foreground_labels``, the picked
        labels as text (``"2, 5"``, the first 20 then ``"…"``, ``"none"``;
        ``""`` for an own foreground) and ``picked``, how many (0 for an own
        foreground). Empty cases: both masks empty scores
        1.0; precision with no predicted pixels and recall with no
        ground-truth pixels are 0.0.
    """
    lab, gt = _label_map(labels), _mask(gt_mask, "ground-truth mask")
    _same_shape(lab, gt)
    tol = _tolerance(tolerance)
    if own_foreground is None:
        values, tp, pred, truth = _majority(lab, gt)
        fg, picked = np.isin(lab, values), values
    else:
        fg = _mask(own_foreground, "own foreground")
        _same_shape(fg, gt, "the own foreground")
        tp, pred, truth, picked = np.count_nonzero(fg & gt), np.count_nonzero(fg), np.count_nonzero(gt), []
    out: dict[str, Any] = _overlap(tp, pred, truth)
    out["boundary_f1"] = _boundary_prf(inner_boundary(fg), inner_boundary(gt), tol)[2]
    out["oracle"] = 0.0 if own_foreground is not None else 1.0
    out["foreground_labels"] = _value_text(picked) if own_foreground is None else ""
    out["picked"] = len(picked)
    return out


def natural_foreground(seg: Segmentation) -> np.ndarray | None:
    """The method's own foreground, where it has one without help.

    Returns
    -------
    ndarray of bool or None
        Mask R-CNN results (``extras["instances"]``): every instance
        (``labels > 0``). A threshold-family result whose values are 0 and 1
        (one threshold): ``labels == 1``, the pixels above the threshold. A
        promptable method's answer (family ``"prompts"``, labels 0 and 1):
        ``labels == 1``, the object the user pointed at.
        None for every other result (clusters, edges' regions, multi-level
        thresholds), which have no single foreground label.
    """
    labels = np.asarray(seg.labels)
    if "instances" in seg.extras:
        return labels > 0
    from segcore.registry import get_method

    try:
        family = get_method(seg.method).family
    except KeyError:
        return None
    if family not in ("threshold", "prompts") or labels.size == 0 or int(labels.max()) > 1 or int(labels.min()) < 0:
        return None
    return labels == 1


# --------------------------------------------------------------------------- partitions


def _contingency(seg: np.ndarray, gt: np.ndarray) -> sparse.csr_array:
    """The contingency table of two label maps: int64 counts, rows ground-truth values, columns result values.

    The fast path of the partition scores: the same counts as
    ``skimage.metrics.contingency_table(gt, seg, ignore_labels=())`` (tested),
    by ``np.bincount`` of the combined codes ``gt * (max(seg) + 1) + seg``:
    one table for all four scores, which as library calls build one each. A
    table too large to hold dense (huge label values) is
    ``sklearn.metrics.cluster.contingency_matrix(gt, seg, sparse=True)``.
    """
    k = int(seg.max()) + 1 if seg.size else 1
    g = int(gt.max()) + 1 if gt.size else 1
    if k * g > _MAX_DENSE_TABLE:
        table = load("sklearn.metrics.cluster").contingency_matrix(gt.ravel(), seg.ravel(), sparse=True)
        return sparse.csr_array(table, dtype=np.int64)
    code = gt.astype(np.int64)
    code *= k
    code += seg
    return sparse.csr_array(np.bincount(code.ravel(), minlength=k * g).reshape(g, k))


def _pair_confusion(table: sparse.csr_array) -> tuple[int, int, int, int]:
    """``(tn, fp, fn, tp)`` pixel pairs, as ``sklearn.metrics.cluster.pair_confusion_matrix(gt, seg)``.

    sklearn's own formulas on the same table, in exact Python integers; its
    ``rand_score`` and ``adjusted_rand_score`` take only label arrays, so they
    are stated here from these four numbers as sklearn states them (tested equal).
    """
    n = int(table.sum())
    squares = int(table.data @ table.data)
    seg_sizes, gt_sizes = table.sum(axis=0), table.sum(axis=1)
    fp = int(seg_sizes @ seg_sizes) - squares  # together in the result, apart in the ground truth
    fn = int(gt_sizes @ gt_sizes) - squares
    tp = squares - n
    return n * n - fp - fn - squares, fp, fn, tp


def _rand(table: sparse.csr_array) -> float:
    """``sklearn.metrics.rand_score`` from the table (1.0 for fewer than two pixels)."""
    tn, fp, fn, tp = _pair_confusion(table)
    agree, pairs = tn + tp, tn + fp + fn + tp
    return 1.0 if agree == pairs or pairs == 0 else agree / pairs


def _adjusted_rand(table: sparse.csr_array) -> float:
    """``sklearn.metrics.adjusted_rand_score`` from the table."""
    tn, fp, fn, tp = _pair_confusion(table)
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def _partition_scores(seg: np.ndarray, gt: np.ndarray) -> tuple[float, float, float, float, float, float]:
    """``(voi, split, merge, ri, ari, are)`` of one pair of label maps, from one table.

    VoI is ``skimage.metrics.variation_of_information(gt, seg)`` and ARE
    ``skimage.metrics.adapted_rand_error(gt, seg, ignore_labels=())[0]``, both
    given the table (``table=``); the Rand indices are sklearn's from it.
    """
    table = _contingency(seg, gt)
    n = int(seg.size)
    if n == 0:
        return 0.0, 0.0, 0.0, 1.0, 1.0, 0.0
    split, merge = (max(0.0, float(h)) for h in skimage.metrics.variation_of_information(gt, seg, table=table / n))
    with np.errstate(divide="ignore", invalid="ignore"):
        are = float(skimage.metrics.adapted_rand_error(gt, seg, table=table)[0])
    if math.isnan(are):  # both partitions all single pixels (0 / 0): the same partition
        are = 0.0
    return split + merge, split, merge, _rand(table), _adjusted_rand(table), are


def _pair(seg: Any, gt: Any) -> tuple[np.ndarray, np.ndarray]:
    s, g = _label_map(seg), _label_map(gt, "ground-truth map")
    _same_shape(s, g)
    return s, g


def variation_of_information(seg: np.ndarray, gt: np.ndarray) -> tuple[float, float, float]:
    """Variation of information of a segmentation against a ground-truth partition, in bits.

    ``skimage.metrics.variation_of_information(gt, seg)`` (on the table of
    :func:`_contingency`; equal within 1e-12), negative rounding clipped to 0.

    Returns
    -------
    (voi, split, merge) : tuple of float
        ``split = H(seg | gt)``, the information the result adds inside
        ground-truth regions (over-segmentation); ``merge = H(gt | seg)``, what
        it loses by joining them (under-segmentation); ``voi = split + merge =
        H(seg) + H(gt) - 2 I(seg, gt)``. All 0 for identical partitions (up to
        relabelling).
    """
    return _partition_scores(*_pair(seg, gt))[:3]


def rand_index(seg: np.ndarray, gt: np.ndarray) -> float:
    """Rand index: the share of pixel pairs that both partitions group alike.

    ``RI = 1 - (sum_i a_i^2/2 + sum_j b_j^2/2 - sum_ij n_ij^2) / (N(N-1)/2)``
    from the contingency table (BSDS500's definition), computed as
    ``sklearn.metrics.rand_score(gt.ravel(), seg.ravel())`` computes it (equal).
    1.0 for fewer than two pixels.
    """
    return _rand(_contingency(*_pair(seg, gt)))


def label_scores(labels: np.ndarray, gt_maps: np.ndarray | Sequence[np.ndarray]) -> dict:
    """Partition scores of a label map, each the mean over the ground-truth maps.

    Parameters
    ----------
    labels : ndarray of int, shape (H, W)
    gt_maps : ndarray (H, W) or sequence of them
        One or several ground-truth partitions (BSDS500 has ~5 per image).

    Returns
    -------
    dict of float
        ``voi``, ``voi_split``, ``voi_merge`` (bits, :func:`variation_of_information`),
        ``pri`` (mean :func:`rand_index`: the probabilistic Rand index), ``ari``
        (mean adjusted Rand index, as sklearn's ``adjusted_rand_score``) and
        ``are`` (mean adapted Rand error, as skimage's ``adapted_rand_error``
        with no label ignored: every ground-truth value, 0 included, is a region).
    """
    maps = [gt_maps] if isinstance(gt_maps, np.ndarray) and gt_maps.ndim == 2 else list(gt_maps)
    if not maps:
        raise ValueError("label scores need at least one ground-truth map")
    seg = _label_map(labels)
    rows = [_partition_scores(*_pair(seg, gt)) for gt in maps]
    means = np.mean(np.array(rows, dtype=np.float64), axis=0)
    return dict(zip(("voi", "voi_split", "voi_merge", "pri", "ari", "are"), (float(v) for v in means)))


# --------------------------------------------------------------------------- instances


def _gt_instances(gt: np.ndarray) -> tuple[list[int], list[dict]]:
    """The instance values present (> 0) and their COCO RLEs (``pycocotools.mask.encode`` of each object).

    A small share of a Mask R-CNN run, so no fast path.
    """
    from pycocotools import mask as mask_utils

    values = [int(v) for v in np.unique(gt) if v != 0]
    return values, [mask_utils.encode(np.asfortranarray(gt == v, dtype=np.uint8)) for v in values]


def _class_key(name: Any) -> str:
    return str(name).strip().casefold()


def instance_scores(
    seg: Segmentation, gt_instances: np.ndarray, categories: Mapping[int, str] | None = None
) -> dict:
    """COCO mask AP and a one-to-one matching of Mask R-CNN instances to ground-truth objects.

    Parameters
    ----------
    seg : Segmentation
        A Mask R-CNN result (``extras["instances"]`` and ``extras["masks"]``).
    gt_instances : ndarray of int, shape (H, W)
        0 background, each other value one object.
    categories : dict, optional
        Instance value -> class name. With it, AP is per class as COCO
        computes it (``params.useCats = 1``; names are matched to the model's
        classes case-insensitively; a name the model does not know, or a value
        with no name, gets a category of its own, which no detection can
        match) and a match needs the same class. Without it, classes are
        ignored (``useCats = 0``).

    Returns
    -------
    dict
        ``ap`` (COCOeval ``segm`` stats[0], IoU 0.50:0.95) and ``ap50``
        (stats[1]): NaN when the ground truth has no object, 0.0 when there
        is no detection. ``precision50`` (matched / detections, 0.0 with no
        detection), ``recall50`` (matched / objects, NaN with no object),
        ``mean_matched_iou`` (NaN with no match) and ``matches``, a list of
        ``{"gt": value, "pred": instance id, "iou": float, "class": name}``
        from a greedy matching at mask IoU >= 0.5: detections in score order
        (as COCO), each taking the unmatched object of highest IoU; with
        ``categories`` each match also gives the object's ``"gt_class"``.
    """
    from pycocotools import mask as mask_utils

    from segcore.io.coco import to_coco_results

    gt = _label_map(gt_instances, "ground-truth instance map")
    _same_shape(np.asarray(seg.labels), gt)
    detections = to_coco_results(seg)  # ValueError unless the result has instances and masks
    instances = seg.extras["instances"]
    gt_values, gt_rles = _gt_instances(gt)
    h, w = gt.shape

    use_cats = categories is not None
    names: dict[int, str] = {}  # category id -> name
    ids: dict[str, int] = {}  # class key -> category id
    for inst in instances:
        cid = int(inst["category_id"])
        names.setdefault(cid, str(inst["class"]))
        ids.setdefault(_class_key(inst["class"]), cid)
    if use_cats:
        gt_cats = []
        for v in gt_values:
            name = categories.get(v, categories.get(str(v)))  # type: ignore[union-attr]
            key = None if name is None else _class_key(name)
            if key not in ids:  # a class the model does not know, or no class: a category of its own
                cid = max([0, *names]) + 1
                names[cid] = "(no class)" if name is None else str(name)
                if key is not None:
                    ids[key] = cid
            gt_cats.append(cid if key is None else ids[key])
    else:
        gt_cats = [1] * len(gt_values)
        names.setdefault(1, "object")

    order = sorted(range(len(detections)), key=lambda i: -float(detections[i]["score"]))  # stable, as COCO
    ious = (
        np.asarray(mask_utils.iou([detections[i]["segmentation"] for i in order], gt_rles, [0] * len(gt_rles)))
        if order and gt_rles
        else np.zeros((len(order), len(gt_rles)))
    )
    taken = np.zeros(len(gt_rles), bool)
    matches = []
    for row, i in enumerate(order):
        ok = (~taken) & (ious[row] >= _IOU_MATCH)
        if use_cats:
            ok &= np.asarray(gt_cats) == int(detections[i]["category_id"])
        if not ok.any():
            continue
        j = int(np.argmax(np.where(ok, ious[row], -1.0)))
        taken[j] = True
        match = {
            "gt": gt_values[j],
            "pred": int(instances[i]["id"]),
            "iou": float(ious[row, j]),
            "class": str(instances[i]["class"]),
        }
        if use_cats:
            match["gt_class"] = names[gt_cats[j]]
        matches.append(match)

    n_det, n_gt = len(detections), len(gt_values)
    if not n_gt:
        ap, ap50 = NAN, NAN
    elif not n_det:
        ap, ap50 = 0.0, 0.0
    else:
        ap, ap50 = _coco_ap(detections, gt_rles, gt_cats, names, (h, w), use_cats)
    return {
        "ap": ap,
        "ap50": ap50,
        "precision50": len(matches) / n_det if n_det else 0.0,
        "recall50": len(matches) / n_gt if n_gt else NAN,
        "mean_matched_iou": float(np.mean([m["iou"] for m in matches])) if matches else NAN,
        "matches": matches,
    }


def _coco_ap(detections: list[dict], gt_rles: list[dict], gt_cats: list[int], names: dict[int, str],
             shape: tuple[int, int], use_cats: bool) -> tuple[float, float]:
    """COCOeval ``segm`` on one image built in memory: (stats[0], stats[1]), -1 read as NaN."""
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    h, w = shape
    annotations = [
        {"id": k + 1, "image_id": 1, "category_id": int(cid), "segmentation": rle, "area": float(mask_utils.area(rle)),
         "bbox": [float(v) for v in mask_utils.toBbox(rle)], "iscrowd": 0}
        for k, (rle, cid) in enumerate(zip(gt_rles, gt_cats))
    ]
    dets = [{**d, "image_id": 1} if use_cats else {**d, "image_id": 1, "category_id": 1} for d in detections]
    cat_ids = sorted(set(names) | {int(d["category_id"]) for d in dets})
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = {
            "images": [{"id": 1, "height": int(h), "width": int(w)}],
            "annotations": annotations,
            "categories": [{"id": c, "name": names.get(c, f"class {c}")} for c in cat_ids],
        }
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(dets)
        ev = COCOeval(coco_gt, coco_dt, "segm")
        ev.params.imgIds = [1]
        ev.params.useCats = 1 if use_cats else 0
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    ap, ap50 = (float(v) for v in ev.stats[:2])
    return (NAN if ap < 0 else ap), (NAN if ap50 < 0 else ap50)


# --------------------------------------------------------------------------- one row


def score_details(seg: Segmentation, gt: Any, *, tolerance: int = 2) -> dict[str, Any]:
    """:func:`score`'s row plus what explains it.

    Returns
    -------
    dict
        ``scores`` (the row, as :func:`score`), ``foreground_labels`` (the
        labels the ground truth picked as the foreground, as text; ``""``
        for an own foreground and without a binary score), ``picked`` (how
        many labels the ground truth picked: 0 for an own foreground) and
        ``matches`` (the instance matching, ``[]`` without instance scores).
    """
    kind = getattr(gt, "kind", None)
    maps = [np.asarray(m) for m in getattr(gt, "maps", ())]
    if kind not in ("binary", "labels", "instances"):
        raise ValueError(f"unknown ground-truth kind {kind!r}; it is 'binary', 'labels' or 'instances'")
    if not maps:
        raise ValueError("the ground truth has no map")
    labels = np.asarray(seg.labels)
    for m in maps:
        _same_shape(labels, m)
    tol = _tolerance(tolerance)
    row: dict[str, float] = {key: NAN for key in COLUMNS}
    details: dict[str, Any] = {"scores": row, "foreground_labels": "", "picked": 0, "matches": []}

    if kind in ("labels", "instances"):
        row.update(label_scores(labels, maps))
    if kind in ("binary", "instances"):
        b = binary_scores(labels, maps[0] > 0, tolerance=tol, own_foreground=natural_foreground(seg))
        details["foreground_labels"] = b.pop("foreground_labels")
        details["picked"] = b.pop("picked")
        row.update(b)
    if kind == "instances" and "instances" in seg.extras:
        inst = instance_scores(seg, maps[0], getattr(gt, "categories", None))
        details["matches"] = inst.pop("matches")
        row.update(inst)
    for key in COLUMNS:
        row[key] = float(row[key])
    return details


def score(seg: Segmentation, gt: Any, *, tolerance: int = 2) -> dict[str, float]:
    """One flat row of scores of a result against a ground truth.

    Parameters
    ----------
    seg : Segmentation
    gt : GroundTruth
        Read through ``kind``, ``maps`` and ``categories`` only: ``"binary"``
        gives the binary columns (``maps[0] > 0``); ``"labels"`` the partition
        columns (every map); ``"instances"`` the partition columns on the
        instance map(s), the binary columns on ``maps[0] > 0`` and, for a
        Mask R-CNN result, the instance columns.
    tolerance : int
        Boundary F1 tolerance in pixels.

    Returns
    -------
    dict of str to float
        Every :data:`COLUMNS` key, in order; NaN where a score does not apply.

    Raises
    ------
    ValueError
        When the ground truth and the result differ in size (the message gives
        both as W x H px), or the kind is unknown.
    """
    return score_details(seg, gt, tolerance=tolerance)["scores"]
