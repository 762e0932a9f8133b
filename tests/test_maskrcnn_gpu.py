"""Mask R-CNN on a CUDA GPU: the page's path (auto device, load, predict) runs there and agrees with the CPU.

Skipped where torch sees no CUDA GPU (CI has none); run on a GPU machine with
``python -m pytest tests/test_maskrcnn_gpu.py``. The weights are torchvision's
real v1 architecture with random weights saved to a temporary file and loaded
through ``SEGCORE_MASKRCNN_WEIGHTS``, and the shapes model shipped in assets/.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU here", allow_module_level=True)

from skimage import data

from segcore import run_method
from segcore.io.coco import decode_rle
from segcore.methods.maskrcnn import model as M
from segcore.methods.maskrcnn import weights as W
from segcore.methods.maskrcnn.shapes import make_sample


@pytest.fixture()
def exact_fp32():
    """TF32 off for the comparison with the CPU (cuDNN allows it for convolutions by default)."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@pytest.fixture(scope="module")
def v1_file(tmp_path_factory):
    torch.manual_seed(0)
    model = M.build_model("v1")
    for mod in model.modules():  # batch norms that do something, so folding them is tested
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp("weights") / "v1.pth"
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture()
def v1_env(v1_file, monkeypatch):
    monkeypatch.setenv(W.ENV_WEIGHTS, str(v1_file))
    M.clear_models()
    yield v1_file
    M.clear_models()


def test_auto_picks_the_gpu_and_the_model_and_result_say_so(v1_env):
    assert M.pick_device("auto") == "cuda"
    model = M.load_model("v1", "auto")
    assert model.segcore["device"] == "cuda"
    assert all(p.device.type == "cuda" for p in model.parameters())
    seg = M.predict(model, data.coffee(), score_threshold=0.0, max_instances=10, min_size=320)
    assert seg.extras["device"] == "cuda" and seg.params["device"] == "cuda"
    assert isinstance(seg.labels, np.ndarray) and seg.labels.shape == (400, 600) and seg.labels.dtype == np.int32
    assert 1 <= len(seg.extras["instances"]) <= 10


def test_gpu_and_cpu_find_the_same_instances(v1_env, exact_fp32):
    image = data.coffee()
    cpu = M.predict(M.load_model("v1", "cpu"), image, score_threshold=0.0, max_instances=5, min_size=320)
    gpu = M.predict(M.load_model("v1", "cuda"), image, score_threshold=0.0, max_instances=5, min_size=320)
    a, b = cpu.extras["instances"], gpu.extras["instances"]
    assert [i["class"] for i in a] == [i["class"] for i in b]
    np.testing.assert_allclose([i["score"] for i in b], [i["score"] for i in a], atol=1e-3)
    np.testing.assert_allclose([i["box"] for i in b], [i["box"] for i in a], atol=0.5)
    assert np.mean(cpu.labels == gpu.labels) > 0.99


def test_registered_method_runs_on_the_gpu(v1_env):
    seg = run_method("maskrcnn", data.astronaut(), min_size=320, score_threshold=0.0, max_instances=3)
    assert seg.extras["device"] == "cuda" and len(seg.extras["instances"]) == 3


def test_shapes_model_on_the_gpu_finds_held_out_shapes():
    model = M.load_model("shapes", "cuda")
    ious, right = [], []
    for seed in range(200_000, 200_020):
        rgb, gt_masks, gt_labels = make_sample(seed)
        seg = M.predict(model, rgb, min_size=None)
        inst = seg.extras["instances"]
        pred = np.stack([decode_rle(r) for r in seg.extras["masks"]]) if inst else np.zeros((0, *rgb.shape[:2]), bool)
        inter = gt_masks.reshape(len(gt_masks), -1).astype(float) @ pred.reshape(len(pred), -1).T.astype(float)
        union = gt_masks.reshape(len(gt_masks), -1).sum(1)[:, None] + pred.reshape(len(pred), -1).sum(1)[None] - inter
        iou = inter / np.maximum(union, 1)
        rows, cols = linear_sum_assignment(-iou)
        matched = dict(zip(rows, cols))
        for g in range(len(gt_masks)):
            p = matched.get(g)
            ious.append(iou[g, p] if p is not None else 0.0)
            right.append(p is not None and inst[p]["category_id"] == int(gt_labels[g]))
    assert np.mean(ious) >= 0.8 and np.mean(right) >= 0.9
