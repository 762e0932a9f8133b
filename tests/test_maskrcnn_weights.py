"""Mask R-CNN weights: finding, checking, loading and downloading them -- offline.

The real architecture is built with ``weights=None, weights_backbone=None``;
its random state dict stands in for torchvision's file and goes through the
real loading code. Downloads run against an HTTP server this module starts
on 127.0.0.1; nothing here touches the internet.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import pickle
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from segcore.methods.maskrcnn import model as M
from segcore.methods.maskrcnn import weights as W

V1_FILE = "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    """Every test: no weights variable, an empty torch hub, downloads pointed at a closed port."""
    for name in (W.ENV_WEIGHTS, f"{W.ENV_WEIGHTS}_V1", f"{W.ENV_WEIGHTS}_V2", f"{W.ENV_WEIGHTS}_SHAPES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv(W.ENV_URL, f"http://127.0.0.1:{_closed_port()}/")
    M.clear_models()
    yield
    M.clear_models()


@pytest.fixture(scope="module")
def v1_state():
    """The state dict of torchvision's v1 architecture, randomly initialised (no download)."""
    from torchvision.models.detection import maskrcnn_resnet50_fpn

    torch.manual_seed(0)
    model = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None)
    return model.state_dict()


@pytest.fixture(scope="module")
def v1_file(v1_state, tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "my_maskrcnn.pth"
    torch.save(v1_state, path)
    return path


# --- loading a file named by the user ------------------------------------------------------


def test_env_var_file_loads_with_the_real_code(v1_file, v1_state, monkeypatch):
    monkeypatch.setenv(W.ENV_WEIGHTS, str(v1_file))
    assert W.resolve_weights("v1", allow_download=False) == v1_file
    model = M.load_model("v1", "cpu")
    assert not model.training
    assert model.segcore["weights"] == v1_file
    assert model.segcore["categories"][1] == "person"
    got = model.state_dict()
    for key in ("roi_heads.mask_predictor.mask_fcn_logits.weight", "backbone.fpn.layer_blocks.0.0.weight"):
        assert torch.equal(got[key], v1_state[key])
    # Each batch norm is folded into the convolution before it, with eps 0: v1's
    # weights were trained with that value, as torchvision sets when it loads them.
    assert isinstance(model.backbone.body.bn1, torch.nn.Identity)
    scale = v1_state["backbone.body.bn1.weight"] / v1_state["backbone.body.bn1.running_var"].sqrt()
    folded = v1_state["backbone.body.conv1.weight"] * scale[:, None, None, None]
    torch.testing.assert_close(got["backbone.body.conv1.weight"], folded, rtol=0, atol=0)
    shift = v1_state["backbone.body.bn1.bias"] - v1_state["backbone.body.bn1.running_mean"] * scale
    torch.testing.assert_close(got["backbone.body.conv1.bias"], shift)


def test_registered_method_runs_on_loaded_weights(v1_file, monkeypatch):
    import segcore

    monkeypatch.setenv(W.ENV_WEIGHTS, str(v1_file))
    image = np.random.default_rng(0).integers(0, 256, (64, 80, 3), dtype=np.uint8)
    seg = segcore.run_method("maskrcnn", image, score_threshold=0.0, max_instances=3, min_size=128, device="cpu")
    assert seg.labels.shape == (64, 80)
    assert seg.extras["variant"] == "v1" and seg.extras["device"] == "cpu"
    assert M.get_model("v1", "cpu") is M.get_model("v1", "cpu")  # one shared model


def test_frozen_batchnorm_file_without_num_batches_tracked_loads(v1_state, tmp_path):
    """torchvision's v1 file was saved with FrozenBatchNorm2d: no num_batches_tracked entries."""
    official_like = {k: v for k, v in v1_state.items() if not k.endswith("num_batches_tracked")}
    assert len(official_like) < len(v1_state)
    path = tmp_path / "official_like.pth"
    torch.save(official_like, path)
    model = M.load_model("v1", "cpu", path=path)
    # the file's batch-norm statistics arrived: they are in the folded convolution
    torch.testing.assert_close(
        model.state_dict()["backbone.body.layer1.0.conv1.weight"], _folded(v1_state, "backbone.body.layer1.0", "1")
    )


def _folded(state, block: str, i: str):
    """The weight of ``{block}.conv{i}`` with ``{block}.bn{i}`` folded in (eps 0, as for v1)."""
    scale = state[f"{block}.bn{i}.weight"] / state[f"{block}.bn{i}.running_var"].sqrt()
    return state[f"{block}.conv{i}.weight"] * scale[:, None, None, None]


def test_training_checkpoint_wrapper_is_unwrapped(v1_state, tmp_path):
    path = tmp_path / "checkpoint.pth"
    torch.save({"model": v1_state, "epoch": 3}, path)
    sd = W.read_state_dict(path)
    assert "backbone.body.conv1.weight" in sd


def test_path_argument_wins_over_env_var(v1_file, tmp_path, monkeypatch):
    monkeypatch.setenv(W.ENV_WEIGHTS, str(tmp_path / "elsewhere.pth"))
    assert W.resolve_weights("v1", path=v1_file) == v1_file
    with pytest.raises(W.WeightsUnavailable, match="elsewhere.pth"):
        W.resolve_weights("v1")


def _load_error(path: Path, variant: str = "v1") -> str:
    with pytest.raises(W.WeightsFileError) as info:
        M.load_model(variant, "cpu", path=path)
    msg = str(info.value)
    assert str(path) in msg
    return msg


def test_random_bytes_refused(tmp_path):
    path = tmp_path / "noise.pth"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    msg = _load_error(path)
    assert "not a PyTorch weights file" in msg
    assert "expected a state dict of maskrcnn_resnet50_fpn" in msg and "backbone.body.conv1.weight" in msg


def test_other_models_state_dict_refused(tmp_path):
    from torchvision.models import resnet18

    path = tmp_path / "resnet18.pth"
    torch.save(resnet18(weights=None).state_dict(), path)
    msg = _load_error(path)
    assert "expected a state dict of maskrcnn_resnet50_fpn (v1) with keys like backbone.body.conv1.weight" in msg
    assert "missing" in msg and "not part of the model" in msg
    assert "conv1.weight" in msg  # what the file holds instead


class _Exploit:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_with_code_is_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    with open(path, "wb") as fh:
        pickle.dump({"backbone.body.conv1.weight": _Exploit(marker)}, fh, protocol=2)
    torch.save({"weights": _Exploit(marker)}, tmp_path / "evil_zip.pth")  # torch.save pickles it too
    assert not marker.exists()
    for p in (path, tmp_path / "evil_zip.pth"):
        msg = _load_error(p)
        assert "holds Python objects (code)" in msg and "nothing in it was executed" in msg
        assert "posix.system" in msg  # what it tried to call
    assert not marker.exists(), "loading ran the pickle's code"


def test_wrong_variant_file_named_as_such(tmp_path):
    """A v2 state dict offered for v1: the keys say which variant it is (tiny tensors suffice)."""
    v2 = M.build_model("v2", device="meta")
    path = tmp_path / "v2.pth"
    torch.save({k: torch.zeros(1) for k in v2.state_dict()}, path)
    msg = _load_error(path, "v1")
    assert "looks like the v2 weights" in msg


def test_shape_mismatch_explained(v1_state, tmp_path):
    sd = dict(v1_state)
    sd["roi_heads.box_predictor.cls_score.weight"] = torch.zeros(2, 1024)
    sd["roi_heads.box_predictor.cls_score.bias"] = torch.zeros(2)
    path = tmp_path / "two_classes.pth"
    torch.save(sd, path)
    msg = _load_error(path)
    assert "roi_heads.box_predictor.cls_score.weight: file [2, 1024], model [91, 1024]" in msg


def test_named_file_that_does_not_exist(tmp_path, monkeypatch):
    monkeypatch.setenv(W.ENV_WEIGHTS, str(tmp_path / "missing.pth"))
    with pytest.raises(W.WeightsUnavailable, match=r"\$SEGCORE_MASKRCNN_WEIGHTS names .*missing.pth"):
        W.resolve_weights("v1")


# --- the torch hub cache and the download -----------------------------------------------------


PAYLOAD = np.random.default_rng(7).bytes(int(2.5 * (1 << 20)))  # 3 chunks of 1 MiB, the last one partial
GOOD_NAME = f"fake_weights-{hashlib.sha256(PAYLOAD).hexdigest()[:8]}.pth"
BAD_NAME = "fake_weights-00000000.pth"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        kind = self.path.strip("/").split("/")[0]
        self.server.hits.append(self.path)
        if kind == "missing":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if kind == "cut":  # announce the whole file, send half of it, hang up
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.hits = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd
    httpd.shutdown()
    httpd.server_close()


def _cache_files() -> list[str]:
    folder = W.cache_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_reports_progress_and_lands_in_cache(server, tmp_path):
    base, _ = server
    calls = []
    path = W.download_weights("v1", url=f"{base}/ok/{GOOD_NAME}", progress=lambda d, t: calls.append((d, t)))
    assert path == Path(os.environ["TORCH_HOME"]) / "hub" / "checkpoints" / GOOD_NAME
    assert path.read_bytes() == PAYLOAD
    assert _cache_files() == [GOOD_NAME]  # no partial file left
    done = [d for d, _ in calls]
    assert done[0] == 0 and done[-1] == len(PAYLOAD) and done == sorted(done) and len(done) >= 3
    assert {t for _, t in calls} == {len(PAYLOAD)}


def test_resolve_downloads_once_then_uses_the_cache(server):
    base, httpd = server
    url = f"{base}/ok/{GOOD_NAME}"
    before = len(httpd.hits)
    first = W.resolve_weights("v1", url=url)
    second = W.resolve_weights("v1", url=url)
    assert first == second and first.read_bytes() == PAYLOAD
    assert len(httpd.hits) == before + 1


def test_official_file_in_cache_is_found_without_network():
    target = W.cache_dir() / V1_FILE
    target.parent.mkdir(parents=True)
    target.write_bytes(b"placeholder")
    assert W.file_name("v1") == V1_FILE
    assert W.resolve_weights("v1") == target  # SEGCORE_MASKRCNN_URL points at a closed port
    row = next(r for r in W.weights_status() if r["variant"] == "v1")
    assert row["found"] == target and row["source"] == "cache" and row["size"] == len(b"placeholder")


def test_hash_mismatch_refused_and_nothing_left(server):
    base, _ = server
    with pytest.raises(W.DownloadError, match="SHA-256 mismatch") as info:
        W.download_weights("v1", url=f"{base}/ok/{BAD_NAME}")
    assert "00000000" in str(info.value)
    assert _cache_files() == []


def test_connection_cut_mid_file_leaves_nothing(server):
    base, _ = server
    with pytest.raises(W.DownloadError, match=f"closed after {len(PAYLOAD) // 2:,} of {len(PAYLOAD):,} bytes"):
        W.download_weights("v1", url=f"{base}/cut/{GOOD_NAME}")
    assert _cache_files() == []


def test_http_error_is_a_download_error(server):
    base, _ = server
    with pytest.raises(W.DownloadError, match="HTTP 404"):
        W.download_weights("v1", url=f"{base}/missing/{GOOD_NAME}")
    assert _cache_files() == []


def _assert_how_to_fix(msg: str, variant: str = "v1") -> None:
    assert W.file_name(variant) in msg
    assert str(W.cache_dir()) in msg
    assert W.ENV_WEIGHTS in msg
    assert f"python -m segcore weights download --variant {variant}" in msg


def test_offline_message_says_how_to_fix():
    # SEGCORE_MASKRCNN_URL (set by the autouse fixture) is a mirror folder on a closed port
    with pytest.raises(W.WeightsUnavailable) as info:
        W.resolve_weights("v1")
    msg = str(info.value)
    _assert_how_to_fix(msg)
    assert "cannot reach" in msg
    assert isinstance(info.value, RuntimeError)
    assert _cache_files() == []


def test_offline_message_from_load_model_and_for_v2():
    with pytest.raises(W.WeightsUnavailable) as info:
        M.load_model("v2", "cpu")
    _assert_how_to_fix(str(info.value), "v2")


def test_no_download_when_not_allowed(server):
    base, httpd = server
    before = len(httpd.hits)
    with pytest.raises(W.WeightsUnavailable, match="downloading is turned off") as info:
        W.resolve_weights("v1", url=f"{base}/ok/{GOOD_NAME}", allow_download=False)
    assert len(httpd.hits) == before
    assert "python -m segcore weights download --variant v1" in str(info.value)


def test_status_lists_every_variant_without_downloading(v1_file, monkeypatch):
    monkeypatch.setenv(W.ENV_WEIGHTS, str(v1_file))
    rows = {r["variant"]: r for r in W.weights_status()}
    assert {"v1", "v2", "shapes"} <= set(rows)
    assert rows["v1"]["found"] == v1_file and rows["v1"]["source"] == "env"
    assert rows["v1"]["size"] == v1_file.stat().st_size
    assert rows["v1"]["file"] == V1_FILE
    assert rows["v2"]["expected"] == W.cache_dir() / "maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth"
    assert _cache_files() == []


def test_shapes_variant_loads_through_the_same_code(tmp_path, v1_file, monkeypatch):
    shapes = pytest.importorskip("segcore.methods.maskrcnn.shapes")
    torch.manual_seed(0)
    path = tmp_path / "shapes.pt"
    torch.save(shapes.build_shapes_model().state_dict(), path)
    model = M.load_model("shapes", "cpu", path=path)
    assert model.segcore["categories"] == list(shapes.SHAPES_CATEGORIES)
    rgb, _, _ = shapes.make_sample(0)
    seg = M.predict(model, rgb, score_threshold=0.0, max_instances=4, min_size=None)
    assert seg.params["min_size"] == model.segcore["native_min_size"]
    assert {i["class"] for i in seg.extras["instances"]} <= set(shapes.SHAPES_CATEGORIES[1:])
    # a COCO file offered for the shapes model is refused with the shapes model's expectations
    with pytest.raises(W.WeightsFileError, match="build_shapes_model .*looks like the v1 weights"):
        M.load_model("shapes", "cpu", path=v1_file)
    # the generic variable is for the COCO variants; the shapes model has its own
    monkeypatch.setenv(W.ENV_WEIGHTS, str(v1_file))
    assert W.explicit_weights("shapes") is None
    monkeypatch.setenv(f"{W.ENV_WEIGHTS}_SHAPES", str(path))
    assert W.resolve_weights("shapes") == path


def test_download_source_official_mirror_and_file_url(monkeypatch):
    monkeypatch.delenv(W.ENV_URL)
    assert W.download_source("v1") == "https://download.pytorch.org/models/" + V1_FILE
    assert W.hash_prefix(V1_FILE) == "bf2d0c1e"
    monkeypatch.setenv(W.ENV_URL, "http://mirror.local/models")  # a folder, with or without the slash
    assert W.download_source("v2") == "http://mirror.local/models/maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth"
    assert W.download_source("v1", url="http://x/y/file-0123abcd.pth") == "http://x/y/file-0123abcd.pth"


def test_coco_variants_take_url_hash_and_categories_from_torchvisions_weights_enums():
    from torchvision.models import detection

    enums = {"v1": detection.MaskRCNN_ResNet50_FPN_Weights, "v2": detection.MaskRCNN_ResNet50_FPN_V2_Weights}
    for variant, enum in enums.items():
        member = W.weights_enum_member(variant)
        assert member is enum.COCO_V1 and W.VARIANTS[variant].coco
        assert W.official_url(variant) == member.url and member.url.endswith("/" + W.file_name(variant))
        assert W.hash_prefix(W.file_name(variant)) and W.categories(variant) == list(member.meta["categories"])
    assert not W.VARIANTS["shapes"].coco
    with pytest.raises(ValueError, match="no torchvision weights"):
        W.weights_enum_member("shapes")


def _no_torch_answer(env: dict, code: str) -> str:
    """Run ``code`` in a fresh interpreter with ``env``; its last printed line."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    clean = {k: v for k, v in os.environ.items() if k not in ("TORCH_HOME", "XDG_CACHE_HOME") and not k.startswith("SEGCORE_MASKRCNN")}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("env", [{"TORCH_HOME": "{tmp}/th"}, {"XDG_CACHE_HOME": "{tmp}/xdg"}, {"HOME": "{tmp}/home"}])
def test_the_hub_folder_found_without_torch_is_torchs_own(tmp_path, env):
    env = {k: v.format(tmp=tmp_path) for k, v in env.items()}
    ours = _no_torch_answer(env, "import sys; from segcore.methods.maskrcnn.weights import hub_checkpoints_without_torch as h;"
                                 "print(h(), 'torch' in sys.modules)")
    torchs = _no_torch_answer(env, "import os, torch.hub; print(os.path.join(torch.hub.get_dir(), 'checkpoints'))")
    assert ours == f"{torchs} False"  # the same folder, and torch never imported to find it


def test_a_first_look_for_coco_weights_in_an_empty_cache_imports_no_torch(tmp_path):
    look = ("import sys; from segcore.methods.maskrcnn import certainly_missing as m;"
            "print(m('v1'), m('v2'), m('shapes'), 'torch' in sys.modules)")
    env = {"TORCH_HOME": str(tmp_path)}
    assert _no_torch_answer(env, look) == "True True False False"  # nothing there: known without torch
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    (tmp_path / "hub" / "checkpoints" / "some_model-0123abcd.pth").write_bytes(b"x")
    assert _no_torch_answer(env, look) == "False False False False"  # a file there: resolve_weights must look
    assert _no_torch_answer({"SEGCORE_MASKRCNN_WEIGHTS": str(tmp_path / "w.pth")}, look).startswith("False False")
