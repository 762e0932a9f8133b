"""Mask R-CNN engine: post-processing on controlled detections, COCO output, and a real forward pass.

Post-processing is fed hand-made detections (boxes, labels, scores, masks as
torchvision returns them), so every rule -- score threshold, class filter,
instance limit, overlaps, category ids -- is checked against known answers.
The end-to-end test runs torchvision's real v1 architecture with random
weights (no download): its detections are meaningless, their format is not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from segcore.io import coco
from segcore.methods.maskrcnn import model as M
from segcore.methods.maskrcnn import weights as W

ROOT = Path(__file__).resolve().parents[1]
H, W_ = 40, 60
PERSON, DOG, CAR = 1, 18, 3  # COCO category ids == torchvision label indices


@pytest.fixture(scope="module")
def cats():
    return W.categories("v1")


def _rect(y0, y1, x0, x1, p=0.9):
    m = torch.zeros(1, H, W_)
    m[0, y0:y1, x0:x1] = p
    return m


def _outputs(dets):
    """dets: list of (label, score, (y0, y1, x0, x1)) -> torchvision-style output dict."""
    boxes = torch.tensor([[x0, y0, x1 - 1, y1 - 1] for _, _, (y0, y1, x0, x1) in dets], dtype=torch.float32)
    return {
        "boxes": boxes.reshape(-1, 4),
        "labels": torch.tensor([d[0] for d in dets], dtype=torch.int64),
        "scores": torch.tensor([d[1] for d in dets], dtype=torch.float32),
        "masks": torch.stack([_rect(*d[2]) for d in dets]) if dets else torch.zeros(0, 1, H, W_),
    }


def _seg(dets, cats, **kw):
    return M.detections_to_segmentation(_outputs(dets), image_shape=(H, W_), categories=cats, **kw)


DETS = [
    (PERSON, 0.70, (0, 20, 0, 20)),
    (DOG, 0.95, (10, 30, 10, 30)),  # overlaps the person in [10:20, 10:20]
    (CAR, 0.30, (30, 40, 40, 60)),
    (DOG, 0.60, (0, 10, 40, 50)),
]


def test_categories_are_coco_ids(cats):
    assert len(cats) == 91 and cats[0] == "__background__"
    known = {
        1: "person",
        3: "car",
        13: "stop sign",
        18: "dog",
        44: "bottle",
        62: "chair",
        67: "dining table",
        70: "toilet",
        90: "toothbrush",
    }
    assert {i: cats[i] for i in known} == known
    assert cats[12] == cats[26] == cats[83] == "N/A"  # ids COCO leaves unused
    from segcore.methods.maskrcnn import class_names

    assert len(class_names("v1")) == 80 and "N/A" not in class_names("v1")


def test_score_threshold_and_order(cats):
    seg = _seg(DETS, cats, score_threshold=0.5)
    inst = seg.extras["instances"]
    assert [(i["id"], i["class"], round(i["score"], 2)) for i in inst] == [
        (1, "dog", 0.95),
        (2, "person", 0.7),
        (3, "dog", 0.6),
    ]
    assert 4 not in np.unique(seg.labels) and seg.labels.dtype == np.int32
    assert [lab.name for lab in seg.legend] == ["background", "dog 0.95", "person 0.70", "dog 0.60"]
    assert seg.extras["class_counts"] == {"dog": 2, "person": 1}


def test_overlap_goes_to_the_higher_score(cats):
    seg = _seg(DETS, cats, score_threshold=0.5)
    assert (seg.labels[10:30, 10:30] == 1).all()  # the dog (0.95) owns all of its mask
    assert (seg.labels[0:10, 0:20] == 2).all() and (seg.labels[10:20, 0:10] == 2).all()
    person = seg.extras["instances"][1]
    assert person["mask_area"] == 400 and person["visible_area"] == 400 - 100
    assert person["mask_share"] == pytest.approx(100 * 400 / (H * W_))
    assert person["box"] == [0.0, 0.0, 19.0, 19.0]


def test_semantic_map_uses_category_ids(cats):
    seg = _seg(DETS, cats, score_threshold=0.0)
    sem = seg.extras["semantic"]
    assert sem.dtype == np.int32 and sem.shape == (H, W_)
    assert sem[20, 20] == DOG and sem[5, 5] == PERSON and sem[35, 50] == CAR and sem[39, 0] == 0
    assert seg.extras["semantic_names"] == {0: "background", PERSON: "person", CAR: "car", DOG: "dog"}
    assert [i["category_id"] for i in seg.extras["instances"]] == [DOG, PERSON, DOG, CAR]


def test_class_filter_then_max_instances(cats):
    seg = _seg(DETS, cats, score_threshold=0.0, classes=["dog"], max_instances=1)
    assert [(i["class"], i["score"]) for i in seg.extras["instances"]] == [("dog", pytest.approx(0.95))]
    # the limit counts after the filter: the best car survives although three instances beat it
    seg = _seg(DETS, cats, score_threshold=0.0, classes=["car", "person"], max_instances=1)
    assert [i["class"] for i in seg.extras["instances"]] == ["person"]
    seg = _seg(DETS, cats, score_threshold=0.0, classes="car", max_instances=1)  # one name as a string
    assert [i["class"] for i in seg.extras["instances"]] == ["car"]
    with pytest.raises(ValueError, match="unknown class name"):
        _seg(DETS, cats, classes=["unicorn"])


def test_max_instances_keeps_the_best(cats):
    seg = _seg(DETS, cats, score_threshold=0.0, max_instances=2)
    assert [i["score"] for i in seg.extras["instances"]] == pytest.approx([0.95, 0.70])


def test_mask_threshold(cats):
    out = _outputs([(PERSON, 0.9, (0, 10, 0, 10))])
    out["masks"][0, 0, 0:10, 0:5] = 0.4
    assert _seg_from(out, cats, mask_threshold=0.5).extras["instances"][0]["mask_area"] == 50
    assert _seg_from(out, cats, mask_threshold=0.3).extras["instances"][0]["mask_area"] == 100


def _seg_from(out, cats, **kw):
    return M.detections_to_segmentation(out, image_shape=(H, W_), categories=cats, **kw)


def test_no_detections(cats):
    seg = _seg([], cats)
    assert (seg.labels == 0).all() and seg.extras["instances"] == [] and seg.extras["class_counts"] == {}
    assert coco.to_coco_results(seg) == []


def test_patch_paste_equals_torchvision_full_paste():
    from torchvision.models.detection.roi_heads import paste_masks_in_image

    g = torch.Generator().manual_seed(0)
    probs = torch.rand(5, 1, 28, 28, generator=g)
    boxes = torch.tensor(
        [[5, 5, 30, 20], [0, 0, 59, 39], [-10, -5, 12, 8], [50, 30, 75, 52], [20.4, 7.7, 21.2, 8.1]],
        dtype=torch.float32,
    )
    full = paste_masks_in_image(probs, boxes, (H, W_))[:, 0]
    for i in range(len(boxes)):
        mine = torch.zeros(H, W_)
        patch, (y0, y1, x0, x1) = M.paste_mask_patch(probs[i], boxes[i], (H, W_))
        mine[y0:y1, x0:x1] = patch
        assert torch.equal(mine, full[i]), i
    # a box off the image (torchvision clips boxes first; its paste would fail) gives an empty patch
    patch, where = M.paste_mask_patch(probs[0], torch.tensor([70.0, 50, 90, 60]), (H, W_))
    assert patch.numel() == 0 and where == (0, 0, 0, 0)


def test_low_resolution_masks_give_the_same_result_as_pasted_ones(cats):
    g = torch.Generator().manual_seed(1)
    probs = torch.rand(3, 1, 28, 28, generator=g)
    boxes = torch.tensor([[2, 3, 30, 25], [10, 10, 55, 38], [0, 20, 20, 39]], dtype=torch.float32)
    from torchvision.models.detection.roi_heads import paste_masks_in_image

    base = {"boxes": boxes, "labels": torch.tensor([1, 18, 3]), "scores": torch.tensor([0.9, 0.8, 0.7])}
    low = _seg_from({**base, "mask_probs": probs}, cats, score_threshold=0.0)
    full = _seg_from({**base, "masks": paste_masks_in_image(probs, boxes, (H, W_))}, cats, score_threshold=0.0)
    assert np.array_equal(low.labels, full.labels)
    assert low.extras["masks"] == full.extras["masks"]


def test_rle_round_trip(cats):
    out = _outputs(DETS)
    seg = _seg_from(out, cats, score_threshold=0.0)
    order = np.argsort(-out["scores"].numpy(), kind="stable")
    for inst, rle, i in zip(seg.extras["instances"], seg.extras["masks"], order):
        mask = coco.decode_rle(rle)
        assert mask.dtype == bool and mask.shape == (H, W_)
        assert np.array_equal(mask, (out["masks"][i, 0] > 0.5).numpy())
        assert mask.sum() == inst["mask_area"]
    m = np.random.default_rng(0).random((17, 23)) > 0.5
    assert np.array_equal(coco.decode_rle(coco.encode_mask(m)), m)
    assert np.array_equal(coco.decode_rle(json.loads(json.dumps(coco.encode_mask(m)))), m)


def test_coco_results_fields_and_bbox_format(cats):
    seg = _seg(DETS, cats, score_threshold=0.5)
    results = coco.to_coco_results(seg, image_id=7)
    assert len(results) == 3
    first = results[0]
    assert set(first) == {"image_id", "category_id", "bbox", "score", "segmentation"}
    assert first["image_id"] == 7 and first["category_id"] == DOG and first["score"] == pytest.approx(0.95)
    assert first["bbox"] == [10.0, 10.0, 19.0, 19.0]  # x, y, w, h of box [10, 10, 29, 29]
    assert all(isinstance(v, float) for v in first["bbox"])
    assert first["segmentation"]["size"] == [H, W_] and isinstance(first["segmentation"]["counts"], str)
    text = coco.coco_json(seg, image_id=7)
    back = coco.from_coco_results(text)
    assert [r["category_id"] for r in back] == [DOG, PERSON, DOG]
    for r, inst in zip(back, seg.extras["instances"]):
        assert r["box"] == pytest.approx(inst["box"])
        assert r["mask"].sum() == inst["mask_area"]
    from pycocotools import mask as mask_utils

    assert mask_utils.area({**first["segmentation"], "counts": first["segmentation"]["counts"].encode()}) == 400


def test_import_does_not_import_torch():
    code = (
        "import segcore, segcore.registry as r; r.list_methods(); import sys; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "assert 'torchvision' not in sys.modules; "
        "assert r.get_method('maskrcnn').family == 'maskrcnn'"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_registered_signature():
    from segcore.registry import get_method

    spec = get_method("maskrcnn")
    assert spec.title == "Mask R-CNN"
    assert spec.defaults == {
        "variant": "v1",
        "score_threshold": 0.5,
        "mask_threshold": 0.5,
        "max_instances": 100,
        "min_size": 800,  # the COCO models' (torchvision's); the shapes model always runs at 128, its training size
        "classes": (),
        "device": "auto",
    }


def test_pick_device():
    assert M.pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert M.pick_device("cpu") == "cpu"
    with pytest.raises(ValueError):
        M.pick_device("tpu")


# --- a real forward pass ------------------------------------------------------------------


@pytest.fixture(scope="module")
def random_v1():
    torch.manual_seed(0)
    return M.build_model("v1").eval()


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(3).integers(0, 256, (96, 128, 3), dtype=np.uint8)


def test_predict_end_to_end(random_v1, image):
    seg = M.predict(random_v1, image, score_threshold=0.0, max_instances=5, min_size=128)
    assert seg.method == "maskrcnn"
    assert seg.labels.shape == image.shape[:2] and seg.labels.dtype == np.int32
    ex = seg.extras
    assert {
        "instances",
        "masks",
        "semantic",
        "semantic_names",
        "class_counts",
        "device",
        "variant",
        "inference_s",
    } <= set(ex)
    assert 1 <= len(ex["instances"]) <= 5 and len(ex["masks"]) == len(ex["instances"])
    scores = [i["score"] for i in ex["instances"]]
    assert scores == sorted(scores, reverse=True)
    assert set(np.unique(seg.labels)) <= set(range(len(scores) + 1))
    assert ex["variant"] == "v1" and ex["device"] == "cpu" and ex["inference_s"] > 0
    assert seg.params["min_size"] == 128 and seg.elapsed_s >= ex["inference_s"]
    # the shared model's own settings are restored
    assert random_v1.roi_heads.score_thresh == 0.05 and random_v1.roi_heads.detections_per_img == 100
    assert random_v1.transform.min_size == (800,) and random_v1.roi_heads.segcore_keep is None


def test_folded_channels_last_model_computes_what_the_plain_one_does(image, tmp_path, monkeypatch):
    """load_model folds 53 batch norms into their convolutions and stores weights channels-last:
    same features, same proposals, same detections as torchvision's model as built."""
    torch.manual_seed(1)
    plain = M.build_model("v1")
    for mod in plain.modules():  # batch norms that do something, unlike a fresh init's
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 2.0)
    path = tmp_path / "v1.pth"
    torch.save(plain.state_dict(), path)
    monkeypatch.setenv(W.ENV_WEIGHTS, str(path))
    fast = M.load_model("v1", "cpu")
    plain.eval()
    for mod in plain.backbone.body.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.eps = 0.0  # as load_model sets for v1 before folding
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
    assert fast.backbone.body.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.from_numpy(image).permute(2, 0, 1).float().div(255)[None]
    with torch.inference_mode():
        a, b = plain.backbone(x), fast.backbone(x)
        for level in a:
            torch.testing.assert_close(b[level], a[level], rtol=1e-4, atol=1e-4 * float(a[level].abs().max()))
    plain_seg = M.predict(_with_meta(plain, fast), image, score_threshold=0.0, max_instances=5, min_size=128)
    fast_seg = M.predict(fast, image, score_threshold=0.0, max_instances=5, min_size=128)
    ours, theirs = fast_seg.extras["instances"], plain_seg.extras["instances"]
    assert [i["class"] for i in ours] == [i["class"] for i in theirs]
    np.testing.assert_allclose([i["score"] for i in ours], [i["score"] for i in theirs], atol=1e-4)
    np.testing.assert_allclose([i["box"] for i in ours], [i["box"] for i in theirs], atol=0.05)


@pytest.fixture(scope="module")
def loaded_v1(tmp_path_factory):
    """A random v1 saved to a file and loaded by load_model on the CPU, as the page loads it."""
    torch.manual_seed(3)
    path = tmp_path_factory.mktemp("weights") / "v1.pth"
    torch.save(M.build_model("v1").state_dict(), path)
    return M.load_model("v1", "cpu", path=path)


def test_load_model_folds_the_batch_norms_and_stores_the_weights_channels_last(loaded_v1):
    from torchvision.ops.misc import FrozenBatchNorm2d

    model = loaded_v1
    norms = [n for n, m in model.named_modules() if isinstance(m, (torch.nn.BatchNorm2d, FrozenBatchNorm2d))]
    assert norms == []  # every one follows a convolution in v1, and is folded into it
    conv = model.backbone.body.conv1
    assert conv.bias is not None and conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert model.segcore["variant"] == "v1" and model.segcore["device"] == "cpu"


@pytest.mark.parametrize("size", [(96, 128), (300, 200), (1001, 1403)])
def test_prepare_image_resizes_then_normalises_to_what_the_transform_gives(random_v1, size):
    rng = np.random.default_rng(7)
    pixels = torch.from_numpy(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).permute(2, 0, 1).float()
    transform = random_v1.transform
    before = pixels.clone()
    with torch.inference_mode():
        expected = transform([pixels / 255.0])[0]
        ours = M.prepare_image(transform, pixels)
    assert ours.image_sizes == expected.image_sizes
    assert ours.tensors.shape == expected.tensors.shape  # padded to a multiple of 32 alike
    torch.testing.assert_close(ours.tensors, expected.tensors, rtol=0, atol=1e-5)
    assert torch.equal(pixels, before)  # the caller's 0..255 tensor is left as it was


def _with_meta(model, loaded):
    model.segcore = dict(loaded.segcore)
    M._install_class_filter(model.roi_heads)
    return model


def test_predict_class_filter_inside_the_model(random_v1, image):
    seg = M.predict(random_v1, image, score_threshold=0.0, max_instances=3, min_size=128, classes=["person", "dog"])
    classes = {i["class"] for i in seg.extras["instances"]}
    assert classes and classes <= {"person", "dog"} and len(seg.extras["instances"]) <= 3


def test_predict_validates(random_v1, image):
    with pytest.raises(ValueError, match="uint8"):
        M.predict(random_v1, image.astype(np.float32))
    with pytest.raises(ValueError, match="min_size"):
        M.predict(random_v1, image, min_size=10)
    with pytest.raises(ValueError, match="unknown class"):
        M.predict(random_v1, image, classes=["unicorn"])


def test_rle_from_patch_equals_pycocotools_encode():
    from pycocotools import mask as mask_utils

    from segcore.io.coco import rle_from_patch

    rng = np.random.default_rng(5)
    h, w = 23, 31
    cases = [
        ((0, 0), (23, 31)),
        ((0, 5), (23, 6)),
        ((0, 0), (5, 4)),
        ((18, 27), (5, 4)),
        ((3, 7), (1, 1)),
        ((4, 2), (10, 20)),
    ]
    for (y0, x0), (ph, pw) in cases:
        for density in (0.0, 0.3, 0.9, 1.0):
            patch = rng.random((ph, pw)) < density
            full = np.zeros((h, w), np.uint8, order="F")
            full[y0 : y0 + ph, x0 : x0 + pw] = patch
            mine = rle_from_patch(patch, (y0, x0), (h, w))
            assert mine == mask_utils.encode(full), ((y0, x0), (ph, pw), density)


def _random_masks(rng, n):
    """Masks of every kind a decoder can trip on: noise, empty, full, boxes, runs across columns."""
    for trial in range(n):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        kind = trial % 5
        if kind == 0:
            yield rng.random((h, w)) < rng.random()
        elif kind == 1:
            yield np.zeros((h, w), bool)
        elif kind == 2:
            yield np.ones((h, w), bool)
        elif kind == 3:
            m = np.zeros((h, w), bool)
            (a, b), (c, d) = sorted(rng.integers(0, h + 1, 2)), sorted(rng.integers(0, w + 1, 2))
            m[a:b, c:d] = True
            yield m
        else:  # 1s in the first and last rows: runs that wrap from one column into the next
            m = np.zeros((h, w), bool)
            m[0], m[-1] = rng.random(w) < 0.5, rng.random(w) < 0.5
            yield m


def test_decode_rle_patch_equals_pycocotools_decode_in_the_box():
    from pycocotools import mask as mask_utils

    rng = np.random.default_rng(11)
    big = np.zeros((3000, 4000), bool)  # counts over 2**20: values of several 5-bit groups
    big[5:2990, 100:3900] = True
    big[1000:1200, 2000:2100] = False
    for m in [*_random_masks(rng, 500), big]:
        rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
        for form in (rle, coco._jsonable(rle), {"size": rle["size"], "counts": list(coco.rle_counts(rle))}):
            patch, (y0, y1, x0, x1) = coco.decode_rle_patch(form)
            full = np.zeros(m.shape, bool)
            full[y0:y1, x0:x1] = patch
            assert np.array_equal(full, m)
            if m.any():  # the patch is the mask's bounding box
                ys, xs = np.nonzero(m)
                assert (y0, y1, x0, x1) == (ys.min(), ys.max() + 1, xs.min(), xs.max() + 1)
            else:
                assert patch.shape == (0, 0)
        counts = coco.rle_counts(rle)  # the run lengths, compressed again, give the same text
        assert counts.sum() == m.size and counts.min() >= 0
        assert mask_utils.frPyObjects({"size": rle["size"], "counts": counts.tolist()}, *m.shape) == rle


def test_predict_accepts_a_read_only_image(random_v1, image):
    import warnings

    frozen = image.copy()
    frozen.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seg = M.predict(random_v1, frozen, score_threshold=0.3, max_instances=2, min_size=128)
    assert seg.labels.shape == image.shape[:2]


@pytest.mark.parametrize("classes, cap", [(["person"], 5), (["dog", "car"], 2), ([], 1), ([], 10)])
def test_select_after_the_model_equals_filtering_in_the_model(cats, classes, cap):
    """The page filters classes and caps instances after inference; the result must be the same."""
    from segcore.methods.maskrcnn.instances import select_instances

    full = _seg(DETS, cats, score_threshold=0.0)
    narrowed = select_instances(full, classes=classes, max_instances=cap)
    direct = _seg(DETS, cats, score_threshold=0.0, classes=classes, max_instances=cap)
    assert np.array_equal(narrowed.labels, direct.labels)
    assert np.array_equal(narrowed.extras["semantic"], direct.extras["semantic"])
    assert narrowed.extras["instances"] == direct.extras["instances"]
    assert narrowed.extras["class_counts"] == direct.extras["class_counts"]
    assert [lab.name for lab in narrowed.legend] == [lab.name for lab in direct.legend]
