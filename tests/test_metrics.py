"""Scores against ground truth (segcore.scoring.metrics), checked against the reference libraries."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from scipy import ndimage as ndi
from skimage.metrics import adapted_rand_error, contingency_table
from skimage.metrics import variation_of_information as sk_voi
from skimage.segmentation import find_boundaries
from sklearn.metrics import (
    adjusted_rand_score,
    f1_score,
    jaccard_score,
    precision_score,
    rand_score,
    recall_score,
)
from sklearn.metrics.cluster import contingency_matrix, pair_confusion_matrix

from segcore.fast.boundaries import inner_boundary, near
from segcore.io.coco import encode_mask
from segcore.methods.maskrcnn.instances import instances_to_segmentation
from segcore.result import Segmentation, build_legend
from segcore.scoring import metrics as M


@dataclass(frozen=True)
class GT:
    """The three attributes of segcore.io.ground_truth.GroundTruth that metrics reads."""

    kind: str
    maps: tuple
    categories: dict | None = None


def seg_of(labels, method="test_method") -> Segmentation:
    labels = np.asarray(labels, np.int32)
    return Segmentation(method, labels, build_legend(labels), {}, 0.0)


def blob_map(shape=(60, 80), seed=0, n=6) -> np.ndarray:
    """A smooth random partition: nearest of n random seeds (Voronoi cells)."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform((0, 0), shape, size=(n, 2))
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    d = (yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2
    return np.argmin(d, axis=2).astype(np.int32)


def disk_mask(shape, cy, cx, r) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def maskrcnn_seg(masks, classes, scores, shape) -> Segmentation:
    """A Mask R-CNN-like result (same extras as detections_to_segmentation) from boolean masks."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    labels = np.zeros(shape, np.int32)
    instances, rles = [], []
    for k, i in reversed(list(enumerate(order))):
        labels[masks[i]] = k + 1
    names = sorted(set(classes))
    for k, i in enumerate(order):
        ys, xs = np.nonzero(masks[i])
        instances.append(
            {
                "id": k + 1,
                "class": classes[i],
                "category_id": names.index(classes[i]) + 1,
                "score": float(scores[i]),
                "box": [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)],
                "mask_area": int(masks[i].sum()),
                "mask_share": 100.0 * masks[i].sum() / masks[i].size,
            }
        )
        rles.append(encode_mask(masks[i]))
    return instances_to_segmentation(labels, instances, rles, method="maskrcnn", params={})


# --------------------------------------------------------------------------- columns


def test_columns_order_titles_and_directions():
    assert list(M.COLUMNS) == [
        "iou", "dice", "precision", "recall", "boundary_f1", "oracle", "voi", "voi_split", "voi_merge", "pri",
        "ari", "are", "ap", "ap50",
        "precision50", "recall50", "mean_matched_iou",
    ]  # fmt: skip
    lower = {k for k, c in M.COLUMNS.items() if not c.higher_is_better}
    assert lower == {"oracle", "voi", "voi_split", "voi_merge", "are"}
    assert M.COLUMNS["voi"].title == "VoI (bits)" and M.COLUMNS["ap"].title == "AP (0.50:0.95)"
    assert all(c.key == k and c.title and c.description.endswith(".") for k, c in M.COLUMNS.items())
    assert "own foreground" in M.SCORE_RULE and "most of its pixels" in M.SCORE_RULE and "oracle" in M.SCORE_RULE


# --------------------------------------------------------------------------- binary


def test_majority_foreground_takes_each_label_that_is_mostly_foreground():
    labels = np.repeat(np.arange(6), 10).reshape(6, 10).astype(np.int32)  # one row per label
    gt = (labels == 2) | (labels == 5)
    gt[1, :6] = True  # label 1: 6 of 10 pixels inside
    gt[3, :5] = True  # label 3: 5 of 10, a tie: stays background
    gt[4, :4] = True  # label 4: 4 of 10
    mask, chosen = M.majority_foreground(labels, gt)
    assert chosen == [1, 2, 5]
    assert np.array_equal(mask, np.isin(labels, [1, 2, 5]))
    s = M.binary_scores(labels, gt)
    assert s["foreground_labels"] == "1, 2, 5" and s["oracle"] == 1.0 and s["picked"] == 3
    assert s["precision"] == pytest.approx(26 / 30) and s["recall"] == pytest.approx(26 / 35)


@pytest.mark.parametrize("seed", range(6))
def test_majority_foreground_is_the_rule_label_by_label(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, int(rng.integers(2, 9)), size=(9, 11))
    gt = rng.random((9, 11)) < rng.uniform(0.2, 0.7)
    mask, chosen = M.majority_foreground(labels, gt)
    expected = [int(v) for v in np.unique(labels) if gt[labels == v].mean() > 0.5]
    assert chosen == expected and np.array_equal(mask, np.isin(labels, expected))
    t, m = gt.ravel(), mask.ravel()
    assert M.binary_scores(labels, gt)["iou"] == pytest.approx(jaccard_score(t, m, zero_division=1.0), abs=1e-12)


def test_the_majority_leaves_out_a_mostly_background_label_that_the_iou_optimum_takes():
    labels = np.zeros((10, 10), np.int32)
    labels[:, 5:] = 1
    gt = np.zeros((10, 10), bool)
    gt[:, :5] = True
    gt[:4, 5:] = gt[4, 5:7] = True  # label 1: 22 of its 50 pixels foreground (44 %)
    # the union of both labels has the higher IoU (72 / 100 against label 0's 50 / 72): not taken
    assert M.majority_foreground(labels, gt)[1] == [0]
    assert M.binary_scores(labels, gt)["iou"] == pytest.approx(50 / 72)


@pytest.mark.parametrize("seed", range(4))
def test_overlap_scores_equal_sklearn(seed):
    """IoU, Dice, precision, recall (own and oracle foregrounds) are sklearn's jaccard, f1, precision and recall."""
    labels = blob_map(seed=seed, n=16)
    gt = disk_mask(labels.shape, 25 + seed, 35, 14 + seed)
    own = disk_mask(labels.shape, 30, 40, 12)
    picked, _ = M.majority_foreground(labels, gt)
    assert picked.any()
    t = gt.ravel()
    for fg, s in ((picked, M.binary_scores(labels, gt)), (own, M.binary_scores(labels, gt, own_foreground=own))):
        f = fg.ravel()
        assert s["iou"] == pytest.approx(jaccard_score(t, f), abs=1e-12)
        assert s["dice"] == pytest.approx(f1_score(t, f), abs=1e-12)
        assert s["precision"] == pytest.approx(precision_score(t, f), abs=1e-12)
        assert s["recall"] == pytest.approx(recall_score(t, f), abs=1e-12)


def test_empty_ground_truth_and_empty_conventions():
    labels = blob_map()
    empty = np.zeros(labels.shape, bool)
    mask, chosen = M.majority_foreground(labels, empty)
    assert not mask.any() and chosen == []
    s = M.binary_scores(labels, empty)
    assert s["iou"] == s["dice"] == s["precision"] == s["recall"] == s["boundary_f1"] == 1.0
    assert s["foreground_labels"] == "none"
    s = M.binary_scores(labels, empty, own_foreground=labels == 0)
    assert s["iou"] == 0.0 and s["dice"] == 0.0 and s["boundary_f1"] == 0.0 and s["oracle"] == 0.0
    # no predicted pixel against a real foreground: precision 0, not NaN
    gt = disk_mask(labels.shape, 30, 40, 10)
    g = M.binary_scores(labels, gt, own_foreground=empty)
    assert g["iou"] == 0.0 and g["precision"] == 0.0 and g["boundary_f1"] == 0.0


def test_an_own_foreground_is_scored_as_it_is():
    shape = (50, 70)
    gt = disk_mask(shape, 25, 15, 8)
    own = disk_mask(shape, 25, 55, 8)
    s = M.binary_scores(own.astype(np.int32), gt, own_foreground=own)
    assert s["iou"] == 0.0 and s["dice"] == 0.0 and s["boundary_f1"] == 0.0
    assert s["oracle"] == 0.0 and s["foreground_labels"] == "" and s["picked"] == 0
    assert M.boundary_f1(own, gt) == (0.0, 0.0, 0.0)
    # the ground truth picking from the same two labels takes neither: each is mostly background
    picked = M.binary_scores(own.astype(np.int32), gt)
    assert picked["oracle"] == 1.0 and picked["foreground_labels"] == "none" and picked["iou"] == 0.0


def test_foreground_labels_text_is_shortened():
    labels = np.arange(30 * 4).reshape(30, 4) // 4  # 30 rows, one label each
    gt = labels < 25
    s = M.binary_scores(labels, gt)
    assert s["foreground_labels"] == ", ".join(str(i) for i in range(20)) + ", …"
    assert s["iou"] == 1.0


def test_permuting_label_values_changes_no_score():
    rng = np.random.default_rng(7)
    labels = blob_map(seed=5, n=7)
    gt_mask = disk_mask(labels.shape, 28, 35, 16)
    gt_labels = blob_map(seed=9, n=4)
    perm = rng.permutation(50)[:7] * 3 + 1  # new distinct values, not 0..n-1
    relabelled = perm[labels]
    a, b = M.binary_scores(labels, gt_mask), M.binary_scores(relabelled, gt_mask)
    for k in ("iou", "dice", "precision", "recall", "boundary_f1"):
        assert a[k] == pytest.approx(b[k])
    assert b["foreground_labels"] == ", ".join(
        str(v) for v in sorted(perm[int(x)] for x in a["foreground_labels"].split(", "))
    )
    la, lb = M.label_scores(labels, [gt_labels]), M.label_scores(relabelled, [perm[::-1][gt_labels]])
    assert la == pytest.approx(lb)


# --------------------------------------------------------------------------- boundaries


_EDT = ndi.distance_transform_edt  # not the spy some tests put in its place


def _reference_boundary_f1(pred, gt, tol):
    """The definition, straight: find_boundaries + a full-image distance transform."""
    bp, bg = find_boundaries(pred, mode="inner"), find_boundaries(gt, mode="inner")
    if not bp.any() and not bg.any():
        return 1.0, 1.0, 1.0
    if not bp.any() or not bg.any():
        return 0.0, 0.0, 0.0
    p = float(np.mean(_EDT(~bg)[bp] <= tol))
    r = float(np.mean(_EDT(~bp)[bg] <= tol))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _photo_masks():
    """Masks from a real photo: k-means-like intensity classes of skimage's coffee, and their unions."""
    from skimage import data
    from skimage.color import rgb2gray

    gray = rgb2gray(data.coffee())
    levels = np.digitize(gray, np.quantile(gray, [0.2, 0.45, 0.7]))
    return [levels == 0, levels >= 2, (levels == 1) | (levels == 3)]


def _boundary_masks():
    rng = np.random.default_rng(1)
    return [
        disk_mask((40, 50), 20, 25, 12),
        disk_mask((40, 50), 0, 0, 15),  # touches the image's edges
        rng.random((40, 50)) < 0.5,
        np.ones((10, 12), bool),
        np.zeros((10, 12), bool),
        np.zeros((0, 5), bool),
        *_photo_masks(),
    ]


def test_boundary_is_find_boundaries_inner():
    """The fast path's boundary: the pixels of skimage's find_boundaries(mode="inner")."""
    for mask in _boundary_masks():
        b = inner_boundary(mask)
        assert b.dtype == bool and np.array_equal(b, find_boundaries(mask, mode="inner"))


@pytest.mark.parametrize("tol", [0, 1, 1.5, 2, 2.5, 3, 6, 10, 26.5])
def test_near_is_the_distance_transform_within_tolerance(tol):
    """The fast path's "within the tolerance": distance_transform_edt(~boundary) <= tolerance, pixel for pixel."""
    for mask in _boundary_masks():
        edge = find_boundaries(mask, mode="inner")
        expected = _EDT(~edge) <= tol if edge.any() else np.zeros(mask.shape, bool)
        assert np.array_equal(near(edge, tol), expected)


def test_boundary_f1_shift_by_one_pixel():
    shape = (60, 60)
    gt = np.zeros(shape, bool)
    gt[15:45, 12:40] = True
    pred = np.roll(gt, 1, axis=1)
    assert M.boundary_f1(pred, gt, tolerance=1) == (1.0, 1.0, 1.0)
    p, r, f = M.boundary_f1(pred, gt, tolerance=0)
    assert f < 1.0 and p < 1.0 and r < 1.0
    assert (p, r, f) == pytest.approx(_reference_boundary_f1(pred, gt, 0))
    assert M.boundary_f1(gt, gt, tolerance=0) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("tol", [0, 1, 1.5, 2, 3, 6, 30])
def test_boundary_f1_equals_the_distance_transform_definition(tol):
    rng = np.random.default_rng(int(tol * 10))
    shape = (70, 90)
    cases = [
        (disk_mask(shape, 35, 45, 20), disk_mask(shape, 37, 43, 19)),
        (rng.random(shape) < 0.5, disk_mask(shape, 30, 40, 25)),
        (rng.random(shape) < 0.3, rng.random(shape) < 0.6),
        (disk_mask(shape, 10, 10, 6), disk_mask(shape, 60, 80, 6)),  # far apart
        (disk_mask(shape, 0, 0, 30), blob_map(shape, seed=2) == 1),
    ]
    photo = _photo_masks()
    cases += [(photo[0], photo[1]), (photo[2], photo[0])]
    for pred, gt in cases:
        assert M.boundary_f1(pred, gt, tolerance=tol) == _reference_boundary_f1(pred, gt, tol)
        s = M.binary_scores(pred.astype(np.int32), gt, tolerance=tol, own_foreground=pred)
        assert s["boundary_f1"] == _reference_boundary_f1(pred, gt, tol)[2]


def test_boundary_f1_empty_and_full():
    e, f = np.zeros((8, 9), bool), np.ones((8, 9), bool)
    d = disk_mask((8, 9), 4, 4, 2)
    assert M.boundary_f1(e, e) == (1.0, 1.0, 1.0)
    assert M.boundary_f1(f, e) == (1.0, 1.0, 1.0)  # neither has a boundary
    assert M.boundary_f1(d, e) == (0.0, 0.0, 0.0)
    assert M.boundary_f1(e, d) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="tolerance"):
        M.boundary_f1(d, d, tolerance=-1)


# --------------------------------------------------------------------------- partitions


def _photo_partitions():
    """Two partitions of a real photo: Felzenszwalb regions of skimage's coffee against its intensity classes."""
    from skimage import data
    from skimage.color import rgb2gray
    from skimage.segmentation import felzenszwalb

    image = data.coffee()[::2, ::2]
    gray = rgb2gray(image)
    return felzenszwalb(image, scale=100, min_size=30), np.digitize(gray, np.quantile(gray, [0.25, 0.5, 0.75]))


def _label_cases():
    rng = np.random.default_rng(11)
    yield blob_map(seed=1, n=8), blob_map(seed=2, n=5)
    yield rng.integers(0, 4, (30, 40)), rng.integers(0, 7, (30, 40))
    yield blob_map(seed=3, n=3), blob_map(seed=3, n=3)
    yield np.zeros((20, 20), int), blob_map((20, 20), seed=4, n=4)
    a = blob_map(seed=6, n=6)
    yield np.where(rng.random(a.shape) < 0.1, 9, a), a  # noisy version of the same partition
    yield _photo_partitions()
    yield np.arange(12).reshape(3, 4), np.arange(12).reshape(3, 4) * 3  # every pixel its own region


N_LABEL_CASES = 7


@pytest.mark.parametrize("case", range(N_LABEL_CASES))
def test_partition_scores_match_skimage_and_sklearn(case):
    """Every partition score equals its library function called on the two label maps."""
    seg, gt = list(_label_cases())[case]
    voi, split, merge = M.variation_of_information(seg, gt)
    h_seg_given_gt, h_gt_given_seg = sk_voi(gt, seg)  # skimage: [H(image1|image0), H(image0|image1)]
    assert split == pytest.approx(h_seg_given_gt, abs=1e-9)
    assert merge == pytest.approx(h_gt_given_seg, abs=1e-9)
    assert voi == pytest.approx(h_seg_given_gt + h_gt_given_seg, abs=1e-9)
    assert M.rand_index(seg, gt) == rand_score(gt.ravel(), seg.ravel())  # sklearn's formula: exactly
    s = M.label_scores(seg, [gt])
    assert s["pri"] == rand_score(gt.ravel(), seg.ravel())
    assert s["ari"] == adjusted_rand_score(gt.ravel(), seg.ravel())
    with np.errstate(divide="ignore", invalid="ignore"):
        are = adapted_rand_error(gt, seg, ignore_labels=())[0]
    assert s["are"] == (0.0 if math.isnan(are) else are)  # 0 / 0 (all single pixels): identical, 0
    assert (s["voi"], s["voi_split"], s["voi_merge"]) == (voi, split, merge)
    assert all(isinstance(v, float) for v in s.values())


@pytest.mark.parametrize("case", range(N_LABEL_CASES))
def test_contingency_fast_path_equals_the_library_tables(case, monkeypatch):
    """The bincount table is skimage's contingency_table; its pair counts are sklearn's pair_confusion_matrix."""
    seg, gt = list(_label_cases())[case]
    table = M._contingency(seg, gt)
    assert table.dtype == np.int64
    expected = contingency_table(gt, seg, ignore_labels=(), normalize=False, sparse_type="array")
    assert np.array_equal(table.toarray(), expected.toarray())
    (tn, fp), (fn, tp) = pair_confusion_matrix(gt.ravel(), seg.ravel())
    assert M._pair_confusion(table) == (tn, fp, fn, tp)
    monkeypatch.setattr(M, "_MAX_DENSE_TABLE", 1)  # the fallback: sklearn's contingency_matrix, empty rows dropped
    sparse_table = M._contingency(seg, gt)
    assert np.array_equal(sparse_table.toarray(), contingency_matrix(gt.ravel(), seg.ravel()))
    assert M._pair_confusion(sparse_table) == (tn, fp, fn, tp)


def test_split_and_merge_directions():
    gt = np.repeat(np.arange(2), 8).reshape(4, 4)  # two halves
    halves = np.arange(16).reshape(4, 4) // 8
    quarters = np.arange(16).reshape(4, 4) // 4  # each gt half split in two equal parts
    assert M.variation_of_information(quarters, gt) == pytest.approx((1.0, 1.0, 0.0))
    assert M.variation_of_information(np.zeros_like(gt), gt) == pytest.approx((1.0, 0.0, 1.0))
    assert M.variation_of_information(halves, gt) == (0.0, 0.0, 0.0)


def test_identical_maps_score_perfectly():
    a = blob_map(seed=8, n=9)
    s = M.label_scores(a * 2 + 5, a)  # the same partition under other values
    assert s["voi"] == pytest.approx(0.0, abs=1e-12) and s["pri"] == 1.0 and s["ari"] == 1.0 and s["are"] == 0.0
    b = M.binary_scores(a, a == 3)
    assert b["iou"] == 1.0 and b["boundary_f1"] == 1.0
    assert M.rand_index(np.zeros((1, 1), int), np.zeros((1, 1), int)) == 1.0


def test_pri_over_two_ground_truths_is_the_mean():
    seg, g1, g2 = blob_map(seed=1, n=7), blob_map(seed=2, n=4), blob_map(seed=3, n=5)
    both = M.label_scores(seg, [g1, g2])
    one, two = M.label_scores(seg, g1), M.label_scores(seg, [g2])
    for k in both:
        assert both[k] == pytest.approx((one[k] + two[k]) / 2)
    assert both["pri"] == pytest.approx((rand_score(g1.ravel(), seg.ravel()) + rand_score(g2.ravel(), seg.ravel())) / 2)


def test_large_values_and_the_sparse_table_path(monkeypatch):
    seg, gt = blob_map(seed=4, n=6), blob_map(seed=5, n=5)
    expected = M.label_scores(seg, gt)
    huge = (seg.astype(np.int64) + 1) * 10**9  # too large a dense table: sklearn's sparse contingency_matrix
    assert M.label_scores(huge, gt * 10**8) == pytest.approx(expected, abs=1e-12)
    monkeypatch.setattr(M, "_MAX_DENSE_TABLE", 1)
    assert M.label_scores(seg, gt) == pytest.approx(expected, abs=1e-12)
    mask, chosen = M.majority_foreground(huge, gt == 0)
    assert all(v % 10**9 == 0 for v in chosen) and mask.any()


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        M.label_scores(-np.ones((3, 3), int), np.zeros((3, 3), int))
    with pytest.raises(ValueError, match="non-negative integers"):
        M.majority_foreground(np.zeros((3, 3)), np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="at least one"):
        M.label_scores(np.zeros((3, 3), int), [])


# --------------------------------------------------------------------------- instances


SHAPE = (64, 96)


def _objects():
    a = disk_mask(SHAPE, 20, 20, 10)
    b = np.zeros(SHAPE, bool)
    b[35:55, 55:85] = True
    gt = np.zeros(SHAPE, np.int32)
    gt[a] = 1
    gt[b] = 2
    return a, b, gt


def test_perfect_detection_scores_one():
    a, b, gt = _objects()
    seg = maskrcnn_seg([a, b], ["circle", "square"], [0.9, 0.8], SHAPE)
    s = M.instance_scores(seg, gt)
    assert s["ap"] == pytest.approx(1.0) and s["ap50"] == pytest.approx(1.0)
    assert s["precision50"] == 1.0 and s["recall50"] == 1.0 and s["mean_matched_iou"] == 1.0
    assert sorted((m["gt"], m["pred"], m["class"]) for m in s["matches"]) == [(1, 1, "circle"), (2, 2, "square")]
    cats = M.instance_scores(seg, gt, {1: "circle", 2: "square"})
    assert cats["ap"] == pytest.approx(1.0) and len(cats["matches"]) == 2


def test_one_of_two_objects_found():
    _, b, gt = _objects()
    seg = maskrcnn_seg([b], ["square"], [0.9], SHAPE)
    s = M.instance_scores(seg, gt)
    assert s["recall50"] == 0.5 and s["precision50"] == 1.0
    # COCO: precision 1 up to recall 0.5, none beyond: 51 of its 101 recall points
    assert s["ap50"] == pytest.approx(51 / 101) and s["ap"] == pytest.approx(51 / 101)


def test_a_false_positive_lowers_precision():
    a, b, gt = _objects()
    fp = disk_mask(SHAPE, 50, 15, 6)
    low = M.instance_scores(maskrcnn_seg([a, b, fp], ["c", "s", "c"], [0.9, 0.8, 0.3], SHAPE), gt)
    assert low["precision50"] == pytest.approx(2 / 3) and low["recall50"] == 1.0
    assert low["ap50"] == pytest.approx(1.0)  # ranked after every true detection: AP untouched
    high = M.instance_scores(maskrcnn_seg([a, b, fp], ["c", "s", "c"], [0.5, 0.4, 0.95], SHAPE), gt)
    assert high["precision50"] == pytest.approx(2 / 3)
    assert high["ap50"] == pytest.approx(2 / 3)  # best score is wrong: precision 2/3 at every recall


def test_partial_overlap_iou_and_threshold():
    a, b, gt = _objects()
    b_half = np.zeros(SHAPE, bool)
    b_half[35:55, 55:70] = True  # IoU 0.5 with b: matched at the threshold
    b_less = np.zeros(SHAPE, bool)
    b_less[35:55, 55:68] = True  # IoU 13/30 < 0.5
    s = M.instance_scores(maskrcnn_seg([a, b_half], ["c", "s"], [0.9, 0.8], SHAPE), gt)
    assert s["recall50"] == 1.0 and s["mean_matched_iou"] == pytest.approx((1.0 + 0.5) / 2)
    t = M.instance_scores(maskrcnn_seg([a, b_less], ["c", "s"], [0.9, 0.8], SHAPE), gt)
    assert t["recall50"] == 0.5 and t["precision50"] == 0.5 and t["mean_matched_iou"] == 1.0
    assert t["ap50"] == pytest.approx(51 / 101)


def test_categories_decide_matches_and_ap():
    a, b, gt = _objects()
    seg = maskrcnn_seg([a, b], ["circle", "circle"], [0.9, 0.8], SHAPE)  # b's class is wrong
    without = M.instance_scores(seg, gt)
    assert without["ap50"] == pytest.approx(1.0) and without["recall50"] == 1.0
    with_cats = M.instance_scores(seg, gt, {1: "Circle", 2: "square"})  # names match case-insensitively
    assert with_cats["recall50"] == 0.5 and with_cats["precision50"] == 0.5
    assert with_cats["matches"] == [{"gt": 1, "pred": 1, "iou": 1.0, "class": "circle", "gt_class": "circle"}]
    # circles: AP 1; squares (unknown to this model): AP 0 -> mean 0.5
    assert with_cats["ap50"] == pytest.approx(0.5)


def test_no_objects_and_no_detections():
    a, b, gt = _objects()
    nothing = maskrcnn_seg([], [], [], SHAPE)
    s = M.instance_scores(nothing, gt)
    assert (s["ap"], s["ap50"], s["precision50"], s["recall50"]) == (0.0, 0.0, 0.0, 0.0)
    assert math.isnan(s["mean_matched_iou"]) and s["matches"] == []
    e = M.instance_scores(maskrcnn_seg([a], ["c"], [0.9], SHAPE), np.zeros(SHAPE, np.int32))
    assert math.isnan(e["ap"]) and math.isnan(e["ap50"]) and math.isnan(e["recall50"])
    assert e["precision50"] == 0.0
    with pytest.raises(ValueError, match="instances"):
        M.instance_scores(seg_of(gt), gt)


def test_ground_truth_objects_are_pycocotools_rles():
    _, _, gt = _objects()
    gt = np.where(gt == 2, 7, gt)
    values, rles = M._gt_instances(gt)
    assert values == [1, 7]
    assert [r["counts"] for r in rles] == [mask_utils.encode(np.asfortranarray(gt == v, np.uint8))["counts"] for v in values]


def test_ap_is_cocoeval_on_the_same_annotations():
    """AP and AP50 are COCOeval's stats[0] and stats[1] for the image (checked against a hand-made COCO pair)."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    _, b, gt = _objects()
    c = disk_mask(SHAPE, 22, 24, 9)  # overlaps object 1 (the disk at 20, 20): IoU between 0.5 and 0.95
    seg = maskrcnn_seg([c, b, disk_mask(SHAPE, 50, 15, 6)], ["o", "o", "o"], [0.9, 0.6, 0.7], SHAPE)
    s = M.instance_scores(seg, gt)
    anns = [
        {"id": i + 1, "image_id": 1, "category_id": 1, "segmentation": r, "area": float(mask_utils.area(r)),
         "bbox": list(mask_utils.toBbox(r)), "iscrowd": 0}
        for i, r in enumerate(mask_utils.encode(np.asfortranarray(np.stack([gt == 1, gt == 2], 2), np.uint8)))
    ]  # fmt: skip
    dets = [
        {"image_id": 1, "category_id": 1, "segmentation": mask_utils.encode(np.asfortranarray(m, np.uint8)),
         "score": sc}
        for m, sc in ((c, 0.9), (b, 0.6), (disk_mask(SHAPE, 50, 15, 6), 0.7))
    ]  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": [{"id": 1, "height": SHAPE[0], "width": SHAPE[1]}], "annotations": anns,
                        "categories": [{"id": 1, "name": "o"}]}  # fmt: skip
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(dets), "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert (s["ap"], s["ap50"]) == (ev.stats[0], ev.stats[1])
    assert 0 < s["ap"] < s["ap50"] < 1


def test_instance_values_need_not_be_consecutive():
    a, b, gt = _objects()
    seg = maskrcnn_seg([a, b], ["c", "s"], [0.9, 0.8], SHAPE)
    sparse = np.where(gt == 2, 7, gt)
    s = M.instance_scores(seg, sparse)
    assert s["ap"] == pytest.approx(1.0) and {m["gt"] for m in s["matches"]} == {1, 7}


def test_detections_to_segmentation_result():
    torch = pytest.importorskip("torch")
    from segcore.methods.maskrcnn.model import detections_to_segmentation

    a, b, gt = _objects()
    fp = disk_mask(SHAPE, 50, 15, 6)
    masks = torch.tensor(np.stack([a, b, fp])[:, None].astype(np.float32))
    outputs = {
        "boxes": torch.tensor([[10.0, 10, 31, 31], [55, 35, 85, 55], [9, 44, 22, 57]]),
        "labels": torch.tensor([1, 2, 1]),
        "scores": torch.tensor([0.9, 0.8, 0.7]),
        "masks": masks,
    }
    seg = detections_to_segmentation(outputs, image_shape=SHAPE, categories=["background", "circle", "square"])
    s = M.instance_scores(seg, gt, {1: "circle", 2: "square"})
    assert s["recall50"] == 1.0 and s["precision50"] == pytest.approx(2 / 3)
    assert s["ap"] == pytest.approx(1.0)
    assert {(m["gt"], m["class"]) for m in s["matches"]} == {(1, "circle"), (2, "square")}
    assert np.array_equal(M.natural_foreground(seg), seg.labels > 0)


# --------------------------------------------------------------------------- natural foreground


def test_natural_foreground_by_family():
    from segcore.registry import run_method

    rng = np.random.default_rng(0)
    image = (rng.random((24, 32, 3)) * 255).astype(np.uint8)
    otsu = run_method("otsu", image)
    assert np.array_equal(M.natural_foreground(otsu), otsu.labels == 1)
    assert M.natural_foreground(run_method("multiotsu", image, classes=3)) is None
    assert M.natural_foreground(run_method("kmeans", image)) is None
    assert M.natural_foreground(seg_of(np.zeros((4, 4)), method="not_registered")) is None
    a, b, gt = _objects()
    mr = maskrcnn_seg([a, b], ["c", "s"], [0.9, 0.8], SHAPE)
    assert np.array_equal(M.natural_foreground(mr), a | b)


# --------------------------------------------------------------------------- score()


def test_score_binary_row():
    gt = disk_mask((40, 60), 20, 30, 12).astype(np.int32)
    otsu_like = seg_of(np.roll(gt, 1, axis=0), method="otsu")
    row = M.score(otsu_like, GT("binary", (gt,)), tolerance=1)
    assert list(row) == list(M.COLUMNS)
    assert all(isinstance(v, float) for v in row.values())
    assert row["boundary_f1"] == 1.0 and row["iou"] < 1.0
    assert row["oracle"] == 0.0  # otsu: label 1 is its own foreground
    assert all(math.isnan(row[k]) for k in ("voi", "pri", "ari", "are", "ap", "recall50"))
    details = M.score_details(otsu_like, GT("binary", (gt,)))
    assert details["foreground_labels"] == "" and details["matches"] == []
    # the same map from a method with no foreground of its own (k-means): the ground truth picks label 1
    picked = M.score_details(seg_of(otsu_like.labels, method="kmeans"), GT("binary", (gt,)))
    assert picked["scores"]["oracle"] == 1.0 and picked["foreground_labels"] == "1"
    assert picked["scores"]["iou"] == row["iou"]


def test_score_labels_row():
    seg, g1, g2 = blob_map(seed=1, n=7), blob_map(seed=2, n=4), blob_map(seed=3, n=5)
    row = M.score(seg_of(seg), GT("labels", (g1, g2)))
    expected = M.label_scores(seg, [g1, g2])
    assert {k: row[k] for k in expected} == pytest.approx(expected)
    assert all(math.isnan(row[k]) for k in ("iou", "boundary_f1", "oracle", "ap", "mean_matched_iou"))


def test_score_instances_row():
    a, b, gt = _objects()
    seg = maskrcnn_seg([a, b], ["circle", "square"], [0.9, 0.8], SHAPE)
    row = M.score(seg, GT("instances", (gt,), {1: "circle", 2: "square"}))
    assert row["ap"] == pytest.approx(1.0) and row["recall50"] == 1.0
    assert row["voi"] == pytest.approx(0.0, abs=1e-12) and row["ari"] == 1.0
    assert row["iou"] == 1.0 and row["oracle"] == 0.0  # every instance: Mask R-CNN's own foreground
    # a result without instances gets the partition and binary columns only
    plain = M.score(seg_of(gt), GT("instances", (gt,)))
    assert plain["pri"] == 1.0 and plain["iou"] == 1.0 and plain["oracle"] == 1.0
    assert math.isnan(plain["ap"]) and math.isnan(plain["precision50"])
    assert M.score_details(seg, GT("instances", (gt,)))["matches"]


def test_score_refuses_a_shape_mismatch_and_unknown_kinds():
    seg = seg_of(np.zeros((30, 40), np.int32))
    with pytest.raises(ValueError, match=r"the ground truth is 50 x 20 px, the result 40 x 30 px"):
        M.score(seg, GT("binary", (np.zeros((20, 50), np.int32),)))
    with pytest.raises(ValueError, match="kind"):
        M.score(seg, GT("polygons", (np.zeros((30, 40), np.int32),)))


def test_score_with_the_real_ground_truth_type():
    gtmod = pytest.importorskip("segcore.io.ground_truth")
    gt_map = disk_mask((30, 40), 15, 20, 8).astype(np.int32)
    gt = gtmod.GroundTruth(kind="binary", maps=(gt_map,))
    row = M.score(seg_of(gt_map, method="otsu"), gt)
    assert row["iou"] == 1.0 and row["oracle"] == 0.0 and math.isnan(row["voi"])
    a, b, inst = _objects()
    gt = gtmod.GroundTruth(kind="instances", maps=(inst,), categories={1: "circle", 2: "square"})
    row = M.score(maskrcnn_seg([a, b], ["circle", "square"], [0.9, 0.8], SHAPE), gt)
    assert row["ap"] == pytest.approx(1.0) and row["pri"] == 1.0 and row["iou"] == 1.0 and row["oracle"] == 0.0


# --------------------------------------------------------------------------- which result is best


def _ranked(segs: dict, gt) -> list[dict]:
    """One row per result as the compare page ranks them: its scores, label count and method."""
    return [{"method": name, "n_labels": seg.n_labels, **M.score(seg, gt)} for name, seg in segs.items()]


def test_many_superpixels_picked_by_the_truth_do_not_beat_a_threshold_that_found_the_object():
    """The horse photo: Quickshift 'won' IoU through the union of its 85 superpixels that best fit the truth."""
    from segcore.scoring.ranking import BINARY_KEYS, best_rows

    gt = disk_mask((80, 80), 40, 40, 22)
    blocks = (np.arange(80)[:, None] // 4) * 20 + np.arange(80)[None, :] // 4  # 400 superpixels of 4 x 4
    found = np.roll(gt, 2, axis=1).astype(np.int32)  # a threshold's label 1, two pixels off
    rows = _ranked({"quickshift": seg_of(blocks, "quickshift"), "otsu": seg_of(found, "otsu")}, GT("binary", (gt,)))
    quickshift, otsu = rows
    assert quickshift["iou"] > otsu["iou"] > 0.8  # the oracle fit of 400 labels is the higher number...
    assert (quickshift["oracle"], otsu["oracle"]) == (1.0, 0.0)
    for key in BINARY_KEYS:
        assert best_rows(key, rows) == [1], key  # ...and the threshold's own foreground is the best
    assert best_rows("iou", rows[:1]) == []  # oracle scores alone: no best at all


def test_a_two_label_map_does_not_win_voi_against_a_multi_region_map():
    """The Berkeley photo: Triangle's 2-label map had the 'best' VoI against a multi-region human segmentation."""
    from segcore.scoring.ranking import best_rows, label_count_fits, region_range

    gt = np.zeros((60, 100), np.int32)  # a background and five objects
    near_miss = np.zeros_like(gt)  # each object found, one pixel off each way
    for k in range(5):
        gt[20:36, 4 + 19 * k : 20 + 19 * k] = k + 1
        near_miss[21:37, 5 + 19 * k : 21 + 19 * k] = k + 1
    segs = {"triangle": seg_of(gt > 0, "triangle"), "felzenszwalb": seg_of(near_miss, "felzenszwalb")}
    rows = _ranked(segs, GT("labels", (gt,)))
    assert rows[0]["voi"] < rows[1]["voi"]  # VoI alone prefers merging the five objects into one
    regions = region_range([gt])
    assert regions == (3.0, 12)
    assert not label_count_fits(2, regions) and label_count_fits(6, regions)
    for key in ("voi", "pri", "ari", "are"):
        assert best_rows(key, rows, regions) == [1], key
    assert best_rows("voi", rows) == [0]  # without the label-count rule: the 2-label map
    # several ground truths: from half the fewest regions to twice the most
    assert region_range([gt, gt > 0]) == (1.0, 12)
