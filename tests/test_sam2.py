"""SAM 2.1 through transformers, offline: a small random model stands in for Meta's checkpoints.

The model is ``Sam2Model`` with every size cut down (8-wide Hiera stages, a
256 x 256 input) and random weights: its masks mean nothing, but they go
through the real processor, model, embedding cache and post-processing. The
download runs against a server this module starts on 127.0.0.1 that answers
as the Hub's ``resolve`` endpoint does (a large file redirected to a "CDN" on
127.0.0.2, its SHA-256 in ``X-Linked-Etag``), into a temporary Hugging Face
cache; nothing here touches the internet.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import segcore  # noqa: E402
from segcore.methods.prompts import sam2 as S  # noqa: E402
from segcore.methods.prompts import sam2_weights as W  # noqa: E402
from segcore.prompts import Click, Prompts, Stroke  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TINY = W.DEFAULT_CHECKPOINT
SIDE = 256  # the test model's input size (Meta's: 1024)
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Every test: no weights folder named, an empty Hugging Face cache, the Hub a closed local port."""
    monkeypatch.delenv(W.ENV_WEIGHTS, raising=False)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    S.clear_predictors()
    yield
    S.clear_predictors()


def _small_configs():
    from transformers import Sam2HieraDetConfig, Sam2MaskDecoderConfig, Sam2PromptEncoderConfig, Sam2VisionConfig

    backbone = Sam2HieraDetConfig(
        hidden_size=8, embed_dim_per_stage=[8, 16, 32, 64], num_attention_heads_per_stage=[1, 1, 1, 1],
        blocks_per_stage=[1, 1, 2, 1], global_attention_blocks=[3], image_size=[SIDE, SIDE])
    vision = Sam2VisionConfig(backbone_config=backbone, backbone_channel_list=[64, 32, 16, 8], fpn_hidden_size=32,
                              backbone_feature_sizes=[[SIDE // 4] * 2, [SIDE // 8] * 2, [SIDE // 16] * 2])
    prompt = Sam2PromptEncoderConfig(hidden_size=32, image_size=SIDE)
    decoder = Sam2MaskDecoderConfig(hidden_size=32, mlp_dim=64, num_attention_heads=2, iou_head_hidden_dim=32)
    return vision, prompt, decoder


def _processor():
    from transformers import Sam2ImageProcessor, Sam2Processor

    return Sam2Processor(image_processor=Sam2ImageProcessor(
        size={"height": SIDE, "width": SIDE}, mask_size={"height": SIDE // 4, "width": SIDE // 4}))


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory) -> Path:
    """``Sam2Model(config).save_pretrained`` and ``Sam2Processor.save_pretrained`` of a small random model."""
    from transformers import Sam2Config, Sam2Model

    folder = tmp_path_factory.mktemp("sam2_small")
    torch.manual_seed(0)
    vision, prompt, decoder = _small_configs()
    Sam2Model(Sam2Config(vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder)) \
        .save_pretrained(folder)
    _processor().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def hub_files(tmp_path_factory) -> dict[str, bytes]:
    """A checkpoint as the Hub's facebook/sam2.1-hiera-* hold it: a ``sam2_video`` model (memory modules and all)
    and the processor's settings split into preprocessor_config.json and processor_config.json."""
    from transformers import Sam2VideoConfig, Sam2VideoModel

    folder = tmp_path_factory.mktemp("sam2_hub")
    torch.manual_seed(1)
    vision, prompt, decoder = _small_configs()
    Sam2VideoModel(Sam2VideoConfig(
        vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder, image_size=SIDE,
        memory_attention_hidden_size=32, memory_attention_num_layers=1, memory_attention_feed_forward_hidden_size=64,
        memory_attention_rope_feat_sizes=[SIDE // 16] * 2, memory_encoder_hidden_size=32,
        memory_encoder_output_channels=16, mask_downsampler_embed_dim=32, memory_fuser_embed_dim=32,
        memory_fuser_intermediate_dim=64)).save_pretrained(folder)
    _processor().save_pretrained(folder)
    processor = json.loads((folder / "processor_config.json").read_text())
    image_processor = processor.pop("image_processor")
    files = {name: (folder / name).read_bytes() for name in ("config.json", "model.safetensors")}
    files["preprocessor_config.json"] = json.dumps({**image_processor, "processor_class": "Sam2VideoProcessor"}).encode()
    files["processor_config.json"] = json.dumps({**processor, "processor_class": "Sam2VideoProcessor"}).encode()
    assert json.loads(files["config.json"])["model_type"] == "sam2_video"
    return files


@pytest.fixture()
def named(small_folder, monkeypatch) -> Path:
    monkeypatch.setenv(W.ENV_WEIGHTS, str(small_folder))
    return small_folder


def _image(seed: int = 0, shape=(90, 120)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


def _check_two_labels(seg, shape) -> None:
    assert seg.labels.shape == shape and seg.labels.dtype == np.int32
    assert set(np.unique(seg.labels)) <= {0, 1}
    assert {lab.value: lab.name for lab in seg.legend} == {v: S.NAMES[v] for v in np.unique(seg.labels)}
    assert 0.0 <= seg.extras["confidence"] <= 1.0
    assert seg.extras["note"] is None


# ----------------------------------------------------------------------------- clicks, a box, scribbles


def test_the_named_folder_loads_and_several_clicks_embed_the_image_once(named):
    image = _image()
    clicks = (Click(30, 40), Click(90, 20, positive=False), Click(60, 70))
    results = [segcore.run_method("sam2", image, Prompts(clicks=clicks[:n])) for n in (1, 2, 3)]
    predictor = S.get_predictor(TINY)
    assert predictor.source.startswith(f"${W.ENV_WEIGHTS}") and predictor.folder == named
    assert predictor.embeddings_computed == 1 and predictor.decoder_runs == 3
    assert [r.extras["embedding_cached"] for r in results] == [False, True, True]
    for seg in results:
        _check_two_labels(seg, image.shape[:2])
        assert seg.params == {"checkpoint": TINY, "multimask": True, "device": "auto"}
        assert seg.extras["device"] == "cpu" and seg.extras["weights"] == str(named)

    first = results[0]
    candidates = first.extras["candidates"]
    assert len(candidates) == 3
    scores = [c["score"] for c in candidates]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert first.extras["chosen"] == int(np.argmax(scores)) and first.extras["confidence"] == max(scores)
    for c in candidates:
        assert c["mask"].shape == image.shape[:2] and c["mask"].dtype == bool
    np.testing.assert_array_equal(first.labels, candidates[first.extras["chosen"]]["mask"])
    assert results[1].extras["candidates"] is None and results[2].extras["candidates"] is None
    assert results[2].extras["sam_points"] == [[30, 40], [90, 20], [60, 70]]
    assert results[2].extras["sam_labels"] == [1, 0, 1]

    other = _image(1, (50, 70))
    segcore.run_method("sam2", other, Prompts(clicks=(Click(10, 10),)))
    assert predictor.embeddings_computed == 2
    again = segcore.run_method("sam2", image, Prompts(clicks=(Click(30, 40),)))
    assert predictor.embeddings_computed == 2 and again.extras["embedding_cached"]  # both images kept
    np.testing.assert_array_equal(again.labels, first.labels)  # same prompts, same embedding: same mask


def test_a_new_click_reuses_the_embedding_so_it_matches_a_fresh_model(named):
    """The cached embedding is the image's: a model loaded afresh answers the same click with the same mask."""
    image = _image(2)
    segcore.run_method("sam2", image, Prompts(clicks=(Click(5, 5),)))
    later = segcore.run_method("sam2", image, Prompts(clicks=(Click(5, 5), Click(100, 60))))
    assert later.extras["embedding_cached"]
    S.clear_predictors()
    fresh = segcore.run_method("sam2", image, Prompts(clicks=(Click(5, 5), Click(100, 60))))
    assert not fresh.extras["embedding_cached"]
    np.testing.assert_array_equal(later.labels, fresh.labels)
    assert later.extras["confidence"] == pytest.approx(fresh.extras["confidence"], abs=1e-6)


def test_resizing_only_the_kept_mask_gives_the_mask_resizing_all_three_gives(named):
    """Later clicks resize the best of the three masks alone: the same mask as resizing all three and picking it."""
    image = _image(6)
    prompts = Prompts(clicks=(Click(20, 20), Click(70, 50, positive=False)))
    predictor = S.get_predictor(TINY)
    every = predictor.decode(image, prompts, multimask=True, all_masks=True)
    kept = predictor.decode(image, prompts, multimask=True, all_masks=False)
    assert every["best"] == kept["best"] and sum(m is None for m in kept["masks"]) == 2
    np.testing.assert_array_equal(kept["masks"][kept["best"]], every["masks"][every["best"]])
    seg = segcore.run_method("sam2", image, prompts)
    np.testing.assert_array_equal(seg.labels, every["masks"][every["best"]])


def test_the_embedding_cache_keeps_a_few_images_and_drops_the_oldest(named, monkeypatch):
    monkeypatch.setattr(S, "EMBEDDINGS_KEPT", 2)
    images = [_image(10 + i, (40, 50)) for i in range(3)]
    for image in images:
        segcore.run_method("sam2", image, Prompts(clicks=(Click(5, 5),)))
    predictor = S.get_predictor(TINY)
    assert predictor.embeddings_computed == 3
    segcore.run_method("sam2", images[2], Prompts(clicks=(Click(6, 6),)))
    assert predictor.embeddings_computed == 3  # kept
    segcore.run_method("sam2", images[0], Prompts(clicks=(Click(6, 6),)))
    assert predictor.embeddings_computed == 4  # dropped, embedded again


def test_a_box_alone_offers_three_candidates_and_with_a_click_keeps_the_best(named):
    image = _image(3)
    box = segcore.run_method("sam2", image, Prompts(box=(10, 15, 80, 70)))
    _check_two_labels(box, image.shape[:2])
    assert len(box.extras["candidates"]) == 3 and box.extras["sam_box"] == [10, 15, 80, 70]
    both = segcore.run_method("sam2", image, Prompts(clicks=(Click(40, 40),), box=(10, 15, 80, 70)))
    _check_two_labels(both, image.shape[:2])
    assert both.extras["candidates"] is None and both.extras["sam_points"] == [[40, 40]]
    single = segcore.run_method("sam2", image, Prompts(box=(10, 15, 80, 70)), multimask=False)
    assert single.extras["candidates"] is None and single.extras["chosen"] == 0
    assert S.get_predictor(TINY).embeddings_computed == 1


def test_scribbles_become_points_along_each_stroke():
    prompts = Prompts(clicks=(Click(1, 2),), strokes=(
        Stroke(((0, 0), (40, 0), (40, 40)), positive=True), Stroke(((7, 9),), positive=False)))
    points, labels, box = S.sam_inputs(prompts)
    assert points == [[1, 2], [0, 0], [20, 0], [40, 0], [40, 20], [40, 40], [7, 9]]
    assert labels == [1, 1, 1, 1, 1, 1, 0] and box is None
    assert len(S.stroke_points(((0, 0), (3, 0)))) == 4  # points closer than a pixel count once


def test_what_counts_as_the_first_prompt():
    assert S.is_first_prompt(Prompts(clicks=(Click(1, 1),)))
    assert S.is_first_prompt(Prompts(box=(0, 0, 5, 5)))
    assert not S.is_first_prompt(Prompts(clicks=(Click(1, 1), Click(2, 2))))
    assert not S.is_first_prompt(Prompts(clicks=(Click(1, 1),), box=(0, 0, 5, 5)))
    assert not S.is_first_prompt(Prompts(strokes=(Stroke(((1, 1), (5, 5))),)))


def test_a_scribble_runs(named):
    image = _image(4)
    seg = segcore.run_method("sam2", image, Prompts(strokes=(Stroke(((10, 10), (60, 50))),)))
    _check_two_labels(seg, image.shape[:2])
    assert len(seg.extras["sam_points"]) == S.STROKE_POINTS and seg.extras["candidates"] is None


def test_no_prompt_or_one_outside_the_image_is_refused_before_loading_anything(named):
    with pytest.raises(ValueError, match="needs a click"):
        segcore.run_method("sam2", _image(), Prompts())
    with pytest.raises(ValueError, match="outside"):
        segcore.run_method("sam2", _image(), Prompts(clicks=(Click(500, 5),)))
    assert not S._held  # noqa: SLF001 - nothing was loaded for a refused request


# ----------------------------------------------------------------------------- weights missing or wrong


def test_missing_weights_offline_say_what_is_missing_and_the_command(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert not W.weights_found()
    with pytest.raises(W.WeightsUnavailable) as info:
        segcore.run_method("sam2", _image(), Prompts(clicks=(Click(3, 3),)))
    msg = str(info.value)
    assert "model.safetensors" in msg and "config.json" in msg
    assert "python -m segcore weights download sam2" in msg and "HF_HUB_OFFLINE" in msg
    assert W.ENV_WEIGHTS in msg and str(Path(os.environ["HF_HOME"]) / "hub") in msg
    row = W.weights_status(TINY)[0]
    assert row["found"] is None and "model.safetensors" in row["missing"]
    assert row["command"] == "python -m segcore weights download sam2"
    assert "--checkpoint facebook/sam2.1-hiera-large" in W.weights_status("facebook/sam2.1-hiera-large")[0]["command"]


def test_a_named_folder_that_lacks_a_file_is_named(small_folder, tmp_path, monkeypatch):
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "config.json").write_bytes((small_folder / "config.json").read_bytes())
    monkeypatch.setenv(W.ENV_WEIGHTS, str(partial))
    assert not W.weights_found()
    with pytest.raises(W.WeightsUnavailable, match="lacks model.safetensors, processor_config.json"):
        S.get_predictor(TINY)
    monkeypatch.setenv(W.ENV_WEIGHTS, str(tmp_path / "nowhere"))
    with pytest.raises(W.WeightsUnavailable, match="not a folder"):
        W.locate(TINY)


def test_a_named_folder_serves_the_checkpoint_it_holds_and_no_other(tmp_path, monkeypatch):
    from transformers import Sam2Config

    Sam2Config().save_pretrained(tmp_path / "sam2.1-hiera-tiny")  # the tiny encoder's configuration
    monkeypatch.setenv(W.ENV_WEIGHTS, str(tmp_path / "sam2.1-hiera-tiny"))
    assert W.architecture_of(tmp_path / "sam2.1-hiera-tiny") == TINY
    assert W.explicit_folder(TINY)[0] == tmp_path / "sam2.1-hiera-tiny"
    assert W.explicit_folder("facebook/sam2.1-hiera-small") is None  # it holds tiny: small comes from the cache
    monkeypatch.setenv(W.ENV_WEIGHTS, str(tmp_path))  # a folder of checkpoint folders
    assert W.explicit_folder(TINY)[0] == tmp_path / "sam2.1-hiera-tiny"
    assert W.explicit_folder("facebook/sam2.1-hiera-large") is None


def test_a_damaged_weights_file_is_a_clear_error(small_folder, tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in small_folder.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / "model.safetensors").write_bytes(b"not a safetensors file" * 10)
    monkeypatch.setenv(W.ENV_WEIGHTS, str(broken))
    with pytest.raises(W.WeightsFileError, match=f"cannot load {broken}"):
        S.get_predictor(TINY)


# ----------------------------------------------------------------------------- the download, from a local "Hub"


class _Hub(http.server.BaseHTTPRequestHandler):
    """``/<repo>/resolve/<revision>/<file>`` as the Hub answers it; ``/cdn/<sha256>`` as its storage."""

    def _send(self, status: int, headers: dict, body: bytes = b"") -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    def _answer(self) -> None:
        srv = self.server
        srv.hits.append((self.command, self.path))
        if self.path.startswith("/cdn/"):  # the storage host the Hub redirects large files to
            body = srv.blobs.get(self.path[len("/cdn/"):])
            if body is None:
                return self._send(404, {})
            return self._send(200, {"Content-Type": "application/octet-stream"}, body)
        prefix = f"/{TINY}/resolve/"
        if not self.path.startswith(prefix) or self.path[len(prefix):].split("/", 1)[0] not in ("main", COMMIT):
            return self._send(404, {"X-Error-Code": "RepoNotFound"})
        name = self.path[len(prefix):].split("/", 1)[1]
        files = srv.files
        if name not in files:
            return self._send(404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": COMMIT})
        body = files[name]
        if name.endswith(".safetensors"):  # LFS / Xet: a redirect carrying the file's SHA-256 and size
            sha = hashlib.sha256(body).hexdigest()
            served = bytes(reversed(body)) if srv.fault == "other_bytes" else body
            srv.blobs[sha] = served
            return self._send(302, {"Location": f"http://127.0.0.2:{srv.cdn_port}/cdn/{sha}",
                                    "X-Repo-Commit": COMMIT, "X-Linked-Etag": f'"{sha}"',
                                    "X-Linked-Size": str(len(body)), "ETag": '"redirect"'})
        git = hashlib.sha1(f"blob {len(body)}\0".encode() + body).hexdigest()
        return self._send(200, {"X-Repo-Commit": COMMIT, "ETag": f'"{git}"', "Content-Type": "application/json"},
                          body)

    do_GET = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture()
def hub(hub_files, monkeypatch):
    """The Hub on 127.0.0.1 and its storage on 127.0.0.2 (another host, as the Hub's CDN is), serving hub_files."""
    servers = []
    for host in ("127.0.0.1", "127.0.0.2"):
        httpd = http.server.ThreadingHTTPServer((host, 0), _Hub)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
    api, cdn = servers
    hits, blobs = [], {}  # one request log, one storage
    for s in servers:
        s.files, s.blobs, s.hits, s.fault, s.cdn_port = dict(hub_files), blobs, hits, "ok", cdn.server_address[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{api.server_address[1]}")
    yield api
    for s in servers:
        s.shutdown()
        s.server_close()


def test_the_download_reports_progress_lands_in_the_cache_and_then_loads_offline(hub, hub_files, monkeypatch):
    assert not W.weights_found()
    calls: list[tuple[int, int]] = []
    folder = W.download_weights(TINY, progress=lambda done, total: calls.append((done, total)))
    total = sum(len(b) for b in hub_files.values())
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) >= len(hub_files)
    cache = Path(os.environ["HF_HOME"]) / "hub"
    assert folder == cache / "models--facebook--sam2.1-hiera-tiny" / "snapshots" / COMMIT
    for name, body in hub_files.items():
        assert (folder / name).read_bytes() == body
    assert not list(cache.rglob("*.incomplete"))
    assert ("GET", f"/cdn/{hashlib.sha256(hub_files['model.safetensors']).hexdigest()}") in hub.hits

    hub.hits.clear()
    assert W.download_weights(TINY) == folder  # all cached: nothing fetched again
    assert not [h for h in hub.hits if h[0] == "GET"]

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.hits.clear()
    assert W.weights_found() and W.locate(TINY) == (folder, "cache")
    image = _image(5)
    seg = segcore.run_method("sam2", image, Prompts(clicks=(Click(20, 30),)))
    _check_two_labels(seg, image.shape[:2])
    assert seg.extras["weights"] == str(folder) and len(seg.extras["candidates"]) == 3
    assert not hub.hits  # offline: the Hub was not asked


def test_a_download_whose_bytes_do_not_match_the_hash_is_discarded_and_the_retry_works(hub, hub_files):
    hub.fault = "other_bytes"  # the announced size, other content (the Hub decides what its storage serves)
    with pytest.raises(W.DownloadError, match="does not match the SHA-256"):
        W.download_weights(TINY)
    assert not W.weights_found()
    cache = Path(os.environ["HF_HOME"]) / "hub"
    sha = hashlib.sha256(hub_files["model.safetensors"]).hexdigest()
    assert not list(cache.rglob(sha)) and not list(cache.rglob("model.safetensors"))
    hub.fault = "ok"
    folder = W.download_weights(TINY)
    assert (folder / "model.safetensors").read_bytes() == hub_files["model.safetensors"] and W.weights_found()


def test_a_checkpoint_as_transformers_5_saves_it_downloads_without_preprocessor_config(hub, small_folder):
    hub.files = {f.name: f.read_bytes() for f in small_folder.iterdir()}  # processor_config.json alone
    folder = W.download_weights(TINY)
    assert sorted(p.name for p in folder.iterdir()) == sorted(hub.files)
    assert W.weights_found()


def test_a_hub_without_the_weights_file_or_unreachable_is_a_clear_error(hub, monkeypatch):
    del hub.files["model.safetensors"]
    with pytest.raises(W.DownloadError, match="has no model.safetensors"):
        W.download_weights(TINY)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(W.DownloadError, match="HF_HUB_OFFLINE"):
        W.download_weights(TINY)


# ----------------------------------------------------------------------------- the command line


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: os.environ[k] for k in ("HF_HOME", "HF_ENDPOINT") if k in os.environ}
    return subprocess.run([sys.executable, "-m", "segcore", "weights", *args], cwd=ROOT, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "TORCH_HOME": os.environ["HF_HOME"], **base, **env},
                          timeout=300)


def test_weights_status_lists_sam2_missing_then_found(small_folder):
    res = _cli("status")
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("sam2 ")]
    assert [ln.split()[1] for ln in lines] == list(W.CHECKPOINTS)
    assert all("missing" in ln for ln in lines) and "weights download sam2`" in lines[0]
    assert "maskrcnn_resnet50_fpn_coco" in res.stdout  # Mask R-CNN's rows stay
    res = _cli("status", **{W.ENV_WEIGHTS: str(small_folder)})
    found = [ln for ln in res.stdout.splitlines() if ln.startswith("sam2 ") and "found" in ln]
    assert len(found) == 4 and str(small_folder) in found[0]  # a model of one's own serves every choice


def test_weights_download_sam2_fetches_it_and_fails_clearly_offline(hub, hub_files):
    res = _cli("download", "sam2", "--checkpoint", TINY)
    assert res.returncode == 0, res.stderr
    assert "100.0%" in res.stderr and "snapshots" in res.stderr
    res = _cli("status", HF_HUB_OFFLINE="1")
    assert [ln for ln in res.stdout.splitlines() if ln.startswith(f"sam2  {TINY}")][0].count("found (cache)") == 1
    res = _cli("download", "sam2", "--checkpoint", "facebook/sam2.1-hiera-small", HF_HUB_OFFLINE="1")
    assert res.returncode == 2
    assert "HF_HUB_OFFLINE" in res.stderr and "weights download sam2 --checkpoint facebook/sam2.1-hiera-small" in \
        res.stderr and "Traceback" not in res.stderr
    res = _cli("download", "sam2", "--variant", "v1")
    assert res.returncode == 2 and "SAM 2.1 takes --checkpoint" in res.stderr
