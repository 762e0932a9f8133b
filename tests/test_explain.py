"""The explainer's four answers derived from Mask R-CNN, and the explainer page with and without COCO weights.

Offline: the real results come from the small shapes model shipped in
assets/models/shapes_maskrcnn.pt, on held-out synthetic pictures (seeds 200000+).
There are no COCO weights here, so the page's "weights available" path is
tested by pointing what the page runs (segcore.explain) at the shapes model.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import encode
from streamlit.testing.v1 import AppTest

from segcore import explain
from segcore.explain import class_color, task_views, task_views_from_instances
from segcore.io.coco import decode_rle, encode_mask
from segcore.methods.maskrcnn.instances import instances_to_segmentation
from segcore.methods.maskrcnn.shapes import SHAPES_CATEGORIES, make_sample

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SHAPES_SETTINGS = {"variant": "shapes", "score_threshold": 0.5, "mask_threshold": 0.5, "max_instances": 100,
                   "min_size": 128}
PAGE_SEED = 200_010  # three classes, overlapping masks, best scores that differ


@pytest.fixture(scope="module")
def shapes_result():
    """The shapes model's result on a held-out picture, by seed (one model load for the module)."""
    pytest.importorskip("torch")
    from segcore.methods.maskrcnn import maskrcnn

    cache: dict[int, object] = {}

    def run(seed: int):
        if seed not in cache:
            rgb, _, _ = make_sample(seed)
            cache[seed] = maskrcnn(rgb, **SHAPES_SETTINGS, device="cpu")
        return cache[seed]

    return run


def _check_against_instances(seg) -> None:
    """The four answers against the result's own instances and label map."""
    views = task_views_from_instances(seg)
    instances = seg.extras["instances"]
    assert instances, "the check needs at least one detection"

    # classification: the classes present, each with the max score of its instances, best first
    best: dict[str, float] = {}
    for inst in instances:
        best[inst["class"]] = max(best.get(inst["class"], 0.0), inst["score"])
    assert set(views.classes_present) == set(best)
    assert views.class_scores == [best[c] for c in views.classes_present]
    assert views.class_scores == sorted(views.class_scores, reverse=True)

    # detection: the instances' own boxes, tagged "class score", coloured as the instance map
    assert [list(b) for b in views.boxes] == [inst["box"] for inst in instances]
    assert views.box_classes == [inst["class"] for inst in instances]
    assert views.box_texts == [f"{inst['class']} {inst['score']:.2f}" for inst in instances]
    colors = seg.colors()
    assert len(views.box_colors) == len(instances)
    for inst, color in zip(instances, views.box_colors):
        if inst["visible_area"]:
            assert color == colors[inst["id"]]

    # semantic: one label per class; its pixels are the union of that class's instance pixels
    sem = views.semantic.labels
    assert sem.shape == seg.labels.shape
    legend = {lab.value: lab for lab in views.semantic.legend}
    for inst in instances:
        c = inst["category_id"]
        assert legend[c].name == inst["class"] and legend[c].color == class_color(c)
    for c in {inst["category_id"] for inst in instances}:
        ids = [inst["id"] for inst in instances if inst["category_id"] == c]
        union_visible = np.isin(seg.labels, ids)
        assert np.array_equal(sem == c, union_visible)
        own_masks = np.any([decode_rle(seg.extras["masks"][i - 1]) for i in ids], axis=0)
        assert not (union_visible & ~own_masks).any()  # never outside the class's own masks
    assert np.array_equal(sem == 0, seg.labels == 0) and legend[0].name == "background"
    assert set(legend) == {0, *(inst["category_id"] for inst in instances)}

    # instance: the result's label map and legend
    assert np.array_equal(views.instance.labels, seg.labels)
    assert views.instance.legend == seg.legend

    assert set(views.derivation) == {"classification", "detection", "semantic", "instance"}
    assert "above 0.5" in views.derivation["classification"]
    assert "no image-level classifier" in views.derivation["classification"]


@pytest.mark.parametrize("seed", [200_001, PAGE_SEED])
def test_four_answers_from_a_real_mask_rcnn_result(shapes_result, seed):
    seg = shapes_result(seed)
    _check_against_instances(seg)
    if seed == PAGE_SEED:  # several classes, overlapping masks: the ordering and the union are exercised
        assert len(task_views_from_instances(seg).classes_present) >= 2
        assert any(i["mask_area"] > i["visible_area"] for i in seg.extras["instances"])


def test_four_answers_from_hand_made_instances():
    """Overlaps, a fully hidden instance, and two classes whose best scores tie-break by name."""
    h, w = 40, 60
    masks = np.zeros((4, h, w), bool)
    masks[0, 5:25, 5:25] = True  # dog 0.9
    masks[1, 15:35, 15:40] = True  # cat 0.9, under the dog where they overlap
    masks[2, 20:30, 20:30] = True  # dog 0.7, hidden by the two better ones
    masks[3, 0:10, 45:58] = True  # cat 0.6
    classes = [("dog", 18, 0.9), ("cat", 17, 0.9), ("dog", 18, 0.7), ("cat", 17, 0.6)]
    labels = np.zeros((h, w), np.int32)
    for k in range(len(masks) - 1, -1, -1):  # better scores paint over worse ones
        labels[masks[k]] = k + 1
    instances = [
        {"id": k + 1, "class": c, "category_id": cid, "score": s, "box": [float(v) for v in explain.mask_box(masks[k])],
         "mask_area": int(masks[k].sum()), "mask_share": 100.0 * masks[k].sum() / (h * w)}
        for k, (c, cid, s) in enumerate(classes)
    ]
    rles = [encode_mask(m) for m in masks]
    seg = instances_to_segmentation(labels, instances, rles, method="maskrcnn",
                                    params={"score_threshold": 0.5, "mask_threshold": 0.5})
    views = task_views_from_instances(seg)
    assert views.classes_present == ["cat", "dog"] and views.class_scores == [0.9, 0.9]
    assert len(views.boxes) == 4 and len(views.box_colors) == 4  # the hidden one keeps its box
    assert views.box_colors[2] == tuple(int(v) for v in explain.label_colors(5)[3])
    assert np.array_equal(views.semantic.labels == 18, np.isin(labels, [1, 3]))
    assert np.array_equal(views.semantic.labels == 17, np.isin(labels, [2, 4]))
    assert not (views.semantic.labels == 17)[masks[0]].any()  # the dog owns the overlap


def test_no_detection_gives_empty_answers():
    labels = np.zeros((8, 8), np.int32)
    seg = instances_to_segmentation(labels, [], [], method="maskrcnn", params={"score_threshold": 0.5})
    views = task_views_from_instances(seg)
    assert views.classes_present == [] and views.class_scores == [] and views.boxes == []
    assert [lab.value for lab in views.semantic.legend] == [0]
    assert "0 detections" in views.derivation["detection"]


def test_known_objects_keep_their_answers():
    rgb, masks, labels = make_sample(7, size=160, n_min=3, n_max=3)
    views = task_views(masks, labels, ["background", *SHAPES_CATEGORIES[1:]])
    assert views.class_scores is None and views.box_scores is None and views.derivation == {}
    assert views.box_texts == views.box_classes and len(views.box_colors) == len(views.boxes)


# --------------------------------------------------------------------------- the page


def explainer(upload: bytes | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    if upload is not None:
        at.sidebar.file_uploader[0].upload("shapes.png", upload, "image/png")
        at.run()
    at.switch_page("pages/explainer.py").run()
    assert not at.exception, at.exception
    return at


PANELS = ["Image classification", "Object detection", "Semantic segmentation", "Instance segmentation"]


def test_without_weights_the_page_says_why_in_one_line(offline, tmp_path):
    at = explainer()
    assert explain.coco_weights_missing() is not None
    assert [i.value for i in at.info] == [
        "COCO weights for Mask R-CNN are not on this machine, so the four answers are shown on a synthetic "
        "picture; see the Mask R-CNN page to get them."]
    assert [h.value for h in at.subheader] == PANELS  # the synthetic picture only
    assert not [h.value for h in at.main.header]
    assert not [p for p in (tmp_path / "torch").rglob("*") if p.is_file()]  # no download was started


def test_with_weights_the_four_answers_on_the_sidebar_image(offline, monkeypatch, shapes_result):
    monkeypatch.setattr(explain, "coco_weights_missing", lambda: None)
    monkeypatch.setattr(explain, "COCO_SETTINGS", dict(SHAPES_SETTINGS))
    rgb, _, _ = make_sample(PAGE_SEED)
    at = explainer(encode(rgb))
    assert not at.info
    assert [h.value for h in at.main.header] == ["On your image"]
    assert [h.value for h in at.subheader] == PANELS + PANELS
    captions = [c.value for c in at.caption]
    for key, start in [("classification", "Classification:"), ("detection", "Detection:"),
                       ("semantic", "Semantic segmentation:"), ("instance", "Instance segmentation:")]:
        assert any(c.startswith(start) for c in captions), key
    assert any("no image-level classifier" in c for c in captions)

    expected = task_views_from_instances(shapes_result(PAGE_SEED))
    text = "\n".join(m.value for m in at.markdown)
    listed = re.findall(r"^- (\w[\w ]*): best score (\d\.\d\d)$", text, flags=re.M)
    assert [name for name, _ in listed] == expected.classes_present
    assert [float(s) for _, s in listed] == [round(s, 2) for s in expected.class_scores]
    assert f"{len(expected.boxes)} boxes" in text and f"{len(expected.boxes)} instances" in text
